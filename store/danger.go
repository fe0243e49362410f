package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DangerView is what the danger detector classifies, read in one
// transaction so its parts agree.
type DangerView struct {
	Control  Control
	SafeHead SafeHead
	// ClosedFirstSafeBlock is the first frame's safe block of the first
	// valid sealed batch the rollup has not accepted (nil when none).
	ClosedFirstSafeBlock *uint64
	// TipFirstSafeBlock is the open batch's first frame's safe block (nil
	// when there is no open batch).
	TipFirstSafeBlock *uint64
}

// ReadDangerView reads the detector's inputs in one read-only repeatable-read
// transaction on pool.
func ReadDangerView(ctx context.Context, pool *pgxpool.Pool) (DangerView, error) {
	var v DangerView
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return v, fmt.Errorf("begin danger read: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	if v.Control, err = readControl(ctx, tx); err != nil {
		return v, err
	}
	if v.SafeHead, err = readSafeHead(ctx, tx); err != nil {
		return v, err
	}
	if v.ClosedFirstSafeBlock, err = optBlock(ctx, tx, `SELECT f.safe_block FROM batches b
		JOIN frames f ON f.batch_id = b.id AND f.position = 0
		WHERE b.invalidated_at IS NULL AND b.sealed_at IS NOT NULL
		  AND b.nonce >= (SELECT coalesce(max(nonce) + 1, 0) FROM accepted_batches)
		ORDER BY b.nonce LIMIT 1`); err != nil {
		return v, fmt.Errorf("read first unaccepted batch: %w", err)
	}
	if v.TipFirstSafeBlock, err = optBlock(ctx, tx, `SELECT f.safe_block FROM batches b
		JOIN frames f ON f.batch_id = b.id AND f.position = 0
		WHERE b.invalidated_at IS NULL AND b.sealed_at IS NULL`); err != nil {
		return v, fmt.Errorf("read tip: %w", err)
	}
	return v, nil
}

func optBlock(ctx context.Context, tx pgx.Tx, sql string) (*uint64, error) {
	var b int64
	err := tx.QueryRow(ctx, sql).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u := uint64(b)
	return &u, nil
}
