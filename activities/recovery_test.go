package activities

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

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
