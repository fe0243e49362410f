package activities

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/jackc/pgx/v5/pgxpool"
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
		PollInterval: 50 * time.Millisecond, Now: time.Now, Log: slog.New(slog.DiscardHandler),
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

// TestSubmissionRound plans, sends and awaits like one submitter round, then
// observes: the watermark is raised before every broadcast, both batches land
// at consecutive wallet nonces and the rollup accepts them.
func TestSubmissionRound(t *testing.T) {
	ctx := context.Background()
	acts, checking, pool, a := setup(t)
	sealBatches(t, pool, 2)
	_, err := call[workflows.ObserveResult](t, acts.Observe)
	require.NoError(t, err)

	plan, err := call[workflows.Plan](t, acts.PlanSubmission)
	require.NoError(t, err)
	require.Equal(t, uint64(0), plan.FirstNeeded)
	require.Len(t, plan.Batches, 2)
	require.Equal(t, plan.Batches[0].WalletNonce+1, plan.Batches[1].WalletNonce)

	for _, b := range plan.Batches {
		res, err := call[workflows.SendResult](t, acts.SendBatch, workflows.SendRequest{Batch: b})
		require.NoError(t, err)
		require.False(t, res.Skipped)
		require.NotEmpty(t, res.TxHash)
	}
	require.Equal(t, 2, checking.checks)
	// A retry of the last send (same nonce, fresh fees) does not take a new slot.
	again, err := call[workflows.SendResult](t, acts.SendBatch, workflows.SendRequest{Batch: plan.Batches[1]})
	require.NoError(t, err)
	require.True(t, again.AlreadyKnown)

	res, err := call[workflows.AwaitResult](t, acts.AwaitInclusion, workflows.AwaitRequest{WalletNonce: plan.Batches[1].WalletNonce, Confirmations: 2, Timeout: 5 * time.Second})
	require.NoError(t, err)
	require.False(t, res.Included, "one confirmation only: automine mined it, nothing since")
	require.NoError(t, a.Mine(ctx, 3))
	res, err = call[workflows.AwaitResult](t, acts.AwaitInclusion, workflows.AwaitRequest{WalletNonce: plan.Batches[1].WalletNonce, Confirmations: 2, Timeout: 5 * time.Second})
	require.NoError(t, err)
	require.True(t, res.Included)

	// Landed but not yet safe: the next plan already knows.
	plan, err = call[workflows.Plan](t, acts.PlanSubmission)
	require.NoError(t, err)
	require.Equal(t, uint64(2), plan.FirstNeeded)
	require.Empty(t, plan.Batches)

	obs, err := call[workflows.ObserveResult](t, acts.Observe)
	require.NoError(t, err)
	require.Equal(t, []uint64{0, 1}, obs.Accepted)
	promo, err := call[workflows.PromotionResult](t, acts.PromoteSnapshots)
	require.NoError(t, err)
	require.Nil(t, promo.FinalizedNonce, "these batches have no snapshots")
}

// TestSendSkipsAReplacedBatch: a batch invalidated since planning is not sent.
func TestSendSkipsAReplacedBatch(t *testing.T) {
	acts, checking, pool, _ := setup(t)
	sealBatches(t, pool, 1)
	plan, err := call[workflows.Plan](t, acts.PlanSubmission)
	require.NoError(t, err)
	require.Len(t, plan.Batches, 1)
	stale := plan.Batches[0]
	stale.Hash = "0x" + "00"
	res, err := call[workflows.SendResult](t, acts.SendBatch, workflows.SendRequest{Batch: stale})
	require.NoError(t, err)
	require.True(t, res.Skipped)
	require.Zero(t, checking.checks)
}
