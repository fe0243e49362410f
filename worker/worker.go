// Package worker builds and runs the Temporal worker: it makes sure the
// search attributes the workflows set exist (the start fails when they
// neither exist nor can be registered), registers the workflows and
// activities on the deployment's task queue, and starts the deployment's
// singleton workflows idempotently (IDs scoped by chain id and application,
// workflows.NamesFor; an existing run is kept).
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sort"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
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
	// Connection is the rest of the Temporal connection (TLS, API key,
	// headers) as ClientOptions resolved it; its HostPort and Namespace
	// are ignored for TemporalAddress and Namespace. Zero: plain gRPC.
	Connection client.Options
	// Metrics receives the SDK's metrics (NewMetricsHandler); nil: none.
	Metrics client.MetricsHandler
	// Identity scopes the task queue and the workflow IDs
	// (workflows.NamesFor): deployments sharing a namespace stay apart.
	Identity     workflows.Identity
	ObserverPoll time.Duration
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

// Dial connects a Temporal client with slog logging and, when
// cfg.Metrics is set, the SDK's metrics.
func Dial(ctx context.Context, cfg Config, log *slog.Logger) (client.Client, error) {
	opts := cfg.Connection
	opts.HostPort, opts.Namespace = cfg.TemporalAddress, cfg.Namespace
	opts.Logger = tlog.NewStructuredLogger(log.With("component", "temporal"))
	if cfg.Metrics != nil {
		opts.MetricsHandler = cfg.Metrics
	}
	c, err := client.DialContext(ctx, opts)
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

// ErrSearchAttributes: the workflows' search attributes are not in the
// namespace and could not be registered. Temporal fails every workflow task
// that upserts an unknown attribute, forever: the submitter and recovery
// would stall, so the worker does not start.
var ErrSearchAttributes = errors.New("the workflows' search attributes are not usable")

// EnsureSearchAttributes makes sure the namespace has the workflows' search
// attributes: it lists them first and registers only the missing ones (so
// a namespace where they were created beforehand, e.g. on Temporal Cloud,
// which refuses the registration call, needs no permission). It fails with
// ErrSearchAttributes, naming the command that creates them, when one is
// missing and cannot be registered, or exists with another type. Idempotent.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	op := c.OperatorService()
	list, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list the search attributes of namespace %s: %w", namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	var wrong []string
	for name, typ := range searchAttributes {
		have, ok := list.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = typ
		case have != typ:
			wrong = append(wrong, fmt.Sprintf("%s is %s, the workflows need %s", name, have, typ))
		}
	}
	if len(wrong) > 0 {
		sort.Strings(wrong)
		return fmt.Errorf("%w: namespace %s: %s", ErrSearchAttributes, namespace, strings.Join(wrong, "; "))
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("%w: namespace %s lacks %s and registering them failed (%w); create them, e.g. %s",
			ErrSearchAttributes, namespace, strings.Join(sortedKeys(missing), ", "), err, createCommand(namespace, missing))
	}
	return nil
}

func sortedKeys(m map[string]enumspb.IndexedValueType) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// createCommand is the Temporal CLI command that creates the attributes.
func createCommand(namespace string, attrs map[string]enumspb.IndexedValueType) string {
	var names, types []string
	for _, name := range sortedKeys(attrs) {
		names = append(names, "--name "+name)
		types = append(types, "--type "+strings.TrimPrefix(attrs[name].String(), "INDEXED_VALUE_TYPE_"))
	}
	return fmt.Sprintf("`temporal operator search-attribute create --namespace %s %s %s` (Temporal Cloud: `tcld namespace search-attributes add`)",
		namespace, strings.Join(names, " "), strings.Join(types, " "))
}

// Register puts the workflows and activities on w under the names the
// workflows use.
func Register(w worker.Registry, a *activities.Activities) {
	w.RegisterWorkflowWithOptions(workflows.L1Observer, workflow.RegisterOptions{Name: "L1Observer"})
	w.RegisterWorkflowWithOptions(workflows.BatchSubmitter, workflow.RegisterOptions{Name: "BatchSubmitter"})
	w.RegisterWorkflowWithOptions(workflows.SnapshotMaintenance, workflow.RegisterOptions{Name: "SnapshotMaintenance"})
	w.RegisterWorkflowWithOptions(workflows.Recovery, workflow.RegisterOptions{Name: "Recovery"})
	w.RegisterWorkflowWithOptions(workflows.FeeOracle, workflow.RegisterOptions{Name: "FeeOracle"})
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
		workflows.ActivityFeeOracleRound:   a.FeeOracleRound,
	} {
		w.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

// New builds the deployment's worker: on its task queue, with every
// workflow and activity registered, and every activity preceded by
// a.CheckIdentity (a task of another deployment, or a database of another
// deployment, fails non-retryably before it touches anything).
func New(c client.Client, cfg Config, a *activities.Activities) worker.Worker {
	w := worker.New(c, workflows.NamesFor(cfg.Identity).TaskQueue, worker.Options{
		WorkerStopTimeout: 10 * time.Second,
		Interceptors:      []interceptor.WorkerInterceptor{&identityInterceptor{check: a.CheckIdentity}},
	})
	Register(w, a)
	return w
}

// identityInterceptor runs check before every activity.
type identityInterceptor struct {
	interceptor.WorkerInterceptorBase
	check func(context.Context) error
}

func (i *identityInterceptor) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &identityActivity{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, check: i.check}
}

type identityActivity struct {
	interceptor.ActivityInboundInterceptorBase
	check func(context.Context) error
}

func (a *identityActivity) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	if err := a.check(ctx); err != nil {
		return nil, err
	}
	return a.Next.ExecuteActivity(ctx, in)
}

// StartSingletons starts the deployment's singleton workflows if they
// are not running; a running one is kept as it is (its history holds where
// it stands). Idempotent.
func StartSingletons(ctx context.Context, c client.Client, cfg Config) error {
	names := workflows.NamesFor(cfg.Identity)
	starts := []struct {
		id    string
		wf    string
		input any
	}{
		{names.Observer, "L1Observer", workflows.ObserverInput{PollInterval: cfg.ObserverPoll}},
		{names.Submitter, "BatchSubmitter", cfg.submitterInput()},
		{names.Snapshot, "SnapshotMaintenance", workflows.SnapshotInput{Interval: cfg.SnapshotInterval}},
		{names.FeeOracle, "FeeOracle", workflows.FeeOracleInput{}},
	}
	for _, s := range starts {
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID:                       s.id,
			TaskQueue:                names.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		}, s.wf, s.input)
		if err != nil {
			return fmt.Errorf("start workflow %s: %w", s.id, err)
		}
	}
	return nil
}

// legacyWorkflowIDs are the unscoped IDs of releases before the names were
// scoped by identity; their task queue was "sequencer".
var legacyWorkflowIDs = []string{"l1-observer", "batch-submitter", "snapshot-maintenance", "recovery"}

// LegacyWorkflows returns the workflows still running under the old
// unscoped IDs. No worker polls their task queue any more: they must be
// terminated (docs/operations.md, upgrading). Read-only.
func LegacyWorkflows(ctx context.Context, c client.Client) ([]string, error) {
	var running []string
	for _, id := range legacyWorkflowIDs {
		desc, err := c.DescribeWorkflowExecution(ctx, id, "")
		var notFound *serviceerror.NotFound
		switch {
		case errors.As(err, &notFound):
			continue
		case err != nil:
			return running, fmt.Errorf("describe workflow %s: %w", id, err)
		}
		if desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			running = append(running, id)
		}
	}
	return running, nil
}

// Run makes sure the search attributes exist (failing the start when they
// cannot: see EnsureSearchAttributes), registers everything on a new worker
// on the deployment's task queue, starts the singletons and polls until ctx
// ends; then it stops the worker gracefully (running activities get their
// context cancelled and the worker waits for them briefly).
func Run(ctx context.Context, c client.Client, cfg Config, a *activities.Activities, log *slog.Logger) error {
	if err := EnsureSearchAttributes(ctx, c, cfg.Namespace); err != nil {
		if ctx.Err() != nil {
			return nil // asked to stop while starting: a clean shutdown
		}
		return err
	}
	names := workflows.NamesFor(cfg.Identity)
	if legacy, err := LegacyWorkflows(ctx, c); err != nil {
		log.Warn("could not look for workflows of an older release", "err", err)
	} else if len(legacy) > 0 {
		log.Warn("workflows with the unscoped IDs of an older release are running and no worker serves them: terminate them (docs/operations.md, upgrading)",
			"workflow_ids", legacy)
	}
	w := New(c, cfg, a)
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
	log.Info("worker running", "task_queue", names.TaskQueue, "namespace", cfg.Namespace)
	<-ctx.Done()
	log.Info("worker stopping")
	return nil
}

// StartRecovery starts the deployment's recovery workflow, or returns the
// running one. Idempotent.
func StartRecovery(ctx context.Context, c client.Client, names workflows.Names, reason string) (client.WorkflowRun, error) {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       names.Recovery,
		TaskQueue:                names.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, "Recovery", workflows.RecoveryInput{Reason: reason})
	if err != nil {
		return nil, fmt.Errorf("start recovery: %w", err)
	}
	return run, nil
}
