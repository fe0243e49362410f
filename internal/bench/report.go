package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of one bench run. Durations are reported in
// milliseconds (latencies) or seconds (windows) in JSON.
type Report struct {
	Concurrency     int     `json:"concurrency"`
	WarmupSeconds   float64 `json:"warmup_seconds"`
	DurationSeconds float64 `json:"duration_seconds"` // the measured window actually run
	Senders         int     `json:"senders"`          // funded accounts
	// LoadSenders is how many of them send: the pre-signing budget
	// (MaxRateOps × (warm-up+duration) ops) is spread over at most that
	// many senders, so a million accounts do not mean a million signatures.
	LoadSenders     int        `json:"load_senders"`
	PendingDeposits int        `json:"pending_deposits"`
	Client          string     `json:"client"`
	Postgres        PGInfo     `json:"postgres"`
	Start           ServeStart `json:"serve_start"`

	// Accepted counts 200 answers acknowledged inside the measured window.
	Accepted       int     `json:"accepted"`
	AcceptedPerSec float64 `json:"accepted_per_sec"`
	// Ack is POST /tx latency (send → response) of the requests started in
	// the measured window; Feed is submit → arrival on the WebSocket feed of
	// the accepted ones among them.
	Ack  Percentiles `json:"ack_latency_ms"`
	Feed Percentiles `json:"submit_to_feed_ms"`

	// NonOK counts non-200 answers over the whole run (warm-up included),
	// keyed "<status> <code>".
	NonOK            map[string]int `json:"non_200"`
	TransportErrors  int            `json:"transport_errors"`
	SendersAbandoned int            `json:"senders_abandoned"`
	BudgetExhausted  bool           `json:"budget_exhausted"`

	// Acked is every op acknowledged over the whole run; each must appear on
	// the feed at its offset with the same sender and nonce.
	Acked      int `json:"acked"`
	Missing    int `json:"feed_missing"`
	Mismatched int `json:"feed_mismatched"`
	Unmatched  int `json:"unmatched"`

	ServeRSS RSS  `json:"serve_rss"`
	CPU      CPU  `json:"cpu_during_load"`
	Lane     Lane `json:"lane_during_load"`
	// LongestCommit is serve's longest lane commit since it started.
	LongestCommit LongestCommit `json:"longest_lane_commit_ms"`
	Ceilings      Ceilings      `json:"ceilings"`
}

// ServeStart is how serve came up on the deposits written before it
// started: one per sender plus the pending ones, none drained.
type ServeStart struct {
	Deposits      int     `json:"deposits"`
	DepositBlocks int     `json:"deposit_blocks"`
	FundSeconds   float64 `json:"fund_seconds"` // writing them (COPY), before serve started
	// TimeToReadySeconds is serve's process start → the first /readyz 200.
	TimeToReadySeconds float64 `json:"time_to_ready_seconds"`
	// DrainSeconds is serve's process start → every deposit on the feed.
	DrainSeconds float64 `json:"drain_seconds"`
	// SettleSeconds is the VACUUM (ANALYZE) and CHECKPOINT after the drain,
	// before the load.
	SettleSeconds float64 `json:"settle_seconds"`
}

// LongestCommit is serve's sequencer_lane_longest_commit_seconds gauge (the
// longest lane commit of any kind since the process started), read once
// the deposits are drained and again after the load. Null (n/a) when serve
// does not export it.
type LongestCommit struct {
	AfterDrain *float64 `json:"after_drain"`
	AfterLoad  *float64 `json:"after_load"`
}

// PGInfo describes the database the run used.
type PGInfo struct {
	Throwaway         bool   `json:"throwaway_cluster"`
	Fsync             string `json:"fsync"`
	SynchronousCommit string `json:"synchronous_commit"`
	FullPageWrites    string `json:"full_page_writes"`
}

// RSS is the serve child's resident memory, in bytes.
type RSS struct {
	Peak    int64 `json:"peak_bytes"`
	Current int64 `json:"current_bytes"`
}

// Ceilings are the machine's limits measured in the same run.
type Ceilings struct {
	Cores                int     `json:"cores"`
	RecoveriesPerSec     float64 `json:"signature_recoveries_per_sec"`
	OneRowCommitsPerSec  float64 `json:"commits_per_sec_1_row"`
	SixtyFourRowsPerSec  float64 `json:"commits_per_sec_64_rows"`
	SixtyFourRowsRowsSec float64 `json:"rows_per_sec_64_rows"`
}

// Percentiles summarises a latency sample, in milliseconds.
type Percentiles struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p99_9"`
	Max   float64 `json:"max"`
}

// percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of a
// sorted sample, or 0 for an empty one.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// The epsilon absorbs float error (99.9/100×1000 is 999.0000000000001).
	rank := int(math.Ceil(p/100*float64(len(sorted)) - 1e-9))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// summarize sorts sample in place and returns its percentiles.
func summarize(sample []time.Duration) Percentiles {
	slices.Sort(sample)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	out := Percentiles{Count: len(sample)}
	if len(sample) == 0 {
		return out
	}
	out.P50 = ms(percentile(sample, 50))
	out.P95 = ms(percentile(sample, 95))
	out.P99 = ms(percentile(sample, 99))
	out.P999 = ms(percentile(sample, 99.9))
	out.Max = ms(sample[len(sample)-1])
	return out
}

// NonOKTotal is the number of non-200 answers.
func (r *Report) NonOKTotal() int {
	n := 0
	for _, v := range r.NonOK {
		n += v
	}
	return n
}

// WriteText prints the human-readable report.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, args...)...) }
	fmt.Fprintf(tw, "sequencer bench\n")
	line("concurrency", "%d (workers, one request in flight each; client %s)", r.Concurrency, r.Client)
	line("window", "%.1fs measured after %.1fs warm-up", r.DurationSeconds, r.WarmupSeconds)
	line("state", "%d funded senders (%d of them sending), %d pending deposits", r.Senders, r.LoadSenders, r.PendingDeposits)
	line("postgres", "%s", r.Postgres.describe())
	line("deposits at start", "%d undrained over %d L1 blocks (written in %.2fs)", r.Start.Deposits, r.Start.DepositBlocks, r.Start.FundSeconds)
	line("time-to-ready", "%.2fs (serve process start → /readyz 200)", r.Start.TimeToReadySeconds)
	line("drain time", "%.2fs (serve process start → all %d deposits on the feed)", r.Start.DrainSeconds, r.Start.Deposits)
	line("db settle", "%.2fs (VACUUM (ANALYZE) and CHECKPOINT after the drain, before the load)", r.Start.SettleSeconds)
	line("longest lane commit", "%s after the drain, %s after the load (since serve started)",
		describeMs(r.LongestCommit.AfterDrain), describeMs(r.LongestCommit.AfterLoad))
	line("accepted", "%.0f tx/s (%d ops in the measured window)", r.AcceptedPerSec, r.Accepted)
	line("ack latency", "%s", r.Ack.describe(true))
	line("submit-to-feed", "%s", r.Feed.describe(false))
	line("non-200 (whole run)", "%s", describeCounts(r.NonOK))
	line("transport errors", "%d", r.TransportErrors)
	line("unmatched feed", "%d (missing %d, mismatched %d) of %d acknowledged ops", r.Unmatched, r.Missing, r.Mismatched, r.Acked)
	if r.SendersAbandoned > 0 || r.BudgetExhausted {
		line("WARNING", "senders abandoned %d, pre-signed budget exhausted %t: throughput understated", r.SendersAbandoned, r.BudgetExhausted)
	}
	line("serve RSS", "peak %.1f MiB (VmHWM), current %.1f MiB (VmRSS)", mib(r.ServeRSS.Peak), mib(r.ServeRSS.Current))
	line("cpu during load", "%s", r.CPU.describe(r.Ceilings.Cores))
	line("lane during load", "%s", r.Lane.describe())
	fmt.Fprintf(tw, "ceilings (same run, before the load)\n")
	line("  signature recoveries", "%.0f /s on %d cores", r.Ceilings.RecoveriesPerSec, r.Ceilings.Cores)
	line("  postgres commits, 1-row tx", "%.0f /s (one client)", r.Ceilings.OneRowCommitsPerSec)
	line("  postgres commits, 64-row tx", "%.0f /s (one client; %.0f rows/s)", r.Ceilings.SixtyFourRowsPerSec, r.Ceilings.SixtyFourRowsRowsSec)
	return tw.Flush()
}

// WriteJSON prints the report as one indented JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (p PGInfo) describe() string {
	kind := "existing database (--database-url)"
	if p.Throwaway {
		kind = "throwaway cluster"
	}
	durable := "durable commits"
	if p.Fsync != "on" || p.SynchronousCommit == "off" {
		durable = "NOT durable commits"
	}
	return fmt.Sprintf("%s, fsync=%s synchronous_commit=%s full_page_writes=%s (%s)",
		kind, p.Fsync, p.SynchronousCommit, p.FullPageWrites, durable)
}

func (p Percentiles) describe(full bool) string {
	if p.Count == 0 {
		return "no samples"
	}
	if !full {
		return fmt.Sprintf("p50 %.2f ms  p99 %.2f ms  max %.2f ms  (n=%d)", p.P50, p.P99, p.Max, p.Count)
	}
	return fmt.Sprintf("p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms  (n=%d)",
		p.P50, p.P95, p.P99, p.P999, p.Max, p.Count)
}

func (c CPU) describe(cores int) string {
	pg, other := "n/a", "other processes (postgres included)"
	if c.Postgres >= 0 {
		pg, other = fmt.Sprintf("%.2f", c.Postgres), "other processes"
	}
	return fmt.Sprintf("serve %.2f, postgres %s, bench %.2f, %s %.2f cores (machine busy %.2f of %d)",
		c.Serve, pg, c.Bench, other, c.Other, c.Machine, cores)
}

func (l Lane) describe() string {
	if l.MetricsMissing {
		return "metrics unavailable"
	}
	return fmt.Sprintf("%d group commits (%.0f/s), mean %.1f ops/commit, mean %.2f ms/commit, busy %.0f%%",
		l.Commits, l.CommitsPerSec, l.MeanChunkOps, l.MeanCommitMs, 100*l.BusyFraction)
}

func describeCounts(m map[string]int) string {
	if len(m) == 0 {
		return "0"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// describeMs prints an optional figure in milliseconds, n/a when absent.
func describeMs(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.2f ms", *v)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
