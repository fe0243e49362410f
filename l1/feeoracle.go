package l1

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// The fee oracle's L1 side (docs/fee-oracle.md): what one gas costs on L1
// (GasSampler, the batch submitter's own estimate) and what one ETH is
// worth in the application's fee token (FixedPrice, UniswapV3TWAP).

// ErrQuote: the price source cannot give a usable price (the pool is not a
// WETH pool, its history is too short for the window, the answer does not
// decode). The oracle keeps the last fee; retrying later may help (a pool
// whose cardinality grows, a node that catches up), so it is not terminal.
var ErrQuote = errors.New("l1: no usable price quote")

// GasSample is the L1 gas price the batch submitter would pay now.
type GasSample struct {
	Block   uint64   // the latest block when sampled
	Time    uint64   // its timestamp, unix seconds
	BaseFee *big.Int // the next block's base fee, wei per gas
	Tip     *big.Int // the submitter's tip estimate, wei per gas
}

// WeiPerGas is BaseFee + Tip: what a batch transaction pays per gas.
func (s GasSample) WeiPerGas() *big.Int { return new(big.Int).Add(s.BaseFee, s.Tip) }

// GasSampler samples the L1 gas price with the estimate the batch
// submitter uses (Poster.SuggestFees: eth_feeHistory over 10 blocks, the
// 20th-percentile tip), so the fee follows what posting actually costs.
type GasSampler struct{ eth *ethclient.Client }

// NewGasSampler returns a GasSampler over rc (the caller keeps rc).
func NewGasSampler(rc *rpc.Client) *GasSampler { return &GasSampler{eth: ethclient.NewClient(rc)} }

// BlockNumber returns the latest block number. Read-only.
func (g *GasSampler) BlockNumber(ctx context.Context) (uint64, error) {
	n, err := g.eth.BlockNumber(ctx)
	if err != nil {
		return 0, transient("eth_blockNumber", err)
	}
	return n, nil
}

// Sample reads the latest block's header and the fee estimate. Read-only; a
// retry samples again.
func (g *GasSampler) Sample(ctx context.Context) (GasSample, error) {
	head, err := g.eth.HeaderByNumber(ctx, nil)
	if err != nil {
		return GasSample{}, transient("eth_getBlockByNumber latest", err)
	}
	base, tip, err := estimateGasPrice(ctx, g.eth)
	if err != nil {
		return GasSample{}, err
	}
	return GasSample{Block: head.Number.Uint64(), Time: head.Time, BaseFee: base, Tip: tip}, nil
}

// Quote is the price of one ETH in the fee token's smallest units.
type Quote struct {
	// TokenPerETH is exact: smallest token units per 10^18 wei.
	TokenPerETH *big.Rat
	// Source says where it came from, for logs and the status query
	// ("fixed", or "uniswap-v3 <pool> mean tick <t> over <n> s").
	Source string
	// MeanTick and the pool's newest observation time are set by the
	// Uniswap source only.
	MeanTick          int64
	LastObservationAt uint64 // unix seconds of the pool's newest observation
	HasTick           bool
}

// FixedPrice is a configured price (SEQ_FEE_ORACLE_TOKEN_PER_ETH).
type FixedPrice struct{ TokenPerETH *big.Int }

// Quote returns the configured price. No I/O.
func (f FixedPrice) Quote(context.Context) (Quote, error) {
	if f.TokenPerETH == nil || f.TokenPerETH.Sign() <= 0 {
		return Quote{}, fmt.Errorf("%w: fixed price not positive", ErrQuote)
	}
	return Quote{TokenPerETH: new(big.Rat).SetInt(f.TokenPerETH), Source: "fixed"}, nil
}

// uniswapV3ABI is the part of IUniswapV3Pool and ERC-20 the oracle calls.
const uniswapV3ABI = `[
 {"type":"function","name":"token0","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"address"}]},
 {"type":"function","name":"token1","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"address"}]},
 {"type":"function","name":"observe","stateMutability":"view","inputs":[{"name":"secondsAgos","type":"uint32[]"}],
  "outputs":[{"name":"tickCumulatives","type":"int56[]"},{"name":"secondsPerLiquidityCumulativeX128s","type":"uint160[]"}]},
 {"type":"function","name":"slot0","stateMutability":"view","inputs":[],"outputs":[
  {"name":"sqrtPriceX96","type":"uint160"},{"name":"tick","type":"int24"},{"name":"observationIndex","type":"uint16"},
  {"name":"observationCardinality","type":"uint16"},{"name":"observationCardinalityNext","type":"uint16"},
  {"name":"feeProtocol","type":"uint8"},{"name":"unlocked","type":"bool"}]},
 {"type":"function","name":"observations","stateMutability":"view","inputs":[{"name":"index","type":"uint256"}],"outputs":[
  {"name":"blockTimestamp","type":"uint32"},{"name":"tickCumulative","type":"int56"},
  {"name":"secondsPerLiquidityCumulativeX128","type":"uint160"},{"name":"initialized","type":"bool"}]},
 {"type":"function","name":"decimals","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"uint8"}]}
]`

// UniswapV3Config configures a UniswapV3TWAP.
type UniswapV3Config struct {
	Pool common.Address // a Uniswap V3 pool of WETH and the fee token
	WETH common.Address // the ETH side of the pool
	// FeeToken, when set, must be the pool's other side.
	FeeToken common.Address
	// Window is the TWAP's length in seconds (observe([Window, 0])).
	Window uint32
}

// UniswapV3TWAP prices ETH from a Uniswap V3 pool's time-weighted average
// tick over a window: the mean tick of observe([window, 0]) rounded toward
// −∞ (as the periphery's OracleLibrary.consult), the price of that tick
// from TickMath's sqrt ratio, both tokens' decimals applied, the result
// exact (a rational): the caller rounds once, up.
type UniswapV3TWAP struct {
	eth *ethclient.Client
	abi abi.ABI
	cfg UniswapV3Config
}

// NewUniswapV3TWAP returns a TWAP source over rc (the caller keeps rc).
func NewUniswapV3TWAP(rc *rpc.Client, cfg UniswapV3Config) (*UniswapV3TWAP, error) {
	switch {
	case cfg.Pool == (common.Address{}):
		return nil, errors.New("l1: uniswap-v3: pool address not configured")
	case cfg.WETH == (common.Address{}):
		return nil, errors.New("l1: uniswap-v3: WETH address not configured")
	case cfg.Window == 0:
		return nil, errors.New("l1: uniswap-v3: TWAP window must be positive")
	}
	parsed, err := abi.JSON(strings.NewReader(uniswapV3ABI))
	if err != nil {
		return nil, fmt.Errorf("l1: uniswap-v3 abi: %w", err)
	}
	return &UniswapV3TWAP{eth: ethclient.NewClient(rc), abi: parsed, cfg: cfg}, nil
}

// call makes one eth_call at the latest block and unpacks the outputs. A
// revert or an undecodable answer is ErrQuote; a transport error is
// ErrTransient.
func (u *UniswapV3TWAP) call(ctx context.Context, to common.Address, method string, args ...any) ([]any, error) {
	data, err := u.abi.Pack(method, args...)
	if err != nil {
		return nil, fmt.Errorf("l1: encode %s: %w", method, err)
	}
	out, err := u.eth.CallContract(ctx, ethereum.CallMsg{To: &to, Data: data}, nil)
	if err != nil {
		if isRevert(err) {
			return nil, fmt.Errorf("%w: %s.%s reverted: %w", ErrQuote, to, method, err)
		}
		return nil, transient("eth_call "+method, err)
	}
	vals, err := u.abi.Unpack(method, out)
	if err != nil {
		return nil, fmt.Errorf("%w: %s.%s: cannot decode the answer (not a Uniswap V3 pool or ERC-20?): %w", ErrQuote, to, method, err)
	}
	return vals, nil
}

// Quote reads the pool's tokens and their decimals, observe([window, 0])
// and the newest observation's time. Read-only; a retry reads again.
func (u *UniswapV3TWAP) Quote(ctx context.Context) (Quote, error) {
	pool := u.cfg.Pool
	var tokens [2]common.Address
	for i, m := range []string{"token0", "token1"} {
		v, err := u.call(ctx, pool, m)
		if err != nil {
			return Quote{}, err
		}
		tokens[i] = v[0].(common.Address)
	}
	var wethIs0 bool
	switch u.cfg.WETH {
	case tokens[0]:
		wethIs0 = true
	case tokens[1]:
	default:
		return Quote{}, fmt.Errorf("%w: pool %s holds %s and %s, neither is WETH %s", ErrQuote, pool, tokens[0], tokens[1], u.cfg.WETH)
	}
	feeToken := tokens[0]
	if wethIs0 {
		feeToken = tokens[1]
	}
	if u.cfg.FeeToken != (common.Address{}) && feeToken != u.cfg.FeeToken {
		return Quote{}, fmt.Errorf("%w: pool %s prices %s, not the fee token %s", ErrQuote, pool, feeToken, u.cfg.FeeToken)
	}
	var dec [2]uint8
	for i, tok := range tokens {
		v, err := u.call(ctx, tok, "decimals")
		if err != nil {
			return Quote{}, err
		}
		dec[i] = v[0].(uint8)
	}
	v, err := u.call(ctx, pool, "observe", []uint32{u.cfg.Window, 0})
	if err != nil {
		return Quote{}, err
	}
	cum := v[0].([]*big.Int)
	if len(cum) != 2 {
		return Quote{}, fmt.Errorf("%w: observe returned %d values", ErrQuote, len(cum))
	}
	tick := MeanTick(new(big.Int).Sub(cum[1], cum[0]), u.cfg.Window)
	s0, err := u.call(ctx, pool, "slot0")
	if err != nil {
		return Quote{}, err
	}
	obs, err := u.call(ctx, pool, "observations", new(big.Int).SetUint64(uint64(s0[2].(uint16))))
	if err != nil {
		return Quote{}, err
	}
	ethDecimals := dec[1]
	if wethIs0 {
		ethDecimals = dec[0]
	}
	price, err := TokenPerETHAtTick(tick, wethIs0, ethDecimals)
	if err != nil {
		return Quote{}, err
	}
	return Quote{TokenPerETH: price, MeanTick: tick, HasTick: true, LastObservationAt: uint64(obs[0].(uint32)),
		Source: fmt.Sprintf("uniswap-v3 %s mean tick %d over %d s", pool, tick, u.cfg.Window)}, nil
}

// MeanTick is tickCumulativeDelta / window rounded toward −∞ (OracleLibrary.consult).
func MeanTick(delta *big.Int, window uint32) int64 {
	w := big.NewInt(int64(window))
	q, m := new(big.Int).QuoRem(delta, w, new(big.Int)) // truncates toward zero
	if delta.Sign() < 0 && m.Sign() != 0 {
		q.Sub(q, big.NewInt(1))
	}
	return q.Int64()
}

// Tick bounds of Uniswap V3 (TickMath.MIN_TICK, MAX_TICK).
const (
	MinTick = -887272
	MaxTick = 887272
)

// SqrtRatioAtTick is TickMath.getSqrtRatioAtTick: sqrt(1.0001^tick) as a
// Q64.96, rounded up, bit for bit as the pool computes it.
func SqrtRatioAtTick(tick int64) (*big.Int, error) {
	if tick < MinTick || tick > MaxTick {
		return nil, fmt.Errorf("%w: tick %d out of range", ErrQuote, tick)
	}
	abs := tick
	if abs < 0 {
		abs = -abs
	}
	mul := func(ratio *big.Int, hex string) *big.Int {
		c, _ := new(big.Int).SetString(hex, 16)
		return ratio.Rsh(ratio.Mul(ratio, c), 128)
	}
	ratio := new(big.Int)
	if abs&1 != 0 {
		ratio.SetString("fffcb933bd6fad37aa2d162d1a594001", 16)
	} else {
		ratio.Lsh(big.NewInt(1), 128)
	}
	for i, c := range sqrtRatioConstants {
		if abs&(int64(2)<<i) != 0 {
			mul(ratio, c)
		}
	}
	if tick > 0 {
		maxU256 := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
		ratio.Quo(maxU256, ratio)
	}
	// Q128.128 to Q64.96, rounding up.
	rem := new(big.Int).And(ratio, big.NewInt(1<<32-1))
	ratio.Rsh(ratio, 32)
	if rem.Sign() != 0 {
		ratio.Add(ratio, big.NewInt(1))
	}
	return ratio, nil
}

// sqrtRatioConstants are TickMath's multipliers for bits 1..19 of |tick|.
var sqrtRatioConstants = [...]string{
	"fff97272373d413259a46990580e213a", "fff2e50f5f656932ef12357cf3c7fdcc", "ffe5caca7e10e4e61c3624eaa0941cd0",
	"ffcb9843d60f6159c9db58835c926644", "ff973b41fa98c081472e6896dfb254c0", "ff2ea16466c96a3843ec78b326b52861",
	"fe5dee046a99a2a811c461f1969c3053", "fcbe86c7900a88aedcffc83b479aa3a4", "f987a7253ac413176f2b074cf7815e54",
	"f3392b0822b70005940c7a398e4b70f3", "e7159475a2c29b7443b29c7fa6e889d9", "d097f3bdfd2022b8845ad8f792aa5825",
	"a9f746462d870fdf8a65dc1f90e061e5", "70d869a156d2a1b890bb3df62baf32f7", "31be135f97d08fd981231505542fcfa6",
	"9aa508b5b7a84e1c677de54f3e99bc9", "5d6af8dedb81196699c329225ee604", "2216e584f5fa1ea926041bedfe98",
	"48a170391f7dc42444e8fa2",
}

// TokenPerETHAtTick is the price of 10^18 wei in the fee token's smallest
// units at tick, exact. The pool's price at a tick is token1 per token0 in
// smallest units, sqrtRatio² / 2^192; with WETH as token0 that is fee units
// per WETH unit, else its inverse. One ETH is 10^ethDecimals units of the
// pool's ETH side (18 for WETH; the fee token's own decimals need nothing:
// the fee is counted in its smallest units).
func TokenPerETHAtTick(tick int64, wethIs0 bool, ethDecimals uint8) (*big.Rat, error) {
	sqrt, err := SqrtRatioAtTick(tick)
	if err != nil {
		return nil, err
	}
	ratioX192 := new(big.Int).Mul(sqrt, sqrt)
	q192 := new(big.Int).Lsh(big.NewInt(1), 192)
	price := new(big.Rat).SetFrac(ratioX192, q192)
	if !wethIs0 {
		price.Inv(price)
	}
	unit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(ethDecimals)), nil)
	return price.Mul(price, new(big.Rat).SetInt(unit)), nil
}
