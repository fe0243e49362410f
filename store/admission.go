package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AdmissionView is what admission control (capacity.md §2) computes from:
// the L1 queue as the database sees it, read in one statement so its parts
// agree.
type AdmissionView struct {
	SafeHead SafeHead
	// SealedWaiting is the number of valid sealed batches the rollup has not
	// accepted yet; SealedBacklogOps the user ops in them.
	SealedWaiting    uint64
	SealedBacklogOps uint64
	// OldestUnacceptedFirstSafeBlock is the first frame's safe block of the
	// first valid sealed batch not accepted yet (nil when none).
	OldestUnacceptedFirstSafeBlock *uint64
	// WindowOps is the number of user ops in batches accepted at L1 blocks
	// in (safe head − window, safe head].
	WindowOps uint64
}

// Querier runs one query returning one row (a pool, a connection or a
// transaction).
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// admissionSQL costs a handful of index probes whatever the history's size:
// the newest accepted batch (accepted_batches primary key, backwards), the
// newest valid sealed batch (batches_valid_nonce, backwards: the first row is
// the open tip, the second the newest sealed), the last batch accepted at or
// before the window's start (accepted_batches_block), each joined to its
// batch by primary key for ops_through, and the oldest unaccepted batch by
// nonce. See migrations/0003_admission.sql for why the subtraction of
// ops_through values counts ops.
const admissionSQL = `WITH
	head AS (SELECT block_number, block_timestamp, last_advance_at FROM l1_safe_head),
	acc AS (SELECT a.nonce, b.ops_through FROM accepted_batches a JOIN batches b ON b.id = a.batch_id
		ORDER BY a.nonce DESC LIMIT 1),
	sealed AS (SELECT nonce, ops_through FROM batches WHERE invalidated_at IS NULL AND sealed_at IS NOT NULL
		ORDER BY nonce DESC LIMIT 1),
	before AS (SELECT b.ops_through FROM accepted_batches a JOIN batches b ON b.id = a.batch_id
		WHERE a.block_number <= (SELECT block_number FROM head) - $1::bigint
		ORDER BY a.block_number DESC, a.nonce DESC LIMIT 1)
SELECT
	(SELECT block_number FROM head), (SELECT block_timestamp FROM head), (SELECT last_advance_at FROM head),
	coalesce((SELECT nonce FROM acc), -1), coalesce((SELECT ops_through FROM acc), 0),
	coalesce((SELECT nonce FROM sealed), -1), coalesce((SELECT ops_through FROM sealed), 0),
	coalesce((SELECT ops_through FROM before), 0),
	(SELECT f.safe_block FROM batches b JOIN frames f ON f.batch_id = b.id AND f.position = 0
		WHERE b.invalidated_at IS NULL AND b.sealed_at IS NOT NULL
			AND b.nonce = coalesce((SELECT nonce FROM acc), -1) + 1)`

// ReadAdmissionView reads the admission inputs with a posting window of
// windowBlocks. Read-only; safe to call from any goroutine with its own q.
func ReadAdmissionView(ctx context.Context, q Querier, windowBlocks uint64) (AdmissionView, error) {
	var (
		v                                   AdmissionView
		headBlock, headTS                   *int64
		lastAdvance                         *time.Time
		accNonce, accThrough                int64
		sealedNonce, sealedThrough, through int64
		oldest                              *int64
	)
	err := q.QueryRow(ctx, admissionSQL, int64(windowBlocks)).Scan(&headBlock, &headTS, &lastAdvance,
		&accNonce, &accThrough, &sealedNonce, &sealedThrough, &through, &oldest)
	if err != nil {
		return v, fmt.Errorf("read admission view: %w", err)
	}
	if headBlock != nil {
		v.SafeHead = SafeHead{Known: true, Block: uint64(*headBlock), Timestamp: uint64(*headTS), LastAdvance: *lastAdvance}
	}
	if sealedNonce > accNonce {
		v.SealedWaiting = uint64(sealedNonce - accNonce)
		v.SealedBacklogOps = uint64(max(sealedThrough-accThrough, 0))
	}
	v.WindowOps = uint64(max(accThrough-through, 0))
	if oldest != nil {
		b := uint64(*oldest)
		v.OldestUnacceptedFirstSafeBlock = &b
	}
	return v, nil
}
