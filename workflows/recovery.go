package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Recovery activity names.
const (
	ActivityRecoveryFence  = "RecoveryFence"
	ActivityRecoveryAssess = "RecoveryAssess"
	ActivityFlushMempool   = "FlushMempool"
	ActivityWaitSynced     = "WaitSynced"
	ActivityCascade        = "Cascade"
	ActivityRecoveryResume = "RecoveryResume"
)

// AttrRecoveryStepName is the search attribute holding the current step.
const AttrRecoveryStepName = "SeqRecoveryStep"

// Recovery steps, as the status query and the search attribute show them.
const (
	recoveryStepFence   = "fence"
	recoveryStepAssess  = "assess"
	recoveryStepFlush   = "flush"
	recoveryStepSync    = "sync"
	recoveryStepCascade = "cascade"
	recoveryStepResume  = "resume"
	recoveryStepDone    = "done"
	recoveryStepHalted  = "halted"
)

// recoveryActivityTimeout bounds the long steps (flush, sync), which
// heartbeat.
const recoveryActivityTimeout = 10 * time.Minute

// The cascade is one database transaction, heartbeated from a goroutine
// while it runs. It takes well under a second for thousands of batches; the
// start-to-close timeout leaves room for the worst case (a huge suffix on a
// loaded database), and the heartbeat timeout — four heartbeats — for a
// worker starved of CPU, while a dead worker's attempt is still retried
// within half a minute.
const (
	cascadeTimeout          = 10 * time.Minute
	cascadeHeartbeatTimeout = 30 * time.Second
)

// ErrTypeCascadeRunning: a cascade attempt met an earlier attempt's
// transaction still open. Retryable: the next attempt reports what that
// one committed, or does the work if it rolled back.
const ErrTypeCascadeRunning = "CascadeStillRunning"

// AttrRecoveryStep is the recovery's current step, for the Temporal UI.
var AttrRecoveryStep = temporal.NewSearchAttributeKeyKeyword(AttrRecoveryStepName)

// RecoveryInput says why a recovery runs.
type RecoveryInput struct {
	Reason string
}

// Assessment is what the recovery finds before acting.
type Assessment struct {
	Divergence string
	// HasUnaccepted: a sealed batch the rollup has not accepted exists (it
	// may sit in the L1 mempool: the flush must run).
	HasUnaccepted bool
	PivotNonce    uint64
	TipInDanger   bool
}

// FlushResult is a completed mempool flush.
type FlushResult struct {
	SafeBlock uint64  // the L1 safe block at which the flush completed
	Watermark *uint64 // the watermark it covered; nil when none existed
	Sent      int     // self-transfers broadcast
}

// CascadeInput are the cascade's preconditions (see store.CascadeRequest).
type CascadeInput struct {
	FlushBlock       uint64
	Flushed          bool
	FlushedWatermark *uint64
}

// CascadeResult reports what this recovery's cascade did, as the database
// recorded it in the cascade's transaction: the same whichever attempt
// committed it and whichever attempt returned (see store.CascadeResult).
type CascadeResult struct {
	NoOp           bool   // nothing was in danger: nothing invalidated
	PivotNonce     uint64 // the first invalidated batch (= the new tip's nonce)
	Invalidated    int64  // batches invalidated
	InvalidatedOps int64  // user ops in them (revoked soft confirmations)
	Generation     uint64 // the recovery generation the cascade created
	Redrained      int    // direct inputs sequenced again into the new tip
	NewTipID       int64
	SafeBlock      uint64 // the new tip's first frame's safe block
	Fence          uint64 // the database's fence epoch of this recovery
	Earlier        bool   // an earlier attempt committed it; the returning one found its record
}

// RecoveryStatus is the recovery's `status` query answer.
type RecoveryStatus struct {
	Step string
	// Done lists the steps completed so far, in order (`recovery start
	// --wait` prints each as it appears).
	Done    []string `json:",omitempty"`
	Reason  string
	Assess  *Assessment
	Flush   *FlushResult
	Cascade *CascadeResult
	Error   string
}

// Recovery makes the sequencer safe again when batches would land too late
// on L1 (l1-and-recovery.md §4), in one pass of idempotent steps: fence the
// lane and pause the submitter; if a sealed batch is unaccepted, flush the
// submitter's L1 mempool slots up to the durable watermark and wait until the
// reader has seen the flush block; then cascade (invalidate the pivot and its
// suffix, reopen a tip, re-drain deposits); resume. A worker crash at any
// step resumes at that step. Canonical divergence halts it with a
// non-retryable failure and the fence left in place: an operator decides.
// It returns (and the status query shows) what it did; the cascade's counts
// come from the database's record of the cascade, so they are right even
// when the cascade activity was retried after its work committed.
func Recovery(ctx workflow.Context, in RecoveryInput) (RecoveryStatus, error) {
	status := RecoveryStatus{Step: recoveryStepFence, Reason: in.Reason}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (RecoveryStatus, error) { return status, nil }); err != nil {
		return status, err
	}
	step := func(s string) {
		if status.Step != s {
			status.Done = append(status.Done, status.Step)
		}
		status.Step = s
		_ = workflow.UpsertTypedSearchAttributes(ctx, AttrRecoveryStep.ValueSet(s))
		workflow.GetLogger(ctx).Info("recovery step", "step", s)
	}
	runHeartbeat := func(name, summary string, timeout, heartbeat time.Duration, out any, args ...any) error {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: timeout,
			HeartbeatTimeout:    heartbeat,
			RetryPolicy:         l1RetryPolicy,
			Summary:             summary,
		})
		err := workflow.ExecuteActivity(actx, name, args...).Get(ctx, out)
		if err != nil {
			status.Error = err.Error()
		}
		return err
	}
	run := func(name, summary string, timeout time.Duration, out any, args ...any) error {
		// Long steps heartbeat every second or two: a short heartbeat
		// timeout lets a new worker take over quickly after a crash.
		return runHeartbeat(name, summary, timeout, 10*time.Second, out, args...)
	}
	signalSubmitter := func(signal string) {
		// Best effort: a submitter that is not running has nothing to pause.
		_ = workflow.SignalExternalWorkflow(ctx, namesIn(ctx).Submitter, "", signal, nil).Get(ctx, nil)
	}

	step(recoveryStepFence)
	if err := run(ActivityRecoveryFence, "close intake and fence the lane", 30*time.Second, nil); err != nil {
		return status, err
	}
	signalSubmitter(SignalPause)

	step(recoveryStepAssess)
	var a Assessment
	if err := run(ActivityRecoveryAssess, "find the pivot", 30*time.Second, &a); err != nil {
		return status, err
	}
	status.Assess = &a
	if a.Divergence != "" {
		step(recoveryStepHalted)
		return status, temporal.NewNonRetryableApplicationError(
			"canonical divergence: recovery will not invalidate anything; follow the divergence runbook: "+a.Divergence,
			ErrTypeDivergence, nil)
	}

	cascade := CascadeInput{}
	if a.HasUnaccepted {
		step(recoveryStepFlush)
		var f FlushResult
		if err := run(ActivityFlushMempool, "flush the submitter's mempool slots", recoveryActivityTimeout, &f); err != nil {
			return status, err
		}
		status.Flush = &f
		cascade.FlushBlock, cascade.Flushed, cascade.FlushedWatermark = f.SafeBlock, true, f.Watermark

		step(recoveryStepSync)
		if err := run(ActivityWaitSynced, fmt.Sprintf("wait for the reader to reach safe block %d", f.SafeBlock),
			recoveryActivityTimeout, nil, f.SafeBlock); err != nil {
			return status, err
		}
	}

	step(recoveryStepCascade)
	var c CascadeResult
	err := runHeartbeat(ActivityCascade, "invalidate the doomed suffix and reopen a tip", cascadeTimeout,
		cascadeHeartbeatTimeout, &c, cascade)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == ErrTypeWatermarkMoved {
		// A broadcast slipped in after the flush: flush again.
		return status, workflow.NewContinueAsNewError(ctx, Recovery, in)
	}
	if err != nil {
		return status, err
	}
	// The activity read c back from the cascade's record in the database:
	// the work of this recovery, even when the attempt that did it is not
	// the one that returned.
	status.Cascade = &c

	step(recoveryStepResume)
	if err := run(ActivityRecoveryResume, "reopen intake", 30*time.Second, nil); err != nil {
		return status, err
	}
	signalSubmitter(SignalResume)
	step(recoveryStepDone)
	return status, nil
}
