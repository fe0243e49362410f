// Package devchain deploys the L1 contracts that tests and the dev stack use
// on a development chain (anvil) and moves test tokens around:
//
//   - the Cartesi rollups InputBox;
//   - an ERC-20 test token (OpenZeppelin ERC20PresetFixedSupply, the whole
//     supply minted to the deployer);
//   - the ERC20Portal bound to that InputBox;
//   - a rollups Application whose data availability names the InputBox, so
//     the input box can be read from the application contract. No consensus
//     is deployed: the sequencer only needs the application's address (and
//     InputBox.addInput accepts any address).
//
// All four are sent at once from consecutive deployer nonces, so their
// addresses are a function of the deployer and its first nonce
// (ExpectedAddresses): on a fresh anvil with deployer anviltest.Key(0) they
// are always the same.
package devchain

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/cartesi/sequencer/l1/bindings"
)

// TokenName and TokenSymbol name the test token.
const (
	TokenName   = "Sequencer Test Token"
	TokenSymbol = "STT"
)

// TokenSupply is the test token's fixed supply (10^9 tokens of 18
// decimals), all minted to the deployer.
var TokenSupply = new(big.Int).Mul(big.NewInt(1_000_000_000), new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil))

// depositGas is the gas limit of a portal deposit. It is fixed because the
// deposit cannot be estimated before its approval is mined, and both are sent
// together (ERC-20 transferFrom plus InputBox.addInput use well under it).
const depositGas = 400_000

// pollInterval is how often receipts are polled.
const pollInterval = 50 * time.Millisecond

// Addresses of the deployed contracts.
type Addresses struct {
	InputBox    common.Address
	ERC20Portal common.Address
	Token       common.Address
	App         common.Address
}

// ExpectedAddresses returns the addresses Deploy gives the contracts when
// the deployer's pending nonce is firstNonce (CREATE addresses of nonces
// firstNonce … firstNonce+3). The dev stack uses it with 0 to recognise a
// chain it deployed before (see Deployed).
func ExpectedAddresses(deployer common.Address, firstNonce uint64) Addresses {
	return Addresses{
		InputBox:    crypto.CreateAddress(deployer, firstNonce),
		Token:       crypto.CreateAddress(deployer, firstNonce+1),
		ERC20Portal: crypto.CreateAddress(deployer, firstNonce+2),
		App:         crypto.CreateAddress(deployer, firstNonce+3),
	}
}

// Deployed reports whether every contract in addrs has code at the latest
// block.
func Deployed(ctx context.Context, client *ethclient.Client, addrs Addresses) (bool, error) {
	for _, a := range []common.Address{addrs.InputBox, addrs.Token, addrs.ERC20Portal, addrs.App} {
		code, err := client.CodeAt(ctx, a, nil)
		if err != nil {
			return false, fmt.Errorf("code at %s: %w", a, err)
		}
		if len(code) == 0 {
			return false, nil
		}
	}
	return true, nil
}

// Deploy deploys InputBox, the test token, ERC20Portal(InputBox) and an
// Application (owner and outputs-merkle-root validator: the deployer; data
// availability: InputBox(inputBox)) from consecutive nonces starting at the
// deployer's pending nonce, and waits until all are mined. Not idempotent:
// every call deploys a new set (use Deployed to skip).
func Deploy(ctx context.Context, client *ethclient.Client, deployer *ecdsa.PrivateKey) (Addresses, error) {
	from := crypto.PubkeyToAddress(deployer.PublicKey)
	nonce, err := client.PendingNonceAt(ctx, from)
	if err != nil {
		return Addresses{}, fmt.Errorf("deployer nonce: %w", err)
	}
	want := ExpectedAddresses(from, nonce)
	auth, err := transactor(ctx, client, deployer)
	if err != nil {
		return Addresses{}, err
	}
	da, err := dataAvailability(want.InputBox)
	if err != nil {
		return Addresses{}, err
	}

	var txs []*types.Transaction
	step := func(name string, deploy func() (common.Address, *types.Transaction, error), expect common.Address) error {
		auth.Nonce = new(big.Int).SetUint64(nonce)
		addr, tx, err := deploy()
		if err != nil {
			return fmt.Errorf("deploy %s: %w", name, err)
		}
		if addr != expect {
			return fmt.Errorf("deploy %s: at %s, expected %s", name, addr, expect)
		}
		txs = append(txs, tx)
		nonce++
		return nil
	}
	if err := step("InputBox", func() (common.Address, *types.Transaction, error) {
		a, tx, _, err := bindings.DeployInputBox(auth, client)
		return a, tx, err
	}, want.InputBox); err != nil {
		return Addresses{}, err
	}
	if err := step("token", func() (common.Address, *types.Transaction, error) {
		a, tx, _, err := bindings.DeployERC20PresetFixedSupply(auth, client, TokenName, TokenSymbol, TokenSupply, from)
		return a, tx, err
	}, want.Token); err != nil {
		return Addresses{}, err
	}
	if err := step("ERC20Portal", func() (common.Address, *types.Transaction, error) {
		a, tx, _, err := bindings.DeployERC20Portal(auth, client, want.InputBox)
		return a, tx, err
	}, want.ERC20Portal); err != nil {
		return Addresses{}, err
	}
	if err := step("Application", func() (common.Address, *types.Transaction, error) {
		a, tx, _, err := bindings.DeployApplication(auth, client, from, from, [32]byte{}, da)
		return a, tx, err
	}, want.App); err != nil {
		return Addresses{}, err
	}
	if err := waitAll(ctx, client, txs); err != nil {
		return Addresses{}, fmt.Errorf("deploy: %w", err)
	}
	return want, nil
}

// FundTokens transfers amount test tokens from the deployer (the token
// holder) to each recipient and waits until all transfers are mined.
func FundTokens(ctx context.Context, client *ethclient.Client, deployer *ecdsa.PrivateKey, addrs Addresses, amount *big.Int, to ...common.Address) error {
	token, err := bindings.NewERC20PresetFixedSupply(addrs.Token, client)
	if err != nil {
		return fmt.Errorf("bind token: %w", err)
	}
	auth, err := transactor(ctx, client, deployer)
	if err != nil {
		return err
	}
	nonce, err := client.PendingNonceAt(ctx, auth.From)
	if err != nil {
		return fmt.Errorf("deployer nonce: %w", err)
	}
	txs := make([]*types.Transaction, 0, len(to))
	for _, rcpt := range to {
		auth.Nonce = new(big.Int).SetUint64(nonce)
		tx, err := token.Transfer(auth, rcpt, amount)
		if err != nil {
			return fmt.Errorf("transfer tokens to %s: %w", rcpt, err)
		}
		txs = append(txs, tx)
		nonce++
	}
	if err := waitAll(ctx, client, txs); err != nil {
		return fmt.Errorf("fund tokens: %w", err)
	}
	return nil
}

// Deposit makes key's account deposit amount test tokens into the
// application through the ERC20Portal: approve(portal, amount) then
// depositERC20Tokens(token, app, amount, ""), sent back to back. It waits
// until both are mined and returns the deposit's receipt (the InputAdded log
// is in it). The account must hold the tokens (FundTokens) and some ETH.
func Deposit(ctx context.Context, client *ethclient.Client, key *ecdsa.PrivateKey, addrs Addresses, amount *big.Int) (*types.Receipt, error) {
	token, err := bindings.NewERC20PresetFixedSupply(addrs.Token, client)
	if err != nil {
		return nil, fmt.Errorf("bind token: %w", err)
	}
	portal, err := bindings.NewERC20Portal(addrs.ERC20Portal, client)
	if err != nil {
		return nil, fmt.Errorf("bind portal: %w", err)
	}
	auth, err := transactor(ctx, client, key)
	if err != nil {
		return nil, err
	}
	nonce, err := client.PendingNonceAt(ctx, auth.From)
	if err != nil {
		return nil, fmt.Errorf("depositor nonce: %w", err)
	}
	auth.Nonce = new(big.Int).SetUint64(nonce)
	approve, err := token.Approve(auth, addrs.ERC20Portal, amount)
	if err != nil {
		return nil, fmt.Errorf("approve portal: %w", err)
	}
	auth.Nonce = new(big.Int).SetUint64(nonce + 1)
	auth.GasLimit = depositGas
	deposit, err := portal.DepositERC20Tokens(auth, addrs.Token, addrs.App, amount, []byte{})
	if err != nil {
		return nil, fmt.Errorf("deposit: %w", err)
	}
	if err := waitAll(ctx, client, []*types.Transaction{approve}); err != nil {
		return nil, fmt.Errorf("approve portal: %w", err)
	}
	rcpt, err := wait(ctx, client, deposit.Hash())
	if err != nil {
		return nil, fmt.Errorf("deposit: %w", err)
	}
	return rcpt, nil
}

func transactor(ctx context.Context, client *ethclient.Client, key *ecdsa.PrivateKey) (*bind.TransactOpts, error) {
	chainID, err := client.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("chain id: %w", err)
	}
	auth, err := bind.NewKeyedTransactorWithChainID(key, chainID)
	if err != nil {
		return nil, fmt.Errorf("transactor: %w", err)
	}
	auth.Context = ctx
	return auth, nil
}

// dataAvailability encodes DataAvailability.InputBox(inputBox), the
// application's data-availability descriptor.
func dataAvailability(inputBox common.Address) ([]byte, error) {
	parsed, err := bindings.DataAvailabilityMetaData.GetAbi()
	if err != nil {
		return nil, fmt.Errorf("data availability abi: %w", err)
	}
	da, err := parsed.Pack("InputBox", inputBox)
	if err != nil {
		return nil, fmt.Errorf("encode data availability: %w", err)
	}
	return da, nil
}

func waitAll(ctx context.Context, client *ethclient.Client, txs []*types.Transaction) error {
	for _, tx := range txs {
		if _, err := wait(ctx, client, tx.Hash()); err != nil {
			return err
		}
	}
	return nil
}

// wait polls for the receipt of hash and fails if the transaction reverted.
func wait(ctx context.Context, client *ethclient.Client, hash common.Hash) (*types.Receipt, error) {
	for {
		rcpt, err := client.TransactionReceipt(ctx, hash)
		switch {
		case err == nil:
			if rcpt.Status != types.ReceiptStatusSuccessful {
				return rcpt, fmt.Errorf("transaction %s reverted", hash)
			}
			return rcpt, nil
		case !errors.Is(err, ethereum.NotFound):
			return nil, fmt.Errorf("receipt %s: %w", hash, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for %s: %w", hash, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}
