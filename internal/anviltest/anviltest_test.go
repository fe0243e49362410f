package anviltest_test

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/anviltest"
)

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestDevKeysAreAnvilAccounts(t *testing.T) {
	t.Parallel()
	a := anviltest.Start(t, anviltest.Options{})
	ctx := ctxFor(t)
	var accounts []common.Address
	require.NoError(t, a.RPC().CallContext(ctx, &accounts, "eth_accounts"))
	require.Len(t, accounts, len(anviltest.DevKeys))
	for i := range anviltest.DevKeys {
		require.Equal(t, accounts[i], anviltest.Address(i))
	}
	id, err := a.EthClient(t).ChainID(ctx)
	require.NoError(t, err)
	require.Equal(t, anviltest.ChainID, id.Uint64())
}

func TestMineSafeAndSnapshots(t *testing.T) {
	t.Parallel()
	a := anviltest.Start(t, anviltest.Options{})
	ctx := ctxFor(t)
	eth := a.EthClient(t)
	snap, err := a.Snapshot(ctx)
	require.NoError(t, err)
	require.NoError(t, a.Mine(ctx, 70))
	n, err := a.BlockNumber(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 70, n)
	safe, err := eth.HeaderByNumber(ctx, big.NewInt(-4)) // "safe"
	require.NoError(t, err)
	require.EqualValues(t, 70-anviltest.SafeDistance, safe.Number.Uint64())
	fin, err := eth.HeaderByNumber(ctx, big.NewInt(-3)) // "finalized"
	require.NoError(t, err)
	require.EqualValues(t, 70-anviltest.FinalizedDistance, fin.Number.Uint64())
	require.NoError(t, a.Revert(ctx, snap))
	n, err = a.BlockNumber(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestMempoolControl(t *testing.T) {
	t.Parallel()
	a := anviltest.Start(t, anviltest.Options{NoMining: true})
	ctx := ctxFor(t)
	eth := a.EthClient(t)
	from := anviltest.Address(1)
	signer := types.LatestSignerForChainID(new(big.Int).SetUint64(anviltest.ChainID))
	tx, err := types.SignNewTx(anviltest.Key(1), signer, &types.DynamicFeeTx{
		ChainID: new(big.Int).SetUint64(anviltest.ChainID), Nonce: 0, Gas: 21000,
		GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(10e9), To: &from, Value: big.NewInt(0),
	})
	require.NoError(t, err)
	require.NoError(t, eth.SendTransaction(ctx, tx))

	// Captured while pending, dropped, re-injected.
	raws, err := a.PendingRawTransactions(ctx, &from)
	require.NoError(t, err)
	require.Len(t, raws, 1)
	other := anviltest.Address(2)
	none, err := a.PendingRawTransactions(ctx, &other)
	require.NoError(t, err)
	require.Empty(t, none)
	require.NoError(t, a.DropTransaction(ctx, tx.Hash()))
	hashes, err := a.PendingTransactionHashes(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, hashes)
	h, err := a.SendRawTransaction(ctx, raws[0])
	require.NoError(t, err)
	require.Equal(t, tx.Hash(), h)

	require.NoError(t, a.Mine(ctx, 1))
	rcpt, err := eth.TransactionReceipt(ctx, tx.Hash())
	require.NoError(t, err)
	require.EqualValues(t, 1, rcpt.BlockNumber.Uint64())
	raw, err := a.RawTransaction(ctx, tx.Hash())
	require.NoError(t, err)
	require.Equal(t, raws[0], raw)

	// Automine on: the next transaction mines by itself.
	require.NoError(t, a.SetAutomine(ctx, true))
	tx2, err := types.SignNewTx(anviltest.Key(1), signer, &types.DynamicFeeTx{
		ChainID: new(big.Int).SetUint64(anviltest.ChainID), Nonce: 1, Gas: 21000,
		GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(10e9), To: &from, Value: big.NewInt(0),
	})
	require.NoError(t, err)
	require.NoError(t, eth.SendTransaction(ctx, tx2))
	require.Eventually(t, func() bool {
		_, err := eth.TransactionReceipt(ctx, tx2.Hash())
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
}

func TestBlockTime(t *testing.T) {
	t.Parallel()
	a := anviltest.Start(t, anviltest.Options{BlockTime: time.Second})
	ctx := ctxFor(t)
	require.Eventually(t, func() bool {
		n, err := a.BlockNumber(ctx)
		require.NoError(t, err)
		return n >= 1
	}, 5*time.Second, 50*time.Millisecond)
}

func TestKillIsIdempotent(t *testing.T) {
	t.Parallel()
	a := anviltest.Start(t, anviltest.Options{Args: []string{"--gas-limit", "60000000"}})
	ctx := ctxFor(t)
	hdr, err := a.EthClient(t).HeaderByNumber(ctx, nil)
	require.NoError(t, err)
	require.EqualValues(t, 60_000_000, hdr.GasLimit)
	a.Kill()
	a.Kill()
	_, err = a.BlockNumber(ctx)
	require.Error(t, err)
}

func TestBinaryFound(t *testing.T) {
	t.Parallel()
	bin, err := anviltest.Binary()
	require.NoError(t, err)
	require.FileExists(t, bin)
}

func TestStopWritesState(t *testing.T) {
	t.Parallel()
	state := t.TempDir() + "/state.json"
	a := anviltest.Start(t, anviltest.Options{Args: []string{"--state", state}})
	ctx := ctxFor(t)
	require.NoError(t, a.Mine(ctx, 5))
	a.Stop(10 * time.Second)
	require.FileExists(t, state)

	b := anviltest.Start(t, anviltest.Options{Args: []string{"--state", state}})
	n, err := b.BlockNumber(ctxFor(t))
	require.NoError(t, err)
	require.EqualValues(t, 5, n)
}
