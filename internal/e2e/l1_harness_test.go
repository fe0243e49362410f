package e2e

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/cartesi/sequencer/internal/anviltest"
	"github.com/cartesi/sequencer/internal/devchain"
	"github.com/cartesi/sequencer/internal/pgtest"
	"github.com/cartesi/sequencer/migrations"
	"github.com/cartesi/sequencer/workflows"
)

// chainWorld is a real anvil with the contracts deployed and funded users,
// a migrated database and a Temporal dev server: everything `serve` and
// `worker` need.
type chainWorld struct {
	t         *testing.T
	anvil     *anviltest.Anvil
	eth       *ethclient.Client
	addrs     devchain.Addresses
	users     []*ecdsa.PrivateKey
	submitter *ecdsa.PrivateKey
	dbURL     string
	temporal  *temporalServer
	stopMine  context.CancelFunc
}

const depositAmount = 1_000_000_000_000_000_000 // 1 token (18 decimals) per user

func newChainWorld(t *testing.T, users int) *chainWorld {
	t.Helper()
	ctx := context.Background()
	// Safe trails latest by 2 blocks (not 32), and a block is mined every
	// 200 ms besides those transactions mine: batches become safe fast.
	a := anviltest.Start(t, anviltest.Options{Args: []string{"--slots-in-an-epoch", "2"}})
	w := &chainWorld{t: t, anvil: a, eth: a.EthClient(t), submitter: anviltest.Key(1)}
	addrs, err := devchain.Deploy(ctx, w.eth, anviltest.Key(0))
	require.NoError(t, err)
	w.addrs = addrs
	amount := big.NewInt(depositAmount)
	var recipients []ecdsaAddr
	for i := 0; i < users; i++ {
		k := anviltest.Key(2 + i)
		w.users = append(w.users, k)
		recipients = append(recipients, ecdsaAddr{k})
	}
	require.NoError(t, devchain.FundTokens(ctx, w.eth, anviltest.Key(0), addrs, amount, addressesOf(recipients)...))
	for _, k := range w.users {
		_, err := devchain.Deposit(ctx, w.eth, k, addrs, amount)
		require.NoError(t, err)
	}
	mctx, cancel := context.WithCancel(ctx)
	w.stopMine = cancel
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-mctx.Done():
				return
			case <-tick.C:
				_ = a.Mine(mctx, 1)
			}
		}
	}()
	t.Cleanup(cancel)
	w.dbURL = pgtest.NewDatabase(t, pgtest.WithTemplate("migrated", migrations.ApplyURL))
	w.temporal = startTemporal(t, "")
	return w
}

type ecdsaAddr struct{ k *ecdsa.PrivateKey }

func addressesOf(ks []ecdsaAddr) []common.Address {
	out := make([]common.Address, len(ks))
	for i, k := range ks {
		out[i] = crypto.PubkeyToAddress(k.k.PublicKey)
	}
	return out
}

// names are the world's Temporal names (the worker derives them from the
// chain id and the application).
func (w *chainWorld) names() workflows.Names {
	return workflows.NamesFor(workflows.Identity{ChainID: anviltest.ChainID, App: w.addrs.App})
}

// env is the SEQ_* environment of both processes.
func (w *chainWorld) env(extra ...string) []string {
	return append([]string{
		"SEQ_ETH_RPC_URL=" + w.anvil.URL,
		"SEQ_INPUT_BOX_ADDRESS=" + w.addrs.InputBox.Hex(),
		"SEQ_WALLET_PORTAL_ADDRESS=" + w.addrs.ERC20Portal.Hex(),
		"SEQ_WALLET_TOKEN_ADDRESS=" + w.addrs.Token.Hex(),
		"SEQ_APP_ADDRESS=" + w.addrs.App.Hex(),
		"SEQ_BATCH_SUBMITTER_ADDRESS=" + crypto.PubkeyToAddress(w.submitter.PublicKey).Hex(),
		"SEQ_TEMPORAL_ADDRESS=" + w.temporal.addr,
		"SEQ_SECONDS_PER_BLOCK=1",
		"SEQ_BATCH_SUBMITTER_IDLE_POLL_INTERVAL_MS=200",
		"SEQ_BATCH_SUBMITTER_CONFIRMATION_DEPTH=1",
		"SEQ_MAX_BATCH_OPEN_SECONDS=2",
	}, extra...)
}

// temporalServer is a Temporal CLI dev server child process.
type temporalServer struct {
	t      *testing.T
	addr   string
	dbFile string
	// extraArgs are appended to `temporal server start-dev` (e.g. dynamic
	// configuration), at every (re)start.
	extraArgs []string
	cmd       *exec.Cmd
	logs      *syncBuffer
	exited    chan struct{}
}

func temporalBinary(t *testing.T) string {
	t.Helper()
	root, err := anviltest.ModuleRoot()
	require.NoError(t, err)
	bin := filepath.Join(root, "bin", "temporal")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("Temporal CLI not found at %s: run `make deps` (go install github.com/temporalio/cli/cmd/temporal@v1.5.1)", bin)
	}
	return bin
}

// startTemporal starts a dev server; addr "" picks a free port, and the
// database file lives in a temp dir so a restart resumes the same history.
func startTemporal(t *testing.T, addr string) *temporalServer {
	t.Helper()
	s := &temporalServer{t: t, addr: addr}
	if s.addr == "" {
		s.addr = freePort(t)
		s.dbFile = filepath.Join(t.TempDir(), "temporal.db")
	}
	s.start()
	return s
}

func (s *temporalServer) start() {
	t := s.t
	t.Helper()
	host, port, err := net.SplitHostPort(s.addr)
	require.NoError(t, err)
	uiPort := freePort(t)
	_, ui, _ := net.SplitHostPort(uiPort)
	s.logs, s.exited = &syncBuffer{}, make(chan struct{})
	args := append([]string{"server", "start-dev", "--headless", "--ip", host, "--port", port,
		"--ui-port", ui, "--db-filename", s.dbFile, "--log-level", "error",
		"--search-attribute", "SeqBatchNonce=Int", "--search-attribute", "SeqWalletNonce=Int",
		"--search-attribute", "SeqTxHash=Keyword", "--search-attribute", "SeqState=Keyword"}, s.extraArgs...)
	s.cmd = exec.Command(temporalBinary(t), args...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	require.NoError(t, s.cmd.Start())
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(s.cmd, s.exited)
	t.Cleanup(s.kill)
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c, err := client.DialContext(ctx, client.Options{HostPort: s.addr})
		if err != nil {
			return false
		}
		defer c.Close()
		_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err == nil
	}, 60*time.Second, 200*time.Millisecond, "temporal dev server did not start:\n%s", s.logs.String())
}

func (s *temporalServer) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
}

func (s *temporalServer) client(t *testing.T) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: s.addr})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// startWorker runs `sequencer worker` for w; extra environment entries
// come last and win.
func (w *chainWorld) startWorker(extra ...string) *proc {
	t := w.t
	t.Helper()
	key := fmt.Sprintf("%x", crypto.FromECDSA(w.submitter))
	p := &proc{t: t, logs: &syncBuffer{}, exited: make(chan struct{}), internal: freePort(t)}
	p.cmd = exec.Command(binary, "worker")
	p.cmd.Env = append(os.Environ(), w.env(
		"SEQ_CHAIN_ID="+strconv.FormatUint(anviltest.ChainID, 10),
		"SEQ_DATABASE_URL="+w.dbURL,
		"SEQ_BATCH_SUBMITTER_PRIVATE_KEY="+key,
		"SEQ_WORKER_METRICS_ADDR="+p.internal,
	)...)
	p.cmd.Env = append(p.cmd.Env, extra...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	require.NoError(t, p.cmd.Start())
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("worker logs:\n%s", p.logs.String())
		}
	})
	return p
}

// serveOption adds environment to a serve process.
type serveOption []string

func withEnv(kv ...string) serveOption { return kv }

// startServe runs `sequencer serve` for w.
func (w *chainWorld) startServe(opts ...serveOption) *proc {
	w.t.Helper()
	var extra []string
	for _, o := range opts {
		extra = append(extra, o...)
	}
	return startServe(w.t, w.dbURL, append(w.env(
		"SEQ_CHAIN_ID="+strconv.FormatUint(anviltest.ChainID, 10),
		"SEQ_ETH_RPC_URL="+w.anvil.URL,
		"SEQ_APP_ADDRESS="+w.addrs.App.Hex(),
		"SEQ_WALLET_PORTAL_ADDRESS="+w.addrs.ERC20Portal.Hex(),
		"SEQ_WALLET_TOKEN_ADDRESS="+w.addrs.Token.Hex(),
	), extra...)...)
}
