package hotpath

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// stateMetrics are the lane's figures on the cost of state (capacity.md §3):
// the longest commit it ever held, bounded drains, and the checkpointer.
type stateMetrics struct {
	mu            sync.Mutex
	longest       time.Duration
	longestCommit prometheus.Gauge
	drained       prometheus.Counter
	boundedDrains prometheus.Counter
	checkpoints   prometheus.Counter
	checkpointDur prometheus.Histogram
	checkpointLen prometheus.Gauge
	checkpointLag prometheus.Gauge
	checkpointErr prometheus.Counter
}

func newStateMetrics(reg prometheus.Registerer) *stateMetrics {
	m := &stateMetrics{
		longestCommit: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_lane_longest_commit_seconds",
			Help: "The longest lane commit since the process started (ops, frames with their drains, seals)."}),
		drained: prometheus.NewCounter(prometheus.CounterOpts{Name: "sequencer_lane_drained_inputs_total",
			Help: "Direct inputs drained into frames."}),
		boundedDrains: prometheus.NewCounter(prometheus.CounterOpts{Name: "sequencer_lane_bounded_drains_total",
			Help: "Frames whose safe block stopped short of the safe head because more direct inputs waited than one frame drains."}),
		checkpoints: prometheus.NewCounter(prometheus.CounterOpts{Name: "sequencer_checkpoints_total",
			Help: "Full snapshots the checkpointer materialized at batch boundaries."}),
		checkpointDur: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sequencer_checkpoint_seconds",
			Help:    "Time to materialize and store one checkpoint (replay, encode, write), off the lane.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}),
		checkpointLen: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_checkpoint_bytes",
			Help: "Size of the newest checkpoint."}),
		checkpointLag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sequencer_checkpoint_replay_rows",
			Help: "Replay rows the newest checkpoint applied on top of its base."}),
		checkpointErr: prometheus.NewCounter(prometheus.CounterOpts{Name: "sequencer_checkpoint_errors_total",
			Help: "Checkpointer passes that failed (retried on the next pass)."}),
	}
	reg.MustRegister(m.longestCommit, m.drained, m.boundedDrains, m.checkpoints, m.checkpointDur, m.checkpointLen,
		m.checkpointLag, m.checkpointErr)
	return m
}

// observeCommit records one lane commit's duration. Called by the lane
// goroutine only; the mutex keeps the maximum exact should that change.
func (m *stateMetrics) observeCommit(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if d > m.longest {
		m.longest = d
		m.longestCommit.Set(d.Seconds())
	}
}
