package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Boundary is a sealed batch's state boundary: the state after the last
// replay entry it includes (StateOffset). A snapshot taken there is that
// batch's snapshot.
type Boundary struct {
	BatchID     int64
	Nonce       uint64
	StateOffset uint64
}

// CheckpointPlan is what the checkpointer may materialize now. Targets are
// valid sealed batches without a snapshot.
type CheckpointPlan struct {
	Generation uint64
	Recovering bool
	// Accepted is the newest batch the rollup accepted, when it has no
	// snapshot yet: materializing it lets promotion finalize it.
	Accepted *Boundary
	// Newest is the newest valid sealed batch, when it has no snapshot: a
	// checkpoint there bounds what a restart replays.
	Newest *Boundary
}

// CheckpointStore is the checkpointer's access to the database: it reads
// the replay rows and stored snapshots, and writes snapshots of sealed
// batches. It never touches what the lane writes. Safe for concurrent use.
type CheckpointStore struct{ pool *pgxpool.Pool }

// NewCheckpointStore returns a CheckpointStore on pool.
func NewCheckpointStore(pool *pgxpool.Pool) *CheckpointStore { return &CheckpointStore{pool: pool} }

// Plan reads the checkpoint targets in one consistent read.
func (c *CheckpointStore) Plan(ctx context.Context) (CheckpointPlan, error) {
	var p CheckpointPlan
	tx, err := c.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return p, fmt.Errorf("begin checkpoint plan: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	ctl, err := readControl(ctx, tx)
	if err != nil {
		return p, err
	}
	p.Generation, p.Recovering = ctl.Generation, ctl.Recovering()
	target := func(sql string) (*Boundary, error) {
		var b Boundary
		var nonce, offset int64
		err := tx.QueryRow(ctx, sql).Scan(&b.BatchID, &nonce, &offset)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read checkpoint target: %w", err)
		}
		b.Nonce, b.StateOffset = uint64(nonce), uint64(offset)
		return &b, nil
	}
	// The newest accepted batch, if it lacks a snapshot (accepted batches
	// are valid: recovery only invalidates unaccepted ones).
	if p.Accepted, err = target(`SELECT b.id, b.nonce, b.state_offset FROM
			(SELECT batch_id FROM accepted_batches ORDER BY nonce DESC LIMIT 1) a
		JOIN batches b ON b.id = a.batch_id
		WHERE b.state_offset IS NOT NULL AND NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.batch_id = b.id)`); err != nil {
		return p, err
	}
	if p.Newest, err = target(`SELECT b.id, b.nonce, b.state_offset FROM
			(SELECT id FROM batches WHERE invalidated_at IS NULL AND sealed_at IS NOT NULL ORDER BY nonce DESC LIMIT 1) n
		JOIN batches b ON b.id = n.id
		WHERE b.state_offset IS NOT NULL AND NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.batch_id = b.id)`); err != nil {
		return p, err
	}
	return p, nil
}

// Base returns the newest valid snapshot whose state offset is at most
// upTo: its bytes and offset; nil state and offset 0 when there is none
// (replay starts from genesis).
func (c *CheckpointStore) Base(ctx context.Context, upTo uint64) ([]byte, uint64, error) {
	var state []byte
	var offset int64
	err := c.pool.QueryRow(ctx, `SELECT s.state, s.l2_tx_index FROM snapshots s JOIN batches b ON b.id = s.batch_id
		WHERE b.invalidated_at IS NULL AND s.l2_tx_index <= $1 ORDER BY s.l2_tx_index DESC, b.nonce DESC LIMIT 1`,
		int64(upTo)).Scan(&state, &offset)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read checkpoint base: %w", err)
	}
	return state, uint64(offset), nil
}

// ReplayRows returns the valid replay rows with after < offset ≤ upTo, in
// offset order, at most limit (0: all).
func (c *CheckpointStore) ReplayRows(ctx context.Context, after, upTo uint64, limit int) ([]ReplayRow, error) {
	return readReplayRows(ctx, c.pool, after, upTo, limit)
}

// Insert stores state as b's snapshot, if b is still valid and the
// recovery generation is still generation (so no cascade moved the valid
// history under the replay that computed it). It then drops the snapshots
// it makes redundant: those of valid, unaccepted batches between the
// finalized one and b, which no restart or promotion needs any more (a
// restart takes the newest; promotion takes accepted batches' snapshots,
// which the checkpointer writes on purpose). Idempotent: an existing
// snapshot of b is kept and inserted reports false.
func (c *CheckpointStore) Insert(ctx context.Context, b Boundary, state []byte, generation uint64) (inserted bool, pruned int64, err error) {
	tx, err := c.pool.Begin(ctx)
	if err != nil {
		return false, 0, fmt.Errorf("begin checkpoint: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	tag, err := tx.Exec(ctx, `INSERT INTO snapshots (batch_id, state, l2_tx_index)
		SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM batches WHERE id = $1 AND invalidated_at IS NULL)
			AND (SELECT recovery_generation FROM control) = $4
		ON CONFLICT (batch_id) DO NOTHING`, b.BatchID, state, int64(b.StateOffset), int64(generation))
	if err != nil {
		return false, 0, fmt.Errorf("insert snapshot of batch %d: %w", b.Nonce, err)
	}
	if tag.RowsAffected() == 1 {
		inserted = true
		tag, err = tx.Exec(ctx, `DELETE FROM snapshots s USING batches b WHERE b.id = s.batch_id
			AND b.invalidated_at IS NULL AND b.nonce < $1
			AND b.nonce > coalesce((SELECT fb.nonce FROM control c JOIN batches fb ON fb.id = c.finalized_batch_id), -1)
			AND NOT EXISTS (SELECT 1 FROM accepted_batches a WHERE a.batch_id = b.id)`, int64(b.Nonce))
		if err != nil {
			return false, 0, fmt.Errorf("prune snapshots below batch %d: %w", b.Nonce, err)
		}
		pruned = tag.RowsAffected()
	}
	if err := tx.Commit(ctx); err != nil {
		return false, 0, fmt.Errorf("commit checkpoint: %w", err)
	}
	return inserted, pruned, nil
}
