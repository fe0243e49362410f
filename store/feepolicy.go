package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// FeePolicy is the fee oracle's writer of batch_policy.log_gas_price (the
// L1 gas price in the fee exponent's log space, protocol.md §5). The lane
// reads the derived recommendation at its next policy read and uses it for
// the next frame it opens. Safe for concurrent use (it uses a pool).
type FeePolicy struct {
	pool *pgxpool.Pool
}

// NewFeePolicy returns the fee policy's store.
func NewFeePolicy(pool *pgxpool.Pool) *FeePolicy { return &FeePolicy{pool: pool} }

// LogGasPriceStep is one clamped write: the stored value before it, the
// value written (equal to Before when nothing changed) and whether the
// clamp held it short of the target.
type LogGasPriceStep struct {
	Before  int
	After   int
	Clamped bool
}

// LogGasPrice reads the stored log_gas_price.
func (f *FeePolicy) LogGasPrice(ctx context.Context) (int, error) {
	var v int
	if err := f.pool.QueryRow(ctx, `SELECT log_gas_price FROM batch_policy`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read log_gas_price: %w", err)
	}
	return v, nil
}

// SetLogGasPrice writes v unconditionally (the static mode). Idempotent: a
// write of the stored value changes nothing, updated_at included.
func (f *FeePolicy) SetLogGasPrice(ctx context.Context, v int) (changed bool, err error) {
	tag, err := f.pool.Exec(ctx, `UPDATE batch_policy SET log_gas_price = $1, updated_at = now() WHERE log_gas_price <> $1`, v)
	if err != nil {
		return false, fmt.Errorf("write log_gas_price: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

// StepLogGasPrice moves log_gas_price toward target by at most maxStep
// (maxStep > 0), reading and writing in one transaction with the row
// locked, so the step is taken from the value actually stored (an
// operator's manual edit included). Writing the stored value changes
// nothing. A retry after a commit whose answer was lost takes one more
// step toward the same target, never past it.
func (f *FeePolicy) StepLogGasPrice(ctx context.Context, target, maxStep int) (LogGasPriceStep, error) {
	if maxStep <= 0 {
		return LogGasPriceStep{}, errors.New("store: fee policy step must be positive")
	}
	var s LogGasPriceStep
	err := pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT log_gas_price FROM batch_policy FOR UPDATE`).Scan(&s.Before); err != nil {
			return fmt.Errorf("read log_gas_price: %w", err)
		}
		s.After = min(max(target, s.Before-maxStep), s.Before+maxStep)
		s.Clamped = s.After != target
		if s.After == s.Before {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE batch_policy SET log_gas_price = $1, updated_at = now()`, s.After); err != nil {
			return fmt.Errorf("write log_gas_price: %w", err)
		}
		return nil
	})
	return s, err
}
