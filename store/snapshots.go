package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Snapshot is an application state stored when its batch was sealed.
type Snapshot struct {
	BatchID    int64
	BatchNonce uint64
	State      []byte // nil when only the metadata was read
	// L2TxIndex is the last feed offset the state includes: a client that
	// loads it resumes the feed with from_offset = L2TxIndex.
	L2TxIndex uint64
	// InclusionBlock is the L1 block in which the rollup accepted the batch,
	// 0 when it has not (yet).
	InclusionBlock uint64
}

// SnapshotReader reads snapshots for the internal routes. Each read runs in
// one read-only repeatable-read transaction, so garbage collection deleting
// snapshot rows meanwhile cannot tear a response: the bytes are read whole
// before anything is sent. Safe for concurrent use.
type SnapshotReader struct{ pool *pgxpool.Pool }

// NewSnapshotReader returns a SnapshotReader on pool.
func NewSnapshotReader(pool *pgxpool.Pool) *SnapshotReader { return &SnapshotReader{pool: pool} }

// finalizedSQL selects the snapshot of control.finalized_batch_id with the
// block in which the rollup accepted that batch; %s is the state column or a
// NULL placeholder.
const finalizedSQL = `SELECT sn.batch_id, b.nonce, %s, sn.l2_tx_index, ab.block_number
	FROM control c
	JOIN snapshots sn ON sn.batch_id = c.finalized_batch_id
	JOIN batches b ON b.id = sn.batch_id
	JOIN accepted_batches ab ON ab.batch_id = sn.batch_id
	ORDER BY ab.nonce DESC LIMIT 1`

// latestSQL selects the snapshot of the valid sealed batch with the highest
// nonce: the newest pending one if any, else the finalized one.
const latestSQL = `SELECT sn.batch_id, b.nonce, %s, sn.l2_tx_index,
	       coalesce((SELECT max(ab.block_number) FROM accepted_batches ab WHERE ab.batch_id = b.id), 0)
	FROM snapshots sn
	JOIN batches b ON b.id = sn.batch_id
	WHERE b.invalidated_at IS NULL AND b.sealed_at IS NOT NULL
	ORDER BY b.nonce DESC LIMIT 1`

// FinalizedSnapshot returns the snapshot the rollup has accepted on L1 (the
// one control.finalized_batch_id points to), with its state bytes; ok is
// false when there is none yet.
func (r *SnapshotReader) FinalizedSnapshot(ctx context.Context) (Snapshot, bool, error) {
	return r.read(ctx, fmt.Sprintf(finalizedSQL, "sn.state"), "finalized snapshot")
}

// FinalizedSnapshotInfo is FinalizedSnapshot without the state bytes (State
// is nil), for routes that only need its position.
func (r *SnapshotReader) FinalizedSnapshotInfo(ctx context.Context) (Snapshot, bool, error) {
	return r.read(ctx, fmt.Sprintf(finalizedSQL, "NULL::bytea"), "finalized snapshot info")
}

// LatestSnapshot returns the newest snapshot of a valid batch (pending if
// any, else the finalized one), with its state bytes; InclusionBlock is 0
// when the rollup has not accepted that batch yet. ok is false when no
// snapshot exists.
func (r *SnapshotReader) LatestSnapshot(ctx context.Context) (Snapshot, bool, error) {
	return r.read(ctx, fmt.Sprintf(latestSQL, "sn.state"), "latest snapshot")
}

func (r *SnapshotReader) read(ctx context.Context, sql, what string) (Snapshot, bool, error) {
	var s Snapshot
	tx, err := r.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return s, false, fmt.Errorf("begin %s read: %w", what, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	var nonce, l2, block int64
	err = tx.QueryRow(ctx, sql).Scan(&s.BatchID, &nonce, &s.State, &l2, &block)
	if errors.Is(err, pgx.ErrNoRows) {
		return Snapshot{}, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("read %s: %w", what, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return s, false, fmt.Errorf("end %s read: %w", what, err)
	}
	s.BatchNonce, s.L2TxIndex, s.InclusionBlock = uint64(nonce), uint64(l2), uint64(block)
	return s, true, nil
}
