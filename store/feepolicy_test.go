package store

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFeePolicyStep: a step moves log_gas_price toward the target by at
// most maxStep, from the stored value (an operator's edit included), writes
// nothing when it would not change, and the lane's derived recommendation
// follows it.
func TestFeePolicyStep(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	fp := NewFeePolicy(pool)
	recommended := func() int {
		var v int
		require.NoError(t, pool.QueryRow(ctx, `SELECT recommended_fee FROM batch_policy_derived`).Scan(&v))
		return v
	}
	base := recommended() // log_gas_price is 0 in a fresh database
	steps := []struct {
		target, maxStep int
		want            LogGasPriceStep
	}{
		{250, 100, LogGasPriceStep{Before: 0, After: 100, Clamped: true}},
		{250, 100, LogGasPriceStep{Before: 100, After: 200, Clamped: true}},
		{250, 100, LogGasPriceStep{Before: 200, After: 250}},
		{250, 100, LogGasPriceStep{Before: 250, After: 250}}, // no change
		{-500, 100, LogGasPriceStep{Before: 250, After: 150, Clamped: true}},
		{140, 100, LogGasPriceStep{Before: 150, After: 140}},
	}
	for i, s := range steps {
		got, err := fp.StepLogGasPrice(ctx, s.target, s.maxStep)
		require.NoError(t, err, "step %d", i)
		require.Equal(t, s.want, got, "step %d", i)
		v, err := fp.LogGasPrice(ctx)
		require.NoError(t, err)
		require.Equal(t, s.want.After, v)
		require.Equal(t, base+s.want.After, recommended(), "the derived recommendation follows")
	}

	// An operator's edit is where the next step starts from.
	_, err := pool.Exec(ctx, `UPDATE batch_policy SET log_gas_price = 1000`)
	require.NoError(t, err)
	got, err := fp.StepLogGasPrice(ctx, 140, 100)
	require.NoError(t, err)
	require.Equal(t, LogGasPriceStep{Before: 1000, After: 900, Clamped: true}, got)

	// A write of the stored value leaves updated_at alone (idempotent).
	var before, after string
	require.NoError(t, pool.QueryRow(ctx, `SELECT updated_at::text FROM batch_policy`).Scan(&before))
	changed, err := fp.SetLogGasPrice(ctx, 900)
	require.NoError(t, err)
	require.False(t, changed)
	require.NoError(t, pool.QueryRow(ctx, `SELECT updated_at::text FROM batch_policy`).Scan(&after))
	require.Equal(t, before, after)
	changed, err = fp.SetLogGasPrice(ctx, 0)
	require.NoError(t, err)
	require.True(t, changed)
	require.Equal(t, base, recommended())

	_, err = fp.StepLogGasPrice(ctx, 10, 0)
	require.Error(t, err)
}
