// Package metricsreg builds the Prometheus registry each process serves on
// /metrics: the Go runtime and process collectors and
// sequencer_build_info; the components then register their own series on
// it (hotpath and api in serve; activities and the Temporal SDK handler in
// the worker).
package metricsreg

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/cartesi/sequencer/internal/buildinfo"
)

// New returns a registry with the collectors every process has.
func New() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		BuildInfo(buildinfo.Read()))
	return reg
}

// BuildInfo is the constant series sequencer_build_info{version, commit,
// go_version} 1: join on it to label a panel or an alert with the running
// version, and count its distinct values to see a deploy in progress.
func BuildInfo(info buildinfo.Info) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sequencer_build_info",
		Help: "Always 1; its labels say which build is running (version, commit, go_version).",
		ConstLabels: prometheus.Labels{"version": info.Version, "commit": info.Commit,
			"go_version": info.GoVersion},
	})
	g.Set(1)
	return g
}
