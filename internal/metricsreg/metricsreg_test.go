package metricsreg_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/buildinfo"
	"github.com/cartesi/sequencer/internal/metricsreg"
)

// TestNewRegistry: every process's registry carries sequencer_build_info
// (value 1, labelled with the running build) and the Go and process
// collectors.
func TestNewRegistry(t *testing.T) {
	fs, err := metricsreg.New().Gather()
	require.NoError(t, err)
	byName := map[string]bool{}
	for _, f := range fs {
		byName[f.GetName()] = true
		if f.GetName() != "sequencer_build_info" {
			continue
		}
		require.Len(t, f.GetMetric(), 1)
		m := f.GetMetric()[0]
		require.Equal(t, 1.0, m.GetGauge().GetValue())
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		info := buildinfo.Read()
		require.Equal(t, map[string]string{"version": info.Version, "commit": info.Commit, "go_version": info.GoVersion}, labels)
	}
	for _, name := range []string{"sequencer_build_info", "go_goroutines", "process_start_time_seconds"} {
		require.True(t, byName[name], name)
	}
}
