package modeltest

import (
	"bytes"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/feed"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/protocol/scheduler"
	"github.com/cartesi/sequencer/store"
	"github.com/cartesi/sequencer/workflows"
)

// dbView is what the checks read from the database, at one moment (the
// model is between steps and the lane is quiet).
type dbView struct {
	control   store.Control
	safeKnown bool
	safeBlock uint64
	inputs    []simInput
	accepted  []acceptedBatch
	batches   []localBatch
	valid     map[uint64]localBatch // valid batches by nonce
	invalid   map[common.Hash]uint64
	watermark *uint64
	feed      []feed.Entry
	invalidOf map[uint64]bool // offsets of invalidated batches
}

type acceptedBatch struct {
	nonce, index, block uint64
	hash                common.Hash
}

type localBatch struct {
	id          int64
	nonce       uint64
	sealed      bool
	invalidated bool
	hash        common.Hash
}

func (w *world) readDB() dbView {
	ctx := w.ctx
	v := dbView{valid: map[uint64]localBatch{}, invalid: map[common.Hash]uint64{}, invalidOf: map[uint64]bool{}}
	dv, err := store.ReadDangerView(ctx, w.pool)
	w.must(err)
	v.control, v.safeKnown, v.safeBlock = dv.Control, dv.SafeHead.Known, dv.SafeHead.Block

	rows, err := w.pool.Query(ctx, `SELECT input_index, sender, payload, block_number, block_timestamp FROM safe_inputs ORDER BY input_index`)
	w.must(err)
	for rows.Next() {
		var in simInput
		var idx, blk, ts int64
		var sender []byte
		w.must(rows.Scan(&idx, &sender, &in.Payload, &blk, &ts))
		in.Index, in.Sender, in.InclusionBlock, in.Time = uint64(idx), common.BytesToAddress(sender), uint64(blk), uint64(ts)
		v.inputs = append(v.inputs, in)
	}
	w.must(rows.Err())

	rows, err = w.pool.Query(ctx, `SELECT nonce, input_index, block_number, payload_hash FROM accepted_batches ORDER BY nonce`)
	w.must(err)
	for rows.Next() {
		var a acceptedBatch
		var n, idx, blk int64
		var h []byte
		w.must(rows.Scan(&n, &idx, &blk, &h))
		a.nonce, a.index, a.block, a.hash = uint64(n), uint64(idx), uint64(blk), common.BytesToHash(h)
		v.accepted = append(v.accepted, a)
	}
	w.must(rows.Err())

	rows, err = w.pool.Query(ctx, `SELECT id, nonce, sealed_at IS NOT NULL, invalidated_at IS NOT NULL, payload_hash FROM batches ORDER BY id`)
	w.must(err)
	for rows.Next() {
		var b localBatch
		var n int64
		var h []byte
		w.must(rows.Scan(&b.id, &n, &b.sealed, &b.invalidated, &h))
		b.nonce, b.hash = uint64(n), common.BytesToHash(h)
		v.batches = append(v.batches, b)
		switch {
		case b.invalidated && b.sealed:
			v.invalid[b.hash] = b.nonce
		case !b.invalidated:
			if prev, dup := v.valid[b.nonce]; dup {
				w.failf("two valid batches with nonce %d (ids %d and %d)", b.nonce, prev.id, b.id)
			}
			v.valid[b.nonce] = b
		}
	}
	w.must(rows.Err())

	var mark int64
	if err := w.pool.QueryRow(ctx, `SELECT nonce FROM wallet_nonce_watermark`).Scan(&mark); err == nil {
		u := uint64(mark)
		v.watermark = &u
	}

	v.feed, err = store.NewFeedReader(w.pool).Entries(ctx, 0, 1_000_000)
	w.must(err)
	rows, err = w.pool.Query(ctx, `SELECT s."offset" FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id
		WHERE b.invalidated_at IS NOT NULL`)
	w.must(err)
	for rows.Next() {
		var o int64
		w.must(rows.Scan(&o))
		v.invalidOf[uint64(o)] = true
	}
	w.must(rows.Err())
	return v
}

func entryID(e feed.Entry) string {
	if e.Kind == feed.KindUserOp {
		return fmt.Sprintf("op %s/%d fee %d safe %d", e.Sender.String()[:8], e.Nonce, e.Fee, e.SafeBlock)
	}
	return fmt.Sprintf("direct #%d", e.InputIndex)
}

func execID(e scheduler.Executed) string {
	if e.Kind == scheduler.ExecUserOp {
		return fmt.Sprintf("op %s/%d fee %d safe %d", e.Sender.String()[:8], e.Op.Nonce, e.FeePrice, e.SafeBlock)
	}
	return fmt.Sprintf("direct #%d", e.Input.Index)
}

// foldResult is the reference scheduler run over everything that landed.
type foldResult struct {
	sched    *scheduler.Scheduler
	wallet   *wallet.Wallet
	results  []scheduler.Result
	accepted []acceptedBatch
}

func (w *world) fold(inputs []simInput) foldResult {
	wl := wallet.New(walletConfig)
	f := foldResult{sched: scheduler.New(wl, domain, submitterAddr), wallet: wl}
	for _, in := range inputs {
		r := f.sched.Process(in.Input)
		f.results = append(f.results, r)
		if r.Outcome.ConsumesNonce() {
			f.accepted = append(f.accepted, acceptedBatch{nonce: r.Batch.Nonce, index: in.Index, block: in.InclusionBlock,
				hash: crypto.Keccak256Hash(in.Payload)})
		}
	}
	return f
}

// check runs every invariant against the database and the simulated L1.
func (w *world) check() {
	defer w.timed(&w.stats.checkNs)()
	v := w.readDB()
	simSafe := w.sim.SafeBlock()
	landed := w.sim.InputsUpTo(w.sim.Latest())

	if v.control.Divergence != "" {
		w.failf("canonical divergence recorded: %s", v.control.Divergence)
	}
	// The database mirrors L1 exactly up to its safe head, and never past
	// L1's safe block.
	if v.safeKnown && v.safeBlock > simSafe {
		w.failf("the database's safe head %d is above L1's safe block %d", v.safeBlock, simSafe)
	}
	var safeInputs []simInput
	for _, in := range landed {
		if v.safeKnown && in.InclusionBlock <= v.safeBlock {
			safeInputs = append(safeInputs, in)
		}
	}
	if len(v.inputs) != len(safeInputs) {
		w.failf("the database holds %d safe inputs, L1 has %d up to block %d", len(v.inputs), len(safeInputs), v.safeBlock)
	}
	for i, in := range v.inputs {
		s := safeInputs[i]
		if in.Index != s.Index || in.Sender != s.Sender || !bytes.Equal(in.Payload, s.Payload) ||
			in.InclusionBlock != s.InclusionBlock || in.Time != s.Time {
			w.failf("safe input %d differs from L1: %+v vs %+v", i, in, s)
		}
	}

	f := w.fold(landed)
	// (a) the rollup's expected batch nonce counts the batches it accepted,
	// and the observer's frontier is exactly the fold over the safe inputs.
	if got := f.sched.ExpectedBatchNonce(); got != uint64(len(f.accepted)) {
		w.failf("expected batch nonce %d but %d batches accepted", got, len(f.accepted))
	}
	var safeAccepted []acceptedBatch
	for _, a := range f.accepted {
		if v.safeKnown && a.block <= v.safeBlock {
			safeAccepted = append(safeAccepted, a)
		}
	}
	if fmt.Sprint(safeAccepted) != fmt.Sprint(v.accepted) {
		w.failf("accepted_batches %v, but the scheduler over the safe inputs accepts %v", v.accepted, safeAccepted)
	}

	feedByNonce := map[uint64][]feed.Entry{}
	var prevNonce uint64
	for i, e := range v.feed {
		if i > 0 && e.BatchNonce < prevNonce {
			w.failf("valid feed goes back from batch %d to batch %d at offset %d", prevNonce, e.BatchNonce, e.Offset)
		}
		prevNonce = e.BatchNonce
		feedByNonce[e.BatchNonce] = append(feedByNonce[e.BatchNonce], e)
	}

	// execAt[i] = (accepted batches so far, input being processed) when
	// direct input i executed.
	type when struct{ accepted, input uint64 }
	execAt := map[uint64]when{}
	var forcedBetween []uint64 // forced since the last accepted batch, in order
	acceptedSoFar := uint64(0)
	for _, r := range f.results {
		switch r.Outcome {
		case scheduler.RejectedDecode, scheduler.RejectedSafeBlock:
			w.failf("the rollup rejected a batch of ours (input %d): %s: %v", r.Input.Index, r.Outcome, r.Err)
		}
		if len(r.Skipped) > 0 {
			w.failf("the rollup skipped ops of batch %d (input %d): %+v", r.Batch.Nonce, r.Input.Index, r.Skipped)
		}
		if r.Outcome.ConsumesNonce() {
			n := r.Batch.Nonce
			hash := crypto.Keccak256Hash(r.Input.Payload)
			// (b) no invalidated batch ever executes; what executes is the
			// valid local batch with that nonce.
			if inv, bad := v.invalid[hash]; bad {
				w.failf("INVALIDATED batch %d (%s) executed on L1 (input %d, block %d)", inv, hash, r.Input.Index, r.Input.InclusionBlock)
			}
			lb, ok := v.valid[n]
			if !ok || !lb.sealed || lb.hash != hash {
				w.failf("L1 accepted batch %d (%s, input %d, block %d) but the valid local batch with that nonce is %+v (found %v)",
					n, hash, r.Input.Index, r.Input.InclusionBlock, lb, ok)
			}
			// (c) the valid feed equals the scheduler's order, batch by
			// batch. The feed's entries of batch n must be: the direct
			// inputs the backstop forced since batch n−1 (the rollup ran
			// them before this batch; the frame finds them gone), then
			// exactly what executed while the rollup processed the batch
			// (inputs it forced first, then the frames).
			fk := feedByNonce[n]
			var got, want []string
			j := 0
			for ; j < len(fk) && fk[j].Kind == feed.KindDirectInput; j++ {
				at, ok := execAt[fk[j].InputIndex]
				if !ok || at.accepted != n || at.input >= r.Input.Index {
					break
				}
				got = append(got, entryID(fk[j]))
			}
			for _, idx := range forcedBetween {
				want = append(want, fmt.Sprintf("direct #%d", idx))
			}
			for _, e := range fk[j:] {
				got = append(got, entryID(e))
			}
			for _, e := range r.Executed {
				want = append(want, execID(e))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				w.failf("batch %d: the valid feed says\n    %s\nbut the rollup executed\n    %s", n,
					strings.Join(got, "\n    "), strings.Join(want, "\n    "))
			}
		}
		for _, e := range r.Executed {
			if e.Kind == scheduler.ExecDirectInput {
				if _, twice := execAt[e.Input.Index]; twice {
					w.failf("direct input %d executed twice", e.Input.Index)
				}
				execAt[e.Input.Index] = when{acceptedSoFar, r.Input.Index}
				if !r.Outcome.ConsumesNonce() {
					forcedBetween = append(forcedBetween, e.Input.Index)
				}
			}
		}
		if r.Outcome.ConsumesNonce() {
			acceptedSoFar++
			forcedBetween = nil
		}
	}

	// (d) every acknowledged op is in the valid feed at its offset, or its
	// offset belongs to an invalidated batch (a cascade revoked it); and
	// every op in the valid feed was acknowledged.
	byOffset := make(map[uint64]feed.Entry, len(v.feed))
	for _, e := range v.feed {
		byOffset[e.Offset] = e
	}
	acked := make(map[uint64]bool, len(w.acks))
	for _, a := range w.acks {
		acked[a.offset] = true
		e, ok := byOffset[a.offset]
		switch {
		case ok:
			if e.Kind != feed.KindUserOp || e.Sender != userAddr(a.user) || e.Nonce != a.nonce {
				w.failf("acknowledged op user %d nonce %d at offset %d, but the feed has %s there", a.user, a.nonce, a.offset, entryID(e))
			}
		case !v.invalidOf[a.offset]:
			w.failf("acknowledged op user %d nonce %d at offset %d is neither in the valid feed nor revoked", a.user, a.nonce, a.offset)
		}
	}
	for _, e := range v.feed {
		if e.Kind == feed.KindUserOp && !acked[e.Offset] {
			w.failf("op %s at offset %d is in the valid feed but was never acknowledged", entryID(e), e.Offset)
		}
	}

	// (e) the watermark covers every wallet nonce that was ever broadcast
	// (checked at each send as well) and, once a flush completed, L1 never
	// goes below it.
	for _, st := range w.sim.Zombies() {
		if v.watermark == nil || st.tx.Nonce() > *v.watermark {
			w.failf("a transaction at nonce %d exists above the watermark %v", st.tx.Nonce(), v.watermark)
		}
	}
	if w.flushed != nil {
		if _, safeNonce := w.sim.AccountNonce(); safeNonce < *w.flushed+1 {
			w.failf("after a flush covering watermark %d, the safe account nonce is %d", *w.flushed, safeNonce)
		}
	}
}

// checkFlush: a completed flush means every wallet slot up to the watermark
// is consumed at the safe block it reports.
func (w *world) checkFlush(f workflows.FlushResult) {
	w.stats.flushes.Add(1)
	v := w.readDB()
	if f.SafeBlock > w.sim.SafeBlock() {
		w.failf("flush reports safe block %d above L1's %d", f.SafeBlock, w.sim.SafeBlock())
	}
	if v.watermark == nil {
		return
	}
	at, err := w.sim.NonceAt(w.ctx, submitterAddr, new(big.Int).SetUint64(f.SafeBlock))
	w.must(err)
	if at < *v.watermark+1 || f.Watermark == nil || *f.Watermark != *v.watermark {
		w.failf("flush done at safe block %d with watermark %v (now %d), but the account nonce there is %d", f.SafeBlock,
			f.Watermark, *v.watermark, at)
	}
	wm := *f.Watermark
	w.flushed = &wm
	latest, pending, _, err := w.sim.Nonces(w.ctx)
	w.must(err)
	if pending > latest {
		w.failf("flush done but the node still has pending transactions (latest %d, pending %d)", latest, pending)
	}
}

// isSettled: nothing in flight, everything sealed has landed and been
// accepted, the observer caught up.
func (w *world) isSettled() bool {
	if w.rec.active || len(w.sim.PoolNonces()) > 0 {
		return false
	}
	v := w.readDB()
	if !v.safeKnown || v.safeBlock != w.sim.SafeBlock() {
		return false
	}
	f := w.fold(w.sim.InputsUpTo(w.sim.Latest()))
	if uint64(len(v.accepted)) != f.sched.ExpectedBatchNonce() {
		return false
	}
	for n, b := range v.valid {
		if b.sealed && n >= uint64(len(v.accepted)) {
			return false
		}
	}
	return true
}

// settle plays an honest L1 and a healthy worker until everything sealed is
// accepted: liveness after whatever the adversary did. Once nothing is in
// flight any more the lane's clock stops (else batches sealed by age keep
// coming), and the rounds go on until every sealed batch is accepted.
func (w *world) settle() {
	w.sim.SetSafeLag(2)
	w.logf("settle: honest L1 and worker from here")
	for i := 0; i < 200; i++ {
		if !w.clockFrozen && !w.rec.active && len(w.sim.PoolNonces()) == 0 && i >= 3 {
			w.clockFrozen = true
			w.logf("settle: the sequencer's clock stops")
		}
		if w.clockFrozen && w.isSettled() {
			return
		}
		w.stepNo++
		w.logf("L1: mine 1 block: %s", w.mined(w.sim.Mine(100, true, nil)))
		w.logf("%s", w.observe())
		for j := 0; j < 4 && w.rec.active; j++ {
			w.logf("%s", w.recoveryStep())
		}
		for j := 0; j < 3; j++ {
			w.logf("%s", w.submitterStep())
		}
		w.check()
	}
	w.failf("liveness: not settled after 200 honest rounds")
}

// finalChecks: after settling, the rollup's state equals a replay of the
// valid feed over the accepted batches, and the lane's live state equals a
// replay of the whole valid feed.
func (w *world) finalChecks() {
	w.check()
	v := w.readDB()
	f := w.fold(w.sim.InputsUpTo(w.sim.Latest()))
	accepted := f.sched.ExpectedBatchNonce()
	replayed, all := wallet.New(walletConfig), wallet.New(walletConfig)
	for _, e := range v.feed {
		targets := []*wallet.Wallet{all}
		if e.BatchNonce < accepted {
			targets = append(targets, replayed)
		}
		for _, wl := range targets {
			if e.Kind == feed.KindDirectInput {
				wl.ApplyDirectInput(app.DirectInput{Sender: e.Sender, Payload: e.Payload, BlockNumber: e.BlockNumber, Index: e.InputIndex})
				continue
			}
			uctx := app.UserOpContext{Sender: e.Sender, FeePrice: e.Fee, SafeBlock: e.SafeBlock}
			op := protocol.UserOp{Nonce: e.Nonce, MaxFee: 2000, Data: e.Data}
			if err := app.Validate(wl, uctx, op); err != nil {
				w.failf("valid feed op at offset %d does not validate on replay: %v", e.Offset, err)
			}
			wl.ApplyUserOp(uctx, op)
		}
	}
	// Direct inputs the backstop forced after the last accepted batch ran
	// on L1 already; the feed has them in the tip (or not yet).
	forced := 0
	acceptedSoFar := uint64(0)
	for _, r := range f.results {
		for _, e := range r.Executed {
			if e.Forced {
				forced++
				if acceptedSoFar == accepted {
					replayed.ApplyDirectInput(app.DirectInput{Sender: e.Input.Sender, Payload: e.Input.Payload,
						BlockNumber: e.Input.InclusionBlock, Index: e.Input.Index})
				}
			}
		}
		switch r.Outcome {
		case scheduler.SkippedStale:
			w.stats.stale.Add(1)
		case scheduler.Accepted, scheduler.AcceptedEmpty:
			acceptedSoFar++
			if first := r.Batch.Frames; len(first) > 0 && r.Input.InclusionBlock-first[0].SafeBlock >= dangerLine {
				w.stats.lateAccepted.Add(1)
			}
		}
	}
	w.stats.forcedDirects.Add(int64(forced))
	if !bytes.Equal(replayed.Snapshot(), f.wallet.Snapshot()) {
		w.failf("the rollup's wallet differs from a replay of the valid feed over the accepted batches")
	}
	if !bytes.Equal(all.Snapshot(), w.lp.lane.StateSnapshot()) {
		w.failf("the lane's live state differs from a replay of the valid feed")
	}
	var sealed, cascades int64
	for _, b := range v.batches {
		if b.sealed {
			sealed++
		}
	}
	w.must(w.pool.QueryRow(w.ctx, `SELECT recovery_generation FROM control`).Scan(&cascades))
	w.stats.batchesSealed.Add(sealed)
	w.stats.cascades.Add(cascades)
}
