package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Submitter is the batch submitter's view of the database: the accepted
// frontier, the sealed batches still to post, and the wallet-nonce
// watermark it raises before every broadcast. Safe for concurrent use.
type Submitter struct {
	pool *pgxpool.Pool
}

// NewSubmitter returns the submitter's store.
func NewSubmitter(pool *pgxpool.Pool) *Submitter { return &Submitter{pool: pool} }

// SealedBatch is a valid sealed batch, ready to post.
type SealedBatch struct {
	ID             int64
	Nonce          uint64
	Payload        []byte
	Hash           common.Hash
	FirstSafeBlock uint64
}

// Frontier returns how many batches the rollup has accepted (the nonce it
// expects next) and the stored safe block.
func (s *Submitter) Frontier(ctx context.Context) (accepted, safeBlock uint64, err error) {
	var a, b int64
	err = s.pool.QueryRow(ctx, `SELECT (SELECT coalesce(max(nonce) + 1, 0) FROM accepted_batches),
		coalesce((SELECT block_number FROM l1_safe_head), 0)`).Scan(&a, &b)
	if err != nil {
		return 0, 0, fmt.Errorf("read accepted frontier: %w", err)
	}
	return uint64(a), uint64(b), nil
}

// SealedFrom returns the valid sealed batches with nonce ≥ from, in nonce
// order, at most limit.
func (s *Submitter) SealedFrom(ctx context.Context, from uint64, limit int) ([]SealedBatch, error) {
	rows, err := s.pool.Query(ctx, `SELECT b.id, b.nonce, b.payload, b.payload_hash,
			(SELECT safe_block FROM frames WHERE batch_id = b.id AND position = 0)
		FROM batches b WHERE b.invalidated_at IS NULL AND b.sealed_at IS NOT NULL AND b.nonce >= $1
		ORDER BY b.nonce LIMIT $2`, int64(from), limit)
	if err != nil {
		return nil, fmt.Errorf("read sealed batches: %w", err)
	}
	defer rows.Close()
	var out []SealedBatch
	for rows.Next() {
		var (
			b            SealedBatch
			nonce, first int64
			hash         []byte
		)
		if err := rows.Scan(&b.ID, &nonce, &b.Payload, &hash, &first); err != nil {
			return nil, fmt.Errorf("scan sealed batch: %w", err)
		}
		b.Nonce, b.Hash, b.FirstSafeBlock = uint64(nonce), common.BytesToHash(hash), uint64(first)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sealed batches: %w", err)
	}
	return out, nil
}

// ClaimForBroadcast checks, and holds for the length of one transaction,
// that no recovery holds the fence and that the batch with this nonce and
// hash is still valid and sealed, and raises the watermark to walletNonce in
// that same transaction. The fence is the submitter's real pause: a claim
// during a recovery is refused even if the pause signal has not reached the
// submitter workflow, so the flush's target stops moving. A recovery
// cascade either runs before it (the batch is invalidated: ok is false and
// nothing is raised) or after it (it sees the raised watermark and refuses
// until the flush has covered it). Idempotent.
func (s *Submitter) ClaimForBroadcast(ctx context.Context, nonce uint64, hash common.Hash, walletNonce uint64) (SealedBatch, bool, error) {
	var b SealedBatch
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return b, false, fmt.Errorf("begin broadcast claim: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	var mode string
	if err := tx.QueryRow(ctx, `SELECT mode FROM control FOR SHARE`).Scan(&mode); err != nil {
		return b, false, fmt.Errorf("read control row: %w", err)
	}
	if mode == "recovering" {
		return b, false, nil
	}
	var n int64
	var h []byte
	err = tx.QueryRow(ctx, `SELECT id, nonce, payload, payload_hash FROM batches
		WHERE nonce = $1 AND invalidated_at IS NULL AND sealed_at IS NOT NULL FOR SHARE`, int64(nonce)).Scan(&b.ID, &n, &b.Payload, &h)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, false, nil
	}
	if err != nil {
		return b, false, fmt.Errorf("claim batch %d: %w", nonce, err)
	}
	b.Nonce, b.Hash = uint64(n), common.BytesToHash(h)
	if b.Hash != hash {
		return b, false, nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO wallet_nonce_watermark (singleton, nonce) VALUES (true, $1)
		ON CONFLICT (singleton) DO UPDATE SET nonce = greatest(wallet_nonce_watermark.nonce, excluded.nonce)`, int64(walletNonce)); err != nil {
		return b, false, fmt.Errorf("raise wallet nonce watermark to %d: %w", walletNonce, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return b, false, fmt.Errorf("commit broadcast claim: %w", err)
	}
	return b, true, nil
}

// RaiseWatermark durably raises the wallet-nonce watermark to at least
// nonce: write-before-broadcast, so recovery knows every slot a transaction
// of ours may occupy. Idempotent and monotonic.
func (s *Submitter) RaiseWatermark(ctx context.Context, nonce uint64) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO wallet_nonce_watermark (singleton, nonce) VALUES (true, $1)
		ON CONFLICT (singleton) DO UPDATE SET nonce = greatest(wallet_nonce_watermark.nonce, excluded.nonce)`, int64(nonce))
	if err != nil {
		return fmt.Errorf("raise wallet nonce watermark to %d: %w", nonce, err)
	}
	return nil
}

// Watermark returns the wallet-nonce watermark; ok is false when nothing was
// ever broadcast.
func (s *Submitter) Watermark(ctx context.Context) (nonce uint64, ok bool, err error) {
	var n int64
	err = s.pool.QueryRow(ctx, `SELECT nonce FROM wallet_nonce_watermark`).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read wallet nonce watermark: %w", err)
	}
	return uint64(n), true, nil
}

// Maintenance is the snapshot promotion and garbage-collection role.
type Maintenance struct {
	pool *pgxpool.Pool
}

// NewMaintenance returns the snapshot maintenance store.
func NewMaintenance(pool *pgxpool.Pool) *Maintenance { return &Maintenance{pool: pool} }

// PromotionResult reports a promotion and collection pass.
type PromotionResult struct {
	FinalizedNonce *uint64 // the finalized snapshot's batch nonce, nil when none
	Promoted       bool    // the finalized pointer moved
	Deleted        int64   // snapshots collected
}

// PromoteAndCollect makes the snapshot of the newest accepted batch the
// finalized one (monotonic: it never moves back), then deletes every
// snapshot except the finalized one and the valid ones beyond it. One
// transaction; idempotent — a repeated pass changes nothing.
func (m *Maintenance) PromoteAndCollect(ctx context.Context) (PromotionResult, error) {
	var res PromotionResult
	tx, err := m.pool.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("begin promotion: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	var (
		candidate *int64
		candNonce *int64
		current   *int64
		currNonce *int64
	)
	if err := tx.QueryRow(ctx, `SELECT a.batch_id, a.nonce FROM accepted_batches a
		JOIN snapshots s ON s.batch_id = a.batch_id ORDER BY a.nonce DESC LIMIT 1`).Scan(&candidate, &candNonce); err != nil &&
		!errors.Is(err, pgx.ErrNoRows) {
		return res, fmt.Errorf("find newest accepted snapshot: %w", err)
	}
	if err := tx.QueryRow(ctx, `SELECT c.finalized_batch_id, b.nonce FROM control c
		LEFT JOIN batches b ON b.id = c.finalized_batch_id FOR UPDATE OF c`).Scan(&current, &currNonce); err != nil {
		return res, fmt.Errorf("read finalized pointer: %w", err)
	}
	finalized := currNonce
	if candidate != nil && (current == nil || *candNonce > *currNonce) {
		if _, err := tx.Exec(ctx, `UPDATE control SET finalized_batch_id = $1`, *candidate); err != nil {
			return res, fmt.Errorf("promote snapshot of batch %d: %w", *candNonce, err)
		}
		res.Promoted, finalized = true, candNonce
	}
	if finalized != nil {
		n := uint64(*finalized)
		res.FinalizedNonce = &n
		tag, err := tx.Exec(ctx, `DELETE FROM snapshots s USING batches b WHERE b.id = s.batch_id
			AND (b.invalidated_at IS NOT NULL OR b.nonce < $1)`, *finalized)
		if err != nil {
			return res, fmt.Errorf("collect snapshots: %w", err)
		}
		res.Deleted = tag.RowsAffected()
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("commit promotion: %w", err)
	}
	return res, nil
}
