// Package workflows holds the worker's Temporal workflows: the L1 observer,
// the batch submitter and snapshot maintenance. Workflow code is
// deterministic — no I/O, no clocks, no goroutines but the SDK's — and
// reaches the world only through activities, which it calls by name: this
// package imports neither the store nor the L1 client (an architecture test
// enforces it), and the activity inputs and results are the plain types
// below.
package workflows

import "time"

// The task queue and the workflow IDs are scoped by the deployment's
// identity: see NamesFor. Each workflow is a singleton of its deployment,
// started idempotently when a worker starts.

// Activity names, shared with the registration in package worker.
const (
	ActivityObserve          = "Observe"
	ActivityPlanRound        = "PlanSubmissionRound"
	ActivitySendRound        = "SendSubmissionRound"
	ActivityPromoteSnapshots = "PromoteSnapshots"
)

// Error types that activities return as non-retryable application errors:
// retrying cannot help, an operator must act.
const (
	ErrTypeChainIDMismatch  = "ChainIDMismatch"
	ErrTypeIdentityMismatch = "IdentityMismatch"
	ErrTypeDivergence       = "CanonicalDivergence"
	ErrTypeConfiguration    = "Configuration"
	ErrTypeInsufficientFund = "InsufficientFunds"
	// ErrTypeWatermarkMoved: the cascade saw a broadcast newer than the
	// flush; the recovery starts over from the flush.
	ErrTypeWatermarkMoved = "WatermarkMoved"
)

// Query, signal and update names. The submitter takes pause and resume both
// as signals (from the recovery workflow, which cannot wait on an update)
// and as updates (from operators: `sequencer submitter pause|resume`).
const (
	QueryStatus    = "status"
	SignalPause    = "pause"
	SignalResume   = "resume"
	SignalAccepted = "accepted"
	UpdatePause    = "pause"
	UpdateResume   = "resume"
)

// ObserveResult is one observation round.
type ObserveResult struct {
	// ObservedDanger is "closed_batch_in_danger" or "tip_in_danger" when the
	// database shows observed danger after this round, else empty.
	ObservedDanger string
	SafeBlock      uint64
	Advanced       bool
	InputsAdded    int
	Accepted       []uint64 // batch nonces the rollup newly accepted
	AcceptedCount  uint64
}

// Fees are EIP-1559 caps in wei, as decimal strings (workflow history
// stays readable and exact).
type Fees struct {
	TipCap string
	FeeCap string
}

// InFlight is one of our batch transactions pending at a wallet nonce: the
// submitter's window holds up to MaxInFlight of them, at consecutive wallet
// nonces from the account's nonce. It is workflow state (carried across
// Continue-As-New) and what the `status` query shows.
type InFlight struct {
	BatchNonce  uint64
	Hash        string // keccak of the batch payload, 0x hex
	WalletNonce uint64
	TxHash      string // the last broadcast at this wallet nonce
	Fees        Fees   // its fees: a replacement bumps them
	// SentBlock is the latest L1 block when it was last (re)broadcast: a
	// replacement is due ResendAfterBlocks later.
	SentBlock    uint64
	Replacements int
	// Capped: its fees sit at SEQ_L1_MAX_FEE_PER_GAS_GWEI; it is not bumped
	// further, only waited for (sequencer_submitter_fee_cap_reached).
	Capped bool
	Ops    uint64 // user ops in the batch (for the posted-ops counter)
}

// PlanRequest asks PlanSubmissionRound for the next thing to do, given the
// window the workflow tracks.
type PlanRequest struct {
	InFlight          []InFlight
	MaxInFlight       int
	ResendAfterBlocks uint64
	MaxFeePerGas      string // wei, decimal; "" means no cap
	// Wait bounds how long the activity waits for something to do; it then
	// returns an empty plan (the workflow loops: signals, history bound).
	Wait time.Duration
	// IdlePoll is how often to look while InFlight is empty (0: as often
	// as with transactions in flight).
	IdlePoll time.Duration
}

// SendKind says why a PlannedSend broadcasts.
type SendKind string

// The kinds of broadcast.
const (
	SendNew      SendKind = "new"      // a wallet nonce nothing of ours holds (as far as we track)
	SendReplace  SendKind = "replace"  // the same batch, not included after ResendAfterBlocks: bumped fees
	SendReassign SendKind = "reassign" // the slot carries a batch that is no longer the one due there
	// SendRebroadcast: a replacement is due but the previous fees are at
	// the cap: the same batch is broadcast again at the same fees (a node
	// that lost it takes it back; one that has it answers "known").
	SendRebroadcast SendKind = "rebroadcast"
)

// PlannedSend is one broadcast of a round: a batch at a wallet nonce with
// the fees decided by the plan (so a retried send rebuilds the same
// transaction).
type PlannedSend struct {
	Kind        SendKind
	BatchNonce  uint64
	Hash        string // keccak of the payload, 0x hex
	WalletNonce uint64
	Fees        Fees
	Capped      bool // the fee cap limited these fees
	Size        int  // payload bytes (the round's gas limit covers the largest)
	Ops         uint64
}

// Plan is one consistent view of the submission, pinned at one L1 block:
// the account's nonce and our landed inputs are read at that same block, so
// a batch mined while planning is counted on both sides or on neither.
type Plan struct {
	Block        uint64 // the pinned (latest) block
	AccountNonce uint64 // the submitter's transaction count at Block
	FirstNeeded  uint64 // the first batch nonce the rollup still needs at Block
	// Included are the window's entries whose wallet nonce was consumed at
	// Block; Window the entries still pending (with Capped updated).
	Included []InFlight
	Window   []InFlight
	Sends    []PlannedSend
	// GasLimit is the gas limit of every transaction of the round: one
	// estimate covering its longest payload, decided here so that a retried
	// send rebuilds exactly the same transactions.
	GasLimit uint64
	// Fenced: a recovery holds the fence; nothing is planned.
	Fenced bool
}

// SendRoundRequest asks SendSubmissionRound to claim and broadcast a round.
type SendRoundRequest struct {
	Block    uint64 // the plan's block, recorded as the sends' SentBlock
	Sends    []PlannedSend
	GasLimit uint64 // Plan.GasLimit
}

// Outcomes of one broadcast.
const (
	SendSent    = "sent"    // the node took it
	SendKnown   = "known"   // the node already holds it or something at its nonce, or the nonce is consumed
	SendSkipped = "skipped" // refused by the claim (recovery fence, batch no longer valid): not broadcast
)

// SendOutcome is what happened to one PlannedSend.
type SendOutcome struct {
	Result string
	TxHash string
}

// SendRoundResult has one outcome per PlannedSend, in order.
type SendRoundResult struct {
	Outcomes []SendOutcome
}

// PromotionResult reports a snapshot promotion and collection pass.
type PromotionResult struct {
	FinalizedNonce *uint64
	Promoted       bool
	Deleted        int64
}
