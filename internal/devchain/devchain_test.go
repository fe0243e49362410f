package devchain_test

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/anviltest"
	"github.com/cartesi/sequencer/internal/devchain"
	"github.com/cartesi/sequencer/l1/bindings"
)

func TestDeployFundDeposit(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a := anviltest.Start(t, anviltest.Options{})
	eth := a.EthClient(t)

	want := devchain.ExpectedAddresses(anviltest.Address(0), 0)
	ok, err := devchain.Deployed(ctx, eth, want)
	require.NoError(t, err)
	require.False(t, ok)
	addrs, err := devchain.Deploy(ctx, eth, anviltest.Key(0))
	require.NoError(t, err)
	require.Equal(t, want, addrs)
	// Well-known anvil addresses of the deployer's first nonces.
	require.Equal(t, common.HexToAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3"), addrs.InputBox)
	ok, err = devchain.Deployed(ctx, eth, addrs)
	require.NoError(t, err)
	require.True(t, ok)

	portal, err := bindings.NewERC20Portal(addrs.ERC20Portal, eth)
	require.NoError(t, err)
	box, err := portal.GetInputBox(&bind.CallOpts{Context: ctx})
	require.NoError(t, err)
	require.Equal(t, addrs.InputBox, box)
	app, err := bindings.NewApplication(addrs.App, eth)
	require.NoError(t, err)
	owner, err := app.Owner(&bind.CallOpts{Context: ctx})
	require.NoError(t, err)
	require.Equal(t, anviltest.Address(0), owner)

	token, err := bindings.NewERC20PresetFixedSupply(addrs.Token, eth)
	require.NoError(t, err)
	users := []common.Address{anviltest.Address(1), anviltest.Address(2)}
	require.NoError(t, devchain.FundTokens(ctx, eth, anviltest.Key(0), addrs, big.NewInt(1000), users...))
	for _, u := range users {
		bal, err := token.BalanceOf(&bind.CallOpts{Context: ctx}, u)
		require.NoError(t, err)
		require.EqualValues(t, 1000, bal.Int64())
	}
	for i, k := range []int{1, 2} {
		rcpt, err := devchain.Deposit(ctx, eth, anviltest.Key(k), addrs, big.NewInt(int64(100*(i+1))))
		require.NoError(t, err)
		require.NotEmpty(t, rcpt.Logs)
	}
	inputBox, err := bindings.NewInputBox(addrs.InputBox, eth)
	require.NoError(t, err)
	n, err := inputBox.GetNumberOfInputs(&bind.CallOpts{Context: ctx}, addrs.App)
	require.NoError(t, err)
	require.EqualValues(t, 2, n.Int64())
	appBalance, err := token.BalanceOf(&bind.CallOpts{Context: ctx}, addrs.App)
	require.NoError(t, err)
	require.EqualValues(t, 300, appBalance.Int64())
}
