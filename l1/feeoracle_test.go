package l1_test

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/anviltest"
	"github.com/cartesi/sequencer/internal/uniswaptest"
	"github.com/cartesi/sequencer/l1"
)

const floatPrec = 512

// powTick is 1.0001^tick computed independently of TickMath, in big.Float.
func powTick(tick int64) *big.Float {
	base, _ := new(big.Float).SetPrec(floatPrec).SetString("1.0001")
	r := new(big.Float).SetPrec(floatPrec).SetInt64(1)
	n := tick
	if n < 0 {
		n = -n
	}
	for b := new(big.Float).SetPrec(floatPrec).Set(base); n > 0; n >>= 1 {
		if n&1 == 1 {
			r.Mul(r, b)
		}
		b.Mul(b, b)
	}
	if tick < 0 {
		r.Quo(new(big.Float).SetPrec(floatPrec).SetInt64(1), r)
	}
	return r
}

// TestSqrtRatioAtTick: the port of TickMath gives the library's known
// values at the bounds and at 0, and agrees with sqrt(1.0001^tick)·2^96
// computed in 512-bit floating point to within the Q96 rounding (absolute)
// and the library's own truncation (relative).
func TestSqrtRatioAtTick(t *testing.T) {
	exact := []struct {
		tick int64
		want string
	}{
		{l1.MinTick, "4295128739"},
		{l1.MaxTick, "1461446703485210103287273052203988822378723970342"},
		{0, "79228162514264337593543950336"},
	}
	for _, c := range exact {
		got, err := l1.SqrtRatioAtTick(c.tick)
		require.NoError(t, err)
		require.Equal(t, c.want, got.String(), "tick %d", c.tick)
	}
	q96 := new(big.Float).SetPrec(floatPrec).SetInt(new(big.Int).Lsh(big.NewInt(1), 96))
	for _, tick := range []int64{1, -1, 2, 3, 50, -50, 60, 1000, -1000, 76012, -76012, 200000, -200000, 524287, -524287, 887271, -887271} {
		got, err := l1.SqrtRatioAtTick(tick)
		require.NoError(t, err)
		ref := new(big.Float).SetPrec(floatPrec).Sqrt(powTick(tick))
		ref.Mul(ref, q96)
		diff := new(big.Float).Sub(new(big.Float).SetPrec(floatPrec).SetInt(got), ref)
		tol := new(big.Float).Mul(ref, big.NewFloat(1e-18)) // the Q128 chain truncates: ~2e-20 near the bounds
		tol.Add(tol, big.NewFloat(2))
		require.True(t, diff.Abs(diff).Cmp(tol) <= 0, "tick %d: got %s, reference %s", tick, got, ref.Text('f', 3))
	}
	_, err := l1.SqrtRatioAtTick(l1.MaxTick + 1)
	require.ErrorIs(t, err, l1.ErrQuote)
}

func TestMeanTick(t *testing.T) {
	cases := []struct {
		delta  int64
		window uint32
		want   int64
	}{
		{1800 * 7, 1800, 7},
		{1800*7 + 1, 1800, 7},
		{-1800 * 7, 1800, -7},
		{-1800*7 - 1, 1800, -8}, // toward −∞, not toward 0
		{-1, 1800, -1},
		{0, 1800, 0},
	}
	for _, c := range cases {
		require.Equal(t, c.want, l1.MeanTick(big.NewInt(c.delta), c.window), "%d / %d", c.delta, c.window)
	}
}

// segment is one stretch of the pool's tick path: tick from time start on.
type segment struct {
	start uint64
	tick  int64
}

// twapTick integrates a piecewise-constant tick path over [now−window, now]
// and floors the mean: the TWAP computed from the ticks the test saw after
// each swap, not from the pool's accumulator.
func twapTick(path []segment, now uint64, window uint64) int64 {
	from := now - window
	var sum int64
	for i, s := range path {
		end := now
		if i+1 < len(path) {
			end = path[i+1].start
		}
		lo, hi := max(s.start, from), min(end, now)
		if hi > lo {
			sum += s.tick * int64(hi-lo)
		}
	}
	q := sum / int64(window)
	if sum < 0 && sum%int64(window) != 0 {
		q--
	}
	return q
}

// TestUniswapV3TWAPMatchesPoolHistory deploys Uniswap V3 from its npm
// artifacts on anvil, trades across an hour of chain time, and checks that
// the oracle's TWAP is the mean of the ticks the pool went through
// (integrated by the test from slot0 read after each swap and the blocks'
// times) and that its price is 1.0001^tick, both tokens' sides respected.
// A window longer than the pool's history, and a pool without the
// configured WETH, are ErrQuote.
func TestUniswapV3TWAPMatchesPoolHistory(t *testing.T) {
	ctx := testContext(t)
	a := anviltest.Start(t, anviltest.Options{})
	eth := a.EthClient(t)
	d, err := uniswaptest.Deploy(ctx, eth, anviltest.Key(0), big.NewInt(2000))
	require.NoError(t, err)
	require.NoError(t, d.GrowObservations(ctx, 50))

	now := func() uint64 {
		h, err := eth.HeaderByNumber(ctx, nil)
		require.NoError(t, err)
		return h.Time
	}
	tick, err := d.Tick(ctx)
	require.NoError(t, err)
	path := []segment{{start: now(), tick: tick}}
	weth := new(big.Int).Exp(big.NewInt(10), big.NewInt(21), nil) // 1000 WETH
	tokens := new(big.Int).Mul(weth, big.NewInt(2000))
	trades := []struct {
		wait uint64
		in   common.Address
		amt  *big.Int
	}{
		{300, d.WETH, weth}, {450, d.WETH, weth}, {200, d.Token, new(big.Int).Mul(tokens, big.NewInt(3))},
		{600, d.WETH, new(big.Int).Mul(weth, big.NewInt(5))}, {350, d.Token, tokens}, {500, d.WETH, weth},
	}
	for _, tr := range trades {
		require.NoError(t, a.RPC().CallContext(ctx, nil, "evm_increaseTime", hexutil.Uint64(tr.wait)))
		require.NoError(t, d.Swap(ctx, tr.in, tr.amt))
		tick, err := d.Tick(ctx)
		require.NoError(t, err)
		path = append(path, segment{start: now(), tick: tick})
	}
	require.NotEqual(t, path[0].tick, path[len(path)-1].tick, "the swaps moved the price")
	require.NoError(t, a.RPC().CallContext(ctx, nil, "evm_increaseTime", hexutil.Uint64(123)))
	require.NoError(t, a.Mine(ctx, 1))

	const window = 1800
	twap, err := l1.NewUniswapV3TWAP(a.RPC(), l1.UniswapV3Config{Pool: d.Pool, WETH: d.WETH, FeeToken: d.Token, Window: window})
	require.NoError(t, err)
	q, err := twap.Quote(ctx)
	require.NoError(t, err)
	wantTick := twapTick(path, now(), window)
	require.Equal(t, wantTick, q.MeanTick)
	require.True(t, q.HasTick)
	require.Equal(t, path[len(path)-1].start, q.LastObservationAt, "the newest observation is the last swap")

	// The pool's price is token1 per token0: with WETH as token0 that is
	// the token per wei, else its inverse; one ETH is 10^18 of them.
	price := powTick(wantTick)
	if token0, _ := d.Tokens(); token0 != d.WETH {
		price.Quo(new(big.Float).SetPrec(floatPrec).SetInt64(1), price)
	}
	price.Mul(price, new(big.Float).SetPrec(floatPrec).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)))
	got := new(big.Float).SetPrec(floatPrec).SetRat(q.TokenPerETH)
	rel := new(big.Float).Quo(new(big.Float).Sub(got, price), price)
	require.True(t, rel.Abs(rel).Cmp(big.NewFloat(1e-25)) < 0, "token per ETH %s, independent %s", got.Text('g', 30), price.Text('g', 30))
	// Sanity: around the initial 2000 token units per wei, moved by the trades.
	f, _ := got.Float64()
	require.InDelta(t, 2000e18, f, 0.2*2000e18)

	t.Run("window longer than the pool's history", func(t *testing.T) {
		long, err := l1.NewUniswapV3TWAP(a.RPC(), l1.UniswapV3Config{Pool: d.Pool, WETH: d.WETH, Window: 30 * 24 * 3600})
		require.NoError(t, err)
		_, err = long.Quote(ctx)
		require.ErrorIs(t, err, l1.ErrQuote)
		require.ErrorContains(t, err, "observe reverted")
	})
	t.Run("no WETH side", func(t *testing.T) {
		wrong, err := l1.NewUniswapV3TWAP(a.RPC(), l1.UniswapV3Config{Pool: d.Pool, WETH: common.HexToAddress("0x1234"), Window: window})
		require.NoError(t, err)
		_, err = wrong.Quote(ctx)
		require.ErrorIs(t, err, l1.ErrQuote)
		require.ErrorContains(t, err, "neither is WETH")
	})
	t.Run("not the fee token", func(t *testing.T) {
		wrong, err := l1.NewUniswapV3TWAP(a.RPC(), l1.UniswapV3Config{Pool: d.Pool, WETH: d.WETH, FeeToken: common.HexToAddress("0x1234"), Window: window})
		require.NoError(t, err)
		_, err = wrong.Quote(ctx)
		require.ErrorIs(t, err, l1.ErrQuote)
	})
	t.Run("not a pool", func(t *testing.T) {
		wrong, err := l1.NewUniswapV3TWAP(a.RPC(), l1.UniswapV3Config{Pool: d.WETH, WETH: d.WETH, Window: window})
		require.NoError(t, err)
		_, err = wrong.Quote(ctx)
		require.ErrorIs(t, err, l1.ErrQuote)
	})
}

// TestTokenPerETHAtTickDecimals: the ETH side's decimals scale the price
// (one ETH is 10^decimals of its units) and the side decides the
// direction; computed against 1.0001^tick independently.
func TestTokenPerETHAtTickDecimals(t *testing.T) {
	cases := []struct {
		tick     int64
		wethIs0  bool
		decimals uint8
	}{
		{76012, true, 18}, {-76012, false, 18}, {-200000, true, 18}, {200000, false, 6}, {0, true, 8},
	}
	for _, c := range cases {
		got, err := l1.TokenPerETHAtTick(c.tick, c.wethIs0, c.decimals)
		require.NoError(t, err)
		want := powTick(c.tick)
		if !c.wethIs0 {
			want.Quo(new(big.Float).SetPrec(floatPrec).SetInt64(1), want)
		}
		want.Mul(want, new(big.Float).SetPrec(floatPrec).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(c.decimals)), nil)))
		g := new(big.Float).SetPrec(floatPrec).SetRat(got)
		rel := new(big.Float).Quo(new(big.Float).Sub(g, want), want)
		require.True(t, rel.Abs(rel).Cmp(big.NewFloat(1e-20)) < 0, "%+v: %s vs %s", c, g.Text('g', 25), want.Text('g', 25))
	}
}

// TestGasSamplerFollowsBaseFee: the sample is the next block's base fee
// (as anvil_setNextBlockBaseFeePerGas set it) plus the submitter's tip.
func TestGasSamplerFollowsBaseFee(t *testing.T) {
	ctx := testContext(t)
	a := anviltest.Start(t, anviltest.Options{NoMining: true})
	g := l1.NewGasSampler(a.RPC())
	for _, gwei := range []int64{1, 50, 700} {
		base := new(big.Int).Mul(big.NewInt(gwei), big.NewInt(1e9))
		require.NoError(t, a.RPC().CallContext(ctx, nil, "anvil_setNextBlockBaseFeePerGas", (*hexutil.Big)(base)))
		s, err := g.Sample(ctx)
		require.NoError(t, err)
		require.Equal(t, base.String(), s.BaseFee.String())
		require.Equal(t, new(big.Int).Add(base, s.Tip).String(), s.WeiPerGas().String())
		n, err := a.BlockNumber(ctx)
		require.NoError(t, err)
		require.Equal(t, n, s.Block)
	}
}
