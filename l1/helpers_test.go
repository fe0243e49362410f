package l1_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/anviltest"
	"github.com/cartesi/sequencer/internal/devchain"
	"github.com/cartesi/sequencer/l1"
)

// env is a fresh anvil with the contracts deployed.
type env struct {
	anvil *anviltest.Anvil
	rc    *rpc.Client
	eth   *ethclient.Client
	addrs devchain.Addresses
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func setup(t *testing.T, opts anviltest.Options) env {
	t.Helper()
	a := anviltest.Start(t, opts)
	rc := a.Dial(t)
	eth := ethclient.NewClient(rc)
	addrs, err := devchain.Deploy(testContext(t), eth, anviltest.Key(0))
	require.NoError(t, err)
	return env{anvil: a, rc: rc, eth: eth, addrs: addrs}
}

func (e env) reader(t *testing.T, rc *rpc.Client, cfg l1.ReaderConfig) *l1.Reader {
	t.Helper()
	if cfg.ChainID == 0 {
		cfg.ChainID = anviltest.ChainID
	}
	r, err := l1.NewReader(rc, cfg)
	require.NoError(t, err)
	return r
}

func (e env) poster(t *testing.T, key *ecdsa.PrivateKey) *l1.Poster {
	t.Helper()
	p, err := l1.NewPoster(e.rc, l1.PosterConfig{
		ChainID: anviltest.ChainID, InputBox: e.addrs.InputBox, App: e.addrs.App, Key: key,
	})
	require.NoError(t, err)
	return p
}

// addInput sends addInput(app, payload) from p at its pending nonce and
// returns the transaction (mined at once under automine).
func addInput(t *testing.T, p *l1.Poster, payload []byte) *types.Transaction {
	t.Helper()
	ctx := testContext(t)
	_, pending, _, err := p.Nonces(ctx)
	require.NoError(t, err)
	fees, err := p.SuggestFees(ctx)
	require.NoError(t, err)
	tx, err := p.BuildAddInput(ctx, payload, pending, fees)
	require.NoError(t, err)
	require.NoError(t, p.Send(ctx, tx))
	mustReceipt(t, p, tx.Hash())
	return tx
}

// mustReceipt waits a little for a successful receipt (anvil mines
// asynchronously after accepting a transaction, even under automine).
func mustReceipt(t *testing.T, p *l1.Poster, hash common.Hash) *types.Receipt {
	t.Helper()
	var rcpt *types.Receipt
	require.Eventually(t, func() bool {
		var err error
		rcpt, _, err = p.Receipt(testContext(t), hash)
		require.NoError(t, err)
		return rcpt != nil
	}, 10*time.Second, 10*time.Millisecond, "no receipt for %s", hash)
	require.Equal(t, types.ReceiptStatusSuccessful, rcpt.Status)
	return rcpt
}

// logsProxy is a JSON-RPC HTTP proxy in front of anvil that records every
// eth_getLogs range, refuses those its refuse function selects with a
// JSON-RPC error code, and may rewrite the logs of the answers it forwards.
type logsProxy struct {
	target string
	code   int
	refuse func(from, to uint64) bool
	mutate func(logs []json.RawMessage) []json.RawMessage

	mu       sync.Mutex
	requests [][2]uint64
}

func newLogsProxy(t *testing.T, target string) (*logsProxy, *rpc.Client) {
	p := &logsProxy{target: target, code: -32005}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	rc, err := rpc.Dial(srv.URL)
	require.NoError(t, err)
	t.Cleanup(rc.Close)
	return p, rc
}

func (p *logsProxy) ranges() [][2]uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][2]uint64(nil), p.requests...)
}

func (p *logsProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params []struct {
			FromBlock string `json:"fromBlock"`
			ToBlock   string `json:"toBlock"`
		} `json:"params"`
	}
	isLogs := json.Unmarshal(body, &req) == nil && req.Method == "eth_getLogs" && len(req.Params) == 1
	if isLogs {
		from, err1 := hexutil.DecodeUint64(req.Params[0].FromBlock)
		to, err2 := hexutil.DecodeUint64(req.Params[0].ToBlock)
		if err1 != nil || err2 != nil {
			http.Error(w, "bad range", http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		p.requests = append(p.requests, [2]uint64{from, to})
		p.mu.Unlock()
		if p.refuse != nil && p.refuse(from, to) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":` + string(req.ID) + `,"error":{"code":` +
				strconv.Itoa(p.code) + `,"message":"query exceeds max block range"}}`))
			return
		}
	}
	resp, err := http.Post(p.target, "application/json", bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if isLogs && p.mutate != nil {
		var msg map[string]json.RawMessage
		var logs []json.RawMessage
		if json.Unmarshal(out, &msg) == nil && json.Unmarshal(msg["result"], &logs) == nil {
			msg["result"], _ = json.Marshal(p.mutate(logs))
			out, _ = json.Marshal(msg)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(out)
}
