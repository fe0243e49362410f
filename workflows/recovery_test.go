package workflows

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// recoveryScript records the steps a recovery takes.
type recoveryScript struct {
	mu       sync.Mutex
	steps    []string
	assess   Assessment
	cascade  func(CascadeInput) (CascadeResult, error)
	signals  []string
	failOnce map[string]bool
}

func (sc *recoveryScript) record(s string) error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.steps = append(sc.steps, s)
	if sc.failOnce[s] {
		delete(sc.failOnce, s)
		return errors.New("worker died here")
	}
	return nil
}

func (sc *recoveryScript) register(env *testsuite.TestWorkflowEnvironment) {
	register(env, ActivityRecoveryFence, func(context.Context) error { return sc.record("fence") })
	register(env, ActivityRecoveryAssess, func(context.Context) (Assessment, error) { return sc.assess, sc.record("assess") })
	register(env, ActivityFlushMempool, func(context.Context) (FlushResult, error) {
		mark := uint64(9)
		return FlushResult{SafeBlock: 500, Watermark: &mark, Sent: 2}, sc.record("flush")
	})
	register(env, ActivityWaitSynced, func(_ context.Context, block uint64) error {
		if block != 500 {
			return errors.New("wrong flush block")
		}
		return sc.record("sync")
	})
	register(env, ActivityCascade, func(_ context.Context, in CascadeInput) (CascadeResult, error) {
		if err := sc.record("cascade"); err != nil {
			return CascadeResult{}, err
		}
		return sc.cascade(in)
	})
	register(env, ActivityRecoveryResume, func(context.Context) error { return sc.record("resume") })
	// The recovery signals its own deployment's submitter, named after the
	// task queue it runs on.
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{TaskQueue: testNames.TaskQueue})
	env.OnSignalExternalWorkflow(mock.Anything, testNames.Submitter, "", mock.Anything, mock.Anything).
		Return(func(_, _, _, signal string, _ interface{}) error {
			sc.mu.Lock()
			sc.signals = append(sc.signals, signal)
			sc.mu.Unlock()
			return nil
		})
}

func TestRecoveryFlushesThenCascadesAndResumes(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	sc := &recoveryScript{
		assess:   Assessment{HasUnaccepted: true, PivotNonce: 4},
		failOnce: map[string]bool{"flush": true, "cascade": true}, // a crash at each step: retried there
		cascade: func(in CascadeInput) (CascadeResult, error) {
			require.Equal(t, uint64(500), in.FlushBlock)
			require.True(t, in.Flushed)
			require.Equal(t, uint64(9), *in.FlushedWatermark)
			return CascadeResult{PivotNonce: 4, Invalidated: 3, Generation: 1}, nil
		},
	}
	sc.register(env)
	env.ExecuteWorkflow(Recovery, RecoveryInput{Reason: "test"})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, []string{"fence", "assess", "flush", "flush", "sync", "cascade", "cascade", "resume"}, sc.steps)
	require.Equal(t, []string{SignalPause, SignalResume}, sc.signals)

	v, err := env.QueryWorkflow(QueryStatus)
	require.NoError(t, err)
	var st RecoveryStatus
	require.NoError(t, v.Get(&st))
	require.Equal(t, "done", st.Step)
	require.Equal(t, int64(3), st.Cascade.Invalidated)
}

func TestRecoveryTipOnlySkipsTheFlush(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	sc := &recoveryScript{
		assess: Assessment{TipInDanger: true},
		cascade: func(in CascadeInput) (CascadeResult, error) {
			require.Zero(t, in.FlushBlock)
			require.False(t, in.Flushed)
			require.Nil(t, in.FlushedWatermark)
			return CascadeResult{PivotNonce: 2, Invalidated: 1, Generation: 3}, nil
		},
	}
	sc.register(env)
	env.ExecuteWorkflow(Recovery, RecoveryInput{})
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, []string{"fence", "assess", "cascade", "resume"}, sc.steps)
}

func TestRecoveryHaltsOnDivergence(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	sc := &recoveryScript{assess: Assessment{Divergence: "batch 3 differs", HasUnaccepted: true}}
	sc.register(env)
	env.ExecuteWorkflow(Recovery, RecoveryInput{})
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(env.GetWorkflowError(), &appErr))
	require.Equal(t, ErrTypeDivergence, appErr.Type())
	require.Equal(t, []string{"fence", "assess"}, sc.steps, "nothing is invalidated, the fence stays")
	v, err := env.QueryWorkflow(QueryStatus)
	require.NoError(t, err)
	var st RecoveryStatus
	require.NoError(t, v.Get(&st))
	require.Equal(t, "halted", st.Step)
}

func TestRecoveryStartsOverWhenTheWatermarkMoved(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	sc := &recoveryScript{
		assess: Assessment{HasUnaccepted: true},
		cascade: func(CascadeInput) (CascadeResult, error) {
			return CascadeResult{}, temporal.NewNonRetryableApplicationError("moved", ErrTypeWatermarkMoved, nil)
		},
	}
	sc.register(env)
	env.ExecuteWorkflow(Recovery, RecoveryInput{})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "%v", env.GetWorkflowError())
	require.NotContains(t, sc.steps, "resume")
}

// TestRecoveryReportsTheCascadeARetryFound: the failure — the first
// cascade attempt committed 5,434 invalidations but its reply was lost (its
// heartbeat timed out), and the retry reported a no-op. Now the retry
// returns the record the committed attempt left, and the status query and
// the workflow's result report that.
func TestRecoveryReportsTheCascadeARetryFound(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var (
		mu       sync.Mutex
		recorded *CascadeResult // the database's cascade record
		attempts int
		options  []activity.Info
	)
	committed := CascadeResult{PivotNonce: 7, Invalidated: 5434, InvalidatedOps: 554176, Generation: 1, Redrained: 3,
		NewTipID: 9000, SafeBlock: 500, Fence: 1}
	sc := &recoveryScript{
		assess: Assessment{HasUnaccepted: true, PivotNonce: 7},
		cascade: func(CascadeInput) (CascadeResult, error) {
			mu.Lock()
			defer mu.Unlock()
			attempts++
			if recorded != nil {
				found := *recorded
				found.Earlier = true
				return found, nil
			}
			recorded = &committed
			return CascadeResult{}, errors.New("activity heartbeat timeout") // committed, reply lost
		},
	}
	sc.register(env)
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == ActivityCascade {
			mu.Lock()
			options = append(options, *info)
			mu.Unlock()
		}
	})
	env.ExecuteWorkflow(Recovery, RecoveryInput{Reason: "test"})
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, 2, attempts)

	want := committed
	want.Earlier = true
	var result RecoveryStatus
	require.NoError(t, env.GetWorkflowResult(&result))
	require.Equal(t, &want, result.Cascade)
	v, err := env.QueryWorkflow(QueryStatus)
	require.NoError(t, err)
	var st RecoveryStatus
	require.NoError(t, v.Get(&st))
	require.Equal(t, "done", st.Step)
	require.Equal(t, &want, st.Cascade)

	// The cascade runs under a heartbeat timeout it keeps (the activity
	// heartbeats while its transaction runs) and a start-to-close timeout
	// far above the worst case measured.
	require.NotEmpty(t, options)
	for _, info := range options {
		require.Equal(t, cascadeHeartbeatTimeout, info.HeartbeatTimeout)
		require.GreaterOrEqual(t, info.Deadline.Sub(info.StartedTime), cascadeTimeout)
	}
}
