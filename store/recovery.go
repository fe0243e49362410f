package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Errors of the recovery role.
var (
	// ErrLaneHoldsLock: the inclusion lane has not released the writer lock
	// yet (it does within a poll interval of the fence). Retry.
	ErrLaneHoldsLock = errors.New("the inclusion lane still holds the writer lock")
	// ErrWatermarkMoved: a broadcast raised the wallet-nonce watermark after
	// the flush: the flush must run again before anything is invalidated.
	ErrWatermarkMoved = errors.New("wallet nonce watermark moved since the flush")
	// ErrNotSynced: the reader has not reached the flush block yet. Retry.
	ErrNotSynced = errors.New("safe head below the flush block")
	// ErrNotFenced: the control row is not in recovery mode.
	ErrNotFenced = errors.New("recovery fence not set")
)

// Recovery is the recovery workflow's writer role: the fence, the cascade
// and the resume. Safe for concurrent use.
type Recovery struct {
	pool *pgxpool.Pool
}

// NewRecovery returns the recovery store.
func NewRecovery(pool *pgxpool.Pool) *Recovery { return &Recovery{pool: pool} }

// Fence puts the control row in recovery mode: the lane closes intake and
// releases the writer lock. Idempotent.
func (r *Recovery) Fence(ctx context.Context) error {
	if _, err := r.pool.Exec(ctx, `UPDATE control SET mode = 'recovering'`); err != nil {
		return fmt.Errorf("set recovery fence: %w", err)
	}
	return nil
}

// Resume returns the control row to normal mode: the lane rebuilds and
// reopens intake. Idempotent.
func (r *Recovery) Resume(ctx context.Context) error {
	if _, err := r.pool.Exec(ctx, `UPDATE control SET mode = 'normal'`); err != nil {
		return fmt.Errorf("clear recovery fence: %w", err)
	}
	return nil
}

// Assessment is what recovery finds in the database.
type Assessment struct {
	Control  Control
	SafeHead SafeHead
	// Pivot is the first valid sealed batch the rollup has not accepted, nil
	// when none.
	Pivot *BatchRef
	// PivotFirstSafeBlock is that batch's first frame's safe block.
	PivotFirstSafeBlock uint64
	// Tip is the open batch, nil when none; TipFirstSafeBlock its first
	// frame's safe block.
	Tip               *BatchRef
	TipFirstSafeBlock uint64
	Watermark         uint64
	HasWatermark      bool
}

// Assess reads the recovery's inputs in one read-only transaction.
func (r *Recovery) Assess(ctx context.Context) (Assessment, error) {
	var a Assessment
	tx, err := r.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return a, fmt.Errorf("begin assessment: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	if a.Control, err = readControl(ctx, tx); err != nil {
		return a, err
	}
	if a.SafeHead, err = readSafeHead(ctx, tx); err != nil {
		return a, err
	}
	if a.Pivot, a.PivotFirstSafeBlock, err = firstFrameBatch(ctx, tx, unacceptedSealed); err != nil {
		return a, err
	}
	if a.Tip, a.TipFirstSafeBlock, err = firstFrameBatch(ctx, tx, openTip); err != nil {
		return a, err
	}
	var mark int64
	switch err := tx.QueryRow(ctx, `SELECT nonce FROM wallet_nonce_watermark`).Scan(&mark); {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return a, fmt.Errorf("read watermark: %w", err)
	default:
		a.Watermark, a.HasWatermark = uint64(mark), true
	}
	return a, nil
}

// Conditions for firstFrameBatch: the first valid sealed batch the rollup
// has not accepted (the pivot), and the valid open batch (the tip).
const (
	unacceptedSealed = `b.sealed_at IS NOT NULL
		AND b.nonce >= (SELECT coalesce(max(nonce) + 1, 0) FROM accepted_batches) ORDER BY b.nonce LIMIT 1`
	openTip = `b.sealed_at IS NULL`
)

// firstFrameBatch returns the valid batch matching where (a condition on b,
// with any ORDER BY / LIMIT / FOR clause) and its first frame's safe block;
// nil when there is none.
func firstFrameBatch(ctx context.Context, tx pgx.Tx, where string) (*BatchRef, uint64, error) {
	var (
		ref          BatchRef
		nonce, first int64
	)
	err := tx.QueryRow(ctx, `SELECT b.id, b.nonce, f.safe_block FROM batches b
		JOIN frames f ON f.batch_id = b.id AND f.position = 0
		WHERE b.invalidated_at IS NULL AND `+where).Scan(&ref.ID, &nonce, &first)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read batch: %w", err)
	}
	ref.Nonce = uint64(nonce)
	return &ref, uint64(first), nil
}

// CascadeRequest are the cascade's preconditions.
type CascadeRequest struct {
	// FlushBlock is the safe block at which the mempool flush completed (0
	// for a tip-only repair, which needs no flush).
	FlushBlock uint64
	// Flushed says a mempool flush ran; FlushedWatermark is the watermark it
	// covered (nil: none existed then). A higher watermark now — or one where
	// there was none — means a broadcast happened since: the cascade refuses.
	Flushed          bool
	FlushedWatermark *uint64
	// InDanger is the danger line in blocks (MAX_WAIT_BLOCKS − margin): the
	// open batch is a pivot only when its first frame is that old.
	InDanger uint64
	// Submitter is the batch submitter's address: its inputs are not
	// drained.
	Submitter common.Address
}

// CascadeResult reports what the cascade did.
type CascadeResult struct {
	NoOp        bool   // nothing to invalidate
	PivotNonce  uint64 // the first invalidated batch's nonce (= the new tip's)
	Invalidated int64  // batches invalidated
	Generation  uint64 // the recovery generation after the cascade
	Redrained   int    // direct inputs sequenced again into the new tip
	NewTipID    int64
}

// Cascade invalidates the pivot — the first valid sealed batch the rollup
// has not accepted, or, when there is none, the open batch if it is in
// danger — and every later valid batch; bumps the recovery generation once;
// opens a new tip whose parent is the last surviving batch (so its nonce is
// the one the rollup expects) with its first frame at the current safe head;
// and sequences again, with new offsets, every safe direct input no
// surviving frame drained. One transaction, which first re-checks its
// preconditions: the fence is set, the lane does not hold the writer lock,
// no divergence is recorded, the safe head reached the flush block, and the
// watermark did not move since the flush. Idempotent: a repeated cascade finds
// a fresh tip that is not in danger and changes nothing.
func (r *Recovery) Cascade(ctx context.Context, req CascadeRequest) (CascadeResult, error) {
	var res CascadeResult
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("begin cascade: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	var locked bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, laneLockKey).Scan(&locked); err != nil {
		return res, fmt.Errorf("take the writer lock: %w", err)
	}
	if !locked {
		return res, ErrLaneHoldsLock
	}
	ctl, err := readControl(ctx, tx)
	if err != nil {
		return res, err
	}
	switch {
	case ctl.Divergence != "":
		return res, fmt.Errorf("%w: %s", ErrDivergence, ctl.Divergence)
	case !ctl.Recovering():
		return res, ErrNotFenced
	}
	head, err := readSafeHead(ctx, tx)
	if err != nil {
		return res, err
	}
	if !head.Known || head.Block < req.FlushBlock {
		return res, fmt.Errorf("%w: safe head %d, flush block %d", ErrNotSynced, head.Block, req.FlushBlock)
	}
	if req.Flushed {
		var mark int64
		err := tx.QueryRow(ctx, `SELECT nonce FROM wallet_nonce_watermark FOR UPDATE`).Scan(&mark)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return res, fmt.Errorf("read watermark: %w", err)
		case req.FlushedWatermark == nil:
			return res, fmt.Errorf("%w: none at the flush, %d now", ErrWatermarkMoved, mark)
		case uint64(mark) > *req.FlushedWatermark:
			return res, fmt.Errorf("%w: %d > %d", ErrWatermarkMoved, mark, *req.FlushedWatermark)
		}
	}

	pivot, _, err := firstFrameBatch(ctx, tx, unacceptedSealed+` FOR UPDATE OF b`)
	if err != nil {
		return res, err
	}
	if pivot == nil {
		tip, tipFirst, err := firstFrameBatch(ctx, tx, openTip+` FOR UPDATE OF b`)
		if err != nil {
			return res, err
		}
		if tip == nil || head.Block < tipFirst || head.Block-tipFirst < req.InDanger {
			res.NoOp, res.Generation = true, ctl.Generation
			return res, tx.Commit(ctx)
		}
		pivot = tip
	}
	res.PivotNonce = pivot.Nonce

	tag, err := tx.Exec(ctx, `UPDATE batches SET invalidated_at = now() WHERE invalidated_at IS NULL AND nonce >= $1`,
		int64(pivot.Nonce))
	if err != nil {
		return res, fmt.Errorf("invalidate from batch %d: %w", pivot.Nonce, err)
	}
	res.Invalidated = tag.RowsAffected()
	if err := tx.QueryRow(ctx, `UPDATE control SET recovery_generation = recovery_generation + 1
		RETURNING recovery_generation`).Scan(&res.Generation); err != nil {
		return res, fmt.Errorf("bump recovery generation: %w", err)
	}

	var parent *int64
	if pivot.Nonce > 0 {
		var id int64
		if err := tx.QueryRow(ctx, `SELECT id FROM batches WHERE invalidated_at IS NULL AND nonce = $1`,
			int64(pivot.Nonce-1)).Scan(&id); err != nil {
			return res, fmt.Errorf("find the last surviving batch %d: %w", pivot.Nonce-1, err)
		}
		parent = &id
	}
	policy, err := readPolicy(ctx, tx)
	if err != nil {
		return res, err
	}
	fee := int(policy.FrameFee())
	if err := tx.QueryRow(ctx, `WITH nb AS (INSERT INTO batches (parent_id, nonce, generation) VALUES ($1, $2, $3) RETURNING id)
		INSERT INTO frames (batch_id, position, safe_block, fee) SELECT id, 0, $4, $5 FROM nb RETURNING batch_id`,
		parent, int64(pivot.Nonce), int64(res.Generation), int64(head.Block), fee).Scan(&res.NewTipID); err != nil {
		return res, fmt.Errorf("open the new tip: %w", err)
	}
	// Re-drain: every safe direct input up to the safe head that no valid
	// frame holds, in InputBox order, with fresh offsets.
	tag, err = tx.Exec(ctx, `INSERT INTO sequenced_l2_txs ("offset", batch_id, frame_position, kind, safe_input_index)
		SELECT (SELECT coalesce(max("offset"), 0) FROM sequenced_l2_txs) + row_number() OVER (ORDER BY i.input_index),
			$1, 0, 'direct_input', i.input_index
		FROM safe_inputs i
		WHERE i.block_number <= $2 AND i.sender <> $3
		  AND NOT EXISTS (SELECT 1 FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id
		                  WHERE s.safe_input_index = i.input_index AND b.invalidated_at IS NULL)
		ORDER BY i.input_index`, res.NewTipID, int64(head.Block), req.Submitter.Bytes())
	if err != nil {
		return res, fmt.Errorf("re-drain direct inputs: %w", err)
	}
	res.Redrained = int(tag.RowsAffected())
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("commit cascade: %w", err)
	}
	return res, nil
}
