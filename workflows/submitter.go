package workflows

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// SubmitterInput configures the batch submitter; it is also the state
// carried across Continue-As-New (Paused and Window).
type SubmitterInput struct {
	// MaxInFlight is the window: at most this many batch transactions
	// pending at once (SEQ_BATCH_SUBMITTER_MAX_IN_FLIGHT).
	MaxInFlight int
	// ResendAfterBlocks: a transaction not included this many blocks after
	// its broadcast is replaced (SEQ_BATCH_SUBMITTER_RESEND_AFTER_BLOCKS).
	ResendAfterBlocks uint64
	// MaxFeePerGas caps every fee field, in wei (decimal string; "" = no
	// cap) (SEQ_L1_MAX_FEE_PER_GAS_GWEI).
	MaxFeePerGas string
	// IdlePoll is how often the plan looks for a sealed batch while the
	// window is empty (with transactions in flight it looks every
	// activities.SubmitPoll, to refill the moment one is included).
	IdlePoll time.Duration
	// IdleWait bounds one wait for work: the plan activity returns empty
	// after it, so the workflow takes signals and keeps its history
	// bounded even when nothing happens.
	IdleWait time.Duration
	// RoundsPerRun is the backstop for Continue-As-New (the server's
	// suggestion normally comes first).
	RoundsPerRun int
	Paused       bool
	// Window is the in-flight transactions, by ascending wallet nonce.
	Window []InFlight
}

func (in SubmitterInput) withDefaults() SubmitterInput {
	if in.MaxInFlight <= 0 {
		in.MaxInFlight = 16
	}
	if in.ResendAfterBlocks == 0 {
		in.ResendAfterBlocks = 3
	}
	if in.IdleWait <= 0 {
		in.IdleWait = 20 * time.Second
	}
	if in.RoundsPerRun <= 0 {
		in.RoundsPerRun = 500
	}
	return in
}

// SubmitterStatus is the submitter's `status` query answer.
type SubmitterStatus struct {
	Paused       bool
	Rounds       int
	State        string // idle, sending, awaiting, paused
	Block        uint64 // the last plan's pinned block
	AccountNonce uint64 // the submitter's transaction count at Block
	FirstNeeded  uint64 // the first batch nonce the rollup still needs
	InFlight     []InFlight
}

// Search attributes the submitter keeps current for the Temporal UI. The
// worker registers them at start.
var (
	AttrBatchNonce  = temporal.NewSearchAttributeKeyInt64("SeqBatchNonce")
	AttrWalletNonce = temporal.NewSearchAttributeKeyInt64("SeqWalletNonce")
	AttrTxHash      = temporal.NewSearchAttributeKeyKeyword("SeqTxHash")
	AttrState       = temporal.NewSearchAttributeKeyKeyword("SeqState")
)

// BatchSubmitter posts sealed batches to L1 through a window of in-flight
// transactions (capacity.md §1). Each round is two activities:
//
//   - PlanSubmissionRound waits (heartbeating, up to IdleWait) until there
//     is something to do, and returns a plan pinned at one L1 block: which
//     window entries were included, which replacements are due (not
//     included ResendAfterBlocks after their broadcast: same nonce, fees
//     +12.5%, capped), which wallet nonces the window has room for and the
//     batches due there. The account's nonce and our landed inputs are read
//     at the same block, so a batch is never assigned a second nonce.
//   - SendSubmissionRound claims every batch of the round in one database
//     transaction (fence check, validity, watermark raised to the highest
//     wallet nonce: write-before-broadcast) and broadcasts them.
//
// Confirmation depth never gates sending: the moment the lowest nonce is
// included the window has room and the next batch goes out. The window is
// workflow state, carried across Continue-As-New. The submitter never
// judges danger: recovery pauses it with the `pause` signal and resumes it
// with `resume` (the claim's fence check is the real stop).
//
// Operators pause and resume it with the `pause` and `resume` updates
// (`sequencer submitter pause|resume`): pause returns once no send is in
// flight, so when it returns nothing is being broadcast and nothing new
// will be until resume. Signals and updates set the same state; a signal
// that arrives during the last round of a run is taken before
// Continue-As-New, and the run waits for running update handlers, so
// neither is lost across it.
func BatchSubmitter(ctx workflow.Context, in SubmitterInput) error {
	in = in.withDefaults()
	window := append([]InFlight(nil), in.Window...)
	status := SubmitterStatus{Paused: in.Paused, State: "idle", InFlight: window}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (SubmitterStatus, error) { return status, nil }); err != nil {
		return err
	}
	// wake tells the loop that an update changed the paused state (a
	// signal wakes it through its own channel). Buffered and sent without
	// blocking: one pending wake is enough.
	wake := workflow.NewBufferedChannel(ctx, 1)
	sending := false
	if err := workflow.SetUpdateHandler(ctx, UpdatePause, func(ctx workflow.Context) (SubmitterStatus, error) {
		status.Paused = true
		wake.SendAsync(nil)
		// The loop starts no send while paused; wait out the one in flight.
		if err := workflow.Await(ctx, func() bool { return !sending }); err != nil {
			return status, err
		}
		return status, nil
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, UpdateResume, func(workflow.Context) (SubmitterStatus, error) {
		status.Paused = false
		wake.SendAsync(nil)
		return status, nil
	}); err != nil {
		return err
	}
	pause := workflow.GetSignalChannel(ctx, SignalPause)
	resume := workflow.GetSignalChannel(ctx, SignalResume)
	onPause := func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); status.Paused = true }
	onResume := func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); status.Paused = false }
	onWake := func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) }
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
	setState := func(state string) {
		if status.State == state {
			return
		}
		status.State = state
		_ = workflow.UpsertTypedSearchAttributes(ctx, AttrState.ValueSet(state))
	}

	for status.Rounds < in.RoundsPerRun && !workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
		drainSignals()
		for status.Paused {
			setState("paused")
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(pause, onPause)
			sel.AddReceive(resume, onResume)
			sel.AddReceive(wake, onWake)
			sel.Select(ctx)
		}
		status.Rounds++
		if len(window) > 0 {
			setState("awaiting")
		} else {
			setState("idle")
		}

		// Plan: waits for work. A pause (signal or update) cancels the
		// wait (the activity heartbeats, so it learns of the cancellation
		// promptly).
		req := PlanRequest{InFlight: window, MaxInFlight: in.MaxInFlight, ResendAfterBlocks: in.ResendAfterBlocks,
			MaxFeePerGas: in.MaxFeePerGas, Wait: in.IdleWait, IdlePoll: in.IdlePoll}
		pctx, cancelPlan := workflow.WithCancel(ctx)
		pctx = workflow.WithActivityOptions(pctx, workflow.ActivityOptions{
			StartToCloseTimeout: in.IdleWait + time.Minute,
			HeartbeatTimeout:    10 * time.Second,
			RetryPolicy:         l1RetryPolicy,
			Summary:             planSummary(window, in.MaxInFlight),
		})
		var plan Plan
		var planErr error
		planned := false
		sel := workflow.NewSelector(ctx)
		fut := workflow.ExecuteActivity(pctx, ActivityPlanRound, req)
		sel.AddFuture(fut, func(f workflow.Future) { planErr = f.Get(ctx, &plan); planned = true })
		sel.AddReceive(pause, onPause)
		sel.AddReceive(wake, onWake)
		for !planned {
			sel.Select(ctx)
			if status.Paused && !planned {
				cancelPlan()
				// Wait for the cancelled attempt to end; its result, if it
				// won the race, is still a valid plan but is dropped: the
				// next round plans again from the same window.
				_ = fut.Get(ctx, nil)
				break
			}
		}
		cancelPlan()
		if !planned {
			continue
		}
		if planErr != nil {
			var canceled *temporal.CanceledError
			if errors.As(planErr, &canceled) {
				continue
			}
			return planErr
		}
		status.Block, status.AccountNonce, status.FirstNeeded = plan.Block, plan.AccountNonce, plan.FirstNeeded
		window = append(window[:0:0], plan.Window...)
		status.InFlight = window
		if len(plan.Sends) == 0 {
			continue
		}
		drainSignals()
		if status.Paused {
			continue // the plan is dropped; it is re-derived after resume
		}

		// No yield between the paused check above and here: a pause
		// update that runs from now on sees sending and waits for the
		// round to end.
		sending = true
		setState("sending")
		sctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 2 * time.Minute,
			HeartbeatTimeout:    30 * time.Second,
			RetryPolicy:         l1RetryPolicy,
			Summary:             sendSummary(plan.Sends),
		})
		var sent SendRoundResult
		err := workflow.ExecuteActivity(sctx, ActivitySendRound, SendRoundRequest{Block: plan.Block, Sends: plan.Sends, GasLimit: plan.GasLimit}).
			Get(ctx, &sent)
		sending = false
		if err != nil {
			return err
		}
		window = ApplySends(window, plan, sent)
		status.InFlight = window
		if last, ok := lastSent(plan.Sends, sent); ok {
			_ = workflow.UpsertTypedSearchAttributes(ctx, AttrBatchNonce.ValueSet(int64(last.BatchNonce)),
				AttrWalletNonce.ValueSet(int64(last.WalletNonce)), AttrTxHash.ValueSet(sent.Outcomes[last.index].TxHash))
		}
	}
	// Signals delivered during the last round sit in their channels and
	// would die with this run: take them now. Update handlers still
	// running (a pause waiting for the send that just ended) finish first:
	// their callers get an answer from this run.
	drainSignals()
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	drainSignals()
	in.Paused = status.Paused
	in.Window = window
	return workflow.NewContinueAsNewError(ctx, BatchSubmitter, in)
}

// ApplySends records a round's broadcasts in the window: a sent (or
// already known) transaction becomes the entry at its wallet nonce; a
// skipped one leaves whatever the window held there; a rebroadcast at the
// same fees keeps the entry and restarts its replacement clock. Pure (the
// model test applies it too).
func ApplySends(window []InFlight, plan Plan, res SendRoundResult) []InFlight {
	byNonce := make(map[uint64]InFlight, len(window)+len(plan.Sends))
	for _, f := range window {
		byNonce[f.WalletNonce] = f
	}
	for i, s := range plan.Sends {
		if i >= len(res.Outcomes) || res.Outcomes[i].Result == SendSkipped {
			continue
		}
		prev, had := byNonce[s.WalletNonce]
		if s.Kind == SendRebroadcast && had {
			// Same fees: the entry stands; the replacement clock restarts. A
			// "known" answer means the node holds the earlier transaction.
			prev.SentBlock, prev.Capped = plan.Block, true
			if res.Outcomes[i].Result == SendSent {
				prev.TxHash = res.Outcomes[i].TxHash
			}
			byNonce[s.WalletNonce] = prev
			continue
		}
		entry := InFlight{BatchNonce: s.BatchNonce, Hash: s.Hash, WalletNonce: s.WalletNonce, TxHash: res.Outcomes[i].TxHash,
			Fees: s.Fees, SentBlock: plan.Block, Capped: s.Capped, Ops: s.Ops}
		if had {
			entry.Replacements = prev.Replacements + 1
		}
		byNonce[s.WalletNonce] = entry
	}
	out := make([]InFlight, 0, len(byNonce))
	// Collected, then sorted by wallet nonce: the result does not depend
	// on map order.
	//workflowcheck:ignore
	for _, f := range byNonce {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].WalletNonce < out[j].WalletNonce })
	return out
}

type indexedSend struct {
	PlannedSend
	index int
}

// lastSent is the broadcast of the round with the highest wallet nonce that
// was not skipped.
func lastSent(sends []PlannedSend, res SendRoundResult) (indexedSend, bool) {
	var best indexedSend
	found := false
	for i, s := range sends {
		if i >= len(res.Outcomes) || res.Outcomes[i].Result == SendSkipped {
			continue
		}
		if !found || s.WalletNonce > best.WalletNonce {
			best, found = indexedSend{s, i}, true
		}
	}
	return best, found
}

// planSummary describes the wait for the Temporal UI.
func planSummary(window []InFlight, maxInFlight int) string {
	if len(window) == 0 {
		return "plan: wait for a sealed batch"
	}
	lo, hi := window[0], window[len(window)-1]
	return fmt.Sprintf("plan: await inclusion of %d/%d in flight (batches %d..%d at wallet nonces %d..%d), replacements, new batches",
		len(window), maxInFlight, lo.BatchNonce, hi.BatchNonce, lo.WalletNonce, hi.WalletNonce)
}

// sendSummary lists a round's broadcasts for the Temporal UI, e.g.
// "send batch 4→wallet 10, 5→11; replace batch 3@9".
func sendSummary(sends []PlannedSend) string {
	var fresh, again []string
	for _, s := range sends {
		switch s.Kind {
		case SendNew:
			fresh = append(fresh, fmt.Sprintf("%d→%d", s.BatchNonce, s.WalletNonce))
		default:
			again = append(again, fmt.Sprintf("%s batch %d@%d", s.Kind, s.BatchNonce, s.WalletNonce))
		}
	}
	var parts []string
	if len(fresh) > 0 {
		parts = append(parts, "send batch→wallet nonce "+strings.Join(fresh, ", "))
	}
	if len(again) > 0 {
		parts = append(parts, strings.Join(again, ", "))
	}
	return strings.Join(parts, "; ")
}
