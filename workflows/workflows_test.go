package workflows

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

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
	env.OnSignalExternalWorkflow(mock.Anything, SnapshotWorkflowID, "", SignalAccepted, mock.Anything).
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

// submitterScript scripts the submitter's activities.
type submitterScript struct {
	plans    []Plan // one per PlanSubmission call; empty plan after
	included []bool // one per AwaitInclusion call; true after
	planN    atomic.Int64
	awaitN   atomic.Int64
	sends    []SendRequest
}

func (sc *submitterScript) register(env *testsuite.TestWorkflowEnvironment) {
	register(env, ActivityPlanSubmission, func(context.Context) (Plan, error) {
		n := int(sc.planN.Add(1)) - 1
		if n < len(sc.plans) {
			return sc.plans[n], nil
		}
		return Plan{FirstNeeded: 99}, nil
	})
	register(env, ActivitySendBatch, func(_ context.Context, req SendRequest) (SendResult, error) {
		sc.sends = append(sc.sends, req)
		fee := "100"
		if req.Previous != nil {
			fee = req.Previous.FeeCap + "0" // a visibly bumped fee
		}
		return SendResult{TxHash: "0xabc", Fees: Fees{TipCap: "1", FeeCap: fee}}, nil
	})
	register(env, ActivityAwaitInclusion, func(_ context.Context, req AwaitRequest) (AwaitResult, error) {
		n := int(sc.awaitN.Add(1)) - 1
		if n < len(sc.included) {
			return AwaitResult{Included: sc.included[n]}, nil
		}
		return AwaitResult{Included: true}, nil
	})
}

func TestSubmitterSendsPendingBatchesAndBumpsOnTimeout(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	two := Plan{FirstNeeded: 4, Batches: []PlannedBatch{{BatchNonce: 4, WalletNonce: 10}, {BatchNonce: 5, WalletNonce: 11}}}
	sc := &submitterScript{plans: []Plan{two, two}, included: []bool{false, true}}
	sc.register(env)
	env.ExecuteWorkflow(BatchSubmitter, SubmitterInput{ConfirmationDepth: 2, RoundsPerRun: 3, IdlePoll: time.Second})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "%v", env.GetWorkflowError())

	require.Len(t, sc.sends, 4)
	require.Equal(t, []uint64{10, 11, 10, 11}, []uint64{sc.sends[0].Batch.WalletNonce, sc.sends[1].Batch.WalletNonce,
		sc.sends[2].Batch.WalletNonce, sc.sends[3].Batch.WalletNonce})
	require.Nil(t, sc.sends[0].Previous)
	require.NotNil(t, sc.sends[2].Previous, "the re-send after a timeout knows the last fees")
	require.Equal(t, "100", sc.sends[2].Previous.FeeCap)
	require.Equal(t, int64(3), sc.planN.Load())
}

func TestSubmitterPauseResumeAndStatus(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	sc := &submitterScript{}
	sc.register(env)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPause, nil) }, 2*time.Second)
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryStatus)
		require.NoError(t, err)
		var st SubmitterStatus
		require.NoError(t, v.Get(&st))
		require.True(t, st.Paused)
		require.Equal(t, "paused", st.State)
		require.Equal(t, uint64(99), st.FirstNeeded)
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		require.Equal(t, int64(1), sc.planN.Load(), "no round runs while paused")
		env.SignalWorkflow(SignalResume, nil)
	}, 2*time.Hour)
	env.ExecuteWorkflow(BatchSubmitter, SubmitterInput{RoundsPerRun: 2, IdlePoll: 5 * time.Second})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "%v", env.GetWorkflowError())
	require.Equal(t, int64(2), sc.planN.Load())
}

func TestSubmitterStaysPausedAcrossContinueAsNew(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	sc := &submitterScript{}
	sc.register(env)
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryStatus)
		require.NoError(t, err)
		var st SubmitterStatus
		require.NoError(t, v.Get(&st))
		require.True(t, st.Paused)
		require.Zero(t, sc.planN.Load())
		env.SignalWorkflow(SignalResume, nil)
	}, time.Minute)
	env.ExecuteWorkflow(BatchSubmitter, SubmitterInput{RoundsPerRun: 1, Paused: true})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can))
	require.Equal(t, int64(1), sc.planN.Load())
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
