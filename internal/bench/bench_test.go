package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/cartesi/sequencer/internal/modroot"
	"github.com/cartesi/sequencer/internal/pgtest"
	"github.com/stretchr/testify/require"
)

// binary is the sequencer built once for the package's tests; the bench
// runs its `serve` as a child process.
var binary string

func TestMain(m *testing.M) {
	path, cleanup, err := modroot.BuildSequencer()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = path
	code := pgtest.Run(m)
	cleanup()
	os.Exit(code)
}

// TestBenchSmoke runs the whole bench briefly: a real durable cluster, a
// pending-deposit wave spread over blocks, a serve child timed to ready and
// to drained, load and the feed check. It asserts correctness, not speed.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and a serve process")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Options{
		Concurrency: 4, Warmup: 200 * time.Millisecond, Duration: time.Second, Senders: 32,
		PendingDeposits: 2*PendingPerBlock + 1, MaxRateOps: 5000, ServeBinary: binary,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	require.NoError(t, err)
	var out testWriter
	require.NoError(t, rep.WriteText(&out))
	t.Log("\n" + string(out))
	require.Positive(t, rep.Accepted)
	require.Zero(t, rep.Unmatched)
	require.Zero(t, rep.NonOKTotal())
	require.Zero(t, rep.TransportErrors)
	require.Positive(t, rep.Ceilings.RecoveriesPerSec)
	require.Positive(t, rep.Ceilings.OneRowCommitsPerSec)
	require.Positive(t, rep.Ceilings.SixtyFourRowsPerSec)
	require.Positive(t, rep.ServeRSS.Peak)
	require.Equal(t, "on", rep.Postgres.Fsync)
	require.Equal(t, "on", rep.Postgres.SynchronousCommit)
	require.Equal(t, 32, rep.LoadSenders)
	require.Equal(t, ServeStart{Deposits: 32 + 2*PendingPerBlock + 1, DepositBlocks: 4,
		FundSeconds: rep.Start.FundSeconds, TimeToReadySeconds: rep.Start.TimeToReadySeconds,
		DrainSeconds: rep.Start.DrainSeconds, SettleSeconds: rep.Start.SettleSeconds}, rep.Start)
	require.Positive(t, rep.Start.SettleSeconds)
	require.Positive(t, rep.Start.FundSeconds)
	require.Positive(t, rep.Start.TimeToReadySeconds)
	require.GreaterOrEqual(t, rep.Start.DrainSeconds, rep.Start.TimeToReadySeconds)
	// The longest-commit gauge covers the drain and can only grow with the
	// load.
	require.NotNil(t, rep.LongestCommit.AfterDrain)
	require.Positive(t, *rep.LongestCommit.AfterDrain)
	require.NotNil(t, rep.LongestCommit.AfterLoad)
	require.GreaterOrEqual(t, *rep.LongestCommit.AfterLoad, *rep.LongestCommit.AfterDrain)
}

type testWriter []byte

func (w *testWriter) Write(p []byte) (int, error) { *w = append(*w, p...); return len(p), nil }
