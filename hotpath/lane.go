// Package hotpath is the inclusion lane: the one goroutine that owns the
// application state, executes verified user ops against it, writes them to
// Postgres with group commit and only then acknowledges them; it also opens
// frames as the L1 safe head advances (draining direct inputs), seals
// batches, and closes intake whenever the danger detector or a recovery says
// so. It never talks to L1 or Temporal: the worker and the lane meet only in
// Postgres rows.
package hotpath

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/feed"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
)

// Internal sizes and periods (service.md: internal constants).
const (
	QueueSize          = 16384 // intake capacity: absorbs bursts, beyond it 429
	ChunkSize          = 128   // ops per group commit at most
	pollInterval       = 50 * time.Millisecond
	dangerInterval     = 2 * time.Second
	lockRetryInterval  = 500 * time.Millisecond
	sessionRetryDelay  = time.Second
	drainTimeout       = 10 * time.Second
	worstCaseOpFixed   = 65 + 4 + 2 // signature + nonce + max_fee, per op
	policyReadInterval = 10 * time.Second
)

// ErrTerminal wraps conditions after which the process must stop and a
// supervisor must not restart it (exit 30): identity mismatch, canonical
// divergence.
var ErrTerminal = errors.New("terminal")

// errFenced ends a session because a recovery holds the batch tree.
var errFenced = errors.New("recovery in progress: writer lock released")

// Config is the lane's configuration.
type Config struct {
	DatabaseURL    string
	ChainID        uint64
	App            common.Address
	BatchSubmitter *common.Address // SEQ_BATCH_SUBMITTER_ADDRESS, when set
	MaxBatchOpen   time.Duration   // SEQ_MAX_BATCH_OPEN_SECONDS
	Danger         DangerConfig
	// DangerInterval is how often the detector classifies (0 → every 2 s,
	// the spec's period; tests shorten it).
	DangerInterval time.Duration
	// Admission is admission control and the batch byte cap (capacity.md
	// §1–2); zero values take the defaults.
	Admission AdmissionConfig
	// MaxDrainPerFrame bounds the direct inputs one frame drains (0 →
	// DefaultMaxDrainPerFrame): a deposit wave is drained over several
	// frames, each commit small, intake open between them (capacity.md §3).
	// A single L1 block holding more goes whole into one frame.
	MaxDrainPerFrame int
	// Checkpoint configures the background checkpointer (checkpoint.go).
	Checkpoint CheckpointConfig
	// SessionTimeout bounds how long the lane's database session may stay
	// silent, and any one of its statements, before it ends and the writer
	// lock goes with it (0 → store.DefaultLaneTimeout, 10 s; tests shorten
	// it). See store.ConnectLane.
	SessionTimeout time.Duration
}

// Deps are the lane's collaborators.
type Deps struct {
	NewApp     func() app.Application // a fresh application in its genesis state
	Pool       *pgxpool.Pool          // for the danger detector's reads
	Hub        *feed.Hub
	Logger     *slog.Logger
	Clock      func() time.Time // nil → time.Now
	Registerer prometheus.Registerer
}

type request struct {
	op    Op
	reply chan reply
}

type reply struct {
	receipt Receipt
	err     error
}

// Lane is the inclusion lane. Submit, Quote, NextNonce, Status and
// MaxPayloadSize are safe for concurrent use; Run is called once.
type Lane struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics

	state      *stateMetrics
	intake     chan *request
	intakeOpen atomic.Bool
	stopped    chan struct{}
	danger     atomic.Value // Danger

	// mu guards app (read by NextNonce) and status.
	mu     sync.RWMutex
	app    app.Application
	status Status
	quote  FeeQuote

	maxPayload int
	// adm is the resolved admission configuration; worstOpBytes the encoded
	// size (with its offset) of the largest op the application accepts.
	adm          AdmissionConfig
	worstOpBytes int

	// Admission, shared between the lane goroutine, the admission goroutine
	// and the API: the latest computation, the open batch's committed op
	// count, the ops a batch holds at the economic target, and the extra fee
	// exponent new frames get.
	admission       atomic.Pointer[Admission]
	tipOps          atomic.Int64
	econOpsPerBatch atomic.Int64
	feeExtra        atomic.Int64

	// Lane-goroutine state: only touched by Run's goroutine.
	st laneState
}

// laneState is the lane goroutine's view of the open batch and counters.
type laneState struct {
	store          *store.LaneStore
	generation     uint64
	seenGeneration bool
	submitter      common.Address
	tip            store.Tip
	// tipBatch mirrors the open batch's stored frames and ops; its encoding
	// is the payload sealed with it.
	tipBatch   protocol.Batch
	nextOffset uint64
	// lastValid is the highest valid offset (0 when none): the offset a
	// seal's snapshot includes up to. After a recovery it lies below
	// nextOffset−1, whose offsets were invalidated and are never reused.
	lastValid    uint64
	nextDrain    uint64
	policy       store.Policy
	policyReadAt time.Time
	sizeLimit    *uint256.Int // worst-case bytes at which a batch closes
	// tipSize is len(tipBatch.Encode()), kept up to date as frames and ops
	// are appended.
	tipSize int
	// feeStep is the admission fee step of the newest frame.
	feeStep int
	// behind is set when the newest frame's drain stopped short of the safe
	// head (a bounded drain): the lane opens frames as fast as it can,
	// between chunks, until it has caught up.
	behind bool
	// clockBlock is the safe head at the last frame the L1 clock opened.
	// The admission fee steps only on those, at most once per
	// FrameClockInterval blocks: catch-up frames opened seconds apart must
	// not step it once each (capacity.md §2).
	clockBlock uint64
}

// New builds a lane; call Run to start it.
func New(cfg Config, deps Deps) *Lane {
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	if deps.Registerer == nil {
		deps.Registerer = prometheus.NewRegistry()
	}
	l := &Lane{
		cfg:     cfg,
		deps:    deps,
		log:     deps.Logger.With("component", "lane"),
		now:     deps.Clock,
		intake:  make(chan *request, QueueSize),
		stopped: make(chan struct{}),
	}
	l.app = deps.NewApp()
	l.maxPayload = l.app.MaxPayloadSize()
	l.adm = cfg.Admission.withDefaults(cfg.Danger)
	l.worstOpBytes = opOffsetBytes + (protocol.WireUserOp{Data: make([]byte, l.maxPayload),
		Signature: make([]byte, protocol.SignatureLength)}).EncodedSize()
	l.status = Status{Role: RoleStarting, Danger: string(DangerL1Stale), Mode: "normal"}
	l.danger.Store(DangerL1Stale)
	l.metrics = newMetrics(deps.Registerer, func() float64 { return float64(len(l.intake)) })
	l.state = newStateMetrics(deps.Registerer)
	l.metrics.setAdmission(l.admissionNow())
	return l
}

// Submit hands a verified op to the lane and waits for its soft
// confirmation: it returns only after the op's transaction committed, or
// with ErrUnavailable, a *BacklogError (the L1 queue delay is at or above
// the hard line: nothing was enqueued), ErrQueueFull, a *RejectedError, or
// another error (nothing acknowledged). Admission never blocks: the backlog
// check is an atomic read of the latest admission computation. If ctx ends
// first the op may still be committed.
func (l *Lane) Submit(ctx context.Context, op Op) (Receipt, error) {
	if !l.intakeOpen.Load() {
		return Receipt{}, ErrUnavailable
	}
	if a := l.admission.Load(); a != nil && a.State == AdmissionShedding {
		l.metrics.shed.Inc()
		return Receipt{}, &BacklogError{QueueDelay: a.QueueDelay, HardBlocks: a.HardBlocks, RetryAfter: a.RetryAfter}
	}
	req := &request{op: op, reply: make(chan reply, 1)}
	select {
	case l.intake <- req:
	default:
		l.metrics.queueFull.Inc()
		return Receipt{}, ErrQueueFull
	}
	select {
	case r := <-req.reply:
		return r.receipt, r.err
	case <-ctx.Done():
		return Receipt{}, ctx.Err()
	case <-l.stopped:
		// The lane answers everything it took before it stops; a request
		// still queued now was never executed.
		select {
		case r := <-req.reply:
			return r.receipt, r.err
		default:
			return Receipt{}, ErrUnavailable
		}
	}
}

// Quote returns the open frame's fee and the policy's recommendation, or
// ErrUnavailable unless this process is the active writer with intake open:
// a standby's, a starting or fenced lane's fee is not one an op would pay.
func (l *Lane) Quote() (FeeQuote, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if !l.writableLocked() {
		return FeeQuote{}, ErrUnavailable
	}
	return l.quote, nil
}

// writableLocked reports whether this process is the active writer with
// intake open: only then do its state and fee describe what the next op
// meets. A standby holds the genesis state, a fenced or restarting lane a
// state a recovery may be rewriting. Callers hold l.mu.
func (l *Lane) writableLocked() bool {
	return l.status.Role == RoleActive && l.intakeOpen.Load()
}

// nonceReader is implemented by applications with per-sender nonces (the
// wallet).
type nonceReader interface {
	Nonce(common.Address) uint32
}

// ErrNoNonces: the application has no per-sender nonces.
var ErrNoNonces = errors.New("application has no sender nonces")

// NextNonce returns the sender's next nonce in the lane's state. It reflects
// every op the lane executed, which can be a few milliseconds ahead of that
// op's commit. ErrUnavailable unless this process is the active writer with
// intake open (see Quote).
func (l *Lane) NextNonce(sender common.Address) (uint32, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if !l.writableLocked() {
		return 0, ErrUnavailable
	}
	nr, ok := l.app.(nonceReader)
	if !ok {
		return 0, ErrNoNonces
	}
	return nr.Nonce(sender), nil
}

// MaxPayloadSize is the application's largest user op data.
func (l *Lane) MaxPayloadSize() int { return l.maxPayload }

// Status returns the lane's health.
func (l *Lane) Status() Status {
	l.mu.RLock()
	s := l.status
	l.mu.RUnlock()
	s.IntakeOpen = l.intakeOpen.Load()
	s.Danger = string(l.danger.Load().(Danger))
	s.QueueDepth = len(l.intake)
	s.Admission = l.admissionNow()
	s.Admission.FeeStep = int(l.feeExtra.Load())
	return s
}

// StateSnapshot returns the canonical snapshot of the lane's live
// application state (which may include ops executed but not yet committed).
func (l *Lane) StateSnapshot() []byte {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.app.Snapshot()
}

// Danger returns the detector's latest classification.
func (l *Lane) Danger() Danger { return l.danger.Load().(Danger) }

func (l *Lane) setStatus(f func(*Status)) {
	l.mu.Lock()
	f(&l.status)
	l.mu.Unlock()
}

// Run runs the lane until ctx ends (then it drains: closes intake, commits
// and answers what is queued) or a terminal condition (ErrTerminal). It
// elects itself writer with the advisory lock, waiting as a hot standby while
// another process holds it, and rebuilds its state from the database on
// every (re)start. Not reentrant.
func (l *Lane) Run(ctx context.Context) error {
	defer close(l.stopped)
	defer l.setStatus(func(s *Status) { s.Role = RoleStopped })
	dctx, stopDetector := context.WithCancel(context.WithoutCancel(ctx))
	detectorDone := make(chan struct{})
	go func() { defer close(detectorDone); l.runDetector(dctx) }()
	defer func() { stopDetector(); <-detectorDone }()
	admissionDone := make(chan struct{})
	go func() { defer close(admissionDone); l.runAdmission(dctx) }()
	defer func() { stopDetector(); <-admissionDone }()
	checkpointDone := make(chan struct{})
	go func() { defer close(checkpointDone); l.runCheckpointer(dctx) }()
	defer func() { stopDetector(); <-checkpointDone }()

	for {
		err := l.session(ctx)
		l.closeIntake("lane session ended")
		l.rejectQueued(ErrUnavailable)
		l.setStatus(func(s *Status) { s.Role = RoleStarting })
		if ctx.Err() == nil && !errors.Is(err, errFenced) {
			// This process is no longer the writer: another may sequence
			// now, and rows may have committed although the last write
			// failed. Its live subscribers would wait for nothing or skip
			// rows: close them, they reconnect where the writer is. A fenced
			// lane keeps them until it knows more (session, rebuild).
			l.deps.Hub.Suspend()
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, ErrTerminal):
			l.log.Error("lane stopped: terminal condition", "err", err)
			return err
		case errors.Is(err, errFenced):
			l.log.Warn("recovery in progress: lane fenced, writer lock released")
			if err := l.waitRecoveryDone(ctx); err != nil {
				return nil
			}
			continue
		case err != nil:
			l.log.Error("lane session failed; rebuilding from the database", "err", err)
		}
		if !sleepCtx(ctx, sessionRetryDelay) {
			return nil
		}
	}
}

// waitRecoveryDone polls the control row until recovery finishes.
func (l *Lane) waitRecoveryDone(ctx context.Context) error {
	l.setStatus(func(s *Status) { s.Mode = "recovering"; s.Reason = "recovery in progress" })
	for {
		var mode string
		err := l.deps.Pool.QueryRow(ctx, `SELECT mode FROM control`).Scan(&mode)
		if err == nil && mode != "recovering" {
			return nil
		}
		if !sleepCtx(ctx, pollInterval*4) {
			return ctx.Err()
		}
	}
}

// session is one tenure as the writer: acquire the lock, rebuild, serve.
func (l *Lane) session(ctx context.Context) error {
	ls, err := store.ConnectLane(ctx, l.cfg.DatabaseURL, l.cfg.SessionTimeout)
	if err != nil {
		return err
	}
	defer ls.Close(context.WithoutCancel(ctx)) //nolint:errcheck // closing releases the lock
	l.st.store = ls

	for first := true; ; first = false {
		ok, err := ls.TryLock(ctx)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		if first {
			l.log.Info("another lane holds the writer lock: waiting as hot standby")
			l.setStatus(func(s *Status) { s.Role = RoleStandby; s.Reason = "standby: another process holds the writer lock" })
			// Subscribers kept across a recovery fence would wait here for
			// entries the other process sequences.
			l.deps.Hub.Suspend()
		}
		if !sleepCtx(ctx, lockRetryInterval) {
			return ctx.Err()
		}
	}
	l.log.Info("writer lock acquired: this process runs the inclusion lane")
	l.setStatus(func(s *Status) { s.Role = RoleStarting; s.Reason = "rebuilding state" })

	ctl, err := ls.RecordIdentity(ctx, l.cfg.ChainID, l.cfg.App, l.cfg.BatchSubmitter)
	if err != nil {
		if errors.Is(err, store.ErrIdentityMismatch) {
			return fmt.Errorf("%w: %w", ErrTerminal, err)
		}
		return err
	}
	if ctl.Divergence != "" {
		return fmt.Errorf("%w: canonical divergence recorded: %s", ErrTerminal, ctl.Divergence)
	}
	if ctl.Recovering() {
		return errFenced
	}
	if err := l.rebuild(ctx); err != nil {
		return err
	}
	// Active only now: the hub's head is set, so feed catch-ups that start
	// from here see the whole history.
	l.setStatus(func(s *Status) { s.Role = RoleActive })
	return l.serve(ctx)
}

// rebuild restores the application from the newest valid snapshot plus the
// replay rows after it, and loads the tip. If there is no open batch it
// waits for a safe head and a batch submitter address and opens one.
func (l *Lane) rebuild(ctx context.Context) error {
	for {
		r, err := l.st.store.LoadRestart(ctx)
		if err != nil {
			return err
		}
		if r.Control.Recovering() {
			return errFenced
		}
		fresh := l.deps.NewApp()
		if r.Snapshot != nil {
			if err := fresh.Restore(r.Snapshot); err != nil {
				return fmt.Errorf("restore snapshot: %w", err)
			}
		}
		for _, row := range r.Replay {
			replayRow(fresh, row)
		}
		if r.Control.BatchSubmitter != nil {
			l.st.submitter = *r.Control.BatchSubmitter
		}
		rewound := l.st.seenGeneration && r.Control.Generation != l.st.generation
		l.st.generation, l.st.seenGeneration = r.Control.Generation, true
		l.st.nextOffset, l.st.lastValid, l.st.nextDrain = r.NextOffset, r.LastValidOffset, r.NextDrainIndex
		l.setPolicy(r.Policy)

		l.mu.Lock()
		l.app = fresh
		l.status.Generation, l.status.Mode, l.status.Head = r.Control.Generation, r.Control.Mode, r.LastValidOffset
		l.mu.Unlock()
		if rewound {
			lastValid, err := l.st.store.LastValidBeforeCut(ctx)
			if err != nil {
				return err
			}
			l.log.Warn("history rewound by recovery: closing feed subscribers", "last_valid_offset", lastValid,
				"generation", r.Control.Generation)
			l.deps.Hub.Rewind(lastValid, r.LastValidOffset)
		} else {
			// Subscribers still attached (kept across a fence, or racing a
			// session's end) stay only if the database's head is the one
			// they were served up to; otherwise they are closed to reconnect.
			l.deps.Hub.Rebuilt(r.LastValidOffset)
		}
		l.log.Info("state rebuilt", "snapshot_offset", r.SnapshotOffset, "replayed", len(r.Replay),
			"next_offset", r.NextOffset, "generation", r.Control.Generation)

		if r.Tip != nil {
			tipBatch, err := l.st.store.TipRows(ctx, r.Tip.BatchID, r.Tip.Nonce)
			if err != nil {
				return err
			}
			l.st.tipBatch = tipBatch
			l.st.tipSize = payloadSize(tipBatch)
			// A restart in the middle of a deposit wave goes on catching up
			// at once (at worst one extra, empty frame when nothing waits).
			l.st.behind = r.SafeHead.Known && r.Tip.FrameSafeBlock < r.SafeHead.Block
			l.st.clockBlock = r.Tip.FrameSafeBlock
			l.st.feeStep = feeStepOf(r.Tip.FrameFee, l.st.policy.FrameFee())
			l.publishFeeStep()
			l.setTip(*r.Tip)
			return nil
		}
		opened, err := l.openTip(ctx, r)
		if err != nil || opened {
			return err
		}
		if !sleepCtx(ctx, pollInterval*4) {
			return ctx.Err()
		}
	}
}

// openTip opens a batch when none is open (a fresh database): parent is the
// newest valid sealed batch (none → the root, nonce 0), first frame at the
// current safe head, draining every safe input up to it. It reports false
// when it must wait for a safe head or a batch submitter address.
func (l *Lane) openTip(ctx context.Context, r store.Restart) (bool, error) {
	reason := ""
	switch {
	case !r.SafeHead.Known:
		reason = "waiting for the worker to record an L1 safe head"
	case r.Control.BatchSubmitter == nil:
		reason = "waiting for the batch submitter address (set SEQ_BATCH_SUBMITTER_ADDRESS or start the worker)"
	}
	if reason != "" {
		l.setStatus(func(s *Status) { s.Reason = reason })
		return false, nil
	}
	parent, err := l.st.store.NewestValidSealed(ctx)
	if err != nil {
		return false, err
	}
	nb := &store.NewBatch{Generation: r.Control.Generation}
	if parent != nil {
		nb.ParentID, nb.Nonce = parent.ID, parent.Nonce+1
	}
	fee := l.newFrameFee(true)
	entries, frame, err := l.drainInto(ctx, 0, 0, nb.Nonce, r.SafeHead.Block, fee)
	if err != nil {
		return false, err
	}
	res, err := l.apply(ctx, store.Write{Batch: nb, Frame: frame})
	if err != nil {
		return false, err
	}
	l.commitDrained(entries)
	l.st.behind = frame.SafeBlock < r.SafeHead.Block
	l.st.clockBlock = r.SafeHead.Block
	l.st.tipBatch = protocol.Batch{Nonce: nb.Nonce, Frames: []protocol.Frame{{SafeBlock: frame.SafeBlock, FeePrice: fee}}}
	l.st.tipSize = emptyBatchBytes
	l.setTip(store.Tip{BatchID: res.NewBatchID, Nonce: nb.Nonce, CreatedAt: l.now(), FirstSafeBlock: frame.SafeBlock,
		FramePosition: 0, FrameSafeBlock: frame.SafeBlock, FrameFee: fee})
	l.log.Info("opened batch", "nonce", nb.Nonce, "safe_block", frame.SafeBlock, "safe_head", r.SafeHead.Block,
		"drained", len(entries))
	return true, nil
}

func replayRow(a app.Application, row store.ReplayRow) {
	switch row.Kind {
	case "user_op":
		a.ApplyUserOp(app.UserOpContext{Sender: row.Sender, FeePrice: row.Fee, SafeBlock: row.SafeBlock},
			protocol.UserOp{Nonce: row.Nonce, MaxFee: row.MaxFee, Data: row.Data})
	case "direct_input":
		a.ApplyDirectInput(app.DirectInput{Sender: row.Input.Sender, Payload: row.Input.Payload,
			BlockNumber: row.Input.BlockNumber, Index: row.Input.Index})
	}
}

func (l *Lane) setTip(t store.Tip) {
	l.st.tip = t
	l.tipOps.Store(int64(t.OpCount))
	l.mu.Lock()
	l.quote.Fee = t.FrameFee
	l.mu.Unlock()
}

func (l *Lane) setPolicy(p store.Policy) {
	l.st.policy, l.st.policyReadAt = p, l.now()
	limit, err := protocol.FeeToLinear(uint16(min(max(p.BatchSizeTarget, 0), protocol.MaxFeeExponent)))
	if err != nil {
		limit = protocol.FeeToLinearSaturating(protocol.MaxFeeExponent)
	}
	l.st.sizeLimit = limit
	l.econOpsPerBatch.Store(int64(l.economicOpsPerBatch()))
	l.publishFeeStep()
}

// drainInto loads the safe inputs a frame opened at a safe block of at most
// upTo drains — at most MaxDrainPerFrame of them, so the frame's safe block
// may stop short of upTo (store.LaneStore.SafeInputsToDrain) — applies them
// to the live state, and returns the frame write (with the safe block
// chosen) and its feed entries.
func (l *Lane) drainInto(ctx context.Context, batchID int64, position int, batchNonce, upTo uint64, fee uint16) ([]feed.Entry, *store.NewFrame, error) {
	inputs, safeBlock, err := l.st.store.SafeInputsToDrain(ctx, l.st.nextDrain, upTo, l.st.submitter, l.maxDrain())
	if err != nil {
		return nil, nil, err
	}
	frame := &store.NewFrame{BatchID: batchID, Position: position, SafeBlock: safeBlock, Fee: fee}
	entries := make([]feed.Entry, 0, len(inputs))
	l.mu.Lock()
	offset := l.st.nextOffset
	for _, in := range inputs {
		l.app.ApplyDirectInput(app.DirectInput{Sender: in.Sender, Payload: in.Payload, BlockNumber: in.BlockNumber, Index: in.Index})
		frame.Drained = append(frame.Drained, store.Drained{Offset: offset, InputIndex: in.Index})
		entries = append(entries, feed.Entry{Offset: offset, Kind: feed.KindDirectInput, Sender: in.Sender,
			BatchNonce: batchNonce, Generation: l.st.generation, Payload: in.Payload, BlockNumber: in.BlockNumber, InputIndex: in.Index})
		offset++
	}
	l.mu.Unlock()
	return entries, frame, nil
}

// DefaultMaxDrainPerFrame is the default bound on the direct inputs one
// frame drains: about 30 ms of commit on the bench machine
// (docs/performance.md), well under the 100 ms capacity.md §4 allows.
const DefaultMaxDrainPerFrame = 1000

func (l *Lane) maxDrain() int {
	if l.cfg.MaxDrainPerFrame > 0 {
		return l.cfg.MaxDrainPerFrame
	}
	return DefaultMaxDrainPerFrame
}

// apply commits one lane write and records how long the lane waited for it.
func (l *Lane) apply(ctx context.Context, w store.Write) (store.WriteResult, error) {
	start := time.Now()
	res, err := l.st.store.Apply(ctx, w)
	if err == nil {
		l.state.observeCommit(time.Since(start))
		if w.Frame != nil {
			l.state.drained.Add(float64(len(w.Frame.Drained)))
		}
	}
	return res, err
}

// commitDrained advances the counters after a committed drain and publishes
// its entries.
func (l *Lane) commitDrained(entries []feed.Entry) {
	if len(entries) == 0 {
		return
	}
	last := entries[len(entries)-1]
	l.st.nextOffset, l.st.lastValid = last.Offset+1, last.Offset
	l.st.nextDrain = last.InputIndex + 1
	l.deps.Hub.Publish(entries)
	l.setStatus(func(s *Status) { s.Head = last.Offset })
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
