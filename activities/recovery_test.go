package activities

import (
	"context"
	"log/slog"
	"math/big"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/cartesi/sequencer/store"
	"github.com/cartesi/sequencer/workflows"
)

// slowCascade is a RecoveryStore whose cascade takes as long as the test
// says (a huge suffix on a loaded database), as one blocking call.
type slowCascade struct {
	RecoveryStore
	takes time.Duration
	res   store.CascadeResult
}

func (s slowCascade) Cascade(ctx context.Context, _ store.CascadeRequest) (store.CascadeResult, error) {
	select {
	case <-time.After(s.takes):
		return s.res, nil
	case <-ctx.Done():
		return store.CascadeResult{}, ctx.Err()
	}
}

// cascadeOnce runs the cascade activity once, under a heartbeat timeout
// much shorter than the cascade.
func cascadeOnce(ctx workflow.Context, heartbeat time.Duration) (workflows.CascadeResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		HeartbeatTimeout:    heartbeat,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	var out workflows.CascadeResult
	err := workflow.ExecuteActivity(ctx, workflows.ActivityCascade, workflows.CascadeInput{}).Get(ctx, &out)
	return out, err
}

// TestCascadeHeartbeatsWhileItRuns: a cascade that takes three heartbeat
// timeouts completes (Temporal's test environment enforces the heartbeat
// timeout in real time), because the activity heartbeats while the
// store call blocks.
func TestCascadeHeartbeatsWhileItRuns(t *testing.T) {
	const heartbeat = time.Second
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	want := store.CascadeResult{PivotNonce: 3, Invalidated: 5434, InvalidatedOps: 554176, Generation: 2, Redrained: 1,
		NewTipID: 77, SafeBlock: 900, Fence: 2, Earlier: true}
	a := &Activities{
		Recovery: slowCascade{takes: 3 * heartbeat, res: want},
		Log:      slog.New(slog.DiscardHandler),
	}
	env.RegisterWorkflow(cascadeOnce)
	env.RegisterActivityWithOptions(a.Cascade, activity.RegisterOptions{Name: workflows.ActivityCascade})
	var beats atomic.Int32
	env.SetOnActivityHeartbeatListener(func(*activity.Info, converter.EncodedValues) { beats.Add(1) })

	env.ExecuteWorkflow(cascadeOnce, heartbeat)
	require.NoError(t, env.GetWorkflowError(), "the cascade outlived its heartbeat")
	var got workflows.CascadeResult
	require.NoError(t, env.GetWorkflowResult(&got))
	require.Equal(t, workflows.CascadeResult{PivotNonce: 3, Invalidated: 5434, InvalidatedOps: 554176, Generation: 2,
		Redrained: 1, NewTipID: 77, SafeBlock: 900, Fence: 2, Earlier: true}, got)
	require.GreaterOrEqual(t, beats.Load(), int32(2), "heartbeats sent while the cascade ran")
}

// recordingPoster is the real poster that records every broadcast.
type recordingPoster struct {
	Poster
	mu   sync.Mutex
	sent []*types.Transaction
}

func (p *recordingPoster) Send(ctx context.Context, tx *types.Transaction) error {
	p.mu.Lock()
	p.sent = append(p.sent, tx)
	p.mu.Unlock()
	return p.Poster.Send(ctx, tx)
}

func (p *recordingPoster) broadcasts() []*types.Transaction {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sent)
}

// TestFlushBumpsByBlocksUnderTheCap: the flush polls every 10 ms, far more
// often than blocks arrive, yet broadcasts a slot once per
// ResendAfterBlocks blocks: +12.5% the first time it is lost, then — the
// cap leaving no room for a valid bump — the very same transaction again,
// with the alert gauge set. No fee ever exceeds the cap. (Before, every
// poll re-sent every slot 10% higher: 830× the fresh fee after a minute.)
func TestFlushBumpsByBlocksUnderTheCap(t *testing.T) {
	ctx := context.Background()
	acts, _, _, a := setup(t)
	require.NoError(t, a.SetAutomine(ctx, false))
	rec := &recordingPoster{Poster: acts.Poster}
	acts.Poster = rec
	acts.Flusher = rec.Poster.(*watermarkCheckingPoster).Poster
	acts.PollInterval = 10 * time.Millisecond
	acts.ResendAfterBlocks = 3
	fresh, err := acts.Poster.SuggestFees(ctx)
	require.NoError(t, err)
	// Room for one bump over 3× the fresh estimate (×1.125), not two.
	acts.MaxFeePerGas = new(big.Int).Div(new(big.Int).Mul(fresh.FeeCap, big.NewInt(3*120)), big.NewInt(100))
	require.NoError(t, acts.Submitter.RaiseWatermark(ctx, 0)) // slot 0 must be consumed

	done := make(chan error, 1)
	go func() {
		_, err := call[workflows.FlushResult](t, acts.FlushMempool)
		done <- err
	}()
	waitSends := func(n int) []*types.Transaction {
		t.Helper()
		require.Eventually(t, func() bool { return len(rec.broadcasts()) >= n }, 10*time.Second, 5*time.Millisecond)
		time.Sleep(300 * time.Millisecond) // about 30 more polls
		sent := rec.broadcasts()
		require.Len(t, sent, n, "a broadcast per poll: fees must follow blocks, not polls")
		return sent
	}
	capWei := acts.MaxFeePerGas
	underCap := func(tx *types.Transaction) {
		t.Helper()
		require.LessOrEqual(t, tx.GasFeeCap().Cmp(capWei), 0, "fee cap above SEQ_L1_MAX_FEE_PER_GAS_GWEI")
		require.LessOrEqual(t, tx.GasTipCap().Cmp(capWei), 0, "tip above SEQ_L1_MAX_FEE_PER_GAS_GWEI")
	}

	first := waitSends(1)[0]
	require.Equal(t, uint64(0), first.Nonce())
	underCap(first)

	// Lost: two blocks are not enough for a replacement, three are.
	require.NoError(t, a.DropTransaction(ctx, first.Hash()))
	require.NoError(t, a.Mine(ctx, 2))
	waitSends(1)
	require.NoError(t, a.Mine(ctx, 1))
	second := waitSends(2)[1]
	require.Equal(t, uint64(0), second.Nonce())
	underCap(second)
	for _, pair := range [][2]*big.Int{{first.GasTipCap(), second.GasTipCap()}, {first.GasFeeCap(), second.GasFeeCap()}} {
		want := new(big.Int).Div(new(big.Int).Add(new(big.Int).Mul(pair[0], big.NewInt(9)), big.NewInt(7)), big.NewInt(8))
		require.GreaterOrEqual(t, pair[1].Cmp(want), 0, "+12.5%%: %s over %s", pair[1], pair[0])
	}

	// Lost again: no valid bump fits under the cap — the same transaction.
	require.NoError(t, a.DropTransaction(ctx, second.Hash()))
	require.NoError(t, a.Mine(ctx, 3))
	third := waitSends(3)[2]
	require.Equal(t, second.Hash(), third.Hash(), "at the cap the same transaction is broadcast again")
	require.Equal(t, float64(1), value(t, acts.Metrics.flushFeeCapped), "the alert gauge")

	// Honest blocks: the flush completes.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				_ = a.Mine(ctx, 1)
			}
		}
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the flush did not complete")
	}
	for _, tx := range rec.broadcasts() {
		underCap(tx)
	}
	require.Zero(t, value(t, acts.Metrics.flushFeeCapped), "cleared when the flush ends")
}
