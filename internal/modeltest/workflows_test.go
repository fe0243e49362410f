package modeltest

import (
	"fmt"
	"time"

	"github.com/cartesi/sequencer/workflows"
)

// The worker's workflows, as step machines the model interleaves one
// activity at a time. They mirror workflows.BatchSubmitter and
// workflows.Recovery: the same activities, in the same order, with the same
// reactions to results and errors. Temporal's durability is the machines'
// state: a worker crash mid-activity is an activity attempt that did part of
// its work and failed (a fault injected into the simulated L1), after which
// the machine retries the same step; restarting a workflow from its first
// step is a fresh machine. An activity is scheduled when the previous one
// completes (the workflow task runs at once), so a signal that arrives later
// does not stop it: that is how a send can slip in after a recovery fenced.

// submitterSM mirrors workflows.BatchSubmitter: a plan (PlanSubmissionRound,
// here looking once: Wait 0) then, when it has sends, one send round
// (SendSubmissionRound); the window is the machine's state, updated with
// workflows.ApplySends exactly as the workflow does.
type submitterSM struct {
	paused  bool
	signals []string // pause/resume signals not yet seen by the workflow
	window  []workflows.InFlight
	next    string // the scheduled activity: plan, send; "" while idle or paused
	plan    workflows.Plan
}

func newSubmitterSM() *submitterSM { return &submitterSM{} }

func (s *submitterSM) drain() {
	for _, sig := range s.signals {
		s.paused = sig == workflows.SignalPause
	}
	s.signals = nil
}

// top is the loop head: take signals, wait while paused, plan.
func (s *submitterSM) top() {
	s.drain()
	if s.paused {
		s.next = ""
		return
	}
	s.next = "plan"
}

// The model's submitter settings: a small window so that it fills, quick
// replacements, and a fee cap the simulated estimates (2–4 gwei) reach
// after a few bumps.
const (
	modelMaxInFlight       = 4
	modelResendAfterBlocks = 2
	modelMaxFeePerGas      = "4500000000"
)

func (w *world) submitterStep() string {
	s := w.sub
	if s.next == "" {
		s.top() // a timer fired or a signal arrived
	}
	switch s.next {
	case "":
		return "submitter: paused"
	case "plan":
		var plan workflows.Plan
		req := workflows.PlanRequest{InFlight: s.window, MaxInFlight: modelMaxInFlight, ResendAfterBlocks: modelResendAfterBlocks,
			MaxFeePerGas: modelMaxFeePerGas}
		if err := w.activity(time.Minute, w.acts.PlanSubmissionRound, &plan, req); err != nil {
			return w.activityFailed("submitter: plan", err)
		}
		s.plan, s.window = plan, plan.Window
		desc := fmt.Sprintf("submitter: plan at block %d: account nonce %d, first needed %d, included %d, window %d",
			plan.Block, plan.AccountNonce, plan.FirstNeeded, len(plan.Included), len(plan.Window))
		if plan.Fenced {
			desc += " (fenced)"
		}
		if len(plan.Sends) == 0 {
			s.next = ""
			return desc + ", nothing to send"
		}
		s.drain()
		if s.paused {
			s.next = ""
			return desc + ", paused: plan dropped"
		}
		s.next = "send"
		for _, b := range plan.Sends {
			desc += fmt.Sprintf("; %s batch %d→wallet %d", b.Kind, b.BatchNonce, b.WalletNonce)
		}
		return desc
	case "send":
		var res workflows.SendRoundResult
		req := workflows.SendRoundRequest{Block: s.plan.Block, Sends: s.plan.Sends, GasLimit: s.plan.GasLimit}
		desc := fmt.Sprintf("submitter: send round of %d", len(req.Sends))
		if err := w.activity(time.Minute, w.acts.SendSubmissionRound, &res, req); err != nil {
			return w.activityFailed(desc, err)
		}
		s.window = workflows.ApplySends(s.window, s.plan, res)
		for i, o := range res.Outcomes {
			desc += fmt.Sprintf("; batch %d@%d %s", req.Sends[i].BatchNonce, req.Sends[i].WalletNonce, o.Result)
			w.stats.broadcast(req.Sends[i].Kind, o.Result)
		}
		s.top()
		return desc
	}
	panic("unknown submitter step " + s.next)
}

// restartSubmitter starts the submitter afresh (a new run: not paused, no
// window, no plan).
func (w *world) restartSubmitter() { w.sub = newSubmitterSM() }

// recoverySM mirrors workflows.Recovery.
type recoverySM struct {
	active    bool
	step      string // fence, assess, flush, sync, cascade, resume
	flush     workflows.FlushResult
	cascadeIn workflows.CascadeInput
	reason    string
}

func (w *world) startRecovery(reason string) {
	w.rec = &recoverySM{active: true, step: "fence", reason: reason}
}

func (w *world) recoveryStep() string {
	r := w.rec
	desc := "recovery: " + r.step
	switch r.step {
	case "fence":
		if err := w.activity(time.Minute, w.acts.RecoveryFence, nil); err != nil {
			return w.activityFailed(desc, err)
		}
		w.sub.signals = append(w.sub.signals, workflows.SignalPause)
		r.step = "assess"
		w.quiesce()
	case "assess":
		var a workflows.Assessment
		if err := w.activity(time.Minute, w.acts.RecoveryAssess, &a); err != nil {
			return w.activityFailed(desc, err)
		}
		if a.Divergence != "" {
			w.failf("recovery assessment reports canonical divergence: %s", a.Divergence)
		}
		desc += fmt.Sprintf(": unaccepted %v (pivot %d), tip in danger %v", a.HasUnaccepted, a.PivotNonce, a.TipInDanger)
		if a.HasUnaccepted {
			r.step = "flush"
		} else {
			r.cascadeIn = workflows.CascadeInput{}
			r.step = "cascade"
		}
	case "flush":
		w.sim.setNoncesBudget(1) // one round per step: the model mines in between
		var f workflows.FlushResult
		err := w.activity(time.Minute, w.acts.FlushMempool, &f)
		if err != nil {
			return w.activityFailed(desc, err)
		}
		w.checkFlush(f)
		r.flush = f
		r.cascadeIn = workflows.CascadeInput{FlushBlock: f.SafeBlock, Flushed: true, FlushedWatermark: f.Watermark}
		r.step = "sync"
		mark := "none"
		if f.Watermark != nil {
			mark = fmt.Sprint(*f.Watermark)
		}
		desc += fmt.Sprintf(": done at safe block %d, watermark %s, sent %d", f.SafeBlock, mark, f.Sent)
	case "sync":
		if err := w.activity(30*time.Millisecond, w.acts.WaitSynced, nil, r.flush.SafeBlock); err != nil {
			return w.activityFailed(desc, err)
		}
		r.step = "cascade"
	case "cascade":
		var c workflows.CascadeResult
		err := w.activity(time.Minute, w.acts.Cascade, &c, r.cascadeIn)
		if errType(err) == workflows.ErrTypeWatermarkMoved {
			w.startRecovery(r.reason) // continue-as-new: flush again
			return desc + ": watermark moved since the flush: start over"
		}
		if err != nil {
			if errType(err) == workflows.ErrTypeDivergence {
				w.failf("cascade refused: canonical divergence: %v", err)
			}
			return w.activityFailed(desc, err)
		}
		r.step = "resume"
		if c.NoOp {
			desc += ": nothing to do"
		} else {
			desc += fmt.Sprintf(": pivot %d, invalidated %d, generation %d, redrained %d", c.PivotNonce, c.Invalidated,
				c.Generation, c.Redrained)
		}
	case "resume":
		if err := w.activity(time.Minute, w.acts.RecoveryResume, nil); err != nil {
			return w.activityFailed(desc, err)
		}
		w.sub.signals = append(w.sub.signals, workflows.SignalResume)
		r.active = false
		w.quiesce()
	default:
		panic("unknown recovery step " + r.step)
	}
	return desc
}

// activityFailed reports a failed attempt: a retryable error leaves the
// machine at the same step (Temporal retries it). No activity may fail
// non-retryably here (divergence, identity, configuration): that is a
// violation.
func (w *world) activityFailed(desc string, err error) string {
	if nonRetryable(err) {
		w.failf("%s: non-retryable error %v", desc, err)
	}
	return fmt.Sprintf("%s: failed, will retry: %v", desc, shortErr(err))
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
