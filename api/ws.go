package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/cartesi/sequencer/feed"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/store"
)

// WebSocket close codes the feed uses besides the standard ones.
const (
	// CloseHistoryRewound closes live subscribers when recovery invalidated
	// entries they may have received.
	CloseHistoryRewound = 4001
	// CloseWriterRestart (1012, service restart) closes live subscribers
	// when this process stops being the writer or rebuilt its state to a
	// head they were not served up to: they reconnect (to whichever process
	// is the writer) with from_offset = the last offset they received.
	CloseWriterRestart = fws.CloseServiceRestart
	// CloseWriterRestartReason is CloseWriterRestart's reason.
	CloseWriterRestartReason = "writer restarted: reconnect with from_offset"
)

const (
	localFromOffset = "feed.from_offset"
	localSlot       = "feed.slot"
	// slotClaimTimeout releases a reserved subscriber slot whose upgraded
	// connection never started (fasthttp may drop a hijack).
	slotClaimTimeout = 10 * time.Second
)

// Defaults of the feed's configurable limits (SEQ_FEED_*, SEQ_HISTORY_*).
const (
	DefaultMaxSubscribersPerIP  = 4
	DefaultHistoryMaxConcurrent = 16
)

// feedSlots counts reserved subscriber slots, in all and per client IP, so
// one address cannot take the whole feed. Safe for concurrent use.
type feedSlots struct {
	mu    sync.Mutex
	total int
	perIP map[string]int
}

// feedSlot is one reserved subscriber slot, handed from the pre-upgrade
// handler to the connection handler. Exactly one of claim and expire wins.
type feedSlot struct {
	s     *Server
	ip    string
	state atomic.Int32 // 0 reserved, 1 claimed, 2 released
	timer *time.Timer
}

// reserveSlot takes a slot for a subscriber from ip, or returns the 429
// that refuses it: the global cap first, then the per-IP one.
func (s *Server) reserveSlot(ip string) *apiError {
	sl := &s.slots
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.total >= s.cfg.MaxSubscribers {
		return newError(fiber.StatusTooManyRequests, CodeOverloaded, fmt.Sprintf("too many subscribers (max %d)", s.cfg.MaxSubscribers))
	}
	if sl.perIP[ip] >= s.cfg.MaxSubscribersPerIP {
		return newError(fiber.StatusTooManyRequests, CodeOverloaded,
			fmt.Sprintf("too many subscribers from this address (max %d per address)", s.cfg.MaxSubscribersPerIP))
	}
	sl.total++
	sl.perIP[ip]++
	return nil
}

func (s *Server) releaseSlot(ip string) {
	sl := &s.slots
	sl.mu.Lock()
	defer sl.mu.Unlock()
	sl.total--
	if sl.perIP[ip]--; sl.perIP[ip] <= 0 {
		delete(sl.perIP, ip)
	}
}

// subscriberCount is the number of reserved subscriber slots.
func (s *Server) subscriberCount() int64 {
	s.slots.mu.Lock()
	defer s.slots.mu.Unlock()
	return int64(s.slots.total)
}

func (s *Server) newSlot(ip string) *feedSlot {
	sl := &feedSlot{s: s, ip: ip}
	sl.timer = time.AfterFunc(slotClaimTimeout, sl.expire)
	return sl
}

// claim takes the slot for the connection; false if it already expired.
func (sl *feedSlot) claim() bool {
	if sl.state.CompareAndSwap(0, 1) {
		sl.timer.Stop()
		return true
	}
	return false
}

// expire releases a slot nobody claimed. Idempotent.
func (sl *feedSlot) expire() {
	if sl.state.CompareAndSwap(0, 2) {
		sl.timer.Stop()
		sl.s.releaseSlot(sl.ip)
	}
}

// wsPrecheck refuses a subscription before the upgrade, in order: not a
// WebSocket upgrade (400), bad from_offset (400 BAD_REQUEST), bad generation
// (400 INVALID_REQUEST), lane not active (503), too many subscribers in all
// or from this address (429); then, for a resume with a generation, the
// history refusals (resumeRefusal: 400, 409 AHEAD_OF_HEAD, 409
// STALE_GENERATION) and 410 HISTORY_UNAVAILABLE when the replay exceeds the
// catch-up window; without one, 409 HISTORY_REWOUND when from_offset itself
// was invalidated (the behaviour before generations).
func (s *Server) wsPrecheck(c *fiber.Ctx) error {
	if !websocket.IsWebSocketUpgrade(c) {
		return badRequest("WebSocket upgrade required")
	}
	q, err := parseResumeQuery(c)
	if err != nil {
		return err
	}
	if st := s.deps.Lane.Status(); st.Role != hotpath.RoleActive {
		return newError(fiber.StatusServiceUnavailable, CodeUnavailable, "feed unavailable: lane is "+string(st.Role))
	}
	ip := c.IP()
	if refusal := s.reserveSlot(ip); refusal != nil {
		return refusal
	}
	if err := s.checkResume(c.UserContext(), q); err != nil {
		s.releaseSlot(ip)
		return err
	}
	slot := s.newSlot(ip)
	c.Locals(localFromOffset, q.From)
	c.Locals(localSlot, slot)
	if err := c.Next(); err != nil {
		slot.expire() // the upgrade failed: no connection will claim it
		return err
	}
	return nil
}

// checkResume applies the history refusals of a feed subscription.
func (s *Server) checkResume(ctx context.Context, q store.ResumeQuery) error {
	if !q.HasGeneration {
		if q.From == 0 {
			return nil
		}
		invalidated, lastValid, err := s.deps.Feed.OffsetState(ctx, q.From)
		if err != nil {
			return fmt.Errorf("check from_offset: %w", err)
		}
		if invalidated {
			return newError(fiber.StatusConflict, CodeHistoryRewound,
				fmt.Sprintf("history rewound: offset %d was invalidated by a recovery; last_valid_offset=%d", q.From, lastValid))
		}
		return nil
	}
	st, err := s.deps.Feed.ResumeState(ctx, q)
	if err != nil {
		return fmt.Errorf("check resume: %w", err)
	}
	if refusal := resumeRefusal(q, st); refusal != nil {
		return refusal
	}
	n, err := s.deps.Feed.CountAfter(ctx, q.From, s.cfg.CatchUpWindow)
	if err != nil {
		return fmt.Errorf("count catch-up: %w", err)
	}
	if n > s.cfg.CatchUpWindow {
		e := newError(fiber.StatusGone, CodeHistoryUnavailable, fmt.Sprintf(
			"more than %d entries after offset %d: the feed replays at most that many; page GET /history up to head, or load a snapshot",
			s.cfg.CatchUpWindow, q.From))
		e.detail.Head = ptr(st.Head)
		return e
	}
	return nil
}

func (s *Server) wsHandler() fiber.Handler {
	return websocket.New(s.serveFeed, websocket.Config{
		ReadBufferSize:    4096,
		WriteBufferSize:   4096,
		EnableCompression: !s.cfg.DisableCompression,
		RecoverHandler: func(conn *websocket.Conn) {
			if r := recover(); r != nil {
				s.log.Error("feed handler panicked", "panic", r)
			}
		},
	})
}

// feedConn is one subscriber's connection. Only its own goroutine writes
// data frames; the reader goroutine only answers control frames (which
// fasthttp/websocket allows concurrently).
type feedConn struct {
	s        *Server
	conn     *fws.Conn
	log      *slog.Logger
	readDone chan struct{}
	buf      []byte
}

func (s *Server) serveFeed(conn *websocket.Conn) {
	from, _ := conn.Locals(localFromOffset).(uint64)
	slot, _ := conn.Locals(localSlot).(*feedSlot)
	// The wrapper conn goes back to contrib's pool when this returns: keep
	// the library's connection, and stop the reader before returning.
	fc := &feedConn{
		s:        s,
		conn:     conn.Conn,
		log:      s.log.With("remote", conn.RemoteAddr().String(), "from_offset", from),
		readDone: make(chan struct{}),
	}
	go fc.readLoop()
	defer func() {
		_ = fc.conn.NetConn().Close() // unblocks the reader; fasthttp closes it again
		<-fc.readDone
	}()
	if slot == nil {
		fc.close(fws.CloseInternalServerErr, "internal error")
		return
	}
	if !slot.claim() {
		// The slot expired before the connection started: admit again.
		if s.reserveSlot(slot.ip) != nil {
			fc.close(fws.ClosePolicyViolation, "too many subscribers")
			return
		}
	}
	defer s.releaseSlot(slot.ip)
	if !s.feeds.enter() {
		fc.close(fws.CloseGoingAway, "server shutting down")
		return
	}
	defer s.feeds.exit()
	s.metrics.subscribers.Inc()
	defer s.metrics.subscribers.Dec()
	fc.log.Debug("feed subscriber connected")
	fc.run(from)
}

// readLoop discards inbound messages (≤ WSReadLimit), lets the library answer
// pings and close frames, and drops a peer silent for two ping intervals.
func (fc *feedConn) readLoop() {
	defer close(fc.readDone)
	idle := 2*fc.s.cfg.WSPingInterval + fc.s.cfg.WSWriteTimeout
	fc.conn.SetReadLimit(WSReadLimit)
	_ = fc.conn.SetReadDeadline(time.Now().Add(idle))
	fc.conn.SetPongHandler(func(string) error {
		return fc.conn.SetReadDeadline(time.Now().Add(idle))
	})
	for {
		_, r, err := fc.conn.NextReader()
		if err != nil {
			return
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			return
		}
		_ = fc.conn.SetReadDeadline(time.Now().Add(idle))
	}
}

// run streams the catch-up from the database and then the live tail.
func (fc *feedConn) run(from uint64) {
	s := fc.s
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stopping:
		case <-fc.readDone:
		case <-ctx.Done():
		}
		cancel()
	}()

	n, err := s.deps.Feed.CountAfter(ctx, from, s.cfg.CatchUpWindow)
	if err != nil {
		fc.fail(ctx, "count catch-up", err)
		return
	}
	if n > s.cfg.CatchUpWindow {
		fc.close(fws.ClosePolicyViolation, fmt.Sprintf("catch-up window exceeded: live_start_offset=%d", s.deps.Hub.Head()))
		return
	}

	// Subscribe first, then read the database up to the subscription's
	// head: together they miss nothing, and the live loop drops what the
	// catch-up already sent.
	sub, head := s.deps.Hub.Subscribe(s.cfg.SubscriberBuffer)
	defer sub.Close()
	if sub.Restarted() {
		// The lane stopped being the writer since the pre-check.
		fc.close(CloseWriterRestart, CloseWriterRestartReason)
		return
	}
	last := from
	for last < head {
		entries, err := s.deps.Feed.Entries(ctx, last, s.cfg.CatchUpPage)
		if err != nil {
			fc.fail(ctx, "read catch-up", err)
			return
		}
		progressed := false
		for _, e := range entries {
			if e.Offset > head {
				break
			}
			if err := fc.writeEntry(e); err != nil {
				return
			}
			last, progressed = e.Offset, true
		}
		if !progressed || len(entries) < s.cfg.CatchUpPage {
			break
		}
	}

	ping := time.NewTicker(s.cfg.WSPingInterval)
	defer ping.Stop()
	for {
		select {
		case ev, ok := <-sub.C:
			if !ok {
				switch {
				case sub.Overflowed():
					fc.log.Info("feed subscriber too slow: closing")
					fc.close(fws.ClosePolicyViolation, "slow consumer")
				case sub.Restarted():
					fc.log.Info("writer restarted: closing feed subscriber", "last_offset", last)
					fc.close(CloseWriterRestart, CloseWriterRestartReason)
				default:
					fc.close(fws.CloseGoingAway, "feed closed")
				}
				return
			}
			if ev.Rewound {
				fc.close(CloseHistoryRewound, fmt.Sprintf("history rewound: last_valid_offset=%d", ev.LastValidOffset))
				return
			}
			for _, e := range ev.Entries {
				if e.Offset <= last {
					continue
				}
				if err := fc.writeEntry(e); err != nil {
					return
				}
				last = e.Offset
			}
		case <-ping.C:
			if err := fc.conn.WriteControl(fws.PingMessage, nil, time.Now().Add(pingTimeout)); err != nil {
				return
			}
		case <-fc.readDone:
			return
		case <-s.stopping:
			fc.close(fws.CloseGoingAway, "server shutting down")
			return
		}
	}
}

// fail ends the connection after a database error: quietly if the
// connection or the server is going away, else with 1011.
func (fc *feedConn) fail(ctx context.Context, what string, err error) {
	select {
	case <-fc.s.stopping:
		fc.close(fws.CloseGoingAway, "server shutting down")
		return
	case <-fc.readDone:
		return
	default:
	}
	if ctx.Err() == nil || !errors.Is(err, context.Canceled) {
		fc.log.Error("feed "+what+" failed", "err", err)
	}
	fc.close(fws.CloseInternalServerErr, "internal error")
}

func (fc *feedConn) writeEntry(e feed.Entry) error {
	fc.buf = appendEntryJSON(fc.buf[:0], e)
	_ = fc.conn.SetWriteDeadline(time.Now().Add(fc.s.cfg.WSWriteTimeout))
	return fc.conn.WriteMessage(fws.TextMessage, fc.buf)
}

// close sends a close frame and waits briefly for the peer's reply (closing
// the socket with unread input could reset it before the peer reads the
// close frame).
func (fc *feedConn) close(code int, reason string) {
	msg := fws.FormatCloseMessage(code, reason)
	if err := fc.conn.WriteControl(fws.CloseMessage, msg, time.Now().Add(fc.s.cfg.WSWriteTimeout)); err != nil {
		return
	}
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-fc.readDone:
	case <-t.C:
	}
}

// appendEntryJSON appends the feed's JSON form of e (service.md §3):
// addresses EIP-55, bytes 0x hex; generation is its batch's recovery
// generation (docs/history.md). GET /history pages the same objects.
func appendEntryJSON(b []byte, e feed.Entry) []byte {
	switch e.Kind {
	case feed.KindDirectInput:
		b = append(b, `{"kind":"direct_input","offset":`...)
		b = strconv.AppendUint(b, e.Offset, 10)
		b = append(b, `,"sender":"`...)
		b = append(b, e.Sender.Hex()...)
		b = append(b, `","payload":"`...)
		b = appendHex(b, e.Payload)
		b = append(b, `","block_number":`...)
		b = strconv.AppendUint(b, e.BlockNumber, 10)
		b = append(b, `,"input_index":`...)
		b = strconv.AppendUint(b, e.InputIndex, 10)
	default:
		b = append(b, `{"kind":"user_op","offset":`...)
		b = strconv.AppendUint(b, e.Offset, 10)
		b = append(b, `,"sender":"`...)
		b = append(b, e.Sender.Hex()...)
		b = append(b, `","nonce":`...)
		b = strconv.AppendUint(b, uint64(e.Nonce), 10)
		b = append(b, `,"fee":`...)
		b = strconv.AppendUint(b, uint64(e.Fee), 10)
		b = append(b, `,"data":"`...)
		b = appendHex(b, e.Data)
		b = append(b, `","safe_block":`...)
		b = strconv.AppendUint(b, e.SafeBlock, 10)
	}
	b = append(b, `,"batch_nonce":`...)
	b = strconv.AppendUint(b, e.BatchNonce, 10)
	b = append(b, `,"generation":`...)
	b = strconv.AppendUint(b, e.Generation, 10)
	return append(b, '}')
}

func appendHex(b, data []byte) []byte {
	const digits = "0123456789abcdef"
	b = append(b, '0', 'x')
	for _, c := range data {
		b = append(b, digits[c>>4], digits[c&0x0f])
	}
	return b
}
