package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestStandbyTakesOver runs two `serve` processes on one database: only the
// one holding the writer lock writes; killing it promotes the standby, which
// continues the same history.
func TestStandbyTakesOver(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, 2)
	active := startServe(t, w.url)
	active.waitReady()
	standby := startServe(t, w.url)
	require.Eventually(t, func() bool { return standby.healthStatus() == "standby" }, 10*time.Second, 20*time.Millisecond)
	code, _ := standby.get("/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "ok", active.healthStatus())

	// The standby refuses ops; the active one takes them.
	r, err := standby.postTx(w.txBody(t, 0, 0))
	require.NoError(t, err)
	require.Equal(t, http.StatusServiceUnavailable, r.status)
	require.Equal(t, "UNAVAILABLE", r.Code)
	var offsets []uint64
	for n := uint32(0); n < 3; n++ {
		r, err := active.postTx(w.txBody(t, 0, n))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, r.status)
		offsets = append(offsets, r.Offset)
	}

	active.kill()
	standby.waitReady()
	require.Contains(t, standby.logs.String(), "writer lock acquired")
	for n := uint32(3); n < 6; n++ {
		r, err := standby.postTx(w.txBody(t, 0, n))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, r.status, "code %s", r.Code)
		require.Greater(t, r.Offset, offsets[len(offsets)-1])
		offsets = append(offsets, r.Offset)
	}
	var stored int
	require.NoError(t, w.pool.QueryRow(ctx, `SELECT count(*) FROM user_ops`).Scan(&stored))
	require.Equal(t, 6, stored)
	var batches int
	require.NoError(t, w.pool.QueryRow(ctx, `SELECT count(*) FROM batches`).Scan(&batches))
	require.Equal(t, 1, batches, "the successor continued the same open batch")
}
