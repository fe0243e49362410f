package activities

import (
	"context"
	"log/slog"
	"math/big"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/cartesi/sequencer/internal/anviltest"
	"github.com/cartesi/sequencer/internal/devchain"
	"github.com/cartesi/sequencer/internal/pgtest"
	"github.com/cartesi/sequencer/l1"
	"github.com/cartesi/sequencer/migrations"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
	"github.com/cartesi/sequencer/workflows"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// watermarkCheckingPoster is the real poster with one check added: at the
// moment of every broadcast, the durable watermark already covers the
// transaction's nonce.
type watermarkCheckingPoster struct {
	*l1.Poster
	t      *testing.T
	sub    *store.Submitter
	checks int
}

func (p *watermarkCheckingPoster) Send(ctx context.Context, tx *types.Transaction) error {
	mark, ok, err := p.sub.Watermark(ctx)
	require.NoError(p.t, err)
	require.True(p.t, ok, "no watermark before broadcasting nonce %d", tx.Nonce())
	require.GreaterOrEqual(p.t, mark, tx.Nonce(), "watermark below the nonce being broadcast")
	p.checks++
	return p.Poster.Send(ctx, tx)
}

// call runs an activity method in Temporal's activity test environment (a
// real activity context: heartbeats work) and decodes its result.
func call[T any](t *testing.T, fn any, args ...any) (T, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(fn)
	var out T
	val, err := env.ExecuteActivity(fn, args...)
	if err != nil {
		return out, err
	}
	require.NoError(t, val.Get(&out))
	return out, nil
}

func setup(t *testing.T) (*Activities, *watermarkCheckingPoster, *pgxpool.Pool, *anviltest.Anvil) {
	t.Helper()
	ctx := context.Background()
	a := anviltest.Start(t, anviltest.Options{Args: []string{"--slots-in-an-epoch", "2"}})
	eth := a.EthClient(t)
	addrs, err := devchain.Deploy(ctx, eth, anviltest.Key(0))
	require.NoError(t, err)
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t, pgtest.WithTemplate("migrated", migrations.ApplyURL)))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	key := anviltest.Key(1)
	poster, err := l1.NewPoster(a.RPC(), l1.PosterConfig{ChainID: anviltest.ChainID, InputBox: addrs.InputBox, App: addrs.App, Key: key})
	require.NoError(t, err)
	reader, err := l1.NewReader(a.RPC(), l1.ReaderConfig{ChainID: anviltest.ChainID, InputBox: addrs.InputBox})
	require.NoError(t, err)
	sub := store.NewSubmitter(pool)
	checking := &watermarkCheckingPoster{Poster: poster, t: t, sub: sub}
	acts := &Activities{
		Observer: store.NewObserver(pool), Submitter: sub, Maintenance: store.NewMaintenance(pool),
		Reader: reader, Poster: checking, Chain: ethclient.NewClient(a.RPC()),
		App: addrs.App, BatchSubmitter: crypto.PubkeyToAddress(key.PublicKey),
		PollInterval: 50 * time.Millisecond, SubmitPoll: 10 * time.Millisecond, Now: time.Now, Log: slog.New(slog.DiscardHandler),
		Metrics: NewMetrics(prometheus.NewRegistry()),
	}
	return acts, checking, pool, a
}

// sealBatches stores n sealed batches (nonces 0..n−1) as the lane would.
func sealBatches(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		var parent any
		if i > 0 {
			parent = int64(i)
		}
		payload := protocol.Batch{Nonce: uint64(i), Frames: []protocol.Frame{{SafeBlock: 1, FeePrice: 1356}}}.Encode()
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO batches (id, parent_id, nonce, generation) VALUES ($1, $2, $3, 0)`, []any{int64(i + 1), parent, int64(i)}},
			{`INSERT INTO frames (batch_id, position, safe_block, fee) VALUES ($1, 0, 1, 1356)`, []any{int64(i + 1)}},
			{`UPDATE batches SET sealed_at = now(), payload = $2, payload_hash = $3 WHERE id = $1`,
				[]any{int64(i + 1), payload, crypto.Keccak256(payload)}},
		} {
			_, err := pool.Exec(ctx, q.sql, q.args...)
			require.NoError(t, err, q.sql)
		}
	}
}

// plan runs PlanSubmissionRound over the window; wait 0 looks once.
func plan(t *testing.T, acts *Activities, window []workflows.InFlight, maxInFlight int, wait time.Duration) workflows.Plan {
	t.Helper()
	p, err := call[workflows.Plan](t, acts.PlanSubmissionRound, workflows.PlanRequest{InFlight: window, MaxInFlight: maxInFlight,
		ResendAfterBlocks: 3, Wait: wait})
	require.NoError(t, err)
	return p
}

// send runs SendSubmissionRound for a plan and returns the new window, as
// the workflow computes it.
func send(t *testing.T, acts *Activities, p workflows.Plan) ([]workflows.InFlight, workflows.SendRoundResult) {
	t.Helper()
	res, err := call[workflows.SendRoundResult](t, acts.SendSubmissionRound, workflows.SendRoundRequest{Block: p.Block, Sends: p.Sends, GasLimit: p.GasLimit})
	require.NoError(t, err)
	require.Len(t, res.Outcomes, len(p.Sends))
	return applyForTest(p, res), res
}

// applyForTest is the workflow's bookkeeping.
func applyForTest(p workflows.Plan, res workflows.SendRoundResult) []workflows.InFlight {
	return workflows.ApplySends(p.Window, p, res)
}

func sendNonces(p workflows.Plan) (batches, wallets []uint64) {
	for _, s := range p.Sends {
		batches, wallets = append(batches, s.BatchNonce), append(wallets, s.WalletNonce)
	}
	return batches, wallets
}

func seq(from, n uint64) []uint64 {
	out := make([]uint64, 0, n)
	for i := uint64(0); i < n; i++ {
		out = append(out, from+i)
	}
	return out
}

// landedBatchNonces decodes every batch our submitter landed in the
// InputBox, in input order.
func landedBatchNonces(t *testing.T, acts *Activities, a *anviltest.Anvil) []uint64 {
	t.Helper()
	ctx := context.Background()
	latest, err := a.BlockNumber(ctx)
	require.NoError(t, err)
	count, err := acts.Reader.InputCount(ctx, acts.App, latest)
	require.NoError(t, err)
	inputs, err := acts.Reader.Inputs(ctx, acts.App, 0, latest, 0, count)
	require.NoError(t, err)
	var out []uint64
	for _, in := range inputs {
		if in.Sender != acts.BatchSubmitter {
			continue
		}
		b, err := protocol.DecodeBatch(in.Payload)
		require.NoError(t, err)
		out = append(out, b.Nonce)
	}
	return out
}

// TestSubmissionRound: one plan and one send round post two batches at
// consecutive wallet nonces, writing the watermark before any broadcast; a
// retried send rebuilds the same transactions (known, no new slot); the
// next plan sees them included at once (no confirmation wait) and the
// observer sees them accepted.
func TestSubmissionRound(t *testing.T) {
	acts, checking, pool, a := setup(t)
	sealBatches(t, pool, 2)
	_, err := call[workflows.ObserveResult](t, acts.Observe)
	require.NoError(t, err)

	p := plan(t, acts, nil, 16, 0)
	require.Equal(t, uint64(0), p.FirstNeeded)
	batches, wallets := sendNonces(p)
	require.Equal(t, []uint64{0, 1}, batches)
	require.Equal(t, []uint64{p.AccountNonce, p.AccountNonce + 1}, wallets)
	window, res := send(t, acts, p)
	require.Equal(t, 2, checking.checks)
	for _, o := range res.Outcomes {
		require.Equal(t, workflows.SendSent, o.Result)
	}

	// A retry of the round (a worker crash after broadcasting) is harmless.
	again, err := call[workflows.SendRoundResult](t, acts.SendSubmissionRound, workflows.SendRoundRequest{Block: p.Block, Sends: p.Sends, GasLimit: p.GasLimit})
	require.NoError(t, err)
	for i, o := range again.Outcomes {
		require.Equal(t, workflows.SendKnown, o.Result)
		require.Equal(t, res.Outcomes[i].TxHash, o.TxHash, "the same transaction is rebuilt")
	}

	// Automine included both: the next plan knows without waiting for depth.
	require.Eventually(t, func() bool {
		p = plan(t, acts, window, 16, 0)
		return len(p.Included) == 2
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, uint64(2), p.FirstNeeded)
	require.Empty(t, p.Window)
	require.Empty(t, p.Sends)

	require.NoError(t, a.Mine(context.Background(), anviltest.SafeDistance))
	obs, err := call[workflows.ObserveResult](t, acts.Observe)
	require.NoError(t, err)
	require.Equal(t, []uint64{0, 1}, obs.Accepted)
	promo, err := call[workflows.PromotionResult](t, acts.PromoteSnapshots)
	require.NoError(t, err)
	require.Nil(t, promo.FinalizedNonce, "these batches have no snapshots")
}

// TestSendSkipsAReplacedBatchAndTheFence: a batch invalidated since
// planning, or any batch while a recovery holds the fence, is not sent and
// the watermark is not raised.
func TestSendSkipsAReplacedBatchAndTheFence(t *testing.T) {
	ctx := context.Background()
	acts, checking, pool, _ := setup(t)
	sealBatches(t, pool, 2)
	p := plan(t, acts, nil, 16, 0)
	require.Len(t, p.Sends, 2)

	stale := p
	stale.Sends = slices.Clone(p.Sends)
	stale.Sends[0].Hash = "0x" + "00"
	_, res := send(t, acts, stale)
	require.Equal(t, workflows.SendSkipped, res.Outcomes[0].Result)
	require.Equal(t, workflows.SendSkipped, res.Outcomes[1].Result, "no new slot above a refused one")
	require.Zero(t, checking.checks)
	markBefore, _, err := acts.Submitter.Watermark(ctx)
	require.NoError(t, err)

	_, err = pool.Exec(ctx, `UPDATE control SET mode = 'recovering'`)
	require.NoError(t, err)
	fenced := plan(t, acts, nil, 16, 0)
	require.True(t, fenced.Fenced)
	require.Empty(t, fenced.Sends)
	_, res = send(t, acts, p)
	for _, o := range res.Outcomes {
		require.Equal(t, workflows.SendSkipped, o.Result)
	}
	require.Zero(t, checking.checks)
	mark, _, err := acts.Submitter.Watermark(ctx)
	require.NoError(t, err)
	require.Equal(t, markBefore, mark, "nothing claimed, nothing raised")
}

// TestWindowRefillsOnInclusion: with mining under the test's control, the
// window fills to 16 pending transactions; a block that includes only some
// of them (the block gas limit is lowered) makes the next plan return at
// once with those included and the same number of new batches at the next
// wallet nonces; never more than the window is pending.
func TestWindowRefillsOnInclusion(t *testing.T) {
	ctx := context.Background()
	acts, _, pool, a := setup(t)
	const window, total = 16, 24
	sealBatches(t, pool, total)
	require.NoError(t, a.SetAutomine(ctx, false))
	from := acts.BatchSubmitter

	p := plan(t, acts, nil, window, 0)
	batches, wallets := sendNonces(p)
	require.Equal(t, seq(0, window), batches)
	require.Equal(t, seq(0, window), wallets)
	inflight, _ := send(t, acts, p)
	pending, err := a.PendingTransactionHashes(ctx, &from)
	require.NoError(t, err)
	require.Len(t, pending, window)

	// Nothing new: the plan waits (here: a short bounded wait) and returns empty.
	idle := plan(t, acts, inflight, window, 50*time.Millisecond)
	require.Empty(t, idle.Sends)
	require.Empty(t, idle.Included)
	require.Len(t, idle.Window, window)

	// A block with room for a few of them only.
	var gasLimit uint64
	for _, h := range pending[:1] {
		tx, _, err := acts.Chain.(interface {
			TransactionByHash(context.Context, common.Hash) (*types.Transaction, bool, error)
		}).TransactionByHash(ctx, h)
		require.NoError(t, err)
		gasLimit = tx.Gas()
	}
	require.NoError(t, a.RPC().CallContext(ctx, nil, "evm_setBlockGasLimit", hexutil.Uint64(5*gasLimit+gasLimit/2)))
	require.NoError(t, a.Mine(ctx, 1))
	latest, err := acts.Chain.NonceAt(ctx, from, nil)
	require.NoError(t, err)
	require.Greater(t, latest, uint64(0))
	require.Less(t, latest, uint64(window), "the block included only some")

	p = plan(t, acts, inflight, window, time.Minute)
	require.Len(t, p.Included, int(latest))
	require.Equal(t, latest, p.AccountNonce)
	require.Equal(t, latest, p.FirstNeeded)
	batches, wallets = sendNonces(p)
	refill := min(latest, total-window)
	require.Equal(t, seq(window, refill), batches, "the next batches")
	require.Equal(t, seq(window, refill), wallets, "at the next wallet nonces")
	for _, s := range p.Sends {
		require.Equal(t, workflows.SendNew, s.Kind)
	}
	_, _ = send(t, acts, p)
	pending, err = a.PendingTransactionHashes(ctx, &from)
	require.NoError(t, err)
	require.LessOrEqual(t, len(pending), window, "never more than the window pending")
	require.Equal(t, int(window-latest+refill), len(pending))
	require.Equal(t, float64(window-latest+refill), value(t, acts.Metrics.inFlight))
}

// TestDroppedTransactionIsReplacedAndTheCapHolds: a batch transaction the
// mempool lost is re-sent at the same wallet nonce once it is
// ResendAfterBlocks (3) blocks old, with both fees +12.5%; when the next
// bump would pass the fee cap, no bump is sent (none valid exists under the
// cap): the entry is marked capped, the alert gauge is set, and the same
// transaction is broadcast again at the same fees (the node lost it, so it
// takes it back); no planned fee ever exceeds the cap. An honest block then
// includes it at the same nonce: the batch lands once.
func TestDroppedTransactionIsReplacedAndTheCapHolds(t *testing.T) {
	ctx := context.Background()
	acts, _, pool, a := setup(t)
	sealBatches(t, pool, 1)
	require.NoError(t, a.SetAutomine(ctx, false))
	fresh, err := acts.Poster.SuggestFees(ctx)
	require.NoError(t, err)
	// Room for one bump (×1.125) but not for two (×1.266).
	maxFee := new(big.Int).Div(new(big.Int).Mul(fresh.FeeCap, big.NewInt(120)), big.NewInt(100))
	req := func(window []workflows.InFlight) workflows.PlanRequest {
		return workflows.PlanRequest{InFlight: window, MaxInFlight: 16, ResendAfterBlocks: 3, MaxFeePerGas: maxFee.String()}
	}
	planReq := func(window []workflows.InFlight) workflows.Plan {
		p, err := call[workflows.Plan](t, acts.PlanSubmissionRound, req(window))
		require.NoError(t, err)
		for _, s := range p.Sends {
			f, err := feesFromWire(s.Fees)
			require.NoError(t, err)
			require.LessOrEqual(t, f.FeeCap.Cmp(maxFee), 0, "fee cap above the cap")
			require.LessOrEqual(t, f.TipCap.Cmp(maxFee), 0, "tip above the cap")
		}
		return p
	}

	p := planReq(nil)
	require.Len(t, p.Sends, 1)
	window, _ := send(t, acts, p)
	first := window[0]
	require.NoError(t, a.DropTransaction(ctx, common.HexToHash(first.TxHash)))

	require.NoError(t, a.Mine(ctx, 2))
	p = planReq(window)
	require.Empty(t, p.Sends, "two blocks: not due yet")
	require.NoError(t, a.Mine(ctx, 1))
	p = planReq(window)
	require.Len(t, p.Sends, 1)
	repl := p.Sends[0]
	require.Equal(t, workflows.SendReplace, repl.Kind)
	require.Equal(t, first.WalletNonce, repl.WalletNonce, "the same wallet nonce")
	require.Equal(t, first.BatchNonce, repl.BatchNonce, "the same batch")
	prev, err := feesFromWire(first.Fees)
	require.NoError(t, err)
	got, err := feesFromWire(repl.Fees)
	require.NoError(t, err)
	for _, pair := range [][2]*big.Int{{prev.TipCap, got.TipCap}, {prev.FeeCap, got.FeeCap}} {
		want := new(big.Int).Div(new(big.Int).Add(new(big.Int).Mul(pair[0], big.NewInt(9)), big.NewInt(7)), big.NewInt(8))
		require.GreaterOrEqual(t, pair[1].Cmp(want), 0, "+12.5%%: %s over %s", pair[1], pair[0])
	}
	gas := p.GasLimit
	window, res := send(t, acts, p)
	require.Equal(t, workflows.SendSent, res.Outcomes[0].Result)
	require.Equal(t, 1, window[0].Replacements)
	require.Equal(t, float64(1), value(t, acts.Metrics.replacements))
	require.Zero(t, value(t, acts.Metrics.feeCapped))

	// Lost again: the next bump would pass the cap, so nothing is sent.
	require.NoError(t, a.DropTransaction(ctx, common.HexToHash(window[0].TxHash)))
	require.NoError(t, a.Mine(ctx, 3))
	p = planReq(window)
	require.Len(t, p.Window, 1)
	require.True(t, p.Window[0].Capped)
	require.Equal(t, float64(1), value(t, acts.Metrics.feeCapped), "the alert gauge")
	require.Len(t, p.Sends, 1, "no bump under the cap: the same transaction is broadcast again")
	require.Equal(t, workflows.SendRebroadcast, p.Sends[0].Kind)
	require.Equal(t, window[0].Fees, p.Sends[0].Fees, "at the previous fees")
	require.Equal(t, window[0].WalletNonce, p.Sends[0].WalletNonce)
	require.Equal(t, gas, p.GasLimit)

	// The node lost it, so it takes it back; an honest block includes it.
	require.NoError(t, a.SetAutomine(ctx, true))
	window, res2 := send(t, acts, p)
	require.Equal(t, workflows.SendSent, res2.Outcomes[0].Result)
	require.Equal(t, res.Outcomes[0].TxHash, res2.Outcomes[0].TxHash, "the very same replacement")
	require.Equal(t, 1, window[0].Replacements, "a rebroadcast is not a replacement")
	require.Equal(t, float64(1), value(t, acts.Metrics.replacements))
	p.Window = window
	require.Eventually(t, func() bool {
		p = planReq(p.Window)
		return len(p.Included) == 1
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, []uint64{0}, landedBatchNonces(t, acts, a))
	require.Positive(t, value(t, acts.Metrics.gasUsed))
}

// blockInjector is the real chain with a block mined (including whatever
// is pending) right before each NonceAt and InputCount call: L1 moves while
// the plan reads it, between its reads.
type blockInjector struct {
	Chain
	Reader
	a     *anviltest.Anvil
	t     *testing.T
	mined int
}

func (b *blockInjector) mine(ctx context.Context) {
	require.NoError(b.t, b.a.Mine(ctx, 1))
	b.mined++
}

func (b *blockInjector) NonceAt(ctx context.Context, account common.Address, block *big.Int) (uint64, error) {
	b.mine(ctx)
	return b.Chain.NonceAt(ctx, account, block)
}

func (b *blockInjector) InputCount(ctx context.Context, app common.Address, block uint64) (uint64, error) {
	b.mine(ctx)
	return b.Reader.InputCount(ctx, app, block)
}

// TestNoBatchPostedTwiceWhenBlocksArriveWhilePlanning reproduces the
// interleaving that posted 2.2% of batches twice: blocks that include our
// pending transactions are mined between the plan's reads (after it picked
// its block, between the nonce and the input scan) and between planning
// and sending, and replacements are due every block so some are decided
// for transactions that are mined before the send. Every batch lands
// exactly once, in order.
func TestNoBatchPostedTwiceWhenBlocksArriveWhilePlanning(t *testing.T) {
	ctx := context.Background()
	acts, _, pool, a := setup(t)
	const total = 12
	sealBatches(t, pool, total)
	require.NoError(t, a.SetAutomine(ctx, false))
	inj := &blockInjector{Chain: acts.Chain, Reader: acts.Reader, a: a, t: t}
	acts.Chain, acts.Reader = inj, inj

	var window []workflows.InFlight
	for round := 0; round < 60; round++ {
		p, err := call[workflows.Plan](t, acts.PlanSubmissionRound, workflows.PlanRequest{InFlight: window, MaxInFlight: 3,
			ResendAfterBlocks: 1})
		require.NoError(t, err)
		if p.FirstNeeded == total && len(p.Window) == 0 && len(p.Sends) == 0 {
			break
		}
		require.NoError(t, a.Mine(ctx, 1)) // and between planning and sending
		window, _ = send(t, acts, p)
	}
	require.Equal(t, seq(0, total), landedBatchNonces(t, acts, a), "each batch once, in order")
	require.Positive(t, inj.mined)
}

// value reads a gauge's or counter's current value.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	require.NoError(t, m.Write(&out))
	if out.Gauge != nil {
		return out.Gauge.GetValue()
	}
	return out.Counter.GetValue()
}

// tipAheadChain answers the account's nonce at any block with its pending
// nonce: the node counts transactions of a block it is still mining while
// its logs and calls at that number do not show them yet (anvil under
// load).
type tipAheadChain struct {
	Chain
	eth *ethclient.Client
}

func (c tipAheadChain) NonceAt(ctx context.Context, account common.Address, _ *big.Int) (uint64, error) {
	return c.eth.PendingNonceAt(ctx, account)
}

// TestNoBatchPostedTwiceOnAnInconsistentTip: with a node whose nonce at the
// tip runs ahead of its logs, a plan sees our pending transactions as mined
// but their batches as not landed. It must plan nothing rather than give
// those batches second wallet nonces; once the blocks are really there,
// every batch lands exactly once, in order.
func TestNoBatchPostedTwiceOnAnInconsistentTip(t *testing.T) {
	ctx := context.Background()
	acts, _, pool, a := setup(t)
	const total = 6
	sealBatches(t, pool, total)
	require.NoError(t, a.SetAutomine(ctx, false))
	acts.Chain = tipAheadChain{Chain: acts.Chain, eth: a.EthClient(t)}

	p := plan(t, acts, nil, 3, 0)
	window, _ := send(t, acts, p)
	require.Len(t, window, 3)
	// Pending, not mined: the nonce says included, the inputs say not.
	p = plan(t, acts, window, 3, 0)
	require.Empty(t, p.Sends, "an inconsistent view must not assign batches again")
	require.Empty(t, p.Included)
	require.Equal(t, float64(1), value(t, acts.Metrics.inconsistent))

	for round := 0; round < 30; round++ {
		require.NoError(t, a.Mine(ctx, 1))
		p = plan(t, acts, window, 3, 0)
		if p.FirstNeeded == total && len(p.Window) == 0 && len(p.Sends) == 0 {
			break
		}
		if len(p.Sends) > 0 {
			window, _ = send(t, acts, p)
		} else {
			window = p.Window
		}
	}
	require.NoError(t, a.Mine(ctx, 1))
	require.Equal(t, seq(0, total), landedBatchNonces(t, acts, a), "each batch once, in order")
}

// laggingNonceChain answers the account's nonce one block behind the one
// asked for: the reverse split of TestNoBatchPostedTwiceOnAnInconsistentTip
// (a reorg between the reads, or load-balanced backends at two heights).
type laggingNonceChain struct{ Chain }

func (c laggingNonceChain) NonceAt(ctx context.Context, account common.Address, block *big.Int) (uint64, error) {
	return c.Chain.NonceAt(ctx, account, new(big.Int).Sub(block, big.NewInt(1)))
}

// TestNoSlotShiftWhenTheNonceLagsTheInputs: the inputs show our batches
// landed while the nonce does not count their transactions yet. Planning on
// that view would move every pending slot to the next batch (replacing live
// transactions out of order); the plan must send nothing instead.
func TestNoSlotShiftWhenTheNonceLagsTheInputs(t *testing.T) {
	ctx := context.Background()
	acts, _, pool, a := setup(t)
	sealBatches(t, pool, 6)
	require.NoError(t, a.SetAutomine(ctx, false))
	p := plan(t, acts, nil, 3, 0)
	window, _ := send(t, acts, p)
	require.Len(t, window, 3)
	require.NoError(t, a.Mine(ctx, 1)) // all three land in one block

	acts.Chain = laggingNonceChain{Chain: acts.Chain}
	p = plan(t, acts, window, 3, 0)
	require.Empty(t, p.Sends, "a split view must not reassign slots")
	require.Empty(t, p.Included)
	require.Equal(t, float64(1), value(t, acts.Metrics.inconsistent))
}
