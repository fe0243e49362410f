package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFeedSettings: defaults, ranges, and bad values naming their variable;
// only serve checks them.
func TestFeedSettings(t *testing.T) {
	cases := []struct {
		name  string
		env   map[string]string
		varIn string // "" = valid
	}{
		{"defaults", nil, ""},
		{"compression off", map[string]string{"SEQ_FEED_COMPRESSION": "false"}, ""},
		{"compression not a bool", map[string]string{"SEQ_FEED_COMPRESSION": "maybe"}, "SEQ_FEED_COMPRESSION"},
		{"no subscribers", map[string]string{"SEQ_FEED_MAX_SUBSCRIBERS": "0"}, "SEQ_FEED_MAX_SUBSCRIBERS"},
		{"too many subscribers", map[string]string{"SEQ_FEED_MAX_SUBSCRIBERS": "10001"}, "SEQ_FEED_MAX_SUBSCRIBERS"},
		{"per IP zero", map[string]string{"SEQ_FEED_MAX_SUBSCRIBERS_PER_IP": "0"}, "SEQ_FEED_MAX_SUBSCRIBERS_PER_IP"},
		{"per IP above the cap", map[string]string{"SEQ_FEED_MAX_SUBSCRIBERS": "8",
			"SEQ_FEED_MAX_SUBSCRIBERS_PER_IP": "9"}, "SEQ_FEED_MAX_SUBSCRIBERS_PER_IP"},
		{"per IP equal to the cap", map[string]string{"SEQ_FEED_MAX_SUBSCRIBERS": "8",
			"SEQ_FEED_MAX_SUBSCRIBERS_PER_IP": "8"}, ""},
		{"no history reads", map[string]string{"SEQ_HISTORY_MAX_CONCURRENT": "0"}, "SEQ_HISTORY_MAX_CONCURRENT"},
		{"too many history reads", map[string]string{"SEQ_HISTORY_MAX_CONCURRENT": "1025"}, "SEQ_HISTORY_MAX_CONCURRENT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			baseEnv(t)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			cfg, err := Load(RoleServe)
			if c.varIn != "" {
				require.ErrorContains(t, err, c.varIn)
				return
			}
			require.NoError(t, err)
			if c.env == nil {
				require.True(t, cfg.FeedCompression)
				require.Equal(t, 64, cfg.FeedMaxSubscribers)
				require.Equal(t, 4, cfg.FeedMaxSubscribersPerIP)
				require.Equal(t, 16, cfg.HistoryMaxConcurrent)
			}
		})
	}

	t.Run("worker ignores them", func(t *testing.T) {
		baseEnv(t)
		t.Setenv("SEQ_BATCH_SUBMITTER_PRIVATE_KEY", testKey)
		t.Setenv("SEQ_FEED_MAX_SUBSCRIBERS_PER_IP", "0")
		_, err := Load(RoleWorker)
		require.NoError(t, err)
	})
}
