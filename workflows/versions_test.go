package workflows

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// TestContinueAsNewSuggestedIsVersioned: with the server suggesting
// Continue-As-New from the start, a run on the current version continues as
// new after its first round, while a run that started before the change
// (GetVersion answers DefaultVersion, as a replay of its history does)
// keeps going to its round cap, as the old code did.
func TestContinueAsNewSuggestedIsVersioned(t *testing.T) {
	const roundCap = 3
	for _, tc := range []struct {
		name       string
		workflow   string
		version    workflow.Version
		wantRounds int64
	}{
		{"observer, current version", "L1Observer", VersionContinueAsNewSuggested, 1},
		{"observer, before the change", "L1Observer", workflow.DefaultVersion, roundCap},
		{"snapshot maintenance, current version", "SnapshotMaintenance", VersionContinueAsNewSuggested, 1},
		{"snapshot maintenance, before the change", "SnapshotMaintenance", workflow.DefaultVersion, roundCap},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			env.SetContinueAsNewSuggested(true)
			env.OnGetVersion(ChangeContinueAsNewSuggested, workflow.DefaultVersion, VersionContinueAsNewSuggested).
				Return(tc.version)
			var rounds atomic.Int64
			register(env, ActivityObserve, func(context.Context) (ObserveResult, error) {
				rounds.Add(1)
				return ObserveResult{SafeBlock: 1}, nil
			})
			register(env, ActivityPromoteSnapshots, func(context.Context) (PromotionResult, error) {
				rounds.Add(1)
				return PromotionResult{}, nil
			})
			switch tc.workflow {
			case "L1Observer":
				env.ExecuteWorkflow(L1Observer, ObserverInput{PollInterval: time.Second, RoundsPerRun: roundCap})
			default:
				env.ExecuteWorkflow(SnapshotMaintenance, SnapshotInput{Interval: time.Second, RoundsPerRun: roundCap})
			}
			require.True(t, env.IsWorkflowCompleted())
			var can *workflow.ContinueAsNewError
			require.True(t, errors.As(env.GetWorkflowError(), &can), "%v", env.GetWorkflowError())
			require.Equal(t, tc.wantRounds, rounds.Load())
		})
	}
}
