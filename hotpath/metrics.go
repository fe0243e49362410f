package hotpath

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	commitSeconds prometheus.Histogram
	chunkSize     prometheus.Histogram
	rejected      prometheus.Counter
	queueFull     prometheus.Counter
	batchesSealed prometheus.Counter
	framesOpened  prometheus.Counter
	danger        *prometheus.GaugeVec

	// Admission control (capacity.md §2).
	backlog       prometheus.Gauge
	postingRate   prometheus.Gauge
	queueDelay    prometheus.Gauge
	feeStep       prometheus.Gauge
	admState      prometheus.Gauge
	sealedWaiting prometheus.Gauge
	largeBatches  prometheus.Gauge
	shed          prometheus.Counter
	admissionRead prometheus.Histogram
}

var allDangers = []Danger{DangerDivergence, DangerL1Stale, DangerClosedBatch, DangerTip, DangerClockFault, DangerEstimated, DangerSafe}

func newMetrics(reg prometheus.Registerer, queueDepth func() float64) *metrics {
	m := &metrics{
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sequencer_lane_commit_seconds", Help: "Time to execute and commit one group-commit chunk.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		chunkSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sequencer_lane_chunk_ops", Help: "User ops committed per group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 9),
		}),
		rejected:      prometheus.NewCounter(prometheus.CounterOpts{Name: "sequencer_lane_rejected_ops_total", Help: "Ops the application refused."}),
		queueFull:     prometheus.NewCounter(prometheus.CounterOpts{Name: "sequencer_lane_queue_full_total", Help: "Submissions refused because the intake queue was full."}),
		batchesSealed: prometheus.NewCounter(prometheus.CounterOpts{Name: "sequencer_lane_batches_sealed_total", Help: "Batches sealed."}),
		framesOpened:  prometheus.NewCounter(prometheus.CounterOpts{Name: "sequencer_lane_frames_opened_total", Help: "Frames opened by safe-head advances."}),
		danger: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sequencer_danger_state", Help: "1 for the danger detector's current classification.",
		}, []string{"state"}),
	}
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	}
	m.backlog = gauge("sequencer_admission_backlog_ops", "User ops not yet accepted on L1 (valid sealed batches plus the open batch).")
	m.postingRate = gauge("sequencer_admission_posting_rate_ops_per_block",
		"Ops accepted on L1 per block over the last 10 minutes, floored at one submitter window per resend period.")
	m.queueDelay = gauge("sequencer_admission_queue_delay_blocks",
		"Estimated age in blocks of the newest acknowledged op's batch when it lands on L1.")
	m.feeStep = gauge("sequencer_admission_fee_step", "Extra fee exponent above the policy fee that new frames get.")
	m.admState = gauge("sequencer_admission_state", "Admission state: 0 normal, 1 fee_step, 2 shedding.")
	m.sealedWaiting = gauge("sequencer_admission_sealed_waiting_batches", "Valid sealed batches not yet accepted on L1.")
	m.largeBatches = gauge("sequencer_admission_large_batches", "1 while batches are sealed at SEQ_MAX_BATCH_BYTES because of a backlog.")
	m.shed = prometheus.NewCounter(prometheus.CounterOpts{Name: "sequencer_admission_shed_total",
		Help: "Submissions refused with 429 L1_BACKLOG."})
	m.admissionRead = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "sequencer_admission_read_seconds", Help: "Time to read the admission figures from the database.",
		Buckets: prometheus.ExponentialBuckets(0.00005, 2, 14),
	})
	reg.MustRegister(m.backlog, m.postingRate, m.queueDelay, m.feeStep, m.admState, m.sealedWaiting, m.largeBatches,
		m.shed, m.admissionRead)
	reg.MustRegister(m.commitSeconds, m.chunkSize, m.rejected, m.queueFull, m.batchesSealed, m.framesOpened, m.danger,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sequencer_lane_queue_depth", Help: "Requests waiting in the intake queue."}, queueDepth))
	return m
}

func (m *metrics) setDanger(d Danger) {
	for _, s := range allDangers {
		v := 0.0
		if s == d {
			v = 1
		}
		m.danger.WithLabelValues(string(s)).Set(v)
	}
}

func (m *metrics) setAdmission(a Admission) {
	m.backlog.Set(float64(a.BacklogOps))
	m.postingRate.Set(a.PostingRate)
	m.queueDelay.Set(a.QueueDelay)
	m.admState.Set(float64(admissionStateCode(a.State)))
	m.sealedWaiting.Set(float64(a.SealedWaiting))
	v := 0.0
	if a.LargeBatches {
		v = 1
	}
	m.largeBatches.Set(v)
}

func admissionStateCode(s AdmissionState) int {
	switch s {
	case AdmissionFeeStep:
		return 1
	case AdmissionShedding:
		return 2
	}
	return 0
}

// slogLevel is the level admission state changes are logged at: anything
// but normal is something an operator should notice.
func slogLevel(s AdmissionState) slog.Level {
	if s == AdmissionNormal {
		return slog.LevelInfo
	}
	return slog.LevelWarn
}
