package e2e

import (
	"context"
	"crypto/ecdsa"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/feed"
	"github.com/cartesi/sequencer/internal/anviltest"
	"github.com/cartesi/sequencer/l1"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/protocol/scheduler"
	"github.com/cartesi/sequencer/store"
)

// signTransfer is the POST /tx body of a transfer from key.
func (w *chainWorld) signTransfer(t *testing.T, key *ecdsa.PrivateKey, nonce uint32, to int, amount uint64) []byte {
	t.Helper()
	d := protocol.NewDomain(anviltest.ChainID, w.addrs.App)
	data := (&wallet.Transfer{Amount: uint256.NewInt(amount), To: crypto.PubkeyToAddress(w.users[to].PublicKey)}).Encode()
	return signBody(t, d, key, protocol.UserOp{Nonce: nonce, MaxFee: 2000, Data: data})
}

func (w *chainWorld) pool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), w.dbURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// waitAllAccepted waits until the batch holding the newest feed entry is
// sealed and accepted on L1 (so L1 carries the whole feed). Later batches
// sealed by age are empty and may still be on their way.
func waitAllAccepted(t *testing.T, pool *pgxpool.Pool, timeout time.Duration) {
	t.Helper()
	ctx := context.Background()
	require.Eventually(t, func() bool {
		var covered bool
		err := pool.QueryRow(ctx, `WITH last AS (
				SELECT b.nonce, b.sealed_at FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id
				WHERE b.invalidated_at IS NULL ORDER BY s."offset" DESC LIMIT 1)
			SELECT last.sealed_at IS NOT NULL AND EXISTS (SELECT 1 FROM accepted_batches a WHERE a.nonce = last.nonce)
			FROM last`).Scan(&covered)
		return err == nil && covered
	}, timeout, 200*time.Millisecond, "the batch holding the newest feed entry was not accepted")
}

// foldL1 reads every InputBox input of the app from anvil and folds it with
// the reference scheduler.
func (w *chainWorld) foldL1(t *testing.T) ([]scheduler.Result, []scheduler.Executed, *wallet.Wallet) {
	t.Helper()
	ctx := context.Background()
	reader, err := l1.NewReader(w.anvil.RPC(), l1.ReaderConfig{ChainID: anviltest.ChainID, InputBox: w.addrs.InputBox})
	require.NoError(t, err)
	latest, err := w.anvil.BlockNumber(ctx)
	require.NoError(t, err)
	count, err := reader.InputCount(ctx, w.addrs.App, latest)
	require.NoError(t, err)
	inputs, err := reader.Inputs(ctx, w.addrs.App, 0, latest, 0, count)
	require.NoError(t, err)
	stream := make([]scheduler.Input, len(inputs))
	for i, in := range inputs {
		stream[i] = scheduler.Input{Sender: in.Sender, Payload: in.Payload, InclusionBlock: in.BlockNumber, Index: in.Index}
	}
	wal := wallet.New(wallet.Config{Portal: w.addrs.ERC20Portal, Token: w.addrs.Token, FeeRecipient: feeRecipient})
	d := protocol.NewDomain(anviltest.ChainID, w.addrs.App)
	results, executed := scheduler.New(wal, d, crypto.PubkeyToAddress(w.submitter.PublicKey)).Fold(stream)
	return results, executed, wal
}

func describeEntries(entries []feed.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		if e.Kind == feed.KindUserOp {
			out[i] = "op " + e.Sender.Hex() + "/" + strconv.Itoa(int(e.Nonce)) + " batch " + strconv.FormatUint(e.BatchNonce, 10)
		} else {
			out[i] = "direct " + strconv.FormatUint(e.InputIndex, 10) // see describeFold
		}
	}
	return out
}

func describeFold(ex []scheduler.Executed) []string {
	out := make([]string, len(ex))
	for i, e := range ex {
		if e.Kind == scheduler.ExecUserOp {
			out[i] = "op " + e.Sender.Hex() + "/" + strconv.Itoa(int(e.Op.Nonce)) + " batch " + strconv.FormatUint(e.BatchNonce, 10)
		} else {
			// Not the batch: after a stale recovery, a re-drained deposit
			// older than MAX_WAIT_BLOCKS is executed on L1 by the backstop
			// just before the replacement batch (Forced), where the feed
			// shows it at the head of that batch's first frame — the same
			// position in the execution order.
			out[i] = "direct " + strconv.FormatUint(e.Input.Index, 10)
		}
	}
	return out
}

// checkL1MatchesFeed folds the L1 input stream and asserts the executed
// order equals the valid feed, every submitter input carrying a new nonce
// was accepted once, and the final state equals the sequencer's latest
// snapshot.
func (w *chainWorld) checkL1MatchesFeed(t *testing.T, serve *proc, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	results, executed, wal := w.foldL1(t)
	accepted := map[uint64]int{}
	for _, r := range results {
		if r.Outcome.ConsumesNonce() {
			accepted[r.Batch.Nonce]++
			require.Empty(t, r.Skipped, "no op of ours is skipped on L1")
		}
	}
	for nonce, n := range accepted {
		require.Equal(t, 1, n, "batch %d executed once", nonce)
	}
	entries, err := store.NewFeedReader(pool).Entries(ctx, 0, 1_000_000)
	require.NoError(t, err)
	require.Equal(t, describeEntries(entries), describeFold(executed))
	head := entries[len(entries)-1].Offset
	require.Equal(t, wal.Snapshot(), waitSealedUpTo(t, serve, head))
}

// TestBatchesLandOnL1 runs Postgres, a Temporal dev server, anvil, `serve`
// and `worker` for real: deposits through the ERC20Portal, signed transfers
// over HTTP, batches posted by the worker; an independent fold of the app's
// L1 inputs reproduces the feed and the state, and /finalized_state
// advances as batches are accepted.
func TestBatchesLandOnL1(t *testing.T) {
	w := newChainWorld(t, 3)
	worker := w.startWorker()
	serve := w.startServe()
	serve.waitReady()
	pool := w.pool(t)

	var lastFinalized uint64
	for round := 0; round < 3; round++ {
		for u := range w.users {
			r, err := serve.postTx(w.signTransfer(t, w.users[u], uint32(round), (u+1)%len(w.users), 1000))
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, r.status, "code %s", r.Code)
		}
		waitAllAccepted(t, pool, 60*time.Second)
		var block uint64
		require.Eventually(t, func() bool {
			code, hdr, _ := serve.getInternal("/finalized_state")
			if code != http.StatusOK {
				return false
			}
			block, _ = strconv.ParseUint(hdr.Get("X-Inclusion-Block"), 10, 64)
			return block > lastFinalized
		}, 30*time.Second, 100*time.Millisecond, "the finalized snapshot does not advance")
		lastFinalized = block
	}
	w.checkL1MatchesFeed(t, serve, pool)
	require.Contains(t, worker.logs.String(), "batch broadcast")
	code, _, metrics := worker.getInternal("/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Regexp(t, `sequencer_batch_broadcasts_total\{result="sent"\} [1-9]`, string(metrics))
	require.Regexp(t, `sequencer_accepted_batches [1-9]`, string(metrics))
}
