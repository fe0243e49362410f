// Package app defines the Application the sequencer embeds to give soft
// confirmations, and hosts the reference one (package app/wallet).
//
// The scheduler (protocol/scheduler), the inclusion lane and replay all call
// the same Validate/Apply functions, so the sequencer's view of the state and
// the rollup's cannot drift apart.
package app

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cartesi/sequencer/protocol"
)

// MaxFeeBelowFeeError is the protocol's guard, checked before the
// application's own validation: an op whose max_fee is below the frame fee
// never executes.
type MaxFeeBelowFeeError struct {
	MaxFee, Fee uint16
}

func (e *MaxFeeBelowFeeError) Error() string {
	return fmt.Sprintf("max fee %d below base fee %d", e.MaxFee, e.Fee)
}

// UserOpContext is where a user op executes: its recovered sender and the
// frame it is in.
type UserOpContext struct {
	Sender    common.Address
	FeePrice  uint16 // the frame fee exponent the op pays
	SafeBlock uint64 // the frame's safe block
}

// DirectInput is an L1 input not sent by the batch submitter, executed when a
// frame drains it (or when the scheduler's backstop forces it).
type DirectInput struct {
	Sender      common.Address
	Payload     []byte
	BlockNumber uint64 // the L1 block that included it
	Index       uint64 // its InputBox index
}

// Output is something the application emits for L1 (a voucher): a call of
// Payload on Destination.
type Output struct {
	Destination common.Address
	Payload     []byte
}

// Progress is the application's count of executed inputs and its clock.
type Progress struct {
	ExecutedInputCount    uint64
	LastExecutedSafeBlock uint64
}

// Application is the state machine the sequencer and the scheduler drive.
//
// Implementations are not safe for concurrent use: one goroutine (the lane, or
// a scheduler fold) owns an Application.
type Application interface {
	// ValidateUserOp reports whether op may execute in ctx against the
	// current state; it does not change anything. It does not check max_fee:
	// Validate does that first.
	ValidateUserOp(ctx UserOpContext, op protocol.UserOp) error
	// ApplyUserOp executes an op that ValidateUserOp accepted in the same
	// state and returns the outputs it emits.
	ApplyUserOp(ctx UserOpContext, op protocol.UserOp) []Output
	// ApplyDirectInput executes a direct input; inputs the application does
	// not understand are no-ops but still count as executed.
	ApplyDirectInput(in DirectInput) []Output
	// Progress returns the executed-input count and the clock.
	Progress() Progress
	// Snapshot returns the canonical encoding of the whole state: the same
	// state always yields the same bytes. It may cost what the state costs:
	// the lane never calls it. Snapshots are taken off the lane's critical
	// path (capacity.md §3) on a replica that the checkpointer feeds the
	// same committed inputs (hotpath/checkpoint.go), so an application
	// needs no copy-on-write view or change set of its own.
	Snapshot() []byte
	// Restore replaces the state with a decoded snapshot; on error the state
	// is unchanged.
	//
	// Restart, /finalized_state and /latest_snapshot obtain the state at any
	// batch boundary as the nearest stored snapshot plus the replay of the
	// inputs after it. So the application must make that exact: for any
	// state S and inputs I, Restore(S.Snapshot()) followed by I yields the
	// same Snapshot bytes as S followed by I (Apply is a pure function of
	// the state and the input, and the snapshot holds all of the state).
	// The Apply methods must cost what the input touches, not what the
	// state holds: the lane calls them once per op.
	Restore(snapshot []byte) error
	// MaxPayloadSize is the largest user op data the application accepts;
	// ingress refuses longer data.
	MaxPayloadSize() int
}

// FeeOutOfRangeError refuses every op of a frame whose fee exponent is above
// protocol.MaxFeeExponent: its linear value does not fit in 256 bits, so no
// balance can be said to cover it (docs/protocol-decisions.md).
type FeeOutOfRangeError struct{ Fee uint16 }

func (e *FeeOutOfRangeError) Error() string {
	return fmt.Sprintf("fee exponent %d above maximum %d", e.Fee, protocol.MaxFeeExponent)
}

// Validate is the full validation of a user op, in protocol order: the
// max-fee guard, then the application's own checks. Ingress, the lane and
// the scheduler all call it.
func Validate(a Application, ctx UserOpContext, op protocol.UserOp) error {
	if op.MaxFee < ctx.FeePrice {
		return &MaxFeeBelowFeeError{MaxFee: op.MaxFee, Fee: ctx.FeePrice}
	}
	if ctx.FeePrice > protocol.MaxFeeExponent {
		return &FeeOutOfRangeError{Fee: ctx.FeePrice}
	}
	return a.ValidateUserOp(ctx, op)
}
