package workflows

import (
	"fmt"
	"sort"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// SubmitterInput configures the batch submitter; it is also the state
// carried across Continue-As-New.
type SubmitterInput struct {
	IdlePoll          time.Duration // wait between rounds with nothing to send
	ConfirmationDepth uint64        // wait for depth+1 confirmations
	InclusionTimeout  time.Duration // then re-send at the same nonce with bumped fees
	RoundsPerRun      int
	Paused            bool
	// LastFees remembers, per wallet nonce (decimal string key), the fees of
	// the last broadcast, so a re-send bumps them.
	LastFees map[string]Fees
}

func (in SubmitterInput) withDefaults() SubmitterInput {
	if in.IdlePoll <= 0 {
		in.IdlePoll = 5 * time.Second
	}
	if in.InclusionTimeout <= 0 {
		in.InclusionTimeout = 2 * time.Minute
	}
	if in.RoundsPerRun <= 0 {
		in.RoundsPerRun = 200
	}
	if in.LastFees == nil {
		in.LastFees = map[string]Fees{}
	}
	return in
}

// SubmitterStatus is the submitter's `status` query answer.
type SubmitterStatus struct {
	Paused      bool
	Rounds      int
	State       string // idle, sending, awaiting, paused
	FirstNeeded uint64
	InFlight    []InFlight
}

// InFlight is one broadcast batch awaiting inclusion.
type InFlight struct {
	BatchNonce  uint64
	WalletNonce uint64
	TxHash      string
	Fees        Fees
}

// Search attributes the submitter keeps current for the Temporal UI. The
// worker registers them at start.
var (
	AttrBatchNonce  = temporal.NewSearchAttributeKeyInt64("SeqBatchNonce")
	AttrWalletNonce = temporal.NewSearchAttributeKeyInt64("SeqWalletNonce")
	AttrTxHash      = temporal.NewSearchAttributeKeyKeyword("SeqTxHash")
	AttrState       = temporal.NewSearchAttributeKeyKeyword("SeqState")
)

// BatchSubmitter posts sealed batches to L1. Each round derives, statelessly,
// what the rollup still needs (PlanSubmission), broadcasts every pending
// batch at consecutive wallet nonces (SendBatch raises the durable
// watermark before each broadcast), then waits for the first one's
// inclusion; on a timeout the next round re-sends at the same nonces with
// bumped fees. It never judges danger: recovery pauses it with the `pause`
// signal and resumes it with `resume`.
func BatchSubmitter(ctx workflow.Context, in SubmitterInput) error {
	in = in.withDefaults()
	status := SubmitterStatus{Paused: in.Paused, State: "idle"}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (SubmitterStatus, error) { return status, nil }); err != nil {
		return err
	}
	pause := workflow.GetSignalChannel(ctx, SignalPause)
	resume := workflow.GetSignalChannel(ctx, SignalResume)
	drainSignals := func() {
		for {
			switch {
			case pause.ReceiveAsync(nil):
				status.Paused = true
			case resume.ReceiveAsync(nil):
				status.Paused = false
			default:
				return
			}
		}
	}
	// wait blocks until a signal arrives or d passes (d = 0: only a signal).
	wait := func(d time.Duration) {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(pause, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); status.Paused = true })
		sel.AddReceive(resume, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); status.Paused = false })
		if d > 0 {
			sel.AddFuture(workflow.NewTimer(ctx, d), func(workflow.Future) {})
		}
		sel.Select(ctx)
	}
	setState := func(state string) {
		status.State = state
		_ = workflow.UpsertTypedSearchAttributes(ctx, AttrState.ValueSet(state))
	}

	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         l1RetryPolicy,
	})
	for status.Rounds < in.RoundsPerRun {
		drainSignals()
		for status.Paused {
			setState("paused")
			wait(0)
		}
		status.Rounds++

		var plan Plan
		pctx := workflow.WithActivityOptions(actx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Minute, RetryPolicy: l1RetryPolicy, Summary: "plan a submission round",
		})
		if err := workflow.ExecuteActivity(pctx, ActivityPlanSubmission).Get(ctx, &plan); err != nil {
			return err
		}
		status.FirstNeeded = plan.FirstNeeded
		if len(plan.Batches) == 0 {
			status.InFlight = nil
			setState("idle")
			wait(in.IdlePoll)
			continue
		}

		setState("sending")
		status.InFlight = status.InFlight[:0]
		for _, b := range plan.Batches {
			drainSignals()
			if status.Paused {
				break
			}
			key := fmt.Sprint(b.WalletNonce)
			req := SendRequest{Batch: b}
			if prev, ok := in.LastFees[key]; ok {
				req.Previous = &prev
			}
			sctx := workflow.WithActivityOptions(actx, workflow.ActivityOptions{
				StartToCloseTimeout: time.Minute, RetryPolicy: l1RetryPolicy,
				Summary: fmt.Sprintf("batch %d → wallet nonce %d", b.BatchNonce, b.WalletNonce),
			})
			var sent SendResult
			if err := workflow.ExecuteActivity(sctx, ActivitySendBatch, req).Get(ctx, &sent); err != nil {
				return err
			}
			if sent.Skipped {
				break // the plan is stale: plan again
			}
			in.LastFees[key] = sent.Fees
			status.InFlight = append(status.InFlight, InFlight{BatchNonce: b.BatchNonce, WalletNonce: b.WalletNonce,
				TxHash: sent.TxHash, Fees: sent.Fees})
			_ = workflow.UpsertTypedSearchAttributes(ctx, AttrBatchNonce.ValueSet(int64(b.BatchNonce)),
				AttrWalletNonce.ValueSet(int64(b.WalletNonce)), AttrTxHash.ValueSet(sent.TxHash))
		}
		if status.Paused {
			continue
		}
		if len(status.InFlight) == 0 {
			// Every planned batch was skipped (replaced, or a recovery
			// holds the fence): plan again after the idle poll.
			setState("idle")
			wait(in.IdlePoll)
			continue
		}

		setState("awaiting")
		first := status.InFlight[0]
		await := AwaitRequest{WalletNonce: first.WalletNonce, Confirmations: in.ConfirmationDepth + 1, Timeout: in.InclusionTimeout}
		wctx := workflow.WithActivityOptions(actx, workflow.ActivityOptions{
			StartToCloseTimeout: in.InclusionTimeout + time.Minute,
			HeartbeatTimeout:    30 * time.Second,
			RetryPolicy:         l1RetryPolicy,
			Summary:             fmt.Sprintf("await batch %d at wallet nonce %d (%s)", first.BatchNonce, first.WalletNonce, first.TxHash),
		})
		var res AwaitResult
		if err := workflow.ExecuteActivity(wctx, ActivityAwaitInclusion, await).Get(ctx, &res); err != nil {
			return err
		}
		if res.Included {
			// Fees of consumed nonces are no longer needed. (Deleting while
			// ranging is order-independent, but keys are sorted anyway so
			// the code reads as deterministic.)
			for _, k := range sortedKeys(in.LastFees) {
				var n uint64
				if _, err := fmt.Sscan(k, &n); err == nil && n <= first.WalletNonce {
					delete(in.LastFees, k)
				}
			}
		}
	}
	in.Paused = status.Paused
	return workflow.NewContinueAsNewError(ctx, BatchSubmitter, in)
}

func sortedKeys(m map[string]Fees) []string {
	keys := make([]string, 0, len(m))
	// Only collects the keys, sorted below: the result does not depend on
	// map order.
	//workflowcheck:ignore
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
