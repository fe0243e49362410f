package e2e

import (
	"context"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/anviltest"
	"github.com/cartesi/sequencer/l1/bindings"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/workflows"
)

// pendingBatchOps decodes the submitter's pending transaction h as
// InputBox.addInput(app, batch) and returns the batch's nonce and user-op
// count; ok is false for anything else.
func (w *chainWorld) pendingBatchOps(ctx context.Context, h common.Hash) (nonce uint64, ops int, ok bool) {
	tx, _, err := w.eth.TransactionByHash(ctx, h)
	if err != nil || len(tx.Data()) < 4 {
		return 0, 0, false
	}
	parsed, err := bindings.InputBoxMetaData.GetAbi()
	if err != nil {
		return 0, 0, false
	}
	m, err := parsed.MethodById(tx.Data()[:4])
	if err != nil || m.Name != "addInput" {
		return 0, 0, false
	}
	args, err := m.Inputs.Unpack(tx.Data()[4:])
	if err != nil || len(args) != 2 {
		return 0, 0, false
	}
	payload, _ := args[1].([]byte)
	b, err := protocol.DecodeBatch(payload)
	if err != nil {
		return 0, 0, false
	}
	for _, f := range b.Frames {
		ops += len(f.UserOps)
	}
	return b.Nonce, ops, true
}

// holdingMiner mines a block every interval while no sealed batch carrying
// user operations waits to be posted; once one is sealed it mines no more
// (mining is then the test's) and closes held when the batch's transaction
// is pending in the mempool. Watching the database, not only the mempool,
// closes a race: the submitter may broadcast between a look at the mempool
// and the next mine, and that block would include the batch. A seal
// precedes its broadcast by at least one plan poll.
func (w *chainWorld) holdingMiner(pool *pgxpool.Pool, interval time.Duration) (held <-chan struct{}) {
	ch := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	w.t.Cleanup(cancel)
	from := w.submitterAddr()
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		sealed := false
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if !sealed {
				err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM batches b
					WHERE b.sealed_at IS NOT NULL AND b.invalidated_at IS NULL
					  AND EXISTS (SELECT 1 FROM user_ops u WHERE u.batch_id = b.id)
					  AND NOT EXISTS (SELECT 1 FROM accepted_batches a WHERE a.nonce = b.nonce))`).Scan(&sealed)
				if err != nil {
					continue
				}
			}
			hashes, err := w.anvil.PendingTransactionHashes(ctx, &from)
			if err != nil {
				continue
			}
			for _, h := range hashes {
				if _, ops, ok := w.pendingBatchOps(ctx, h); ok && ops > 0 {
					close(ch)
					return
				}
			}
			if !sealed {
				_ = w.anvil.Mine(ctx, 1)
			}
		}
	}()
	return ch
}

// mineInBackground mines a block every interval until stop or the end of the
// test.
func (w *chainWorld) mineInBackground(interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
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
	stop = func() { cancel(); wg.Wait() }
	w.t.Cleanup(stop)
	return stop
}

func (w *chainWorld) submitterAddr() common.Address {
	return anviltest.Address(1) // w.submitter is anviltest.Key(1)
}

func submitterStatus(t *testing.T, w *chainWorld) (workflows.SubmitterStatus, bool) {
	t.Helper()
	v, err := w.temporal.client(t).QueryWorkflow(context.Background(), w.names().Submitter, "", workflows.QueryStatus)
	if err != nil {
		return workflows.SubmitterStatus{}, false
	}
	var st workflows.SubmitterStatus
	return st, v.Get(&st) == nil
}

// submitterTxsByNonce returns the submitter's mined transactions in blocks
// [from, to], by wallet nonce.
func (w *chainWorld) submitterTxsByNonce(t *testing.T, from, to uint64) map[uint64]*types.Transaction {
	t.Helper()
	ctx := context.Background()
	signer := types.LatestSignerForChainID(new(big.Int).SetUint64(anviltest.ChainID))
	out := map[uint64]*types.Transaction{}
	for n := from; n <= to; n++ {
		b, err := w.eth.BlockByNumber(ctx, new(big.Int).SetUint64(n))
		require.NoError(t, err)
		for _, tx := range b.Transactions() {
			if s, err := types.Sender(signer, tx); err == nil && s == w.submitterAddr() {
				out[tx.Nonce()] = tx
			}
		}
	}
	return out
}

// TestZombieBatchNeverExecutes plays an adversarial mempool. With automine
// off and mining under the test's control, the batch carrying users' ops is
// broadcast, captured raw and dropped from the mempool; L1 then runs 1000
// blocks (past the 900-block danger line) so the observer finds observed
// danger and the recovery flushes the submitter's slots: every wallet nonce
// the dropped batches held is consumed by a 0-ETH self-transfer, and the
// batches are invalidated (users' nonces revert). The captured zombie is
// then re-injected: the node refuses it (nonce too low), or if it took it,
// it is never mined. Service goes on; the fold of L1 executes each batch
// nonce once and equals the valid feed, and no divergence is ever recorded.
func TestZombieBatchNeverExecutes(t *testing.T) {
	ctx := context.Background()
	w := newChainWorld(t, 3)
	// The dropped batches must stay nowhere while L1 runs 1000 blocks: the
	// submitter would otherwise re-send them 3 blocks after the drop (the
	// replacement rule) and they would land in time.
	w.startWorker("SEQ_BATCH_SUBMITTER_RESEND_AFTER_BLOCKS=100000")
	serve := w.startServe()
	serve.waitReady()
	pool := w.pool(t)
	w.submitRound(t, serve, 0)
	waitAllAccepted(t, pool, 60*time.Second)
	from := w.submitterAddr()

	// The test takes over mining: transactions wait in the mempool, and
	// blocks are mined only while no batch with user ops is pending.
	w.stopMine()
	require.NoError(t, w.anvil.SetAutomine(ctx, false))
	held := w.holdingMiner(pool, 200*time.Millisecond)
	w.submitRound(t, serve, 1)
	select {
	case <-held:
	case <-time.After(60 * time.Second):
		t.Fatal("the batch carrying round 1 was never broadcast")
	}
	// Round 1 is the newest entries of the feed; a seal by age may split
	// it, so take the first batch holding any of it.
	round1Batch := uint64(count(t, pool, `SELECT min(b.nonce)::int FROM (SELECT batch_id FROM sequenced_l2_txs
		ORDER BY "offset" DESC LIMIT `+strconv.Itoa(len(w.users))+`) s JOIN batches b ON b.id = s.batch_id`))

	// Wait until the submitter's round is fully broadcast and it awaits
	// inclusion: the mempool then holds every in-flight batch.
	var inFlight []workflows.InFlight
	require.Eventually(t, func() bool {
		st, ok := submitterStatus(t, w)
		if !ok || st.State != "awaiting" || len(st.InFlight) == 0 {
			return false
		}
		hashes, err := w.anvil.PendingTransactionHashes(ctx, &from)
		if err != nil {
			return false
		}
		pending := map[common.Hash]bool{}
		for _, h := range hashes {
			pending[h] = true
		}
		for _, f := range st.InFlight {
			if !pending[common.HexToHash(f.TxHash)] {
				return false
			}
		}
		inFlight = st.InFlight
		return len(hashes) == len(st.InFlight)
	}, 30*time.Second, 100*time.Millisecond, "the submitter never settled awaiting its broadcast batches")
	carried := false
	for _, f := range inFlight {
		carried = carried || f.BatchNonce == round1Batch
	}
	require.True(t, carried, "batch %d (round 1) is in flight: %+v", round1Batch, inFlight)
	require.Equal(t, 0, count(t, pool, `SELECT count(*) FROM accepted_batches WHERE nonce >= `+strconv.FormatUint(round1Batch, 10)))

	// Capture the zombies' raw bytes, then drop them.
	zombies, err := w.anvil.PendingRawTransactions(ctx, &from)
	require.NoError(t, err)
	require.NotEmpty(t, zombies)
	var zombieTxs []*types.Transaction
	for _, raw := range zombies {
		tx := new(types.Transaction)
		require.NoError(t, tx.UnmarshalBinary(raw))
		zombieTxs = append(zombieTxs, tx)
		require.NoError(t, w.anvil.DropTransaction(ctx, tx.Hash()))
	}
	left, err := w.anvil.PendingTransactionHashes(ctx, &from)
	require.NoError(t, err)
	require.Empty(t, left, "the zombies are out of the mempool")

	// L1 runs past the danger line with the batches nowhere.
	before, err := w.anvil.BlockNumber(ctx)
	require.NoError(t, err)
	require.NoError(t, w.anvil.Mine(ctx, 1000))
	require.Eventually(t, func() bool {
		_, err := w.temporal.client(t).DescribeWorkflowExecution(ctx, w.names().Recovery, "")
		return err == nil
	}, 60*time.Second, 200*time.Millisecond, "the observer never started a recovery")
	// The flush needs blocks: the mempool holds nothing of ours, and the
	// submitter awaits the dropped nonce, so plain mining is safe now.
	w.mineInBackground(200 * time.Millisecond)
	status := waitRecoveryDone(t, w, 120*time.Second)
	require.Contains(t, status.Reason, "closed_batch_in_danger")
	require.NotNil(t, status.Flush, "an unaccepted sealed batch was in flight: the mempool is flushed")
	require.GreaterOrEqual(t, status.Flush.Sent, len(zombieTxs))
	require.NotNil(t, status.Cascade)
	require.False(t, status.Cascade.NoOp)
	require.LessOrEqual(t, status.Cascade.PivotNonce, round1Batch)
	t.Logf("recovery: pivot %d, invalidated %d, flush %+v; zombies at wallet nonces %v",
		status.Cascade.PivotNonce, status.Cascade.Invalidated, *status.Flush, nonces(zombieTxs))

	// Every slot a zombie held was consumed by a self-transfer.
	latest, err := w.anvil.BlockNumber(ctx)
	require.NoError(t, err)
	mined := w.submitterTxsByNonce(t, before+1, latest)
	for _, z := range zombieTxs {
		tx, ok := mined[z.Nonce()]
		require.True(t, ok, "wallet nonce %d is consumed after the flush", z.Nonce())
		require.NotEqual(t, z.Hash(), tx.Hash())
		require.NotNil(t, tx.To())
		require.Equal(t, from, *tx.To(), "nonce %d: a self-transfer", z.Nonce())
		require.Zero(t, tx.Value().Sign())
		require.Empty(t, tx.Data())
	}
	serve.waitReady()
	for u := range w.users {
		require.Equal(t, uint32(1), nonceOf(t, serve, w, u), "user %d's round-1 op was revoked", u)
	}

	// The zombies come back: refused, or never mined.
	w.reinjectZombies(t, zombieTxs, zombies)

	// Service goes on; new batches land; L1 never executes a zombie.
	w.submitRoundAt(t, serve)
	w.submitRoundAt(t, serve)
	waitAllAccepted(t, pool, 120*time.Second)
	w.reinjectZombies(t, zombieTxs, zombies)
	w.checkL1MatchesFeed(t, serve, pool)
	requireNoDivergence(t, pool)
	for _, z := range zombieTxs {
		_, err := w.eth.TransactionReceipt(ctx, z.Hash())
		require.ErrorIs(t, err, ethereum.NotFound, "zombie %s was mined", z.Hash())
	}
}

// reinjectZombies sends every captured raw transaction again: the node must
// refuse it with "nonce too low", or if it takes it, it must not be mined in
// the next blocks.
func (w *chainWorld) reinjectZombies(t *testing.T, txs []*types.Transaction, raws [][]byte) {
	t.Helper()
	ctx := context.Background()
	for i, raw := range raws {
		h, err := w.anvil.SendRawTransaction(ctx, raw)
		if err != nil {
			t.Logf("zombie at wallet nonce %d refused: %v", txs[i].Nonce(), err)
			require.Contains(t, strings.ToLower(err.Error()), "nonce", "refused for its consumed nonce")
			continue
		}
		t.Logf("zombie at wallet nonce %d accepted into the pool as %s", txs[i].Nonce(), h)
	}
	start, err := w.anvil.BlockNumber(ctx)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		n, err := w.anvil.BlockNumber(ctx)
		return err == nil && n >= start+10
	}, 30*time.Second, 100*time.Millisecond, "no blocks are mined")
	for _, z := range txs {
		_, err := w.eth.TransactionReceipt(ctx, z.Hash())
		require.True(t, errors.Is(err, ethereum.NotFound), "zombie %s was mined (err %v)", z.Hash(), err)
	}
}

func nonces(txs []*types.Transaction) []uint64 {
	out := make([]uint64, len(txs))
	for i, tx := range txs {
		out[i] = tx.Nonce()
	}
	return out
}
