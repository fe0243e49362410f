package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
)

// submitRound posts one transfer per user at nonce n, all must confirm.
func (w *chainWorld) submitRound(t *testing.T, serve *proc, n uint32) {
	t.Helper()
	for u := range w.users {
		r, err := serve.postTx(w.signTransfer(t, w.users[u], n, (u+1)%len(w.users), 7))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, r.status, "code %s", r.Code)
	}
}

func submitterRunning(t *testing.T, w *chainWorld, c client.Client) bool {
	t.Helper()
	desc, err := c.DescribeWorkflowExecution(context.Background(), w.names().Submitter, "")
	require.NoError(t, err)
	return desc.WorkflowExecutionInfo.Status.String() == "Running"
}

// TestWorkerKilledMidSubmission kills the worker with SIGKILL while it is
// posting batches and starts a new one: the submitter workflow resumes, every
// batch lands, and none is executed twice by the rollup.
func TestWorkerKilledMidSubmission(t *testing.T) {
	w := newChainWorld(t, 3)
	first := w.startWorker()
	serve := w.startServe()
	serve.waitReady()
	pool := w.pool(t)

	nonce := uint32(0)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(first.logs.String(), "batch broadcast") {
		require.True(t, time.Now().Before(deadline), "the worker never broadcast a batch")
		w.submitRound(t, serve, nonce)
		nonce++
		time.Sleep(300 * time.Millisecond)
	}
	// More batches in flight, then the worker dies without any shutdown.
	for i := 0; i < 3; i++ {
		w.submitRound(t, serve, nonce)
		nonce++
		time.Sleep(700 * time.Millisecond)
	}
	first.kill()

	// Soft confirmations go on without a worker.
	w.submitRound(t, serve, nonce)
	nonce++
	second := w.startWorker()
	w.submitRound(t, serve, nonce)
	waitAllAccepted(t, pool, 90*time.Second)
	require.True(t, submitterRunning(t, w, w.temporal.client(t)), "the same singleton workflow goes on")
	w.checkL1MatchesFeed(t, serve, pool)
	_ = second
}

// TestTemporalServerDown stops the Temporal server: POST /tx keeps
// confirming and batches queue; once the server is back, they are posted.
func TestTemporalServerDown(t *testing.T) {
	w := newChainWorld(t, 2)
	w.startWorker()
	serve := w.startServe()
	serve.waitReady()
	pool := w.pool(t)
	w.submitRound(t, serve, 0)
	waitAllAccepted(t, pool, 60*time.Second)

	w.temporal.kill()
	accepted := func() int {
		var n int
		require.NoError(t, pool.QueryRow(context.Background(), `SELECT count(*) FROM accepted_batches`).Scan(&n))
		return n
	}
	sealed := func() int {
		var n int
		require.NoError(t, pool.QueryRow(context.Background(),
			`SELECT count(*) FROM batches WHERE sealed_at IS NOT NULL`).Scan(&n))
		return n
	}
	time.Sleep(time.Second) // an activity already running may finish
	acceptedBefore, sealedBefore := accepted(), sealed()
	for n := uint32(1); n <= 6; n++ {
		w.submitRound(t, serve, n) // soft confirmations go on
		time.Sleep(700 * time.Millisecond)
	}
	require.Greater(t, sealed(), sealedBefore, "batches keep being sealed")
	require.Equal(t, acceptedBefore, accepted(), "nothing reaches L1 while Temporal is down")

	w.temporal.start()
	waitAllAccepted(t, pool, 120*time.Second)
	w.checkL1MatchesFeed(t, serve, pool)
}
