// Package feed is the replay feed's in-process fan-out: the inclusion lane
// publishes entries right after their transaction commits, and every
// WebSocket subscriber receives them through a bounded buffer. A subscriber
// that cannot keep up is cut off (Overflowed) instead of slowing anyone else.
package feed

import (
	"sync"

	"github.com/ethereum/go-ethereum/common"
)

// Kind tells user ops from drained direct inputs.
type Kind string

const (
	KindUserOp      Kind = "user_op"
	KindDirectInput Kind = "direct_input"
)

// Entry is one sequenced transaction, in the scheduler's execution order.
type Entry struct {
	Offset     uint64
	Kind       Kind
	Sender     common.Address
	BatchNonce uint64
	// Generation is the recovery generation its batch was created in
	// (batches.generation): a resuming client names the newest it saw, so
	// the server can tell whether a later recovery revoked what it holds.
	Generation uint64

	// User ops.
	Nonce     uint32
	Fee       uint16
	Data      []byte
	SafeBlock uint64

	// Direct inputs.
	Payload     []byte
	BlockNumber uint64
	InputIndex  uint64
}

// Event is what a subscription delivers: a batch of committed entries, or a
// rewind (recovery invalidated history after LastValidOffset).
type Event struct {
	Entries         []Entry
	Rewound         bool
	LastValidOffset uint64
}

// Hub fans committed entries out to subscribers. Its methods are safe for
// concurrent use.
//
// A hub is live while its process is the writer. Suspend (the process
// stopped being the writer) closes every subscriber as Restarted and refuses
// new ones until the lane rebuilds (Rebuilt or Rewind): live subscribers are
// only ever fed by the process that writes, so none waits on a standby or
// silently skips what another process sequenced.
type Hub struct {
	mu        sync.Mutex
	subs      map[*Subscription]struct{}
	head      uint64 // offset of the last published entry
	suspended bool
}

// NewHub returns a live hub whose head is the last committed offset.
func NewHub(head uint64) *Hub {
	return &Hub{subs: make(map[*Subscription]struct{}), head: head}
}

// Subscription receives events on C until it is closed: by Close, by a
// rewind (after delivering the rewind event), by overflow, or by a restart
// of the writer (Restarted).
type Subscription struct {
	C          <-chan Event
	c          chan Event
	hub        *Hub
	overflowed bool
	restarted  bool
	closed     bool
}

// Subscribe registers a subscriber with a buffer of capacity events and
// returns it with the head offset at the moment of subscribing: every entry
// after head will be delivered on C, so a catch-up read up to head followed
// by C misses nothing. On a suspended hub the subscription comes back
// already closed and Restarted.
func (h *Hub) Subscribe(capacity int) (*Subscription, uint64) {
	c := make(chan Event, capacity)
	s := &Subscription{C: c, c: c, hub: h}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.suspended {
		s.restarted, s.closed = true, true
		close(s.c)
		return s, h.head
	}
	h.subs[s] = struct{}{}
	return s, h.head
}

// Suspend closes every subscriber as Restarted and refuses new ones until
// Rebuilt or Rewind: the process stopped being the writer (its lane session
// ended, or another process holds the writer lock). Idempotent.
func (h *Hub) Suspend() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.suspended = true
	h.restartLocked()
}

// Rebuilt makes the hub live again after the lane rebuilt its state from the
// database, head being the database's last valid offset. Subscribers still
// registered keep streaming only when head is the offset they were served up
// to; otherwise entries committed meanwhile (by another process, or by a
// write whose outcome the lane never learned) would be skipped, so they are
// closed as Restarted and reconnect.
func (h *Hub) Rebuilt(head uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if head != h.head {
		h.restartLocked()
	}
	h.head, h.suspended = head, false
}

func (h *Hub) restartLocked() {
	for s := range h.subs {
		s.restarted = true
		h.closeLocked(s)
	}
}

// Count returns the number of live subscribers.
func (h *Hub) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Head returns the offset of the last published entry.
func (h *Hub) Head() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.head
}

// Publish delivers committed entries (in offset order) to every subscriber
// without blocking; a subscriber whose buffer is full is closed as
// overflowed. The caller must not modify entries afterwards.
func (h *Hub) Publish(entries []Entry) {
	if len(entries) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.head = entries[len(entries)-1].Offset
	ev := Event{Entries: entries}
	for s := range h.subs {
		select {
		case s.c <- ev:
		default:
			s.overflowed = true
			h.closeLocked(s)
		}
	}
}

// Rewind tells every subscriber that history after lastValid was
// invalidated, and closes them all: they must reconnect. head is the new last
// committed offset (offsets are never reused, so it may exceed lastValid).
// The hub is live afterwards.
func (h *Hub) Rewind(lastValid, head uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.head, h.suspended = head, false
	for s := range h.subs {
		select {
		case s.c <- Event{Rewound: true, LastValidOffset: lastValid}:
		default:
			s.overflowed = true
		}
		h.closeLocked(s)
	}
}

// SetHead moves the head without publishing or closing anyone (tests and
// tools that write history themselves; the lane uses Rebuilt).
func (h *Hub) SetHead(head uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.head = head
}

func (h *Hub) closeLocked(s *Subscription) {
	if s.closed {
		return
	}
	s.closed = true
	delete(h.subs, s)
	close(s.c)
}

// Close unregisters the subscription. Idempotent.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.closeLocked(s)
}

// Overflowed reports whether the hub closed the subscription because its
// buffer was full (a slow consumer). Meaningful once C is closed.
func (s *Subscription) Overflowed() bool {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.overflowed
}

// Restarted reports whether the hub closed the subscription because the
// process stopped being the writer or rebuilt to a head the subscriber was
// not served up to: it must reconnect (wherever the writer is) and resume
// from its last offset. Meaningful once C is closed.
func (s *Subscription) Restarted() bool {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.restarted
}
