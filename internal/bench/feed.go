package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
)

// frame is one raw feed message and when it arrived (ns since the run's
// epoch). Frames are decoded after the load so the subscriber does the
// least work while it runs.
type frame struct {
	at  int64
	raw []byte
}

// feedEntry is the part of a feed message the bench checks.
type feedEntry struct {
	Kind   string `json:"kind"`
	Offset uint64 `json:"offset"`
	Sender string `json:"sender"`
	Nonce  uint32 `json:"nonce"`
	at     int64
}

// subscriber reads GET /ws/subscribe from a starting offset and keeps
// every frame with its arrival time.
type subscriber struct {
	conn  *websocket.Conn
	epoch time.Time

	mu     sync.Mutex
	frames []frame
	err    error // why reading stopped; nil while running
	done   chan struct{}
}

// subscribe connects to the feed after fromOffset and starts reading.
func subscribe(ctx context.Context, addr string, fromOffset uint64, epoch time.Time) (*subscriber, error) {
	url := fmt.Sprintf("ws://%s/ws/subscribe?from_offset=%d", addr, fromOffset)
	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 64 << 10}
	conn, resp, err := dialer.DialContext(ctx, url, nil)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("subscribe to the feed: %w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("subscribe to the feed: %w", err)
	}
	s := &subscriber{conn: conn, epoch: epoch, frames: make([]frame, 0, 1<<16), done: make(chan struct{})}
	go s.read()
	return s, nil
}

// read appends frames until the connection fails or is closed.
func (s *subscriber) read() {
	defer close(s.done)
	for {
		_, raw, err := s.conn.ReadMessage()
		at := time.Since(s.epoch).Nanoseconds()
		s.mu.Lock()
		if err != nil {
			s.err = err
			s.mu.Unlock()
			return
		}
		s.frames = append(s.frames, frame{at: at, raw: raw})
		s.mu.Unlock()
	}
}

// since returns the frames received from index i on, and the read error if
// the subscription has ended.
func (s *subscriber) since(i int) ([]frame, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frames[i:len(s.frames):len(s.frames)], s.err
}

// close ends the subscription with a normal closure.
func (s *subscriber) close() {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bench done")
	_ = s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	_ = s.conn.Close()
	<-s.done
}

// collector decodes frames incrementally into entries by offset.
type collector struct {
	sub     *subscriber
	next    int
	entries map[uint64]feedEntry
}

func newCollector(sub *subscriber) *collector {
	return &collector{sub: sub, entries: make(map[uint64]feedEntry)}
}

// poll decodes the frames received since the last poll. A read error is
// returned only if the feed ended abnormally.
func (c *collector) poll() error {
	frames, readErr := c.sub.since(c.next)
	for _, f := range frames {
		var e feedEntry
		if err := json.Unmarshal(f.raw, &e); err != nil {
			return fmt.Errorf("decode feed frame %q: %w", truncate(f.raw, 200), err)
		}
		e.at = f.at
		c.entries[e.Offset] = e
	}
	c.next += len(frames)
	if readErr != nil && !websocket.IsCloseError(readErr, websocket.CloseNormalClosure) {
		return fmt.Errorf("feed ended: %w", readErr)
	}
	return nil
}

// awaitAll polls until every offset in want has arrived, the feed fails, or
// timeout passes; it returns how many are still missing.
func (c *collector) awaitAll(ctx context.Context, want []uint64, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		if err := c.poll(); err != nil {
			return c.missing(want), err
		}
		missing := c.missing(want)
		if missing == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return missing, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *collector) missing(want []uint64) int {
	n := 0
	for _, o := range want {
		if _, ok := c.entries[o]; !ok {
			n++
		}
	}
	return n
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return strings.ToValidUTF8(string(b[:n]), "?") + "…"
	}
	return string(b)
}
