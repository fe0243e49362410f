package hotpath

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/holiman/uint256"

	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/feed"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
)

// serve is the lane's main loop while it holds the writer lock.
func (l *Lane) serve(ctx context.Context) error {
	l.setStatus(func(s *Status) { s.Reason = "" })
	if err := l.maintain(ctx); err != nil {
		return err
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	// now is always ready: while a bounded drain is behind, the next frame
	// opens as soon as the lane is free, interleaved with chunks (select
	// picks among ready cases at random), not a poll interval later.
	now := make(chan time.Time)
	close(now)
	for {
		var catchUp <-chan time.Time
		if l.st.behind {
			catchUp = now
		}
		select {
		case <-ctx.Done():
			return l.drain(context.WithoutCancel(ctx))
		case req := <-l.intake:
			if !l.intakeOpen.Load() {
				req.reply <- reply{err: ErrUnavailable}
				continue
			}
			if err := l.processChunk(ctx, l.collect(req)); err != nil {
				return err
			}
		case <-tick.C:
			if err := l.maintain(ctx); err != nil {
				return err
			}
		case <-catchUp:
			if err := l.maintain(ctx); err != nil {
				return err
			}
		}
	}
}

// collect gathers up to ChunkSize queued requests without waiting.
func (l *Lane) collect(first *request) []*request {
	chunk := make([]*request, 1, ChunkSize)
	chunk[0] = first
	for len(chunk) < ChunkSize {
		select {
		case req := <-l.intake:
			chunk = append(chunk, req)
		default:
			return chunk
		}
	}
	return chunk
}

// drain is the first phase of shutdown: close intake, then commit and answer
// everything already queued.
func (l *Lane) drain(ctx context.Context) error {
	l.closeIntake("shutting down")
	ctx, cancel := context.WithTimeout(ctx, drainTimeout)
	defer cancel()
	for {
		select {
		case req := <-l.intake:
			if err := l.processChunk(ctx, l.collect(req)); err != nil {
				l.rejectQueued(ErrUnavailable)
				return err
			}
		default:
			l.log.Info("lane drained")
			return nil
		}
	}
}

// pendingOp is an op executed in memory, waiting for its commit.
type pendingOp struct {
	req   *request
	entry feed.Entry
}

// processChunk executes a chunk against the live state, commits the
// included ops in one transaction (sealing the batch in the same
// transaction when it reaches its size target), and only then answers. A
// failed commit answers no one with success and ends the session, which
// rebuilds the state from the database.
func (l *Lane) processChunk(ctx context.Context, chunk []*request) error {
	for len(chunk) > 0 {
		start := time.Now()
		var (
			included []pendingOp
			rows     []store.NewUserOp
			wireOps  []protocol.WireUserOp
			full     bool
		)
		tip := &l.st.tip
		// Under backlog the batch fills up to MaxBatchBytes instead of the
		// economic target (capacity.md §1); the latest admission figures
		// decide, read once per write.
		large := l.admissionNow().LargeBatches
		size := l.st.tipSize
		l.mu.Lock()
		i := 0
		for ; i < len(chunk) && !full; i++ {
			req := chunk[i]
			op := req.op
			uctx := app.UserOpContext{Sender: op.Sender, FeePrice: tip.FrameFee, SafeBlock: tip.FrameSafeBlock}
			if err := app.Validate(l.app, uctx, op.UserOp); err != nil {
				req.reply <- reply{err: &RejectedError{Reason: err}}
				l.metrics.rejected.Inc()
				continue
			}
			l.app.ApplyUserOp(uctx, op.UserOp)
			offset := l.st.nextOffset + uint64(len(rows))
			rows = append(rows, store.NewUserOp{Offset: offset, BatchID: tip.BatchID, FramePosition: tip.FramePosition,
				Sender: op.Sender, Nonce: op.UserOp.Nonce, MaxFee: op.UserOp.MaxFee, Data: op.UserOp.Data,
				Signature: op.Signature[:], ReceivedAt: op.ReceivedAt})
			wire := protocol.WireUserOp{Nonce: op.UserOp.Nonce, MaxFee: op.UserOp.MaxFee,
				Data: op.UserOp.Data, Signature: op.Signature[:]}
			wireOps = append(wireOps, wire)
			size += opOffsetBytes + wire.EncodedSize()
			included = append(included, pendingOp{req: req, entry: feed.Entry{Offset: offset, Kind: feed.KindUserOp,
				Sender: op.Sender, BatchNonce: tip.Nonce, Generation: l.st.generation, Nonce: op.UserOp.Nonce, Fee: tip.FrameFee,
				Data: op.UserOp.Data, SafeBlock: tip.FrameSafeBlock}})
			full = l.batchFull(tip.OpCount+len(rows), size, large)
		}
		l.mu.Unlock()
		chunk = chunk[i:]
		if len(rows) == 0 {
			continue
		}
		w := store.Write{Ops: rows}
		withOps := l.tipWith(wireOps)
		if full {
			l.addSeal(&w, withOps, l.st.nextOffset+uint64(len(rows))-1, tip.OpCount+len(rows))
		}
		res, err := l.apply(ctx, w)
		if err != nil {
			for _, p := range included {
				p.req.reply <- reply{err: fmt.Errorf("commit failed: %w", err)}
			}
			for _, req := range chunk {
				req.reply <- reply{err: ErrUnavailable}
			}
			return err
		}
		l.metrics.commitSeconds.Observe(time.Since(start).Seconds())
		l.metrics.chunkSize.Observe(float64(len(rows)))
		l.st.nextOffset += uint64(len(rows))
		l.st.lastValid = l.st.nextOffset - 1
		tip.OpCount += len(rows)
		l.tipOps.Store(int64(tip.OpCount))
		l.st.tipBatch = withOps
		l.st.tipSize = size
		entries := make([]feed.Entry, len(included))
		for k, p := range included {
			entries[k] = p.entry
			p.req.reply <- reply{receipt: Receipt{Sender: p.entry.Sender, Nonce: p.entry.Nonce, Offset: p.entry.Offset, Fee: p.entry.Fee,
				BatchNonce: p.entry.BatchNonce, Generation: p.entry.Generation}}
		}
		l.deps.Hub.Publish(entries)
		l.setStatus(func(s *Status) { s.Head = entries[len(entries)-1].Offset })
		if full {
			l.afterSeal(res, w)
		}
	}
	return nil
}

// batchFull reports whether a batch of opCount ops whose payload encodes to
// size bytes must be sealed now:
//   - always when one more worst-case op (and a frame, should one open
//     first) could take it over MaxBatchBytes, so no payload ever exceeds
//     the cap;
//   - unless large (a backlog of more than one submitter window), when it
//     has reached the economic size target:
//     op_count × (65 + 4 + 2 + max_payload) ≥ fee_to_linear(target).
func (l *Lane) batchFull(opCount, size int, large bool) bool {
	if !l.roomFor(size, 0) {
		return true
	}
	if large {
		return false
	}
	worst := uint256.NewInt(uint64(opCount) * uint64(worstCaseOpFixed+l.maxPayload))
	return !worst.Lt(l.st.sizeLimit)
}

// roomFor reports whether a tip of size bytes, after frames more frames are
// opened in it, still has room for one worst-case op and one more frame
// under MaxBatchBytes. The lane keeps this true of every open tip: each op
// then fits, and a frame rotation never strands a tip over the cap.
func (l *Lane) roomFor(size, frames int) bool {
	return size+frames*frameOverheadBytes+l.worstOpBytes+frameOverheadBytes <= l.adm.MaxBatchBytes
}

// tipWith returns the tip batch with ops appended to its last frame,
// leaving l.st.tipBatch untouched until the write commits.
func (l *Lane) tipWith(ops []protocol.WireUserOp) protocol.Batch {
	b := l.st.tipBatch
	if len(ops) == 0 {
		return b
	}
	frames := append([]protocol.Frame(nil), b.Frames...)
	last := &frames[len(frames)-1]
	last.UserOps = append(append([]protocol.WireUserOp(nil), last.UserOps...), ops...)
	b.Frames = frames
	return b
}

// addSeal adds to w the seal of the tip — its payload (batch, the tip's rows
// plus this write's ops) and the snapshot of the current state, which
// includes everything up to lastOffset — and the opening of the next batch
// with its first frame at the same safe block.
func (l *Lane) addSeal(w *store.Write, batch protocol.Batch, lastOffset uint64, opCount int) {
	tip := l.st.tip
	w.Seal = &store.Seal{BatchID: tip.BatchID, Payload: batch.Encode(), StateOffset: lastOffset, OpCount: opCount}
	w.Batch = &store.NewBatch{ParentID: tip.BatchID, Nonce: tip.Nonce + 1, Generation: l.st.generation}
	w.Frame = &store.NewFrame{Position: 0, SafeBlock: tip.FrameSafeBlock, Fee: l.newFrameFee(false)}
}

func (l *Lane) afterSeal(res store.WriteResult, w store.Write) {
	old := l.st.tip
	l.metrics.batchesSealed.Inc()
	l.log.Info("sealed batch", "nonce", old.Nonce, "ops", old.OpCount, "bytes", len(w.Seal.Payload),
		"hash", res.SealedHash, "state_offset", w.Seal.StateOffset)
	l.st.tipBatch = protocol.Batch{Nonce: w.Batch.Nonce, Frames: []protocol.Frame{{SafeBlock: w.Frame.SafeBlock, FeePrice: w.Frame.Fee}}}
	l.st.tipSize = emptyBatchBytes
	l.setTip(store.Tip{BatchID: res.NewBatchID, Nonce: w.Batch.Nonce, CreatedAt: l.now(),
		FirstSafeBlock: w.Frame.SafeBlock, FramePosition: 0, FrameSafeBlock: w.Frame.SafeBlock, FrameFee: w.Frame.Fee})
}

// maintain runs between chunks: it follows the control row (recovery fence,
// divergence), sets intake from the danger detector, opens a frame when the
// safe head has advanced enough, and seals a batch that is too old.
func (l *Lane) maintain(ctx context.Context) error {
	ls := l.st.store
	ctl, err := ls.Control(ctx)
	if err != nil {
		return err
	}
	if ctl.Divergence != "" {
		return fmt.Errorf("%w: canonical divergence recorded: %s", ErrTerminal, ctl.Divergence)
	}
	if ctl.Recovering() {
		return errFenced
	}
	if ctl.Generation != l.st.generation {
		return fmt.Errorf("recovery generation moved from %d to %d: rebuilding", l.st.generation, ctl.Generation)
	}
	if ctl.BatchSubmitter != nil {
		l.st.submitter = *ctl.BatchSubmitter
	}
	if l.now().Sub(l.st.policyReadAt) >= policyReadInterval {
		p, err := ls.Policy(ctx)
		if err != nil {
			return err
		}
		l.setPolicy(p)
	}

	danger := l.Danger()
	if danger == DangerDivergence {
		return fmt.Errorf("%w: danger detector reports canonical divergence", ErrTerminal)
	}
	if danger != DangerSafe {
		l.closeIntake("danger: " + string(danger))
	} else {
		l.openIntake()
	}

	head, err := ls.SafeHead(ctx)
	if err != nil {
		return err
	}
	tip := l.st.tip
	// A new frame opens every FrameClockInterval blocks of safe head, and at
	// once while a bounded drain left inputs behind.
	if head.Known && (head.Block >= tip.FrameSafeBlock+protocol.FrameClockInterval || (l.st.behind && head.Block > tip.FrameSafeBlock)) {
		// A frame adds bytes to the payload: if the tip could no longer take
		// a worst-case op after it, seal the tip first (rare: only a tip
		// filled close to MaxBatchBytes that sees two rotations before its
		// next op).
		if !l.roomFor(l.st.tipSize, 1) {
			if err := l.sealTip(ctx, "size"); err != nil {
				return err
			}
		}
		if err := l.rotateFrame(ctx, head.Block, head.Block >= l.st.clockBlock+protocol.FrameClockInterval); err != nil {
			return err
		}
	}
	if l.cfg.MaxBatchOpen > 0 && l.now().Sub(l.st.tip.CreatedAt) >= l.cfg.MaxBatchOpen {
		if err := l.sealTip(ctx, "age"); err != nil {
			return err
		}
	}
	return nil
}

// rotateFrame opens a frame with a fresh fee at the new safe head — or
// short of it, when more direct inputs wait than one frame drains (the next
// frames catch up) — and drains the direct inputs up to it, in one
// transaction.
//
// clock says the L1 clock opens this frame (the head moved a frame interval
// since the last such frame): only then may the admission fee step. A
// catch-up frame opened because a bounded drain left inputs behind is not
// one.
func (l *Lane) rotateFrame(ctx context.Context, safeBlock uint64, clock bool) error {
	tip := &l.st.tip
	fee := l.newFrameFee(clock)
	if clock {
		l.st.clockBlock = safeBlock
	}
	entries, frame, err := l.drainInto(ctx, tip.BatchID, tip.FramePosition+1, tip.Nonce, safeBlock, fee)
	if err != nil {
		return err
	}
	if _, err := l.apply(ctx, store.Write{Frame: frame}); err != nil {
		return err
	}
	l.commitDrained(entries)
	l.st.behind = frame.SafeBlock < safeBlock
	if l.st.behind {
		l.state.boundedDrains.Inc()
	}
	safeBlock = frame.SafeBlock
	l.st.tipBatch.Frames = append(l.st.tipBatch.Frames, protocol.Frame{SafeBlock: safeBlock, FeePrice: fee})
	l.st.tipSize += frameOverheadBytes
	tip.FramePosition, tip.FrameSafeBlock, tip.FrameFee = frame.Position, safeBlock, fee
	l.setTip(*tip)
	l.metrics.framesOpened.Inc()
	l.log.Debug("opened frame", "batch_nonce", tip.Nonce, "position", frame.Position, "safe_block", safeBlock,
		"fee", fee, "drained", len(entries))
	return nil
}

// sealTip closes the tip outside a chunk: because it has been open too long
// (reason "age"), even if it is empty — an aging open batch would otherwise
// drift into danger — or because a frame would leave it no room under
// MaxBatchBytes (reason "size").
func (l *Lane) sealTip(ctx context.Context, reason string) error {
	l.log.Debug("sealing the open batch", "reason", reason, "nonce", l.st.tip.Nonce, "bytes", l.st.tipSize)
	var w store.Write
	// The snapshot includes every valid entry so far: l.st.lastValid, not
	// nextOffset−1, which after a cascade that re-drained nothing names an
	// invalidated entry (a client resuming the feed there would get 409).
	l.addSeal(&w, l.st.tipBatch, l.st.lastValid, l.st.tip.OpCount)
	res, err := l.apply(ctx, w)
	if err != nil {
		return err
	}
	l.afterSeal(res, w)
	return nil
}

func (l *Lane) openIntake() {
	if !l.intakeOpen.Swap(true) {
		l.log.Info("intake open")
		l.setStatus(func(s *Status) { s.Reason = "" })
	}
}

func (l *Lane) closeIntake(reason string) {
	if l.intakeOpen.Swap(false) {
		l.log.Warn("intake closed", "reason", reason)
	}
	l.setStatus(func(s *Status) { s.Reason = reason })
	l.rejectQueued(ErrUnavailable)
}

// rejectQueued answers every queued request with err.
func (l *Lane) rejectQueued(err error) {
	for {
		select {
		case req := <-l.intake:
			req.reply <- reply{err: err}
		default:
			return
		}
	}
}

// runDetector classifies danger every dangerInterval until ctx ends.
func (l *Lane) runDetector(ctx context.Context) {
	interval := l.cfg.DangerInterval
	if interval <= 0 {
		interval = dangerInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		l.detectOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (l *Lane) detectOnce(ctx context.Context) {
	v, err := store.ReadDangerView(ctx, l.deps.Pool)
	if err != nil {
		if ctx.Err() == nil {
			l.log.Warn("danger detector cannot read the database", "err", err)
		}
		return
	}
	d := Classify(v, l.now(), l.cfg.Danger)
	if prev := l.danger.Swap(d); prev != d {
		l.log.Warn("danger state changed", "from", prev, "to", d)
		if d != DangerSafe {
			// Close at once rather than at the next maintenance tick.
			l.intakeOpen.Store(false)
		}
	}
	l.metrics.setDanger(d)
}

// IsTerminal reports whether err means the process must exit 30.
func IsTerminal(err error) bool { return errors.Is(err, ErrTerminal) }
