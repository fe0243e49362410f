package e2e

import (
	"context"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/workflows"
)

// laneLockKey is the writer lock's advisory key (store.laneLockKey).
const laneLockKey int64 = 0x5e9_1a4e

func recoveryStep(t *testing.T, w *chainWorld) string {
	t.Helper()
	v, err := w.temporal.client(t).QueryWorkflow(context.Background(), w.names().Recovery, "", workflows.QueryStatus)
	if err != nil {
		return ""
	}
	var st workflows.RecoveryStatus
	if v.Get(&st) != nil {
		return ""
	}
	return st.Step
}

// mineEvery mines a block every interval until the test ends or stop is
// called.
func (w *chainWorld) mineEvery(interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				_ = w.anvil.Mine(ctx, 1)
			}
		}
	}()
	w.t.Cleanup(cancel)
	return cancel
}

// TestRecoverySurvivesCrashes kills the worker while the recovery is stuck
// in the flush and again in the cascade, and kills `serve` while it is
// offline: serve restarts offline, and each new worker resumes the same
// recovery at the step it was in until it converges.
func TestRecoverySurvivesCrashes(t *testing.T) {
	ctx := context.Background()
	w := newChainWorld(t, 2)
	worker := w.startWorker()
	serve := w.startServe()
	serve.waitReady()
	pool := w.pool(t)
	w.submitRound(t, serve, 0)
	waitAllAccepted(t, pool, 60*time.Second)

	worker.kill()
	w.submitRound(t, serve, 1)
	time.Sleep(2500 * time.Millisecond) // sealed by age, never posted
	// A worker that died between raising the watermark and broadcasting
	// leaves a slot the flush must consume: model it.
	submitterAddr := crypto.PubkeyToAddress(w.submitter.PublicKey)
	slot, err := w.eth.NonceAt(ctx, submitterAddr, nil)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `UPDATE wallet_nonce_watermark SET nonce = $1`, int64(slot))
	require.NoError(t, err)

	// L1 runs past MAX_WAIT_BLOCKS, then stops producing blocks: the flush
	// cannot complete.
	w.stopMine()
	require.NoError(t, w.anvil.Mine(ctx, 1250))
	require.NoError(t, w.anvil.SetAutomine(ctx, false))
	worker = w.startWorker()
	require.Eventually(t, func() bool { return recoveryStep(t, w) == "flush" }, 60*time.Second, 100*time.Millisecond)

	// serve dies while offline and comes back offline.
	serve.kill()
	serve = w.startServe()
	require.Eventually(t, func() bool { return serve.healthStatus() != "" }, 30*time.Second, 50*time.Millisecond)
	for i := 0; i < 5; i++ {
		code, _ := serve.get("/readyz")
		require.Equal(t, http.StatusServiceUnavailable, code)
		r, err := serve.postTx(w.signTransfer(t, w.users[0], 1, 1, 1))
		require.NoError(t, err)
		require.Equal(t, http.StatusServiceUnavailable, r.status)
		time.Sleep(100 * time.Millisecond)
	}

	// The worker dies in the flush; a new one resumes it. Hold the writer
	// lock meanwhile so the cascade cannot finish either.
	worker.kill()
	holder, err := pgx.Connect(ctx, w.dbURL)
	require.NoError(t, err)
	defer holder.Close(ctx)
	_, err = holder.Exec(ctx, `SELECT pg_advisory_lock($1)`, laneLockKey)
	require.NoError(t, err)
	require.NoError(t, w.anvil.SetAutomine(ctx, true))
	w.mineEvery(200 * time.Millisecond)
	worker = w.startWorker()
	require.Eventually(t, func() bool { return recoveryStep(t, w) == "cascade" }, 60*time.Second, 100*time.Millisecond)
	var invalidated int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM batches WHERE invalidated_at IS NOT NULL`).Scan(&invalidated))
	require.Zero(t, invalidated, "the cascade cannot run while someone holds the writer lock")

	// The worker dies in the cascade; the lock is released; a new worker
	// converges.
	worker.kill()
	_, err = holder.Exec(ctx, `SELECT pg_advisory_unlock($1)`, laneLockKey)
	require.NoError(t, err)
	w.startWorker()
	status := waitRecoveryDone(t, w, 120*time.Second)
	require.NotNil(t, status.Flush)
	consumed, err := w.eth.NonceAt(ctx, submitterAddr, new(big.Int).SetUint64(status.Flush.SafeBlock))
	require.NoError(t, err)
	require.Greater(t, consumed, slot, "the empty slot was consumed (by a self-transfer) at the flush's safe block")
	require.NotNil(t, status.Cascade)
	require.False(t, status.Cascade.NoOp)

	serve.waitReady()
	for u := range w.users {
		require.Equal(t, uint32(1), nonceOf(t, serve, w, u))
	}
	w.submitRound(t, serve, 1)
	waitAllAccepted(t, pool, 90*time.Second)
	w.checkL1MatchesFeed(t, serve, pool)
}
