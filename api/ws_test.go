package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/api"
	"github.com/cartesi/sequencer/api/wire"
	"github.com/cartesi/sequencer/feed"
	"github.com/cartesi/sequencer/hotpath"
)

const wsTimeout = 10 * time.Second

func dialFeed(ts *testServer, query string, dialer *fws.Dialer) (*fws.Conn, *http.Response, error) {
	if dialer == nil {
		dialer = &fws.Dialer{HandshakeTimeout: wsTimeout}
	}
	return dialer.Dial(ts.WS+"/ws/subscribe"+query, nil)
}

// subscribe connects to the feed after from (no query when from < 0).
func subscribe(t *testing.T, ts *testServer, from int64) *fws.Conn {
	t.Helper()
	q := ""
	if from >= 0 {
		q = fmt.Sprintf("?from_offset=%d", from)
	}
	c, resp, err := dialFeed(ts, q, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// refused dials and expects an HTTP error response before the upgrade.
func refused(t *testing.T, ts *testServer, query string, status int, code string) api.ErrorBody {
	t.Helper()
	c, resp, err := dialFeed(ts, query, nil)
	if c != nil {
		c.Close()
	}
	require.ErrorIs(t, err, fws.ErrBadHandshake)
	require.NotNil(t, resp)
	defer resp.Body.Close()
	require.Equal(t, status, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	e := decodeError(t, body)
	require.Equal(t, code, e.Code)
	return e
}

func readRaw(t *testing.T, c *fws.Conn) string {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(wsTimeout)))
	typ, msg, err := c.ReadMessage()
	require.NoError(t, err)
	require.Equal(t, fws.TextMessage, typ)
	return string(msg)
}

func readEntry(t *testing.T, c *fws.Conn) wire.FeedEntry {
	t.Helper()
	var e wire.FeedEntry
	msg := readRaw(t, c)
	require.NoError(t, json.Unmarshal([]byte(msg), &e), msg)
	return e
}

func readOffsets(t *testing.T, c *fws.Conn, n int) []uint64 {
	t.Helper()
	out := make([]uint64, n)
	for i := range out {
		out[i] = readEntry(t, c).Offset
	}
	return out
}

func seq(from, to uint64) []uint64 {
	var out []uint64
	for o := from; o <= to; o++ {
		out = append(out, o)
	}
	return out
}

// expectClose reads until the close frame (skipping data messages when
// drain is set) and checks its code and reason.
func expectClose(t *testing.T, c *fws.Conn, code int, reason string, drain bool) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(wsTimeout)))
	for {
		_, msg, err := c.ReadMessage()
		if err == nil {
			require.True(t, drain, "unexpected message before close: %.200s", msg)
			continue
		}
		var ce *fws.CloseError
		require.True(t, errors.As(err, &ce), "want a close frame, got %v", err)
		require.Equal(t, code, ce.Code)
		require.Equal(t, reason, ce.Text)
		return
	}
}

func TestFeedCatchUpAndLive(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	f := fixture{t, db}
	a := f.batch(0, 0, 100, 1356)
	f.directInput(1, a, 0, bob, []byte{0xde, 0xad}, 99)
	f.userOps(a, 2, 10, alice)
	db.Hub.SetHead(10)
	ts := startServer(t, db, newFakeLane())

	all := subscribe(t, ts, -1) // default from_offset 0
	require.Equal(t, `{"kind":"direct_input","offset":1,"sender":"`+bob.Hex()+
		`","payload":"0xdead","block_number":99,"input_index":0,"batch_nonce":0,"generation":0}`, readRaw(t, all))
	require.Equal(t, `{"kind":"user_op","offset":2,"sender":"`+alice.Hex()+
		`","nonce":2,"fee":1356,"data":"0x02","safe_block":100,"batch_nonce":0,"generation":0}`, readRaw(t, all))
	require.Equal(t, seq(3, 10), readOffsets(t, all, 8))

	mid := subscribe(t, ts, 5)
	require.Equal(t, seq(6, 10), readOffsets(t, mid, 5))
	require.Eventually(t, func() bool { return db.Hub.Count() == 2 }, wsTimeout, time.Millisecond)

	// The lane commits 11 and 12 and publishes them; the event also repeats
	// 9 and 10, which subscribers must not see twice.
	f.userOps(a, 11, 12, alice)
	var ev []feed.Entry
	for o := uint64(9); o <= 12; o++ {
		ev = append(ev, userOpEntry(o, 0, alice, 100, 1356))
	}
	db.Hub.Publish(ev)
	db.Hub.Publish([]feed.Entry{{Offset: 13, Kind: feed.KindDirectInput, Sender: bob, BatchNonce: 0,
		Payload: []byte{}, BlockNumber: 101, InputIndex: 1}})
	for _, c := range []*fws.Conn{all, mid} {
		require.Equal(t, seq(11, 12), readOffsets(t, c, 2))
		require.Equal(t, `{"kind":"direct_input","offset":13,"sender":"`+bob.Hex()+
			`","payload":"0x","block_number":101,"input_index":1,"batch_nonce":0,"generation":0}`, readRaw(t, c))
	}

	// A subscriber that starts at the head gets only live entries; pings
	// are answered and inbound messages ignored.
	live := subscribe(t, ts, 13)
	require.Eventually(t, func() bool { return db.Hub.Count() == 3 }, wsTimeout, time.Millisecond)
	pong := make(chan struct{}, 1)
	live.SetPongHandler(func(string) error { pong <- struct{}{}; return nil })
	require.NoError(t, live.WriteControl(fws.PingMessage, []byte("hi"), time.Now().Add(wsTimeout)))
	require.NoError(t, live.WriteMessage(fws.TextMessage, []byte("ignored")))
	db.Hub.Publish([]feed.Entry{userOpEntry(14, 0, alice, 100, 1356)})
	require.Equal(t, uint64(14), readEntry(t, live).Offset)

	// An inbound message over 8 KiB ends the connection. The server's
	// reader answered the ping before it read this, so the pong comes
	// first (the client handles it while reading).
	require.NoError(t, live.WriteMessage(fws.TextMessage, make([]byte, api.WSReadLimit+1)))
	require.NoError(t, live.SetReadDeadline(time.Now().Add(wsTimeout)))
	_, _, err := live.ReadMessage()
	require.Error(t, err)
	select {
	case <-pong:
	default:
		t.Fatal("no pong")
	}
	require.Eventually(t, func() bool { return db.Hub.Count() == 2 }, wsTimeout, time.Millisecond)
}

func TestFeedCatchUpWindow(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	f := fixture{t, db}
	a := f.batch(0, 0, 100, 7)
	last := uint64(api.MaxCatchUp + 1)
	f.userOps(a, 1, last, alice)
	db.Hub.SetHead(last)
	ts := startServer(t, db, newFakeLane())

	over := subscribe(t, ts, 0)
	expectClose(t, over, fws.ClosePolicyViolation, fmt.Sprintf("catch-up window exceeded: live_start_offset=%d", last), false)

	// Exactly MaxCatchUp entries after from_offset is allowed, across pages.
	ok := subscribe(t, ts, 1)
	for want := uint64(2); want <= last; want++ {
		e := readEntry(t, ok)
		if e.Offset != want {
			require.Equal(t, want, e.Offset)
		}
	}
	db.Hub.Publish([]feed.Entry{userOpEntry(last+1, 0, alice, 100, 7)})
	require.Equal(t, last+1, readEntry(t, ok).Offset)
}

func TestFeedAdmission(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	lane := newFakeLane()
	// One address may take every slot here: the per-IP cap has its own
	// test (TestFeedPerIPLimit).
	ts := startServer(t, db, lane, withConfig(func(c *api.Config) { c.MaxSubscribersPerIP = api.MaxSubscribers }))

	require.Contains(t, refused(t, ts, "?from_offset=-1", 400, api.CodeBadRequest).Message, "from_offset")
	require.Contains(t, refused(t, ts, "?from_offset=abc", 400, api.CodeBadRequest).Message, "from_offset")
	res := get(t, ts.Public+"/ws/subscribe")
	require.Equal(t, http.StatusBadRequest, res.Status)

	lane.setStatus(hotpath.Status{Role: hotpath.RoleStandby})
	refused(t, ts, "", 503, api.CodeUnavailable)
	lane.setStatus(hotpath.Status{Role: hotpath.RoleActive, IntakeOpen: false, Mode: "recovering"})

	conns := make([]*fws.Conn, 0, api.MaxSubscribers)
	for range api.MaxSubscribers {
		conns = append(conns, subscribe(t, ts, 0))
	}
	refused(t, ts, "", 429, api.CodeOverloaded)
	require.Eventually(t, func() bool { return db.Hub.Count() == api.MaxSubscribers }, wsTimeout, time.Millisecond)

	// A subscriber leaving frees its slot.
	require.NoError(t, conns[0].Close())
	require.Eventually(t, func() bool {
		c, resp, err := dialFeed(ts, "", nil)
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if err != nil {
			return false
		}
		t.Cleanup(func() { c.Close() })
		return true
	}, wsTimeout, 5*time.Millisecond)
}

func TestFeedHistoryRewound(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	f := fixture{t, db}
	a := f.batch(0, 0, 100, 5)
	f.userOps(a, 1, 3, alice)
	f.seal(a)
	b := f.batch(a, 1, 105, 5)
	f.userOps(b, 4, 5, alice)
	f.invalidate(b)
	c := f.batch(a, 1, 110, 5)
	f.userOps(c, 6, 7, bob)
	db.Hub.SetHead(7)
	ts := startServer(t, db, newFakeLane())

	for _, from := range []int{4, 5} {
		e := refused(t, ts, fmt.Sprintf("?from_offset=%d", from), 409, api.CodeHistoryRewound)
		require.Contains(t, e.Message, "last_valid_offset=3")
	}

	// The feed skips the invalidated offsets.
	whole := subscribe(t, ts, 0)
	require.Equal(t, []uint64{1, 2, 3, 6, 7}, readOffsets(t, whole, 5))
	fromCut := subscribe(t, ts, 3)
	require.Equal(t, []uint64{6, 7}, readOffsets(t, fromCut, 2))
	e := readEntry(t, subscribe(t, ts, 6))
	require.Equal(t, uint64(7), e.Offset)
	require.Equal(t, uint64(1), e.BatchNonce)

	// A recovery rewinds live subscribers.
	require.Eventually(t, func() bool { return db.Hub.Count() == 3 }, wsTimeout, time.Millisecond)
	db.Hub.Rewind(6, 7)
	for _, c := range []*fws.Conn{whole, fromCut} {
		expectClose(t, c, api.CloseHistoryRewound, "history rewound: last_valid_offset=6", false)
	}
	require.Eventually(t, func() bool { return db.Hub.Count() == 0 }, wsTimeout, time.Millisecond)
}

func TestFeedSlowConsumer(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	ts := startServer(t, db, newFakeLane(), withConfig(func(c *api.Config) { c.SubscriberBuffer = 2 }))

	fast := subscribe(t, ts, 0)
	// The slow client never reads until told (loopback socket buffers
	// absorb a few MB first).
	slow := subscribe(t, ts, 0)
	require.Eventually(t, func() bool { return db.Hub.Count() == 2 }, wsTimeout, time.Millisecond)

	// Publish one big entry at a time, each after the fast client got the
	// previous one, until the hub drops the slow subscriber.
	big := make([]byte, 256<<10)
	offset := uint64(0)
	for db.Hub.Count() == 2 {
		require.Less(t, offset, uint64(400), "the slow subscriber was never dropped")
		offset++
		db.Hub.Publish([]feed.Entry{{Offset: offset, Kind: feed.KindUserOp, Sender: alice, Data: big}})
		require.Equal(t, offset, readEntry(t, fast).Offset)
	}
	t.Logf("slow subscriber dropped after %d entries", offset)
	// The fast one keeps receiving.
	for range 3 {
		offset++
		db.Hub.Publish([]feed.Entry{userOpEntry(offset, 0, alice, 1, 1)})
		require.Equal(t, offset, readEntry(t, fast).Offset)
	}
	// The slow one, reading at last, finds what was sent and then 1008.
	expectClose(t, slow, fws.ClosePolicyViolation, "slow consumer", true)
}

func TestFeedShutdown(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	ts := startServer(t, db, newFakeLane())
	c := subscribe(t, ts, 0)
	require.Eventually(t, func() bool { return db.Hub.Count() == 1 }, wsTimeout, time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- ts.Shutdown(ctx) }()
	expectClose(t, c, fws.CloseGoingAway, "server shutting down", false)
	require.NoError(t, <-done)
	_, _, err := dialFeed(ts, "", nil)
	require.Error(t, err)
	require.False(t, strings.Contains(err.Error(), "bad handshake"), err.Error())
}

// TestFeedWriterRestart: when the process stops being the writer its hub is
// suspended: live subscribers are closed 1012 with a reason telling them to
// reconnect, and one that subscribes before the lane rebuilds is closed the
// same way rather than left waiting on a process that no longer writes.
func TestFeedWriterRestart(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	f := fixture{t, db}
	a := f.batch(0, 0, 100, 5)
	f.userOps(a, 1, 2, alice)
	db.Hub.SetHead(2)
	ts := startServer(t, db, newFakeLane())

	live := subscribe(t, ts, 0)
	require.Equal(t, []uint64{1, 2}, readOffsets(t, live, 2))
	require.Eventually(t, func() bool { return db.Hub.Count() == 1 }, wsTimeout, time.Millisecond)
	db.Hub.Suspend()
	expectClose(t, live, api.CloseWriterRestart, api.CloseWriterRestartReason, false)
	require.Equal(t, 1012, api.CloseWriterRestart)
	require.Contains(t, api.CloseWriterRestartReason, "reconnect")

	// The pre-check still passed (the fake lane says active), but the hub
	// refuses: closed at once, no catch-up.
	expectClose(t, subscribe(t, ts, 0), api.CloseWriterRestart, api.CloseWriterRestartReason, false)

	// Rebuilt at the same head: subscribers are served again.
	db.Hub.Rebuilt(2)
	again := subscribe(t, ts, 1)
	require.Equal(t, []uint64{2}, readOffsets(t, again, 1))
}
