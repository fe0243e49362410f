package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/api"
	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/feed"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/internal/l1rows"
	"github.com/cartesi/sequencer/internal/pgtest"
	"github.com/cartesi/sequencer/migrations"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// testDomain is the EIP-712 domain every test signs in.
var testDomain = protocol.NewDomain(31337, common.HexToAddress("0x70ac08179605AF2D9e75782b8DEcDD3c22aA4D0C"))

// testDB is a fresh migrated database with the feed hub the lane publishes
// to.
type testDB struct {
	URL  string
	Pool *pgxpool.Pool
	Hub  *feed.Hub
}

func newTestDB(t *testing.T) testDB {
	t.Helper()
	url := pgtest.NewDatabase(t, pgtest.WithTemplate("migrated", migrations.ApplyURL))
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return testDB{URL: url, Pool: pool, Hub: feed.NewHub(0)}
}

// Real-lane fixtures: the wallet's addresses and the funded test keys.
var (
	testPortal    = common.HexToAddress("0x00000000000000000000000000000000000000a1")
	testToken     = common.HexToAddress("0x00000000000000000000000000000000000000b2")
	testRecipient = common.HexToAddress("0x00000000000000000000000000000000000000c3")
	testSubmitter = common.HexToAddress("0x5e00000000000000000000000000000000000001")
	// fundedKeys are deposited into the real lane's wallet.
	fundedKeys = []string{
		"b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291",
		"8a1f9a8f95be41cd7ccb6168179afb4504aefe388d1e14474d32c45c72ce7b7a",
	}
)

// newTestLane is the real inclusion lane over db with the reference wallet:
// the funded keys get deposits, the L1 safe head is recorded, and the lane
// runs until the test ends. It returns once intake is open.
func newTestLane(t *testing.T, db testDB) api.Lane {
	t.Helper()
	ctx := context.Background()
	l1, err := l1rows.New(ctx, db.Pool)
	require.NoError(t, err)
	for _, hex := range fundedKeys {
		addr := crypto.PubkeyToAddress(mustKey(t, hex).PublicKey)
		_, err := l1.Append(ctx, l1rows.Input{Sender: testPortal, Block: 1,
			Payload: wallet.EncodeDeposit(testToken, addr, uint256.NewInt(1e18), nil)})
		require.NoError(t, err)
	}
	require.NoError(t, l1.SetSafeHead(ctx, 2, time.Now(), time.Now()))
	require.NoError(t, l1.SetBatchSubmitter(ctx, testSubmitter))
	cfg := wallet.Config{Portal: testPortal, Token: testToken, FeeRecipient: testRecipient}
	lane := hotpath.New(hotpath.Config{
		DatabaseURL: db.URL, ChainID: testDomain.ChainID(), App: testDomain.VerifyingContract(), MaxBatchOpen: time.Hour,
		Danger:         hotpath.DangerConfig{MarginBlocks: 300, ReadStaleBlocks: 600, SecondsPerBlock: 12},
		DangerInterval: 50 * time.Millisecond,
	}, hotpath.Deps{NewApp: func() app.Application { return wallet.New(cfg) }, Pool: db.Pool, Hub: db.Hub})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- lane.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	require.Eventually(t, func() bool { return lane.Status().IntakeOpen }, 10*time.Second, 10*time.Millisecond)
	return lane
}

// fakeLane is a scriptable Lane, safe for concurrent use.
type fakeLane struct {
	mu      sync.Mutex
	status  hotpath.Status
	quote   hotpath.FeeQuote
	nonces  map[common.Address]uint32
	offset  uint64
	maxData int
	// submitErr, when set, is what Submit returns.
	submitErr error
}

func newFakeLane() *fakeLane {
	return &fakeLane{
		status:  hotpath.Status{Role: hotpath.RoleActive, IntakeOpen: true, Danger: "safe", Mode: "normal"},
		quote:   hotpath.FeeQuote{Fee: 1356, RecommendedFee: 1300},
		nonces:  map[common.Address]uint32{},
		maxData: 53,
	}
}

func (l *fakeLane) Submit(_ context.Context, op hotpath.Op) (hotpath.Receipt, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.submitErr != nil {
		return hotpath.Receipt{}, l.submitErr
	}
	if op.UserOp.MaxFee < l.quote.Fee {
		return hotpath.Receipt{}, &hotpath.RejectedError{Reason: fmt.Errorf("max fee %d below base fee %d", op.UserOp.MaxFee, l.quote.Fee)}
	}
	if want := l.nonces[op.Sender]; op.UserOp.Nonce != want {
		return hotpath.Receipt{}, &hotpath.RejectedError{Reason: fmt.Errorf("nonce mismatch: expected %d, got %d", want, op.UserOp.Nonce)}
	}
	l.nonces[op.Sender]++
	l.offset++
	return hotpath.Receipt{Sender: op.Sender, Nonce: op.UserOp.Nonce, Offset: l.offset, Fee: l.quote.Fee}, nil
}

// Quote and NextNonce answer like the real lane: only an active writer
// with intake open has a fee and nonces to report.
func (l *fakeLane) Quote() (hotpath.FeeQuote, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.status.Role != hotpath.RoleActive || !l.status.IntakeOpen {
		return hotpath.FeeQuote{}, hotpath.ErrUnavailable
	}
	return l.quote, nil
}

func (l *fakeLane) NextNonce(sender common.Address) (uint32, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.status.Role != hotpath.RoleActive || !l.status.IntakeOpen {
		return 0, hotpath.ErrUnavailable
	}
	return l.nonces[sender], nil
}

// mustQuote is lane's fee quote; the lane must be the active writer.
func mustQuote(t *testing.T, lane api.Lane) hotpath.FeeQuote {
	t.Helper()
	q, err := lane.Quote()
	require.NoError(t, err)
	return q
}

func (l *fakeLane) MaxPayloadSize() int { return l.maxData }

func (l *fakeLane) Status() hotpath.Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status
}

func (l *fakeLane) setStatus(s hotpath.Status) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.status = s
}

func (l *fakeLane) setSubmitErr(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.submitErr = err
}

// failingPinger is a database that does not answer.
type failingPinger struct{}

func (failingPinger) Ping(context.Context) error { return errors.New("connection refused") }

// testServer is a running api.Server on free loopback ports.
type testServer struct {
	*api.Server
	DB       testDB
	Lane     api.Lane
	Registry *prometheus.Registry
	Public   string // http://host:port
	Internal string
	WS       string // ws://host:port
}

type serverOption func(*api.Config, *api.Deps)

func withDB(p api.Pinger) serverOption {
	return func(_ *api.Config, d *api.Deps) { d.DB = p }
}

func withConfig(f func(*api.Config)) serverOption {
	return func(c *api.Config, _ *api.Deps) { f(c) }
}

// startServer runs a server with lane over db until the test ends.
func startServer(t *testing.T, db testDB, lane api.Lane, opts ...serverOption) *testServer {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg := api.Config{PublicAddr: "127.0.0.1:0", InternalAddr: "127.0.0.1:0", ShutdownTimeout: 5 * time.Second}
	deps := api.Deps{
		Lane:       lane,
		Feed:       store.NewFeedReader(db.Pool),
		Snapshots:  store.NewSnapshotReader(db.Pool),
		Hub:        db.Hub,
		Domain:     testDomain,
		DB:         db.Pool,
		Registerer: reg,
		Gatherer:   reg,
	}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	srv := api.New(cfg, deps)
	require.NoError(t, srv.Listen())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("api server did not stop")
		}
	})
	ts := &testServer{
		Server:   srv,
		DB:       db,
		Lane:     lane,
		Registry: reg,
		Public:   "http://" + srv.PublicAddr().String(),
		Internal: "http://" + srv.InternalAddr().String(),
		WS:       "ws://" + srv.PublicAddr().String(),
	}
	// Serving starts asynchronously; wait until the public port answers.
	require.Eventually(t, func() bool {
		resp, err := http.Get(ts.Public + "/livez")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 5*time.Second, 5*time.Millisecond)
	return ts
}

// httpResult is a response read whole.
type httpResult struct {
	Status int
	Header http.Header
	Body   []byte
}

func do(t *testing.T, method, url, contentType string, body []byte, header ...string) httpResult {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return httpResult{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func get(t *testing.T, url string, header ...string) httpResult {
	t.Helper()
	return do(t, http.MethodGet, url, "", nil, header...)
}
