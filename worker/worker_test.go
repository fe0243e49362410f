package worker

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"google.golang.org/grpc"

	"github.com/cartesi/sequencer/activities"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/internal/anviltest"
	"github.com/cartesi/sequencer/internal/pgtest"
	"github.com/cartesi/sequencer/migrations"
	"github.com/cartesi/sequencer/store"
	"github.com/cartesi/sequencer/workflows"
)

var quiet = slog.New(slog.DiscardHandler)

// devServer starts a Temporal CLI dev server (bin/temporal, as `make deps`
// installs it) with no search attribute registered, and extra namespaces.
func devServer(t *testing.T, namespaces ...string) *testsuite.DevServer {
	t.Helper()
	root, err := anviltest.ModuleRoot()
	require.NoError(t, err)
	var extra []string
	for _, ns := range namespaces {
		extra = append(extra, "--namespace", ns)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  filepath.Join(root, "bin", "temporal"),
		ClientOptions: &client.Options{Logger: tlog.NewStructuredLogger(quiet)},
		LogLevel:      "error",
		ExtraArgs:     extra,
		Stdout:        io.Discard,
		Stderr:        io.Discard,
	})
	require.NoError(t, err, "run `make deps` for bin/temporal")
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

func dial(t *testing.T, s *testsuite.DevServer, namespace string) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: s.FrontendHostPort(), Namespace: namespace, Logger: tlog.NewStructuredLogger(quiet)})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// refusingClient is a client whose namespace refuses the registration call,
// as Temporal Cloud does (the dev server always accepts it); everything
// else reaches the real server.
type refusingClient struct {
	client.Client
	adds *int
}

func (c refusingClient) OperatorService() operatorservice.OperatorServiceClient {
	return refusingOperator{OperatorServiceClient: c.Client.OperatorService(), adds: c.adds}
}

type refusingOperator struct {
	operatorservice.OperatorServiceClient
	adds *int
}

func (o refusingOperator) AddSearchAttributes(context.Context, *operatorservice.AddSearchAttributesRequest, ...grpc.CallOption) (*operatorservice.AddSearchAttributesResponse, error) {
	*o.adds++
	return nil, serviceerror.NewPermissionDenied("registering search attributes is not allowed here", "")
}

// TestEnsureSearchAttributes: attributes that exist are not registered
// again (no permission needed); missing ones are registered where that is
// allowed; where it is refused, or an attribute has another type, the
// worker does not start, with a message naming the command that creates
// them. Before this check the worker only logged the failure and ran, and
// every submitter round then failed its workflow task forever.
func TestEnsureSearchAttributes(t *testing.T) {
	cases := []struct {
		name     string
		existing map[string]enumspb.IndexedValueType // created beforehand
		wantErr  string                              // "" = starts
	}{
		{"all registered beforehand", searchAttributes, ""},
		{"missing, registration refused", nil, "temporal operator search-attribute create"},
		{"one missing, registration refused", map[string]enumspb.IndexedValueType{
			"SeqBatchNonce": enumspb.INDEXED_VALUE_TYPE_INT, "SeqWalletNonce": enumspb.INDEXED_VALUE_TYPE_INT,
			"SeqTxHash": enumspb.INDEXED_VALUE_TYPE_KEYWORD, "SeqState": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		}, "lacks SeqRecoveryStep and registering them failed"},
		{"registered with another type", map[string]enumspb.IndexedValueType{"SeqState": enumspb.INDEXED_VALUE_TYPE_INT},
			"SeqState is Int, the workflows need Keyword"},
	}
	var namespaces []string
	for i := range cases {
		namespaces = append(namespaces, "ns"+string(rune('a'+i)))
	}
	s := devServer(t, append(namespaces, "registrable")...)
	ctx := context.Background()

	t.Run("missing and registrable", func(t *testing.T) {
		c := dial(t, s, "registrable")
		require.NoError(t, EnsureSearchAttributes(ctx, c, "registrable"))
		list, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "registrable"})
		require.NoError(t, err)
		for name, typ := range searchAttributes {
			require.Equal(t, typ, list.GetCustomAttributes()[name], name)
		}
	})
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ns := namespaces[i]
			real := dial(t, s, ns)
			if len(c.existing) > 0 {
				_, err := real.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
					Namespace: ns, SearchAttributes: c.existing})
				require.NoError(t, err)
			}
			adds := 0
			refusing := refusingClient{Client: real, adds: &adds}
			if c.wantErr == "" {
				require.NoError(t, EnsureSearchAttributes(ctx, refusing, ns))
				require.Zero(t, adds, "existing attributes are not registered again")
				return
			}
			// Run is what `sequencer worker` runs: it must fail at start
			// (bounded here so that the old behaviour, running on, fails
			// the test instead of hanging it).
			rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			cfg := Config{Namespace: ns, Identity: workflows.Identity{ChainID: 31337, App: common.HexToAddress("0xaa")}}
			done := make(chan error, 1)
			go func() { done <- Run(rctx, refusing, cfg, &activities.Activities{}, quiet) }()
			err := <-done
			require.ErrorIs(t, err, ErrSearchAttributes)
			require.ErrorContains(t, err, c.wantErr)
		})
	}
}

// deploymentDB is a migrated database recording a deployment's identity
// and a known safe head (a recovery's cascade needs one).
func deploymentDB(t *testing.T, id workflows.Identity, submitter common.Address) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t, pgtest.WithTemplate("migrated", migrations.ApplyURL)))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	_, err = store.RecordIdentity(ctx, pool, id.ChainID, id.App, &submitter)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `INSERT INTO l1_safe_head (block_number, block_timestamp, last_advance_at) VALUES (100, $1, now())`,
		time.Now().Unix())
	require.NoError(t, err)
	return pool
}

func recoveryActivities(pool *pgxpool.Pool, id workflows.Identity, submitter common.Address) *activities.Activities {
	return &activities.Activities{Pool: pool, Recovery: store.NewRecovery(pool), ChainID: id.ChainID, App: id.App,
		BatchSubmitter: submitter, Now: time.Now, Log: quiet, Danger: hotpath.DangerConfig{MarginBlocks: 300}}
}

func fenceEpoch(t *testing.T, pool *pgxpool.Pool) int64 {
	t.Helper()
	var n int64
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT recovery_fence FROM control`).Scan(&n))
	return n
}

// TestDeploymentsInOneNamespaceStayApart: two deployments (two databases,
// two applications) share one Temporal namespace. Their singletons get
// distinct IDs on distinct task queues; B's worker never takes A's
// recovery (it waits for A's worker while B's completes, and only B's
// database is fenced); and a worker of A given B's database fails the
// recovery's first activity non-retryably, leaving B's database untouched.
func TestDeploymentsInOneNamespaceStayApart(t *testing.T) {
	ctx := context.Background()
	s := devServer(t)
	c := dial(t, s, "default")
	require.NoError(t, EnsureSearchAttributes(ctx, c, "default")) // as Run does
	idA := workflows.Identity{ChainID: 31337, App: common.HexToAddress("0x00000000000000000000000000000000000000aA")}
	idB := workflows.Identity{ChainID: 31337, App: common.HexToAddress("0x00000000000000000000000000000000000000bB")}
	subA, subB := common.HexToAddress("0x5a"), common.HexToAddress("0x5b")
	dbA, dbB := deploymentDB(t, idA, subA), deploymentDB(t, idB, subB)
	namesA, namesB := workflows.NamesFor(idA), workflows.NamesFor(idB)
	require.Equal(t, "sequencer-31337-0x00000000000000000000000000000000000000aa", namesA.TaskQueue)
	require.Equal(t, namesA.TaskQueue+"/batch-submitter", namesA.Submitter)

	// The singletons: six workflows, each on its deployment's queue.
	for _, id := range []workflows.Identity{idA, idB} {
		require.NoError(t, StartSingletons(ctx, c, Config{Identity: id}))
	}
	for _, n := range []workflows.Names{namesA, namesB} {
		for _, wid := range []string{n.Observer, n.Submitter, n.Snapshot} {
			desc, err := c.DescribeWorkflowExecution(ctx, wid, "")
			require.NoError(t, err, wid)
			require.Equal(t, n.TaskQueue, desc.GetExecutionConfig().GetTaskQueue().GetName(), wid)
			require.NoError(t, c.TerminateWorkflow(ctx, wid, "", "test"))
		}
	}

	// Only B's worker runs: A's recovery waits for A's worker.
	wB := New(c, Config{Identity: idB}, recoveryActivities(dbB, idB, subB))
	require.NoError(t, wB.Start())
	defer wB.Stop()
	runA, err := StartRecovery(ctx, c, namesA, "test A")
	require.NoError(t, err)
	runB, err := StartRecovery(ctx, c, namesB, "test B")
	require.NoError(t, err)
	require.NotEqual(t, runA.GetID(), runB.GetID())
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var stB workflows.RecoveryStatus
	require.NoError(t, runB.Get(wctx, &stB))
	require.Equal(t, "done", stB.Step)
	require.Equal(t, int64(1), fenceEpoch(t, dbB), "B's recovery fenced B once")
	require.Zero(t, fenceEpoch(t, dbA), "nothing of A's recovery ran yet")
	desc, err := c.DescribeWorkflowExecution(ctx, namesA.Recovery, "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus())

	// A worker of A pointed at B's database: the first activity fails
	// non-retryably; B's database is not fenced again.
	wrong := New(c, Config{Identity: idA}, recoveryActivities(dbB, idA, subA))
	require.NoError(t, wrong.Start())
	err = runA.Get(wctx, nil)
	wrong.Stop()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%v", err)
	require.Equal(t, workflows.ErrTypeIdentityMismatch, appErr.Type())
	require.True(t, appErr.NonRetryable())
	require.Equal(t, int64(1), fenceEpoch(t, dbB))
	require.Zero(t, fenceEpoch(t, dbA))

	// A's own worker and database: A's recovery runs against A only.
	wA := New(c, Config{Identity: idA}, recoveryActivities(dbA, idA, subA))
	require.NoError(t, wA.Start())
	defer wA.Stop()
	runA, err = StartRecovery(ctx, c, namesA, "test A again")
	require.NoError(t, err)
	var stA workflows.RecoveryStatus
	require.NoError(t, runA.Get(wctx, &stA))
	require.Equal(t, []string{"fence", "assess", "cascade", "resume"}, stA.Done)
	require.Equal(t, int64(1), fenceEpoch(t, dbA))
	require.Equal(t, int64(1), fenceEpoch(t, dbB))
}

// TestLegacyWorkflowsAreReported: a workflow still running under an
// unscoped ID of an older release is found (the worker warns about it).
func TestLegacyWorkflowsAreReported(t *testing.T) {
	ctx := context.Background()
	s := devServer(t)
	c := dial(t, s, "default")
	legacy, err := LegacyWorkflows(ctx, c)
	require.NoError(t, err)
	require.Empty(t, legacy)
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "batch-submitter", TaskQueue: "sequencer"}, "BatchSubmitter",
		workflows.SubmitterInput{})
	require.NoError(t, err)
	legacy, err = LegacyWorkflows(ctx, c)
	require.NoError(t, err)
	require.Equal(t, []string{"batch-submitter"}, legacy)
}

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
