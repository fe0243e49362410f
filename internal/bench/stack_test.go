package bench

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/devstack"
	"github.com/cartesi/sequencer/internal/testhelp"
)

// TestStackLoadSmoke runs the load mode against a whole dev stack (PostgreSQL,
// Temporal, anvil, serve, worker) on free ports: senders are funded through
// the portal, the open loop offers ops, and the report carries every field.
// It asserts correctness, not speed.
func TestStackLoadSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole dev stack")
	}
	root, err := devstack.ModuleRoot()
	require.NoError(t, err)
	dir := traversableTempDir(t)
	ports := freePorts(t, 7)
	logs := &syncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	stack, err := devstack.Start(ctx, devstack.Options{
		Root: root, Dir: dir, Binary: binary,
		PostgresPort: ports[0], TemporalPort: ports[1], TemporalUIPort: ports[2], AnvilPort: ports[3],
		HTTPAddr:         fmt.Sprintf("127.0.0.1:%d", ports[4]),
		InternalHTTPAddr: fmt.Sprintf("127.0.0.1:%d", ports[5]),
		WorkerMetrics:    fmt.Sprintf("127.0.0.1:%d", ports[6]),
		Out:              logs, ReadyTimeout: 2 * time.Minute,
		// Batches seal every 2 s, so some are posted within the short run.
		ExtraEnv: []string{"SEQ_MAX_BATCH_OPEN_SECONDS=2"},
	})
	require.NoError(t, err, "start the dev stack; output:\n%s", logs.String())
	t.Cleanup(func() {
		err := stack.Stop(context.Background())
		if err != nil || t.Failed() {
			t.Logf("dev stack output:\n%s", logs.String())
		}
		require.NoError(t, err, "the stack stops cleanly")
	})

	var out syncBuffer
	rep, err := RunStack(ctx, StackOptions{
		EnvFile: filepath.Join(dir, "env"), Rate: 20, Duration: 10 * time.Second, Senders: 20,
		Interval: 5 * time.Second, Settle: 5 * time.Second, Command: "test", Out: &out,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	require.NoError(t, err, "output:\n%s", out.String())
	var text bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	t.Log("\n" + out.String() + text.String())

	tot := rep.Total
	require.Positive(t, tot.Acked)
	require.Equal(t, tot.Offered, tot.Acked+tot.L1Backlog+tot.Overloaded+tot.Unavailable+tot.Rejected+tot.Other+tot.ClientDropped,
		"every offered op has exactly one outcome")
	require.Zero(t, tot.Other, "answers other than 200/429/503/422: %v", rep.OtherAnswers)
	require.Zero(t, tot.ClientDropped, "20 senders at 20 ops/s always have one idle")
	require.Zero(t, rep.BadRetryAfter)
	require.Equal(t, "SEQ_MAX_BATCH_OPEN_SECONDS=2", rep.Overrides, "read from the stack's env file")

	require.GreaterOrEqual(t, len(rep.Intervals), 2, "a line every 5 s of a 10 s load")
	require.InDelta(t, 10, rep.DurationSeconds, 2)
	require.Positive(t, tot.Blocks)
	// anvil mines a block a second; a loaded machine stretches that a little.
	require.Greater(t, rep.SecondsPerBlock, 0.5)
	require.Less(t, rep.SecondsPerBlock, 2.5)
	require.Positive(t, tot.Fee, "fee exponent from GET /fee")
	require.Equal(t, "normal", tot.Mode)
	require.Zero(t, rep.InvalidatedDuringRun)
	require.Zero(t, rep.RecoveriesDuringRun)
	if tot.Admission != nil { // another change adds it to /healthz
		require.NotEmpty(t, tot.Admission.State)
		require.GreaterOrEqual(t, rep.MaxQueueDelayBlocks, 0.0)
	}
	posted := tot.PostedOps + sumIntervals(rep.Settle).PostedOps
	require.Positive(t, posted, "batches sealed every 2 s reach L1 during the run or the settling")
	for _, iv := range append(rep.Intervals, rep.Settle...) {
		if iv.PostedOps > 0 {
			require.Positive(t, iv.GasPerOp, "gas per op of an interval that posted ops")
		}
	}
	require.Zero(t, tot.DuplicateTxs, "no batch is posted twice")

	for _, want := range []string{"s] offered ", "429 L1_BACKLOG", "429 OVERLOADED", "503", "422", "client-dropped",
		"posted", "gas/op", "accepted", "queue delay", "fee ", "invalidated 0, recovery gen 0", "settling"} {
		require.Contains(t, out.String(), want)
	}
	for _, want := range []string{"acknowledged", "L1 gas per op", "accepted on L1", "max queue delay", "invalidated batches",
		PasteHeader, "· test` |"} {
		require.Contains(t, text.String(), want)
	}
	require.Equal(t, strings.Count(strings.Split(PasteHeader, "\n")[0], "|"), strings.Count(rep.PasteRow(), "|"),
		"the paste row has the header's columns")
}

func TestReadStackEnv(t *testing.T) {
	write := func(t *testing.T, body string) string {
		p := filepath.Join(t.TempDir(), "env")
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	good := `# Written by sequencer dev
export SEQ_HTTP_URL='http://127.0.0.1:3000'
export SEQ_ETH_RPC_URL='http://127.0.0.1:8545'
export SEQ_CHAIN_ID='31337'
export SEQ_APP_ADDRESS='0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9'
export SEQ_INPUT_BOX_ADDRESS='0x5FbDB2315678afecb367f032d93F642f64180aa3'
export SEQ_WALLET_PORTAL_ADDRESS='0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0'
export SEQ_WALLET_TOKEN_ADDRESS='0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'
export SEQ_BATCH_SUBMITTER_ADDRESS='0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
export SEQ_DATABASE_URL='postgres://postgres@127.0.0.1:55432/sequencer?sslmode=disable'
export DEV_FUNDED_KEYS='0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a'
export DEV_STACK_OVERRIDES='SEQ_A=it'\''s SEQ_B=2'
`
	tests := []struct {
		name    string
		body    string
		wantErr string
	}{
		{name: "dev stack file", body: good},
		{name: "remote API", body: strings.Replace(good, "http://127.0.0.1:3000", "http://10.0.0.5:3000", 1),
			wantErr: "SEQ_HTTP_URL=http://10.0.0.5:3000 is not a loopback address"},
		{name: "remote L1", body: strings.Replace(good, "http://127.0.0.1:8545", "https://mainnet.example.org", 1),
			wantErr: "SEQ_ETH_RPC_URL=https://mainnet.example.org is not a loopback address"},
		{name: "remote database", body: strings.Replace(good, "@127.0.0.1:55432", "@db.example.org:5432", 1),
			wantErr: "SEQ_DATABASE_URL host db.example.org is not a loopback address"},
		{name: "missing app", body: strings.Replace(good, "export SEQ_APP_ADDRESS=", "export SEQ_APP=", 1),
			wantErr: "SEQ_APP_ADDRESS missing"},
		{name: "unterminated quote", body: good + "export X='a\n", wantErr: "unterminated quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readStackEnv(write(t, tt.body))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, uint64(31337), got.ChainID)
			require.Equal(t, "http://127.0.0.1:3000", got.HTTPURL)
			require.Equal(t, "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9", got.App.Hex())
			require.Len(t, got.FundedKeys, 1)
			require.Equal(t, "SEQ_A=it's SEQ_B=2", got.Overrides)
		})
	}
}

func TestShellUnquote(t *testing.T) {
	for in, want := range map[string]string{
		`'plain'`: "plain", `bare`: "bare", `'it'\''s'`: "it's", `"dq"`: "dq", `a\ b`: "a b", `''`: "",
	} {
		got, err := shellUnquote(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
}

func traversableTempDir(t *testing.T) string { return testhelp.TraversableTempDir(t, "devstack") }

func freePorts(t *testing.T, n int) []int { return testhelp.FreePorts(t, n) }

type syncBuffer = testhelp.SyncBuffer
