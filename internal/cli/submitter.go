package cli

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"

	"github.com/cartesi/sequencer/workflows"
)

// submitterOutput is what the submitter commands print.
type submitterOutput struct {
	WorkflowID string                    `json:"workflow_id"`
	Status     workflows.SubmitterStatus `json:"status"`
}

// runSubmitterStatus: sequencer submitter status — the batch submitter's
// status query (paused, state, the in-flight window), as JSON.
func runSubmitterStatus(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("submitter status", stdio)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	d, err := openDeployment(ctx, stdio, "submitter")
	if err != nil {
		return err
	}
	defer d.Close()
	v, err := d.tc.QueryWorkflow(ctx, d.names.Submitter, "", workflows.QueryStatus)
	if err != nil {
		return withExit(ExitTransient, fmt.Errorf("query the batch submitter %s: %w", d.names.Submitter, err))
	}
	out := submitterOutput{WorkflowID: d.names.Submitter}
	if err := v.Get(&out.Status); err != nil {
		return fmt.Errorf("decode the batch submitter's status: %w", err)
	}
	return writeJSON(stdio.Out, out)
}

// runSubmitterPause: sequencer submitter pause — pause the batch submitter.
// It returns once no send is in flight (the pause update waits for the
// round being broadcast), and prints the status then. Idempotent.
func runSubmitterPause(ctx context.Context, args []string, stdio Stdio) error {
	return submitterUpdate(ctx, "submitter pause", workflows.UpdatePause, args, stdio)
}

// runSubmitterResume: sequencer submitter resume — resume the batch
// submitter; prints its status. Idempotent.
func runSubmitterResume(ctx context.Context, args []string, stdio Stdio) error {
	return submitterUpdate(ctx, "submitter resume", workflows.UpdateResume, args, stdio)
}

func submitterUpdate(ctx context.Context, name, update string, args []string, stdio Stdio) error {
	fs := newFlagSet(name, stdio)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	d, err := openDeployment(ctx, stdio, "submitter")
	if err != nil {
		return err
	}
	defer d.Close()
	h, err := d.tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   d.names.Submitter,
		UpdateName:   update,
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return withExit(ExitTransient, fmt.Errorf("%s the batch submitter %s: %w", update, d.names.Submitter, err))
	}
	out := submitterOutput{WorkflowID: d.names.Submitter}
	if err := h.Get(ctx, &out.Status); err != nil {
		return withExit(ExitTransient, fmt.Errorf("%s the batch submitter %s: %w", update, d.names.Submitter, err))
	}
	return writeJSON(stdio.Out, out)
}
