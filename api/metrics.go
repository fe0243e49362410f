package api

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the API's own collectors. The lane registers its queue and
// commit metrics itself.
type metrics struct {
	rejections  *prometheus.CounterVec
	ackLatency  prometheus.Histogram
	subscribers prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "sequencer",
			Subsystem: "api",
			Name:      "rejections_total",
			Help:      "Error responses of the public API, by error code.",
		}, []string{"code"}),
		ackLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "sequencer",
			Subsystem: "api",
			Name:      "ack_latency_seconds",
			Help:      "Time POST /tx took to answer a successful submission (verification, queueing and durable commit).",
			Buckets:   prometheus.ExponentialBucketsRange(0.0001, 1, 33),
		}),
		subscribers: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "sequencer",
			Subsystem: "feed",
			Name:      "subscribers",
			Help:      "Connected WebSocket feed subscribers.",
		}),
	}
	if reg != nil {
		m.rejections = register(reg, m.rejections)
		m.ackLatency = register(reg, m.ackLatency)
		m.subscribers = register(reg, m.subscribers)
	}
	return m
}

// register registers c on reg, or returns the collector already registered
// under the same description (a second Server on the same registry shares
// it).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err) // a conflicting registration is a programming error
	}
	return c
}
