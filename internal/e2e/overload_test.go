package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/internal/anviltest"
	"github.com/cartesi/sequencer/protocol"
)

// admissionView is the part of GET /healthz the overload test reads.
type admissionView struct {
	Admission struct {
		State      string  `json:"state"`
		BacklogOps int64   `json:"backlog_ops"`
		QueueDelay float64 `json:"queue_delay_blocks"`
		FeeStep    int     `json:"fee_step"`
	} `json:"admission"`
}

func (p *proc) admission(t *testing.T) admissionView {
	t.Helper()
	_, body := p.get("/healthz")
	var v admissionView
	_ = json.Unmarshal(body, &v)
	return v
}

func (p *proc) frameFee(t *testing.T) uint16 {
	t.Helper()
	code, body := p.get("/fee")
	if code != http.StatusOK {
		return 0
	}
	var f struct {
		Fee uint16 `json:"fee"`
	}
	require.NoError(t, json.Unmarshal(body, &f))
	return f.Fee
}

// overloadCounts tallies the answers the load got.
type overloadCounts struct {
	ok, backlog, overloaded, unavailable, rejected, other atomic.Int64
	// firstBacklog is when the first 429 L1_BACKLOG came back (unix nanos).
	firstBacklog atomic.Int64
	retryAfterOK atomic.Bool
}

// TestOverloadShedsAndNeverRecovers offers about twice what a deliberately
// narrow posting pipeline (one transaction in flight, 8 KiB batches, a
// block a second) can carry, on a danger line of 100 blocks with the
// admission lines at 20 and 70 blocks of queue delay. Admission must
// raise the frame fee first, then answer 429 L1_BACKLOG with Retry-After,
// and the stack must never close intake for danger nor run a recovery:
// every acknowledged op lands on L1, in the order of the feed.
func TestOverloadShedsAndNeverRecovers(t *testing.T) {
	w := newChainWorld(t, 8)
	ctx := context.Background()
	w.stopMine()
	require.NoError(t, w.anvil.SetAutomine(ctx, false))
	w.mineEvery(time.Second)

	narrow := []string{
		"SEQ_BATCH_SUBMITTER_MAX_IN_FLIGHT=1",
		"SEQ_MAX_BATCH_BYTES=8192",
		"SEQ_PREEMPTIVE_MARGIN_BLOCKS=1100", // danger line 100 blocks
		"SEQ_L1_READ_STALE_AFTER_BLOCKS=50",
		// The fee steps with frames the L1 clock opens (one per 5 blocks):
		// lines 50 blocks apart leave the delay several frames between them.
		"SEQ_ADMISSION_SOFT_BLOCKS=20",
		"SEQ_ADMISSION_HARD_BLOCKS=70",
	}
	w.startWorker(narrow...)
	serve := w.startServe(withEnv(narrow...))
	serve.waitReady()
	pool := w.pool(t)

	initialFee := serve.frameFee(t)
	require.NotZero(t, initialFee)

	// Sample the frame fee: the highest seen before the first 429.
	var (
		feeMu            sync.Mutex
		maxFeeBefore429  = initialFee
		counts           overloadCounts
		stopLoad         = make(chan struct{})
		loadDone         sync.WaitGroup
		domain           = protocol.NewDomain(anviltest.ChainID, w.addrs.App)
		perUserInterval  = 8 * time.Millisecond // ≈ 125 ops/s per user offered, throttled below
		offeredPerSecond = 120                  // total offered rate: about 2× the posting capacity
	)
	loadDone.Add(1)
	go func() {
		defer loadDone.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopLoad:
				return
			case <-tick.C:
			}
			if counts.firstBacklog.Load() != 0 {
				continue
			}
			if f := serve.frameFee(t); f != 0 {
				feeMu.Lock()
				maxFeeBefore429 = max(maxFeeBefore429, f)
				feeMu.Unlock()
			}
		}
	}()

	// A shared token bucket keeps the offered rate at offeredPerSecond.
	tokens := make(chan struct{}, offeredPerSecond)
	loadDone.Add(1)
	go func() {
		defer loadDone.Done()
		tick := time.NewTicker(time.Second / time.Duration(offeredPerSecond))
		defer tick.Stop()
		for {
			select {
			case <-stopLoad:
				return
			case <-tick.C:
				select {
				case tokens <- struct{}{}:
				default:
				}
			}
		}
	}()
	for u := range w.users {
		loadDone.Add(1)
		go func(u int) {
			defer loadDone.Done()
			key := w.users[u]
			to := crypto.PubkeyToAddress(w.users[(u+1)%len(w.users)].PublicKey)
			var nonce uint32
			for {
				select {
				case <-stopLoad:
					return
				case <-tokens:
				}
				data := (&wallet.Transfer{Amount: uint256.NewInt(1), To: to}).Encode()
				body := signBody(t, domain, key, protocol.UserOp{Nonce: nonce, MaxFee: 4000, Data: data})
				status, code, retryAfter, err := postTxWithHeaders(serve, body)
				if err != nil {
					counts.other.Add(1)
					continue
				}
				switch {
				case status == http.StatusOK:
					counts.ok.Add(1)
					nonce++
				case status == http.StatusTooManyRequests && code == "L1_BACKLOG":
					counts.backlog.Add(1)
					counts.firstBacklog.CompareAndSwap(0, time.Now().UnixNano())
					if s, err := strconv.Atoi(retryAfter); err == nil && s >= 1 {
						counts.retryAfterOK.Store(true)
					}
				case status == http.StatusTooManyRequests:
					counts.overloaded.Add(1)
				case status == http.StatusServiceUnavailable:
					counts.unavailable.Add(1)
				case status == http.StatusUnprocessableEntity:
					counts.rejected.Add(1)
				default:
					counts.other.Add(1)
				}
				time.Sleep(perUserInterval)
			}
		}(u)
	}

	// Load until admission has shed for a while, bounded.
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if first := counts.firstBacklog.Load(); first != 0 && time.Since(time.Unix(0, first)) > 15*time.Second {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	close(stopLoad)
	loadDone.Wait()
	t.Logf("answers: ok %d, 429 L1_BACKLOG %d, 429 OVERLOADED %d, 503 %d, 422 %d, other %d; fee %d → %d before the first 429",
		counts.ok.Load(), counts.backlog.Load(), counts.overloaded.Load(), counts.unavailable.Load(),
		counts.rejected.Load(), counts.other.Load(), initialFee, maxFeeBefore429)

	require.NotZero(t, counts.firstBacklog.Load(), "overload never answered 429 L1_BACKLOG")
	require.True(t, counts.retryAfterOK.Load(), "429 L1_BACKLOG without a Retry-After of at least 1 s")
	require.Greater(t, maxFeeBefore429, initialFee, "the frame fee must rise before the first 429")
	require.Zero(t, counts.unavailable.Load(), "intake closed (503): overload reached the danger detector")
	require.Zero(t, counts.other.Load())
	require.Positive(t, counts.ok.Load())

	// Shedding done, the pipeline drains the backlog: admission returns to
	// normal, every acknowledged op lands, nothing was ever revoked.
	require.Eventually(t, func() bool { return serve.admission(t).Admission.State == "normal" },
		3*time.Minute, time.Second, "admission did not return to normal after the load")
	waitAllAccepted(t, pool, 3*time.Minute)
	require.Equal(t, 0, count(t, pool, `SELECT count(*)::int FROM batches WHERE invalidated_at IS NOT NULL`),
		"a batch was invalidated")
	require.Equal(t, 0, count(t, pool, `SELECT recovery_generation::int FROM control`), "the recovery generation moved")
	requireNoRecoveryRan(t, w)
	require.NoError(t, w.anvil.SetAutomine(ctx, true))
	w.checkL1MatchesFeed(t, serve, pool)
}

// postTxWithHeaders posts a body and returns the status, the error code (if
// any) and the Retry-After header.
func postTxWithHeaders(p *proc, body []byte) (status int, code, retryAfter string, err error) {
	resp, err := httpClient.Post("http://"+p.public+"/tx", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", "", err
	}
	var r struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(b, &r)
	return resp.StatusCode, r.Code, resp.Header.Get("Retry-After"), nil
}
