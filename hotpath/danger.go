package hotpath

import (
	"time"

	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
)

// Danger is the detector's classification (l1-and-recovery.md §3). Anything
// but DangerSafe closes intake; only the observed dangers authorise a
// recovery to invalidate anything.
type Danger string

const (
	DangerDivergence  Danger = "divergence"             // 1: terminal
	DangerL1Stale     Danger = "l1_stale"               // 2
	DangerClosedBatch Danger = "closed_batch_in_danger" // 3: observed
	DangerTip         Danger = "tip_in_danger"          // 4: observed
	DangerClockFault  Danger = "clock_fault"            // 5
	DangerEstimated   Danger = "estimated_danger"       // 6
	DangerSafe        Danger = "safe"                   // 7
)

// Observed reports whether the danger is observed on L1 data (3 or 4), the
// only kind that authorises invalidation.
func (d Danger) Observed() bool { return d == DangerClosedBatch || d == DangerTip }

// DangerConfig holds the detector's thresholds.
type DangerConfig struct {
	MarginBlocks    uint64 // SEQ_PREEMPTIVE_MARGIN_BLOCKS
	ReadStaleBlocks uint64 // SEQ_L1_READ_STALE_AFTER_BLOCKS
	SecondsPerBlock uint64 // SEQ_SECONDS_PER_BLOCK
}

// Classify applies the detector's rules in order; the first that holds
// wins. It is pure: now is injected.
func Classify(v store.DangerView, now time.Time, cfg DangerConfig) Danger {
	if v.Control.Divergence != "" {
		return DangerDivergence
	}
	h := v.SafeHead
	spb := int64(cfg.SecondsPerBlock)
	blockTime := time.Duration(spb) * time.Second
	// The safe block's timestamp is whole seconds, now is not: compare
	// instants (never now truncated to seconds, which makes a block 11.001 s
	// ahead look a whole 12 s block time ahead).
	safeTime := time.Unix(int64(h.Timestamp), 0)
	if !h.Known || now.Sub(safeTime) >= time.Duration(cfg.ReadStaleBlocks)*blockTime {
		return DangerL1Stale
	}
	limit := int64(protocol.MaxWaitBlocks) - int64(cfg.MarginBlocks)
	inDanger := func(first *uint64, limit int64) bool {
		return first != nil && int64(h.Block)-int64(*first) >= limit
	}
	if inDanger(v.ClosedFirstSafeBlock, limit) {
		return DangerClosedBatch
	}
	if inDanger(v.TipFirstSafeBlock, limit) {
		return DangerTip
	}
	if safeTime.Sub(now) >= blockTime || h.LastAdvance.Sub(now) >= blockTime {
		return DangerClockFault
	}
	missed := int64(0)
	if since := now.Sub(h.LastAdvance); since > 0 && spb > 0 {
		missed = int64(since / blockTime)
	}
	if inDanger(v.ClosedFirstSafeBlock, limit-missed) || inDanger(v.TipFirstSafeBlock, limit-missed) {
		return DangerEstimated
	}
	return DangerSafe
}
