package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/cartesi/sequencer/internal/config"
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

// runRecoveryStatus: sequencer recovery status — the recovery workflow's
// state and current step, as JSON.
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
		WorkflowID string                    `json:"workflow_id"`
		RunID      string                    `json:"run_id,omitempty"`
		State      string                    `json:"state"`
		StartedAt  *time.Time                `json:"started_at,omitempty"`
		Status     *workflows.RecoveryStatus `json:"status,omitempty"`
	}{WorkflowID: workflows.RecoveryWorkflowID}
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
		if err := run.Get(ctx, nil); err != nil {
			return fmt.Errorf("recovery failed: %w", err)
		}
		fmt.Fprintln(stdio.Out, "recovery done")
	}
	return nil
}
