package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/cartesi/sequencer/internal/config"
	"github.com/cartesi/sequencer/store"
	"github.com/cartesi/sequencer/worker"
	"github.com/cartesi/sequencer/workflows"
)

// recoveryClient dials Temporal with SEQ_TEMPORAL_ADDRESS / NAMESPACE.
func recoveryClient(ctx context.Context, stdio Stdio) (client.Client, error) {
	cfg, err := loadConfig(config.RoleMigrate)
	if err != nil {
		return nil, err
	}
	c, err := worker.Dial(ctx, worker.Config{TemporalAddress: cfg.TemporalAddress, Namespace: cfg.TemporalNamespace},
		newLogger(stdio, "recovery"))
	if err != nil {
		return nil, withExit(ExitTransient, err)
	}
	return c, nil
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

// readLastCascade reads the newest cascade record from SEQ_DATABASE_URL (or
// the dev database) without migrating; nil when none was recorded.
func readLastCascade(ctx context.Context) (*lastCascade, error) {
	cfg, err := loadConfig(config.RoleMigrate)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, cfg.DatabaseURLOrDev())
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	defer pool.Close()
	c, found, err := store.NewRecovery(pool).LastCascade(ctx)
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
	c, err := recoveryClient(ctx, stdio)
	if err != nil {
		return err
	}
	defer c.Close()
	out := struct {
		WorkflowID  string                    `json:"workflow_id"`
		RunID       string                    `json:"run_id,omitempty"`
		State       string                    `json:"state"`
		StartedAt   *time.Time                `json:"started_at,omitempty"`
		Status      *workflows.RecoveryStatus `json:"status,omitempty"`
		LastCascade *lastCascade              `json:"last_cascade,omitempty"`
		DBError     string                    `json:"last_cascade_error,omitempty"`
	}{WorkflowID: workflows.RecoveryWorkflowID}
	last, err := readLastCascade(ctx)
	if err != nil {
		out.DBError = err.Error()
	}
	out.LastCascade = last
	desc, err := c.DescribeWorkflowExecution(ctx, workflows.RecoveryWorkflowID, "")
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
	if v, err := c.QueryWorkflow(ctx, workflows.RecoveryWorkflowID, "", workflows.QueryStatus); err == nil {
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

// runRecoveryStart: sequencer recovery start [--reason …] [--wait] — start
// (or join) the recovery workflow.
func runRecoveryStart(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("recovery start", stdio)
	reason := fs.String("reason", "started by an operator", "why, recorded in the workflow input")
	wait := fs.Bool("wait", false, "wait for the recovery to finish")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	c, err := recoveryClient(ctx, stdio)
	if err != nil {
		return err
	}
	defer c.Close()
	run, err := worker.StartRecovery(ctx, c, *reason)
	if err != nil {
		return withExit(ExitTransient, err)
	}
	fmt.Fprintf(stdio.Out, "recovery workflow %s run %s\n", run.GetID(), run.GetRunID())
	if *wait {
		var st workflows.RecoveryStatus
		if err := run.Get(ctx, &st); err != nil {
			return fmt.Errorf("recovery failed: %w", err)
		}
		fmt.Fprintln(stdio.Out, "recovery done")
		return writeJSON(stdio.Out, st)
	}
	return nil
}
