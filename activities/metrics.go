package activities

import (
	"math"
	"math/big"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the worker's Prometheus series. A nil *Metrics records
// nothing (tests).
type Metrics struct {
	safeBlock     prometheus.Gauge
	safeTimestamp prometheus.Gauge
	accepted      prometheus.Gauge
	inputs        prometheus.Counter
	broadcasts    *prometheus.CounterVec
	awaitTimeouts prometheus.Counter
	failures      *prometheus.CounterVec

	inFlight     prometheus.Gauge
	feeCapped    prometheus.Gauge
	replacements prometheus.Counter
	gasUsed      prometheus.Counter
	postedOps    prometheus.Counter

	flushFeeCapped prometheus.Gauge
	inconsistent   prometheus.Counter

	// What operators page on (docs/observability.md).
	feesPaid          prometheus.Counter
	walletBalance     prometheus.Gauge
	walletRunway      prometheus.Gauge
	backlogAge        prometheus.Gauge
	blocksUntilDanger prometheus.Gauge
	recovering        prometheus.Gauge
	divergence        prometheus.Gauge
	spend             spendWindow

	feeOracle *feeOracleMetrics // feeoracle.go
}

// NewMetrics registers the worker's series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		safeBlock: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_l1_safe_block",
			Help: "The L1 safe block the observer last recorded."}),
		safeTimestamp: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_l1_safe_block_timestamp_seconds",
			Help: "Timestamp of that block; alert on time() minus this (observer lag)."}),
		accepted: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_accepted_batches",
			Help: "Batches the rollup has accepted (its expected batch nonce)."}),
		inputs: prometheus.NewCounter(prometheus.CounterOpts{Name: "sequencer_l1_inputs_observed_total",
			Help: "Safe inputs of the application recorded."}),
		broadcasts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sequencer_batch_broadcasts_total",
			Help: "Batch broadcasts by result (sent, already_known, skipped)."}, []string{"result"}),
		awaitTimeouts: prometheus.NewCounter(prometheus.CounterOpts{Name: "sequencer_batch_inclusion_timeouts_total",
			Help: "Batch transactions not included SEQ_BATCH_SUBMITTER_RESEND_AFTER_BLOCKS after their broadcast (a replacement is planned)."}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sequencer_activity_failures_total",
			Help: "Activity attempts that failed, by activity (Temporal retries them)."}, []string{"activity"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_submitter_in_flight",
			Help: "Batch transactions of ours pending on L1 (the window in use, at most SEQ_BATCH_SUBMITTER_MAX_IN_FLIGHT)."}),
		feeCapped: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_submitter_fee_cap_reached",
			Help: "1 while a pending batch transaction sits at SEQ_L1_MAX_FEE_PER_GAS_GWEI and is not bumped further: alert."}),
		replacements: prometheus.NewCounter(prometheus.CounterOpts{Name: "sequencer_submitter_replacements_total",
			Help: "Batch transactions re-sent at the same wallet nonce with bumped fees (not included in time, or the slot reassigned)."}),
		gasUsed: prometheus.NewCounter(prometheus.CounterOpts{Name: "sequencer_submitter_l1_gas_used_total",
			Help: "L1 gas used by our included batch transactions."}),
		postedOps: prometheus.NewCounter(prometheus.CounterOpts{Name: "sequencer_submitter_posted_ops_total",
			Help: "User ops in our included batch transactions (gas per op = l1_gas_used_total / posted_ops_total)."}),
		inconsistent: prometheus.NewCounter(prometheus.CounterOpts{Name: "sequencer_submitter_inconsistent_views_total",
			Help: "Plans dropped because the L1 node's nonce and inputs at one block disagreed (planned again)."}),
		flushFeeCapped: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_flush_fee_cap_reached",
			Help: "1 while the recovery flush's self-transfers sit at SEQ_L1_MAX_FEE_PER_GAS_GWEI and are not bumped further: alert."}),
	}
	m.feesPaid = prometheus.NewCounter(prometheus.CounterOpts{Name: "sequencer_submitter_l1_fees_paid_wei_total",
		Help: "Wei our included batch transactions cost (gas used × effective gas price)."})
	m.walletBalance = prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_submitter_wallet_balance_wei",
		Help: "The batch submitter's balance at the latest block, read at each submission plan."})
	m.walletRunway = prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_submitter_wallet_runway_seconds",
		Help: "Balance ÷ the fees paid over the last hour per second: how long the wallet lasts at current spend (+Inf without spend)."})
	m.backlogAge = prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_backlog_age_blocks",
		Help: "Stored safe block minus the first frame's safe block of the oldest batch not accepted on L1 (0: none)."})
	m.blocksUntilDanger = prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_blocks_until_danger",
		Help: "Blocks left before the oldest unaccepted batch reaches the danger line (MAX_WAIT_BLOCKS − SEQ_PREEMPTIVE_MARGIN_BLOCKS), less blocks estimated missed; ≤ 0: danger."})
	m.recovering = prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_recovery_in_progress",
		Help: "1 while a recovery holds the batch tree (control mode recovering: intake is closed)."})
	m.divergence = prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_divergence_detected",
		Help: "1 once canonical divergence is recorded (terminal: the observer stops; docs/recovery.md)."})
	// Unknown until first computed: NaN, which no alert threshold matches
	// (a 0 would read as an empty wallet or a batch at the danger line).
	for _, g := range []prometheus.Gauge{m.walletBalance, m.walletRunway, m.backlogAge, m.blocksUntilDanger} {
		g.Set(math.NaN())
	}
	reg.MustRegister(m.safeBlock, m.safeTimestamp, m.accepted, m.inputs, m.broadcasts, m.awaitTimeouts, m.failures,
		m.inFlight, m.feeCapped, m.replacements, m.gasUsed, m.postedOps, m.flushFeeCapped, m.inconsistent,
		m.feesPaid, m.walletBalance, m.walletRunway, m.backlogAge, m.blocksUntilDanger, m.recovering, m.divergence)
	m.feeOracle = newFeeOracleMetrics(reg)
	return m
}

// runwayWindow is how far back the runway's spend rate looks.
const runwayWindow = time.Hour

// spendWindow keeps the fees paid in the last runwayWindow. The rate is
// their sum over the whole window, also in the first hour after a start
// (the runway then reads high until the window fills, rather than
// extrapolating one early inclusion into a false alarm).
type spendWindow struct {
	mu    sync.Mutex
	spent []spent
}

type spent struct {
	at  time.Time
	wei float64
}

func (w *spendWindow) add(at time.Time, wei float64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.spent = append(w.spent, spent{at: at, wei: wei})
}

// perSecond prunes what is older than the window and returns the rate.
func (w *spendWindow) perSecond(now time.Time) float64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	keep := w.spent[:0]
	total := 0.0
	for _, s := range w.spent {
		if now.Sub(s.at) < runwayWindow {
			keep = append(keep, s)
			total += s.wei
		}
	}
	w.spent = keep
	return total / runwayWindow.Seconds()
}

// runway is balance ÷ rate in seconds, +Inf without spend.
func runway(balance, perSecond float64) float64 {
	if perSecond <= 0 {
		return math.Inf(1)
	}
	return balance / perSecond
}

// feePaid counts what an included batch transaction cost.
func (m *Metrics) feePaid(gasUsed uint64, effectiveGasPrice *big.Int, now time.Time) {
	if m == nil || effectiveGasPrice == nil {
		return
	}
	wei, _ := new(big.Float).Mul(new(big.Float).SetUint64(gasUsed), new(big.Float).SetInt(effectiveGasPrice)).Float64()
	m.feesPaid.Add(wei)
	m.spend.add(now, wei)
}

// wallet sets the balance and runway gauges.
func (m *Metrics) wallet(balance *big.Int, now time.Time) {
	if m == nil || balance == nil {
		return
	}
	b, _ := new(big.Float).SetInt(balance).Float64()
	m.walletBalance.Set(b)
	m.walletRunway.Set(runway(b, m.spend.perSecond(now)))
}

// control sets the recovery and divergence gauges from the control row.
func (m *Metrics) control(recovering, diverged bool) {
	if m == nil {
		return
	}
	m.recovering.Set(boolGauge(recovering))
	m.divergence.Set(boolGauge(diverged))
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// dangerMargin sets the backlog-age and blocks-until-danger gauges
// (hotpath.DangerMargin).
func (m *Metrics) dangerMargin(ageBlocks uint64, untilDanger int64) {
	if m == nil {
		return
	}
	m.backlogAge.Set(float64(ageBlocks))
	m.blocksUntilDanger.Set(float64(untilDanger))
}

func (m *Metrics) observed(safeBlock, safeTimestamp, accepted uint64, inputs int) {
	if m == nil {
		return
	}
	m.safeBlock.Set(float64(safeBlock))
	m.safeTimestamp.Set(float64(safeTimestamp))
	m.accepted.Set(float64(accepted))
	m.inputs.Add(float64(inputs))
}

func (m *Metrics) broadcast(result string) {
	if m != nil {
		m.broadcasts.WithLabelValues(result).Inc()
	}
}

// inconsistentView counts a plan dropped on an inconsistent L1 view.
func (m *Metrics) inconsistentView() {
	if m == nil {
		return
	}
	m.inconsistent.Inc()
}

// flushCapped sets the recovery flush's fee-cap gauge.
func (m *Metrics) flushCapped(capped bool) {
	if m == nil {
		return
	}
	if capped {
		m.flushFeeCapped.Set(1)
	} else {
		m.flushFeeCapped.Set(0)
	}
}

// window sets the in-flight and fee-cap gauges from a plan.
func (m *Metrics) window(inFlight int, capped bool) {
	if m == nil {
		return
	}
	m.inFlight.Set(float64(inFlight))
	if capped {
		m.feeCapped.Set(1)
	} else {
		m.feeCapped.Set(0)
	}
}

// inFlightSkipped takes a planned new transaction the claim refused off
// the in-flight gauge.
func (m *Metrics) inFlightSkipped(wasNew bool) {
	if m != nil && wasNew {
		m.inFlight.Dec()
	}
}

// replaced counts a replacement the node took.
func (m *Metrics) replaced() {
	if m != nil {
		m.replacements.Inc()
		m.awaitTimeouts.Inc()
	}
}

func (m *Metrics) posted(gas uint64, ops uint64) {
	if m != nil {
		m.gasUsed.Add(float64(gas))
		m.postedOps.Add(float64(ops))
	}
}

func (m *Metrics) failed(activity string, err error) {
	if m != nil && err != nil {
		m.failures.WithLabelValues(activity).Inc()
	}
}
