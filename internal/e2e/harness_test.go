// Package e2e runs whole sequencer processes against a real PostgreSQL:
// crash durability, the hot standby, and anything else that needs a process
// boundary.
package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/api/wire"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/internal/l1rows"
	"github.com/cartesi/sequencer/internal/modroot"
	"github.com/cartesi/sequencer/internal/pgtest"
	"github.com/cartesi/sequencer/migrations"
	"github.com/cartesi/sequencer/protocol"
)

// binary is the sequencer built once for the package's tests.
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

var (
	chainID      = uint64(31337)
	appAddr      = common.HexToAddress("0x1111111111111111111111111111111111111111")
	submitter    = common.HexToAddress("0x5e00000000000000000000000000000000000001")
	portal       = common.HexToAddress("0x00000000000000000000000000000000000000a1")
	token        = common.HexToAddress("0x00000000000000000000000000000000000000b2")
	feeRecipient = common.HexToAddress("0x00000000000000000000000000000000000000c3")
	domain       = protocol.NewDomain(chainID, appAddr)
	walletConfig = wallet.Config{Portal: portal, Token: token, FeeRecipient: feeRecipient}
	// receiptKey signs every serve's receipts (SEQ_RECEIPT_PRIVATE_KEY);
	// a test passes "SEQ_RECEIPT_PRIVATE_KEY=" to run without receipts.
	receiptKey = "0x9fd75d31616abea096c0d687380cba97af8e8492e4f86293783cf0580f079e57" // keccak256("e2e receipt key")
)

// testAppName is the application_name of the test's own database sessions.
const testAppName = "e2e-test"

// world is a migrated database with funded users and a safe head.
type world struct {
	url  string
	pool *pgxpool.Pool
	l1   *l1rows.Writer
	keys []*ecdsa.PrivateKey
}

func newWorld(t *testing.T, users int) *world {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t, pgtest.WithTemplate("migrated", migrations.ApplyURL))
	pcfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	// Named, so a test can tell its own sessions from the sequencer's.
	pcfg.ConnConfig.RuntimeParams["application_name"] = testAppName
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	l1, err := l1rows.New(ctx, pool)
	require.NoError(t, err)
	w := &world{url: url, pool: pool, l1: l1}
	var deposits []l1rows.Input
	for i := 0; i < users; i++ {
		k, err := crypto.ToECDSA(crypto.Keccak256([]byte(fmt.Sprintf("user %d", i))))
		require.NoError(t, err)
		w.keys = append(w.keys, k)
		deposits = append(deposits, l1rows.Input{Sender: portal, Block: 1,
			Payload: wallet.EncodeDeposit(token, crypto.PubkeyToAddress(k.PublicKey), uint256.NewInt(1e18), nil)})
	}
	_, err = l1.Append(ctx, deposits...)
	require.NoError(t, err)
	require.NoError(t, l1.SetSafeHead(ctx, 2, time.Now(), time.Now()))
	require.NoError(t, l1.SetBatchSubmitter(ctx, submitter))
	return w
}

func (w *world) addr(i int) common.Address { return crypto.PubkeyToAddress(w.keys[i].PublicKey) }

// txBody signs a transfer of 1 unit from user to user+1.
func (w *world) txBody(t *testing.T, user int, nonce uint32) []byte {
	t.Helper()
	data := (&wallet.Transfer{Amount: uint256.NewInt(1), To: w.addr((user + 1) % len(w.keys))}).Encode()
	return signBody(t, domain, w.keys[user], protocol.UserOp{Nonce: nonce, MaxFee: 2000, Data: data})
}

// signBody is the POST /tx body of op signed by key in domain d.
func signBody(t *testing.T, d protocol.Domain, key *ecdsa.PrivateKey, op protocol.UserOp) []byte {
	t.Helper()
	req, err := wire.SignTx(d, key, op)
	require.NoError(t, err)
	body, err := json.Marshal(req)
	require.NoError(t, err)
	return body
}

// proc is a running `sequencer serve`.
type proc struct {
	t        *testing.T
	cmd      *exec.Cmd
	public   string
	internal string
	logs     *syncBuffer
	exited   chan struct{}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

func startServe(t *testing.T, dbURL string, extraEnv ...string) *proc {
	t.Helper()
	p := &proc{t: t, public: freePort(t), internal: freePort(t), logs: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(binary, "serve")
	p.cmd.Env = append(os.Environ(),
		"SEQ_ETH_RPC_URL=http://127.0.0.1:1",
		fmt.Sprintf("SEQ_CHAIN_ID=%d", chainID),
		"SEQ_APP_ADDRESS="+appAddr.Hex(),
		"SEQ_DATABASE_URL="+dbURL,
		"SEQ_HTTP_ADDR="+p.public,
		"SEQ_INTERNAL_HTTP_ADDR="+p.internal,
		"SEQ_WALLET_PORTAL_ADDRESS="+portal.Hex(),
		"SEQ_WALLET_TOKEN_ADDRESS="+token.Hex(),
		"SEQ_WALLET_FEE_RECIPIENT="+feeRecipient.Hex(),
		"SEQ_RECEIPT_PRIVATE_KEY="+receiptKey,
	)
	p.cmd.Env = append(p.cmd.Env, extraEnv...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	require.NoError(t, p.cmd.Start())
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("serve %s logs:\n%s", p.public, p.logs.String())
		}
	})
	return p
}

// kill sends SIGKILL: no shutdown code runs.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop() int {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(os.Interrupt))
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.t.Fatal("serve did not stop")
	}
	return p.cmd.ProcessState.ExitCode()
}

func (p *proc) get(path string) (int, []byte) {
	resp, err := http.Get("http://" + p.public + path)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (p *proc) getInternal(path string) (int, http.Header, []byte) {
	resp, err := http.Get("http://" + p.internal + path)
	if err != nil {
		return 0, nil, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func (p *proc) waitReady() {
	p.t.Helper()
	require.Eventually(p.t, func() bool {
		code, _ := p.get("/readyz")
		return code == http.StatusOK
	}, 30*time.Second, 20*time.Millisecond, "serve never became ready; logs:\n%s", p.logs.String())
}

func (p *proc) healthStatus() string {
	_, body := p.get("/healthz")
	var h struct {
		Status string `json:"status"`
	}
	_ = json.Unmarshal(body, &h)
	return h.Status
}

// txResult is one POST /tx answer.
type txResult struct {
	status int
	Offset uint64 `json:"offset"`
	Nonce  uint32 `json:"nonce"`
	Sender string `json:"sender"`
	Code   string `json:"code"`
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func (p *proc) postTx(body []byte) (txResult, error) {
	resp, err := httpClient.Post("http://"+p.public+"/tx", "application/json", bytes.NewReader(body))
	if err != nil {
		return txResult{}, err
	}
	defer resp.Body.Close()
	var r txResult
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return txResult{}, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return txResult{}, fmt.Errorf("decode %q: %w", strings.TrimSpace(string(b)), err)
	}
	r.status = resp.StatusCode
	return r, nil
}
