package workflows

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// testNames are the names of the deployment the tests' workflows belong to.
var testNames = NamesFor(Identity{ChainID: 31337, App: common.HexToAddress("0x00000000000000000000000000000000000000Ab")})

func register[T any](env *testsuite.TestWorkflowEnvironment, name string, fn T) {
	env.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
}

func TestObserverRoundsQueriesAndContinuesAsNew(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var calls atomic.Int64
	register(env, ActivityObserve, func(context.Context) (ObserveResult, error) {
		n := calls.Add(1)
		r := ObserveResult{SafeBlock: uint64(100 + n), Advanced: true, AcceptedCount: uint64(n / 2)}
		if n == 2 {
			r.Accepted = []uint64{0}
		}
		return r, nil
	})
	var signalled atomic.Int64
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{TaskQueue: testNames.TaskQueue})
	env.OnSignalExternalWorkflow(mock.Anything, testNames.Snapshot, "", SignalAccepted, mock.Anything).
		Return(func(string, string, string, string, interface{}) error { signalled.Add(1); return nil })
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryStatus)
		require.NoError(t, err)
		var st ObserverStatus
		require.NoError(t, v.Get(&st))
		require.Equal(t, 2, st.Rounds)
		require.Equal(t, uint64(102), st.SafeBlock)
	}, 3*time.Second) // after two rounds of 2 s (time is skipped)

	env.ExecuteWorkflow(L1Observer, ObserverInput{PollInterval: 2 * time.Second, RoundsPerRun: 3})
	require.True(t, env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "%v", env.GetWorkflowError())
	require.Equal(t, int64(3), calls.Load())
	require.Equal(t, int64(1), signalled.Load(), "snapshot maintenance is told when the frontier moves")
}

func TestObserverRetriesProviderFailures(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var calls atomic.Int64
	register(env, ActivityObserve, func(context.Context) (ObserveResult, error) {
		if calls.Add(1) <= 3 {
			return ObserveResult{}, errors.New("dial tcp 127.0.0.1:8545: connection refused")
		}
		return ObserveResult{SafeBlock: 7}, nil
	})
	env.ExecuteWorkflow(L1Observer, ObserverInput{RoundsPerRun: 1})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can))
	require.Equal(t, int64(4), calls.Load(), "three failures retried, then success")
}

func TestObserverStopsOnDivergence(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var calls atomic.Int64
	register(env, ActivityObserve, func(context.Context) (ObserveResult, error) {
		calls.Add(1)
		return ObserveResult{}, temporal.NewNonRetryableApplicationError("batch 3 differs", ErrTypeDivergence, nil)
	})
	env.ExecuteWorkflow(L1Observer, ObserverInput{RoundsPerRun: 5})
	err := env.GetWorkflowError()
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr))
	require.Equal(t, ErrTypeDivergence, appErr.Type())
	require.Equal(t, int64(1), calls.Load(), "never retried")
}

// planScript answers PlanSubmissionRound: plan(n, req) for the n-th call
// (0-based). It takes a few milliseconds of real time, like a wait for
// work would (the test environment's clock moves with the wall clock while
// an activity runs, so delayed callbacks land between rounds).
type planScript struct {
	t     *testing.T
	plan  func(n int, req PlanRequest) Plan
	calls atomic.Int64
	mu    sync.Mutex
	sends []SendRoundRequest
	// outcome decides each send's result ("" = sent).
	outcome func(s PlannedSend) string
}

func (sc *planScript) register(env *testsuite.TestWorkflowEnvironment) {
	register(env, ActivityPlanRound, func(ctx context.Context, req PlanRequest) (Plan, error) {
		n := int(sc.calls.Add(1)) - 1
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Millisecond):
		}
		if sc.plan == nil {
			return Plan{FirstNeeded: 99, Window: req.InFlight}, nil
		}
		return sc.plan(n, req), nil
	})
	register(env, ActivitySendRound, func(_ context.Context, req SendRoundRequest) (SendRoundResult, error) {
		sc.mu.Lock()
		sc.sends = append(sc.sends, req)
		round := len(sc.sends)
		sc.mu.Unlock()
		var res SendRoundResult
		for _, s := range req.Sends {
			r := SendSent
			if sc.outcome != nil && sc.outcome(s) != "" {
				r = sc.outcome(s)
			}
			res.Outcomes = append(res.Outcomes, SendOutcome{Result: r, TxHash: fmt.Sprintf("0x%d-%d", s.WalletNonce, round)})
		}
		return res, nil
	})
}

func (sc *planScript) sent() []SendRoundRequest {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return append([]SendRoundRequest(nil), sc.sends...)
}

func queryStatus(t *testing.T, env *testsuite.TestWorkflowEnvironment) SubmitterStatus {
	t.Helper()
	v, err := env.QueryWorkflow(QueryStatus)
	require.NoError(t, err)
	var st SubmitterStatus
	require.NoError(t, v.Get(&st))
	return st
}

// continuedWith decodes the input a Continue-As-New carries.
func continuedWith(t *testing.T, err error) SubmitterInput {
	t.Helper()
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(err, &can), "%v", err)
	var in SubmitterInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &in))
	return in
}

func fees(tip, fee string) Fees { return Fees{TipCap: tip, FeeCap: fee} }

// TestSubmitterWindowLoop walks the loop with scripted plans: two new
// batches go out in one round; the next plan reports the lowest included
// and refills the window at once; a replacement keeps the slot and counts;
// the window (with what each entry was sent at) feeds every plan and
// survives Continue-As-New; the status query shows it.
func TestSubmitterWindowLoop(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	newSend := func(b, w uint64) PlannedSend {
		return PlannedSend{Kind: SendNew, BatchNonce: b, Hash: fmt.Sprintf("0xb%d", b), WalletNonce: w, Fees: fees("1", "10"), Ops: 3}
	}
	var seen []PlanRequest
	sc := &planScript{t: t}
	sc.plan = func(n int, req PlanRequest) Plan {
		seen = append(seen, req)
		switch n {
		case 0:
			return Plan{Block: 100, AccountNonce: 10, FirstNeeded: 4, Sends: []PlannedSend{newSend(4, 10), newSend(5, 11)}}
		case 1:
			return Plan{Block: 101, AccountNonce: 11, FirstNeeded: 5, Included: req.InFlight[:1], Window: req.InFlight[1:],
				Sends: []PlannedSend{newSend(6, 12)}}
		case 2:
			repl := req.InFlight[0]
			return Plan{Block: 104, AccountNonce: 11, FirstNeeded: 5, Window: req.InFlight, Sends: []PlannedSend{{
				Kind: SendReplace, BatchNonce: repl.BatchNonce, Hash: repl.Hash, WalletNonce: repl.WalletNonce,
				Fees: fees("2", "12"), Capped: true, Ops: repl.Ops}}}
		}
		return Plan{Block: 105, AccountNonce: 11, FirstNeeded: 5, Window: req.InFlight}
	}
	sc.register(env)
	env.ExecuteWorkflow(BatchSubmitter, SubmitterInput{RoundsPerRun: 4, MaxInFlight: 2, ResendAfterBlocks: 3, MaxFeePerGas: "12"})
	next := continuedWith(t, env.GetWorkflowError())

	require.Len(t, seen, 4)
	require.Empty(t, seen[0].InFlight)
	require.Equal(t, 2, seen[0].MaxInFlight)
	require.Equal(t, uint64(3), seen[0].ResendAfterBlocks)
	require.Equal(t, "12", seen[0].MaxFeePerGas)
	require.Equal(t, []InFlight{
		{BatchNonce: 4, Hash: "0xb4", WalletNonce: 10, TxHash: "0x10-1", Fees: fees("1", "10"), SentBlock: 100, Ops: 3},
		{BatchNonce: 5, Hash: "0xb5", WalletNonce: 11, TxHash: "0x11-1", Fees: fees("1", "10"), SentBlock: 100, Ops: 3},
	}, seen[1].InFlight, "the window records what each slot was sent with")
	require.Equal(t, []uint64{11, 12}, walletNonces(seen[2].InFlight), "included dropped, refilled at once")
	want := []InFlight{
		{BatchNonce: 5, Hash: "0xb5", WalletNonce: 11, TxHash: "0x11-3", Fees: fees("2", "12"), SentBlock: 104, Replacements: 1, Capped: true, Ops: 3},
		{BatchNonce: 6, Hash: "0xb6", WalletNonce: 12, TxHash: "0x12-2", Fees: fees("1", "10"), SentBlock: 101, Ops: 3},
	}
	require.Equal(t, want, seen[3].InFlight)
	require.Equal(t, want, next.Window, "Continue-As-New keeps the window")
	require.False(t, next.Paused)

	sends := sc.sent()
	require.Len(t, sends, 3)
	require.Equal(t, uint64(100), sends[0].Block)
	require.Len(t, sends[0].Sends, 2, "one activity per round")
	require.Equal(t, uint64(101), sends[1].Block)
}

func walletNonces(w []InFlight) []uint64 {
	out := make([]uint64, 0, len(w))
	for _, f := range w {
		out = append(out, f.WalletNonce)
	}
	return out
}

// TestApplySends: sent and known broadcasts take their slot (a replacement
// counts), a skipped one leaves the slot as it was (or empty), a rebroadcast
// at the cap keeps it.
func TestApplySends(t *testing.T) {
	old := InFlight{BatchNonce: 5, Hash: "0xb5", WalletNonce: 11, TxHash: "0xold", Fees: fees("1", "10"), SentBlock: 90, Replacements: 2}
	for _, c := range []struct {
		name    string
		sends   []PlannedSend
		results []string
		want    []InFlight
	}{
		{"skipped new leaves no entry", []PlannedSend{{Kind: SendNew, BatchNonce: 6, WalletNonce: 12}}, []string{SendSkipped},
			[]InFlight{old}},
		{"skipped replacement keeps the old entry", []PlannedSend{{Kind: SendReplace, BatchNonce: 5, WalletNonce: 11}},
			[]string{SendSkipped}, []InFlight{old}},
		{"known replacement takes the slot", []PlannedSend{{Kind: SendReassign, BatchNonce: 7, Hash: "0xb7", WalletNonce: 11,
			Fees: fees("2", "20")}}, []string{SendKnown},
			[]InFlight{{BatchNonce: 7, Hash: "0xb7", WalletNonce: 11, TxHash: "0xnew0", Fees: fees("2", "20"), SentBlock: 100, Replacements: 3}}},
		{"rebroadcast known keeps the entry, restarts its clock", []PlannedSend{{Kind: SendRebroadcast, BatchNonce: 5, Hash: "0xb5",
			WalletNonce: 11, Fees: old.Fees}}, []string{SendKnown},
			[]InFlight{{BatchNonce: 5, Hash: "0xb5", WalletNonce: 11, TxHash: "0xold", Fees: fees("1", "10"), SentBlock: 100,
				Replacements: 2, Capped: true}}},
		{"sorted by wallet nonce", []PlannedSend{{Kind: SendNew, BatchNonce: 4, WalletNonce: 10}}, []string{SendSent},
			[]InFlight{{BatchNonce: 4, WalletNonce: 10, TxHash: "0xnew0", SentBlock: 100}, old}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var res SendRoundResult
			for i, r := range c.results {
				res.Outcomes = append(res.Outcomes, SendOutcome{Result: r, TxHash: fmt.Sprintf("0xnew%d", i)})
			}
			got := ApplySends([]InFlight{old}, Plan{Block: 100, Sends: c.sends}, res)
			require.Equal(t, c.want, got)
		})
	}
}

// TestSubmitterPauseResumeAndStatus: a pause stops the rounds (a plan in
// progress is cancelled and its result dropped), the status query says
// paused, and resume goes on.
func TestSubmitterPauseResumeAndStatus(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	sc := &planScript{t: t}
	sc.register(env)
	var atPause int64
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPause, nil) }, 30*time.Millisecond)
	env.RegisterDelayedCallback(func() {
		st := queryStatus(t, env)
		require.True(t, st.Paused)
		require.Equal(t, "paused", st.State)
		require.Equal(t, uint64(99), st.FirstNeeded)
		atPause = sc.calls.Load()
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		require.Equal(t, atPause, sc.calls.Load(), "no round runs while paused")
		env.SignalWorkflow(SignalResume, nil)
	}, 2*time.Hour)
	env.ExecuteWorkflow(BatchSubmitter, SubmitterInput{RoundsPerRun: 1000, IdleWait: time.Second})
	continuedWith(t, env.GetWorkflowError())
	require.Positive(t, atPause)
	require.Greater(t, sc.calls.Load(), atPause, "resumed")
}

// TestSubmitterStaysPausedAcrossContinueAsNew: a paused run continues
// paused, with its window, and plans nothing until resumed.
func TestSubmitterStaysPausedAcrossContinueAsNew(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	sc := &planScript{t: t}
	sc.register(env)
	window := []InFlight{{BatchNonce: 3, Hash: "0xb3", WalletNonce: 9, TxHash: "0x9", Fees: fees("1", "10"), SentBlock: 50}}
	env.RegisterDelayedCallback(func() {
		st := queryStatus(t, env)
		require.True(t, st.Paused)
		require.Equal(t, window, st.InFlight, "the status shows the carried window")
		require.Zero(t, sc.calls.Load())
		env.SignalWorkflow(SignalResume, nil)
	}, time.Minute)
	env.ExecuteWorkflow(BatchSubmitter, SubmitterInput{RoundsPerRun: 1, Paused: true, Window: window})
	next := continuedWith(t, env.GetWorkflowError())
	require.Equal(t, int64(1), sc.calls.Load())
	require.Equal(t, window, next.Window)
	require.False(t, next.Paused)
}

// TestSubmitterPausedWhilePlanningSendsNothing: a pause that arrives while
// the plan waits wins over the plan's result: nothing is sent, and the
// paused state survives Continue-As-New.
func TestSubmitterPausedWhilePlanningSendsNothing(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	sc := &planScript{t: t}
	sc.plan = func(n int, req PlanRequest) Plan {
		return Plan{Block: 7, Sends: []PlannedSend{{Kind: SendNew, BatchNonce: 1, WalletNonce: 1}}}
	}
	sc.register(env)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPause, nil) }, time.Millisecond)
	env.ExecuteWorkflow(BatchSubmitter, SubmitterInput{RoundsPerRun: 1})
	next := continuedWith(t, env.GetWorkflowError())
	require.True(t, next.Paused)
	require.Empty(t, sc.sent())
}

func TestSnapshotMaintenanceRunsOnSignalAndTimer(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var passes atomic.Int64
	register(env, ActivityPromoteSnapshots, func(context.Context) (PromotionResult, error) {
		n := uint64(passes.Add(1))
		return PromotionResult{FinalizedNonce: &n, Promoted: true, Deleted: 1}, nil
	})
	// A signal wakes it long before the 10-minute timer.
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalAccepted, uint64(3)) }, time.Second)
	env.RegisterDelayedCallback(func() {
		require.Equal(t, int64(2), passes.Load())
	}, 2*time.Second)
	env.ExecuteWorkflow(SnapshotMaintenance, SnapshotInput{Interval: 10 * time.Minute, RoundsPerRun: 3})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can))
	require.Equal(t, int64(3), passes.Load())
}
