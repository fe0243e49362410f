// Package anviltest runs a real anvil (Foundry's development L1 node) for a
// test and gives the control that fault tests need: mining on demand,
// switching automine, dropping and re-injecting transactions, snapshots.
//
//	a := anviltest.Start(t, anviltest.Options{})
//	client := a.EthClient(t)
//	require.NoError(t, a.Mine(ctx, 40)) // safe = latest − 32
//
// The binary is <module root>/node_modules/.bin/anvil, installed by
// `npm ci --ignore-scripts` at the module root (`make test` does it first).
// Each anvil listens on a free 127.0.0.1 port (anvil binds port 0 and reports
// the port it got), runs with chain id 31337 and the default mnemonic's ten
// prefunded accounts (DevKeys), and is killed in t.Cleanup.
//
// anvil's "safe" and "finalized" block tags trail "latest" by 32 and 64
// blocks (SafeDistance, FinalizedDistance).
package anviltest

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cartesi/sequencer/internal/devchain"
	"github.com/cartesi/sequencer/internal/modroot"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// ChainID is the chain id every anvil started here uses.
const ChainID uint64 = 31337

// How far anvil's "safe" and "finalized" tags trail "latest".
const (
	SafeDistance      = 32
	FinalizedDistance = 64
)

// DevKeys are the private keys of anvil's ten prefunded accounts
// (devchain.DevKeys).
var DevKeys = devchain.DevKeys

// Key returns DevKeys[i] parsed. It panics on a bad index.
func Key(i int) *ecdsa.PrivateKey {
	k, err := crypto.HexToECDSA(DevKeys[i])
	if err != nil {
		panic(err) // constants
	}
	return k
}

// Address returns the address of DevKeys[i].
func Address(i int) common.Address { return crypto.PubkeyToAddress(Key(i).PublicKey) }

// Options configure Start.
type Options struct {
	// BlockTime mines a block every BlockTime (whole seconds, rounded up);
	// 0 means automine (a block per transaction) plus Mine on demand.
	BlockTime time.Duration
	// NoMining disables automine and interval mining from the start;
	// blocks come only from Mine.
	NoMining bool
	// Port is the TCP port to listen on; 0 picks a free one.
	Port int
	// Args are extra anvil command-line arguments (e.g. "--state", file
	// for a chain that survives restarts: see Stop).
	Args []string
}

// Anvil is a running anvil process.
type Anvil struct {
	// URL is the HTTP JSON-RPC endpoint, http://127.0.0.1:<Port>.
	URL string
	// Port is the TCP port anvil listens on.
	Port int
	// ChainID is the node's chain id (always ChainID).
	ChainID uint64

	cmd      *exec.Cmd
	rpc      *rpc.Client
	output   *tail
	waitDone chan struct{}
	killOnce sync.Once
}

// startTimeout bounds how long anvil may take to report its port.
const startTimeout = 30 * time.Second

var listeningRE = regexp.MustCompile(`Listening on ([0-9.]+):([0-9]+)`)

// Binary returns the path of the anvil binary installed by npm at the module
// root, or an error telling how to install it.
func Binary() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(root, "node_modules", ".bin", "anvil")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("anvil not found at %s: run `npm ci --ignore-scripts` in %s (make test does): %w", bin, root, err)
	}
	return bin, nil
}

// ModuleRoot is the directory holding go.mod (see modroot.Find).
func ModuleRoot() (string, error) { return modroot.Find() }

// Start runs anvil for the test and kills it in t.Cleanup. It fails the test
// (t.Fatal) if the binary is missing or anvil does not come up. On test
// failure the tail of anvil's output is logged.
func Start(t testing.TB, opts Options) *Anvil {
	t.Helper()
	a, err := StartProcess(opts)
	if err != nil {
		t.Fatalf("anviltest: %v", err)
	}
	t.Cleanup(func() {
		a.Kill()
		if t.Failed() {
			t.Logf("anvil output (tail):\n%s", a.output.String())
		}
	})
	return a
}

// StartProcess runs anvil outside a test, e.g. for the dev stack; the
// caller must Stop or Kill it.
func StartProcess(opts Options) (*Anvil, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	args := []string{"--host", "127.0.0.1", "--port", strconv.Itoa(opts.Port), "--chain-id", strconv.FormatUint(ChainID, 10)}
	switch {
	case opts.NoMining:
		args = append(args, "--no-mining")
	case opts.BlockTime > 0:
		secs := int64((opts.BlockTime + time.Second - 1) / time.Second)
		args = append(args, "--block-time", strconv.FormatInt(secs, 10))
	}
	args = append(args, opts.Args...)

	cmd := exec.Command(bin, args...)
	// Die with the test binary even if it is killed without cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	a := &Anvil{ChainID: ChainID, cmd: cmd, output: &tail{max: 16 << 10}, waitDone: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		_ = pw.Close()
		close(a.waitDone)
	}()

	portc := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			a.output.write(line)
			if !sent {
				if m := listeningRE.FindStringSubmatch(line); m != nil {
					p, _ := strconv.Atoi(m[2])
					portc <- p
					sent = true
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()

	select {
	case a.Port = <-portc:
	case <-a.waitDone:
		return nil, fmt.Errorf("anvil exited before listening: %s", a.output.String())
	case <-time.After(startTimeout):
		a.Kill()
		return nil, fmt.Errorf("anvil did not report its port within %v: %s", startTimeout, a.output.String())
	}
	a.URL = fmt.Sprintf("http://127.0.0.1:%d", a.Port)
	rc, err := rpc.Dial(a.URL)
	if err != nil {
		a.Kill()
		return nil, fmt.Errorf("dial anvil: %w", err)
	}
	a.rpc = rc
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		var id hexutil.Uint64
		if err = rc.CallContext(ctx, &id, "eth_chainId"); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			a.Kill()
			return nil, fmt.Errorf("anvil not answering: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return a, nil
}

// Kill stops anvil and waits for it to exit. Idempotent.
func (a *Anvil) Kill() {
	a.killOnce.Do(func() {
		if a.rpc != nil {
			a.rpc.Close()
		}
		_ = a.cmd.Process.Kill()
		<-a.waitDone
	})
}

// Stop asks anvil to exit (SIGTERM, letting it write a --state file) and
// kills it if it is still running after timeout.
func (a *Anvil) Stop(timeout time.Duration) {
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.waitDone:
	case <-time.After(timeout):
	}
	a.Kill()
}

// RPC returns the harness's own JSON-RPC client (closed by Kill).
func (a *Anvil) RPC() *rpc.Client { return a.rpc }

// Dial returns a new JSON-RPC client to anvil, closed in t.Cleanup.
func (a *Anvil) Dial(t testing.TB) *rpc.Client {
	t.Helper()
	rc, err := rpc.Dial(a.URL)
	if err != nil {
		t.Fatalf("anviltest: dial %s: %v", a.URL, err)
	}
	t.Cleanup(rc.Close)
	return rc
}

// EthClient returns a new ethclient to anvil, closed in t.Cleanup.
func (a *Anvil) EthClient(t testing.TB) *ethclient.Client {
	t.Helper()
	return ethclient.NewClient(a.Dial(t))
}

// Mine mines n blocks at once (anvil_mine), whatever the mining mode.
func (a *Anvil) Mine(ctx context.Context, n uint64) error {
	if err := a.rpc.CallContext(ctx, nil, "anvil_mine", hexutil.Uint64(n)); err != nil {
		return fmt.Errorf("anvil_mine %d: %w", n, err)
	}
	return nil
}

// SetAutomine turns automine on or off (evm_setAutomine). With it off and no
// block time, transactions wait in the mempool until Mine.
func (a *Anvil) SetAutomine(ctx context.Context, on bool) error {
	if err := a.rpc.CallContext(ctx, nil, "evm_setAutomine", on); err != nil {
		return fmt.Errorf("evm_setAutomine %v: %w", on, err)
	}
	return nil
}

// BlockNumber returns the latest block number.
func (a *Anvil) BlockNumber(ctx context.Context) (uint64, error) {
	var n hexutil.Uint64
	if err := a.rpc.CallContext(ctx, &n, "eth_blockNumber"); err != nil {
		return 0, fmt.Errorf("eth_blockNumber: %w", err)
	}
	return uint64(n), nil
}

// DropTransaction removes a pending transaction from the mempool
// (anvil_dropTransaction).
func (a *Anvil) DropTransaction(ctx context.Context, hash common.Hash) error {
	if err := a.rpc.CallContext(ctx, nil, "anvil_dropTransaction", hash); err != nil {
		return fmt.Errorf("anvil_dropTransaction %s: %w", hash, err)
	}
	return nil
}

// RawTransaction returns the signed RLP/typed encoding of a pending or mined
// transaction (eth_getRawTransactionByHash), for re-injecting it later. It
// returns an error when the node does not know the hash.
func (a *Anvil) RawTransaction(ctx context.Context, hash common.Hash) ([]byte, error) {
	var raw hexutil.Bytes
	if err := a.rpc.CallContext(ctx, &raw, "eth_getRawTransactionByHash", hash); err != nil {
		return nil, fmt.Errorf("eth_getRawTransactionByHash %s: %w", hash, err)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("eth_getRawTransactionByHash %s: unknown transaction", hash)
	}
	return raw, nil
}

// PendingTransactionHashes returns the hashes of the transactions in the
// mempool (txpool_content, pending and queued), optionally only those from
// one sender (nil: all).
func (a *Anvil) PendingTransactionHashes(ctx context.Context, from *common.Address) ([]common.Hash, error) {
	type poolTx struct {
		Hash common.Hash `json:"hash"`
	}
	var content map[string]map[string]map[string]poolTx
	if err := a.rpc.CallContext(ctx, &content, "txpool_content"); err != nil {
		return nil, fmt.Errorf("txpool_content: %w", err)
	}
	var out []common.Hash
	for _, bySender := range content {
		for sender, byNonce := range bySender {
			if from != nil && !strings.EqualFold(sender, from.Hex()) {
				continue
			}
			for _, tx := range byNonce {
				out = append(out, tx.Hash)
			}
		}
	}
	return out, nil
}

// PendingRawTransactions captures the raw encoding of every mempool
// transaction (optionally from one sender), for re-injection as zombies.
func (a *Anvil) PendingRawTransactions(ctx context.Context, from *common.Address) ([][]byte, error) {
	hashes, err := a.PendingTransactionHashes(ctx, from)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(hashes))
	for _, h := range hashes {
		raw, err := a.RawTransaction(ctx, h)
		if err != nil {
			return nil, err
		}
		out = append(out, raw)
	}
	return out, nil
}

// SendRawTransaction (re-)injects a signed transaction
// (eth_sendRawTransaction) and returns its hash.
func (a *Anvil) SendRawTransaction(ctx context.Context, raw []byte) (common.Hash, error) {
	var h common.Hash
	if err := a.rpc.CallContext(ctx, &h, "eth_sendRawTransaction", hexutil.Bytes(raw)); err != nil {
		return common.Hash{}, fmt.Errorf("eth_sendRawTransaction: %w", err)
	}
	return h, nil
}

// Snapshot records the chain state (evm_snapshot) and returns its id.
func (a *Anvil) Snapshot(ctx context.Context) (string, error) {
	var id string
	if err := a.rpc.CallContext(ctx, &id, "evm_snapshot"); err != nil {
		return "", fmt.Errorf("evm_snapshot: %w", err)
	}
	return id, nil
}

// Revert restores a snapshot (evm_revert); anvil forgets it afterwards.
func (a *Anvil) Revert(ctx context.Context, id string) error {
	var ok bool
	if err := a.rpc.CallContext(ctx, &ok, "evm_revert", id); err != nil {
		return fmt.Errorf("evm_revert %s: %w", id, err)
	}
	if !ok {
		return fmt.Errorf("evm_revert %s: unknown snapshot", id)
	}
	return nil
}

// tail keeps the last max bytes of anvil's output.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) write(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, line...)
	t.buf = append(t.buf, '\n')
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
