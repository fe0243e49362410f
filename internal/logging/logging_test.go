package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/testhelp"
)

// TestNewHonoursFormatAndLevel: text stays slog's key=value (today's
// format), json is one object per line, and records under the level are
// dropped.
func TestNewHonoursFormatAndLevel(t *testing.T) {
	for _, c := range []struct {
		format, level string
		wantJSON      bool
		printed       []string // of debug, info, warn, error
	}{
		{"", "", false, []string{"info", "warn", "error"}},
		{"text", "debug", false, []string{"debug", "info", "warn", "error"}},
		{"JSON", "warn", true, []string{"warn", "error"}},
		{"json", "error", true, []string{"error"}},
		{"text", "warning", false, []string{"warn", "error"}},
	} {
		t.Run(c.format+"/"+c.level, func(t *testing.T) {
			f, err := ParseFormat(c.format)
			require.NoError(t, err)
			lvl, err := ParseLevel(c.level)
			require.NoError(t, err)
			var buf bytes.Buffer
			log := New(&buf, Options{Format: f, Level: lvl}).With("process", "test")
			log.Debug("debug")
			log.Info("info")
			log.Warn("warn")
			log.Error("error")
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			var msgs []string
			for _, line := range lines {
				if c.wantJSON {
					var rec map[string]any
					require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
					require.Equal(t, "test", rec["process"])
					msgs = append(msgs, rec["msg"].(string))
				} else {
					require.Contains(t, line, "process=test")
					_, msg, ok := strings.Cut(line, "msg=")
					require.True(t, ok, line)
					msgs = append(msgs, strings.Fields(msg)[0])
				}
			}
			require.Equal(t, c.printed, msgs)
		})
	}
}

func TestParseRejects(t *testing.T) {
	_, err := ParseFormat("logfmt")
	require.ErrorContains(t, err, "text or json")
	_, err = ParseLevel("verbose")
	require.ErrorContains(t, err, "debug, info, warn or error")
}

func TestRedactURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"http://user:s3cret@127.0.0.1:8545/?token=abc", "http://127.0.0.1:8545?…"},
		{"https://mainnet.infura.io/v3/0123456789abcdef", "https://mainnet.infura.io/…"},
		{"wss://eth.example/ws#frag", "wss://eth.example/…?…"},
		{"http://127.0.0.1:8545", "http://127.0.0.1:8545"},
		{"http://127.0.0.1:8545/", "http://127.0.0.1:8545"},
		{"postgres://app:hunter22@db:5432/sequencer?sslmode=require&password=x", "postgres://db:5432/sequencer?…"},
		{"postgresql://db/seq", "postgresql://db/seq"},
		{"not a url with s3cret", "[unparsable URL]"},
		{"", ""},
	} {
		t.Run(c.in, func(t *testing.T) {
			require.Equal(t, c.want, RedactURL(c.in))
		})
	}
}

// TestSecretsWriter: everything secret in a configured URL is blanked from
// what passes through the writer — the password as written or
// percent-decoded, the query and its values, a path token — while the rest
// of the line (and a PostgreSQL database name) stays readable.
func TestSecretsWriter(t *testing.T) {
	s := NewSecrets(URLSecrets("http://user:p%40ss-word@127.0.0.1:8545/v3/PATHTOKEN123456?token=QUERYTOK&x=1")...)
	s.Add(URLSecrets("postgres://app:hunter22@db:5432/sequencer?sslmode=disable")...)
	s.Add("abc") // too short: ignored
	for _, c := range []struct{ in, want string }{
		{`Post "http://user:***@127.0.0.1:8545/v3/PATHTOKEN123456?token=QUERYTOK&x=1": refused`,
			`Post "http://user:***@127.0.0.1:8545[REDACTED]?[REDACTED]": refused`},
		{"password p@ss-word and p%40ss-word", "password [REDACTED] and [REDACTED]"},
		{"token QUERYTOK alone", "token [REDACTED] alone"},
		{"key PATHTOKEN123456 alone", "key [REDACTED] alone"},
		{"db sequencer pw hunter22 abc", "db sequencer pw [REDACTED] abc"},
		{"nothing secret", "nothing secret"},
	} {
		t.Run(c.in, func(t *testing.T) {
			var buf bytes.Buffer
			n, err := s.Writer(&buf).Write([]byte(c.in))
			require.NoError(t, err)
			require.Equal(t, len(c.in), n)
			require.Equal(t, c.want, buf.String())
		})
	}
}

// TestSecretsConcurrentAdd: secrets added while loggers write are safe
// (run with -race) and apply to later writes.
func TestSecretsConcurrentAdd(t *testing.T) {
	s := NewSecrets()
	var buf testhelp.SyncBuffer
	log := slog.New(slog.NewTextHandler(s.Writer(&buf), nil))
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				log.Info("line", "v", j)
			}
		}()
	}
	s.Add("late-secret")
	wg.Wait()
	log.Info("now", "leak", "late-secret")
	require.NotContains(t, buf.String(), "late-secret")
	require.Contains(t, buf.String(), "leak="+Redacted)
}
