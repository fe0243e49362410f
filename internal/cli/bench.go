package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/cartesi/sequencer/internal/bench"
)

// runBench: sequencer bench — load-generate against a local serve (a child
// process of this binary) and print latency and throughput figures plus the
// machine's ceilings. The report goes to stdout, progress logs to stderr.
func runBench(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("bench", stdio)
	concurrency := fs.Int("concurrency", bench.DefaultConcurrency, "closed-loop clients, one request in flight each")
	duration := fs.Duration("duration", bench.DefaultDuration, "measured window, after the warm-up")
	warmup := fs.Duration("warmup", bench.DefaultWarmup, "load before the measured window (not counted)")
	senders := fs.Int("senders", 0, "funded senders (default max(1024, 8×concurrency))")
	dbURL := fs.String("database-url", "", "use this existing EMPTY database (migrated by the bench) instead of a throwaway cluster")
	maxRate := fs.Int("max-rate-ops", bench.DefaultMaxRateOps, "pre-signing budget in ops/s: signs max-rate-ops × (warmup+duration) ops up front")
	client := fs.String("client", bench.ClientFastHTTP, "HTTP client: fasthttp or nethttp")
	asJSON := fs.Bool("json", false, "also print the report as JSON")
	keepLogs := fs.Bool("keep-logs", false, "keep serve's and PostgreSQL's logs (always kept on failure)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *concurrency < 1 || *duration <= 0 || *warmup < 0 || *senders < 0 || *maxRate < 1 {
		return usagef("concurrency, duration and max-rate-ops must be positive; warmup and senders not negative")
	}
	if *client != bench.ClientFastHTTP && *client != bench.ClientNetHTTP {
		return usagef("--client must be %s or %s", bench.ClientFastHTTP, bench.ClientNetHTTP)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locate the sequencer binary: %w", err)
	}
	rep, err := bench.Run(ctx, bench.Options{
		Concurrency: *concurrency, Duration: *duration, Warmup: zeroAsTiny(*warmup), Senders: *senders,
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
