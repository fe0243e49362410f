// Package pgtest gives integration tests real, throwaway PostgreSQL
// databases.
//
// Typical use, once per test package:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
//
//	func TestSomething(t *testing.T) {
//		t.Parallel()
//		url := pgtest.NewDatabase(t, pgtest.WithTemplate("schema-v1", migrate))
//		// url names a fresh database only this test uses; it is dropped
//		// in t.Cleanup.
//	}
//
// The server behind the databases is, per test binary, either
//   - the server named by $SEQ_TEST_DATABASE_URL (a URL whose user may
//     CREATE DATABASE; its database path is used for admin connections), or
//   - a private cluster (internal/pgcluster) in a temporary directory, started
//     lazily by the first NewDatabase and destroyed when Run returns.
//
// Tests that need to stop, crash or restart PostgreSQL must not touch the
// shared server (other tests run against it in parallel); they get their own
// cluster from NewCluster.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cartesi/sequencer/internal/pgcluster"
)

// EnvDatabaseURL names the environment variable that points the harness at
// an existing PostgreSQL server instead of starting one.
const EnvDatabaseURL = "SEQ_TEST_DATABASE_URL"

// Timeouts for harness operations. Template initialisers (e.g. migrations)
// get the longest.
const (
	startTimeout    = 60 * time.Second
	templateTimeout = 5 * time.Minute
	adminTimeout    = 30 * time.Second
)

// TemplateFunc prepares a template database reachable at connURL (e.g. by
// running migrations). It must close every connection it opens before
// returning; any that remain are terminated.
type TemplateFunc func(ctx context.Context, connURL string) error

// Option configures NewDatabase.
type Option func(*dbOptions)

type dbOptions struct {
	templateKey  string
	templateInit TemplateFunc
}

// WithTemplate makes NewDatabase clone a template database prepared by init.
// init runs at most once per server per key (concurrent callers wait for
// it); its result, success or failure, is shared by every database created
// with the same key, so one key must always mean the same init.
func WithTemplate(key string, init TemplateFunc) Option {
	return func(o *dbOptions) {
		o.templateKey = key
		o.templateInit = init
	}
}

// ServerOptions configures a Server. The zero value is usable.
type ServerOptions struct {
	// URL of an existing server to use; empty means $SEQ_TEST_DATABASE_URL,
	// and if that is empty too a private cluster is started.
	URL string
	// Logger receives harness events; nil discards them.
	Logger *slog.Logger
	// Cluster configures the private cluster (ignored with an external URL).
	Cluster pgcluster.Options
}

// Server hands out per-test databases on one PostgreSQL server. It connects
// (or starts its cluster) lazily on first use, exactly once; a failure to do
// so is remembered and fails every later NewDatabase. All methods are safe
// for concurrent use.
type Server struct {
	opts    ServerOptions
	log     *slog.Logger
	runID   string // distinguishes this test binary's databases on a shared server
	managed atomic.Bool

	startOnce sync.Once
	startErr  error
	cluster   *pgcluster.Cluster // nil with an external server
	admin     *url.URL           // admin connection URL

	seq atomic.Uint64

	// createMu serialises CREATE DATABASE. PostgreSQL refuses to clone a
	// source database that has other sessions; serialising means clones
	// never race each other on a template (templates also refuse new
	// sessions and have leaked ones terminated after initialisation).
	createMu sync.Mutex

	tmplMu    sync.Mutex
	templates map[string]*template

	closeOnce sync.Once
	closeErr  error
	closed    atomic.Bool
}

type template struct {
	once sync.Once
	name string
	err  error
}

// NewServer returns an unstarted Server. Call its Run from TestMain (or
// Close it) so that whatever it starts is torn down.
func NewServer(opts ServerOptions) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return &Server{
		opts:      opts,
		log:       log.With("component", "pgtest"),
		runID:     hex.EncodeToString(b[:]),
		templates: make(map[string]*template),
	}
}

// Run runs the tests, then tears the server down (Close) and returns the
// exit code for os.Exit; a teardown failure turns success into failure.
func (s *Server) Run(m *testing.M) int {
	s.managed.Store(true)
	code := m.Run()
	if err := s.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: teardown: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Close destroys the private cluster, or drops the template databases made
// on an external server. Per-test databases are dropped by their tests'
// cleanups. Close is idempotent; NewDatabase fails after it.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		// Wait for (or pre-empt) a start in progress.
		s.startOnce.Do(func() { s.startErr = errors.New("pgtest: server closed before use") })
		if s.cluster != nil {
			ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
			defer cancel()
			s.closeErr = s.cluster.Destroy(ctx)
			return
		}
		if s.admin != nil {
			s.closeErr = s.dropTemplates()
		}
	})
	return s.closeErr
}

// NewDatabase creates an empty database (or, with WithTemplate, a clone of
// the template) for t alone and returns its connection URL. The database is
// dropped, with any sessions still connected to it, in t.Cleanup. Any
// failure is fatal to t. Safe to call from parallel tests.
func (s *Server) NewDatabase(t testing.TB, opts ...Option) string {
	t.Helper()
	var o dbOptions
	for _, opt := range opts {
		opt(&o)
	}
	if err := s.ensureStarted(); err != nil {
		t.Fatal(err)
	}
	tmpl := ""
	if o.templateInit != nil {
		var err error
		if tmpl, err = s.template(o.templateKey, o.templateInit); err != nil {
			t.Fatal(err)
		}
	}
	name := s.dbName("t", t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if err := s.createDatabase(ctx, name, tmpl); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
		defer cancel()
		if err := s.adminExec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return s.dbURL(name)
}

func (s *Server) ensureStarted() error {
	if !s.managed.Load() {
		return errors.New("pgtest: Run was not called: add `func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }` to the test package")
	}
	if s.closed.Load() {
		return errors.New("pgtest: server already closed")
	}
	s.startOnce.Do(func() { s.startErr = s.start() })
	return s.startErr
}

func (s *Server) start() error {
	raw := s.opts.URL
	if raw == "" {
		raw = os.Getenv(EnvDatabaseURL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return fmt.Errorf("pgtest: %s must be a postgres:// URL (got %q): %v", EnvDatabaseURL, raw, err)
		}
		conn, err := pgx.Connect(ctx, raw)
		if err != nil {
			return fmt.Errorf("pgtest: connect to external server: %w", err)
		}
		_ = conn.Close(ctx)
		s.admin = u
		s.log.Info("using external server", "host", u.Host)
		return nil
	}
	copts := s.opts.Cluster
	if copts.Logger == nil {
		copts.Logger = s.log
	}
	c, err := pgcluster.NewTemp(ctx, copts)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if err := c.Start(ctx); err != nil {
		_ = c.Destroy(context.Background())
		return fmt.Errorf("pgtest: %w", err)
	}
	s.cluster = c
	s.admin, err = url.Parse(c.URL("postgres"))
	if err != nil { // cannot happen: pgcluster builds the URL
		_ = c.Destroy(context.Background())
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// template returns the name of the template database for key, creating and
// initialising it on first use.
func (s *Server) template(key string, init TemplateFunc) (string, error) {
	s.tmplMu.Lock()
	tp, ok := s.templates[key]
	if !ok {
		tp = &template{name: s.dbName("tpl", key)}
		s.templates[key] = tp
	}
	s.tmplMu.Unlock()

	tp.once.Do(func() {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), templateTimeout)
		defer cancel()
		tp.err = s.initTemplate(ctx, tp.name, init)
		if tp.err != nil {
			tp.err = fmt.Errorf("pgtest: template %q: %w", key, tp.err)
			return
		}
		s.log.Info("template ready", "key", key, "db", tp.name, "took", time.Since(start).Round(time.Millisecond))
	})
	return tp.name, tp.err
}

func (s *Server) initTemplate(ctx context.Context, name string, init TemplateFunc) error {
	if err := s.createDatabase(ctx, name, ""); err != nil {
		return err
	}
	if err := init(ctx, s.dbURL(name)); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	// No new sessions, then end any the initialiser leaked: a template with
	// sessions cannot be cloned.
	q := ident(name)
	if err := s.adminExec(ctx, "ALTER DATABASE "+q+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"); err != nil {
		return err
	}
	return s.adminExec(ctx,
		"SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
		name)
}

func (s *Server) createDatabase(ctx context.Context, name, tmpl string) error {
	sql := "CREATE DATABASE " + ident(name)
	if tmpl != "" {
		sql += " TEMPLATE " + ident(tmpl)
	}
	s.createMu.Lock()
	defer s.createMu.Unlock()
	if err := s.adminExec(ctx, sql); err != nil {
		return fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return nil
}

func (s *Server) dropTemplates() error {
	s.tmplMu.Lock()
	defer s.tmplMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	var errs []error
	for _, tp := range s.templates {
		q := ident(tp.name)
		// A template cannot be dropped; the statement is a no-op if the
		// database was never created.
		err := s.adminExec(ctx, "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_database WHERE datname = "+
			quoteLiteral(tp.name)+") THEN ALTER DATABASE "+q+" WITH IS_TEMPLATE false; END IF; END $$")
		if err == nil {
			err = s.adminExec(ctx, "DROP DATABASE IF EXISTS "+q+" WITH (FORCE)")
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("pgtest: drop template %s: %w", tp.name, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Server) adminExec(ctx context.Context, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, s.admin.String())
	if err != nil {
		return fmt.Errorf("admin connect: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		return err
	}
	return nil
}

// dbURL is the admin URL with its database replaced by name.
func (s *Server) dbURL(name string) string {
	u := *s.admin
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// dbName builds a unique, valid (<= 63 bytes, [a-z0-9_]) database name:
// prefix, this run's ID, a sequence number and a readable hint, truncated.
func (s *Server) dbName(prefix, hint string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(hint) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(hint))
	name := fmt.Sprintf("%s_%s_%d_%08x_%s", prefix, s.runID, s.seq.Add(1), h.Sum32(), b.String())
	if len(name) > 63 {
		name = name[:63]
	}
	return name
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// NewCluster starts a private cluster in a temporary directory for t alone
// (about a second) and destroys it in t.Cleanup. Use it for tests that stop,
// kill or restart PostgreSQL; connect with c.URL("postgres"). It ignores
// $SEQ_TEST_DATABASE_URL and needs no TestMain. Any failure is fatal to t.
func NewCluster(t testing.TB, opts pgcluster.Options) *pgcluster.Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	c, err := pgcluster.NewTemp(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
		defer cancel()
		if err := c.Destroy(ctx); err != nil {
			t.Errorf("pgtest: destroy cluster: %v", err)
		}
	})
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}
