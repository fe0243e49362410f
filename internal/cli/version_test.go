package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/buildinfo"
)

// TestVersionCommand: `sequencer version` prints the build's version,
// commit and Go version, as text and as JSON, the same values
// sequencer_build_info carries.
func TestVersionCommand(t *testing.T) {
	want := buildinfo.Read()
	cases := []struct {
		args  []string
		check func(t *testing.T, out string)
	}{
		{[]string{"version"}, func(t *testing.T, out string) {
			require.Equal(t, "sequencer "+want.Version+" (commit "+want.Commit+", "+want.GoVersion+")\n", out)
		}},
		{[]string{"version", "--json"}, func(t *testing.T, out string) {
			var got buildinfo.Info
			require.NoError(t, json.Unmarshal([]byte(out), &got))
			require.Equal(t, want, got)
		}},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), c.args, Stdio{In: &bytes.Buffer{}, Out: &out, Err: &errOut})
		require.Equal(t, ExitOK, code, errOut.String())
		c.check(t, out.String())
	}
}
