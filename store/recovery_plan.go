package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// PlannedBatch is a batch a cascade run now would invalidate.
type PlannedBatch struct {
	Nonce  uint64 `json:"nonce"`
	Sealed bool   `json:"sealed"`
	Ops    int64  `json:"user_ops"`
}

// CascadePlan is what a cascade run now would invalidate: the same pivot
// rule as Cascade (the first valid sealed batch the rollup has not
// accepted, else the open batch when it is inDanger blocks old) and every
// valid batch from it on, with the user ops whose soft confirmations it
// would revoke. A snapshot: batches sealed before the recovery fences the
// lane join the suffix.
type CascadePlan struct {
	Batches []PlannedBatch `json:"batches"`
	Ops     int64          `json:"user_ops"`
}

// PlanCascade reads what a cascade would invalidate now, in one read-only
// repeatable-read transaction. It changes nothing.
func (r *Recovery) PlanCascade(ctx context.Context, inDanger uint64) (CascadePlan, error) {
	plan := CascadePlan{Batches: []PlannedBatch{}}
	tx, err := r.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return plan, fmt.Errorf("begin cascade plan: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	pivot, _, err := firstFrameBatch(ctx, tx, unacceptedSealed)
	if err != nil {
		return plan, err
	}
	if pivot == nil {
		head, err := readSafeHead(ctx, tx)
		if err != nil {
			return plan, err
		}
		tip, tipFirst, err := firstFrameBatch(ctx, tx, openTip)
		if err != nil {
			return plan, err
		}
		if tip == nil || !head.Known || head.Block < tipFirst || head.Block-tipFirst < inDanger {
			return plan, nil
		}
		pivot = tip
	}
	rows, err := tx.Query(ctx, `SELECT b.nonce, b.sealed_at IS NOT NULL,
			(SELECT count(*) FROM user_ops u WHERE u.batch_id = b.id)
		FROM batches b WHERE b.invalidated_at IS NULL AND b.nonce >= $1 ORDER BY b.nonce`, int64(pivot.Nonce))
	if err != nil {
		return plan, fmt.Errorf("read the suffix from batch %d: %w", pivot.Nonce, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			b     PlannedBatch
			nonce int64
		)
		if err := rows.Scan(&nonce, &b.Sealed, &b.Ops); err != nil {
			return plan, fmt.Errorf("read the suffix: %w", err)
		}
		b.Nonce = uint64(nonce)
		plan.Batches = append(plan.Batches, b)
		plan.Ops += b.Ops
	}
	if err := rows.Err(); err != nil {
		return plan, fmt.Errorf("read the suffix: %w", err)
	}
	return plan, nil
}
