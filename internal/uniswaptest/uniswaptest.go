// Package uniswaptest deploys a real Uniswap V3 on a development chain
// (anvil) from the published npm artifacts under <module root>/node_modules
// (@uniswap/v3-core's factory and pool, @uniswap/v3-periphery's
// NonfungiblePositionManager and SwapRouter, which implement the mint and
// swap callbacks) with two OpenZeppelin ERC-20s, one standing for WETH, and
// drives it: full-range liquidity, swaps, observation cardinality. The fee
// oracle's tests read its TWAP.
//
//	d, err := uniswaptest.Deploy(ctx, client, anviltest.Key(0), big.NewInt(2000)) // 2000 token units per wei
//	err = d.Swap(ctx, d.WETH, amount) // sell WETH: the price of ETH falls
package uniswaptest

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/cartesi/sequencer/internal/modroot"
	"github.com/cartesi/sequencer/l1/bindings"
)

// Artifacts, relative to node_modules.
const (
	factoryArtifact   = "@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json"
	poolArtifact      = "@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json"
	positionsArtifact = "@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json"
	routerArtifact    = "@uniswap/v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json"
)

// PoolFee is the pool's fee tier (0.3%) and TickSpacing its tick spacing.
const (
	PoolFee     = 3000
	TickSpacing = 60
)

// Supply is each test token's supply (10^30 units), minted to the deployer.
var Supply = new(big.Int).Exp(big.NewInt(10), big.NewInt(30), nil)

// Deployment is a deployed Uniswap V3 with one WETH/token pool.
type Deployment struct {
	Factory, Positions, Router common.Address
	WETH, Token, Pool          common.Address

	client *ethclient.Client
	key    *ecdsa.PrivateKey
	pool   *bind.BoundContract
	router *bind.BoundContract
}

type artifact struct {
	ABI      abi.ABI
	Bytecode []byte
}

func load(rel string) (artifact, error) {
	root, err := modroot.Find()
	if err != nil {
		return artifact{}, err
	}
	path := filepath.Join(root, "node_modules", rel)
	b, err := os.ReadFile(path)
	if err != nil {
		return artifact{}, fmt.Errorf("%w (run `npm ci --ignore-scripts` at the module root)", err)
	}
	var raw struct {
		ABI      json.RawMessage `json:"abi"`
		Bytecode string          `json:"bytecode"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return artifact{}, fmt.Errorf("%s: %w", path, err)
	}
	parsed, err := abi.JSON(strings.NewReader(string(raw.ABI)))
	if err != nil {
		return artifact{}, fmt.Errorf("%s: abi: %w", path, err)
	}
	return artifact{ABI: parsed, Bytecode: common.FromHex(raw.Bytecode)}, nil
}

// Deploy deploys the tokens, the factory, the periphery and a 0.3% pool of
// WETH and the token initialised at price (token units per WETH unit),
// with full-range liquidity of 10^24 WETH units. The deployer key holds
// every token left.
func Deploy(ctx context.Context, client *ethclient.Client, key *ecdsa.PrivateKey, price *big.Int) (*Deployment, error) {
	return DeployWithToken(ctx, client, key, common.Address{}, price, new(big.Int).Exp(big.NewInt(10), big.NewInt(24), nil))
}

// DeployWithToken is Deploy with an existing fee token (zero: a new one),
// which key must hold (wethLiquidity × price units), and wethLiquidity WETH
// units of liquidity.
func DeployWithToken(ctx context.Context, client *ethclient.Client, key *ecdsa.PrivateKey, token common.Address, price, wethLiquidity *big.Int) (*Deployment, error) {
	d := &Deployment{client: client, key: key, Token: token}
	from := crypto.PubkeyToAddress(key.PublicKey)
	auth, err := d.auth(ctx)
	if err != nil {
		return nil, err
	}
	var tx *types.Transaction
	if d.WETH, tx, _, err = bindings.DeployERC20PresetFixedSupply(auth, client, "Wrapped Ether", "WETH", Supply, from); err == nil {
		_, err = bind.WaitMined(ctx, client, tx)
	}
	if err != nil {
		return nil, fmt.Errorf("deploy WETH: %w", err)
	}
	if d.Token == (common.Address{}) {
		if d.Token, tx, _, err = bindings.DeployERC20PresetFixedSupply(auth, client, "Fee Token", "FEE", Supply, from); err == nil {
			_, err = bind.WaitMined(ctx, client, tx)
		}
		if err != nil {
			return nil, fmt.Errorf("deploy token: %w", err)
		}
	}
	if d.Factory, err = d.deploy(ctx, factoryArtifact); err != nil {
		return nil, err
	}
	tokenDescriptor := common.HexToAddress("0x000000000000000000000000000000000000dEaD") // never called
	if d.Positions, err = d.deploy(ctx, positionsArtifact, d.Factory, d.WETH, tokenDescriptor); err != nil {
		return nil, err
	}
	if d.Router, err = d.deploy(ctx, routerArtifact, d.Factory, d.WETH); err != nil {
		return nil, err
	}
	factory, err := d.bound(d.Factory, factoryArtifact)
	if err != nil {
		return nil, err
	}
	if err := d.transact(ctx, factory, "createPool", d.WETH, d.Token, big.NewInt(PoolFee)); err != nil {
		return nil, err
	}
	var out []any
	if err := factory.Call(&bind.CallOpts{Context: ctx}, &out, "getPool", d.WETH, d.Token, big.NewInt(PoolFee)); err != nil {
		return nil, fmt.Errorf("getPool: %w", err)
	}
	d.Pool = out[0].(common.Address)
	if d.pool, err = d.bound(d.Pool, poolArtifact); err != nil {
		return nil, err
	}
	if d.router, err = d.bound(d.Router, routerArtifact); err != nil {
		return nil, err
	}
	token0, token1 := d.Tokens()
	// The pool's price is token1 per token0.
	p := new(big.Rat).SetInt(price)
	if token0 != d.WETH {
		p.Inv(p)
	}
	if err := d.transact(ctx, d.pool, "initialize", SqrtPriceX96(p)); err != nil {
		return nil, err
	}
	positions, err := d.bound(d.Positions, positionsArtifact)
	if err != nil {
		return nil, err
	}
	max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	for _, tok := range []common.Address{d.WETH, d.Token} {
		erc20, err := bindings.NewERC20PresetFixedSupply(tok, client)
		if err != nil {
			return nil, err
		}
		for _, spender := range []common.Address{d.Positions, d.Router} {
			a, err := d.auth(ctx)
			if err != nil {
				return nil, err
			}
			tx, err := erc20.Approve(a, spender, max)
			if err == nil {
				_, err = bind.WaitMined(ctx, client, tx)
			}
			if err != nil {
				return nil, fmt.Errorf("approve: %w", err)
			}
		}
	}
	wethAmount := wethLiquidity
	tokenAmount := new(big.Int).Mul(wethAmount, price)
	amount0, amount1 := wethAmount, tokenAmount
	if token0 != d.WETH {
		amount0, amount1 = tokenAmount, wethAmount
	}
	maxTick := int64(887272 / TickSpacing * TickSpacing)
	type mintParams struct {
		Token0         common.Address
		Token1         common.Address
		Fee            *big.Int
		TickLower      *big.Int
		TickUpper      *big.Int
		Amount0Desired *big.Int
		Amount1Desired *big.Int
		Amount0Min     *big.Int
		Amount1Min     *big.Int
		Recipient      common.Address
		Deadline       *big.Int
	}
	if err := d.transact(ctx, positions, "mint", mintParams{Token0: token0, Token1: token1, Fee: big.NewInt(PoolFee),
		TickLower: big.NewInt(-maxTick), TickUpper: big.NewInt(maxTick), Amount0Desired: amount0, Amount1Desired: amount1,
		Amount0Min: new(big.Int), Amount1Min: new(big.Int), Recipient: from, Deadline: farDeadline()}); err != nil {
		return nil, err
	}
	return d, nil
}

// Tokens returns the pool's token0 and token1 (sorted by address).
func (d *Deployment) Tokens() (token0, token1 common.Address) {
	if strings.ToLower(d.WETH.Hex()) < strings.ToLower(d.Token.Hex()) {
		return d.WETH, d.Token
	}
	return d.Token, d.WETH
}

// GrowObservations raises the pool's observation cardinality to n (its
// history then covers n observations: a TWAP window needs them).
func (d *Deployment) GrowObservations(ctx context.Context, n uint16) error {
	return d.transact(ctx, d.pool, "increaseObservationCardinalityNext", n)
}

// Swap sells amountIn of tokenIn (WETH or Token) through the SwapRouter.
func (d *Deployment) Swap(ctx context.Context, tokenIn common.Address, amountIn *big.Int) error {
	tokenOut := d.Token
	if tokenIn == d.Token {
		tokenOut = d.WETH
	}
	type exactInputSingleParams struct {
		TokenIn           common.Address
		TokenOut          common.Address
		Fee               *big.Int
		Recipient         common.Address
		Deadline          *big.Int
		AmountIn          *big.Int
		AmountOutMinimum  *big.Int
		SqrtPriceLimitX96 *big.Int
	}
	return d.transact(ctx, d.router, "exactInputSingle", exactInputSingleParams{TokenIn: tokenIn, TokenOut: tokenOut,
		Fee: big.NewInt(PoolFee), Recipient: crypto.PubkeyToAddress(d.key.PublicKey), Deadline: farDeadline(),
		AmountIn: amountIn, AmountOutMinimum: new(big.Int), SqrtPriceLimitX96: new(big.Int)})
}

// Tick returns the pool's current tick (slot0).
func (d *Deployment) Tick(ctx context.Context) (int64, error) {
	var out []any
	if err := d.pool.Call(&bind.CallOpts{Context: ctx}, &out, "slot0"); err != nil {
		return 0, fmt.Errorf("slot0: %w", err)
	}
	return out[1].(*big.Int).Int64(), nil
}

// SqrtPriceX96 is floor(sqrt(price) · 2^96) for a price in token1 units per
// token0 unit.
func SqrtPriceX96(price *big.Rat) *big.Int {
	// sqrt(num/den)·2^96 = sqrt(num·2^192/den)
	v := new(big.Int).Lsh(price.Num(), 192)
	v.Quo(v, price.Denom())
	return v.Sqrt(v)
}

func farDeadline() *big.Int { return big.NewInt(1 << 40) }

func (d *Deployment) auth(ctx context.Context) (*bind.TransactOpts, error) {
	id, err := d.client.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("chain id: %w", err)
	}
	a, err := bind.NewKeyedTransactorWithChainID(d.key, id)
	if err != nil {
		return nil, err
	}
	a.Context = ctx
	return a, nil
}

func (d *Deployment) deploy(ctx context.Context, rel string, args ...any) (common.Address, error) {
	art, err := load(rel)
	if err != nil {
		return common.Address{}, err
	}
	auth, err := d.auth(ctx)
	if err != nil {
		return common.Address{}, err
	}
	addr, tx, _, err := bind.DeployContract(auth, art.ABI, art.Bytecode, d.client, args...)
	if err == nil {
		err = waitOK(ctx, d.client, tx)
	}
	if err != nil {
		return common.Address{}, fmt.Errorf("deploy %s: %w", filepath.Base(rel), err)
	}
	return addr, nil
}

func (d *Deployment) bound(addr common.Address, rel string) (*bind.BoundContract, error) {
	art, err := load(rel)
	if err != nil {
		return nil, err
	}
	return bind.NewBoundContract(addr, art.ABI, d.client, d.client, d.client), nil
}

func (d *Deployment) transact(ctx context.Context, c *bind.BoundContract, method string, args ...any) error {
	auth, err := d.auth(ctx)
	if err != nil {
		return err
	}
	tx, err := c.Transact(auth, method, args...)
	if err == nil {
		err = waitOK(ctx, d.client, tx)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	return nil
}

func waitOK(ctx context.Context, client *ethclient.Client, tx *types.Transaction) error {
	r, err := bind.WaitMined(ctx, client, tx)
	if err != nil {
		return err
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return fmt.Errorf("transaction %s reverted", tx.Hash())
	}
	return nil
}
