package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Errors of the recovery role.
var (
	// ErrLaneHoldsLock: the inclusion lane has not released the writer lock
	// yet (it does within a poll interval of the fence). Retry.
	ErrLaneHoldsLock = errors.New("the inclusion lane still holds the writer lock")
	// ErrCascadeRunning: an earlier attempt's cascade transaction is still
	// open (its worker timed out or died, and the server has not rolled it
	// back yet). Retry: the next attempt reports what it committed, or does
	// the work if it rolled back.
	ErrCascadeRunning = errors.New("an earlier attempt of the cascade is still running; retry when it has committed or rolled back")
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

// cascadeLockKey serialises cascade attempts. A cascade takes it before the
// lane's lock, in the same transaction, so a second attempt that meets the
// first one's open transaction learns exactly that, never a misleading
// "the lane holds the writer lock".
const cascadeLockKey int64 = 0x5e9_ca5c

// Fence puts the control row in recovery mode: the lane closes intake and
// releases the writer lock. Going from normal to recovering opens a new fence
// epoch (the database counts it): "this recovery" from here to the resume.
// Idempotent: a repeated fence keeps the epoch.
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

// CascadeResult reports what the cascade of the current recovery did. It is
// read back from the cascade's record (recovery_cascades), written in the
// cascade's own transaction, so it is what committed — whichever attempt
// committed it.
type CascadeResult struct {
	NoOp           bool   // nothing to invalidate in this recovery
	PivotNonce     uint64 // the first invalidated batch's nonce (= the new tip's)
	Invalidated    int64  // batches invalidated
	InvalidatedOps int64  // user ops in them: soft confirmations revoked
	Generation     uint64 // the recovery generation after the cascade
	Redrained      int    // direct inputs sequenced again into the new tip
	NewTipID       int64
	SafeBlock      uint64 // the new tip's first frame's safe block
	FlushBlock     uint64 // the flush it followed (0: tip only)
	Fence          uint64 // the fence epoch of the recovery it belongs to
	// Earlier: an earlier attempt of this recovery committed the cascade;
	// this one found its record and changed nothing.
	Earlier bool
	At      time.Time // when the cascade's transaction began (zero for a no-op)
}

// Cascade invalidates the pivot — the first valid sealed batch the rollup
// has not accepted, or, when there is none, the open batch if it is in
// danger — and every later valid batch; bumps the recovery generation once;
// opens a new tip whose parent is the last surviving batch (so its nonce is
// the one the rollup expects) with its first frame at the current safe head;
// sequences again, with new offsets, every safe direct input no surviving
// frame drained; and records what it did under the current fence epoch. One
// transaction, which first re-checks its preconditions: the fence is set, no
// divergence is recorded, the lane does not hold the writer lock, the safe
// head reached the flush block, and the watermark did not move since the
// flush.
//
// Cost: proportional to the rows it changes (set-based statements; the
// deferred suffix check is index-driven since migration 0002): 5,000 batches
// take 0.2–1 s on a busy two-core machine.
//
// Idempotent, and safe to retry at any point: attempts serialise on a
// cascade lock taken first (ErrCascadeRunning while an earlier attempt's
// transaction is still open); an attempt that finds this recovery's record
// (same fence epoch) returns it with Earlier set and changes nothing; one
// after a rollback does the work. Outside a recovery that already cascaded,
// a repeat finds a fresh tip that is not in danger and is a no-op.
func (r *Recovery) Cascade(ctx context.Context, req CascadeRequest) (CascadeResult, error) {
	var res CascadeResult
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("begin cascade: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	if err := tryXactLock(ctx, tx, cascadeLockKey, ErrCascadeRunning); err != nil {
		return res, err
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
	var fence int64
	if err := tx.QueryRow(ctx, `SELECT recovery_fence FROM control`).Scan(&fence); err != nil {
		return res, fmt.Errorf("read the fence epoch: %w", err)
	}
	switch done, found, err := cascadeOfFence(ctx, tx, fence); {
	case err != nil:
		return res, err
	case found:
		done.Earlier = true
		return done, nil
	}
	if err := tryXactLock(ctx, tx, laneLockKey, ErrLaneHoldsLock); err != nil {
		return res, err
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
			res.NoOp, res.Generation, res.Fence = true, ctl.Generation, uint64(fence)
			return res, tx.Commit(ctx)
		}
		pivot = tip
	}

	// One statement for the whole suffix, counting the revoked user ops
	// through the user_ops_batch index: cost follows the rows changed.
	var invalidated, ops int64
	if err := tx.QueryRow(ctx, `WITH inv AS (
			UPDATE batches SET invalidated_at = now() WHERE invalidated_at IS NULL AND nonce >= $1 RETURNING id)
		SELECT (SELECT count(*) FROM inv), (SELECT count(*) FROM user_ops u JOIN inv ON u.batch_id = inv.id)`,
		int64(pivot.Nonce)).Scan(&invalidated, &ops); err != nil {
		return res, fmt.Errorf("invalidate from batch %d: %w", pivot.Nonce, err)
	}
	var generation int64
	if err := tx.QueryRow(ctx, `UPDATE control SET recovery_generation = recovery_generation + 1
		RETURNING recovery_generation`).Scan(&generation); err != nil {
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
	var tipID int64
	if err := tx.QueryRow(ctx, `WITH nb AS (INSERT INTO batches (parent_id, nonce, generation) VALUES ($1, $2, $3) RETURNING id)
		INSERT INTO frames (batch_id, position, safe_block, fee) SELECT id, 0, $4, $5 FROM nb RETURNING batch_id`,
		parent, int64(pivot.Nonce), generation, int64(head.Block), fee).Scan(&tipID); err != nil {
		return res, fmt.Errorf("open the new tip: %w", err)
	}
	// Re-drain: every safe direct input up to the safe head that no valid
	// frame holds, in InputBox order, with fresh offsets.
	tag, err := tx.Exec(ctx, `INSERT INTO sequenced_l2_txs ("offset", batch_id, frame_position, kind, safe_input_index)
		SELECT (SELECT coalesce(max("offset"), 0) FROM sequenced_l2_txs) + row_number() OVER (ORDER BY i.input_index),
			$1, 0, 'direct_input', i.input_index
		FROM safe_inputs i
		WHERE i.block_number <= $2 AND i.sender <> $3
		  AND NOT EXISTS (SELECT 1 FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id
		                  WHERE s.safe_input_index = i.input_index AND b.invalidated_at IS NULL)
		ORDER BY i.input_index`, tipID, int64(head.Block), req.Submitter.Bytes())
	if err != nil {
		return res, fmt.Errorf("re-drain direct inputs: %w", err)
	}
	var flushBlock *int64
	if req.Flushed {
		b := int64(req.FlushBlock)
		flushBlock = &b
	}
	if _, err := tx.Exec(ctx, `INSERT INTO recovery_cascades (generation, recovery_fence, pivot_nonce, pivot_batch_id,
			new_tip_id, safe_block, flush_block, invalidated_batches, invalidated_ops, redrained_inputs)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		generation, fence, int64(pivot.Nonce), pivot.ID, tipID, int64(head.Block), flushBlock, invalidated, ops,
		tag.RowsAffected()); err != nil {
		return res, fmt.Errorf("record the cascade: %w", err)
	}
	// Read back what the record says, so this attempt and any later one
	// report the same thing, from the same place.
	res, found, err := cascadeOfFence(ctx, tx, fence)
	switch {
	case err != nil:
		return res, err
	case !found:
		return res, fmt.Errorf("the cascade record of fence %d vanished", fence)
	}
	if err := tx.Commit(ctx); err != nil {
		return CascadeResult{}, fmt.Errorf("commit cascade: %w", err)
	}
	return res, nil
}

// tryXactLock takes a transaction-scoped advisory lock without waiting;
// busy is the error when another session holds it.
func tryXactLock(ctx context.Context, tx pgx.Tx, key int64, busy error) error {
	var locked bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, key).Scan(&locked); err != nil {
		return fmt.Errorf("take advisory lock %#x: %w", key, err)
	}
	if !locked {
		return busy
	}
	return nil
}

const cascadeColumns = `generation, recovery_fence, pivot_nonce, new_tip_id, safe_block, coalesce(flush_block, 0),
	invalidated_batches, invalidated_ops, redrained_inputs, created_at`

func scanCascade(row pgx.Row) (CascadeResult, error) {
	var (
		c                                                     CascadeResult
		generation, fence, pivot, safeBlock, flush, redrained int64
	)
	err := row.Scan(&generation, &fence, &pivot, &c.NewTipID, &safeBlock, &flush, &c.Invalidated, &c.InvalidatedOps,
		&redrained, &c.At)
	c.Generation, c.Fence, c.PivotNonce, c.SafeBlock, c.FlushBlock = uint64(generation), uint64(fence), uint64(pivot),
		uint64(safeBlock), uint64(flush)
	c.Redrained = int(redrained)
	return c, err
}

// cascadeOfFence returns the cascade recorded under fence epoch fence, if
// any.
func cascadeOfFence(ctx context.Context, q queryer, fence int64) (CascadeResult, bool, error) {
	c, err := scanCascade(q.QueryRow(ctx, `SELECT `+cascadeColumns+` FROM recovery_cascades WHERE recovery_fence = $1`, fence))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return CascadeResult{}, false, nil
	case err != nil:
		return CascadeResult{}, false, fmt.Errorf("read the cascade record of fence %d: %w", fence, err)
	}
	return c, true, nil
}

// LastCascade returns the newest recorded cascade (found false when no
// recovery has cascaded since migration 0002). Read-only; for `recovery
// status`, which must not depend on the workflow's own counters.
func (r *Recovery) LastCascade(ctx context.Context) (CascadeResult, bool, error) {
	c, err := scanCascade(r.pool.QueryRow(ctx, `SELECT `+cascadeColumns+` FROM recovery_cascades ORDER BY generation DESC LIMIT 1`))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return CascadeResult{}, false, nil
	case err != nil:
		return CascadeResult{}, false, fmt.Errorf("read the last cascade: %w", err)
	}
	return c, true, nil
}
