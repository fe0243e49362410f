package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/internal/config"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
	"github.com/cartesi/sequencer/worker"
	"github.com/cartesi/sequencer/workflows"
)

// dbTimeout bounds the operator commands' database reads.
const dbTimeout = 5 * time.Second

// deployment is what the operator commands (recovery, submitter) work on:
// the configuration, the database (a lazy pool: nothing is dialled until a
// read), the deployment's Temporal names and a Temporal client.
type deployment struct {
	cfg   config.Config
	pool  *pgxpool.Pool
	names workflows.Names
	tc    client.Client
}

// openDeployment reads SEQ_* (the database URL or the dev database, the
// Temporal address and namespace), resolves the deployment's identity
// (resolveIdentity) and dials Temporal. Close releases it.
func openDeployment(ctx context.Context, stdio Stdio, component string) (*deployment, error) {
	cfg, err := loadConfig(config.RoleMigrate)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.New(ctx, cfg.DatabaseURLOrDev())
	if err != nil {
		return nil, withExit(ExitUsage, errors.New("SEQ_DATABASE_URL: cannot parse the connection string"))
	}
	id, err := resolveIdentity(ctx, cfg, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	tconn, err := temporalConnection(cfg)
	if err != nil {
		pool.Close()
		return nil, err
	}
	tc, err := worker.Dial(ctx, tconn, newLogger(stdio, component))
	if err != nil {
		pool.Close()
		return nil, withExit(ExitTransient, err)
	}
	return &deployment{cfg: cfg, pool: pool, names: workflows.NamesFor(id), tc: tc}, nil
}

func (d *deployment) Close() {
	d.tc.Close()
	d.pool.Close()
}

// resolveIdentity is the deployment the command acts on: SEQ_CHAIN_ID and
// SEQ_APP_ADDRESS when both are set, else the identity the database
// records. When both exist they must agree: a command configured for one
// deployment and pointed at another's database is refused (exit 30) rather
// than steering one and reading the other.
func resolveIdentity(ctx context.Context, cfg config.Config, pool *pgxpool.Pool) (workflows.Identity, error) {
	configured := workflows.Identity{ChainID: cfg.ChainID, App: cfg.AppAddress.Address}
	haveConfigured := cfg.ChainID != 0 && cfg.AppAddress.Set
	rctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	c, dbErr := store.ReadControl(rctx, pool)
	recorded := dbErr == nil && c.ChainID != 0 && c.App != nil
	switch {
	case haveConfigured && recorded && (c.ChainID != configured.ChainID || *c.App != configured.App):
		return configured, withExit(ExitTerminal, fmt.Errorf("%w: SEQ_CHAIN_ID/SEQ_APP_ADDRESS say chain %d, application %s; the database records chain %d, application %s",
			store.ErrIdentityMismatch, configured.ChainID, configured.App, c.ChainID, c.App))
	case haveConfigured:
		return configured, nil
	case recorded:
		return workflows.Identity{ChainID: c.ChainID, App: *c.App}, nil
	case dbErr != nil:
		return configured, withExit(ExitTransient, fmt.Errorf("set SEQ_CHAIN_ID and SEQ_APP_ADDRESS, or make the database reachable (it records them): %w", dbErr))
	}
	return configured, withExit(ExitUsage, errors.New("set SEQ_CHAIN_ID and SEQ_APP_ADDRESS: the database records no identity yet"))
}

// lastCascade is the database's record of the newest cascade, as `recovery
// status` prints it.
type lastCascade struct {
	Generation      uint64    `json:"generation"`
	Fence           uint64    `json:"recovery_fence"`
	PivotNonce      uint64    `json:"pivot_nonce"`
	Invalidated     int64     `json:"invalidated_batches"`
	InvalidatedOps  int64     `json:"invalidated_ops"`
	Redrained       int       `json:"redrained_inputs"`
	NewTipID        int64     `json:"new_tip_id"`
	SafeBlock       uint64    `json:"safe_block"`
	FlushBlock      uint64    `json:"flush_block,omitempty"`
	At              time.Time `json:"at"`
	CurrentRecovery bool      `json:"current_recovery"` // made by the recovery the workflow runs or ran last
}

// readLastCascade reads the newest cascade record without migrating; nil
// when none was recorded.
func (d *deployment) readLastCascade(ctx context.Context) (*lastCascade, error) {
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	c, found, err := store.NewRecovery(d.pool).LastCascade(ctx)
	if err != nil || !found {
		return nil, err
	}
	return &lastCascade{Generation: c.Generation, Fence: c.Fence, PivotNonce: c.PivotNonce, Invalidated: c.Invalidated,
		InvalidatedOps: c.InvalidatedOps, Redrained: c.Redrained, NewTipID: c.NewTipID, SafeBlock: c.SafeBlock,
		FlushBlock: c.FlushBlock, At: c.At}, nil
}

// runRecoveryStatus: sequencer recovery status — the recovery workflow's
// state and current step, and what the newest cascade did as the database
// recorded it (the truth when the workflow cannot be queried, e.g. with no
// worker running), as JSON.
func runRecoveryStatus(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("recovery status", stdio)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	d, err := openDeployment(ctx, stdio, "recovery")
	if err != nil {
		return err
	}
	defer d.Close()
	out := struct {
		WorkflowID  string                    `json:"workflow_id"`
		RunID       string                    `json:"run_id,omitempty"`
		State       string                    `json:"state"`
		StartedAt   *time.Time                `json:"started_at,omitempty"`
		Status      *workflows.RecoveryStatus `json:"status,omitempty"`
		LastCascade *lastCascade              `json:"last_cascade,omitempty"`
		DBError     string                    `json:"last_cascade_error,omitempty"`
	}{WorkflowID: d.names.Recovery}
	last, err := d.readLastCascade(ctx)
	if err != nil {
		out.DBError = err.Error()
	}
	out.LastCascade = last
	desc, err := d.tc.DescribeWorkflowExecution(ctx, d.names.Recovery, "")
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		out.State = "never run"
		return writeJSON(stdio.Out, out)
	case err != nil:
		return withExit(ExitTransient, fmt.Errorf("describe the recovery workflow: %w", err))
	}
	info := desc.WorkflowExecutionInfo
	out.RunID, out.State = info.Execution.RunId, info.Status.String()
	if st := info.StartTime; st != nil {
		t := st.AsTime()
		out.StartedAt = &t
	}
	if v, err := d.tc.QueryWorkflow(ctx, d.names.Recovery, "", workflows.QueryStatus); err == nil {
		var s workflows.RecoveryStatus
		if v.Get(&s) == nil {
			out.Status = &s
			if last != nil && s.Cascade != nil && !s.Cascade.NoOp && s.Cascade.Generation == last.Generation {
				last.CurrentRecovery = true
			}
		}
	}
	return writeJSON(stdio.Out, out)
}

// recoveryPlan is what `recovery plan` prints and `recovery start` decides
// on: the danger the database shows (classified with the observer's rules)
// and what a cascade run now would revoke.
type recoveryPlan struct {
	WorkflowID string `json:"workflow_id"`
	Running    bool   `json:"recovery_running"` // a recovery is running: start joins it
	Danger     string `json:"danger"`
	// Observed: closed batch or tip in danger, the only dangers that
	// authorise a recovery without --force.
	Observed bool `json:"observed_danger"`
	store.CascadePlan
}

// readRecoveryPlan reads the danger view and the cascade plan. Read-only.
func (d *deployment) readRecoveryPlan(ctx context.Context) (recoveryPlan, error) {
	p := recoveryPlan{WorkflowID: d.names.Recovery}
	desc, err := d.tc.DescribeWorkflowExecution(ctx, d.names.Recovery, "")
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
	case err != nil:
		return p, withExit(ExitTransient, fmt.Errorf("describe the recovery workflow: %w", err))
	default:
		p.Running = desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	}
	rctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	v, err := store.ReadDangerView(rctx, d.pool)
	if err != nil {
		return p, withExit(ExitTransient, err)
	}
	danger := hotpath.Classify(v, time.Now(), dangerConfig(d.cfg))
	p.Danger, p.Observed = string(danger), danger.Observed()
	if p.CascadePlan, err = store.NewRecovery(d.pool).PlanCascade(rctx, protocol.MaxWaitBlocks-d.cfg.PreemptiveMarginBlocks); err != nil {
		return p, withExit(ExitTransient, err)
	}
	return p, nil
}

// dangerConfig is the detector's thresholds from SEQ_*, as serve and the
// worker build them.
func dangerConfig(cfg config.Config) hotpath.DangerConfig {
	return hotpath.DangerConfig{MarginBlocks: cfg.PreemptiveMarginBlocks, ReadStaleBlocks: cfg.L1ReadStaleAfterBlocks,
		SecondsPerBlock: cfg.SecondsPerBlock}
}

// errNoDanger: `recovery start` without observed danger and without --force.
var errNoDanger = errors.New("no observed danger")

// decideRecoveryStart says whether `recovery start` may start (or join) a
// recovery: a running one is joined (it revokes nothing more for being
// joined); observed danger recorded in the database authorises one, as it
// does the observer's; otherwise only --force does, since a recovery
// invalidates every unaccepted sealed batch and revokes its users'
// confirmations. Pure.
func decideRecoveryStart(p recoveryPlan, force bool) error {
	switch {
	case p.Running, p.Observed, force:
		return nil
	}
	return withExit(ExitUsage, fmt.Errorf("%w (the database shows %q): a recovery now would revoke %d user ops in %d batches; "+
		"see `sequencer recovery plan`, and give --force to start one anyway", errNoDanger, p.Danger, p.Ops, len(p.Batches)))
}

// runRecoveryPlan: sequencer recovery plan — what a recovery started now
// would revoke (the batches and their user ops), and whether `recovery
// start` would start one without --force, as JSON. Acts on nothing.
func runRecoveryPlan(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("recovery plan", stdio)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	d, err := openDeployment(ctx, stdio, "recovery")
	if err != nil {
		return err
	}
	defer d.Close()
	p, err := d.readRecoveryPlan(ctx)
	if err != nil {
		return err
	}
	return writeJSON(stdio.Out, p)
}

// runRecoveryStart: sequencer recovery start [--reason …] [--force] [--wait]
// — start (or join) the recovery workflow. Refused unless the database shows
// observed danger or --force is given; with --force it first prints what it
// will revoke.
func runRecoveryStart(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("recovery start", stdio)
	reason := fs.String("reason", "started by an operator", "why, recorded in the workflow input")
	force := fs.Bool("force", false, "start even though the database shows no observed danger (revokes every unaccepted batch's confirmations)")
	wait := fs.Bool("wait", false, "wait for the recovery to finish, printing each step as it completes")
	poll := fs.Duration("poll", 500*time.Millisecond, "with --wait: how often to query the recovery's status")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	d, err := openDeployment(ctx, stdio, "recovery")
	if err != nil {
		return err
	}
	defer d.Close()
	p, err := d.readRecoveryPlan(ctx)
	if err != nil {
		return err
	}
	if err := decideRecoveryStart(p, *force); err != nil {
		return err
	}
	switch {
	case p.Running:
		fmt.Fprintln(stdio.Out, "a recovery is running: joining it")
	case !p.Observed:
		fmt.Fprintf(stdio.Out, "no observed danger (%s); --force: this recovery will revoke %d user ops in %d batches%s\n",
			p.Danger, p.Ops, len(p.Batches), nonceRange(p.Batches))
	default:
		fmt.Fprintf(stdio.Out, "observed danger (%s): this recovery will revoke %d user ops in %d batches%s\n",
			p.Danger, p.Ops, len(p.Batches), nonceRange(p.Batches))
	}
	run, err := worker.StartRecovery(ctx, d.tc, d.names, *reason)
	if err != nil {
		return withExit(ExitTransient, err)
	}
	fmt.Fprintf(stdio.Out, "recovery workflow %s run %s\n", run.GetID(), run.GetRunID())
	if !*wait {
		return nil
	}
	st, err := waitRecovery(ctx, d.tc, run, *poll, stdio.Out)
	if err != nil {
		return fmt.Errorf("recovery failed: %w", err)
	}
	fmt.Fprintln(stdio.Out, "recovery done")
	return writeJSON(stdio.Out, st)
}

func nonceRange(bs []store.PlannedBatch) string {
	if len(bs) == 0 {
		return ""
	}
	return fmt.Sprintf(" (nonces %d..%d)", bs[0].Nonce, bs[len(bs)-1].Nonce)
}

// waitRecovery waits for run to end, polling its status query and printing
// each step as it completes ("step <name> done"), in order, once.
func waitRecovery(ctx context.Context, tc client.Client, run client.WorkflowRun, poll time.Duration, out io.Writer) (workflows.RecoveryStatus, error) {
	type result struct {
		st  workflows.RecoveryStatus
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.err = run.Get(ctx, &r.st)
		done <- r
	}()
	printed := 0
	report := func(st workflows.RecoveryStatus) {
		for ; printed < len(st.Done); printed++ {
			fmt.Fprintf(out, "step %s done\n", st.Done[printed])
		}
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case r := <-done:
			report(r.st) // the steps completed since the last poll
			return r.st, r.err
		case <-tick.C:
			// The latest run: a recovery that meets a broadcast newer than
			// its flush continues as new and does its steps again.
			v, err := tc.QueryWorkflow(ctx, run.GetID(), "", workflows.QueryStatus)
			if err != nil {
				continue // no worker yet, or between tasks: the next poll tells
			}
			var st workflows.RecoveryStatus
			if v.Get(&st) == nil {
				if len(st.Done) < printed {
					printed = 0 // a new run: its steps are done again
				}
				report(st)
			}
		}
	}
}
