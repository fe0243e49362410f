package buildinfo

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFromBuildInfo: the link-time version wins over the module version,
// "(devel)" (a build from a checkout) is reported as "devel", and the
// commit carries "-dirty" when the tree had local changes.
func TestFromBuildInfo(t *testing.T) {
	stamped := func(version, revision, modified string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Path: "github.com/cartesi/sequencer", Version: version}}
		if revision != "" {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: "vcs.revision", Value: revision},
				debug.BuildSetting{Key: "vcs.modified", Value: modified})
		}
		return bi
	}
	cases := []struct {
		name   string
		linked string
		bi     *debug.BuildInfo
		ok     bool
		want   Info
	}{
		{"release build", "v1.2.3", stamped("(devel)", "abc123", "false"), true, Info{"v1.2.3", "abc123", "go1.99.1"}},
		{"checkout with changes", "", stamped("(devel)", "abc123", "true"), true, Info{"devel", "abc123-dirty", "go1.99.1"}},
		{"go install module@version", "", stamped("v0.9.0", "", ""), true, Info{"v0.9.0", "unknown", "go1.99.1"}},
		{"no build info", "", nil, false, Info{"devel", "unknown", runtime.Version()}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, fromBuildInfo(c.linked, c.bi, c.ok))
		})
	}
	require.NotEmpty(t, Read().GoVersion)
}
