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
	limit := dangerLine(cfg)
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
	missed := missedBlocks(h, now, cfg)
	if inDanger(v.ClosedFirstSafeBlock, limit-missed) || inDanger(v.TipFirstSafeBlock, limit-missed) {
		return DangerEstimated
	}
	return DangerSafe
}

// dangerLine is MAX_WAIT_BLOCKS − the margin: the age in blocks at which a
// batch is in danger.
func dangerLine(cfg DangerConfig) int64 {
	return int64(protocol.MaxWaitBlocks) - int64(cfg.MarginBlocks)
}

// missedBlocks is how many blocks the safe head has presumably advanced
// unseen since it last moved (DangerEstimated counts them against the line).
func missedBlocks(h store.SafeHead, now time.Time, cfg DangerConfig) int64 {
	blockTime := time.Duration(cfg.SecondsPerBlock) * time.Second
	if since := now.Sub(h.LastAdvance); since > 0 && blockTime > 0 {
		return int64(since / blockTime)
	}
	return 0
}

// DangerMargin is where the oldest batch not accepted on L1 (a valid sealed
// batch, else the open one) stands against the danger line, by Classify's
// rules, for the worker's sequencer_backlog_age_blocks and
// sequencer_blocks_until_danger gauges. ageBlocks is the stored safe block
// minus the batch's first frame's safe block (0 when there is no such
// batch). untilDanger is the danger line (MaxWaitBlocks − margin) minus
// that age minus the blocks estimated missed since the safe head last
// advanced (as DangerEstimated counts them): ≤ 0 means the detector
// reports danger. ok is false when the safe head is unknown.
func DangerMargin(v store.DangerView, now time.Time, cfg DangerConfig) (ageBlocks uint64, untilDanger int64, ok bool) {
	h := v.SafeHead
	if !h.Known {
		return 0, 0, false
	}
	for _, first := range []*uint64{v.ClosedFirstSafeBlock, v.TipFirstSafeBlock} {
		if first != nil && h.Block > *first {
			ageBlocks = max(ageBlocks, h.Block-*first)
		}
	}
	return ageBlocks, dangerLine(cfg) - int64(ageBlocks) - missedBlocks(h, now, cfg), true
}
