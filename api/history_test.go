package api_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	fws "github.com/fasthttp/websocket"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/api"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/internal/l1rows"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
)

// refusal is a history refusal's body: the error shape plus its fields.
type refusal struct {
	OK              bool    `json:"ok"`
	Code            string  `json:"code"`
	Message         string  `json:"message"`
	LastValidOffset *uint64 `json:"last_valid_offset"`
	Generation      *uint64 `json:"generation"`
	Head            *uint64 `json:"head"`
}

func decodeRefusal(t *testing.T, body []byte, status, wantStatus int, code string) refusal {
	t.Helper()
	require.Equal(t, wantStatus, status, string(body))
	var r refusal
	require.NoError(t, json.Unmarshal(body, &r), string(body))
	require.False(t, r.OK)
	require.Equal(t, code, r.Code, string(body))
	require.NotEmpty(t, r.Message)
	return r
}

// wsRefusal dials the feed with query and expects a refusal before the
// upgrade.
func wsRefusal(t *testing.T, ts *testServer, query string, status int, code string) refusal {
	t.Helper()
	c, resp, err := dialFeed(ts, query, nil)
	if c != nil {
		c.Close()
	}
	require.ErrorIs(t, err, fws.ErrBadHandshake, query)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return decodeRefusal(t, body, resp.StatusCode, status, code)
}

func historyRefusal(t *testing.T, ts *testServer, query string, status int, code string) refusal {
	t.Helper()
	res := get(t, ts.Public+"/history"+query)
	return decodeRefusal(t, res.Body, res.Status, status, code)
}

// historyPage is GET /history's body with its entries kept raw, to compare
// them byte for byte with the feed's frames.
type historyPage struct {
	Entries    []json.RawMessage `json:"entries"`
	NextOffset uint64            `json:"next_offset"`
	Head       uint64            `json:"head"`
	Generation uint64            `json:"generation"`
}

func readHistory(t *testing.T, ts *testServer, query string) historyPage {
	t.Helper()
	res := get(t, ts.Public+"/history"+query)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	require.Equal(t, "application/json", res.Header.Get("Content-Type"))
	var p historyPage
	require.NoError(t, json.Unmarshal(res.Body, &p), string(res.Body))
	require.NotNil(t, p.Entries, "entries is an array, never null")
	return p
}

// pageAll pages GET /history from from with limit until an empty page and
// returns every entry, raw.
func pageAll(t *testing.T, ts *testServer, from uint64, generation, limit int) []string {
	t.Helper()
	var out []string
	for {
		p := readHistory(t, ts, fmt.Sprintf("?from_offset=%d&generation=%d&limit=%d", from, generation, limit))
		if len(p.Entries) == 0 {
			require.Equal(t, from, p.NextOffset, "an empty page's next_offset is from_offset")
			return out
		}
		require.LessOrEqual(t, len(p.Entries), limit)
		for _, e := range p.Entries {
			out = append(out, string(e))
		}
		require.Greater(t, p.NextOffset, from)
		from = p.NextOffset
	}
}

func subscribeQuery(t *testing.T, ts *testServer, query string) *fws.Conn {
	t.Helper()
	c, resp, err := dialFeed(ts, query, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	require.NoError(t, err, query)
	t.Cleanup(func() { c.Close() })
	return c
}

// postOp signs a wallet transfer with key at the lane's next nonce and
// submits it through POST /tx; it returns the op's offset.
func postOp(t *testing.T, ts *testServer, key *ecdsa.PrivateKey) uint64 {
	t.Helper()
	addr := crypto.PubkeyToAddress(key.PublicKey)
	var nonce uint32
	require.Eventually(t, func() bool {
		n, err := ts.Lane.NextNonce(addr)
		nonce = n
		return err == nil
	}, 20*time.Second, 10*time.Millisecond, "intake never opened")
	op := protocol.UserOp{Nonce: nonce, MaxFee: mustQuote(t, ts.Lane).SuggestedMaxFee(), Data: testOpData(t, addr)}
	res := do(t, http.MethodPost, ts.Public+"/tx", "application/json", txJSON(signedParts(t, key, op)))
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	var ack struct {
		Offset uint64 `json:"offset"`
	}
	require.NoError(t, json.Unmarshal(res.Body, &ack))
	return ack.Offset
}

// readFrames reads n raw feed frames.
func readFrames(t *testing.T, c *fws.Conn, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		out[i] = readRaw(t, c)
	}
	return out
}

// TestResumeAcrossRecovery drives a real recovery under the real lane and a
// real server: batch 0 is sealed and accepted, the open batch 1 holds ops;
// the fence, the cascade and the resume revoke batch 1. Live subscribers
// get 4001; a client that saw a revoked entry is refused STALE_GENERATION
// with the offset its view is valid up to; one that saw nothing revoked
// resumes although its generation is older; the feed and GET /history
// serve the same entries, with their generation.
func TestResumeAcrossRecovery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	// Batches close after 3 ops (see hotpath's smallBatches).
	_, err := db.Pool.Exec(ctx, `UPDATE batch_policy SET log_base_gas = 950`)
	require.NoError(t, err)
	lane := newTestLane(t, db)
	ts := startServer(t, db, lane)
	key := mustKey(t, fundedKeys[0])

	// The deposits (offsets 1, 2), then ops until batch 0 is sealed and the
	// open batch 1 holds at least one op.
	var head uint64
	for {
		head = postOp(t, ts, key)
		var sealed, open int
		require.NoError(t, db.Pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM batches WHERE sealed_at IS NOT NULL),
			(SELECT count(*) FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id WHERE b.sealed_at IS NULL)`).
			Scan(&sealed, &open))
		if sealed > 0 && open > 0 {
			break
		}
		require.Less(t, head, uint64(20), "batch 0 never sealed")
	}
	var cut uint64
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT min(s."offset") FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id
		WHERE b.sealed_at IS NULL`).Scan(&cut))
	lastValid := cut - 1

	// The rollup accepts every sealed batch: the recovery's pivot is the
	// open batch.
	l1, err := l1rows.New(ctx, db.Pool)
	require.NoError(t, err)
	rows, err := db.Pool.Query(ctx, `SELECT id, nonce, payload, payload_hash FROM batches WHERE sealed_at IS NOT NULL ORDER BY nonce`)
	require.NoError(t, err)
	type sealedBatch struct {
		id, nonce     int64
		payload, hash []byte
	}
	var sealed []sealedBatch
	for rows.Next() {
		var b sealedBatch
		require.NoError(t, rows.Scan(&b.id, &b.nonce, &b.payload, &b.hash))
		sealed = append(sealed, b)
	}
	require.NoError(t, rows.Err())
	for _, b := range sealed {
		index, err := l1.Append(ctx, l1rows.Input{Sender: testSubmitter, Payload: b.payload, Block: 2})
		require.NoError(t, err)
		_, err = db.Pool.Exec(ctx, `INSERT INTO accepted_batches (nonce, input_index, block_number, payload_hash, batch_id)
			VALUES ($1, $2, 2, $3, $4)`, b.nonce, int64(index), b.hash, b.id)
		require.NoError(t, err)
	}

	// Before the recovery: everything is generation 0; the feed and the
	// history agree.
	before := subscribeQuery(t, ts, "?from_offset=0&generation=0")
	seen := readFrames(t, before, int(head))
	for i, f := range seen {
		require.Contains(t, f, fmt.Sprintf(`"offset":%d,`, i+1))
		require.True(t, strings.HasSuffix(f, `,"generation":0}`), f)
	}
	require.Equal(t, seen, pageAll(t, ts, 0, 0, 2))
	live := subscribeQuery(t, ts, fmt.Sprintf("?from_offset=%d&generation=0", head))
	require.Eventually(t, func() bool { return db.Hub.Count() == 2 }, wsTimeout, time.Millisecond)

	// The recovery, as the worker's workflow runs it.
	rec := store.NewRecovery(db.Pool)
	require.NoError(t, rec.Fence(ctx))
	var res store.CascadeResult
	require.Eventually(t, func() bool {
		res, err = rec.Cascade(ctx, store.CascadeRequest{InDanger: 0, Submitter: testSubmitter})
		if err != nil {
			require.ErrorIs(t, err, store.ErrLaneHoldsLock)
		}
		return err == nil
	}, 20*time.Second, 20*time.Millisecond)
	require.False(t, res.NoOp)
	require.Equal(t, uint64(1), res.Generation)
	require.Equal(t, 0, res.Redrained, "the deposits stay in the accepted batch 0")
	require.NoError(t, rec.Resume(ctx))

	// Live subscribers are rewound (4001), as before generations.
	for _, c := range []*fws.Conn{before, live} {
		expectClose(t, c, api.CloseHistoryRewound, fmt.Sprintf("history rewound: last_valid_offset=%d", lastValid), true)
	}
	require.Eventually(t, func() bool { return lane.Status().Role == hotpath.RoleActive && lane.Status().IntakeOpen },
		20*time.Second, 10*time.Millisecond)

	// A client that saw the revoked entries: STALE_GENERATION, on the feed
	// and on /history alike.
	stale := fmt.Sprintf("?from_offset=%d&generation=0", head)
	for _, r := range []refusal{
		wsRefusal(t, ts, stale, http.StatusConflict, api.CodeStaleGeneration),
		historyRefusal(t, ts, stale, http.StatusConflict, api.CodeStaleGeneration),
	} {
		require.NotNil(t, r.LastValidOffset)
		require.Equal(t, lastValid, *r.LastValidOffset)
		require.NotNil(t, r.Generation)
		require.Equal(t, uint64(1), *r.Generation)
	}
	// Without a generation the feed keeps its older rule.
	refused(t, ts, fmt.Sprintf("?from_offset=%d", head), http.StatusConflict, api.CodeHistoryRewound)

	// A client that saw nothing revoked resumes with its older generation;
	// so does the stale one, from last_valid_offset with the current one.
	older := subscribeQuery(t, ts, fmt.Sprintf("?from_offset=%d&generation=0", lastValid))
	resumed := subscribeQuery(t, ts, fmt.Sprintf("?from_offset=%d&generation=1", lastValid))
	require.Eventually(t, func() bool { return db.Hub.Count() == 2 }, wsTimeout, time.Millisecond)
	next := postOp(t, ts, key)
	require.Greater(t, next, head, "offsets are never reused")
	for _, c := range []*fws.Conn{older, resumed} {
		e := readEntry(t, c)
		require.Equal(t, next, e.Offset, "the revoked offsets are gone")
		require.Equal(t, uint64(1), e.Generation)
	}

	// The other refusals.
	for _, q := range []string{fmt.Sprintf("?from_offset=%d&generation=1", next+1), fmt.Sprintf("?from_offset=%d&generation=0", next+1)} {
		for _, r := range []refusal{
			wsRefusal(t, ts, q, http.StatusConflict, api.CodeAheadOfHead),
			historyRefusal(t, ts, q, http.StatusConflict, api.CodeAheadOfHead),
		} {
			require.NotNil(t, r.Head)
			require.Equal(t, next, *r.Head)
		}
	}
	for _, q := range []string{"?generation=2", "?generation=x", "?generation=-1", "?generation="} {
		wsRefusal(t, ts, q, http.StatusBadRequest, api.CodeInvalidRequest)
		historyRefusal(t, ts, q, http.StatusBadRequest, api.CodeInvalidRequest)
	}

	// The history after the recovery: the same entries as the feed, the
	// survivors of generation 0 and the new op of generation 1, paged.
	whole := subscribeQuery(t, ts, "?from_offset=0&generation=1")
	valid := readFrames(t, whole, int(lastValid)+1)
	require.Equal(t, seen[:lastValid], valid[:lastValid])
	require.True(t, strings.HasSuffix(valid[lastValid], `,"generation":1}`), valid[lastValid])
	for _, limit := range []int{1, 2, 1000} {
		require.Equal(t, valid, pageAll(t, ts, 0, 1, limit))
	}
	p := readHistory(t, ts, "")
	require.Len(t, p.Entries, len(valid), "defaults: from_offset 0, limit 100")
	require.Equal(t, next, p.Head)
	require.Equal(t, uint64(1), p.Generation)
	require.Equal(t, next, p.NextOffset)
}

// TestHistoryRefusalsAndWindow: parameters, the catch-up window on a resume
// with a generation (410 before the upgrade; 1008 after it without one, as
// before), and /history served by a process whose lane is a standby.
func TestHistoryRefusalsAndWindow(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	f := fixture{t, db}
	a := f.batch(0, 0, 100, 5)
	f.userOps(a, 1, 5, alice)
	db.Hub.SetHead(5)
	lane := newFakeLane()
	ts := startServer(t, db, lane, withConfig(func(c *api.Config) { c.CatchUpWindow = 3 }))

	r := wsRefusal(t, ts, "?from_offset=1&generation=0", http.StatusGone, api.CodeHistoryUnavailable)
	require.NotNil(t, r.Head)
	require.Equal(t, uint64(5), *r.Head)
	require.Equal(t, []uint64{3, 4, 5}, readOffsets(t, subscribeQuery(t, ts, "?from_offset=2&generation=0"), 3))
	expectClose(t, subscribe(t, ts, 1), fws.ClosePolicyViolation, "catch-up window exceeded: live_start_offset=5", false)

	// /history pages past the feed's window.
	p := readHistory(t, ts, "?from_offset=0&generation=0&limit=1000")
	require.Len(t, p.Entries, 5)
	require.Equal(t, uint64(5), p.NextOffset)
	p = readHistory(t, ts, "?from_offset=5")
	require.Empty(t, p.Entries)
	require.Equal(t, uint64(5), p.NextOffset)

	for _, q := range []string{"?limit=0", "?limit=1001", "?limit=x", "?limit=-1"} {
		historyRefusal(t, ts, q, http.StatusBadRequest, api.CodeInvalidRequest)
	}
	for _, q := range []string{"?from_offset=x", "?from_offset=-1"} {
		historyRefusal(t, ts, q, http.StatusBadRequest, api.CodeBadRequest)
		wsRefusal(t, ts, q+"&generation=0", http.StatusBadRequest, api.CodeBadRequest)
	}
	historyRefusal(t, ts, "?from_offset=6", http.StatusConflict, api.CodeAheadOfHead)

	// History lives in the database: a standby serves it; the feed, fed by
	// the writer only, does not.
	lane.setStatus(hotpath.Status{Role: hotpath.RoleStandby})
	require.Len(t, readHistory(t, ts, "?limit=2").Entries, 2)
	wsRefusal(t, ts, "?generation=0", http.StatusServiceUnavailable, api.CodeUnavailable)
}

// TestHistoryConcurrencyLimit: with the history reads in flight at the
// global limit (held by a real table lock), the next read is 429 OVERLOADED
// with Retry-After: 1; the held one completes once the lock goes.
func TestHistoryConcurrencyLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	f := fixture{t, db}
	a := f.batch(0, 0, 100, 5)
	f.userOps(a, 1, 3, alice)
	ts := startServer(t, db, newFakeLane(), withConfig(func(c *api.Config) { c.HistoryMaxConcurrent = 1 }))

	tx, err := db.Pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck // released below
	_, err = tx.Exec(ctx, `LOCK TABLE sequenced_l2_txs IN ACCESS EXCLUSIVE MODE`)
	require.NoError(t, err)

	held := make(chan httpResult, 1)
	go func() {
		resp, err := http.Get(ts.Public + "/history")
		if err != nil {
			held <- httpResult{Status: -1, Body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		held <- httpResult{Status: resp.StatusCode, Header: resp.Header, Body: b}
	}()
	require.Eventually(t, func() bool {
		var waiting int
		require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting))
		return waiting > 0
	}, wsTimeout, 5*time.Millisecond, "the first read never reached the lock")

	res := get(t, ts.Public+"/history")
	decodeRefusal(t, res.Body, res.Status, http.StatusTooManyRequests, api.CodeOverloaded)
	require.Equal(t, "1", res.Header.Get("Retry-After"))

	require.NoError(t, tx.Rollback(ctx))
	first := <-held
	require.Equal(t, http.StatusOK, first.Status, string(first.Body))
	require.Equal(t, http.StatusOK, get(t, ts.Public+"/history").Status, "the slot is free again")
}

// loopbackDialer dials the feed from source address ip (127.0.0.0/8 all
// reaches the loopback listener on Linux).
func loopbackDialer(ip string) *fws.Dialer {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &fws.Dialer{HandshakeTimeout: wsTimeout, NetDialContext: d.DialContext}
}

// TestFeedPerIPLimit: the 5th subscriber from one address gets 429 before
// the upgrade while another address still connects; a slot freed by the
// address admits it again.
func TestFeedPerIPLimit(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	ts := startServer(t, db, newFakeLane())
	one, two := loopbackDialer("127.0.0.1"), loopbackDialer("127.0.0.2")
	dial := func(d *fws.Dialer) (*fws.Conn, *http.Response, error) {
		c, resp, err := dialFeed(ts, "", d)
		if c != nil {
			t.Cleanup(func() { c.Close() })
		}
		return c, resp, err
	}
	var first []*fws.Conn
	for range api.DefaultMaxSubscribersPerIP {
		c, _, err := dial(one)
		require.NoError(t, err)
		first = append(first, c)
	}
	_, resp, err := dial(one)
	require.ErrorIs(t, err, fws.ErrBadHandshake)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	r := decodeRefusal(t, body, resp.StatusCode, http.StatusTooManyRequests, api.CodeOverloaded)
	require.Contains(t, r.Message, "per address")

	_, _, err = dial(two)
	require.NoError(t, err, "another address is not limited by the first one's connections")
	require.Eventually(t, func() bool { return db.Hub.Count() == api.DefaultMaxSubscribersPerIP+1 }, wsTimeout, time.Millisecond)

	require.NoError(t, first[0].Close())
	require.Eventually(t, func() bool {
		_, _, err := dial(one)
		return err == nil
	}, wsTimeout, 5*time.Millisecond)
}

// countingConn counts the bytes the client reads off the socket.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// TestFeedCompression: a client offering permessage-deflate gets it
// negotiated and compressed frames (a 16 KiB entry of zeros crosses the
// wire in far fewer bytes); one that does not offer it, or a server with
// compression off, gets plain frames.
func TestFeedCompression(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	f := fixture{t, db}
	a := f.batch(0, 0, 100, 5)
	f.exec(`INSERT INTO user_ops ("offset", batch_id, frame_position, sender, nonce, max_fee, data, signature, received_at)
		VALUES (1, $1, 0, $2, 0, 100, $3, $4, now())`, a, alice.Bytes(), make([]byte, 16<<10), make([]byte, 65))
	db.Hub.SetHead(1)
	on := startServer(t, db, newFakeLane())
	off := startServer(t, db, newFakeLane(), withConfig(func(c *api.Config) { c.DisableCompression = true }))

	for _, tc := range []struct {
		name       string
		ts         *testServer
		offer      bool
		negotiated bool
	}{
		{"offered", on, true, true},
		{"not offered", on, false, false},
		{"server off", off, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var read atomic.Int64
			nd := &net.Dialer{}
			d := &fws.Dialer{HandshakeTimeout: wsTimeout, EnableCompression: tc.offer,
				NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					c, err := nd.DialContext(ctx, network, addr)
					if err != nil {
						return nil, err
					}
					return countingConn{Conn: c, n: &read}, nil
				}}
			c, resp, err := dialFeed(tc.ts, "?from_offset=0&generation=0", d)
			require.NoError(t, err)
			defer c.Close()
			ext := resp.Header.Get("Sec-WebSocket-Extensions")
			e := readEntry(t, c)
			require.Equal(t, uint64(1), e.Offset)
			require.Len(t, e.Data, 16<<10)
			if tc.negotiated {
				require.Contains(t, ext, "permessage-deflate")
				require.Less(t, read.Load(), int64(4<<10), "the 32 KiB hex frame crossed the wire compressed")
			} else {
				require.Empty(t, ext)
				require.Greater(t, read.Load(), int64(32<<10), "a plain frame")
			}
		})
	}
}
