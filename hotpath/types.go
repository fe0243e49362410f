package hotpath

import (
	"errors"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cartesi/sequencer/protocol"
)

// Op is a user op whose signature the HTTP handler has already verified: the
// lane never recovers signatures.
type Op struct {
	Sender     common.Address
	UserOp     protocol.UserOp
	Signature  protocol.Signature // stored form r ‖ s ‖ 27+parity
	ReceivedAt time.Time
}

// Receipt is a soft confirmation: the op is durably committed at Offset in
// the replay order and pays Fee (the frame fee exponent).
type Receipt struct {
	Sender common.Address
	Nonce  uint32
	Offset uint64
	Fee    uint16
	// BatchNonce and Generation say where the op was put: its batch and
	// the recovery generation that batch was created in, as its feed entry
	// says (signed receipts).
	BatchNonce uint64
	Generation uint64
}

var (
	// ErrUnavailable: intake is closed (standby, danger, recovery, shutdown).
	ErrUnavailable = errors.New("sequencer unavailable")
	// ErrQueueFull: the bounded intake queue is full; retry later.
	ErrQueueFull = errors.New("queue full")
)

// RejectedError is the application's (or the protocol's max-fee) refusal of
// an op; Reason's message is what the client sees.
type RejectedError struct{ Reason error }

func (e *RejectedError) Error() string { return e.Reason.Error() }
func (e *RejectedError) Unwrap() error { return e.Reason }

// FeeQuote is what GET /fee reports.
type FeeQuote struct {
	Fee uint16 // the open frame's fee
	// RecommendedFee is the fee a frame opened now would get: the policy's,
	// plus the admission fee step (so SuggestedMaxFee covers the step).
	RecommendedFee uint16
}

// SuggestedMaxFee is max(fee, recommended) + 53: room for a 1.5× fee rise
// ((129/128)^53 ≈ 1.51).
func (q FeeQuote) SuggestedMaxFee() uint16 {
	m := max(q.Fee, q.RecommendedFee)
	if m > 65535-53 {
		return 65535
	}
	return m + 53
}

// Role is the lane's part in the writer election.
type Role string

const (
	RoleStarting Role = "starting" // connecting, migrating, loading state
	RoleStandby  Role = "standby"  // another process holds the writer lock
	RoleActive   Role = "active"   // holds the lock; intake may be open
	RoleStopped  Role = "stopped"
)

// Status is the lane's health, for /readyz and /healthz.
type Status struct {
	Role       Role
	IntakeOpen bool
	Danger     string // danger detector classification ("safe", "l1_stale", …)
	Mode       string // control row mode ("normal", "recovering")
	Generation uint64 // recovery generation
	QueueDepth int
	Head       uint64 // last committed feed offset
	Reason     string // why intake is closed, when it is
	// Admission is the latest admission computation, with the current fee
	// step (capacity.md §2).
	Admission Admission
}
