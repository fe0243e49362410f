package store

import (
	"context"
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
	closed, closedFirst, err := firstFrameBatch(ctx, tx, unacceptedSealed)
	if err != nil {
		return v, fmt.Errorf("read first unaccepted batch: %w", err)
	}
	if closed != nil {
		v.ClosedFirstSafeBlock = &closedFirst
	}
	tip, tipFirst, err := firstFrameBatch(ctx, tx, openTip)
	if err != nil {
		return v, fmt.Errorf("read tip: %w", err)
	}
	if tip != nil {
		v.TipFirstSafeBlock = &tipFirst
	}
	return v, nil
}
