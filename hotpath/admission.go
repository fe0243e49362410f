package hotpath

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/protocol/ssz"
	"github.com/cartesi/sequencer/store"
)

// Admission control (capacity.md §2): the lane keeps the L1 queue delay — how
// old the newest acknowledged op's batch will be when it lands — below the
// danger line with room. Above the soft line each new frame's fee steps up;
// above the hard line POST /tx is refused with 429 L1_BACKLOG. Danger
// detection and recovery are unchanged: this is the first line of defence,
// they are the last.

// Defaults of AdmissionConfig (the CLI passes the configured values).
const (
	DefaultMaxBatchBytes     = 64_000 // SEQ_MAX_BATCH_BYTES's default: under the InputBox's input limit
	DefaultMaxInFlight       = 16
	DefaultResendAfterBlocks = 3
	defaultAdmissionInterval = time.Second
	// FeeStepExponent is how much each new frame's fee exponent rises above
	// the policy fee per step while the queue delay is at or above the soft
	// line: ×(129/128)^20 ≈ ×1.17.
	FeeStepExponent = 20
	// postingWindowSeconds is the span the posting rate is averaged over.
	postingWindowSeconds = 600
)

// SSZ overheads of protocol.Batch (protocol/batch.go): the batch's fixed part
// (nonce, frames offset), a frame's (its offset in the batch, user ops
// offset, safe_block, fee_price) and an op's offset in its frame (the op's own
// bytes are WireUserOp.EncodedSize). The lane adds them up as it appends, so
// it never re-encodes a batch to know its size.
const (
	batchOverheadBytes = 8 + ssz.OffsetSize
	frameOverheadBytes = ssz.OffsetSize + ssz.OffsetSize + 8 + 2
	opOffsetBytes      = ssz.OffsetSize
	// emptyBatchBytes is a new batch with its first frame and no ops.
	emptyBatchBytes = batchOverheadBytes + frameOverheadBytes
)

// AdmissionConfig holds the admission lines and the posting pipeline's shape
// (capacity.md §1–2). Zero values take the defaults.
type AdmissionConfig struct {
	// SoftBlocks and HardBlocks are the queue-delay lines in blocks
	// (SEQ_ADMISSION_SOFT_BLOCKS / _HARD_BLOCKS; 0 → 40% / 60% of the danger
	// line, MAX_WAIT_BLOCKS − margin).
	SoftBlocks uint64
	HardBlocks uint64
	// MaxBatchBytes caps every sealed payload (SEQ_MAX_BATCH_BYTES); under
	// backlog the lane seals at it instead of the economic target.
	MaxBatchBytes int
	// MaxInFlight is the submitter's window (SEQ_BATCH_SUBMITTER_MAX_IN_FLIGHT):
	// more sealed batches than this waiting unaccepted is a backlog.
	MaxInFlight uint64
	// ResendAfterBlocks is SEQ_BATCH_SUBMITTER_RESEND_AFTER_BLOCKS: with
	// MaxInFlight it sets the posting-rate floor.
	ResendAfterBlocks uint64
	// SecondsPerBlock is SEQ_SECONDS_PER_BLOCK (0 → the danger config's).
	SecondsPerBlock uint64
	// Interval is how often the lane recomputes admission (0 → 1 s; tests
	// shorten it).
	Interval time.Duration
}

func (c AdmissionConfig) withDefaults(d DangerConfig) AdmissionConfig {
	margin := d.MarginBlocks
	if margin == 0 || margin >= protocol.MaxWaitBlocks {
		margin = 300
	}
	line := protocol.MaxWaitBlocks - margin
	if c.SoftBlocks == 0 {
		c.SoftBlocks = line * 40 / 100
	}
	if c.HardBlocks == 0 {
		c.HardBlocks = line * 60 / 100
	}
	if c.MaxBatchBytes <= 0 {
		c.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.ResendAfterBlocks == 0 {
		c.ResendAfterBlocks = DefaultResendAfterBlocks
	}
	if c.SecondsPerBlock == 0 {
		c.SecondsPerBlock = max(d.SecondsPerBlock, 1)
	}
	if c.Interval <= 0 {
		c.Interval = defaultAdmissionInterval
	}
	return c
}

// WindowBlocks is the posting-rate window, 10 minutes in blocks (at least 1).
func (c AdmissionConfig) WindowBlocks() uint64 {
	return max(postingWindowSeconds/max(c.SecondsPerBlock, 1), 1)
}

// AdmissionState is the zone the queue delay is in.
type AdmissionState string

const (
	AdmissionNormal   AdmissionState = "normal"   // below the soft line
	AdmissionFeeStep  AdmissionState = "fee_step" // soft ≤ delay < hard: new frames' fees step up
	AdmissionShedding AdmissionState = "shedding" // delay ≥ hard: POST /tx answers 429 L1_BACKLOG
)

// Admission is one computation of admission control, for /healthz, /metrics
// and the lane's decisions.
type Admission struct {
	State AdmissionState
	// BacklogOps is the user ops not yet accepted on L1: in valid sealed
	// batches plus the open batch's.
	BacklogOps uint64
	// PostingRate is ops accepted on L1 per block over the last 10 minutes,
	// floored at one submitter window of batches per resend period.
	PostingRate float64
	// QueueDelay (blocks) is the oldest unaccepted batch's age plus
	// BacklogOps / PostingRate.
	QueueDelay float64
	// OldestAgeBlocks is safe head − first frame's safe block of the oldest
	// valid sealed batch not accepted (0 when none).
	OldestAgeBlocks uint64
	// SealedWaiting is the valid sealed batches not accepted yet;
	// LargeBatches says it exceeds the submitter's window, so the lane seals
	// at MaxBatchBytes.
	SealedWaiting uint64
	LargeBatches  bool
	// RetryAfter is the seconds until the delay falls under the soft line at
	// the current posting rate (≥ 1): the 429's Retry-After.
	RetryAfter int
	// FeeStep is the extra fee exponent above the policy fee that new
	// frames get now (filled in by Lane.Status).
	FeeStep                int
	SoftBlocks, HardBlocks uint64
}

// ComputeAdmission applies capacity.md §2 to a database view. tipOps is the
// open batch's committed op count; opsPerBatch the ops of one batch at the
// current seal size (for the posting-rate floor). Pure.
func ComputeAdmission(v store.AdmissionView, tipOps, opsPerBatch uint64, c AdmissionConfig) Admission {
	a := Admission{
		BacklogOps:    v.SealedBacklogOps + tipOps,
		SealedWaiting: v.SealedWaiting,
		LargeBatches:  v.SealedWaiting > c.MaxInFlight,
		SoftBlocks:    c.SoftBlocks,
		HardBlocks:    c.HardBlocks,
	}
	measured := float64(v.WindowOps) / float64(c.WindowBlocks())
	floor := float64(c.MaxInFlight*max(opsPerBatch, 1)) / float64(max(c.ResendAfterBlocks, 1))
	a.PostingRate = max(measured, floor)
	if first := v.OldestUnacceptedFirstSafeBlock; first != nil && v.SafeHead.Known && v.SafeHead.Block > *first {
		a.OldestAgeBlocks = v.SafeHead.Block - *first
	}
	a.QueueDelay = float64(a.OldestAgeBlocks) + float64(a.BacklogOps)/a.PostingRate
	switch {
	case a.QueueDelay >= float64(c.HardBlocks):
		a.State = AdmissionShedding
	case a.QueueDelay >= float64(c.SoftBlocks):
		a.State = AdmissionFeeStep
	default:
		a.State = AdmissionNormal
	}
	a.RetryAfter = RetryAfterSeconds(a.QueueDelay, c.SoftBlocks, c.SecondsPerBlock)
	return a
}

// RetryAfterSeconds is how long until a queue delay of delay blocks falls
// under the soft line, if it falls one block per block (the backlog drains
// at the posting rate and nothing new is admitted): (delay − soft) blocks of
// secondsPerBlock, rounded up, at least 1.
func RetryAfterSeconds(delay float64, soft, secondsPerBlock uint64) int {
	s := math.Ceil((delay - float64(soft)) * float64(secondsPerBlock))
	switch {
	case math.IsNaN(s) || s < 1:
		return 1
	case s > 86_400:
		return 86_400 // a day: beyond that the figure means nothing
	}
	return int(s)
}

// NextFeeStep is the fee step of a frame opened now, given the previous
// frame's step k: one up while the delay is at or above the soft line (until
// the fee reaches the protocol maximum, so stepping down starts at once when
// the delay falls), one down below it, never below 0.
func NextFeeStep(k int, delay float64, soft uint64, policyFee uint16) int {
	if delay >= float64(soft) {
		if int(policyFee)+FeeStepExponent*k < protocol.MaxFeeExponent {
			return k + 1
		}
		return k
	}
	return max(k-1, 0)
}

// SteppedFee is policyFee raised by k fee steps, clamped to the protocol
// maximum as store.Policy.FrameFee clamps.
func SteppedFee(policyFee uint16, k int) uint16 {
	return uint16(min(int(policyFee)+FeeStepExponent*max(k, 0), protocol.MaxFeeExponent))
}

// feeStepOf recovers the step a frame fee was opened at (after a restart the
// lane continues from the open frame's fee rather than from zero).
func feeStepOf(fee, policyFee uint16) int {
	if fee <= policyFee {
		return 0
	}
	return (int(fee-policyFee) + FeeStepExponent - 1) / FeeStepExponent
}

// BacklogError refuses an op because the L1 queue delay is at or above the
// hard line. Its text is the API's message.
type BacklogError struct {
	QueueDelay float64
	HardBlocks uint64
	RetryAfter int // seconds, ≥ 1
}

func (e *BacklogError) Error() string {
	return fmt.Sprintf("L1 backlog: queue delay %d blocks at or above %d; retry in %d s",
		int64(e.QueueDelay), e.HardBlocks, e.RetryAfter)
}

// admissionNow is the latest computation (zero Admission, normal, before
// the first).
func (l *Lane) admissionNow() Admission {
	if a := l.admission.Load(); a != nil {
		return *a
	}
	return Admission{State: AdmissionNormal, SoftBlocks: l.adm.SoftBlocks, HardBlocks: l.adm.HardBlocks}
}

// runAdmission recomputes admission every interval until ctx ends. It runs
// beside the lane goroutine, on the pool, so its reads never hold a commit.
func (l *Lane) runAdmission(ctx context.Context) {
	t := time.NewTicker(l.adm.Interval)
	defer t.Stop()
	for {
		l.admitOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (l *Lane) admitOnce(ctx context.Context) {
	start := time.Now()
	v, err := store.ReadAdmissionView(ctx, l.deps.Pool, l.adm.WindowBlocks())
	if err != nil {
		if ctx.Err() == nil {
			l.log.Warn("admission cannot read the database; keeping the last figures", "err", err)
		}
		return
	}
	l.metrics.admissionRead.Observe(time.Since(start).Seconds())
	opsPerBatch := uint64(l.econOpsPerBatch.Load())
	if v.SealedWaiting > l.adm.MaxInFlight {
		opsPerBatch = l.largeOpsPerBatch()
	}
	a := ComputeAdmission(v, uint64(max(l.tipOps.Load(), 0)), opsPerBatch, l.adm)
	prev := l.admission.Swap(&a)
	if prev == nil || prev.State != a.State || prev.LargeBatches != a.LargeBatches {
		lvl := slogLevel(a.State)
		l.log.Log(ctx, lvl, "admission state", "state", a.State, "queue_delay_blocks", a.QueueDelay,
			"backlog_ops", a.BacklogOps, "posting_rate_ops_per_block", a.PostingRate, "oldest_unaccepted_age_blocks",
			a.OldestAgeBlocks, "sealed_waiting", a.SealedWaiting, "large_batches", a.LargeBatches,
			"soft_blocks", a.SoftBlocks, "hard_blocks", a.HardBlocks)
	}
	l.metrics.setAdmission(a)
}

// largeOpsPerBatch is how many worst-case ops a batch sealed at
// MaxBatchBytes holds.
func (l *Lane) largeOpsPerBatch() uint64 {
	room := l.adm.MaxBatchBytes - emptyBatchBytes - frameOverheadBytes
	return uint64(max(room/l.worstOpBytes, 1))
}

// economicOpsPerBatch is how many ops a batch sealed at the economic target
// holds (the target counts worst-case ops; the byte cap applies too).
func (l *Lane) economicOpsPerBatch() uint64 {
	perOp := uint64(worstCaseOpFixed + l.maxPayload)
	large := l.largeOpsPerBatch()
	if l.st.sizeLimit == nil || !l.st.sizeLimit.IsUint64() {
		return large
	}
	n := (l.st.sizeLimit.Uint64() + perOp - 1) / perOp
	return max(min(n, large), 1)
}

// newFrameFee returns the fee of a frame opened now. A frame the L1 clock
// opens (a rotation, or a tip opened at a new safe head: clock is true)
// moves the fee step one step, up or down; a new batch's first frame, which
// keeps the sealed batch's safe block, keeps the step. Under backlog with
// batches sealing several times a second, stepping at every seal priced
// every signer out within a minute (seen on the dev stack: +1,600 in 60 s);
// stepping with the clock gives capacity.md §2's ×1.17 per frame, one
// frame per FRAME_CLOCK_INTERVAL blocks. Call it exactly once per new
// frame, from the lane goroutine. If the frame's write then fails, the
// session rebuilds and the step is re-derived from the stored tip.
func (l *Lane) newFrameFee(clock bool) uint16 {
	policyFee := l.st.policy.FrameFee()
	if clock {
		l.st.feeStep = NextFeeStep(l.st.feeStep, l.admissionNow().QueueDelay, l.adm.SoftBlocks, policyFee)
	}
	l.publishFeeStep()
	return SteppedFee(policyFee, l.st.feeStep)
}

// publishFeeStep makes the current step visible to /fee (recommended_fee
// includes it, so suggested_max_fee covers it), /healthz and /metrics.
func (l *Lane) publishFeeStep() {
	policyFee := l.st.policy.FrameFee()
	fee := SteppedFee(policyFee, l.st.feeStep)
	extra := int64(fee) - int64(policyFee)
	l.feeExtra.Store(extra)
	l.metrics.feeStep.Set(float64(extra))
	l.mu.Lock()
	l.quote.RecommendedFee = fee
	l.mu.Unlock()
}

// payloadSize is len(b.Encode()), computed without encoding.
func payloadSize(b protocol.Batch) int {
	n := batchOverheadBytes
	for _, f := range b.Frames {
		n += frameOverheadBytes
		for _, op := range f.UserOps {
			n += opOffsetBytes + op.EncodedSize()
		}
	}
	return n
}
