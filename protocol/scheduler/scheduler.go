// Package scheduler is the reference implementation of the rollup's on-chain
// scheduler (protocol.md §4): a fold over the application's L1 inputs, in
// InputBox order, that decides which batches are accepted and executes
// frames, user ops and direct inputs against an app.Application.
//
// The sequencer uses the same code to predict acceptance (CheckBatch), and
// tests use the fold as the judge of the replay feed: its executed order is
// what the rollup executes. The package is pure: no I/O, no clocks.
package scheduler

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/protocol"
)

// Input is one L1 input of the application.
type Input struct {
	Sender         common.Address // msgSender of the input
	Payload        []byte
	InclusionBlock uint64 // the L1 block that included it
	Index          uint64 // its InputBox index
}

// Outcome is what the scheduler did with one input.
type Outcome int

const (
	// Queued: a direct input, appended to the pending queue.
	Queued Outcome = iota + 1
	// Accepted: a batch whose frames executed; its nonce is consumed.
	Accepted
	// AcceptedEmpty: a batch with zero frames, a no-op that consumes its nonce.
	AcceptedEmpty
	// RejectedDecode: the payload is not a valid SSZ Batch.
	RejectedDecode
	// RejectedNonce: the batch nonce is not the expected one.
	RejectedNonce
	// RejectedSafeBlock: a frame's safe block is above the inclusion block,
	// or the frames' safe blocks decrease.
	RejectedSafeBlock
	// SkippedStale: the batch landed MaxWaitBlocks or more after its first
	// frame's safe block. Its nonce is not consumed, so it poisons every later
	// batch until one carrying the same nonce lands in time.
	SkippedStale
)

var outcomeNames = map[Outcome]string{
	Queued:            "queued",
	Accepted:          "accepted",
	AcceptedEmpty:     "accepted_empty",
	RejectedDecode:    "rejected_decode",
	RejectedNonce:     "rejected_nonce",
	RejectedSafeBlock: "rejected_safe_block",
	SkippedStale:      "skipped_stale",
}

func (o Outcome) String() string {
	if s, ok := outcomeNames[o]; ok {
		return s
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// ConsumesNonce reports whether the outcome advances the expected batch nonce.
func (o Outcome) ConsumesNonce() bool { return o == Accepted || o == AcceptedEmpty }

// Errors returned by CheckBatch, one per rejecting check.
var (
	ErrDecode    = errors.New("batch does not decode")
	ErrNonce     = errors.New("unexpected batch nonce")
	ErrSafeBlock = errors.New("bad frame safe block")
	ErrStale     = errors.New("stale batch")
)

// CheckBatch runs the batch checks of protocol.md §4 step 3 (3.1–3.5), in
// order, on a payload sent by the batch submitter and included in
// inclusionBlock, when the rollup expects batch nonce expectedNonce. It
// returns the decoded batch (when it decodes), the outcome and, for every
// outcome but Accepted/AcceptedEmpty, an error saying why.
//
// The L1 reader uses it to derive which batches the rollup accepted; the
// scheduler uses it before executing.
func CheckBatch(payload []byte, inclusionBlock, expectedNonce uint64) (protocol.Batch, Outcome, error) {
	batch, err := protocol.DecodeBatch(payload)
	if err != nil {
		return protocol.Batch{}, RejectedDecode, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	if batch.Nonce != expectedNonce {
		return batch, RejectedNonce, fmt.Errorf("%w: expected %d, got %d", ErrNonce, expectedNonce, batch.Nonce)
	}
	if len(batch.Frames) == 0 {
		return batch, AcceptedEmpty, nil
	}
	prev := uint64(0)
	for i, f := range batch.Frames {
		if f.SafeBlock > inclusionBlock {
			return batch, RejectedSafeBlock, fmt.Errorf("%w: frame %d safe block %d above inclusion block %d",
				ErrSafeBlock, i, f.SafeBlock, inclusionBlock)
		}
		if f.SafeBlock < prev {
			return batch, RejectedSafeBlock, fmt.Errorf("%w: frame %d safe block %d below previous %d",
				ErrSafeBlock, i, f.SafeBlock, prev)
		}
		prev = f.SafeBlock
	}
	// Check 4 guarantees frames[0].SafeBlock ≤ inclusionBlock: no underflow.
	if age := inclusionBlock - batch.Frames[0].SafeBlock; age >= protocol.MaxWaitBlocks {
		return batch, SkippedStale, fmt.Errorf("%w: included %d blocks after its first safe block (limit %d)",
			ErrStale, age, protocol.MaxWaitBlocks)
	}
	return batch, Accepted, nil
}

// ExecKind tells the two kinds of executed entries apart.
type ExecKind int

const (
	// ExecDirectInput is a direct input, drained by a frame or forced by the
	// backstop.
	ExecDirectInput ExecKind = iota + 1
	// ExecUserOp is a user op of a frame that passed validation.
	ExecUserOp
)

// Executed is one entry of the execution order: what the replay feed must
// show, in the same order.
type Executed struct {
	Kind ExecKind

	// BatchNonce is the batch whose frame executed the entry. For a direct
	// input forced by the backstop (Forced) it is meaningless.
	BatchNonce uint64
	Frame      int // frame position in the batch
	Forced     bool

	// Direct inputs.
	Input Input

	// User ops.
	Sender    common.Address
	Op        protocol.UserOp
	Signature []byte // as carried in the batch
	FeePrice  uint16
	SafeBlock uint64
	OpIndex   int // position in the frame

	Outputs []app.Output
}

// SkippedOp is a user op of an accepted batch that did not execute; the batch
// still counts.
type SkippedOp struct {
	BatchNonce uint64
	Frame      int
	OpIndex    int
	Reason     error
}

// Result reports what processing one input did.
type Result struct {
	Input   Input
	Outcome Outcome
	Err     error // why a batch was rejected or skipped
	// Batch is the decoded batch, when the input is a batch that decoded.
	Batch *protocol.Batch
	// Executed lists, in order, everything that executed while processing
	// the input: first direct inputs forced by the backstop, then the
	// batch's frames.
	Executed []Executed
	Skipped  []SkippedOp
}

// Scheduler folds the L1 input stream of one application. It is not safe for
// concurrent use.
type Scheduler struct {
	app       app.Application
	domain    protocol.Domain
	sequencer common.Address

	queue         []Input // pending direct inputs; queue[head:] is live
	head          int
	expectedNonce uint64
}

// New returns a scheduler driving application, with the EIP-712 domain used
// to recover op senders and the batch submitter's L1 address.
func New(application app.Application, domain protocol.Domain, sequencer common.Address) *Scheduler {
	return &Scheduler{app: application, domain: domain, sequencer: sequencer}
}

// ExpectedBatchNonce is the nonce the next batch must carry.
func (s *Scheduler) ExpectedBatchNonce() uint64 { return s.expectedNonce }

// PendingDirectInputs returns the queued direct inputs, oldest first.
func (s *Scheduler) PendingDirectInputs() []Input {
	return append([]Input(nil), s.queue[s.head:]...)
}

// Process applies protocol.md §4 to one input. Inputs must be given in
// InputBox order.
func (s *Scheduler) Process(in Input) Result {
	res := Result{Input: in}
	s.backstop(in.InclusionBlock, &res)
	if in.Sender != s.sequencer {
		s.queue = append(s.queue, in)
		res.Outcome = Queued
		return res
	}
	batch, outcome, err := CheckBatch(in.Payload, in.InclusionBlock, s.expectedNonce)
	res.Outcome, res.Err = outcome, err
	if outcome != RejectedDecode {
		res.Batch = &batch
	}
	if outcome != Accepted && outcome != AcceptedEmpty {
		return res
	}
	for i, f := range batch.Frames {
		s.executeFrame(batch.Nonce, i, f, &res)
	}
	s.expectedNonce++
	return res
}

// backstop executes, in order, every queued direct input that has waited
// MaxWaitBlocks or more by inclusionBlock.
func (s *Scheduler) backstop(inclusionBlock uint64, res *Result) {
	for s.head < len(s.queue) {
		h := s.queue[s.head]
		if inclusionBlock < h.InclusionBlock || inclusionBlock-h.InclusionBlock < protocol.MaxWaitBlocks {
			return
		}
		s.popDirect(Executed{Kind: ExecDirectInput, Forced: true, Input: h}, res)
	}
}

func (s *Scheduler) popDirect(e Executed, res *Result) {
	s.queue[s.head] = Input{} // let the payload be collected
	s.head++
	if s.head == len(s.queue) {
		s.queue, s.head = s.queue[:0], 0
	}
	e.Outputs = s.app.ApplyDirectInput(app.DirectInput{
		Sender: e.Input.Sender, Payload: e.Input.Payload, BlockNumber: e.Input.InclusionBlock, Index: e.Input.Index,
	})
	res.Executed = append(res.Executed, e)
}

// executeFrame drains the direct inputs the frame covers, then runs its ops.
func (s *Scheduler) executeFrame(batchNonce uint64, frameIndex int, f protocol.Frame, res *Result) {
	for s.head < len(s.queue) && s.queue[s.head].InclusionBlock <= f.SafeBlock {
		s.popDirect(Executed{Kind: ExecDirectInput, BatchNonce: batchNonce, Frame: frameIndex, Input: s.queue[s.head]}, res)
	}
	for i, w := range f.UserOps {
		op := w.UserOp()
		skip := func(err error) {
			res.Skipped = append(res.Skipped, SkippedOp{BatchNonce: batchNonce, Frame: frameIndex, OpIndex: i, Reason: err})
		}
		sender, _, err := s.domain.RecoverSender(op, w.Signature)
		if err != nil {
			skip(err)
			continue
		}
		ctx := app.UserOpContext{Sender: sender, FeePrice: f.FeePrice, SafeBlock: f.SafeBlock}
		if err := app.Validate(s.app, ctx, op); err != nil {
			skip(err)
			continue
		}
		res.Executed = append(res.Executed, Executed{
			Kind: ExecUserOp, BatchNonce: batchNonce, Frame: frameIndex, OpIndex: i,
			Sender: sender, Op: op, Signature: w.Signature, FeePrice: f.FeePrice, SafeBlock: f.SafeBlock,
			Outputs: s.app.ApplyUserOp(ctx, op),
		})
	}
}

// Fold processes inputs in order and returns every result and the
// concatenated execution order.
func (s *Scheduler) Fold(inputs []Input) ([]Result, []Executed) {
	results := make([]Result, 0, len(inputs))
	var executed []Executed
	for _, in := range inputs {
		r := s.Process(in)
		results = append(results, r)
		executed = append(executed, r.Executed...)
	}
	return results, executed
}
