package cli

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/cartesi/sequencer/worker"
	"github.com/cartesi/sequencer/workflows"
)

// TestSubmitterCommands: `submitter status|pause|resume` reach the
// deployment's batch submitter (named from the identity the database
// records) through its status query and its pause/resume updates, and
// print its status as JSON. The submitter runs on a worker whose plan
// activity finds nothing to do (the L1 side is not what is tested here).
func TestSubmitterCommands(t *testing.T) {
	ctx := context.Background()
	addr, tc := devTemporal(t)
	require.NoError(t, worker.EnsureSearchAttributes(ctx, tc, "default"))
	app := common.HexToAddress("0x00000000000000000000000000000000000000dD")
	url, _ := deploymentDB(t, app, nil, 0, 100)
	t.Setenv("SEQ_DATABASE_URL", url)
	t.Setenv("SEQ_TEMPORAL_ADDRESS", addr)
	names := workflows.NamesFor(workflows.Identity{ChainID: 31337, App: app})

	w := sdkworker.New(tc, names.TaskQueue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(workflows.BatchSubmitter, workflow.RegisterOptions{Name: "BatchSubmitter"})
	w.RegisterActivityWithOptions(func(ctx context.Context, req workflows.PlanRequest) (workflows.Plan, error) {
		select { // wait for work that never comes, as the real plan does
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
		return workflows.Plan{Block: 9, FirstNeeded: 4, Window: req.InFlight}, nil
	}, activity.RegisterOptions{Name: workflows.ActivityPlanRound})
	require.NoError(t, w.Start())
	defer w.Stop()
	_, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: names.Submitter, TaskQueue: names.TaskQueue},
		"BatchSubmitter", workflows.SubmitterInput{IdleWait: time.Second})
	require.NoError(t, err)

	require.Eventually(t, func() bool {
		code, _, _ := run(t, "", "submitter", "status")
		return code == ExitOK
	}, 10*time.Second, 50*time.Millisecond)
	st := runJSON[submitterOutput](t, "submitter", "status")
	require.Equal(t, names.Submitter, st.WorkflowID)
	require.False(t, st.Status.Paused)

	st = runJSON[submitterOutput](t, "submitter", "pause")
	require.True(t, st.Status.Paused)
	require.Eventually(t, func() bool {
		return runJSON[submitterOutput](t, "submitter", "status").Status.State == "paused"
	}, 10*time.Second, 50*time.Millisecond)

	st = runJSON[submitterOutput](t, "submitter", "resume")
	require.False(t, st.Status.Paused)
	require.Eventually(t, func() bool {
		return runJSON[submitterOutput](t, "submitter", "status").Status.State != "paused"
	}, 10*time.Second, 50*time.Millisecond)
}
