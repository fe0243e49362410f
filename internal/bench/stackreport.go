package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// StackInterval is one stretch of the load mode: what was offered and how
// it was answered (counts), what reached L1 (counts), and the levels at its
// end.
type StackInterval struct {
	Phase       string  `json:"phase"` // load or settle
	FromSeconds float64 `json:"from_s"`
	ToSeconds   float64 `json:"to_s"`
	Seconds     float64 `json:"seconds"`

	Offered       int64 `json:"offered"`
	Acked         int64 `json:"acked"`
	L1Backlog     int64 `json:"shed_429_l1_backlog"`
	Overloaded    int64 `json:"shed_429_overloaded"`
	Unavailable   int64 `json:"shed_503"`
	Rejected      int64 `json:"shed_422"`
	Other         int64 `json:"other"`
	ClientDropped int64 `json:"client_dropped"`

	Blocks uint64 `json:"l1_blocks"`
	// Posted: the batch submitter's transactions included in these blocks
	// (latest, not yet safe), decoded.
	PostedTxs     int     `json:"posted_txs"`
	PostedBatches int     `json:"posted_batches"`
	PostedOps     int64   `json:"posted_ops"`
	DuplicateTxs  int     `json:"duplicate_batch_txs"`
	GasUsed       uint64  `json:"l1_gas_used"`
	GasPerOp      float64 `json:"l1_gas_per_op"` // 0 when no op was posted
	// Accepted: batches the rollup accepted (the database; at the safe
	// head, which trails latest by 32 blocks on the dev chain).
	AcceptedBatches int   `json:"accepted_batches"`
	AcceptedOps     int64 `json:"accepted_ops"`

	Admission   *Admission `json:"admission"` // nil: /healthz has no admission object
	BacklogOps  int64      `json:"db_backlog_ops"`
	Fee         uint16     `json:"fee"`
	Invalidated int64      `json:"invalidated_batches"`
	Generation  int64      `json:"recovery_generation"`
	Mode        string     `json:"mode"`
}

func newInterval(phase string, from, to time.Duration, c counts, cs chainSample, prevBlock uint64, fs feeState) StackInterval {
	iv := StackInterval{Phase: phase, FromSeconds: from.Seconds(), ToSeconds: to.Seconds(), Seconds: (to - from).Seconds(),
		Offered: c.offered, Acked: c.by[outAcked], L1Backlog: c.by[outL1Backlog], Overloaded: c.by[outOverloaded],
		Unavailable: c.by[outUnavailable], Rejected: c.by[outRejected], Other: c.by[outOther], ClientDropped: c.by[outDropped],
		AcceptedBatches: cs.AcceptedBatches, AcceptedOps: cs.AcceptedOps, PostedTxs: cs.PostedTxs,
		PostedBatches: cs.PostedBatches, PostedOps: cs.PostedOps, DuplicateTxs: cs.DuplicateTxs, GasUsed: cs.GasUsed, Admission: fs.Admission, BacklogOps: cs.BacklogOps, Fee: fs.Fee,
		Invalidated: cs.Invalidated, Generation: cs.Generation, Mode: cs.Mode}
	if cs.Block >= prevBlock {
		iv.Blocks = cs.Block - prevBlock
	}
	if iv.PostedOps > 0 {
		iv.GasPerOp = float64(iv.GasUsed) / float64(iv.PostedOps)
	}
	return iv
}

// rate is n per second of the interval.
func (iv StackInterval) rate(n int64) float64 {
	if iv.Seconds <= 0 {
		return 0
	}
	return float64(n) / iv.Seconds
}

// Line is the interval's progress line.
func (iv StackInterval) Line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%5.0fs] offered %.1f/s acked %.1f/s | shed/s: 429 L1_BACKLOG %.1f, 429 OVERLOADED %.1f, 503 %.1f, 422 %.1f, other %.1f, client-dropped %.1f",
		iv.ToSeconds, iv.rate(iv.Offered), iv.rate(iv.Acked), iv.rate(iv.L1Backlog), iv.rate(iv.Overloaded),
		iv.rate(iv.Unavailable), iv.rate(iv.Rejected), iv.rate(iv.Other), iv.rate(iv.ClientDropped))
	if iv.Phase == "settle" {
		b.Reset()
		fmt.Fprintf(&b, "[%5.0fs] settling", iv.ToSeconds)
	}
	fmt.Fprintf(&b, " | L1 (%d blocks): posted %.1f ops/s (%d txs", iv.Blocks, iv.rate(iv.PostedOps), iv.PostedTxs)
	if iv.DuplicateTxs > 0 {
		fmt.Fprintf(&b, ", %d DUPLICATE", iv.DuplicateTxs)
	}
	fmt.Fprintf(&b, "), gas/op %s, accepted %.1f ops/s (%d batches)", gasPerOp(iv.GasUsed, iv.PostedOps),
		iv.rate(iv.AcceptedOps), iv.AcceptedBatches)
	fmt.Fprintf(&b, " | %s, fee %d | invalidated %d, recovery gen %d", describeAdmission(iv.Admission, iv.BacklogOps),
		iv.Fee, iv.Invalidated, iv.Generation)
	if iv.Mode != "" && iv.Mode != "normal" {
		fmt.Fprintf(&b, " (%s)", iv.Mode)
	}
	return b.String()
}

func gasPerOp(gas uint64, ops int64) string {
	if ops == 0 {
		if gas > 0 {
			return fmt.Sprintf("n/a (%d gas, no op accepted)", gas)
		}
		return "n/a"
	}
	return fmt.Sprintf("%.0f", float64(gas)/float64(ops))
}

func describeAdmission(a *Admission, dbBacklog int64) string {
	if a == nil {
		return fmt.Sprintf("backlog %d ops (db), queue delay n/a, admission n/a", dbBacklog)
	}
	return fmt.Sprintf("backlog %d ops, queue delay %.1f blocks (soft %d, hard %d), admission %s step %d",
		a.BacklogOps, a.QueueDelayBlocks, a.SoftBlocks, a.HardBlocks, a.State, a.FeeStep)
}

// sumIntervals adds up counts; levels are the last interval's.
func sumIntervals(ivs []StackInterval) StackInterval {
	var t StackInterval
	t.Phase = "total"
	for i, iv := range ivs {
		if i == 0 {
			t.FromSeconds = iv.FromSeconds
		}
		t.ToSeconds = iv.ToSeconds
		t.Offered += iv.Offered
		t.Acked += iv.Acked
		t.L1Backlog += iv.L1Backlog
		t.Overloaded += iv.Overloaded
		t.Unavailable += iv.Unavailable
		t.Rejected += iv.Rejected
		t.Other += iv.Other
		t.ClientDropped += iv.ClientDropped
		t.Blocks += iv.Blocks
		t.AcceptedBatches += iv.AcceptedBatches
		t.AcceptedOps += iv.AcceptedOps
		t.PostedTxs += iv.PostedTxs
		t.PostedBatches += iv.PostedBatches
		t.PostedOps += iv.PostedOps
		t.DuplicateTxs += iv.DuplicateTxs
		t.GasUsed += iv.GasUsed
		t.Admission, t.BacklogOps, t.Fee = iv.Admission, iv.BacklogOps, iv.Fee
		t.Invalidated, t.Generation, t.Mode = iv.Invalidated, iv.Generation, iv.Mode
	}
	t.Seconds = t.ToSeconds - t.FromSeconds
	if t.PostedOps > 0 {
		t.GasPerOp = float64(t.GasUsed) / float64(t.PostedOps)
	}
	return t
}

// StackReport is the outcome of RunStack.
type StackReport struct {
	Rate            float64 `json:"offered_rate_ops_per_s"`
	DurationSeconds float64 `json:"duration_s"`
	Senders         int     `json:"senders"`
	Concurrency     int     `json:"concurrency"`
	BlockTimeSet    string  `json:"block_time_set,omitempty"` // --block-time, if given
	SecondsPerBlock float64 `json:"observed_seconds_per_block"`
	Overrides       string  `json:"stack_overrides,omitempty"` // the stack's DEV_ENV
	FundSeconds     float64 `json:"fund_s"`
	Command         string  `json:"command,omitempty"`

	Intervals []StackInterval `json:"intervals"`
	Settle    []StackInterval `json:"settle,omitempty"`
	Total     StackInterval   `json:"total"`

	FeeBaseline uint16 `json:"fee_at_start"`
	FeeMax      uint16 `json:"fee_max"`
	// FeeRoseAt and FirstL1BacklogAt are seconds into the load, -1 when it
	// did not happen.
	FeeRoseAt            float64        `json:"fee_rose_at_s"`
	FirstL1BacklogAt     float64        `json:"first_429_l1_backlog_at_s"`
	MaxQueueDelayBlocks  float64        `json:"max_queue_delay_blocks"` // -1: n/a
	BadRetryAfter        int64          `json:"l1_backlog_without_retry_after"`
	OtherAnswers         map[string]int `json:"other_answers,omitempty"`
	InvalidatedDuringRun int64          `json:"invalidated_during_run"`
	RecoveriesDuringRun  int64          `json:"recoveries_during_run"`
}

func (r *StackReport) fillFees(st feeState, load *openLoad) {
	r.FeeBaseline, r.FeeMax = st.Baseline, st.MaxFee
	r.FeeRoseAt, r.FirstL1BacklogAt, r.MaxQueueDelayBlocks = -1, -1, -1
	if st.FeeRoseAt > 0 {
		r.FeeRoseAt = st.FeeRoseAt.Seconds()
	}
	if ns := load.firstL1Backlog.Load(); ns > 0 {
		r.FirstL1BacklogAt = time.Duration(ns).Seconds()
	}
	if st.Admission != nil || st.MaxDelay > 0 {
		r.MaxQueueDelayBlocks = st.MaxDelay
	}
}

// WriteText prints the summary and a Markdown table row for
// docs/performance.md.
func (r *StackReport) WriteText(w io.Writer) error {
	t := r.Total
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("")
	p("sequencer bench stack: %.1fs of load, %d senders (funded in %.1fs), at most %d in flight", r.DurationSeconds, r.Senders, r.FundSeconds, r.Concurrency)
	if r.Overrides != "" {
		p("  stack overrides      %s", r.Overrides)
	}
	p("  L1 blocks            %d in %.1fs (%.2f s/block)", t.Blocks, t.Seconds, r.SecondsPerBlock)
	p("  offered              %.1f ops/s (%d)", t.rate(t.Offered), t.Offered)
	p("  acknowledged         %.1f ops/s (%d)", t.rate(t.Acked), t.Acked)
	p("  shed 429 L1_BACKLOG  %.1f ops/s (%d; %d without a valid Retry-After)", t.rate(t.L1Backlog), t.L1Backlog, r.BadRetryAfter)
	p("  shed 429 OVERLOADED  %.1f ops/s (%d)", t.rate(t.Overloaded), t.Overloaded)
	p("  shed 503             %.1f ops/s (%d)", t.rate(t.Unavailable), t.Unavailable)
	p("  shed 422             %.1f ops/s (%d)", t.rate(t.Rejected), t.Rejected)
	p("  other answers        %.1f ops/s (%d) %s", t.rate(t.Other), t.Other, describeCounts(r.OtherAnswers))
	p("  client-dropped       %.1f ops/s (%d)", t.rate(t.ClientDropped), t.ClientDropped)
	p("  posted on L1         %.1f ops/s (%d ops in %d batches, %d transactions, %d carrying an already included batch)",
		t.rate(t.PostedOps), t.PostedOps, t.PostedBatches, t.PostedTxs, t.DuplicateTxs)
	p("  L1 gas per op        %s (%d gas)", gasPerOp(t.GasUsed, t.PostedOps), t.GasUsed)
	p("  accepted on L1       %.1f ops/s (%d ops in %d batches; accepted at the safe head, 32 blocks behind latest)", t.rate(t.AcceptedOps), t.AcceptedOps, t.AcceptedBatches)
	p("  at the end           %s, fee %d", describeAdmission(t.Admission, t.BacklogOps), t.Fee)
	p("  fee                  %d at start, max %d, first rose %s; first 429 L1_BACKLOG %s", r.FeeBaseline, r.FeeMax,
		atOrNever(r.FeeRoseAt), atOrNever(r.FirstL1BacklogAt))
	p("  max queue delay      %s", maxDelay(r.MaxQueueDelayBlocks))
	p("  invalidated batches  %d during the run (%d ever); recoveries during the run %d", r.InvalidatedDuringRun, t.Invalidated, r.RecoveriesDuringRun)
	if n := len(r.Settle); n > 0 {
		s := sumIntervals(r.Settle)
		p("  after the load       %.0fs: posted %.1f ops/s (%d ops), accepted %.1f ops/s (%d ops); at the end %s", s.Seconds,
			s.rate(s.PostedOps), s.PostedOps, s.rate(s.AcceptedOps), s.AcceptedOps, describeAdmission(s.Admission, s.BacklogOps))
	}
	p("")
	p("for docs/performance.md:")
	p("%s", PasteHeader)
	p("%s", r.PasteRow())
	return nil
}

// PasteHeader is the Markdown table header of PasteRow.
const PasteHeader = "| s/block | offered ops/s | acked ops/s | 429 L1_BACKLOG /s | other shed /s | posted ops/s | accepted on L1 ops/s | L1 gas/op | max queue delay (blocks) | fee start→max (rose at) | first 429 L1_BACKLOG | invalidated | recoveries | command |\n" +
	"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"

// PasteRow is the run as one Markdown table row.
func (r *StackReport) PasteRow() string {
	t := r.Total
	otherShed := t.Overloaded + t.Unavailable + t.Rejected + t.Other + t.ClientDropped
	cmd := r.Command
	if r.Overrides != "" {
		cmd = "DEV_ENV='" + r.Overrides + "' · " + cmd
	}
	return fmt.Sprintf("| %.2f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %s | %s | %d→%d (%s) | %s | %d | %d | `%s` |",
		r.SecondsPerBlock, t.rate(t.Offered), t.rate(t.Acked), t.rate(t.L1Backlog), t.rate(otherShed), t.rate(t.PostedOps),
		t.rate(t.AcceptedOps), gasPerOp(t.GasUsed, t.PostedOps), maxDelay(r.MaxQueueDelayBlocks), r.FeeBaseline, r.FeeMax, atOrNever(r.FeeRoseAt),
		atOrNever(r.FirstL1BacklogAt), r.InvalidatedDuringRun, r.RecoveriesDuringRun, cmd)
}

func atOrNever(s float64) string {
	if s < 0 {
		return "never"
	}
	return fmt.Sprintf("at %.0fs", s)
}

func maxDelay(d float64) string {
	if d < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", d)
}

// WriteJSON prints the report as one indented JSON object.
func (r *StackReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
