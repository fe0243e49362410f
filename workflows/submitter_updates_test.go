package workflows

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
)

// slowSend registers PlanSubmissionRound to plan one new batch on its first
// call (nothing afterwards) and SendSubmissionRound to take a minute of
// workflow time before it reports the broadcast.
func slowSend(env *testsuite.TestWorkflowEnvironment, sends *atomic.Int64) {
	var plans atomic.Int64
	register(env, ActivityPlanRound, func(_ context.Context, req PlanRequest) (Plan, error) {
		if plans.Add(1) == 1 {
			return Plan{Block: 7, AccountNonce: 1, Sends: []PlannedSend{{Kind: SendNew, BatchNonce: 3, Hash: "0xb3", WalletNonce: 1}}}, nil
		}
		return Plan{Block: 8, AccountNonce: 1, Window: req.InFlight}, nil
	})
	register(env, ActivitySendRound, func(context.Context, SendRoundRequest) (SendRoundResult, error) {
		return SendRoundResult{}, nil
	})
	env.OnActivity(ActivitySendRound, mock.Anything, mock.Anything).After(time.Minute).
		Return(func(context.Context, SendRoundRequest) (SendRoundResult, error) {
			sends.Add(1)
			return SendRoundResult{Outcomes: []SendOutcome{{Result: SendSent, TxHash: "0x1"}}}, nil
		})
}

// TestSubmitterSignalDuringLastRoundSurvivesContinueAsNew: a pause signal
// that arrives while the run's last round is sending is carried into the
// next run, not dropped with this one's signal channel.
func TestSubmitterSignalDuringLastRoundSurvivesContinueAsNew(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var sends atomic.Int64
	slowSend(env, &sends)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPause, nil) }, 30*time.Second) // mid-send
	env.ExecuteWorkflow(BatchSubmitter, SubmitterInput{RoundsPerRun: 1})
	next := continuedWith(t, env.GetWorkflowError())
	require.Equal(t, int64(1), sends.Load())
	require.True(t, next.Paused, "the pause that arrived during the last round is kept")
	require.Len(t, next.Window, 1)
}

// TestSubmitterPauseUpdateWaitsForTheSend: the pause update, sent while a
// round is broadcasting, returns only once that round has ended (its
// broadcast is in the window it returns); nothing is sent while paused; the
// resume update resumes.
func TestSubmitterPauseUpdateWaitsForTheSend(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var sends atomic.Int64
	slowSend(env, &sends)
	start := env.Now()
	var paused, resumed *SubmitterStatus
	var pausedAt time.Time
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdatePause, "pause-1", &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { t.Errorf("pause rejected: %v", err) },
			OnComplete: func(v any, err error) {
				require.NoError(t, err)
				st := v.(SubmitterStatus)
				paused, pausedAt = &st, env.Now()
			},
		})
	}, 30*time.Second) // the send takes from 0 to 1 min
	env.RegisterDelayedCallback(func() {
		require.NotNil(t, paused, "the pause completed")
		require.Equal(t, "paused", queryStatus(t, env).State)
		env.UpdateWorkflow(UpdateResume, "resume-1", &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { t.Errorf("resume rejected: %v", err) },
			OnComplete: func(v any, err error) {
				require.NoError(t, err)
				st := v.(SubmitterStatus)
				resumed = &st
			},
		})
	}, time.Hour)
	env.ExecuteWorkflow(BatchSubmitter, SubmitterInput{RoundsPerRun: 3, IdleWait: time.Second})
	continuedWith(t, env.GetWorkflowError())

	require.NotNil(t, paused)
	require.True(t, paused.Paused)
	require.GreaterOrEqual(t, pausedAt.Sub(start), time.Minute, "the pause returned before the send ended")
	require.Len(t, paused.InFlight, 1, "the broadcast in flight at the pause is in the window it returns")
	require.NotEqual(t, "sending", paused.State)
	require.Equal(t, int64(1), sends.Load())
	require.NotNil(t, resumed)
	require.False(t, resumed.Paused)
}
