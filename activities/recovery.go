package activities

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/cartesi/sequencer/l1"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
	"github.com/cartesi/sequencer/workflows"
)

// RecoveryStore is the recovery role of the database.
type RecoveryStore interface {
	Fence(ctx context.Context) error
	Resume(ctx context.Context) error
	Assess(ctx context.Context) (store.Assessment, error)
	Cascade(ctx context.Context, req store.CascadeRequest) (store.CascadeResult, error)
}

// SelfTransferBuilder is the poster's flush support.
type SelfTransferBuilder interface {
	BuildSelfTransfer(ctx context.Context, nonce uint64, fees l1.Fees) (*types.Transaction, error)
}

// RecoveryFence sets the control row to recovering: the lane closes intake
// and releases the writer lock. Idempotent: a retry sets it again.
func (a *Activities) RecoveryFence(ctx context.Context) error {
	a.Log.Warn("recovery: fencing the lane")
	return a.Recovery.Fence(ctx)
}

// RecoveryResume clears the fence: the lane rebuilds and reopens intake.
// Idempotent.
func (a *Activities) RecoveryResume(ctx context.Context) error {
	a.Log.Warn("recovery: resuming the lane")
	return a.Recovery.Resume(ctx)
}

// RecoveryAssess reads what the recovery must do. Read-only.
func (a *Activities) RecoveryAssess(ctx context.Context) (workflows.Assessment, error) {
	as, err := a.Recovery.Assess(ctx)
	if err != nil {
		return workflows.Assessment{}, err
	}
	out := workflows.Assessment{Divergence: as.Control.Divergence, HasUnaccepted: as.Pivot != nil}
	if as.Pivot != nil {
		out.PivotNonce = as.Pivot.Nonce
	}
	if as.Tip != nil && as.SafeHead.Known && as.SafeHead.Block >= as.TipFirstSafeBlock {
		out.TipInDanger = as.SafeHead.Block-as.TipFirstSafeBlock >= a.dangerLine()
	}
	return out, nil
}

func (a *Activities) dangerLine() uint64 {
	return protocol.MaxWaitBlocks - a.Danger.MarginBlocks
}

// FlushMempool consumes every wallet nonce a delayed batch transaction of
// ours could still take: while the account's pending nonce is above its safe
// nonce, or its safe nonce has not passed the watermark, it sends 0-ETH
// self-transfers at every nonce in [latest, max(pending, watermark+1)) —
// raising the watermark first — and waits. Fees follow the submitter's
// replacement rule (l1.ReplacementFees, capacity.md §1): the first
// broadcast at a nonce is priced 3× a fresh estimate; a self-transfer not
// included after ResendAfterBlocks blocks is re-sent at the same nonce
// +12.5% (or the fresh 3× estimate, if higher); no fee ever exceeds
// MaxFeePerGas — at the cap it re-broadcasts the same transaction and sets
// sequencer_flush_fee_cap_reached. Polling more often than blocks arrive
// never raises a fee. It returns the safe block at which the account's slots
// were all consumed. Heartbeats; a retry starts the loop again with no
// memory of earlier fees, which is harmless: consumed nonces are never
// re-sent, and a pending self-transfer that the fresh price does not clear
// answers "replacement underpriced" (counted as sent) until it is bumped.
func (a *Activities) FlushMempool(ctx context.Context) (workflows.FlushResult, error) {
	var res workflows.FlushResult
	type slot struct {
		fees   l1.Fees
		block  uint64 // the block number when it was (re)broadcast
		capped bool   // the cap limited it, or left no room for a bump
	}
	sent := map[uint64]slot{}
	poll := a.PollInterval
	if poll <= 0 {
		poll = time.Second
	}
	resendAfter := a.ResendAfterBlocks
	if resendAfter == 0 {
		resendAfter = 3
	}
	defer a.Metrics.flushCapped(false)
	wasCapped := false
	for {
		latest, pending, safe, err := a.Poster.Nonces(ctx)
		if err != nil {
			return res, classify(err)
		}
		mark, has, err := a.Submitter.Watermark(ctx)
		if err != nil {
			return res, err
		}
		need := uint64(0)
		if has {
			need = mark + 1
		}
		activity.RecordHeartbeat(ctx, fmt.Sprintf("latest %d pending %d safe %d watermark+1 %d", latest, pending, safe, need))
		if pending <= safe && safe >= need {
			head, err := a.Reader.SafeHead(ctx)
			if err != nil {
				return res, classify(err)
			}
			res.SafeBlock = head.Number
			if has {
				res.Watermark = &mark
			}
			a.Log.Warn("recovery: mempool flushed", "safe_block", head.Number, "watermark", mark, "sent", res.Sent)
			return res, nil
		}
		upper := max(pending, need)
		if latest < upper {
			if err := a.Submitter.RaiseWatermark(ctx, upper-1); err != nil {
				return res, err
			}
			block, err := a.Chain.BlockNumber(ctx)
			if err != nil {
				return res, classify(err)
			}
			fresh, err := a.Poster.SuggestFees(ctx)
			if err != nil {
				return res, classify(err)
			}
			tripled := l1.Fees{TipCap: new(big.Int).Mul(fresh.TipCap, big.NewInt(3)), FeeCap: new(big.Int).Mul(fresh.FeeCap, big.NewInt(3))}
			anyCapped := false
			for n := latest; n < upper; n++ {
				var prev *l1.Fees
				if s, ok := sent[n]; ok {
					if block < s.block+resendAfter {
						anyCapped = anyCapped || s.capped
						continue // not due: give the last broadcast its blocks
					}
					prev = &s.fees
				}
				fees, capped, ok := l1.ReplacementFees(prev, tripled, a.MaxFeePerGas)
				capped = capped || !ok
				anyCapped = anyCapped || capped
				if !ok {
					// No valid bump under the cap: broadcast the same
					// transaction again, in case the node dropped it.
					fees = *prev
				}
				tx, err := a.Flusher.BuildSelfTransfer(ctx, n, fees)
				if err != nil {
					return res, classify(err)
				}
				switch err := a.Poster.Send(ctx, tx); {
				case err == nil, errors.Is(err, l1.ErrCheckReceipt):
					sent[n] = slot{fees: fees, block: block, capped: capped}
					res.Sent++
				default:
					return res, classify(err)
				}
			}
			if anyCapped && !wasCapped {
				a.Log.Error("recovery flush: fees at SEQ_L1_MAX_FEE_PER_GAS_GWEI; waiting for L1 without bumping further",
					"max_fee_per_gas", a.MaxFeePerGas)
			}
			wasCapped = anyCapped
			a.Metrics.flushCapped(anyCapped)
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// WaitSynced waits until the observer has recorded a safe head at or past
// block: the cascade must see every input up to the flush. There is no
// shortcut when the provider is down: it keeps waiting (and heartbeating)
// for up to a minute per attempt, then fails to be retried.
func (a *Activities) WaitSynced(ctx context.Context, block uint64) error {
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := a.Observer.State(ctx)
		if err != nil {
			return err
		}
		if st.SafeHead.Known && st.SafeHead.Block >= block {
			return nil
		}
		activity.RecordHeartbeat(ctx, st.SafeHead.Block)
		if time.Now().After(deadline) {
			return fmt.Errorf("the reader is at safe block %d, waiting for %d", st.SafeHead.Block, block)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Cascade runs the guarded cascade transaction (store.Recovery.Cascade),
// heartbeating while it runs so that a long cascade never outlives its
// heartbeat timeout (and a dead worker's attempt is retried within it).
// Idempotent: a retry in the same recovery reports what an earlier attempt
// committed (Earlier), waits with a retryable error while that attempt's
// transaction is still open, or does the work if it rolled back; outside
// that, a repeat finds nothing in danger and changes nothing. A watermark
// that moved since the flush is a non-retryable WatermarkMoved error: the
// workflow starts over from the flush.
func (a *Activities) Cascade(ctx context.Context, in workflows.CascadeInput) (workflows.CascadeResult, error) {
	started := time.Now()
	stop := heartbeatWhile(ctx, func() any { return fmt.Sprintf("cascade running for %s", time.Since(started).Round(time.Second)) })
	res, err := a.Recovery.Cascade(ctx, store.CascadeRequest{
		FlushBlock: in.FlushBlock, Flushed: in.Flushed, FlushedWatermark: in.FlushedWatermark, InDanger: a.dangerLine(), Submitter: a.BatchSubmitter,
	})
	stop()
	switch {
	case errors.Is(err, store.ErrWatermarkMoved):
		return workflows.CascadeResult{}, temporal.NewNonRetryableApplicationError(err.Error(), workflows.ErrTypeWatermarkMoved, err)
	case errors.Is(err, store.ErrCascadeRunning):
		// Retryable, typed so the Temporal UI names it.
		a.Log.Warn("recovery: an earlier cascade attempt is still running; will retry")
		return workflows.CascadeResult{}, temporal.NewApplicationErrorWithCause(err.Error(), workflows.ErrTypeCascadeRunning, err)
	case err != nil:
		return workflows.CascadeResult{}, classify(err)
	}
	if !res.NoOp {
		a.Log.Warn("recovery: cascade", "pivot_nonce", res.PivotNonce, "invalidated", res.Invalidated,
			"invalidated_ops", res.InvalidatedOps, "generation", res.Generation, "redrained", res.Redrained,
			"new_tip_id", res.NewTipID, "earlier_attempt", res.Earlier, "took", time.Since(started))
	}
	return workflows.CascadeResult{NoOp: res.NoOp, PivotNonce: res.PivotNonce, Invalidated: res.Invalidated,
		InvalidatedOps: res.InvalidatedOps, Generation: res.Generation, Redrained: res.Redrained,
		NewTipID: res.NewTipID, SafeBlock: res.SafeBlock, Fence: res.Fence, Earlier: res.Earlier}, nil
}

// heartbeatWhile records a heartbeat (with details()) now and then every
// quarter of the activity's heartbeat timeout (every 2 s when it has none)
// until the returned stop is called; stop waits for the goroutine, so no
// heartbeat follows the activity's return. For an activity that blocks in
// one call (a database transaction) and cannot heartbeat between steps.
func heartbeatWhile(ctx context.Context, details func() any) (stop func()) {
	every := 2 * time.Second
	if hb := activity.GetInfo(ctx).HeartbeatTimeout; hb > 0 {
		every = max(hb/4, 10*time.Millisecond)
	}
	activity.RecordHeartbeat(ctx, details())
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				activity.RecordHeartbeat(ctx, details())
			}
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}
