package worker

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/cartesi/sequencer/activities"
	"github.com/cartesi/sequencer/workflows"
)

// TestTemporalSDKMetrics: a real worker on a real Temporal dev server,
// dialled with NewMetricsHandler on the registry that also holds the
// worker's own series, runs a recovery to completion and fails another
// recovery's first activity; the registry then gathers the SDK's series
// operators watch (workflow task schedule-to-start and execution latency,
// activity schedule-to-start, activity failures, the sticky cache) under
// their Prometheus names, labelled with the SDK's tags, and /metrics serves
// them next to the sequencer_* series.
func TestTemporalSDKMetrics(t *testing.T) {
	ctx := context.Background()
	s := devServer(t)
	reg := prometheus.NewRegistry()
	own := activities.NewMetrics(reg)
	c, err := Dial(ctx, Config{TemporalAddress: s.FrontendHostPort(), Namespace: "default", Metrics: NewMetricsHandler(reg)}, quiet)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	require.NoError(t, EnsureSearchAttributes(ctx, c, "default"))

	id := workflows.Identity{ChainID: 31337, App: common.HexToAddress("0x00000000000000000000000000000000000000aA")}
	other := workflows.Identity{ChainID: 31337, App: common.HexToAddress("0x00000000000000000000000000000000000000bB")}
	sub := common.HexToAddress("0x5a")
	db := deploymentDB(t, id, sub)
	acts := recoveryActivities(db, id, sub)
	acts.Metrics = own
	w := New(c, Config{Identity: id}, acts)
	require.NoError(t, w.Start())
	defer w.Stop()
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	run, err := StartRecovery(wctx, c, workflows.NamesFor(id), "metrics test")
	require.NoError(t, err)
	var st workflows.RecoveryStatus
	require.NoError(t, run.Get(wctx, &st))
	require.Equal(t, "done", st.Step)

	// A worker of another deployment given this database: its first
	// activity fails (non-retryably).
	wrongActs := recoveryActivities(db, other, sub)
	wrongActs.Metrics = own
	wrong := New(c, Config{Identity: other}, wrongActs)
	require.NoError(t, wrong.Start())
	defer wrong.Stop()
	run, err = StartRecovery(wctx, c, workflows.NamesFor(other), "metrics test, wrong database")
	require.NoError(t, err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(run.Get(wctx, nil), &appErr))

	families := gather(t, reg)
	recovery := map[string]string{"workflow_type": "Recovery", "namespace": "default"}
	require.Positive(t, histogramCount(families["temporal_workflow_task_schedule_to_start_latency_seconds"], recovery))
	require.Positive(t, histogramCount(families["temporal_workflow_task_execution_latency_seconds"], recovery))
	require.Positive(t, histogramCount(families["temporal_activity_schedule_to_start_latency_seconds"],
		map[string]string{"activity_type": workflows.ActivityRecoveryFence}))
	require.Positive(t, counterSum(families["temporal_activity_execution_failed_total"],
		map[string]string{"activity_type": workflows.ActivityRecoveryFence, "workflow_type": "Recovery",
			"task_queue": workflows.NamesFor(other).TaskQueue}))
	require.Positive(t, counterSum(families["temporal_sticky_cache_hit_total"], recovery))
	require.Contains(t, families, "temporal_sticky_cache_size")
	require.Contains(t, families, "sequencer_l1_safe_block", "the worker's own series share the registry")

	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Contains(t, string(body), "temporal_workflow_task_schedule_to_start_latency_seconds_bucket{")
	require.Contains(t, string(body), "sequencer_submitter_in_flight ")
}

// TestMetricsHandlerSeries: each (name, tag set) the SDK uses becomes its
// own series with the tags as labels, also when one name is used with
// different tag keys (which a checked registry would refuse and tally's
// reporter drops); counters get _total, timers become _seconds histograms,
// a derived handler does not change its parent's tags, and odd tag keys
// cannot break the scrape.
func TestMetricsHandlerSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	root := NewMetricsHandler(reg).WithTags(map[string]string{"namespace": "default"})
	root.Counter("temporal_request").Inc(1)
	wf := root.WithTags(map[string]string{"workflow_type": "Recovery", "operation": "Poll"})
	wf.Counter("temporal_request").Inc(2)
	wf.Counter("temporal_request").Inc(-5) // ignored: counters only go up
	wf.Timer("temporal_workflow_task_execution_latency").Record(30 * time.Millisecond)
	wf.Gauge("temporal_sticky_cache_size").Update(3)
	root.WithTags(map[string]string{"le": "x", "bad-key": "y"}).Counter("temporal_odd").Inc(1)

	families := gather(t, reg)
	cases := []struct {
		name   string
		labels map[string]string
		typ    dto.MetricType
		value  float64
	}{
		{"temporal_request_total", map[string]string{"namespace": "default"}, dto.MetricType_COUNTER, 1},
		{"temporal_request_total", map[string]string{"namespace": "default", "workflow_type": "Recovery", "operation": "Poll"}, dto.MetricType_COUNTER, 2},
		{"temporal_workflow_task_execution_latency_seconds", map[string]string{"namespace": "default", "workflow_type": "Recovery", "operation": "Poll"}, dto.MetricType_HISTOGRAM, 1},
		{"temporal_sticky_cache_size", map[string]string{"namespace": "default", "workflow_type": "Recovery", "operation": "Poll"}, dto.MetricType_GAUGE, 3},
		{"temporal_odd_total", map[string]string{"namespace": "default", "tag_le": "x", "bad_key": "y"}, dto.MetricType_COUNTER, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := families[c.name]
			require.NotNil(t, f)
			require.Equal(t, c.typ, f.GetType())
			m := exactly(f, c.labels)
			require.NotNil(t, m, "no series labelled exactly %v", c.labels)
			var got float64
			switch c.typ {
			case dto.MetricType_COUNTER:
				got = m.GetCounter().GetValue()
			case dto.MetricType_HISTOGRAM:
				got = float64(m.GetHistogram().GetSampleCount())
			case dto.MetricType_GAUGE:
				got = m.GetGauge().GetValue()
			}
			require.Equal(t, c.value, got)
		})
	}
	require.Len(t, families["temporal_request_total"].GetMetric(), 2, "the root keeps its own tags only")
}

func gather(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	fs, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]*dto.MetricFamily{}
	for _, f := range fs {
		out[f.GetName()] = f
	}
	return out
}

// matches reports whether m has every label in want.
func matches(m *dto.Metric, want map[string]string) bool {
	have := map[string]string{}
	for _, l := range m.GetLabel() {
		have[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// exactly returns f's series labelled exactly want, or nil.
func exactly(f *dto.MetricFamily, want map[string]string) *dto.Metric {
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) == len(want) && matches(m, want) {
			return m
		}
	}
	return nil
}

func histogramCount(f *dto.MetricFamily, want map[string]string) uint64 {
	var n uint64
	for _, m := range f.GetMetric() {
		if matches(m, want) {
			n += m.GetHistogram().GetSampleCount()
		}
	}
	return n
}

func counterSum(f *dto.MetricFamily, want map[string]string) float64 {
	var n float64
	for _, m := range f.GetMetric() {
		if matches(m, want) {
			n += m.GetCounter().GetValue()
		}
	}
	return n
}
