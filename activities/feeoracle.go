package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/holiman/uint256"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/cartesi/sequencer/l1"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
	"github.com/cartesi/sequencer/workflows"
)

// GasSampler is the L1 gas price source the fee oracle uses (l1.GasSampler).
type GasSampler interface {
	BlockNumber(ctx context.Context) (uint64, error)
	Sample(ctx context.Context) (l1.GasSample, error)
}

// PriceQuoter prices one ETH in the fee token (l1.FixedPrice,
// l1.UniswapV3TWAP).
type PriceQuoter interface {
	Quote(ctx context.Context) (l1.Quote, error)
}

// FeePolicyStore is the part of store.FeePolicy the oracle uses.
type FeePolicyStore interface {
	LogGasPrice(ctx context.Context) (int, error)
	SetLogGasPrice(ctx context.Context, v int) (bool, error)
	StepLogGasPrice(ctx context.Context, target, maxStep int) (store.LogGasPriceStep, error)
}

// FeeOracle is the fee oracle's dependencies and settings (SEQ_FEE_ORACLE_*,
// docs/fee-oracle.md), set once at construction.
type FeeOracle struct {
	Mode   string // workflows.FeeMode*
	Policy FeePolicyStore
	Gas    GasSampler  // nil in static mode
	Price  PriceQuoter // nil in static mode
	// IntervalBlocks is how many blocks apart samples are.
	IntervalBlocks uint64
	// MaxStep bounds one write's change of log_gas_price.
	MaxStep int
	// StaticLogGasPrice is the static mode's value.
	StaticLogGasPrice int
	// MaxQuoteAge: a Uniswap quote whose pool's newest observation is older
	// than this (against the latest block's time) is stale; 0: never.
	MaxQuoteAge time.Duration
	// Poll is how often a round looks at the block number while it waits
	// (0: one second).
	Poll time.Duration
}

// FeeOracleRound runs one round of the fee oracle (workflows.FeeOracle).
// Static mode writes the configured log_gas_price and reports Done.
// Otherwise it waits, heartbeating, until the latest block is at least
// req.AfterBlock + IntervalBlocks (returning an unsampled result after
// req.Wait), samples the L1 gas price (base fee + the submitter's tip) and
// the price of ETH in the fee token, and moves log_gas_price toward
// fee_from_linear_ceil(ceil(wei per gas × token per wei)) by at most
// MaxStep. A stale or failing quote writes nothing: the result says why and
// sequencer_fee_oracle_quote_failures_total counts it. A failing gas
// sample or database is an error (retried). Idempotent in effect: a retry
// samples again and steps toward the new target from the stored value (so
// a retry after a lost answer takes at most one more step toward it).
func (a *Activities) FeeOracleRound(ctx context.Context, req workflows.FeeOracleRequest) (res workflows.FeeOracleResult, err error) {
	defer func() { a.Metrics.failed(workflows.ActivityFeeOracleRound, err) }()
	o := a.FeeOracle
	if o == nil || o.Policy == nil {
		return res, temporal.NewNonRetryableApplicationError("the worker has no fee oracle configured", workflows.ErrTypeConfiguration, nil)
	}
	res.Mode = o.Mode
	if o.Mode == workflows.FeeModeStatic {
		return a.feeOracleStatic(ctx, o, res)
	}
	if o.Gas == nil || o.Price == nil || o.MaxStep <= 0 {
		return res, temporal.NewNonRetryableApplicationError(fmt.Sprintf("fee oracle mode %q lacks its gas sampler, price source or step", o.Mode),
			workflows.ErrTypeConfiguration, nil)
	}
	due, err := a.feeOracleWait(ctx, o, req)
	if err != nil || !due {
		return res, err
	}
	sample, err := o.Gas.Sample(ctx)
	if err != nil {
		return res, classify(err)
	}
	res.Sampled, res.Block = true, sample.Block
	wei := sample.WeiPerGas()
	res.BaseFee, res.Tip, res.WeiPerGas = sample.BaseFee.String(), sample.Tip.String(), wei.String()
	a.Metrics.feeOracleSample(wei)

	quote, qerr := o.Price.Quote(ctx)
	if qerr == nil {
		res.TokenPerETH, res.QuoteSource = ratText(quote.TokenPerETH), quote.Source
		if quote.HasTick && o.MaxQuoteAge > 0 && sample.Time > quote.LastObservationAt &&
			time.Duration(sample.Time-quote.LastObservationAt)*time.Second > o.MaxQuoteAge {
			qerr = fmt.Errorf("stale: the pool's newest observation is %d s older than block %d (limit %v)",
				sample.Time-quote.LastObservationAt, sample.Block, o.MaxQuoteAge)
			return a.feeOracleProblem(ctx, o, res, "stale", qerr)
		}
	}
	if qerr != nil {
		return a.feeOracleProblem(ctx, o, res, "error", qerr)
	}
	target, err := FeeExponent(wei, quote.TokenPerETH)
	if err != nil {
		return a.feeOracleProblem(ctx, o, res, "error", err)
	}
	res.Target = target
	step, err := o.Policy.StepLogGasPrice(ctx, target, o.MaxStep)
	if err != nil {
		return res, err
	}
	res.Before, res.After, res.Clamped = step.Before, step.After, step.Clamped
	a.Metrics.feeOracleWrote(target, step.After, step.Clamped, a.now())
	a.logger().Info("fee oracle sample", "mode", o.Mode, "block", sample.Block, "wei_per_gas", wei, "token_per_eth", res.TokenPerETH,
		"source", quote.Source, "target", target, "log_gas_price_before", step.Before, "log_gas_price", step.After, "clamped", step.Clamped)
	return res, nil
}

// feeOracleStatic writes the static value (idempotent).
func (a *Activities) feeOracleStatic(ctx context.Context, o *FeeOracle, res workflows.FeeOracleResult) (workflows.FeeOracleResult, error) {
	before, err := o.Policy.LogGasPrice(ctx)
	if err != nil {
		return res, err
	}
	if _, err := o.Policy.SetLogGasPrice(ctx, o.StaticLogGasPrice); err != nil {
		return res, err
	}
	res.Sampled, res.Done = true, true
	res.Target, res.Before, res.After = o.StaticLogGasPrice, before, o.StaticLogGasPrice
	a.Metrics.feeOracleWrote(o.StaticLogGasPrice, o.StaticLogGasPrice, false, a.now())
	a.logger().Info("fee oracle static: log_gas_price written, the fee does not follow L1 gas", "log_gas_price", o.StaticLogGasPrice,
		"before", before)
	return res, nil
}

// feeOracleWait waits until the interval's blocks have come (due) or
// req.Wait has passed (not due). A chain behind req.AfterBlock (a reset dev
// chain) is due at once.
func (a *Activities) feeOracleWait(ctx context.Context, o *FeeOracle, req workflows.FeeOracleRequest) (bool, error) {
	if req.AfterBlock == 0 {
		return true, nil
	}
	poll := o.Poll
	if poll <= 0 {
		poll = time.Second
	}
	deadline := a.now().Add(req.Wait)
	for {
		n, err := o.Gas.BlockNumber(ctx)
		if err != nil {
			return false, classify(err)
		}
		if n >= req.AfterBlock+o.IntervalBlocks || n < req.AfterBlock {
			return true, nil
		}
		if !a.now().Before(deadline) {
			return false, nil
		}
		activity.RecordHeartbeat(ctx, n)
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// feeOracleProblem records a stale or failing quote: nothing is written.
func (a *Activities) feeOracleProblem(ctx context.Context, o *FeeOracle, res workflows.FeeOracleResult, reason string, err error) (workflows.FeeOracleResult, error) {
	v, rerr := o.Policy.LogGasPrice(ctx)
	if rerr != nil {
		return res, rerr
	}
	res.Before, res.After = v, v
	res.Problem = reason + ": " + err.Error()
	a.Metrics.feeOracleQuoteFailed(reason)
	a.logger().Warn("fee oracle: quote unusable, log_gas_price kept", "reason", reason, "error", err, "log_gas_price", v)
	return res, nil
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Activities) logger() *slog.Logger {
	if a.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Log.With("component", "fee-oracle")
}

// ErrFeeRange: the sample's fee per gas needs an exponent above the
// protocol maximum (a broken quote, most likely).
var ErrFeeRange = errors.New("fee per gas beyond the largest fee exponent")

// weiPerETH is 10^18.
var weiPerETH = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// FeeExponent is fee_from_linear_ceil(ceil(weiPerGas × tokenPerETH /
// 10^18)): the smallest fee exponent whose value covers one gas at
// weiPerGas, in the fee token's smallest units, rounded up once.
func FeeExponent(weiPerGas *big.Int, tokenPerETH *big.Rat) (int, error) {
	if weiPerGas.Sign() < 0 || tokenPerETH.Sign() < 0 {
		return 0, fmt.Errorf("negative gas price or quote")
	}
	num := new(big.Int).Mul(weiPerGas, tokenPerETH.Num())
	den := new(big.Int).Mul(weiPerETH, tokenPerETH.Denom())
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	v, overflow := uint256.FromBig(q)
	if overflow {
		return 0, fmt.Errorf("%w: %s units per gas", ErrFeeRange, q)
	}
	n, ok := protocol.FeeFromLinearCeil(v)
	if !ok {
		return 0, fmt.Errorf("%w: %s units per gas", ErrFeeRange, q)
	}
	return int(n), nil
}

// ratText formats a positive rational with 12 significant digits.
func ratText(r *big.Rat) string {
	f, _ := new(big.Float).SetPrec(128).SetString(r.RatString())
	if f == nil {
		return r.FloatString(0)
	}
	return f.Text('g', 12)
}

// feeOracleMetrics are the fee oracle's series (part of Metrics).
type feeOracleMetrics struct {
	logGasPrice   prometheus.Gauge
	target        prometheus.Gauge
	weiPerGas     prometheus.Gauge
	clamped       prometheus.Gauge
	quoteOK       prometheus.Gauge
	lastWrite     prometheus.Gauge
	quoteFailures *prometheus.CounterVec
}

func newFeeOracleMetrics(reg prometheus.Registerer) *feeOracleMetrics {
	m := &feeOracleMetrics{
		logGasPrice: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_fee_oracle_log_gas_price",
			Help: "batch_policy.log_gas_price as the fee oracle last left it."}),
		target: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_fee_oracle_target_log_gas_price",
			Help: "The exponent the last sample asked for, before the per-update clamp."}),
		weiPerGas: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_fee_oracle_l1_wei_per_gas",
			Help: "The last L1 gas price sample (next base fee + the submitter's tip), wei."}),
		clamped: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_fee_oracle_clamped",
			Help: "1 while the last write was held short of its target by SEQ_FEE_ORACLE_MAX_STEP."}),
		quoteOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_fee_oracle_quote_ok",
			Help: "1 while the last quote was usable; 0 while it is stale or failing (the fee is frozen): alert."}),
		lastWrite: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_fee_oracle_last_update_timestamp_seconds",
			Help: "When the oracle last applied a sample; alert on time() minus this."}),
		quoteFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sequencer_fee_oracle_quote_failures_total",
			Help: "Samples whose price quote was stale or failed (log_gas_price kept), by reason."}, []string{"reason"}),
	}
	reg.MustRegister(m.logGasPrice, m.target, m.weiPerGas, m.clamped, m.quoteOK, m.lastWrite, m.quoteFailures)
	return m
}

func (m *Metrics) feeOracleWrote(target, value int, clamped bool, now time.Time) {
	if m == nil || m.feeOracle == nil {
		return
	}
	f := m.feeOracle
	f.target.Set(float64(target))
	f.logGasPrice.Set(float64(value))
	f.clamped.Set(b2f(clamped))
	f.quoteOK.Set(1)
	f.lastWrite.Set(float64(now.Unix()))
}

func (m *Metrics) feeOracleSample(wei *big.Int) {
	if m == nil || m.feeOracle == nil {
		return
	}
	f, _ := new(big.Float).SetInt(wei).Float64()
	m.feeOracle.weiPerGas.Set(f)
}

func (m *Metrics) feeOracleQuoteFailed(reason string) {
	if m == nil || m.feeOracle == nil {
		return
	}
	m.feeOracle.quoteOK.Set(0)
	m.feeOracle.quoteFailures.WithLabelValues(reason).Inc()
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
