package bench

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"

	"github.com/cartesi/sequencer/api/wire"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/protocol"
)

// stackSender is one funded account of the load mode. Only the goroutine
// that took it from the idle pool touches it: one op in flight per sender.
type stackSender struct {
	key  *ecdsa.PrivateKey
	addr common.Address
	data []byte // the transfer every op of this sender carries
	// nonce is the next nonce to sign. An answer that stores nothing (429,
	// 503, 422) leaves it; 200 advances it; an unknown outcome (transport
	// error, other status) sets resync, and GET /nonce is read first.
	nonce  uint32
	resync bool
}

// newStackSenders creates n fresh random keys; sender i transfers 1 unit
// to sender i+1.
func newStackSenders(n int) ([]*stackSender, error) {
	out := make([]*stackSender, n)
	for i := range out {
		k, err := crypto.GenerateKey()
		if err != nil {
			return nil, fmt.Errorf("generate key: %w", err)
		}
		out[i] = &stackSender{key: k, addr: crypto.PubkeyToAddress(k.PublicKey), resync: true}
	}
	for i, s := range out {
		s.data = (&wallet.Transfer{Amount: uint256.NewInt(1), To: out[(i+1)%n].addr}).Encode()
	}
	return out, nil
}

// Outcome classes of one offered op.
const (
	outAcked = iota
	outL1Backlog
	outOverloaded
	outUnavailable
	outRejected
	outOther
	outDropped // the client could not even start it: no idle sender or no free slot
	numOutcomes
)

// counts is a snapshot of the load's counters.
type counts struct {
	offered int64
	by      [numOutcomes]int64
	// badRetryAfter counts 429 L1_BACKLOG answers without a Retry-After of
	// at least one second (a contract violation).
	badRetryAfter int64
}

func (c counts) sub(o counts) counts {
	c.offered -= o.offered
	c.badRetryAfter -= o.badRetryAfter
	for i := range c.by {
		c.by[i] -= o.by[i]
	}
	return c
}

// openLoad drives POST /tx at a fixed offered rate: op k is due at
// start + k/rate whatever the answers do (open loop). Safe for concurrent
// use by its own goroutines; counters are read with snapshot.
type openLoad struct {
	baseURL     string
	domain      protocol.Domain
	rate        float64
	concurrency int
	client      *http.Client
	fees        *feeWatch

	offered       atomic.Int64
	by            [numOutcomes]atomic.Int64
	badRetryAfter atomic.Int64
	// firstL1Backlog is when the first 429 L1_BACKLOG came (ns since
	// start; 0: none yet).
	firstL1Backlog atomic.Int64
	start          time.Time

	mu     sync.Mutex
	others map[string]int // "<status> <code>" or the transport error, for the report
}

func newOpenLoad(baseURL string, domain protocol.Domain, rate float64, concurrency int, fees *feeWatch) *openLoad {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        concurrency,
		MaxIdleConnsPerHost: concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &openLoad{baseURL: baseURL, domain: domain, rate: rate, concurrency: concurrency,
		client: &http.Client{Transport: tr, Timeout: requestTimeout}, fees: fees, others: map[string]int{}}
}

func (l *openLoad) snapshot() counts {
	c := counts{offered: l.offered.Load(), badRetryAfter: l.badRetryAfter.Load()}
	for i := range c.by {
		c.by[i] = l.by[i].Load()
	}
	return c
}

func (l *openLoad) otherAnswers() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int, len(l.others))
	for k, v := range l.others {
		out[k] = v
	}
	return out
}

// run offers ops until duration has passed since start or ctx ends, then
// waits for the requests in flight. Each due op takes an idle sender and a
// free slot without waiting; when either is missing the op is counted
// client-dropped, so a slow server never slows the offered rate down.
func (l *openLoad) run(ctx context.Context, senders []*stackSender, start time.Time, duration time.Duration) {
	l.start = start
	idle := make(chan *stackSender, len(senders))
	for _, s := range senders {
		idle <- s
	}
	slots := make(chan struct{}, l.concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	var due int64
	for {
		elapsed := time.Since(start)
		if elapsed >= duration || ctx.Err() != nil {
			return
		}
		// Ops 0 … floor(elapsed·rate) are due by now.
		for now := int64(elapsed.Seconds()*l.rate) + 1; due < now; due++ {
			l.offered.Add(1)
			var s *stackSender
			select {
			case s = <-idle:
			default:
				l.by[outDropped].Add(1)
				continue
			}
			select {
			case slots <- struct{}{}:
			default:
				idle <- s
				l.by[outDropped].Add(1)
				continue
			}
			wg.Go(func() {
				defer func() { <-slots; idle <- s }()
				l.fire(ctx, s)
			})
		}
		next := start.Add(time.Duration(float64(due) / l.rate * float64(time.Second)))
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(next)):
		}
	}
}

// fire sends one op of s and classifies the answer.
func (l *openLoad) fire(ctx context.Context, s *stackSender) {
	if s.resync {
		n, err := l.nextNonce(ctx, s.addr)
		if err != nil {
			l.other("GET /nonce: " + err.Error())
			return
		}
		s.nonce, s.resync = n, false
	}
	req, err := wire.SignTx(l.domain, s.key, protocol.UserOp{Nonce: s.nonce, MaxFee: l.fees.suggestedMaxFee(), Data: s.data})
	if err != nil {
		l.other(err.Error())
		return
	}
	body, err := json.Marshal(req)
	if err != nil {
		l.other(err.Error())
		return
	}
	status, code, retryAfter, err := l.post(ctx, body)
	switch {
	case err != nil:
		s.resync = true // it may or may not have been stored
		l.other("transport: " + err.Error())
	case status == http.StatusOK:
		s.nonce++
		l.by[outAcked].Add(1)
	case status == http.StatusTooManyRequests && code == "L1_BACKLOG":
		l.by[outL1Backlog].Add(1)
		l.firstL1Backlog.CompareAndSwap(0, int64(max(time.Since(l.start), 1)))
		if n, err := strconv.Atoi(retryAfter); err != nil || n < 1 {
			l.badRetryAfter.Add(1)
		}
	case status == http.StatusTooManyRequests:
		l.by[outOverloaded].Add(1)
	case status == http.StatusServiceUnavailable:
		l.by[outUnavailable].Add(1)
	case status == http.StatusUnprocessableEntity:
		l.by[outRejected].Add(1)
	default:
		s.resync = true
		l.other(fmt.Sprintf("%d %s", status, code))
	}
}

func (l *openLoad) other(what string) {
	l.by[outOther].Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.others) < 20 || l.others[what] > 0 {
		l.others[what]++
	}
}

// post sends one POST /tx; code is the error body's code, if any.
func (l *openLoad) post(ctx context.Context, body []byte) (status int, code, retryAfter string, err error) {
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, l.baseURL+"/tx", bytes.NewReader(body))
	if err != nil {
		return 0, "", "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", "", err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Code string `json:"code"`
		}
		_ = json.Unmarshal(b, &e)
		code = e.Code
	}
	return resp.StatusCode, code, resp.Header.Get("Retry-After"), nil
}

func (l *openLoad) nextNonce(ctx context.Context, addr common.Address) (uint32, error) {
	var n struct {
		NextNonce uint32 `json:"next_nonce"`
	}
	if err := getJSONWith(ctx, l.client, l.baseURL+"/nonce?sender="+addr.Hex(), &n); err != nil {
		return 0, err
	}
	return n.NextNonce, nil
}

// getJSONWith GETs url into v, failing on any status but 200.
func getJSONWith(ctx context.Context, c *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
