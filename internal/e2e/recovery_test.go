package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	fws "github.com/fasthttp/websocket"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/anviltest"
	"github.com/cartesi/sequencer/internal/devchain"
	"github.com/cartesi/sequencer/workflows"
)

// feedClient is a WebSocket subscriber of serve's feed.
type feedClient struct {
	conn *fws.Conn
}

func (p *proc) subscribe(t *testing.T, from uint64) *feedClient {
	t.Helper()
	c, resp, err := fws.DefaultDialer.Dial(fmt.Sprintf("ws://%s/ws/subscribe?from_offset=%d", p.public, from), nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return &feedClient{conn: c}
}

// closeCode reads until the server closes the connection and returns the
// close code and reason.
func (f *feedClient) closeCode(t *testing.T, within time.Duration) (int, string) {
	t.Helper()
	require.NoError(t, f.conn.SetReadDeadline(time.Now().Add(within)))
	for {
		_, _, err := f.conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *fws.CloseError
		require.True(t, errors.As(err, &ce), "expected a close frame, got %v", err)
		return ce.Code, ce.Text
	}
}

func nonceOf(t *testing.T, p *proc, w *chainWorld, user int) uint32 {
	t.Helper()
	code, body := p.get("/nonce?sender=" + crypto.PubkeyToAddress(w.users[user].PublicKey).Hex())
	require.Equal(t, http.StatusOK, code, string(body))
	var r struct {
		NextNonce uint32 `json:"next_nonce"`
	}
	require.NoError(t, json.Unmarshal(body, &r))
	return r.NextNonce
}

func waitRecoveryDone(t *testing.T, w *chainWorld, timeout time.Duration) workflows.RecoveryStatus {
	t.Helper()
	c := w.temporal.client(t)
	var status workflows.RecoveryStatus
	require.Eventually(t, func() bool {
		desc, err := c.DescribeWorkflowExecution(context.Background(), w.names().Recovery, "")
		if err != nil || desc.WorkflowExecutionInfo.Status.String() != "Completed" {
			return false
		}
		v, err := c.QueryWorkflow(context.Background(), w.names().Recovery, "", workflows.QueryStatus)
		return err == nil && v.Get(&status) == nil
	}, timeout, 250*time.Millisecond, "the recovery did not complete")
	return status
}

func count(t *testing.T, pool *pgxpool.Pool, sql string) int {
	t.Helper()
	var n int
	require.NoError(t, pool.QueryRow(context.Background(), sql).Scan(&n))
	return n
}

// TestStaleBatchesAreRecovered stops the worker, lets L1 run past
// MAX_WAIT_BLOCKS with sealed batches unposted, and starts it again: the
// recovery runs, the invalidated users' nonces and balances revert,
// deposits survive, a subscriber is closed with 4001 and a stale offset is
// refused with 409, new operations succeed, and the replacement batch is
// accepted on L1 — an independent fold of L1 equals the valid feed.
func TestStaleBatchesAreRecovered(t *testing.T) {
	ctx := context.Background()
	w := newChainWorld(t, 3)
	worker := w.startWorker()
	serve := w.startServe()
	serve.waitReady()
	pool := w.pool(t)
	w.submitRound(t, serve, 0)
	waitAllAccepted(t, pool, 60*time.Second)

	// The worker dies. A deposit is drained and transfers are confirmed,
	// all into batches that will never be posted in time.
	worker.kill()
	depositor := w.users[0]
	require.NoError(t, devchain.FundTokens(ctx, w.eth, anviltest.Key(0), w.addrs, big.NewInt(555),
		crypto.PubkeyToAddress(depositor.PublicKey)))
	_, err := devchain.Deposit(ctx, w.eth, depositor, w.addrs, big.NewInt(555))
	require.NoError(t, err)
	w.submitRound(t, serve, 1)
	revokedHead := count(t, pool, `SELECT max("offset") FROM sequenced_l2_txs`)
	time.Sleep(2500 * time.Millisecond) // sealed by age
	require.Greater(t, count(t, pool, `SELECT count(*) FROM batches b WHERE b.sealed_at IS NOT NULL
		AND b.nonce >= (SELECT count(*) FROM accepted_batches)`), 0)
	for u := range w.users {
		require.Equal(t, uint32(2), nonceOf(t, serve, w, u))
	}
	sub := serve.subscribe(t, 0)

	// L1 moves on past MAX_WAIT_BLOCKS; the worker comes back.
	require.NoError(t, w.anvil.Mine(ctx, 1250))
	w.startWorker()
	status := waitRecoveryDone(t, w, 120*time.Second)
	require.NotNil(t, status.Cascade)
	require.False(t, status.Cascade.NoOp)
	require.Positive(t, status.Cascade.PivotNonce, "batch 0 (round 0) stays accepted")
	require.NotNil(t, status.Flush, "a sealed batch was unaccepted: the mempool was flushed")

	code, reason := sub.closeCode(t, 30*time.Second)
	require.Equal(t, 4001, code)
	require.True(t, strings.HasPrefix(reason, "history rewound: last_valid_offset="), reason)

	serve.waitReady()
	for u := range w.users {
		require.Equal(t, uint32(1), nonceOf(t, serve, w, u), "user %d's revoked op is gone", u)
	}
	_, resp, err := fws.DefaultDialer.Dial(fmt.Sprintf("ws://%s/ws/subscribe?from_offset=%d", serve.public, revokedHead), nil)
	require.Error(t, err, "a stale offset is refused before the upgrade")
	require.NotNil(t, resp)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusConflict, resp.StatusCode, string(body))
	require.Contains(t, string(body), "HISTORY_REWOUND")

	// New operations succeed and land.
	w.submitRound(t, serve, 1)
	waitAllAccepted(t, pool, 90*time.Second)
	w.checkL1MatchesFeed(t, serve, pool)
	require.Equal(t, 1, count(t, pool, `SELECT count(*) FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id
		JOIN safe_inputs i ON i.input_index = s.safe_input_index
		WHERE b.invalidated_at IS NULL AND i.sender = '\x`+strings.TrimPrefix(strings.ToLower(w.addrs.ERC20Portal.Hex()), "0x")+`'::bytea
		AND i.input_index = (SELECT max(input_index) FROM safe_inputs WHERE sender <> '\x`+
		strings.TrimPrefix(strings.ToLower(crypto.PubkeyToAddress(w.submitter.PublicKey).Hex()), "0x")+`'::bytea)`),
		"the deposit made during the outage is in the valid feed exactly once")
}

// TestAgingTipIsRepairedWithoutL1 lets the open batch (never sealed, never
// posted) age past the danger line: recovery repairs the tip alone and sends
// nothing to L1.
func TestAgingTipIsRepairedWithoutL1(t *testing.T) {
	ctx := context.Background()
	w := newChainWorld(t, 2)
	worker := w.startWorker()
	serve := w.startServe(withEnv("SEQ_MAX_BATCH_OPEN_SECONDS=3600"))
	serve.waitReady()
	pool := w.pool(t)
	w.submitRound(t, serve, 0)
	submitterNonce, err := w.eth.NonceAt(ctx, crypto.PubkeyToAddress(w.submitter.PublicKey), nil)
	require.NoError(t, err)

	worker.kill()
	require.NoError(t, w.anvil.Mine(ctx, 1000)) // past the 900-block danger line, short of stale
	w.startWorker()
	status := waitRecoveryDone(t, w, 90*time.Second)
	require.NotNil(t, status.Cascade)
	require.False(t, status.Cascade.NoOp)
	require.Equal(t, uint64(0), status.Cascade.PivotNonce)
	require.Nil(t, status.Flush, "tip only: no L1 work")
	after, err := w.eth.NonceAt(ctx, crypto.PubkeyToAddress(w.submitter.PublicKey), nil)
	require.NoError(t, err)
	require.Equal(t, submitterNonce, after, "no L1 transaction")

	serve.waitReady()
	for u := range w.users {
		require.Equal(t, uint32(0), nonceOf(t, serve, w, u))
	}
	require.Equal(t, 1, count(t, pool, `SELECT count(*) FROM batches WHERE invalidated_at IS NOT NULL`))
}
