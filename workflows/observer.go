package workflows

import (
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// ObserverInput configures the L1 observer.
type ObserverInput struct {
	PollInterval time.Duration // how often to read the safe head (≈2 s)
	// RoundsPerRun bounds the history: after this many rounds at the
	// latest the workflow continues as new (the server's suggestion
	// normally comes first: ChangeContinueAsNewSuggested).
	RoundsPerRun int
}

// ObserverStatus is the observer's `status` query answer.
type ObserverStatus struct {
	Rounds        int
	SafeBlock     uint64
	AcceptedCount uint64
	LastAdvance   time.Time // workflow time of the last safe-head advance
	LastError     string
}

func (in ObserverInput) withDefaults() ObserverInput {
	if in.PollInterval <= 0 {
		in.PollInterval = 2 * time.Second
	}
	if in.RoundsPerRun <= 0 {
		in.RoundsPerRun = 500
	}
	return in
}

// l1RetryPolicy retries provider failures for as long as it takes, backing
// off to a minute; configuration, identity and divergence errors stop at once.
var l1RetryPolicy = &temporal.RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    time.Minute,
	NonRetryableErrorTypes: []string{
		ErrTypeChainIDMismatch, ErrTypeIdentityMismatch, ErrTypeDivergence, ErrTypeConfiguration,
	},
}

// L1Observer keeps the database's view of L1 current: each round one
// activity reads the safe head and the app's new inputs and records them,
// with the accepted-batch frontier, in one transaction. When the frontier
// moves it signals snapshot maintenance. Canonical divergence ends the
// workflow with a non-retryable failure: it is never repaired automatically.
func L1Observer(ctx workflow.Context, in ObserverInput) error {
	in = in.withDefaults()
	var status ObserverStatus
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (ObserverStatus, error) { return status, nil }); err != nil {
		return err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// Short enough that a worker killed mid-round is replaced quickly.
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         l1RetryPolicy,
		Summary:             "read the L1 safe head and the app's inputs",
	})
	// Runs started before the change end only at the round cap (replay
	// keeps them so); newer ones also when the server suggests it.
	version := continueAsNewVersion(ctx)
	for !runOver(ctx, version, status.Rounds, in.RoundsPerRun) {
		var r ObserveResult
		err := workflow.ExecuteActivity(ctx, ActivityObserve).Get(ctx, &r)
		if err != nil {
			status.LastError = err.Error()
			var appErr *temporal.ApplicationError
			if errors.As(err, &appErr) && appErr.Type() == ErrTypeDivergence {
				workflow.GetLogger(ctx).Error("canonical divergence: the observer stops; follow the divergence runbook", "error", err)
			}
			return err
		}
		status.Rounds++
		status.LastError = ""
		status.SafeBlock, status.AcceptedCount = r.SafeBlock, r.AcceptedCount
		if r.Advanced {
			status.LastAdvance = workflow.Now(ctx)
		}
		if r.ObservedDanger != "" {
			startRecovery(ctx, r.ObservedDanger)
		}
		if len(r.Accepted) > 0 {
			// Best effort: the maintenance workflow also runs on a timer.
			_ = workflow.SignalExternalWorkflow(ctx, namesIn(ctx).Snapshot, "", SignalAccepted, r.AcceptedCount).Get(ctx, nil)
		}
		if err := workflow.Sleep(ctx, in.PollInterval); err != nil {
			return err
		}
	}
	return workflow.NewContinueAsNewError(ctx, L1Observer, in)
}

// SnapshotInput configures snapshot maintenance.
type SnapshotInput struct {
	Interval     time.Duration // pass at least this often, even without a signal
	RoundsPerRun int           // the Continue-As-New backstop (as ObserverInput's)
}

// SnapshotStatus is snapshot maintenance's `status` query answer.
type SnapshotStatus struct {
	Passes         int
	FinalizedNonce *uint64
	Deleted        int64
}

// SnapshotMaintenance promotes the newest accepted batch's snapshot to
// finalized and collects the rest, whenever the observer signals an
// accepted batch or the interval passes. Each pass is one idempotent
// activity.
func SnapshotMaintenance(ctx workflow.Context, in SnapshotInput) error {
	if in.Interval <= 0 {
		in.Interval = time.Minute
	}
	if in.RoundsPerRun <= 0 {
		in.RoundsPerRun = 500
	}
	var status SnapshotStatus
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (SnapshotStatus, error) { return status, nil }); err != nil {
		return err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
		Summary:             "promote the finalized snapshot and collect old ones",
	})
	accepted := workflow.GetSignalChannel(ctx, SignalAccepted)
	version := continueAsNewVersion(ctx)
	for !runOver(ctx, version, status.Passes, in.RoundsPerRun) {
		var r PromotionResult
		if err := workflow.ExecuteActivity(ctx, ActivityPromoteSnapshots).Get(ctx, &r); err != nil {
			return err
		}
		status.Passes++
		status.FinalizedNonce = r.FinalizedNonce
		status.Deleted += r.Deleted

		timer := workflow.NewTimer(ctx, in.Interval)
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(timer, func(workflow.Future) {})
		sel.AddReceive(accepted, func(c workflow.ReceiveChannel, _ bool) {
			var n uint64
			c.Receive(ctx, &n)
		})
		sel.Select(ctx)
		for accepted.ReceiveAsync(nil) { // coalesce signals that arrived meanwhile
		}
	}
	return workflow.NewContinueAsNewError(ctx, SnapshotMaintenance, in)
}

// startRecovery starts the recovery workflow as an abandoned child with the
// deployment's recovery ID (on the observer's task queue); when one is
// already running the start fails, and that is fine: one recovery at a time.
func startRecovery(ctx workflow.Context, danger string) {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            namesIn(ctx).Recovery,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	})
	child := workflow.ExecuteChildWorkflow(cctx, "Recovery", RecoveryInput{Reason: "observed danger: " + danger})
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Info("recovery not started (one may be running)", "error", err)
		return
	}
	workflow.GetLogger(ctx).Warn("observed danger: recovery started", "danger", danger)
}
