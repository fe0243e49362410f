// Package bench is the load generator behind `sequencer bench`: it starts a
// throwaway PostgreSQL with durable commits (or uses a given empty
// database), writes one deposit per sender (up to a million) and optionally
// a wave of pending deposits, runs `sequencer serve` as a child process and
// times how long it takes to become ready and to drain them, measures the
// machine's ceilings, then drives POST /tx with closed-loop workers while
// one WebSocket subscriber checks that every acknowledged op reaches the
// feed at its offset. All traffic stays on 127.0.0.1.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// Options configures a run. Zero values take the documented defaults.
type Options struct {
	Concurrency int           // closed-loop workers; default 16
	Duration    time.Duration // measured window; default 30s
	Warmup      time.Duration // load before the measured window; default 5s
	Senders     int           // funded accounts; default max(1024, 8×Concurrency), at most MaxSenders
	// PendingDeposits is how many more deposits, to fresh accounts, wait
	// undrained (with the senders' own) when serve starts; at most
	// MaxPendingDeposits.
	PendingDeposits int
	// LoadSenders is how many of the senders send during the load (the
	// first ones); 0 means as many as the pre-signing budget gives one op
	// each, up to Senders. Set it to compare state sizes with the same
	// working set (e.g. 1,024 of a million).
	LoadSenders int
	// DatabaseURL, when set, is an existing empty database to migrate and
	// use instead of a throwaway cluster.
	DatabaseURL string
	// MaxRateOps is the pre-signing budget in ops per second of load:
	// MaxRateOps × (Warmup+Duration) ops are signed before the load.
	// Default 20000.
	MaxRateOps int
	// Client is the HTTP client: ClientFastHTTP (default) or ClientNetHTTP.
	Client string
	// ServeBinary is the sequencer executable to run `serve` from.
	ServeBinary string
	// KeepLogs keeps serve's and PostgreSQL's logs in LogDir after the run
	// (they are always kept when the run fails).
	KeepLogs bool
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
}

// Defaults of Options.
const (
	DefaultConcurrency = 16
	DefaultDuration    = 30 * time.Second
	DefaultWarmup      = 5 * time.Second
	DefaultMaxRateOps  = 20000
	// feedGrace is how long stragglers may take to reach the feed after the
	// load.
	feedGrace = 5 * time.Second
)

// withDefaults validates o and fills in defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.Warmup == 0 {
		o.Warmup = DefaultWarmup
	}
	if o.Senders == 0 {
		o.Senders = max(1024, 8*o.Concurrency)
	}
	if o.MaxRateOps == 0 {
		o.MaxRateOps = DefaultMaxRateOps
	}
	if o.Client == "" {
		o.Client = ClientFastHTTP
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.Concurrency < 1 || o.Concurrency > 4096:
		return o, fmt.Errorf("concurrency must be in [1, 4096], got %d", o.Concurrency)
	case o.Duration < 0 || o.Warmup < 0:
		return o, errors.New("duration and warmup must not be negative")
	case o.Senders < o.Concurrency:
		return o, fmt.Errorf("senders (%d) must be at least concurrency (%d)", o.Senders, o.Concurrency)
	case o.Senders > MaxSenders:
		return o, fmt.Errorf("senders must be at most %d, got %d", MaxSenders, o.Senders)
	case o.LoadSenders != 0 && (o.LoadSenders < o.Concurrency || o.LoadSenders > o.Senders):
		return o, fmt.Errorf("load senders (%d) must be in [concurrency, senders] = [%d, %d]", o.LoadSenders, o.Concurrency, o.Senders)
	case o.PendingDeposits < 0 || o.PendingDeposits > MaxPendingDeposits:
		return o, fmt.Errorf("pending deposits must be in [0, %d], got %d", MaxPendingDeposits, o.PendingDeposits)
	case o.MaxRateOps < 1:
		return o, fmt.Errorf("max rate must be positive, got %d", o.MaxRateOps)
	case o.ServeBinary == "":
		return o, errors.New("no sequencer binary to run serve from")
	case o.Client != ClientFastHTTP && o.Client != ClientNetHTTP:
		return o, fmt.Errorf("client must be %s or %s, got %q", ClientFastHTTP, ClientNetHTTP, o.Client)
	}
	return o, nil
}

// signPlan spreads the pre-signing budget, MaxRateOps × (Warmup+Duration)
// ops, over the first `sending` senders, perSender ops each: LoadSenders
// when set, else all senders when the budget covers one op each, else as
// many as the budget covers (but at least one per worker). What is signed,
// and the memory it takes, depends on the budget and not on the number of
// funded senders.
func (o Options) signPlan() (sending, perSender int) {
	budget := max(1, int(float64(o.MaxRateOps)*(o.Warmup+o.Duration).Seconds()))
	sending = o.LoadSenders
	if sending == 0 {
		sending = min(o.Senders, max(budget, o.Concurrency))
	}
	return sending, max(1, (budget+sending-1)/sending)
}

// Run performs one bench run and returns its report. An interrupted run
// (ctx cancelled during the load) returns the partial report with the
// context's error. Everything it started is stopped before it returns.
func Run(ctx context.Context, opts Options) (rep *Report, err error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	logDir, err := os.MkdirTemp("", "sequencer-bench-")
	if err != nil {
		return nil, fmt.Errorf("log directory: %w", err)
	}
	r := &run{opts: o, log: o.Logger, logDir: logDir}
	defer func() {
		failed := err != nil && !errors.Is(err, context.Canceled)
		err = errors.Join(err, r.cleanup(failed))
	}()
	return r.execute(ctx)
}

// run is the state of one Run, torn down by cleanup.
type run struct {
	opts   Options
	log    *slog.Logger
	logDir string
	db     *database
	serve  *serveProc
}

// execute is the run proper: setup, ceilings, pre-signing, load, analysis.
func (r *run) execute(ctx context.Context) (*Report, error) {
	o := r.opts
	sending, _ := o.signPlan()
	layout := depositLayout{senders: o.Senders, pending: o.PendingDeposits}
	rep := &Report{Concurrency: o.Concurrency, WarmupSeconds: o.Warmup.Seconds(), Senders: o.Senders,
		LoadSenders: sending, PendingDeposits: o.PendingDeposits, Client: o.Client,
		Start: ServeStart{Deposits: layout.total(), DepositBlocks: layout.blocks()}}
	start := time.Now()
	all, err := newSenders(ctx, o.Senders, sending)
	if err != nil {
		return nil, fmt.Errorf("derive senders: %w", err)
	}
	senders := all[:sending]
	r.log.Info("senders derived", "senders", len(all), "with_keys", sending, "took", time.Since(start).Round(time.Millisecond))
	if err := r.setupDatabase(ctx, all, layout, rep); err != nil {
		return nil, err
	}
	r.log.Info("measuring ceilings", "each", ceilingWindow)
	if rep.Ceilings, err = measureCeilings(ctx, r.db.url, senders[0]); err != nil {
		return nil, fmt.Errorf("ceilings: %w", err)
	}
	if err := r.presign(ctx, senders, all); err != nil {
		return nil, err
	}
	if err := r.startServe(ctx, layout, rep); err != nil {
		return nil, err
	}
	err = r.load(ctx, senders, rep)
	rep.LongestCommit.AfterLoad = r.longestCommit()
	return rep, err
}

// startServe starts serve on the undrained deposits, times it to ready and
// to every deposit on the feed, and reads the longest lane commit so far.
func (r *run) startServe(ctx context.Context, layout depositLayout, rep *Report) error {
	var err error
	if r.serve, err = startServe(ctx, r.opts.ServeBinary, r.db.url, r.logDir); err != nil {
		return err
	}
	rep.Start.TimeToReadySeconds = r.serve.ready.Seconds()
	r.log.Info("serve ready", "addr", r.serve.public, "pid", r.serve.cmd.Process.Pid,
		"time_to_ready", r.serve.ready.Round(time.Millisecond), "deposits", layout.total())
	drained, err := r.serve.waitDrained(ctx, r.db.head, uint64(layout.total()), r.log)
	if err != nil {
		return err
	}
	rep.Start.DrainSeconds = drained.Seconds()
	rep.LongestCommit.AfterDrain = r.longestCommit()
	r.log.Info("deposits drained", "deposits", layout.total(), "since_start", drained.Round(time.Millisecond),
		"longest_lane_commit", describeMs(rep.LongestCommit.AfterDrain))
	// The bulk load just wrote millions of rows: let PostgreSQL digest them
	// (vacuum, statistics, a checkpoint of the dirty pages) before the
	// measured load, or the load measures the database's catch-up — a
	// one-off of this setup, not a cost of the state (a real deployment
	// accumulates its accounts over months).
	settle := time.Now()
	if err := r.db.settle(ctx); err != nil {
		r.log.Warn("could not settle the database before the load", "err", err)
	}
	rep.Start.SettleSeconds = time.Since(settle).Seconds()
	r.log.Info("database settled", "took", time.Since(settle).Round(time.Millisecond))
	return nil
}

// longestCommit reads serve's longest-lane-commit gauge; it is informative,
// so a failed scrape is only logged (and reported as n/a).
func (r *run) longestCommit() *float64 {
	if r.serve == nil {
		return nil
	}
	v, err := scrapeLongestCommit(r.serve.internal)
	if err != nil {
		r.log.Warn("longest lane commit unavailable", "err", err)
	}
	return v
}

// setupDatabase opens, migrates and funds the database and records its
// durability settings.
func (r *run) setupDatabase(ctx context.Context, senders []*sender, layout depositLayout, rep *Report) error {
	var err error
	if r.db, err = openDatabase(ctx, r.opts.DatabaseURL, r.log); err != nil {
		return err
	}
	if rep.Postgres, err = r.db.info(ctx); err != nil {
		return err
	}
	start := time.Now()
	if err := r.db.fund(ctx, addresses(senders), layout); err != nil {
		return fmt.Errorf("fund senders: %w", err)
	}
	took := time.Since(start)
	rep.Start.FundSeconds = took.Seconds()
	r.log.Info("deposits written", "senders", len(senders), "pending", layout.pending,
		"blocks", layout.blocks(), "took", took.Round(time.Millisecond))
	return nil
}

// presign signs the whole budget up front so the load does no signing:
// senders are the ones that send, all every funded one (transfers go to
// the next funded sender).
func (r *run) presign(ctx context.Context, senders, all []*sender) error {
	_, per := r.opts.signPlan()
	r.log.Info("pre-signing", "ops", per*len(senders), "per_sender", per)
	start := time.Now()
	if err := presign(ctx, senders, all, per); err != nil {
		return fmt.Errorf("pre-sign: %w", err)
	}
	r.log.Info("pre-signed", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// load subscribes to the feed at the current head, runs the workers, then
// matches every acknowledged op against the feed and fills rep.
func (r *run) load(ctx context.Context, senders []*sender, rep *Report) error {
	o := r.opts
	head, err := r.db.head(ctx)
	if err != nil {
		return err
	}
	epoch := time.Now()
	sub, err := subscribe(ctx, r.serve.public, head, epoch)
	if err != nil {
		return err
	}
	defer sub.close()
	p, err := newPoster(o.Client, r.serve.public, o.Concurrency)
	if err != nil {
		return err
	}
	defer p.close()
	r.log.Info("load started", "concurrency", o.Concurrency, "warmup", o.Warmup, "duration", o.Duration, "feed_from", head)
	pgPID := 0
	if r.db.cluster != nil {
		pgPID = postmasterPID(r.db.cluster.DataDir())
	}
	cpu0 := sampleCPU(r.serve.cmd.Process.Pid, pgPID)
	lane0, laneErr := scrapeLane(r.serve.internal)
	res := runLoad(ctx, p, loadPlan{senders: senders, concurrency: o.Concurrency, epoch: epoch, end: o.Warmup + o.Duration})
	rep.CPU = cpuBetween(cpu0, sampleCPU(r.serve.cmd.Process.Pid, pgPID))
	rep.Lane = r.laneDelta(lane0, laneErr)
	r.log.Info("load finished", "requests", len(res.records))
	if rep.ServeRSS, err = r.serve.rss(); err != nil {
		return err
	}
	if err := r.analyze(ctx, res, sub, senders, rep); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	return nil
}

// analyze classifies the requests, waits up to feedGrace for the feed to
// deliver every acknowledged op, matches them and fills rep.
func (r *run) analyze(ctx context.Context, res loadResult, sub *subscriber, senders []*sender, rep *Report) error {
	o := r.opts
	w := window{from: int64(o.Warmup), to: int64(min(o.Warmup+o.Duration, res.stopped))}
	w.to = max(w.to, w.from)
	addrs := addresses(senders)
	t := tallyRecords(res.records, addrs, w)
	coll := newCollector(sub)
	if _, err := coll.awaitAll(context.WithoutCancel(ctx), t.offsets(), feedGrace); err != nil {
		return err
	}
	rep.fill(t, matchFeed(&t, coll.entries, addrs, w), w)
	rep.BudgetExhausted, rep.SendersAbandoned = res.exhausted, res.abandoned
	return nil
}

// laneDelta reads the lane metrics again and returns the change since
// lane0; the metrics are informative, so a failed scrape is only logged.
func (r *run) laneDelta(lane0 laneSample, err error) Lane {
	var lane1 laneSample
	if err == nil {
		lane1, err = scrapeLane(r.serve.internal)
	}
	if err != nil {
		r.log.Warn("lane metrics unavailable", "err", err)
		return Lane{MetricsMissing: true}
	}
	return laneBetween(lane0, lane1)
}

// cleanup stops serve, destroys the cluster and removes the logs unless
// they are to be kept (--keep-logs, or the run failed).
func (r *run) cleanup(failed bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	if r.serve != nil {
		if err := r.serve.stop(); err != nil {
			errs = append(errs, err)
			failed = true
		}
	}
	keep := r.opts.KeepLogs || (failed && fileExists(filepath.Join(r.logDir, "serve.log")))
	if r.db != nil {
		if keep && r.db.cluster != nil {
			copyFile(r.db.cluster.LogFile(), filepath.Join(r.logDir, "postgres.log"))
		}
		if err := r.db.close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if keep {
		r.log.Info("logs kept (serve.log, postgres.log)", "dir", r.logDir)
	} else if err := os.RemoveAll(r.logDir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// copyFile copies src to dst, best effort.
func copyFile(src, dst string) {
	in, err := os.Open(src)
	if err != nil {
		return
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return
	}
	defer out.Close()
	_, _ = io.Copy(out, in)
}
