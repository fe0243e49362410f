package devstack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	fws "github.com/fasthttp/websocket"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/api/wire"
	"github.com/cartesi/sequencer/internal/devstack"
	"github.com/cartesi/sequencer/internal/modroot"
	"github.com/cartesi/sequencer/internal/testhelp"
	"github.com/cartesi/sequencer/protocol"
)

// TestDevStackSmoke runs the whole dev stack (PostgreSQL, Temporal, anvil,
// serve, worker) in a temporary directory on free ports: a funded account's
// signed transfer is accepted and shows up in the feed; the stack stops
// cleanly and a second start resumes the same chain and database.
func TestDevStackSmoke(t *testing.T) {
	root, err := devstack.ModuleRoot()
	require.NoError(t, err)
	binary := buildSequencer(t)
	dir := traversableTempDir(t)

	logs := &syncBuffer{}
	start := func() *devstack.Stack {
		t.Helper()
		ports := freePorts(t, 7)
		opts := devstack.Options{
			Root:             root,
			Dir:              dir,
			Binary:           binary,
			PostgresPort:     ports[0],
			TemporalPort:     ports[1],
			TemporalUIPort:   ports[2],
			AnvilPort:        ports[3],
			HTTPAddr:         fmt.Sprintf("127.0.0.1:%d", ports[4]),
			InternalHTTPAddr: fmt.Sprintf("127.0.0.1:%d", ports[5]),
			WorkerMetrics:    fmt.Sprintf("127.0.0.1:%d", ports[6]),
			Out:              logs,
			ReadyTimeout:     2 * time.Minute,
			ExtraEnv:         []string{"SEQ_MAX_BATCH_OPEN_SECONDS=9"}, // DEV_ENV, on both starts
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		s, err := devstack.Start(ctx, opts)
		require.NoError(t, err, "start the dev stack; output:\n%s", logs.String())
		t.Cleanup(func() { _ = s.Stop(context.Background()) })
		return s
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dev stack output:\n%s", logs.String())
		}
	})

	s := start()
	info := s.Info()
	require.False(t, info.Resumed)
	require.Len(t, info.Chain.Funded, devstack.FundedAccounts)
	for _, f := range []string{"chain.json", "env", "temporal.db", "logs/serve.log", "logs/worker.log"} {
		require.FileExists(t, filepath.Join(dir, f))
	}
	env, err := os.ReadFile(filepath.Join(dir, "env"))
	require.NoError(t, err)
	require.Contains(t, string(env), "export SEQ_APP_ADDRESS='"+info.Chain.App.Hex()+"'")

	feed, _, err := (&fws.Dialer{HandshakeTimeout: 10 * time.Second}).Dial(info.FeedURL+"?from_offset=0", nil)
	require.NoError(t, err)
	defer feed.Close()

	sender := info.Chain.Funded[0]
	offset := postTransfer(t, info, sender.Key, 0)
	entry := readFeedUntil(t, feed, func(e wire.FeedEntry) bool { return e.Kind == "user_op" && e.Offset == offset })
	require.Equal(t, sender.Address.Hex(), entry.Sender)
	require.Equal(t, uint32(0), entry.Nonce)
	require.Equal(t, devstack.ExampleTransfer(), []byte(entry.Data))
	require.NoError(t, feed.Close())

	resp, err := http.Get(info.WorkerMetrics)
	require.NoError(t, err)
	metrics, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(metrics), "sequencer_l1_safe_block")

	// make dev signs receipts with the dev receipt key (docs/receipts.md).
	resp, err = http.Get(info.HTTPURL + "/receipt_key")
	require.NoError(t, err)
	receiptKey, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.JSONEq(t, `{"address":"`+devstack.DevAddress(devstack.ReceiptAccount).Hex()+`"}`, string(receiptKey))

	var banner bytes.Buffer
	s.PrintBanner(&banner)
	require.Contains(t, banner.String(), "--nonce 1 ")
	require.Contains(t, banner.String(), "overrides    SEQ_MAX_BATCH_OPEN_SECONDS=9 ")
	env, err = os.ReadFile(filepath.Join(dir, "env"))
	require.NoError(t, err)
	require.Contains(t, string(env), "export DEV_STACK_OVERRIDES='SEQ_MAX_BATCH_OPEN_SECONDS=9'")

	require.NoError(t, s.Stop(context.Background()), "stop cleanly")
	require.FileExists(t, filepath.Join(dir, "anvil-state.json"), "anvil dumps its state on exit")

	// Again: the same chain and database, the op still there.
	s = start()
	info2 := s.Info()
	require.True(t, info2.Resumed)
	require.Equal(t, info.Chain.App, info2.Chain.App)
	var nonce struct {
		NextNonce uint32 `json:"next_nonce"`
	}
	getJSON(t, info2.HTTPURL+"/nonce?sender="+sender.Address.Hex(), &nonce)
	require.Equal(t, uint32(1), nonce.NextNonce, "the resumed lane remembers the op")
	postTransfer(t, info2, sender.Key, 1)
	require.NoError(t, s.Stop(context.Background()))
}

// postTransfer signs ExampleTransfer with key at nonce and posts it,
// retrying while the deposit is not yet visible to the lane; it returns the
// op's feed offset.
func postTransfer(t *testing.T, info devstack.Info, keyHex string, nonce uint32) uint64 {
	t.Helper()
	key, err := crypto.HexToECDSA(strings.TrimPrefix(keyHex, "0x"))
	require.NoError(t, err)
	var fee struct {
		SuggestedMaxFee uint16 `json:"suggested_max_fee"`
	}
	getJSON(t, info.HTTPURL+"/fee", &fee)
	req, err := wire.SignTx(protocol.NewDomain(info.Chain.ChainID, info.Chain.App), key,
		protocol.UserOp{Nonce: nonce, MaxFee: fee.SuggestedMaxFee, Data: devstack.ExampleTransfer()})
	require.NoError(t, err)
	body, err := json.Marshal(req)
	require.NoError(t, err)
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Post(info.HTTPURL+"/tx", "application/json", bytes.NewReader(body))
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			var ok struct {
				OK     bool   `json:"ok"`
				Offset uint64 `json:"offset"`
				Nonce  uint32 `json:"nonce"`
			}
			require.NoError(t, json.Unmarshal(b, &ok))
			require.True(t, ok.OK)
			require.Equal(t, nonce, ok.Nonce)
			return ok.Offset
		}
		if time.Now().After(deadline) || resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("POST /tx: %d %s", resp.StatusCode, b)
		}
		time.Sleep(500 * time.Millisecond) // 422: the deposit has not reached the lane yet
	}
}

func readFeedUntil(t *testing.T, c *fws.Conn, match func(wire.FeedEntry) bool) wire.FeedEntry {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(30*time.Second)))
	for {
		_, msg, err := c.ReadMessage()
		require.NoError(t, err, "read the feed")
		var e wire.FeedEntry
		require.NoError(t, json.Unmarshal(msg, &e), "feed entry %s", msg)
		if match(e) {
			return e
		}
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s: %s", url, b)
	require.NoError(t, json.Unmarshal(b, v))
}

// buildSequencer builds the binary the stack runs as serve and worker.
func buildSequencer(t *testing.T) string {
	t.Helper()
	path, cleanup, err := modroot.BuildSequencer()
	require.NoError(t, err)
	t.Cleanup(cleanup)
	return path
}

func traversableTempDir(t *testing.T) string { return testhelp.TraversableTempDir(t, "devstack") }

func freePorts(t *testing.T, n int) []int { return testhelp.FreePorts(t, n) }

type syncBuffer = testhelp.SyncBuffer
