package workflows_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nexus-rpc/sdk-go/nexus"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/cartesi/sequencer/activities"
	seqworker "github.com/cartesi/sequencer/worker"
	"github.com/cartesi/sequencer/workflows"
)

// replayRegistry takes what the worker registers (seqworker.Register, the
// one registration the real worker uses) and puts the workflows on a
// replayer under the same names. Activities are not needed: a replay feeds
// the workflow the results recorded in its history.
type replayRegistry struct {
	replayer worker.WorkflowReplayer
	types    []string // workflow type names, in registration order
	dynamic  bool
}

func (r *replayRegistry) RegisterWorkflow(w any) {
	r.replayer.RegisterWorkflow(w)
	// The SDK's default name: the function's name without its package.
	name := runtime.FuncForPC(reflect.ValueOf(w).Pointer()).Name()
	r.types = append(r.types, strings.TrimSuffix(name[strings.LastIndex(name, ".")+1:], "-fm"))
}

func (r *replayRegistry) RegisterWorkflowWithOptions(w any, o workflow.RegisterOptions) {
	r.replayer.RegisterWorkflowWithOptions(w, o)
	r.types = append(r.types, o.Name)
}

func (r *replayRegistry) RegisterDynamicWorkflow(w any, o workflow.DynamicRegisterOptions) {
	r.replayer.RegisterDynamicWorkflow(w, o)
	r.dynamic = true
}

func (*replayRegistry) RegisterActivity(any)                                         {}
func (*replayRegistry) RegisterActivityWithOptions(any, activity.RegisterOptions)    {}
func (*replayRegistry) RegisterDynamicActivity(any, activity.DynamicRegisterOptions) {}
func (*replayRegistry) RegisterNexusService(*nexus.Service)                          {}

// newReplayer returns a replayer with the worker's workflows registered
// and the workflow type names it registered.
func newReplayer(t *testing.T) (worker.WorkflowReplayer, []string) {
	t.Helper()
	reg := &replayRegistry{replayer: worker.NewWorkflowReplayer()}
	seqworker.Register(reg, &activities.Activities{})
	require.False(t, reg.dynamic, "a dynamic workflow cannot be matched to recorded histories: extend this test")
	require.NotEmpty(t, reg.types)
	return reg.replayer, reg.types
}

// testLogger sends the replayer's warnings and errors to the test log.
func testLogger(t *testing.T) log.Logger {
	return log.NewStructuredLogger(slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func loadHistory(t *testing.T, path string) *historypb.History {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	require.NoError(t, err, path)
	require.NotEmpty(t, h.Events, path)
	return h
}

func workflowType(t *testing.T, h *historypb.History) string {
	t.Helper()
	started := h.Events[0].GetWorkflowExecutionStartedEventAttributes()
	require.NotNil(t, started, "a history starts with WorkflowExecutionStarted")
	return started.GetWorkflowType().GetName()
}

// TestRecordedHistoriesReplay replays every history in testdata (recorded
// from a real dev server running the real worker: `make record-histories`)
// on the current workflow code. A change that would break a running
// workflow — a command added, removed or reordered, an activity renamed, a
// version guard dropped — fails here instead of leaving the workflow stuck
// after a deploy. Every workflow type the worker registers must have a
// recorded history: a new type needs one.
func TestRecordedHistoriesReplay(t *testing.T) {
	replayer, registered := newReplayer(t)
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories: run `make record-histories`")
	covered := map[string][]string{}
	for _, path := range files {
		h := loadHistory(t, path)
		typ := workflowType(t, h)
		require.Contains(t, registered, typ, "%s records a workflow type the worker does not register", path)
		covered[typ] = append(covered[typ], filepath.Base(path))
		t.Run(filepath.Base(path), func(t *testing.T) {
			require.NoError(t, replayer.ReplayWorkflowHistory(testLogger(t), h))
		})
	}
	for _, typ := range registered {
		require.NotEmpty(t, covered[typ], "workflow type %s has no recorded history in workflows/testdata: "+
			"add it to internal/e2e/record_histories_test.go and run `make record-histories`", typ)
	}
}

// TestReplayCatchesAnIncompatibleChange is the positive control: the same
// replay fails on the recorded observer history when the observer's loop
// is reordered to sleep before it observes (a plausible refactor: one
// timer command where the history has an activity).
func TestReplayCatchesAnIncompatibleChange(t *testing.T) {
	reordered := func(ctx workflow.Context, _ workflows.ObserverInput) error {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
		for {
			if err := workflow.Sleep(ctx, 2*time.Second); err != nil {
				return err
			}
			if err := workflow.ExecuteActivity(ctx, workflows.ActivityObserve).Get(ctx, nil); err != nil {
				return err
			}
		}
	}
	replayer := worker.NewWorkflowReplayer()
	replayer.RegisterWorkflowWithOptions(reordered, workflow.RegisterOptions{Name: "L1Observer"})
	h := loadHistory(t, filepath.Join("testdata", "l1-observer.json"))
	err := replayer.ReplayWorkflowHistory(testLogger(t), h)
	require.Error(t, err)
	// TMPRL1100: the SDK's code for a history the code does not match.
	require.Contains(t, err.Error(), "TMPRL1100")
}

// markerVersions returns the GetVersion markers of a history: change ID →
// version.
func markerVersions(t *testing.T, h *historypb.History) map[string]workflow.Version {
	t.Helper()
	dc := converter.GetDefaultDataConverter()
	out := map[string]workflow.Version{}
	for _, e := range h.Events {
		m := e.GetMarkerRecordedEventAttributes()
		if m == nil || m.MarkerName != "Version" {
			continue
		}
		var id string
		var v workflow.Version
		require.NoError(t, dc.FromPayloads(m.Details["change-id"], &id))
		require.NoError(t, dc.FromPayloads(m.Details["version"], &v))
		out[id] = v
	}
	return out
}

// TestVersionedChangeHasBothSidesRecorded: the Continue-As-New-suggested
// change (workflows.ChangeContinueAsNewSuggested) is replayed on both
// sides of its guard: histories recorded by the code before it (-v0, no
// marker: the old path) and after it (the marker at its version).
func TestVersionedChangeHasBothSidesRecorded(t *testing.T) {
	for _, tc := range []struct {
		file string
		want workflow.Version
	}{
		{"l1-observer-v0.json", workflow.DefaultVersion},
		{"snapshot-maintenance-v0.json", workflow.DefaultVersion},
		{"l1-observer.json", workflows.VersionContinueAsNewSuggested},
		{"snapshot-maintenance.json", workflows.VersionContinueAsNewSuggested},
	} {
		t.Run(tc.file, func(t *testing.T) {
			h := loadHistory(t, filepath.Join("testdata", tc.file))
			got, ok := markerVersions(t, h)[workflows.ChangeContinueAsNewSuggested]
			if !ok {
				got = workflow.DefaultVersion
			}
			require.Equal(t, tc.want, got)
		})
	}
}
