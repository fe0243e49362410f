// Package devstack runs the whole sequencer stack on one machine for
// development (`sequencer dev`, `make dev`) and for integration tests:
//
//   - a PostgreSQL cluster (internal/pgcluster) with the `sequencer` database;
//   - the Temporal CLI's dev server (with its Web UI) and the search
//     attributes the workflows set;
//   - anvil with 1-second blocks, the contracts deployed (internal/devchain)
//     and test accounts funded through the ERC20Portal;
//   - `sequencer serve` and `sequencer worker` as child processes configured
//     through SEQ_* variables.
//
// Everything lives under one directory (by default <module root>/.devstack):
// pg/ (the cluster), temporal.db, anvil-state.json (anvil loads it at start
// and dumps it on exit), chain.json (the deployed addresses), env (shell
// exports for clients) and logs/. Stopping the stack and starting it again
// resumes the same data; a directory without chain.json (first run, or a
// first run that did not finish) starts from scratch.
//
//	s, err := devstack.Start(ctx, devstack.Options{Out: os.Stderr})
//	...
//	defer s.Stop(context.Background())
package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/cartesi/sequencer/internal/devchain"
	"github.com/cartesi/sequencer/internal/modroot"
	"github.com/cartesi/sequencer/internal/pgcluster"
)

// Defaults of Options.
const (
	DefaultPostgresPort     = 55432 // config.DevDatabaseURL's port
	DefaultTemporalPort     = 7233
	DefaultTemporalUIPort   = 8233
	DefaultAnvilPort        = 8545
	DefaultHTTPAddr         = "127.0.0.1:3000"
	DefaultInternalHTTPAddr = "127.0.0.1:3001"
	DefaultWorkerMetrics    = "127.0.0.1:3002"
	DefaultReadyTimeout     = 3 * time.Minute
)

// ChainID is the dev chain's id (anvil's default).
const ChainID uint64 = 31337

// DatabaseName is the database serve and worker use.
const DatabaseName = "sequencer"

// SafeDistance is how far anvil's "safe" tag trails "latest".
const SafeDistance = 32

// TemporalVersion is the Temporal CLI the Makefile installs into bin/.
const TemporalVersion = "v1.5.1"

// SearchAttributes are registered by the Temporal dev server at start (the
// worker registers its own too; both are idempotent).
var SearchAttributes = []string{
	"SeqBatchNonce=Int", "SeqWalletNonce=Int", "SeqTxHash=Keyword", "SeqState=Keyword", "SeqRecoveryStep=Keyword",
}

var (
	ether = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	// FundAmount test tokens go to each funded account on L1, and
	// DepositAmount of them are deposited into the application.
	FundAmount    = new(big.Int).Mul(big.NewInt(1_000_000), ether)
	DepositAmount = new(big.Int).Mul(big.NewInt(100_000), ether)
)

// Files under the state directory.
const (
	pgDir          = "pg"
	temporalDB     = "temporal.db"
	anvilStateFile = "anvil-state.json"
	chainFile      = "chain.json"
	envFile        = "env"
	logsDir        = "logs"
)

// Options configure Start. Zero values take the defaults.
type Options struct {
	// Root is the module root, where bin/temporal and
	// node_modules/.bin/anvil are installed (`make deps`). Empty: walk up
	// from the working directory to go.mod.
	Root string
	// Dir holds the stack's state. Empty: <Root>/.devstack. When running as
	// root every directory from Dir up to / must be traversable by "nobody"
	// (PostgreSQL refuses to run as root).
	Dir string
	// Binary is the sequencer binary run as `serve` and `worker`. Empty: the
	// running executable.
	Binary string
	// TemporalBinary and AnvilBinary default to <Root>/bin/temporal and
	// <Root>/node_modules/.bin/anvil.
	TemporalBinary string
	AnvilBinary    string

	PostgresPort     int
	TemporalPort     int
	TemporalUIPort   int
	AnvilPort        int
	HTTPAddr         string // serve's public API, host:port
	InternalHTTPAddr string // serve's operator routes, host:port
	WorkerMetrics    string // the worker's /metrics, host:port

	// Out receives every component's output, one line at a time prefixed
	// with its name (anvil's RPC log and PostgreSQL's log go to files only).
	// Nil discards it; the files under Dir/logs are written either way.
	Out io.Writer
	// ReadyTimeout bounds the wait for serve's /readyz.
	ReadyTimeout time.Duration
	// ExtraEnv holds NAME=value settings applied over ServiceEnv's dev
	// defaults for both serve and worker: a name ServiceEnv sets gets the
	// new value, a new one is added (`make dev DEV_ENV=…`, ParseOverrides).
	// They apply on every Start, a resumed stack's included.
	ExtraEnv []string
}

func (o Options) withDefaults() (Options, error) {
	if o.Root == "" {
		root, err := ModuleRoot()
		if err != nil {
			return o, err
		}
		o.Root = root
	}
	if o.Dir == "" {
		o.Dir = filepath.Join(o.Root, ".devstack")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return o, fmt.Errorf("state directory: %w", err)
	}
	o.Dir = dir
	if o.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return o, fmt.Errorf("locate the sequencer binary: %w", err)
		}
		o.Binary = exe
	}
	if o.TemporalBinary == "" {
		o.TemporalBinary = filepath.Join(o.Root, "bin", "temporal")
	}
	if o.AnvilBinary == "" {
		o.AnvilBinary = filepath.Join(o.Root, "node_modules", ".bin", "anvil")
	}
	setInt := func(p *int, def int) {
		if *p == 0 {
			*p = def
		}
	}
	setInt(&o.PostgresPort, DefaultPostgresPort)
	setInt(&o.TemporalPort, DefaultTemporalPort)
	setInt(&o.TemporalUIPort, DefaultTemporalUIPort)
	setInt(&o.AnvilPort, DefaultAnvilPort)
	if o.HTTPAddr == "" {
		o.HTTPAddr = DefaultHTTPAddr
	}
	if o.InternalHTTPAddr == "" {
		o.InternalHTTPAddr = DefaultInternalHTTPAddr
	}
	if o.WorkerMetrics == "" {
		o.WorkerMetrics = DefaultWorkerMetrics
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = DefaultReadyTimeout
	}
	return o, nil
}

// ModuleRoot is the directory holding go.mod (see modroot.Find).
func ModuleRoot() (string, error) { return modroot.Find() }

// FundedAccount is a test account with tokens deposited into the app.
type FundedAccount struct {
	Address common.Address `json:"address"`
	Key     string         `json:"key"` // 0x hex private key (anvil's well-known dev keys)
}

// Chain is what chain.json records about the deployed dev chain.
type Chain struct {
	ChainID        uint64          `json:"chain_id"`
	InputBox       common.Address  `json:"input_box"`
	ERC20Portal    common.Address  `json:"erc20_portal"`
	Token          common.Address  `json:"token"`
	App            common.Address  `json:"app"`
	Deployer       common.Address  `json:"deployer"`
	BatchSubmitter common.Address  `json:"batch_submitter"`
	FeeRecipient   common.Address  `json:"fee_recipient"`
	Funded         []FundedAccount `json:"funded"`
	DeployedAt     time.Time       `json:"deployed_at"`
}

func (c Chain) addresses() devchain.Addresses {
	return devchain.Addresses{InputBox: c.InputBox, ERC20Portal: c.ERC20Portal, Token: c.Token, App: c.App}
}

// Info describes a running stack.
type Info struct {
	Dir             string
	Resumed         bool // the state directory held a chain from an earlier run
	HTTPURL         string
	InternalURL     string
	WorkerMetrics   string // http://…/metrics of the worker
	FeedURL         string // ws://…/ws/subscribe
	EthRPCURL       string
	DatabaseURL     string
	TemporalAddress string
	TemporalUIURL   string
	Chain           Chain
}

// Stack is a running dev stack. Stop it with Stop.
type Stack struct {
	opts Options
	info Info
	con  *console
	dev  *lineWriter
	log  *slog.Logger

	pg       *pgcluster.Cluster
	temporal *proc
	anvil    *proc
	rpc      *rpc.Client
	serve    *service
	worker   *service

	failOnce sync.Once
	failed   chan struct{}
	failErr  error
	failCode int

	stopOnce sync.Once
	stopErr  error
}

// Start brings the stack up and returns once serve answers /readyz. On
// error everything it started is stopped again. Cancelling ctx aborts the
// start (the stack, once returned, is not tied to ctx: call Stop).
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	opts, err = opts.withDefaults()
	if err != nil {
		return nil, err
	}
	for name, path := range map[string]string{"temporal (run `make deps`)": opts.TemporalBinary,
		"anvil (run `make deps`)": opts.AnvilBinary, "sequencer": opts.Binary} {
		if st, err := os.Stat(path); err != nil || st.IsDir() {
			return nil, fmt.Errorf("%s not found at %s", name, path)
		}
	}
	if err := checkPortsFree(opts); err != nil {
		return nil, err
	}
	if err := mkdirAll0755(filepath.Join(opts.Dir, logsDir)); err != nil {
		return nil, err
	}
	s := &Stack{opts: opts, con: &console{out: opts.Out, pad: 8}, failed: make(chan struct{})}
	if s.dev, err = newLineWriter("dev", s.con, s.logPath("dev"), false); err != nil {
		return nil, err
	}
	s.log = slog.New(slog.NewTextHandler(s.dev, &slog.HandlerOptions{Level: slog.LevelInfo}))
	defer func() {
		if err != nil {
			s.log.Error("start failed; stopping what was started", "err", err)
			_ = s.Stop(context.Background())
		}
	}()

	_, statErr := os.Stat(s.path(chainFile))
	fresh := errors.Is(statErr, os.ErrNotExist)
	if fresh {
		// No finished deployment: whatever state a broken first run left
		// behind would not match the new chain.
		for _, f := range []string{anvilStateFile, temporalDB, temporalDB + "-wal", temporalDB + "-shm", envFile} {
			if err := os.Remove(s.path(f)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
		}
		s.log.Info("new dev stack", "dir", opts.Dir)
	} else {
		s.log.Info("resuming dev stack", "dir", opts.Dir)
	}
	s.info = newInfo(opts)
	s.info.Resumed = !fresh

	if err := s.startPostgres(ctx, fresh); err != nil {
		return nil, err
	}
	if err := s.startTemporal(ctx); err != nil {
		return nil, err
	}
	if err := s.startAnvil(ctx); err != nil {
		return nil, err
	}
	if err := s.setupChain(ctx, fresh); err != nil {
		return nil, err
	}
	if err := s.writeEnvFile(); err != nil {
		return nil, err
	}
	if err := s.startServices(); err != nil {
		return nil, err
	}
	if err := s.waitReady(ctx); err != nil {
		return nil, err
	}
	s.log.Info("dev stack ready", "api", s.info.HTTPURL, "temporal_ui", s.info.TemporalUIURL)
	return s, nil
}

// newInfo is where a stack started with opts listens.
func newInfo(opts Options) Info {
	return Info{
		Dir:             opts.Dir,
		HTTPURL:         "http://" + opts.HTTPAddr,
		InternalURL:     "http://" + opts.InternalHTTPAddr,
		WorkerMetrics:   "http://" + opts.WorkerMetrics + "/metrics",
		FeedURL:         "ws://" + opts.HTTPAddr + "/ws/subscribe",
		EthRPCURL:       fmt.Sprintf("http://127.0.0.1:%d", opts.AnvilPort),
		TemporalAddress: fmt.Sprintf("127.0.0.1:%d", opts.TemporalPort),
		TemporalUIURL:   fmt.Sprintf("http://127.0.0.1:%d", opts.TemporalUIPort),
	}
}

// PlannedEnv returns the SEQ_* settings serve and worker get from a stack
// started with opts on the dev chain (DevChain's addresses), overrides
// (Options.ExtraEnv) applied: `sequencer dev` validates them before it
// starts anything, so a bad value costs no stack start.
func PlannedEnv(opts Options) (serve, worker []string, err error) {
	opts, err = opts.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	s := &Stack{opts: opts, info: newInfo(opts)}
	s.info.Chain = DevChain()
	s.info.DatabaseURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", opts.PostgresPort, DatabaseName)
	serve, worker = s.childConfigs()
	return serve, worker, nil
}

// Info describes the running stack.
func (s *Stack) Info() Info { return s.info }

// Failed is closed when a component exits on its own (anything but a
// transient refusal of serve or worker, which are restarted). Err and
// ExitCode then say which and how.
func (s *Stack) Failed() <-chan struct{} { return s.failed }

// Err is the component failure, once Failed is closed.
func (s *Stack) Err() error {
	select {
	case <-s.failed:
		return s.failErr
	default:
		return nil
	}
}

// ExitCode is the failed component's exit code (serve's and worker's 30
// means terminal: do not restart), once Failed is closed.
func (s *Stack) ExitCode() int {
	select {
	case <-s.failed:
		return s.failCode
	default:
		return 0
	}
}

func (s *Stack) fail(err error, code int) {
	s.failOnce.Do(func() {
		s.failErr, s.failCode = err, code
		s.log.Error("component failed", "err", err, "exit_code", code)
		close(s.failed)
	})
}

func (s *Stack) path(name string) string    { return filepath.Join(s.opts.Dir, name) }
func (s *Stack) logPath(name string) string { return filepath.Join(s.opts.Dir, logsDir, name+".log") }

// Stop stops everything in reverse order: serve drains and exits, then the
// worker, Temporal, anvil (which dumps its state) and PostgreSQL. It returns
// the first thing that did not stop cleanly. Idempotent.
func (s *Stack) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() { s.stopErr = s.stop(ctx) })
	return s.stopErr
}

func (s *Stack) stop(ctx context.Context) error {
	var errs []error
	step := func(name string, f func() error) {
		if err := f(); err != nil {
			s.log.Warn("stop", "component", name, "err", err)
			errs = append(errs, err)
			return
		}
		s.log.Info("stopped", "component", name)
	}
	if s.serve != nil {
		step("serve", func() error { return s.serve.stop(45 * time.Second) })
	}
	if s.worker != nil {
		step("worker", func() error { return s.worker.stop(30 * time.Second) })
	}
	if s.temporal != nil {
		step("temporal", func() error { return s.temporal.stop(30 * time.Second) })
	}
	if s.rpc != nil {
		s.rpc.Close()
	}
	if s.anvil != nil {
		step("anvil", func() error { return s.anvil.stop(60 * time.Second) })
	}
	if s.pg != nil {
		step("postgres", func() error {
			pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
			defer cancel()
			return s.pg.Stop(pctx)
		})
	}
	if s.dev != nil {
		_ = s.dev.Close()
	}
	return errors.Join(errs...)
}

// Kill stops everything at once without waiting for a clean shutdown (a
// second Ctrl-C). anvil does not dump its state.
func (s *Stack) Kill() {
	for _, svc := range []*service{s.serve, s.worker} {
		if svc != nil {
			svc.kill()
		}
	}
	for _, p := range []*proc{s.temporal, s.anvil} {
		if p != nil {
			p.kill()
		}
	}
	if s.pg != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.pg.Kill(ctx)
	}
}

// checkPortsFree fails early, naming the port, when something already
// listens on one the stack needs (another `make dev`, say).
func checkPortsFree(o Options) error {
	addrs := []struct{ what, addr string }{
		{"PostgreSQL", net.JoinHostPort("127.0.0.1", strconv.Itoa(o.PostgresPort))},
		{"Temporal", net.JoinHostPort("127.0.0.1", strconv.Itoa(o.TemporalPort))},
		{"Temporal UI", net.JoinHostPort("127.0.0.1", strconv.Itoa(o.TemporalUIPort))},
		{"anvil", net.JoinHostPort("127.0.0.1", strconv.Itoa(o.AnvilPort))},
		{"serve (public)", o.HTTPAddr},
		{"serve (internal)", o.InternalHTTPAddr},
		{"worker (metrics)", o.WorkerMetrics},
	}
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a.addr)
		if err != nil {
			return fmt.Errorf("%s port %s is not free (another dev stack running?): %w", a.what, a.addr, err)
		}
		_ = ln.Close()
	}
	return nil
}

func mkdirAll0755(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return nil
}

// childEnv is the environment without SEQ_* variables (a shell that sourced
// .devstack/env must not configure the children) plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SEQ_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// --- PostgreSQL -------------------------------------------------------------

func (s *Stack) startPostgres(ctx context.Context, fresh bool) error {
	c, err := pgcluster.New(ctx, s.path(pgDir), pgcluster.Options{Port: s.opts.PostgresPort, Logger: s.log})
	if err != nil {
		return err
	}
	s.pg = c
	if err := c.Start(ctx); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if fresh {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+DatabaseName+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop stale database: %w", err)
		}
	}
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", DatabaseName).Scan(&exists); err != nil {
		return fmt.Errorf("look up database: %w", err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+DatabaseName); err != nil {
			return fmt.Errorf("create database: %w", err)
		}
	}
	s.info.DatabaseURL = c.URL(DatabaseName)
	s.log.Info("postgres ready", "url", s.info.DatabaseURL, "log", c.LogFile())
	return nil
}

// --- Temporal ---------------------------------------------------------------

func (s *Stack) startTemporal(ctx context.Context) error {
	args := []string{"server", "start-dev",
		"--db-filename", s.path(temporalDB),
		"--port", strconv.Itoa(s.opts.TemporalPort),
		"--ui-port", strconv.Itoa(s.opts.TemporalUIPort),
		"--ip", "127.0.0.1",
	}
	for _, sa := range SearchAttributes {
		args = append(args, "--search-attribute", sa)
	}
	p, err := startProc(procSpec{name: "temporal", path: s.opts.TemporalBinary, args: args, env: childEnv(),
		dir: s.opts.Dir, logPath: s.logPath("temporal"), muteOnStop: true, stopSig: syscall.SIGINT}, s.con)
	if err != nil {
		return err
	}
	s.temporal = p
	go s.watch(p)
	// The frontend's port answers, then the default namespace does.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err := s.alive(ctx, p); err != nil {
			return err
		}
		conn, err := net.DialTimeout("tcp", s.info.TemporalAddress, time.Second)
		if err == nil {
			_ = conn.Close()
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("temporal: %s not answering after 60s (see %s)", s.info.TemporalAddress, s.logPath("temporal"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	c, err := client.DialContext(ctx, client.Options{HostPort: s.info.TemporalAddress,
		Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		return fmt.Errorf("temporal: connect: %w", err)
	}
	defer c.Close()
	for {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := c.WorkflowService().DescribeNamespace(rctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
		cancel()
		if err == nil {
			break
		}
		if err := s.alive(ctx, p); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("temporal: namespace default not ready: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.log.Info("temporal ready", "address", s.info.TemporalAddress, "ui", s.info.TemporalUIURL)
	return nil
}

// alive fails if ctx is done or p has exited.
func (s *Stack) alive(ctx context.Context, p *proc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.exited() {
		return fmt.Errorf("%s %s during start (see %s)", p.name, p.exitDescription(), s.logPath(p.name))
	}
	return nil
}

// watch reports p's exit as a failure unless the stack stopped it.
func (s *Stack) watch(p *proc) {
	<-p.done
	if !p.stopping.Load() {
		s.fail(fmt.Errorf("%s %s (see %s)", p.name, p.exitDescription(), s.logPath(p.name)), p.exitCode())
	}
}

// --- anvil and the contracts ------------------------------------------------

func (s *Stack) startAnvil(ctx context.Context) error {
	// --state loads the file when it exists and dumps the chain into it on
	// exit (SIGINT), so the next run resumes the same chain. Historical
	// states are not kept (--preserve-historical-states makes the file grow
	// by ~100 kB a block); setupChain mines past them instead.
	args := []string{
		"--block-time", "1",
		// Ethereum mainnet's block gas limit since late 2025 (anvil's own
		// default, 30M, fits only ~11 full 64 KB batches a block).
		"--gas-limit", "60000000",
		"--port", strconv.Itoa(s.opts.AnvilPort),
		"--host", "127.0.0.1",
		"--chain-id", strconv.FormatUint(ChainID, 10),
		"--state", s.path(anvilStateFile),
	}
	p, err := startProc(procSpec{name: "anvil", path: s.opts.AnvilBinary, args: args, env: childEnv(),
		dir: s.opts.Dir, logPath: s.logPath("anvil"), quiet: true, stopSig: syscall.SIGINT}, s.con)
	if err != nil {
		return err
	}
	s.anvil = p
	go s.watch(p)
	rc, err := rpc.DialOptions(ctx, s.info.EthRPCURL)
	if err != nil {
		return fmt.Errorf("anvil: dial: %w", err)
	}
	s.rpc = rc
	deadline := time.Now().Add(60 * time.Second) // loading a large state takes a while
	for {
		var id hexutil.Uint64
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := rc.CallContext(cctx, &id, "eth_chainId")
		cancel()
		if err == nil {
			if uint64(id) != ChainID {
				return fmt.Errorf("anvil: chain id %d, want %d", id, ChainID)
			}
			break
		}
		if err := s.alive(ctx, p); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("anvil: not answering at %s after 60s: %w (see %s)", s.info.EthRPCURL, err, s.logPath("anvil"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.log.Info("anvil ready", "rpc", s.info.EthRPCURL, "log", s.logPath("anvil"))
	return nil
}

// setupChain deploys and funds on a fresh chain, or checks that a resumed
// chain still holds what chain.json says. Either way it then mines
// SafeDistance+1 blocks at once: the deposits become safe right away, and
// after a resume the "safe" block is one whose state anvil holds (a loaded
// state has no history before it).
func (s *Stack) setupChain(ctx context.Context, fresh bool) error {
	ec := ethclient.NewClient(s.rpc)
	if fresh {
		chain, err := s.deploy(ctx, ec)
		if err != nil {
			return err
		}
		s.info.Chain = chain
	} else {
		b, err := os.ReadFile(s.path(chainFile))
		if err != nil {
			return err
		}
		var chain Chain
		if err := json.Unmarshal(b, &chain); err != nil {
			return fmt.Errorf("%s: %w", s.path(chainFile), err)
		}
		ok, err := devchain.Deployed(ctx, ec, chain.addresses())
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("the chain in %s lacks the contracts %s records (anvil's state was lost, e.g. it was killed before dumping it): "+
				"start over with `sequencer dev --reset`", s.path(anvilStateFile), s.path(chainFile))
		}
		s.info.Chain = chain
	}
	if err := s.rpc.CallContext(ctx, nil, "anvil_mine", hexutil.Uint64(SafeDistance+1)); err != nil {
		return fmt.Errorf("anvil_mine: %w", err)
	}
	return nil
}

func (s *Stack) deploy(ctx context.Context, ec *ethclient.Client) (Chain, error) {
	chain, err := DeployChain(ctx, ec, s.log)
	if err != nil {
		return Chain{}, err
	}
	b, err := json.MarshalIndent(chain, "", "  ")
	if err != nil {
		return Chain{}, err
	}
	// Written last: its presence means the deployment finished.
	if err := writeFileAtomic(s.path(chainFile), append(b, '\n'), 0o644); err != nil {
		return Chain{}, err
	}
	return chain, nil
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// --- serve and worker -------------------------------------------------------

// ServiceEnv is the SEQ_* configuration serve and worker get (the worker
// also gets SEQ_BATCH_SUBMITTER_PRIVATE_KEY).
func (s *Stack) ServiceEnv() []string {
	c := s.info.Chain
	return []string{
		"SEQ_ETH_RPC_URL=" + s.info.EthRPCURL,
		"SEQ_CHAIN_ID=" + strconv.FormatUint(c.ChainID, 10),
		"SEQ_APP_ADDRESS=" + c.App.Hex(),
		"SEQ_INPUT_BOX_ADDRESS=" + c.InputBox.Hex(),
		"SEQ_WALLET_PORTAL_ADDRESS=" + c.ERC20Portal.Hex(),
		"SEQ_WALLET_TOKEN_ADDRESS=" + c.Token.Hex(),
		"SEQ_WALLET_FEE_RECIPIENT=" + c.FeeRecipient.Hex(),
		"SEQ_BATCH_SUBMITTER_ADDRESS=" + c.BatchSubmitter.Hex(),
		"SEQ_DATABASE_URL=" + s.info.DatabaseURL,
		"SEQ_TEMPORAL_ADDRESS=" + s.info.TemporalAddress,
		"SEQ_HTTP_ADDR=" + s.opts.HTTPAddr,
		"SEQ_INTERNAL_HTTP_ADDR=" + s.opts.InternalHTTPAddr,
		"SEQ_WORKER_METRICS_ADDR=" + s.opts.WorkerMetrics,
		// anvil mines a block a second: thresholds counted in blocks keep
		// their meaning, and batches land within seconds.
		"SEQ_SECONDS_PER_BLOCK=1",
		"SEQ_BATCH_SUBMITTER_IDLE_POLL_INTERVAL_MS=1000",
		"SEQ_MAX_BATCH_OPEN_SECONDS=10",
		// The fee follows anvil's gas price at 1000 dev tokens per ETH
		// (docs/fee-oracle.md says how to try the uniswap-v3 mode with
		// DEV_ENV). The step is unbounded here: the fee jumps
		// once at start instead of climbing for minutes under clients
		// signing with suggested_max_fee; there is no price to manipulate.
		"SEQ_FEE_ORACLE_MODE=fixed-price",
		"SEQ_FEE_ORACLE_TOKEN_PER_ETH=1000000000000000000000",
		"SEQ_FEE_ORACLE_MAX_STEP=17101",
	}
}

// childConfigs are serve's and worker's SEQ_* settings: ServiceEnv (plus
// the worker's key, and serve's receipt key), then the overrides.
func (s *Stack) childConfigs() (serve, worker []string) {
	serve = mergeEnv(append(s.ServiceEnv(), "SEQ_RECEIPT_PRIVATE_KEY="+DevKeyHex(ReceiptAccount)), s.opts.ExtraEnv)
	worker = mergeEnv(append(s.ServiceEnv(), "SEQ_BATCH_SUBMITTER_PRIVATE_KEY="+DevKeyHex(BatchSubmitterAccount)), s.opts.ExtraEnv)
	return serve, worker
}

func (s *Stack) startServices() error {
	if len(s.opts.ExtraEnv) > 0 {
		s.log.Info("configuration overrides for serve and worker", "env", describeOverrides(s.opts.ExtraEnv))
	}
	env, workerEnv := s.childConfigs()
	s.serve = &service{stack: s, spec: procSpec{name: "serve", path: s.opts.Binary, args: []string{"serve"},
		env: childEnv(env...), dir: s.opts.Dir, logPath: s.logPath("serve"), stopSig: syscall.SIGTERM}}
	s.worker = &service{stack: s, spec: procSpec{name: "worker", path: s.opts.Binary, args: []string{"worker"},
		env: childEnv(workerEnv...), dir: s.opts.Dir, logPath: s.logPath("worker"), stopSig: syscall.SIGTERM}}
	if err := s.serve.start(); err != nil {
		return err
	}
	return s.worker.start()
}

// waitReady polls serve's /readyz: the lane holds the writer lock and has
// opened a batch, which needs the worker to have recorded a safe head.
func (s *Stack) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.ReadyTimeout)
	defer cancel()
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.info.HTTPURL+"/readyz", nil)
		if err != nil {
			return err
		}
		if resp, err := hc.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.failed:
			return s.failErr
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("serve not ready after %v (see %s and %s)", s.opts.ReadyTimeout, s.logPath("serve"), s.logPath("worker"))
			}
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// exitTransient is serve's and worker's "transient refusal" exit code
// (database or L1 unreachable at start): they are restarted.
const exitTransient = 20

// service is serve or worker: restarted after a transient refusal, a
// failure of the stack on any other exit.
type service struct {
	stack *Stack
	spec  procSpec

	mu       sync.Mutex
	cur      *proc
	stopped  bool
	restarts int
}

const maxRestarts = 5

func (v *service) start() error {
	p, err := startProc(v.spec, v.stack.con)
	if err != nil {
		return err
	}
	v.mu.Lock()
	v.cur = p
	v.mu.Unlock()
	go v.supervise(p)
	return nil
}

func (v *service) supervise(p *proc) {
	<-p.done
	if p.stopping.Load() {
		return
	}
	code := p.exitCode()
	s := v.stack
	v.mu.Lock()
	retry := code == exitTransient && v.restarts < maxRestarts && !v.stopped
	v.restarts++
	v.mu.Unlock()
	if !retry {
		s.fail(fmt.Errorf("%s %s (see %s)", v.spec.name, p.exitDescription(), v.spec.logPath), code)
		return
	}
	s.log.Warn("transient refusal: restarting in 2s", "component", v.spec.name, "exit_code", code)
	time.Sleep(2 * time.Second)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.stopped {
		return
	}
	next, err := startProc(v.spec, s.con)
	if err != nil {
		s.fail(err, 1)
		return
	}
	v.cur = next
	go v.supervise(next)
}

func (v *service) stop(grace time.Duration) error {
	v.mu.Lock()
	v.stopped = true
	p := v.cur
	v.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.stop(grace)
}

func (v *service) kill() {
	v.mu.Lock()
	v.stopped = true
	p := v.cur
	v.mu.Unlock()
	if p != nil {
		p.kill()
	}
}

// Reset deletes the stack's state under the state directory (the cluster,
// the chain, Temporal's history, chain.json, env and logs), so the next
// Start begins from scratch. It deletes only files the stack creates.
func Reset(opts Options) error {
	opts, err := opts.withDefaults()
	if err != nil {
		return err
	}
	for _, f := range []string{pgDir, temporalDB, temporalDB + "-wal", temporalDB + "-shm", anvilStateFile,
		chainFile, chainFile + ".tmp", envFile, envFile + ".tmp", logsDir} {
		if err := os.RemoveAll(filepath.Join(opts.Dir, f)); err != nil {
			return fmt.Errorf("reset: %w", err)
		}
	}
	return nil
}
