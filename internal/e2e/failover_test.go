package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestFailoverClosesTheDemotedFeed runs two `serve` processes on one
// database and kills the active one's lane session inside Postgres (the
// process lives on, as after a network blip): its feed subscriber is closed
// 1012 with a reason telling it to reconnect (never left open on a process
// that stopped writing), a standby answers /fee and /nonce with 503, and
// whichever process is the writer afterwards serves the whole history to a
// reconnecting subscriber.
func TestFailoverClosesTheDemotedFeed(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, 1)
	a := startServe(t, w.url)
	a.waitReady()
	b := startServe(t, w.url)
	require.Eventually(t, func() bool { return b.healthStatus() == "standby" }, 10*time.Second, 20*time.Millisecond)
	for _, path := range []string{"/fee", "/nonce?sender=" + w.addr(0).Hex()} {
		code, body := b.get(path)
		require.Equal(t, http.StatusServiceUnavailable, code, "standby %s: %s", path, body)
		require.Contains(t, string(body), "UNAVAILABLE")
	}
	r, err := a.postTx(w.txBody(t, 0, 0))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, r.status, "code %s", r.Code)
	sub := a.subscribe(t, 0)

	var killed int
	require.NoError(t, w.pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted
		  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&killed))
	require.Equal(t, 1, killed)
	code, reason := sub.closeCode(t, 10*time.Second)
	require.Equal(t, 1012, code)
	require.Contains(t, reason, "reconnect")

	// One of them is the writer again (the standby usually wins the race);
	// the other is a standby. The writer serves the whole history.
	var writer *proc
	require.Eventually(t, func() bool {
		for _, p := range []*proc{a, b} {
			if code, _ := p.get("/readyz"); code == http.StatusOK {
				writer = p
				return true
			}
		}
		return false
	}, 15*time.Second, 20*time.Millisecond)
	r2, err := writer.postTx(w.txBody(t, 0, 1))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, r2.status, "code %s", r2.Code)
	again := writer.subscribe(t, r.Offset)
	require.NoError(t, again.conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, msg, err := again.conn.ReadMessage()
	require.NoError(t, err)
	require.True(t, strings.Contains(string(msg), `"nonce":1`), "%s", msg)
}
