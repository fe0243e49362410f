package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/cartesi/sequencer/activities"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/internal/anviltest"
	"github.com/cartesi/sequencer/internal/pgtest"
	"github.com/cartesi/sequencer/migrations"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
	"github.com/cartesi/sequencer/worker"
	"github.com/cartesi/sequencer/workflows"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// TestDecideRecoveryStart: a recovery starts on observed danger, is joined
// when running, and otherwise needs --force.
func TestDecideRecoveryStart(t *testing.T) {
	for _, c := range []struct {
		name    string
		plan    recoveryPlan
		force   bool
		refused bool
	}{
		{"closed batch in danger", recoveryPlan{Danger: string(hotpath.DangerClosedBatch), Observed: true}, false, false},
		{"tip in danger", recoveryPlan{Danger: string(hotpath.DangerTip), Observed: true}, false, false},
		{"safe", recoveryPlan{Danger: string(hotpath.DangerSafe)}, false, true},
		{"estimated danger is not observed", recoveryPlan{Danger: string(hotpath.DangerEstimated)}, false, true},
		{"stale L1 is not observed", recoveryPlan{Danger: string(hotpath.DangerL1Stale)}, false, true},
		{"safe, forced", recoveryPlan{Danger: string(hotpath.DangerSafe)}, true, false},
		{"running: joined", recoveryPlan{Danger: string(hotpath.DangerSafe), Running: true}, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := decideRecoveryStart(c.plan, c.force)
			if !c.refused {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, errNoDanger)
			var ee exitError
			require.ErrorAs(t, err, &ee)
			require.Equal(t, ExitUsage, ee.code)
		})
	}
}

var quiet = slog.New(slog.DiscardHandler)

// devTemporal starts a Temporal CLI dev server (bin/temporal) and returns
// its address and a client.
func devTemporal(t *testing.T) (string, client.Client) {
	t.Helper()
	root, err := anviltest.ModuleRoot()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  filepath.Join(root, "bin", "temporal"),
		ClientOptions: &client.Options{Logger: tlog.NewStructuredLogger(quiet)},
		LogLevel:      "error", Stdout: io.Discard, Stderr: io.Discard,
	})
	require.NoError(t, err, "run `make deps` for bin/temporal")
	t.Cleanup(func() { _ = s.Stop() })
	return s.FrontendHostPort(), s.Client()
}

// deployment fixtures: a migrated database recording chain 31337 and app,
// batches at first-frame safe block 100 (sealed ones with sealedOps[i] user
// ops each, then an open tip with tipOps), and the safe head at head.
func deploymentDB(t *testing.T, app common.Address, sealedOps []int, tipOps int, head uint64) (string, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t, pgtest.WithTemplate("migrated", migrations.ApplyURL))
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	sub := common.HexToAddress("0x5a")
	_, err = store.RecordIdentity(ctx, pool, 31337, app, &sub)
	require.NoError(t, err)
	exec := func(sql string, args ...any) {
		t.Helper()
		_, err := pool.Exec(ctx, sql, args...)
		require.NoError(t, err, sql)
	}
	offset := int64(0)
	batch := func(nonce int, ops int, sealed bool) {
		id := int64(nonce + 1)
		var parent any
		if nonce > 0 {
			parent = id - 1
		}
		exec(`INSERT INTO batches (id, parent_id, nonce, generation) VALUES ($1, $2, $3, 0)`, id, parent, int64(nonce))
		exec(`INSERT INTO frames (batch_id, position, safe_block, fee) VALUES ($1, 0, 100, 1356)`, id)
		for j := 0; j < ops; j++ {
			offset++
			exec(`INSERT INTO user_ops ("offset", batch_id, frame_position, sender, nonce, max_fee, data, signature, received_at)
				VALUES ($1, $2, 0, $3, $4, 100, '\x', $5, now())`, offset, id, common.HexToAddress("0xa11ce").Bytes(), offset,
				[]byte(strings.Repeat("\x01", 65)))
		}
		if sealed {
			exec(`UPDATE batches SET sealed_at = now(), payload = '\x00', payload_hash = sha256(int8send($1)) WHERE id = $1`, id)
		}
	}
	for i, ops := range sealedOps {
		batch(i, ops, true)
	}
	batch(len(sealedOps), tipOps, false)
	exec(`INSERT INTO l1_safe_head (block_number, block_timestamp, last_advance_at) VALUES ($1, $2, now())`,
		int64(head), time.Now().Unix()-1)
	return url, pool
}

func runJSON[T any](t *testing.T, args ...string) T {
	t.Helper()
	code, out, errOut := run(t, "", args...)
	require.Equal(t, ExitOK, code, "%s\n%s", out, errOut)
	var v T
	require.NoError(t, json.Unmarshal([]byte(out), &v), out)
	return v
}

// TestRecoveryStartNeedsDangerOrForce runs the commands against a real
// database and Temporal dev server (no worker: nothing runs the recovery).
// With nothing in danger, `recovery plan` lists what a recovery would
// revoke, `recovery start` refuses (exit 2) and starts nothing, and
// `recovery start --force` prints the count first and starts it. Before,
// `recovery start` started it unconditionally. A command configured for
// another application than the database records is refused (exit 30).
func TestRecoveryStartNeedsDangerOrForce(t *testing.T) {
	addr, tc := devTemporal(t)
	app := common.HexToAddress("0x00000000000000000000000000000000000000aA")
	url, _ := deploymentDB(t, app, []int{2, 3}, 1, 100)
	t.Setenv("SEQ_DATABASE_URL", url)
	t.Setenv("SEQ_TEMPORAL_ADDRESS", addr)
	names := workflows.NamesFor(workflows.Identity{ChainID: 31337, App: app})

	p := runJSON[recoveryPlan](t, "recovery", "plan")
	require.Equal(t, names.Recovery, p.WorkflowID)
	require.Equal(t, string(hotpath.DangerSafe), p.Danger)
	require.False(t, p.Observed)
	require.Equal(t, int64(6), p.Ops)
	require.Equal(t, []store.PlannedBatch{{Nonce: 0, Sealed: true, Ops: 2}, {Nonce: 1, Sealed: true, Ops: 3}, {Nonce: 2, Ops: 1}}, p.Batches)

	code, out, errOut := run(t, "", "recovery", "start")
	require.Equal(t, ExitUsage, code, "%s\n%s", out, errOut)
	require.Contains(t, errOut, "no observed danger")
	require.Contains(t, errOut, "would revoke 6 user ops in 3 batches")
	_, err := tc.DescribeWorkflowExecution(context.Background(), names.Recovery, "")
	var notFound *serviceerror.NotFound
	require.ErrorAs(t, err, &notFound, "a refused start starts nothing")

	code, out, errOut = run(t, "", "recovery", "start", "--force", "--reason", "test")
	require.Equal(t, ExitOK, code, "%s\n%s", out, errOut)
	require.Contains(t, out, "--force: this recovery will revoke 6 user ops in 3 batches (nonces 0..2)")
	desc, err := tc.DescribeWorkflowExecution(context.Background(), names.Recovery, "")
	require.NoError(t, err)
	require.Equal(t, names.TaskQueue, desc.GetExecutionConfig().GetTaskQueue().GetName())

	t.Setenv("SEQ_CHAIN_ID", "31337")
	t.Setenv("SEQ_APP_ADDRESS", "0x00000000000000000000000000000000000000bB")
	code, _, errOut = run(t, "", "recovery", "plan")
	require.Equal(t, ExitTerminal, code, errOut)
	require.Contains(t, errOut, "identity mismatch")
}

// TestRecoveryStartWaitPrintsEachStep: with the tip in danger (observed)
// and a worker running, `recovery start --wait` needs no --force and prints
// each step as it completes, then the result.
func TestRecoveryStartWaitPrintsEachStep(t *testing.T) {
	ctx := context.Background()
	addr, tc := devTemporal(t)
	require.NoError(t, worker.EnsureSearchAttributes(ctx, tc, "default"))
	app := common.HexToAddress("0x00000000000000000000000000000000000000cC")
	url, pool := deploymentDB(t, app, nil, 4, 100+protocol.MaxWaitBlocks)
	t.Setenv("SEQ_DATABASE_URL", url)
	t.Setenv("SEQ_TEMPORAL_ADDRESS", addr)
	id := workflows.Identity{ChainID: 31337, App: app}
	w := worker.New(tc, worker.Config{Identity: id}, &activities.Activities{Pool: pool, Recovery: store.NewRecovery(pool),
		ChainID: 31337, App: app, BatchSubmitter: common.HexToAddress("0x5a"), Now: time.Now, Log: quiet,
		Danger: hotpath.DangerConfig{MarginBlocks: 300}})
	require.NoError(t, w.Start())
	defer w.Stop()

	p := runJSON[recoveryPlan](t, "recovery", "plan")
	require.Equal(t, string(hotpath.DangerTip), p.Danger)
	require.True(t, p.Observed)
	require.Equal(t, int64(4), p.Ops)

	code, out, errOut := run(t, "", "recovery", "start", "--wait", "--poll", "50ms")
	require.Equal(t, ExitOK, code, "%s\n%s", out, errOut)
	require.Contains(t, out, "observed danger (tip_in_danger): this recovery will revoke 4 user ops in 1 batches (nonces 0..0)")
	require.Contains(t, out, "step fence done\nstep assess done\nstep cascade done\nstep resume done\nrecovery done\n")
	var st workflows.RecoveryStatus
	require.NoError(t, json.Unmarshal([]byte(out[strings.Index(out, "recovery done\n")+len("recovery done\n"):]), &st))
	require.Equal(t, int64(4), st.Cascade.InvalidatedOps)
}
