package activities

import "github.com/prometheus/client_golang/prometheus"

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
	reg.MustRegister(m.safeBlock, m.safeTimestamp, m.accepted, m.inputs, m.broadcasts, m.awaitTimeouts, m.failures,
		m.inFlight, m.feeCapped, m.replacements, m.gasUsed, m.postedOps, m.flushFeeCapped, m.inconsistent)
	return m
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
