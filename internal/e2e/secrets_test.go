package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/pgcluster"
	"github.com/cartesi/sequencer/internal/pgtest"
	"github.com/cartesi/sequencer/internal/signertest"
)

// The secrets TestNoSecretInAnyOutput configures; none may ever be printed.
const (
	dbPassword      = "db-Pa55word-71c3"
	wrongDBPass     = "wrong-Pa55word-d04e"
	rpcPassword     = "rpc-basic-pass-5a9b"
	rpcPathToken    = "rpcPathToken0a1b2c3d"
	rpcQueryToken   = "rpc-query-token-4e5f"
	signerToken     = "signer-token-6a7b8c"
	keystorePass    = "keystore passphrase 9d0e"
	wrongKeystorePW = "wrong keystore passphrase 1f2a"
)

// passwordDatabase is a PostgreSQL cluster of its own where role seqapp
// must authenticate with a password (scram-sha-256; the test clusters trust
// everyone otherwise), owning an empty database seq. It returns the
// database's URL with the given password (right or wrong).
func passwordDatabase(t *testing.T) func(password string) string {
	t.Helper()
	ctx := context.Background()
	c := pgtest.NewCluster(t, pgcluster.Options{})
	admin, err := pgx.Connect(ctx, c.URL("postgres"))
	require.NoError(t, err)
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, fmt.Sprintf("CREATE ROLE seqapp LOGIN PASSWORD '%s'", dbPassword))
	require.NoError(t, err)
	_, err = admin.Exec(ctx, "CREATE DATABASE seq OWNER seqapp")
	require.NoError(t, err)
	hba := filepath.Join(c.DataDir(), "pg_hba.conf")
	old, err := os.ReadFile(hba)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(hba, append([]byte("host all seqapp 127.0.0.1/32 scram-sha-256\n"), old...), 0o600))
	_, err = admin.Exec(ctx, "SELECT pg_reload_conf()")
	require.NoError(t, err)
	urlWith := func(password string) string {
		u, err := url.Parse(c.URL("seq"))
		require.NoError(t, err)
		u.User = url.UserPassword("seqapp", password)
		return u.String()
	}
	require.Eventually(t, func() bool { // the reload is asynchronous
		conn, err := pgx.Connect(ctx, urlWith(wrongDBPass))
		if err == nil {
			conn.Close(ctx)
		}
		return err != nil && strings.Contains(err.Error(), "password authentication failed")
	}, 30*time.Second, 50*time.Millisecond, "pg_hba.conf reload")
	return urlWith
}

// tokenProxy is an L1 endpoint as a hosted node provider serves it: it
// forwards to anvil only requests carrying the basic-auth password, the
// path token and the query token, and answers 401 otherwise. It returns the
// credential-bearing URL for a query token (right or wrong).
func tokenProxy(t *testing.T, target string) func(queryToken string) string {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pw, _ := r.BasicAuth()
		if pw != rpcPassword || r.URL.Path != "/v3/"+rpcPathToken || r.URL.Query().Get("apikey") != rpcQueryToken {
			http.Error(w, "invalid API key", http.StatusUnauthorized)
			return
		}
		r.URL.Path, r.URL.RawQuery = "/", ""
		r.Header.Del("Authorization")
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return func(queryToken string) string {
		return fmt.Sprintf("http://node:%s@%s/v3/%s?apikey=%s", rpcPassword, strings.TrimPrefix(srv.URL, "http://"),
			rpcPathToken, queryToken)
	}
}

// runOnce runs the sequencer to completion (a start that must fail) and
// returns its exit code and everything it printed.
func runOnce(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	out, _ := cmd.CombinedOutput()
	require.NotNil(t, cmd.ProcessState, "%s", out)
	return cmd.ProcessState.ExitCode(), string(out)
}

// TestNoSecretInAnyOutput runs the real serve and worker with credentials
// everywhere they can be: a password in SEQ_DATABASE_URL (checked by a
// PostgreSQL that demands it), a basic-auth password, a path token and a
// query token in SEQ_ETH_RPC_URL (checked by a proxy in front of anvil), a
// token in the remote signer's URL (checked by the signer), a keystore
// passphrase, the raw key. First the happy path — the worker signs through
// the remote signer, logs JSON at debug level, and a batch lands on L1 —
// then starts that fail: wrong database password, refused or unreachable L1,
// invalid configuration, two key sources, a wrong keystore passphrase. In
// every line either process printed, no secret appears; the redacted form
// of the URLs does.
func TestNoSecretInAnyOutput(t *testing.T) {
	w := newChainWorld(t, 1)
	dbURL := passwordDatabase(t)
	w.dbURL = dbURL(dbPassword)
	rpcURL := tokenProxy(t, w.anvil.URL)
	signer := signertest.Start(t, w.submitter, signertest.Options{Token: signerToken})
	rawKey := fmt.Sprintf("%x", crypto.FromECDSA(w.submitter))

	dir := t.TempDir()
	ks := keystore.NewKeyStore(filepath.Join(dir, "keystore"), keystore.LightScryptN, keystore.LightScryptP)
	acct, err := ks.ImportECDSA(w.submitter, keystorePass)
	require.NoError(t, err)
	wrongPassFile := filepath.Join(dir, "wrong-pass")
	require.NoError(t, os.WriteFile(wrongPassFile, []byte(wrongKeystorePW+"\n"), 0o600))

	outputs := map[string]string{}

	// The happy path.
	worker := w.startWorker("SEQ_ETH_RPC_URL="+rpcURL(rpcQueryToken), "SEQ_BATCH_SUBMITTER_PRIVATE_KEY=",
		"SEQ_BATCH_SUBMITTER_REMOTE_SIGNER_URL="+signer.URL(), "SEQ_LOG_FORMAT=json", "SEQ_LOG_LEVEL=debug")
	serve := w.startServe(withEnv("SEQ_ETH_RPC_URL=" + rpcURL(rpcQueryToken)))
	serve.waitReady()
	w.submitRound(t, serve, 0)
	waitAllAccepted(t, w.pool(t), 2*time.Minute)
	require.Positive(t, signer.Calls(), "the worker signed through the remote signer")
	require.Zero(t, serve.stop())
	require.Zero(t, worker.stop())
	outputs["worker (remote signer, json, debug)"] = worker.logs.String()
	outputs["serve"] = serve.logs.String()
	workerLines := strings.Split(strings.TrimSpace(worker.logs.String()), "\n")
	debugLines := 0
	for _, line := range workerLines {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "SEQ_LOG_FORMAT=json: every line is JSON: %s", line)
		if rec["level"] == "DEBUG" {
			debugLines++
		}
	}
	require.Positive(t, debugLines, "SEQ_LOG_LEVEL=debug")
	require.Contains(t, worker.logs.String(), `"l1":"http://127.0.0.1:`, "the L1 URL is logged, redacted")
	require.Contains(t, worker.logs.String(), `"database":"postgres://127.0.0.1:`)
	require.Contains(t, worker.logs.String(), "remote signer "+signer.Address().Hex())
	require.NotContains(t, serve.logs.String(), `"level"`, "serve keeps the default text format")

	// Starts that fail.
	base := w.env("SEQ_CHAIN_ID=31337", "SEQ_WORKER_METRICS_ADDR="+freePort(t), "SEQ_HTTP_ADDR="+freePort(t),
		"SEQ_INTERNAL_HTTP_ADDR="+freePort(t), "SEQ_WALLET_FEE_RECIPIENT="+feeRecipient.Hex())
	with := func(kv ...string) []string { return append(append([]string(nil), base...), kv...) }
	goodDB, goodRPC := "SEQ_DATABASE_URL="+dbURL(dbPassword), "SEQ_ETH_RPC_URL="+rpcURL(rpcQueryToken)
	good := func(kv ...string) []string { return with(append([]string{goodDB, goodRPC}, kv...)...) }
	closed := freePort(t) // nothing listens there
	for _, c := range []struct {
		name    string
		cmd     string
		env     []string
		code    int
		message string
	}{
		{"wrong database password", "serve", with("SEQ_DATABASE_URL="+dbURL(wrongDBPass), goodRPC),
			ExitTransient, "password authentication failed"},
		{"wrong database password", "worker", with("SEQ_DATABASE_URL="+dbURL(wrongDBPass), goodRPC,
			"SEQ_BATCH_SUBMITTER_PRIVATE_KEY="+rawKey), ExitTransient, "password authentication failed"},
		{"L1 refuses the token", "worker", with(goodDB, "SEQ_ETH_RPC_URL="+rpcURL(rpcQueryToken+"-stale"),
			"SEQ_BATCH_SUBMITTER_PRIVATE_KEY="+rawKey), ExitTransient, "401"},
		{"L1 unreachable", "worker", with(goodDB, "SEQ_ETH_RPC_URL="+fmt.Sprintf("http://node:%s@%s/v3/%s?apikey=%s",
			rpcPassword, closed, rpcPathToken, rpcQueryToken), "SEQ_BATCH_SUBMITTER_PRIVATE_KEY="+rawKey),
			ExitTransient, "unreachable"},
		{"L1 URL with a bad scheme", "serve", with(goodDB, "SEQ_ETH_RPC_URL=ftp://node:"+rpcPassword+"@host/v3/"+rpcPathToken),
			ExitUsage, "SEQ_ETH_RPC_URL"},
		{"two key sources", "worker", good(
			"SEQ_BATCH_SUBMITTER_PRIVATE_KEY="+rawKey, "SEQ_BATCH_SUBMITTER_REMOTE_SIGNER_URL="+signer.URL()),
			ExitUsage, "set exactly one of"},
		{"wrong keystore passphrase", "worker", good(
			"SEQ_BATCH_SUBMITTER_KEYSTORE_FILE="+acct.URL.Path, "SEQ_BATCH_SUBMITTER_KEYSTORE_PASSWORD_FILE="+wrongPassFile),
			ExitUsage, "could not decrypt key"},
		{"bad log level", "serve", good("SEQ_LOG_LEVEL=chatty"), ExitUsage, "SEQ_LOG_LEVEL"},
	} {
		t.Run(c.cmd+" "+c.name, func(t *testing.T) {
			code, out := runOnce(t, c.env, c.cmd)
			outputs[c.cmd+" "+c.name] = out
			t.Logf("%s printed (exit %d):\n%s", c.cmd, code, out)
			require.Equal(t, c.code, code, out)
			require.Contains(t, out, c.message)
		})
	}

	secrets := []string{dbPassword, wrongDBPass, rpcPassword, rpcPathToken, rpcQueryToken, signerToken,
		keystorePass, wrongKeystorePW, rawKey}
	for name, out := range outputs {
		require.NotEmpty(t, out, name)
		for _, s := range secrets {
			require.NotContains(t, out, s, "%s printed a secret:\n%s", name, out)
		}
	}
}

// Exit codes of the binary (service.md §2; cli.Exit*).
const (
	ExitUsage     = 2
	ExitTransient = 20
)
