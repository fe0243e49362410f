package hotpath

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	commitSeconds prometheus.Histogram
	chunkSize     prometheus.Histogram
	rejected      prometheus.Counter
	queueFull     prometheus.Counter
	batchesSealed prometheus.Counter
	framesOpened  prometheus.Counter
	danger        *prometheus.GaugeVec
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
