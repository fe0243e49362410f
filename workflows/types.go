// Package workflows holds the worker's Temporal workflows: the L1 observer,
// the batch submitter and snapshot maintenance. Workflow code is
// deterministic — no I/O, no clocks, no goroutines but the SDK's — and
// reaches the world only through activities, which it calls by name: this
// package imports neither the store nor the L1 client (an architecture test
// enforces it), and the activity inputs and results are the plain types
// below.
package workflows

import "time"

// TaskQueue is the worker's task queue.
const TaskQueue = "sequencer"

// Fixed workflow IDs: each workflow is a singleton, started idempotently when
// a worker starts.
const (
	ObserverWorkflowID  = "l1-observer"
	SubmitterWorkflowID = "batch-submitter"
	SnapshotWorkflowID  = "snapshot-maintenance"
)

// Activity names, shared with the registration in package worker.
const (
	ActivityObserve          = "Observe"
	ActivityPlanSubmission   = "PlanSubmission"
	ActivitySendBatch        = "SendBatch"
	ActivityAwaitInclusion   = "AwaitInclusion"
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

// Query and signal names.
const (
	QueryStatus    = "status"
	SignalPause    = "pause"
	SignalResume   = "resume"
	SignalAccepted = "accepted"
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

// PlannedBatch is a sealed batch assigned to a wallet nonce.
type PlannedBatch struct {
	BatchNonce  uint64
	WalletNonce uint64
	Hash        string // keccak of the payload, 0x hex
}

// Plan is a submission round: the first batch nonce the rollup still needs
// and the batches to send, wallet nonces consecutive from the account's
// current transaction count.
type Plan struct {
	FirstNeeded uint64
	Batches     []PlannedBatch
}

// Fees are EIP-1559 caps in wei, as decimal strings (workflow history
// stays readable and exact).
type Fees struct {
	TipCap string
	FeeCap string
}

// SendRequest asks SendBatch to (re)broadcast one planned batch. Previous is
// the fees of the last broadcast at this wallet nonce, if any: a re-send
// bumps them to clear the node's replacement rule.
type SendRequest struct {
	Batch    PlannedBatch
	Previous *Fees
}

// SendResult is what was broadcast.
type SendResult struct {
	TxHash string
	Fees   Fees
	// AlreadyKnown: the node already had a transaction at this nonce (this
	// one or an earlier attempt); it was not replaced.
	AlreadyKnown bool
	// Skipped: the batch is no longer the valid sealed batch with that nonce
	// (a recovery replaced it since planning); nothing was sent.
	Skipped bool
}

// AwaitRequest waits until the wallet nonce is consumed on L1 with the
// required confirmations, or the timeout passes.
type AwaitRequest struct {
	WalletNonce   uint64
	Confirmations uint64
	Timeout       time.Duration
}

// AwaitResult reports whether the nonce was consumed deep enough.
type AwaitResult struct {
	Included bool
}

// PromotionResult reports a snapshot promotion and collection pass.
type PromotionResult struct {
	FinalizedNonce *uint64
	Promoted       bool
	Deleted        int64
}
