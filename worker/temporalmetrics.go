package worker

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// SDK metrics. The Temporal SDK reports its metrics (workflow task
// latencies, schedule-to-start, activity failures, sticky cache, polls,
// requests) through a client.MetricsHandler. NewMetricsHandler is a small
// handler of our own over client_golang, rather than the SDK's tally
// adapter with tally's Prometheus reporter: that pulls in two more modules
// and a second metrics library, and tally's reporter refuses a metric whose
// tag keys differ from its first use, which the SDK does (the same request
// counter is tagged with a workflow type at one call site and not at
// another). Here every distinct (name, tag set) is its own series with the
// tags as labels, so nothing is dropped or merged.
//
// Names follow Prometheus conventions: a counter temporal_X is exported as
// temporal_X_total, a timer temporal_X as the histogram temporal_X_seconds
// (buckets 1 ms to about 2 min), a gauge keeps its name. The SDK does not
// report during replay, so a worker that replays a long history does not
// inflate them.

// sdkBuckets spans a millisecond workflow task to a long poll (about 70 s).
var sdkBuckets = prometheus.ExponentialBuckets(0.001, 2, 18)

// NewMetricsHandler returns a client.MetricsHandler whose series are
// registered on reg (the worker's registry, next to its own metrics). Pass
// it as Config.Metrics; Dial gives it to the SDK client, and workers built
// on that client report through it.
func NewMetricsHandler(reg prometheus.Registerer) client.MetricsHandler {
	c := &sdkCollector{series: map[string]prometheus.Collector{}}
	reg.MustRegister(c)
	return sdkHandler{c: c}
}

// sdkHandler is one tag set of the SDK's metrics.
type sdkHandler struct {
	c    *sdkCollector
	tags map[string]string
}

func (h sdkHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	for k, v := range h.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	return sdkHandler{c: h.c, tags: merged}
}

func (h sdkHandler) Counter(name string) client.MetricsCounter {
	c := h.c.get(sanitizeName(name)+"_total", h.tags, func(opts prometheus.Opts) prometheus.Collector {
		return prometheus.NewCounter(prometheus.CounterOpts(opts))
	}).(prometheus.Counter)
	return counterFunc(func(d int64) {
		if d > 0 { // a Prometheus counter only goes up
			c.Add(float64(d))
		}
	})
}

func (h sdkHandler) Gauge(name string) client.MetricsGauge {
	g := h.c.get(sanitizeName(name), h.tags, func(opts prometheus.Opts) prometheus.Collector {
		return prometheus.NewGauge(prometheus.GaugeOpts(opts))
	}).(prometheus.Gauge)
	return gaugeFunc(g.Set)
}

func (h sdkHandler) Timer(name string) client.MetricsTimer {
	hist := h.c.get(sanitizeName(name)+"_seconds", h.tags, func(opts prometheus.Opts) prometheus.Collector {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Name: opts.Name, Help: opts.Help,
			ConstLabels: opts.ConstLabels, Buckets: sdkBuckets})
	}).(prometheus.Histogram)
	return timerFunc(func(d time.Duration) { hist.Observe(d.Seconds()) })
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }

// sdkCollector holds every series the SDK asked for. It is an unchecked
// collector (Describe sends nothing): the label sets of one name differ by
// call site, which a checked collector cannot declare up front.
type sdkCollector struct {
	mu     sync.Mutex
	series map[string]prometheus.Collector // by seriesKey
}

func (c *sdkCollector) Describe(chan<- *prometheus.Desc) {}

func (c *sdkCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	all := make([]prometheus.Collector, 0, len(c.series))
	for _, s := range c.series {
		all = append(all, s)
	}
	c.mu.Unlock()
	for _, s := range all {
		s.Collect(ch)
	}
}

// get returns the series of name with tags as labels, creating it with
// newSeries on first use.
func (c *sdkCollector) get(name string, tags map[string]string, newSeries func(prometheus.Opts) prometheus.Collector) prometheus.Collector {
	labels := labelsOf(tags)
	key := seriesKey(name, labels)
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.series[key]; ok {
		return s
	}
	s := newSeries(prometheus.Opts{Name: name, ConstLabels: labels,
		Help: "Temporal SDK metric " + name + " (see Temporal's SDK metrics reference)."})
	c.series[key] = s
	return s
}

// labelsOf turns tags into valid label names ("le" is reserved for histogram
// buckets: renamed).
func labelsOf(tags map[string]string) prometheus.Labels {
	labels := make(prometheus.Labels, len(tags))
	for k, v := range tags {
		k = sanitizeName(k)
		if k == "le" {
			k = "tag_le"
		}
		labels[k] = v
	}
	return labels
}

func seriesKey(name string, labels prometheus.Labels) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(name)
	for _, k := range keys {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(labels[k])
	}
	return b.String()
}

// sanitizeName maps anything outside [a-zA-Z0-9_] to '_' (and a leading
// digit gets a '_' before it): the SDK's names and tag keys already
// conform; this keeps one odd key from failing every scrape.
func sanitizeName(s string) string {
	var b strings.Builder
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		switch {
		case ok:
			b.WriteRune(r)
		case i == 0 && r >= '0' && r <= '9':
			b.WriteByte('_')
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}
