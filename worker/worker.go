// Package worker builds and runs the Temporal worker: it registers the
// workflows and activities on the task queue, registers the search
// attributes the workflows set, and starts the singleton workflows
// idempotently (fixed IDs; an existing run is kept).
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/cartesi/sequencer/activities"
	"github.com/cartesi/sequencer/workflows"
)

// Config is the worker's Temporal and workflow settings.
type Config struct {
	TemporalAddress string
	Namespace       string
	ObserverPoll    time.Duration
	// SubmitterIdlePoll is how often the submitter looks for a sealed batch
	// while nothing of ours is in flight.
	SubmitterIdlePoll time.Duration
	// SubmitterMaxInFlight, SubmitterResendAfterBlocks and
	// SubmitterMaxFeePerGas configure the posting window, the replacement
	// timeout (in blocks) and the fee cap (wei; nil: no cap): see
	// workflows.SubmitterInput.
	SubmitterMaxInFlight       int
	SubmitterResendAfterBlocks uint64
	SubmitterMaxFeePerGas      *big.Int
	SnapshotInterval           time.Duration
}

// submitterInput is the submitter's start input. A running submitter keeps
// the input it was started with (Continue-As-New carries it): a changed
// setting takes effect when the workflow is started anew.
func (cfg Config) submitterInput() workflows.SubmitterInput {
	in := workflows.SubmitterInput{IdlePoll: cfg.SubmitterIdlePoll, MaxInFlight: cfg.SubmitterMaxInFlight,
		ResendAfterBlocks: cfg.SubmitterResendAfterBlocks}
	if cfg.SubmitterMaxFeePerGas != nil {
		in.MaxFeePerGas = cfg.SubmitterMaxFeePerGas.String()
	}
	return in
}

// Dial connects a Temporal client with slog logging.
func Dial(ctx context.Context, cfg Config, log *slog.Logger) (client.Client, error) {
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.Namespace,
		Logger:    tlog.NewStructuredLogger(log.With("component", "temporal")),
	})
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", cfg.TemporalAddress, err)
	}
	return c, nil
}

// searchAttributes are the custom search attributes the workflows upsert.
var searchAttributes = map[string]enumspb.IndexedValueType{
	workflows.AttrBatchNonce.GetName():   enumspb.INDEXED_VALUE_TYPE_INT,
	workflows.AttrWalletNonce.GetName():  enumspb.INDEXED_VALUE_TYPE_INT,
	workflows.AttrTxHash.GetName():       enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	workflows.AttrState.GetName():        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	workflows.AttrRecoveryStep.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
}

// RegisterSearchAttributes adds the workflows' search attributes to the
// namespace. Idempotent: attributes that exist are left alone.
func RegisterSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: searchAttributes,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("register search attributes: %w", err)
	}
	return nil
}

// Register puts the workflows and activities on w under the names the
// workflows use.
func Register(w worker.Registry, a *activities.Activities) {
	w.RegisterWorkflowWithOptions(workflows.L1Observer, workflow.RegisterOptions{Name: "L1Observer"})
	w.RegisterWorkflowWithOptions(workflows.BatchSubmitter, workflow.RegisterOptions{Name: "BatchSubmitter"})
	w.RegisterWorkflowWithOptions(workflows.SnapshotMaintenance, workflow.RegisterOptions{Name: "SnapshotMaintenance"})
	w.RegisterWorkflowWithOptions(workflows.Recovery, workflow.RegisterOptions{Name: "Recovery"})
	for name, fn := range map[string]any{
		workflows.ActivityObserve:          a.Observe,
		workflows.ActivityPlanRound:        a.PlanSubmissionRound,
		workflows.ActivitySendRound:        a.SendSubmissionRound,
		workflows.ActivityPromoteSnapshots: a.PromoteSnapshots,
		workflows.ActivityRecoveryFence:    a.RecoveryFence,
		workflows.ActivityRecoveryAssess:   a.RecoveryAssess,
		workflows.ActivityFlushMempool:     a.FlushMempool,
		workflows.ActivityWaitSynced:       a.WaitSynced,
		workflows.ActivityCascade:          a.Cascade,
		workflows.ActivityRecoveryResume:   a.RecoveryResume,
	} {
		w.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

// StartSingletons starts the three singleton workflows if they are not
// running; a running one is kept as it is (its history holds where it
// stands). Idempotent.
func StartSingletons(ctx context.Context, c client.Client, cfg Config) error {
	starts := []struct {
		id    string
		wf    string
		input any
	}{
		{workflows.ObserverWorkflowID, "L1Observer", workflows.ObserverInput{PollInterval: cfg.ObserverPoll}},
		{workflows.SubmitterWorkflowID, "BatchSubmitter", cfg.submitterInput()},
		{workflows.SnapshotWorkflowID, "SnapshotMaintenance", workflows.SnapshotInput{Interval: cfg.SnapshotInterval}},
	}
	for _, s := range starts {
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID:                       s.id,
			TaskQueue:                workflows.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		}, s.wf, s.input)
		if err != nil {
			return fmt.Errorf("start workflow %s: %w", s.id, err)
		}
	}
	return nil
}

// Run registers everything on a new worker, starts the singletons and
// polls the task queue until ctx ends; then it stops the worker gracefully
// (running activities get their context cancelled and the worker waits for
// them briefly).
func Run(ctx context.Context, c client.Client, cfg Config, a *activities.Activities, log *slog.Logger) error {
	if err := RegisterSearchAttributes(ctx, c, cfg.Namespace); err != nil {
		log.Warn("search attributes not registered; the UI cannot filter by them", "err", err)
	}
	w := worker.New(c, workflows.TaskQueue, worker.Options{WorkerStopTimeout: 10 * time.Second})
	Register(w, a)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start Temporal worker: %w", err)
	}
	defer w.Stop()
	if err := StartSingletons(ctx, c, cfg); err != nil {
		if ctx.Err() != nil {
			return nil // asked to stop while starting: a clean shutdown
		}
		return err
	}
	log.Info("worker running", "task_queue", workflows.TaskQueue, "namespace", cfg.Namespace)
	<-ctx.Done()
	log.Info("worker stopping")
	return nil
}

// StartRecovery starts the recovery workflow with its fixed ID, or returns
// the running one. Idempotent.
func StartRecovery(ctx context.Context, c client.Client, reason string) (client.WorkflowRun, error) {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.RecoveryWorkflowID,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, "Recovery", workflows.RecoveryInput{Reason: reason})
	if err != nil {
		return nil, fmt.Errorf("start recovery: %w", err)
	}
	return run, nil
}
