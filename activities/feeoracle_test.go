package activities

import (
	"context"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/anviltest"
	"github.com/cartesi/sequencer/internal/pgtest"
	"github.com/cartesi/sequencer/internal/uniswaptest"
	"github.com/cartesi/sequencer/l1"
	"github.com/cartesi/sequencer/migrations"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
	"github.com/cartesi/sequencer/workflows"
)

// oracleWorld is a real anvil (blocks on demand) and a migrated database.
type oracleWorld struct {
	anvil *anviltest.Anvil
	pool  *pgxpool.Pool
	acts  *Activities
}

func newOracleWorld(t *testing.T, o *FeeOracle) *oracleWorld {
	t.Helper()
	ctx := context.Background()
	a := anviltest.Start(t, anviltest.Options{})
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t, pgtest.WithTemplate("migrated", migrations.ApplyURL)))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	o.Policy = store.NewFeePolicy(pool)
	if o.Mode != workflows.FeeModeStatic {
		o.Gas = l1.NewGasSampler(a.RPC())
	}
	o.Poll = 20 * time.Millisecond
	acts := &Activities{Pool: pool, FeeOracle: o, Now: time.Now, Log: slog.New(slog.DiscardHandler),
		Metrics: NewMetrics(prometheus.NewRegistry())}
	return &oracleWorld{anvil: a, pool: pool, acts: acts}
}

// metricValue reads a gauge's or a counter's value.
func metricValue(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	require.NoError(t, m.Write(&out))
	if out.Gauge != nil {
		return out.GetGauge().GetValue()
	}
	return out.GetCounter().GetValue()
}

func (w *oracleWorld) setBaseFee(t *testing.T, wei *big.Int) {
	t.Helper()
	require.NoError(t, w.anvil.RPC().CallContext(context.Background(), nil, "anvil_setNextBlockBaseFeePerGas", (*hexutil.Big)(wei)))
}

func (w *oracleWorld) round(t *testing.T, req workflows.FeeOracleRequest) workflows.FeeOracleResult {
	t.Helper()
	r, err := call[workflows.FeeOracleResult](t, w.acts.FeeOracleRound, req)
	require.NoError(t, err)
	return r
}

func (w *oracleWorld) logGasPrice(t *testing.T) int {
	t.Helper()
	var v int
	require.NoError(t, w.pool.QueryRow(context.Background(), `SELECT log_gas_price FROM batch_policy`).Scan(&v))
	return v
}

// expectedExponent is the smallest n with fee_to_linear(n) ≥
// ceil(weiPerGas × tokenPerETH / 10^18), found by a linear walk over the
// consensus conversion (not the oracle's code).
func expectedExponent(t *testing.T, weiPerGas, tokenPerETH *big.Int) int {
	t.Helper()
	num := new(big.Int).Mul(weiPerGas, tokenPerETH)
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	linear := new(big.Int).Div(new(big.Int).Add(num, new(big.Int).Sub(den, big.NewInt(1))), den)
	for n := 0; n <= protocol.MaxFeeExponent; n++ {
		v, err := protocol.FeeToLinear(uint16(n))
		require.NoError(t, err)
		if v.ToBig().Cmp(linear) >= 0 {
			return n
		}
	}
	t.Fatalf("no exponent reaches %s", linear)
	return 0
}

// TestFeeOracleFixedPriceFollowsBaseFeeWithClamp: in fixed-price mode the
// target is fee_from_linear_ceil(ceil(wei per gas × price / 10^18)) with
// the node's base fee plus the submitter's tip; the stored value climbs to
// it at most MaxStep per round, stays, and follows a raised base fee.
func TestFeeOracleFixedPriceFollowsBaseFeeWithClamp(t *testing.T) {
	ctx := context.Background()
	price := new(big.Int).Mul(big.NewInt(1000), big.NewInt(1e18)) // 1000 tokens of 18 decimals per ETH
	w := newOracleWorld(t, &FeeOracle{Mode: workflows.FeeModeFixedPrice, Price: l1.FixedPrice{TokenPerETH: price},
		IntervalBlocks: 2, MaxStep: 100})
	base := big.NewInt(2e9)
	w.setBaseFee(t, base)
	var tip big.Int
	require.NoError(t, w.anvil.RPC().CallContext(ctx, (*hexutil.Big)(&tip), "eth_maxPriorityFeePerGas"))
	want := expectedExponent(t, new(big.Int).Add(base, &tip), price)
	require.Greater(t, want, 300, "the climb takes several clamped steps")

	var r workflows.FeeOracleResult
	prev := 0
	for rounds := 0; ; rounds++ {
		require.Less(t, rounds, want/100+2, "converges in ceil(target/step) rounds")
		w.setBaseFee(t, base) // the next block's base fee stays put
		r = w.round(t, workflows.FeeOracleRequest{})
		require.True(t, r.Sampled)
		require.Equal(t, new(big.Int).Add(base, &tip).String(), r.WeiPerGas)
		require.Equal(t, want, r.Target)
		require.Equal(t, prev, r.Before)
		require.Equal(t, min(prev+100, want), r.After)
		require.Equal(t, r.After != want, r.Clamped)
		require.Equal(t, r.After, w.logGasPrice(t))
		prev = r.After
		if !r.Clamped {
			break
		}
	}
	require.Equal(t, float64(want), metricValue(t, w.acts.Metrics.feeOracle.logGasPrice))
	require.Equal(t, float64(1), metricValue(t, w.acts.Metrics.feeOracle.quoteOK))

	// Ten times the base fee: the target rises, the write by one step.
	base10 := new(big.Int).Mul(base, big.NewInt(10))
	w.setBaseFee(t, base10)
	r = w.round(t, workflows.FeeOracleRequest{})
	want10 := expectedExponent(t, new(big.Int).Add(base10, &tip), price)
	require.Greater(t, want10, want+100)
	require.Equal(t, want10, r.Target)
	require.Equal(t, want+100, r.After)
	require.True(t, r.Clamped)
	require.Equal(t, float64(1), metricValue(t, w.acts.Metrics.feeOracle.clamped))

	// The interval: a round after block B waits for B+2; without blocks it
	// returns unsampled after its wait and writes nothing.
	require.NoError(t, w.anvil.Mine(ctx, 1)) // past genesis: AfterBlock 0 means "at once"
	n, err := w.anvil.BlockNumber(ctx)
	require.NoError(t, err)
	r = w.round(t, workflows.FeeOracleRequest{AfterBlock: n, Wait: 300 * time.Millisecond})
	require.False(t, r.Sampled, "%+v at block %d", r, n)
	require.Equal(t, want+100, w.logGasPrice(t))
	require.NoError(t, w.anvil.Mine(ctx, 2))
	r = w.round(t, workflows.FeeOracleRequest{AfterBlock: n, Wait: time.Minute})
	require.True(t, r.Sampled)
	require.GreaterOrEqual(t, r.Block, n+2)
}

// TestFeeOracleUniswapStaleAndFailingQuotes: on a real pool, a usable TWAP
// is applied; a pool quiet for longer than MaxQuoteAge is stale and a
// window longer than the pool's history fails: both keep log_gas_price and
// count a quote failure by reason.
func TestFeeOracleUniswapStaleAndFailingQuotes(t *testing.T) {
	ctx := context.Background()
	o := &FeeOracle{Mode: workflows.FeeModeUniswapV3, IntervalBlocks: 1, MaxStep: 5000, MaxQuoteAge: time.Hour}
	w := newOracleWorld(t, o)
	d, err := uniswaptest.Deploy(ctx, w.anvil.EthClient(t), anviltest.Key(0), big.NewInt(3000))
	require.NoError(t, err)
	require.NoError(t, d.GrowObservations(ctx, 20))
	require.NoError(t, w.anvil.RPC().CallContext(ctx, nil, "evm_increaseTime", hexutil.Uint64(900)))
	require.NoError(t, d.Swap(ctx, d.WETH, big.NewInt(1e18)))
	require.NoError(t, w.anvil.RPC().CallContext(ctx, nil, "evm_increaseTime", hexutil.Uint64(60)))
	require.NoError(t, w.anvil.Mine(ctx, 1))

	twap := func(window uint32) *l1.UniswapV3TWAP {
		q, err := l1.NewUniswapV3TWAP(w.anvil.RPC(), l1.UniswapV3Config{Pool: d.Pool, WETH: d.WETH, FeeToken: d.Token, Window: window})
		require.NoError(t, err)
		return q
	}
	o.Price = twap(600)
	r := w.round(t, workflows.FeeOracleRequest{})
	require.Empty(t, r.Problem)
	require.Contains(t, r.QuoteSource, "uniswap-v3")
	require.Positive(t, r.After)
	applied := r.After

	t.Run("failing", func(t *testing.T) {
		o.Price = twap(30 * 24 * 3600)
		r := w.round(t, workflows.FeeOracleRequest{})
		require.True(t, r.Sampled)
		require.Contains(t, r.Problem, "error: ")
		require.Equal(t, applied, r.After)
		require.Equal(t, applied, w.logGasPrice(t))
		require.Equal(t, float64(1), metricValue(t, w.acts.Metrics.feeOracle.quoteFailures.WithLabelValues("error")))
		require.Zero(t, metricValue(t, w.acts.Metrics.feeOracle.quoteOK))
	})
	t.Run("stale", func(t *testing.T) {
		o.Price = twap(600)
		require.NoError(t, w.anvil.RPC().CallContext(ctx, nil, "evm_increaseTime", hexutil.Uint64(2*3600)))
		require.NoError(t, w.anvil.Mine(ctx, 1))
		w.setBaseFee(t, big.NewInt(500e9)) // a target far from the applied one
		require.NoError(t, w.anvil.Mine(ctx, 1))
		r := w.round(t, workflows.FeeOracleRequest{})
		require.Contains(t, r.Problem, "stale: ")
		require.Equal(t, applied, w.logGasPrice(t))
		require.Equal(t, float64(1), metricValue(t, w.acts.Metrics.feeOracle.quoteFailures.WithLabelValues("stale")))
		// A swap refreshes the pool: the quote is usable again.
		require.NoError(t, d.Swap(ctx, d.Token, new(big.Int).Mul(big.NewInt(1e18), big.NewInt(1e7)))) // moves the tick: a new observation
		r = w.round(t, workflows.FeeOracleRequest{})
		require.Empty(t, r.Problem)
		require.Greater(t, r.After, applied)
		require.Equal(t, float64(1), metricValue(t, w.acts.Metrics.feeOracle.quoteOK))
	})
}

// TestFeeOracleStatic: static mode writes its value once and says done.
func TestFeeOracleStatic(t *testing.T) {
	w := newOracleWorld(t, &FeeOracle{Mode: workflows.FeeModeStatic, StaticLogGasPrice: 777})
	r := w.round(t, workflows.FeeOracleRequest{})
	require.True(t, r.Done)
	require.Equal(t, workflows.FeeOracleResult{Mode: workflows.FeeModeStatic, Sampled: true, Done: true, Target: 777, Before: 0, After: 777}, r)
	require.Equal(t, 777, w.logGasPrice(t))
}

// TestFeeExponent: the rounding is one ceiling of the exact product
// (checked against a linear walk over the consensus conversion); a product
// past the largest exponent is ErrFeeRange.
func TestFeeExponent(t *testing.T) {
	cases := []struct{ wei, tokenPerETH int64 }{
		{0, 1e18},
		{1, 1},         // 10^-18 units per gas: ceil 1 → 0
		{1e9, 1e9},     // exactly 1 unit per gas
		{1e9, 1e9 + 1}, // just over 1: ceil 2
		{30e9, 3000e6}, // a 6-decimal token at 3000 per ETH, 30 gwei
		{30e9, 3000e18 / 1e3},
		{7, 1e18}, // anvil's floor base fee with an 18-decimal 1:1 token
	}
	for _, c := range cases {
		got, err := FeeExponent(big.NewInt(c.wei), new(big.Rat).SetInt64(c.tokenPerETH))
		require.NoError(t, err)
		require.Equal(t, expectedExponent(t, big.NewInt(c.wei), big.NewInt(c.tokenPerETH)), got, "%+v", c)
	}
	huge := new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), 300))
	_, err := FeeExponent(big.NewInt(1), huge)
	require.ErrorIs(t, err, ErrFeeRange)
}
