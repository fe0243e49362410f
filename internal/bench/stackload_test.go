package bench

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/api/wire"
	"github.com/cartesi/sequencer/protocol"
)

// scriptedServe answers POST /tx from a script, in order, and keeps each
// sender's next nonce the way serve does: only a 200 consumes it, and a
// 500 stores the op but answers an error (an unknown outcome for the
// client). It checks each op's signature and nonce.
type scriptedServe struct {
	t      *testing.T
	domain protocol.Domain
	script []int // statuses, cycled
	delay  time.Duration

	mu     sync.Mutex
	n      int
	next   map[common.Address]uint32
	stored map[common.Address][]uint32
	wrong  int // ops signed with a nonce other than the stored next one
}

func (s *scriptedServe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/fee":
		_, _ = w.Write([]byte(`{"fee":1356,"recommended_fee":1356,"suggested_max_fee":1409}`))
	case "/nonce":
		s.mu.Lock()
		n := s.next[common.HexToAddress(r.URL.Query().Get("sender"))]
		s.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"next_nonce": n})
	case "/tx":
		time.Sleep(s.delay)
		var req wire.TxRequest
		// assert, not require: this runs on the server's goroutine.
		if !assert.NoError(s.t, json.NewDecoder(r.Body).Decode(&req)) {
			return
		}
		op := protocol.UserOp{Nonce: req.Message.Nonce, MaxFee: req.Message.MaxFee, Data: req.Message.Data}
		sender, _, err := s.domain.RecoverSender(op, req.Signature)
		if !assert.NoError(s.t, err) {
			return
		}
		assert.Equal(s.t, uint16(1409), op.MaxFee, "signed with the suggested max fee")
		s.mu.Lock()
		defer s.mu.Unlock()
		status := s.script[s.n%len(s.script)]
		s.n++
		if op.Nonce != s.next[sender] {
			s.wrong++
			status = http.StatusUnprocessableEntity
		}
		switch status {
		case http.StatusOK, http.StatusInternalServerError:
			s.stored[sender] = append(s.stored[sender], op.Nonce)
			s.next[sender]++
		}
		w.Header().Set("Content-Type", "application/json")
		switch status {
		case http.StatusOK:
			_, _ = w.Write([]byte(`{"ok":true}`))
		case scriptL1Backlog: // L1 backlog
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"ok":false,"code":"L1_BACKLOG","message":"L1 backlog"}`))
		case scriptL1BacklogNoRetry: // L1 backlog without Retry-After: a contract violation
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"ok":false,"code":"L1_BACKLOG","message":"L1 backlog"}`))
		case http.StatusTooManyRequests:
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"ok":false,"code":"OVERLOADED","message":"queue full"}`))
		default:
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"ok":false,"code":"X","message":"x"}`))
		}
	default:
		http.NotFound(w, r)
	}
}

// Script codes beyond HTTP's range for the two L1_BACKLOG variants.
const (
	scriptL1Backlog        = 4291
	scriptL1BacklogNoRetry = 4292
)

func TestOpenLoadOutcomesAndNonces(t *testing.T) {
	domain := protocol.NewDomain(31337, common.HexToAddress("0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"))
	srv := &scriptedServe{t: t, domain: domain, next: map[common.Address]uint32{}, stored: map[common.Address][]uint32{},
		script: []int{scriptL1Backlog, 200, 503, 200, 422, 429, 200, 500, 200, scriptL1BacklogNoRetry, 200}}
	hs := httptest.NewServer(srv)
	defer hs.Close()

	senders, err := newStackSenders(4)
	require.NoError(t, err)
	fees := newFeeWatch(hs.URL, hs.Client())
	require.NoError(t, fees.refresh(context.Background()))
	load := newOpenLoad(hs.URL, domain, 200, 4, fees)
	load.run(context.Background(), senders, time.Now(), 2*time.Second)

	c := load.snapshot()
	// Open loop: the clock decides what is offered — never more than the
	// 400 ops due in 2 s; a loaded machine may leave the last few undue
	// when the run ends, so the lower bound is loose.
	require.LessOrEqual(t, c.offered, int64(401), "open loop: the clock decides what is offered")
	require.GreaterOrEqual(t, c.offered, int64(300), "open loop: the clock decides what is offered")
	var answered int64
	for _, n := range c.by {
		answered += n
	}
	require.Equal(t, c.offered, answered, "every offered op has exactly one outcome")
	srv.mu.Lock()
	defer srv.mu.Unlock()
	require.Zero(t, srv.wrong, "429, 503 and 422 keep the nonce; after a 500 the client re-reads it")
	require.Equal(t, int64(srv.n), c.offered-c.by[outDropped], "every op not dropped reached the server")
	perClass := map[int]int64{}
	for i := range srv.n {
		perClass[srv.script[i%len(srv.script)]]++
	}
	require.Equal(t, perClass[200], c.by[outAcked])
	require.Equal(t, perClass[scriptL1Backlog]+perClass[scriptL1BacklogNoRetry], c.by[outL1Backlog])
	require.Equal(t, perClass[scriptL1BacklogNoRetry], c.badRetryAfter)
	require.Equal(t, perClass[429], c.by[outOverloaded])
	require.Equal(t, perClass[503], c.by[outUnavailable])
	require.Equal(t, perClass[422], c.by[outRejected])
	require.Equal(t, perClass[500], c.by[outOther])
	require.Positive(t, load.firstL1Backlog.Load())
	for _, s := range senders {
		for i, n := range srv.stored[s.addr] {
			require.Equal(t, uint32(i), n, "each sender's stored nonces are 0, 1, 2, … without gaps")
		}
	}
}

// A server slower than the schedule does not slow the offered rate down:
// the ops that find no idle sender are client-dropped.
func TestOpenLoadDropsWhenNoSenderIsIdle(t *testing.T) {
	domain := protocol.NewDomain(31337, common.HexToAddress("0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"))
	srv := &scriptedServe{t: t, domain: domain, next: map[common.Address]uint32{}, stored: map[common.Address][]uint32{},
		script: []int{200}, delay: 200 * time.Millisecond}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	senders, err := newStackSenders(2)
	require.NoError(t, err)
	fees := newFeeWatch(hs.URL, hs.Client())
	require.NoError(t, fees.refresh(context.Background()))
	load := newOpenLoad(hs.URL, domain, 100, 2, fees)
	load.run(context.Background(), senders, time.Now(), time.Second)
	c := load.snapshot()
	require.LessOrEqual(t, c.offered, int64(101), "never more than the clock made due")
	require.GreaterOrEqual(t, c.offered, int64(75))
	// Two senders, each busy ≥ 200 ms per op: at most 2 × (1 s / 200 ms + 1) ops leave.
	require.LessOrEqual(t, c.by[outAcked], int64(12))
	require.Equal(t, c.offered, c.by[outAcked]+c.by[outDropped])
	require.Zero(t, srv.wrong)
}
