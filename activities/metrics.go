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
			Help: "Inclusion waits that timed out (the next round re-sends with bumped fees)."}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sequencer_activity_failures_total",
			Help: "Activity attempts that failed, by activity (Temporal retries them)."}, []string{"activity"}),
	}
	reg.MustRegister(m.safeBlock, m.safeTimestamp, m.accepted, m.inputs, m.broadcasts, m.awaitTimeouts, m.failures)
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

func (m *Metrics) awaitTimeout() {
	if m != nil {
		m.awaitTimeouts.Inc()
	}
}

func (m *Metrics) failed(activity string, err error) {
	if m != nil && err != nil {
		m.failures.WithLabelValues(activity).Inc()
	}
}
