package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/api"
	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/feed"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/store"
)

// requireUnavailable asserts GET /fee and GET /nonce answer 503 UNAVAILABLE
// naming why.
func requireUnavailable(t *testing.T, ts *testServer, why string) {
	t.Helper()
	for _, path := range []string{"/fee", "/nonce?sender=" + strings.ToLower(alice.Hex())} {
		res := get(t, ts.Public+path)
		require.Equal(t, http.StatusServiceUnavailable, res.Status, "%s: %s", path, res.Body)
		e := decodeError(t, res.Body)
		require.Equal(t, api.CodeUnavailable, e.Code, path)
		require.Contains(t, e.Message, why, path)
	}
}

func requireAvailable(t *testing.T, ts *testServer) {
	t.Helper()
	for _, path := range []string{"/fee", "/nonce?sender=" + strings.ToLower(alice.Hex())} {
		res := get(t, ts.Public+path)
		require.Equal(t, http.StatusOK, res.Status, "%s: %s", path, res.Body)
	}
}

// TestFeeAndNonceOnlyFromTheWriter: a standby (another process holds the
// writer lock) would answer from the genesis state (next_nonce 0, fee 0),
// and a fenced lane from the state a recovery is rewriting: both answer 503
// until they are the writer with intake open.
func TestFeeAndNonceOnlyFromTheWriter(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	active := newTestLane(t, db)
	ts := startServer(t, db, active)
	requireAvailable(t, ts)

	t.Run("standby", func(t *testing.T) {
		cfg := wallet.Config{Portal: testPortal, Token: testToken, FeeRecipient: testRecipient}
		standby := hotpath.New(hotpath.Config{
			DatabaseURL: db.URL, ChainID: testDomain.ChainID(), App: testDomain.VerifyingContract(), MaxBatchOpen: time.Hour,
			Danger:         hotpath.DangerConfig{MarginBlocks: 300, ReadStaleBlocks: 600, SecondsPerBlock: 12},
			DangerInterval: 50 * time.Millisecond,
		}, hotpath.Deps{NewApp: func() app.Application { return wallet.New(cfg) }, Pool: db.Pool, Hub: feed.NewHub(0)})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- standby.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			require.NoError(t, <-done)
		})
		require.Eventually(t, func() bool { return standby.Status().Role == hotpath.RoleStandby }, 10*time.Second, 10*time.Millisecond)
		sdb := db
		sdb.Hub = feed.NewHub(0)
		requireUnavailable(t, startServer(t, sdb, standby), "standby")
	})

	t.Run("fenced", func(t *testing.T) {
		rec := store.NewRecovery(db.Pool)
		require.NoError(t, rec.Fence(context.Background()))
		require.Eventually(t, func() bool { return active.Status().Mode == "recovering" }, 10*time.Second, 10*time.Millisecond)
		requireUnavailable(t, ts, "recovery in progress")

		require.NoError(t, rec.Resume(context.Background()))
		require.Eventually(t, func() bool { return active.Status().IntakeOpen }, 10*time.Second, 10*time.Millisecond)
		requireAvailable(t, ts)
	})
}
