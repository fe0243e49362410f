package cli

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/config"
)

// TestTemporalConnectionPrecedence: the operator commands and the worker
// take Temporal's address and namespace from SEQ_TEMPORAL_* when set, else
// from the SDK's TEMPORAL_* settings, else the defaults (which SEQ_'s
// config defaults must not mask).
func TestTemporalConnectionPrecedence(t *testing.T) {
	cases := []struct {
		name          string
		env           map[string]string
		wantAddress   string
		wantNamespace string
	}{
		{"defaults", map[string]string{}, "127.0.0.1:7233", "default"},
		{"TEMPORAL_*", map[string]string{"TEMPORAL_ADDRESS": "t:7233", "TEMPORAL_NAMESPACE": "t-ns"}, "t:7233", "t-ns"},
		{"SEQ_ over TEMPORAL_", map[string]string{"TEMPORAL_ADDRESS": "t:7233", "TEMPORAL_NAMESPACE": "t-ns",
			"SEQ_TEMPORAL_ADDRESS": "s:7233"}, "s:7233", "t-ns"},
		{"SEQ_ only", map[string]string{"SEQ_TEMPORAL_NAMESPACE": "s-ns"}, "127.0.0.1:7233", "s-ns"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, k := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "SEQ_TEMPORAL_ADDRESS", "SEQ_TEMPORAL_NAMESPACE",
				"TEMPORAL_CONFIG_FILE", "TEMPORAL_PROFILE", "TEMPORAL_API_KEY"} {
				t.Setenv(k, c.env[k]) // restored after the test
				if _, set := c.env[k]; !set {
					require.NoError(t, os.Unsetenv(k))
				}
			}
			cfg, err := config.Load(config.RoleMigrate)
			require.NoError(t, err)
			wcfg, err := temporalConnection(cfg)
			require.NoError(t, err)
			require.Equal(t, c.wantAddress, wcfg.TemporalAddress)
			require.Equal(t, c.wantNamespace, wcfg.Namespace)
		})
	}
}
