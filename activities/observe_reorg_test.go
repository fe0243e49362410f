package activities

import (
	"context"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/cartesi/sequencer/internal/anviltest"
	"github.com/cartesi/sequencer/l1"
	"github.com/cartesi/sequencer/l1/bindings"
	"github.com/cartesi/sequencer/workflows"
)

// TestObserveDetectsAReorgBelowTheSafeBlock rewrites, on a real anvil, the
// block of an input the observer already stored as safe (evm_revert, then a
// different input at the same index). The input count does not change, so
// only the observer's re-read of the last stored block can see it: the
// observation must fail as divergence, recorded in the database. An
// unchanged chain re-read the same way is a no-op.
func TestObserveDetectsAReorgBelowTheSafeBlock(t *testing.T) {
	ctx := context.Background()
	acts, _, pool, a := setup(t)
	eth := ethclient.NewClient(a.RPC())
	box, err := acts.Reader.(*l1.Reader).ResolveInputBox(ctx, acts.App)
	require.NoError(t, err)
	inputBox, err := bindings.NewInputBoxTransactor(box, eth)
	require.NoError(t, err)
	opts, err := bind.NewKeyedTransactorWithChainID(anviltest.Key(2), new(big.Int).SetUint64(anviltest.ChainID))
	require.NoError(t, err)
	addInput := func(payload string) {
		t.Helper()
		_, err := inputBox.AddInput(opts, acts.App, []byte(payload))
		require.NoError(t, err)            // automine: included at once
		require.NoError(t, a.Mine(ctx, 8)) // and below the safe block
	}
	observe := func() (workflows.ObserveResult, error) {
		return call[workflows.ObserveResult](t, acts.Observe)
	}

	addInput("first")
	addInput("second")
	res, err := observe()
	require.NoError(t, err)
	require.Equal(t, 2, res.InputsAdded)

	// Unchanged chain: the count shortcut with the re-read, then a new
	// input with it. The re-read inputs match: nothing happens.
	require.NoError(t, a.Mine(ctx, 2))
	res, err = observe()
	require.NoError(t, err)
	require.Zero(t, res.InputsAdded)
	beforeThird, err := a.Snapshot(ctx)
	require.NoError(t, err)
	addInput("third")
	res, err = observe()
	require.NoError(t, err)
	require.Equal(t, 1, res.InputsAdded)

	// Rewrite history from before "third": another input at the same index
	// in the same block, so the count at the safe block is the stored one.
	require.NoError(t, a.Revert(ctx, beforeThird))
	addInput("third, rewritten")
	require.NoError(t, a.Mine(ctx, 4)) // past the stored safe block
	_, err = observe()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "got %v", err)
	require.Equal(t, workflows.ErrTypeDivergence, appErr.Type())
	var divergence *string
	require.NoError(t, pool.QueryRow(ctx, `SELECT divergence FROM control`).Scan(&divergence))
	require.NotNil(t, divergence)
	require.Contains(t, *divergence, "safe input 2")
	require.Contains(t, *divergence, "payload hash")
}
