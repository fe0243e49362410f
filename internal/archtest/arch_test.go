// Package archtest holds the architecture's import rules as a test over
// `go list -deps`: the consensus layer does no I/O, the acknowledgement path
// never reaches L1 or Temporal, and workflow code reaches the world only
// through activities.
package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/cartesi/sequencer"

type pkg struct {
	ImportPath string
	Deps       []string
}

// listDeps returns each package matching pattern with its transitive deps.
func listDeps(t *testing.T, pattern string) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Deps", pattern)
	cmd.Dir = "../.."
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	var pkgs []pkg
	dec := json.NewDecoder(out)
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs = append(pkgs, p)
	}
	err = cmd.Wait()
	if err != nil && strings.Contains(stderr.String(), "matched no packages") {
		return nil
	}
	require.NoError(t, err, stderr.String())
	return pkgs
}

// ioPackages do I/O: network, databases, processes, Temporal, L1 clients.
// database/sql is allowed: holiman/uint256 imports it for the Scanner
// interface only, and no driver can be reached without one of these.
var ioPackages = []string{
	"net", "net/http/...", "os/exec", "github.com/jackc/", "go.temporal.io/", "github.com/gofiber/",
	"github.com/ethereum/go-ethereum/ethclient/...", "github.com/ethereum/go-ethereum/rpc/...",
	module + "/store/...", module + "/l1/...", module + "/api/...", module + "/hotpath/...", module + "/activities/...",
	module + "/workflows/...", module + "/worker/...", module + "/migrations/...",
}

var l1OrTemporal = []string{
	"go.temporal.io/", "github.com/ethereum/go-ethereum/ethclient/...", "github.com/ethereum/go-ethereum/rpc/...",
	module + "/l1/...", module + "/activities/...", module + "/workflows/...", module + "/worker/...",
}

// worldFromWorkflows: workflow code reaches the database and L1 only through
// activities, which it calls by name (so it does not import them either).
// The Temporal SDK itself pulls in net/http (gRPC), which is allowed.
var worldFromWorkflows = []string{
	module + "/store/...", module + "/l1/...", module + "/activities/...", "github.com/jackc/",
	"github.com/ethereum/go-ethereum/ethclient/...", "github.com/ethereum/go-ethereum/rpc/...",
}

// matches reports whether dep is denied: an entry ending in "/" denies every
// path under it, one ending in "/..." the path and its sub-packages, any
// other exactly that package (so "net" denies sockets but not net/url).
func matches(dep string, denied []string) bool {
	for _, d := range denied {
		switch {
		case strings.HasSuffix(d, "/..."):
			base := strings.TrimSuffix(d, "/...")
			if dep == base || strings.HasPrefix(dep, base+"/") {
				return true
			}
		case strings.HasSuffix(d, "/"):
			if strings.HasPrefix(dep, d) {
				return true
			}
		case dep == d:
			return true
		}
	}
	return false
}

// violations lists "pkg → dep" for every denied dependency of pattern.
func violations(t *testing.T, pattern string, denied []string) []string {
	var out []string
	for _, p := range listDeps(t, pattern) {
		for _, d := range p.Deps {
			if matches(d, denied) {
				out = append(out, p.ImportPath+" → "+d)
			}
		}
	}
	return out
}

func TestImportRules(t *testing.T) {
	rules := []struct {
		name    string
		pattern string
		denied  []string
	}{
		{"protocol does no I/O", "./protocol/...", ioPackages},
		{"app does no I/O", "./app/...", ioPackages},
		{"the hot path never reaches L1 or Temporal", "./hotpath/...", l1OrTemporal},
		{"the API never reaches L1 or Temporal", "./api/...", l1OrTemporal},
		{"workflows reach the world only through activities", "./workflows/...", worldFromWorkflows},
	}
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			if len(listDeps(t, r.pattern)) == 0 {
				t.Logf("%s: no packages yet; the rule holds vacuously", r.pattern)
			}
			require.Empty(t, violations(t, r.pattern, r.denied))
		})
	}
}

// TestRulesCanFail is the positive control: the same check does flag known
// dependencies, so an empty violation list above means something.
func TestRulesCanFail(t *testing.T) {
	require.NotEmpty(t, violations(t, "./hotpath", []string{"github.com/jackc/"}), "hotpath uses pgx")
	require.NotEmpty(t, violations(t, "./protocol", []string{"github.com/ethereum/go-ethereum/crypto"}))
	require.NotEmpty(t, violations(t, "./activities", worldFromWorkflows), "activities do reach the store and L1")
	require.True(t, matches("net/http", ioPackages))
	require.True(t, matches("net/http/httptrace", ioPackages))
	require.True(t, matches("net", ioPackages))
	require.False(t, matches("net/netip", ioPackages))
	require.True(t, matches("github.com/jackc/pgx/v5", ioPackages))
	require.True(t, matches(module+"/store", ioPackages))
	require.False(t, matches(module+"/storex", ioPackages))
}
