package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cartesi/sequencer/internal/bench"
	"github.com/cartesi/sequencer/internal/devstack"
)

// runBench: sequencer bench — load-generate against a local serve (a child
// process of this binary) and print latency and throughput figures plus the
// machine's ceilings. The report goes to stdout, progress logs to stderr.
func runBench(ctx context.Context, args []string, stdio Stdio) error {
	if len(args) > 0 && args[0] == "stack" {
		return runBenchStack(ctx, args[1:], stdio)
	}
	fs := newFlagSet("bench", stdio)
	concurrency := fs.Int("concurrency", bench.DefaultConcurrency, "closed-loop clients, one request in flight each")
	duration := fs.Duration("duration", bench.DefaultDuration, "measured window, after the warm-up")
	warmup := fs.Duration("warmup", bench.DefaultWarmup, "load before the measured window (not counted)")
	senders := fs.Int("senders", 0, fmt.Sprintf("funded senders, at most %d (default max(1024, 8×concurrency)); the pre-signing budget is spread over at most as many as it covers", bench.MaxSenders))
	loadSenders := fs.Int("load-senders", 0, "senders that send during the load, the first ones (default: as many as the pre-signing budget gives one op each, up to --senders)")
	pending := fs.Int("pending-deposits", 0, fmt.Sprintf("deposits to fresh accounts also waiting undrained when serve starts (%d per L1 block, at most %d)", bench.PendingPerBlock, bench.MaxPendingDeposits))
	dbURL := fs.String("database-url", "", "use this existing EMPTY database (migrated by the bench) instead of a throwaway cluster")
	maxRate := fs.Int("max-rate-ops", bench.DefaultMaxRateOps, "pre-signing budget in ops/s: signs max-rate-ops × (warmup+duration) ops up front")
	client := fs.String("client", bench.ClientFastHTTP, "HTTP client: fasthttp or nethttp")
	asJSON := fs.Bool("json", false, "also print the report as JSON")
	keepLogs := fs.Bool("keep-logs", false, "keep serve's and PostgreSQL's logs (always kept on failure)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *concurrency < 1 || *duration <= 0 || *warmup < 0 || *senders < 0 || *maxRate < 1 || *pending < 0 || *loadSenders < 0 {
		return usagef("concurrency, duration and max-rate-ops must be positive; warmup, senders, load-senders and pending-deposits not negative")
	}
	if *senders > bench.MaxSenders || *pending > bench.MaxPendingDeposits {
		return usagef("--senders must be at most %d and --pending-deposits at most %d", bench.MaxSenders, bench.MaxPendingDeposits)
	}
	if *client != bench.ClientFastHTTP && *client != bench.ClientNetHTTP {
		return usagef("--client must be %s or %s", bench.ClientFastHTTP, bench.ClientNetHTTP)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locate the sequencer binary: %w", err)
	}
	rep, err := bench.Run(ctx, bench.Options{
		Concurrency: *concurrency, Duration: *duration, Warmup: zeroAsTiny(*warmup), Senders: *senders, PendingDeposits: *pending, LoadSenders: *loadSenders,
		DatabaseURL: *dbURL, MaxRateOps: *maxRate, Client: *client, ServeBinary: self, KeepLogs: *keepLogs,
		Logger: newLogger(stdio, "bench"),
	})
	if rep != nil {
		if werr := writeReport(stdio, rep, *asJSON); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// zeroAsTiny maps an explicit --warmup 0 to a nanosecond, since zero means
// "default" to the bench package.
func zeroAsTiny(d time.Duration) time.Duration {
	if d == 0 {
		return time.Nanosecond
	}
	return d
}

func writeReport(stdio Stdio, rep *bench.Report, asJSON bool) error {
	if err := rep.WriteText(stdio.Out); err != nil {
		return err
	}
	if !asJSON {
		return nil
	}
	return rep.WriteJSON(stdio.Out)
}

// runBenchStack: sequencer bench stack — the end-to-end load mode. It
// drives the running `make dev` stack (read from .devstack/env): funds
// fresh senders through the ERC-20 portal, offers POST /tx at a fixed rate
// (open loop) for a duration, and prints every interval and at the end the
// offered, acknowledged and shed rates, what L1 accepted, the L1 gas per
// op, the admission state, the fee and invalidations. Loopback targets
// only; it never writes to the stack's database.
func runBenchStack(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("bench stack", stdio)
	fs.Usage = func() {
		fmt.Fprintln(stdio.Err, "usage: sequencer bench stack [--rate OPS] [--duration D] [--senders N] [--block-time 12s] …   (against a running `make dev`)")
		fs.PrintDefaults()
	}
	envFile := fs.String("env", "", "the stack's environment file (default: .devstack/env at the module root)")
	rate := fs.Float64("rate", bench.DefaultStackRate, "offered ops/s, scheduled by the clock whatever the answers (open loop)")
	duration := fs.Duration("duration", bench.DefaultStackDuration, "how long ops are offered")
	senders := fs.Int("senders", bench.DefaultStackSenders, "fresh senders funded through the ERC-20 portal; one op in flight each")
	concurrency := fs.Int("concurrency", 0, "requests in flight at most (default: senders); an op due with none free is client-dropped")
	interval := fs.Duration("interval", bench.DefaultStackInterval, "period of the progress lines")
	blockTime := fs.Duration("block-time", 0, "set anvil's block time first (evm_setIntervalMining, whole seconds; it stays set)")
	settle := fs.Duration("settle", 0, "keep watching L1 this long after the load (the backlog draining)")
	deposit := fs.Int64("deposit", bench.DefaultDepositTokens, "test tokens each sender deposits")
	noMine := fs.Bool("no-mine-safe", false, "wait 32 blocks for the deposits to be safe instead of mining past the safe distance at once")
	asJSON := fs.Bool("json", false, "also print the report as JSON")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *rate <= 0 || *duration <= 0 || *senders < 1 || *concurrency < 0 || *interval <= 0 || *deposit < 1 || *settle < 0 {
		return usagef("rate, duration, senders, interval and deposit must be positive; concurrency and settle not negative")
	}
	if *blockTime < 0 || *blockTime%time.Second != 0 {
		return usagef("--block-time must be whole seconds")
	}
	if *envFile == "" {
		root, err := devstack.ModuleRoot()
		if err != nil {
			return usageError{err}
		}
		*envFile = filepath.Join(root, ".devstack", "env")
	}
	rep, err := bench.RunStack(ctx, bench.StackOptions{
		EnvFile: *envFile, Rate: *rate, Duration: *duration, Senders: *senders, Concurrency: *concurrency,
		Interval: *interval, BlockTime: *blockTime, Settle: *settle, DepositTokens: *deposit, SkipMineSafe: *noMine,
		Command: "sequencer bench stack " + strings.Join(args, " "), Out: stdio.Out, Logger: newLogger(stdio, "bench-stack"),
	})
	if rep != nil {
		if werr := rep.WriteText(stdio.Out); werr != nil && err == nil {
			err = werr
		}
		if *asJSON {
			if werr := rep.WriteJSON(stdio.Out); werr != nil && err == nil {
				err = werr
			}
		}
	}
	return err
}
