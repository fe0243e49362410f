// Package api serves the sequencer's HTTP surface on fiber v2: the public
// API (POST /tx, GET /fee, /nonce, /domain, the WebSocket replay feed and the
// health routes, service.md §3) on one listener and the operator routes
// (snapshots and /metrics, §4) on another.
//
// Its dependencies are small interfaces declared here (Lane, FeedStore,
// SnapshotStore, Pinger) so handlers can be tested against fakes and the
// concrete lane and stores stay in their packages.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cartesi/sequencer/feed"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/internal/receipt"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
)

// Limits fixed by the service specification.
const (
	// MaxBodyBytes is the largest POST /tx body accepted (413 beyond).
	MaxBodyBytes = 4096
	// MaxSubscribers is the most WebSocket feed subscribers served at once
	// (the next one gets 429 before the upgrade).
	MaxSubscribers = 64
	// MaxCatchUp is the most entries a subscriber may ask to replay from the
	// database; beyond it the connection is closed 1008 and the client must
	// load a snapshot.
	MaxCatchUp = 50_000
	// WSReadLimit bounds inbound WebSocket messages.
	WSReadLimit = 8 << 10
)

// Internal defaults for the tunables of Config.
const (
	DefaultSubscriberBuffer = 1024
	DefaultCatchUpPage      = 1000
	DefaultWSWriteTimeout   = 10 * time.Second
	DefaultWSPingInterval   = 30 * time.Second
	DefaultShutdownTimeout  = 10 * time.Second
	closeGrace              = time.Second // wait for the peer's close reply
	pingTimeout             = 2 * time.Second
)

// Config is where the API listens and its internal tunables. Zero values
// take the defaults above.
type Config struct {
	// PublicAddr is SEQ_HTTP_ADDR (127.0.0.1:3000 by default in the CLI);
	// InternalAddr is SEQ_INTERNAL_HTTP_ADDR. ":0" ports pick free ones.
	PublicAddr   string
	InternalAddr string

	// SubscriberBuffer is each feed subscription's buffer, in hub events
	// (one event is one group commit); a subscriber whose buffer fills is
	// closed as a slow consumer.
	SubscriberBuffer int
	// CatchUpPage is how many entries a catch-up reads per query.
	CatchUpPage int
	// WSWriteTimeout bounds every WebSocket write, so a client that stops
	// reading cannot hold a goroutine forever.
	WSWriteTimeout time.Duration
	// WSPingInterval is how often the server pings an idle subscriber; one
	// that answers nothing for two intervals is dropped.
	WSPingInterval time.Duration
	// ShutdownTimeout bounds Run's graceful shutdown.
	ShutdownTimeout time.Duration

	// Feed and history limits (SEQ_FEED_*, SEQ_HISTORY_*; ws.go,
	// history.go, docs/history.md). Zero values take the defaults.
	MaxSubscribers       int  // global feed cap (MaxSubscribers)
	MaxSubscribersPerIP  int  // per client IP (DefaultMaxSubscribersPerIP)
	DisableCompression   bool // never negotiate permessage-deflate
	HistoryMaxConcurrent int  // GET /history reads in flight (DefaultHistoryMaxConcurrent)
	// CatchUpWindow is the most entries a resume may replay over the feed
	// (MaxCatchUp; tests shorten it).
	CatchUpWindow int
}

func (c Config) withDefaults() Config {
	if c.SubscriberBuffer <= 0 {
		c.SubscriberBuffer = DefaultSubscriberBuffer
	}
	if c.CatchUpPage <= 0 {
		c.CatchUpPage = DefaultCatchUpPage
	}
	if c.WSWriteTimeout <= 0 {
		c.WSWriteTimeout = DefaultWSWriteTimeout
	}
	if c.WSPingInterval <= 0 {
		c.WSPingInterval = DefaultWSPingInterval
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.MaxSubscribers <= 0 {
		c.MaxSubscribers = MaxSubscribers
	}
	if c.MaxSubscribersPerIP <= 0 {
		c.MaxSubscribersPerIP = DefaultMaxSubscribersPerIP
	}
	if c.HistoryMaxConcurrent <= 0 {
		c.HistoryMaxConcurrent = DefaultHistoryMaxConcurrent
	}
	if c.CatchUpWindow <= 0 {
		c.CatchUpWindow = MaxCatchUp
	}
	return c
}

// Lane is the inclusion lane as the API uses it. Implementations must be
// safe for concurrent use: handlers call it from many goroutines.
type Lane interface {
	// Submit enqueues a verified op without blocking on a full queue and
	// waits for its durable commit. Errors: hotpath.ErrUnavailable,
	// *hotpath.BacklogError (admission control sheds: 429 L1_BACKLOG),
	// hotpath.ErrQueueFull, *hotpath.RejectedError, or anything else
	// (internal).
	Submit(ctx context.Context, op hotpath.Op) (hotpath.Receipt, error)
	// Quote is the open frame's fee and the recommended fee;
	// hotpath.ErrUnavailable unless the lane is the active writer with
	// intake open.
	Quote() (hotpath.FeeQuote, error)
	// NextNonce is the sender's next nonce in the lane's state;
	// hotpath.ErrUnavailable as for Quote.
	NextNonce(sender common.Address) (uint32, error)
	// MaxPayloadSize is the application's largest user op data, in bytes.
	MaxPayloadSize() int
	// Status is the lane's health, admission figures included.
	Status() hotpath.Status
}

// FeedStore reads the persisted replay feed (store.FeedReader).
type FeedStore interface {
	Entries(ctx context.Context, afterOffset uint64, limit int) ([]feed.Entry, error)
	CountAfter(ctx context.Context, afterOffset uint64, limit int) (int, error)
	OffsetState(ctx context.Context, offset uint64) (invalidated bool, lastValidBefore uint64, err error)
	// ResumeState and Page decide and serve resumes (history.go).
	ResumeState(ctx context.Context, q store.ResumeQuery) (store.ResumeState, error)
	Page(ctx context.Context, q store.ResumeQuery, limit int, check func(store.ResumeState) error) (store.ResumeState, []feed.Entry, error)
}

// SnapshotStore reads snapshots (store.SnapshotReader).
type SnapshotStore interface {
	FinalizedSnapshot(ctx context.Context) (store.Snapshot, bool, error)
	FinalizedSnapshotInfo(ctx context.Context) (store.Snapshot, bool, error)
	LatestSnapshot(ctx context.Context) (store.Snapshot, bool, error)
}

// ReceiptSigner signs soft confirmations (*receipt.Signer). Sign is called
// concurrently from the POST /tx handlers, after the lane's commit.
type ReceiptSigner interface {
	Sign(c receipt.Confirmation) (receipt.Receipt, error)
	Address() common.Address
}

// Pinger checks the database for /healthz (*pgxpool.Pool has it).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are the API's collaborators. Lane, Feed, Hub and Snapshots are
// required; Log defaults to discarding; a nil Registerer leaves the API's
// metrics unregistered; a nil Gatherer disables /metrics; a nil DB reports
// "unknown" in /healthz. Registerer and Gatherer are usually the same
// *prometheus.Registry.
type Deps struct {
	Lane       Lane
	Feed       FeedStore
	Snapshots  SnapshotStore
	Hub        *feed.Hub
	Domain     protocol.Domain
	DB         Pinger
	Log        *slog.Logger
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer

	// Receipts signs POST /tx's soft confirmations; nil disables receipts
	// (no receipt in the body, GET /receipt_key is 404 RECEIPTS_DISABLED).
	Receipts ReceiptSigner
}

// Server is the public and internal HTTP servers. Its methods are safe for
// concurrent use; Listen, Run and Shutdown are meant to be called once each.
type Server struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	metrics *metrics

	public   *fiber.App
	internal *fiber.App

	// slots admits feed subscribers (global and per-IP caps, ws.go).
	slots feedSlots
	// history bounds the GET /history reads in flight (history.go).
	history chan struct{}
	// stopping is closed by Shutdown: feed handlers close with 1001.
	stopping chan struct{}
	stopOnce sync.Once
	stopErr  error
	// feeds tracks live feed handlers so Shutdown can wait for them.
	feeds tracker

	mu           sync.Mutex
	publicLn     net.Listener
	internalLn   net.Listener
	serveStarted bool
}

// New builds the server; it does not listen yet.
func New(cfg Config, deps Deps) *Server {
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:      cfg.withDefaults(),
		deps:     deps,
		log:      log.With("component", "api"),
		metrics:  newMetrics(deps.Registerer),
		stopping: make(chan struct{}),
	}
	s.slots.perIP = make(map[string]int)
	s.history = make(chan struct{}, s.cfg.HistoryMaxConcurrent)
	s.public = fiber.New(fiber.Config{
		AppName:               "sequencer",
		BodyLimit:             MaxBodyBytes,
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler(true),
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
	})
	s.routesPublic(s.public)
	s.internal = fiber.New(fiber.Config{
		AppName:               "sequencer-internal",
		BodyLimit:             MaxBodyBytes,
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler(false),
		ReadTimeout:           30 * time.Second,
		IdleTimeout:           120 * time.Second,
	})
	s.routesInternal(s.internal)
	return s
}

// PublicApp is the public fiber app (for app.Test in tests).
func (s *Server) PublicApp() *fiber.App { return s.public }

// InternalApp is the internal fiber app.
func (s *Server) InternalApp() *fiber.App { return s.internal }

// Listen binds both listeners, so bind errors surface before serving and
// ":0" addresses are resolved (see PublicAddr, InternalAddr). Idempotent.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.publicLn != nil {
		return nil
	}
	pub, err := net.Listen("tcp", s.cfg.PublicAddr)
	if err != nil {
		return fmt.Errorf("listen on public address %q: %w", s.cfg.PublicAddr, err)
	}
	in, err := net.Listen("tcp", s.cfg.InternalAddr)
	if err != nil {
		_ = pub.Close()
		return fmt.Errorf("listen on internal address %q: %w", s.cfg.InternalAddr, err)
	}
	s.publicLn, s.internalLn = pub, in
	return nil
}

// PublicAddr is the bound public address (nil before Listen).
func (s *Server) PublicAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.publicLn == nil {
		return nil
	}
	return s.publicLn.Addr()
}

// InternalAddr is the bound internal address (nil before Listen).
func (s *Server) InternalAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.internalLn == nil {
		return nil
	}
	return s.internalLn.Addr()
}

// Run listens (if Listen was not called) and serves both apps until ctx is
// done or one fails, then shuts down gracefully within
// Config.ShutdownTimeout. It returns nil after a shutdown caused by ctx.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.serveStarted {
		s.mu.Unlock()
		return errors.New("api server already running")
	}
	s.serveStarted = true
	pub, in := s.publicLn, s.internalLn
	s.mu.Unlock()

	errc := make(chan error, 2)
	go func() { errc <- s.public.Listener(pub) }()
	go func() { errc <- s.internal.Listener(in) }()
	s.log.Info("api listening", "public", pub.Addr().String(), "internal", in.Addr().String())

	var serveErr error
	pending := 2
	select {
	case <-ctx.Done():
	case <-s.stopping: // Shutdown called directly
	case err := <-errc:
		pending--
		select {
		case <-s.stopping:
		default:
			serveErr = fmt.Errorf("serve http: %w", err)
			if err == nil {
				serveErr = errors.New("serve http: server stopped unexpectedly")
			}
		}
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil && serveErr == nil {
		serveErr = err
	}
	for ; pending > 0; pending-- {
		select {
		case <-errc:
		case <-sctx.Done():
			return errors.Join(serveErr, fmt.Errorf("wait for http servers: %w", sctx.Err()))
		}
	}
	return serveErr
}

// Shutdown closes every feed subscriber (1001), stops accepting requests,
// and waits for in-flight ones until ctx is done. Only the first call does
// the work; later ones return its result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() {
		close(s.stopping)
		s.stopErr = s.shutdown(ctx)
	})
	return s.stopErr
}

func (s *Server) shutdown(ctx context.Context) error {
	var errs []error
	if err := s.public.ShutdownWithContext(ctx); err != nil {
		errs = append(errs, fmt.Errorf("shut down public api: %w", err))
	}
	if err := s.internal.ShutdownWithContext(ctx); err != nil {
		errs = append(errs, fmt.Errorf("shut down internal api: %w", err))
	}
	// Close the listeners ourselves too: they may be bound but not served,
	// or Serve may not have registered them yet (then it returns at once).
	s.mu.Lock()
	for _, ln := range []net.Listener{s.publicLn, s.internalLn} {
		if ln != nil {
			_ = ln.Close() // already closed by a served app: ignore
		}
	}
	s.mu.Unlock()
	if err := s.feeds.wait(ctx); err != nil {
		errs = append(errs, fmt.Errorf("wait for feed subscribers: %w", err))
	}
	return errors.Join(errs...)
}

// tracker counts running goroutines and lets one wait for none to be left
// after it was stopped; enter fails once stopped.
type tracker struct {
	mu      sync.Mutex
	n       int
	stopped bool
	idle    chan struct{} // closed when stopped and n == 0
}

func (t *tracker) enter() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	t.n++
	return true
}

func (t *tracker) exit() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n--
	if t.stopped && t.n == 0 && t.idle != nil {
		close(t.idle)
		t.idle = nil
	}
}

func (t *tracker) wait(ctx context.Context) error {
	t.mu.Lock()
	t.stopped = true
	if t.n == 0 {
		t.mu.Unlock()
		return nil
	}
	if t.idle == nil {
		t.idle = make(chan struct{})
	}
	idle := t.idle
	t.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
