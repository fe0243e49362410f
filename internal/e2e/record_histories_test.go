//go:build record

// The history recorder is a command, not a test of the suite: it is built
// only with the `record` tag (`make record-histories`), so `make test` never
// runs it (it takes minutes and rewrites checked-in files) and never reports
// it skipped. What `make test` runs is the replay of what it wrote
// (workflows/replay_test.go).

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/cartesi/sequencer/internal/anviltest"
	"github.com/cartesi/sequencer/workflows"
)

// TestRecordHistories runs the real worker (real Temporal dev server, real
// Postgres, real anvil) through every workflow type's interesting paths and
// writes one history per type to workflows/testdata/<workflow id suffix>.json,
// in the JSON of `temporal workflow show --output json`:
//
//   - l1-observer: rounds, a recovery started as a child on observed danger;
//   - batch-submitter: new sends, a replacement (a transaction dropped from
//     the mempool is re-sent at its wallet nonce with bumped fees after
//     RESEND_AFTER_BLOCKS blocks), the recovery's pause and resume signals;
//   - snapshot-maintenance: passes on signals and on the timer;
//   - recovery: fence, assess, a mempool flush, the sync wait, a cascade
//     that invalidates batches, resume;
//   - fee-oracle: sampling rounds in the fixed-price mode, then
//     Continue-As-New on the server's suggestion.
//
// Each is checked for those events before it is written. Run it with
// `make record-histories` after a workflow change (docs/worker.md,
// versioning policy).
func TestRecordHistories(t *testing.T) {
	ctx := context.Background()
	root, err := anviltest.ModuleRoot()
	require.NoError(t, err)
	out := filepath.Join(root, "workflows", "testdata")
	require.NoError(t, os.MkdirAll(out, 0o755))

	w := newChainWorld(t, 3)
	// The server suggests Continue-As-New after a few dozen events instead
	// of 4096, so the recorded runs take the suggestion (and a run of code
	// that ignored it records that it did).
	w.temporal.kill()
	w.temporal = startTemporalSuggesting(t, suggestContinueAsNewEvents)
	// The fee oracle samples every 5 blocks at a price that keeps the fee
	// exponent near its floor (the users' ops must stay affordable).
	workerEnv := []string{"SEQ_FEE_ORACLE_MODE=fixed-price", "SEQ_FEE_ORACLE_TOKEN_PER_ETH=1",
		"SEQ_FEE_ORACLE_INTERVAL_BLOCKS=5"}
	worker := w.startWorker(workerEnv...)
	serve := w.startServe()
	serve.waitReady()
	pool := w.pool(t)

	// Plain posting: a round is sealed, posted and accepted; snapshot
	// maintenance is signalled.
	w.submitRound(t, serve, 0)
	waitAllAccepted(t, pool, 90*time.Second)

	// A replacement. Mining stops while a batch with user ops is pending;
	// the pending transactions are dropped from the mempool, so blocks go
	// by without them, and after RESEND_AFTER_BLOCKS (3) the submitter
	// re-sends each at its wallet nonce with bumped fees.
	w.stopMine()
	require.NoError(t, w.anvil.SetAutomine(ctx, false))
	held := w.holdingMiner(pool, 200*time.Millisecond)
	w.submitRound(t, serve, 1)
	select {
	case <-held:
	case <-time.After(90 * time.Second):
		t.Fatal("the batch carrying round 1 was never broadcast")
	}
	from := w.submitterAddr()
	replaced := regexp.MustCompile(`(?m)^sequencer_submitter_replacements_total ([1-9][0-9]*)`)
	require.Eventually(t, func() bool {
		// Drop whatever is pending (a send may land between two looks),
		// then let a block go by without it.
		hashes, err := w.anvil.PendingTransactionHashes(ctx, &from)
		if err != nil {
			return false
		}
		for _, h := range hashes {
			if _, ops, ok := w.pendingBatchOps(ctx, h); ok && ops > 0 {
				// A replacement of the dropped batch is pending: done.
				if _, _, m := worker.getInternal("/metrics"); replaced.Match(m) {
					return true
				}
			}
			_ = w.anvil.DropTransaction(ctx, h)
		}
		_ = w.anvil.Mine(ctx, 1)
		return false
	}, 90*time.Second, 300*time.Millisecond, "the submitter never replaced a dropped transaction")
	stopMining := w.mineInBackground(200 * time.Millisecond)
	waitAllAccepted(t, pool, 120*time.Second)

	// A recovery with a flush and a cascade: the worker dies with users'
	// operations sealed into batches nobody posts, and L1 runs past the
	// danger line; the new worker's observer finds observed danger.
	worker.kill()
	w.submitRound(t, serve, 2)
	require.Eventually(t, func() bool {
		return count(t, pool, `SELECT count(*) FROM batches b WHERE b.sealed_at IS NOT NULL
			AND EXISTS (SELECT 1 FROM user_ops u WHERE u.batch_id = b.id)
			AND b.nonce >= (SELECT count(*) FROM accepted_batches)`) > 0
	}, 60*time.Second, 200*time.Millisecond, "round 2 was never sealed")
	require.NoError(t, w.anvil.Mine(ctx, 1250))
	worker = w.startWorker(workerEnv...)
	status := waitRecoveryDone(t, w, 180*time.Second)
	require.NotNil(t, status.Flush, "a sealed batch was unaccepted: the mempool was flushed")
	require.NotNil(t, status.Cascade)
	require.False(t, status.Cascade.NoOp)

	// Service goes on after the recovery (the submitter was resumed).
	serve.waitReady()
	w.submitRound(t, serve, 2)
	waitAllAccepted(t, pool, 120*time.Second)

	c := w.temporal.client(t)
	names := w.names()
	records := []struct {
		file, id string
		want     func(*historypb.History) bool
		what     string
	}{
		{"l1-observer.json", names.Observer, func(h *historypb.History) bool {
			return hasChildStart(h) && continuedAsNew(h)
		}, "a recovery started on observed danger, then Continue-As-New on the server's suggestion"},
		{"batch-submitter.json", names.Submitter, hasReplacement, "a replacement send"},
		{"snapshot-maintenance.json", names.Snapshot, func(h *historypb.History) bool {
			return countActivities(h, workflows.ActivityPromoteSnapshots) >= 2 && continuedAsNew(h)
		}, "promotion passes, then Continue-As-New on the server's suggestion"},
		{"recovery.json", names.Recovery, func(h *historypb.History) bool {
			return countActivities(h, workflows.ActivityFlushMempool) > 0 && countActivities(h, workflows.ActivityCascade) > 0
		}, "a flush and a cascade"},
		{"fee-oracle.json", names.FeeOracle, func(h *historypb.History) bool {
			return countActivities(h, workflows.ActivityFeeOracleRound) >= 2 && continuedAsNew(h)
		}, "sampling rounds, then Continue-As-New on the server's suggestion"},
	}
	// Wait until each workflow has a run with what it must show (the
	// observer and maintenance continue as new a few rounds after it).
	found := make([]*historypb.History, len(records))
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(time.Second) {
		var missing []string
		for i, rec := range records {
			if found[i] == nil {
				h, err := findRun(c, rec.id, rec.want)
				require.NoError(t, err)
				found[i] = h
			}
			if found[i] == nil {
				missing = append(missing, rec.id+": "+rec.what)
			}
		}
		if len(missing) == 0 {
			break
		}
		require.False(t, time.Now().After(deadline), "no run has what it must show: %v", missing)
	}
	require.Equal(t, 0, worker.stop(), "the worker stops cleanly")
	stopMining()
	for i, rec := range records {
		b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(found[i])
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(out, rec.file), append(b, '\n'), 0o644))
		t.Logf("wrote %s: %d events", rec.file, len(found[i].Events))
	}
}

// suggestContinueAsNewEvents is the recording server's
// limit.historyCount.suggestContinueAsNew: an observer run of a few rounds.
const suggestContinueAsNewEvents = 40

// startTemporalSuggesting starts a dev server like startTemporal, with the
// event count at which it suggests Continue-As-New lowered to events.
func startTemporalSuggesting(t *testing.T, events int) *temporalServer {
	t.Helper()
	s := &temporalServer{t: t, addr: freePort(t), dbFile: filepath.Join(t.TempDir(), "temporal.db"),
		extraArgs: []string{"--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=" + strconv.Itoa(events)}}
	s.start()
	return s
}

// findRun walks the runs of workflow id from the newest back along the
// Continue-As-New chain and returns the newest whose history satisfies want
// (nil when none does).
func findRun(c client.Client, id string, want func(*historypb.History) bool) (*historypb.History, error) {
	runID := ""
	for i := 0; i < 200; i++ {
		h, err := history(c, id, runID)
		if err != nil {
			return nil, err
		}
		if want(h) {
			return h, nil
		}
		first := h.Events[0].GetWorkflowExecutionStartedEventAttributes()
		if first == nil || first.ContinuedExecutionRunId == "" {
			return nil, nil
		}
		runID = first.ContinuedExecutionRunId
	}
	return nil, nil
}

func history(c client.Client, id, runID string) (*historypb.History, error) {
	it := c.GetWorkflowHistory(context.Background(), id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("history of %s/%s: %w", id, runID, err)
		}
		h.Events = append(h.Events, e)
	}
	if len(h.Events) == 0 {
		return nil, fmt.Errorf("history of %s/%s is empty", id, runID)
	}
	return h, nil
}

func hasChildStart(h *historypb.History) bool {
	for _, e := range h.Events {
		if a := e.GetStartChildWorkflowExecutionInitiatedEventAttributes(); a != nil && a.WorkflowType.GetName() == "Recovery" {
			return true
		}
	}
	return false
}

func continuedAsNew(h *historypb.History) bool {
	return h.Events[len(h.Events)-1].GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
}

func countActivities(h *historypb.History, name string) int {
	n := 0
	for _, e := range h.Events {
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.ActivityType.GetName() == name {
			n++
		}
	}
	return n
}

// hasReplacement: some SendSubmissionRound of the history carries a
// replacement (the same wallet nonce re-sent with bumped fees).
func hasReplacement(h *historypb.History) bool {
	dc := converter.GetDefaultDataConverter()
	for _, e := range h.Events {
		a := e.GetActivityTaskScheduledEventAttributes()
		if a == nil || a.ActivityType.GetName() != workflows.ActivitySendRound {
			continue
		}
		var req workflows.SendRoundRequest
		if dc.FromPayloads(a.Input, &req) != nil {
			continue
		}
		for _, s := range req.Sends {
			if s.Kind == workflows.SendReplace {
				return true
			}
		}
	}
	return false
}
