// Package pgcluster runs a local PostgreSQL server ("cluster" in PostgreSQL
// terms: one data directory served by one postmaster) as a child process.
//
// It is used by the test harness (internal/pgtest), which runs throwaway
// clusters in temporary directories, and by developer tooling, which runs a
// persistent cluster in a project directory and resumes its data on the next
// run. The server listens on 127.0.0.1 only, trusts every local connection
// (user "postgres", no password) and is tuned for speed, not durability (see
// DefaultSettings): never point it at data you care about.
//
// PostgreSQL refuses to run as root. When the current process is root the
// cluster's files are chowned to an unprivileged user (by default "nobody",
// or the owner of an existing data directory) and initdb/postgres are
// started with that user's credentials (the equivalent of `setpriv`/`runuser`,
// done natively through SysProcAttr.Credential). Every directory from the
// cluster directory up to / must then be traversable by that user.
//
// The postmaster is started with a parent-death signal (SIGQUIT, i.e.
// immediate shutdown), so it does not outlive the process that started it
// even if that process crashes; a crashed test binary may still leave its
// temporary directory behind.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Superuser is the superuser role created by initdb; URL connects as it.
const Superuser = "postgres"

// DefaultStartTimeout bounds how long Start waits for the server to accept
// connections when Options.StartTimeout is zero.
const DefaultStartTimeout = 60 * time.Second

// maxSocketPath is the longest unix socket path Linux accepts (sun_path is
// 108 bytes including the terminating NUL).
const maxSocketPath = 107

// DefaultSettings returns the server settings (postgres -c name=value) every
// cluster gets unless overridden through Options.Settings. They trade all
// durability for speed:
//
//   - fsync=off and full_page_writes=off lose data only if the machine
//     itself crashes;
//   - synchronous_commit=off means a commit can be acknowledged before its WAL
//     leaves PostgreSQL's shared memory, so Kill (immediate shutdown) may lose
//     the last few hundred milliseconds of acknowledged commits. Stop and
//     Restart (fast shutdown) lose nothing. Crash tests that assert
//     "acknowledged writes survive" must set synchronous_commit=on.
//
// A new map is returned on every call.
func DefaultSettings() map[string]string {
	return map[string]string{
		"fsync":              "off",
		"synchronous_commit": "off",
		"full_page_writes":   "off",
		"max_connections":    "200",
		"shared_buffers":     "32MB",
	}
}

// Options configures a Cluster. The zero value is usable.
type Options struct {
	// Port is the TCP port on 127.0.0.1. Zero picks a free port on the
	// first successful Start; later Starts (e.g. Restart) reuse it.
	Port int
	// Logger receives lifecycle events; nil discards them. The server's own
	// log goes to LogFile().
	Logger *slog.Logger
	// BinDir holds initdb and postgres; empty means search (see FindBinaries).
	BinDir string
	// Settings are merged over DefaultSettings (same key wins here).
	Settings map[string]string
	// StartTimeout bounds each Start's wait for readiness; zero means
	// DefaultStartTimeout. The ctx passed to Start can shorten it further.
	StartTimeout time.Duration
	// User is the OS user to run the server as when the current process is
	// root and the data directory does not exist yet; empty means "nobody".
	// An existing data directory is always served as its owner.
	User string
}

// Cluster is one PostgreSQL data directory and, while started, the postmaster
// serving it. Directory layout under Dir(): data/ (PGDATA), sock/ (unix
// socket) and postgres.log (initdb and server output, appended).
//
// All methods are safe for concurrent use; lifecycle methods are serialised.
// Start, Stop and Kill are idempotent.
type Cluster struct {
	dir  string
	temp bool // created by NewTemp
	log  *slog.Logger
	bins Binaries
	opts Options
	cred *syscall.Credential // nil: run as the current user

	mu        sync.Mutex
	port      int
	proc      *process // nil when not started
	destroyed bool
}

type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the postmaster has exited
	err  error         // cmd.Wait result; read only after done is closed
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// New prepares a cluster in dir without starting it. dir (and missing
// parents, mode 0755) is created if needed; if dir/data already holds a
// PostgreSQL data directory it is reused, otherwise Start runs initdb. New
// fails fast if no suitable PostgreSQL binaries are found or, when running as
// root, if the server user cannot reach dir.
func New(ctx context.Context, dir string, opts Options) (*Cluster, error) {
	if dir == "" {
		return nil, errors.New("pgcluster: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: resolve %q: %w", dir, err)
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return nil, fmt.Errorf("pgcluster: invalid port %d", opts.Port)
	}
	bins, err := FindBinaries(ctx, opts.BinDir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		dir:  abs,
		log:  opts.Logger,
		bins: bins,
		opts: opts,
		port: opts.Port,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("component", "pgcluster", "dir", abs)
	if err := mkdirAll0755(abs); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		if c.cred, err = serverCredential(c.DataDir(), opts.User); err != nil {
			return nil, err
		}
		if err := checkTraversable(abs, c.cred); err != nil {
			return nil, err
		}
	}
	for _, d := range []string{c.DataDir(), c.SocketDir()} {
		if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("pgcluster: %w", err)
		}
		if c.cred != nil {
			if err := os.Chown(d, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
				return nil, fmt.Errorf("pgcluster: %w", err)
			}
		}
	}
	return c, nil
}

// NewTemp is New in a fresh temporary directory (under $TMPDIR) that Destroy
// removes.
func NewTemp(ctx context.Context, opts Options) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "pgcluster-")
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	// MkdirTemp creates 0700 directories; the server user must traverse it.
	if err := os.Chmod(dir, 0o755); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	c, err := New(ctx, dir, opts)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	c.temp = true
	return c, nil
}

// StartCluster is New followed by Start: it runs a cluster in dir on port (0
// picks a free one), creating the data directory on first use and resuming
// it afterwards. The caller owns the cluster and should Stop it.
func StartCluster(ctx context.Context, dir string, port int, logger *slog.Logger) (*Cluster, error) {
	c, err := New(ctx, dir, Options{Port: port, Logger: logger})
	if err != nil {
		return nil, err
	}
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Dir is the cluster directory.
func (c *Cluster) Dir() string { return c.dir }

// DataDir is the PostgreSQL data directory (PGDATA).
func (c *Cluster) DataDir() string { return filepath.Join(c.dir, "data") }

// SocketDir is where the server puts its unix socket.
func (c *Cluster) SocketDir() string { return filepath.Join(c.dir, "sock") }

// LogFile is the file initdb and the server write their output to.
func (c *Cluster) LogFile() string { return filepath.Join(c.dir, "postgres.log") }

// Port is the TCP port; 0 until the first successful Start when Options.Port
// was 0.
func (c *Cluster) Port() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.port
}

// URL is a connection URL for database dbname as the superuser over TCP.
// It is meaningful once Port is non-zero and stays valid across restarts.
func (c *Cluster) URL(dbname string) string { return urlFor(c.Port(), dbname) }

// Running reports whether the postmaster started by this Cluster is alive.
func (c *Cluster) Running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.proc != nil && !c.proc.exited()
}

// Start runs initdb if the data directory is new, starts the server and
// waits until it accepts connections (bounded by ctx and
// Options.StartTimeout). It is a no-op if the server is already running. On
// failure the error includes the tail of the server log and no server is
// left running.
func (c *Cluster) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.startLocked(ctx)
}

// Stop shuts the server down in "fast" mode (open sessions are terminated,
// committed data is checkpointed) and waits for it to exit. If ctx expires
// first the server's process group is SIGKILLed. Stop is a no-op if the
// server is not running.
func (c *Cluster) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopLocked(ctx, syscall.SIGINT)
}

// Kill shuts the server down in "immediate" mode (SIGQUIT: no checkpoint,
// crash recovery on next Start), the closest thing to a crash that leaves the
// data directory usable; see DefaultSettings about synchronous_commit. It is a
// no-op if the server is not running.
func (c *Cluster) Kill(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopLocked(ctx, syscall.SIGQUIT)
}

// Restart is Stop followed by Start on the same data directory and port.
// Clients see their connections dropped and must reconnect.
func (c *Cluster) Restart(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.stopLocked(ctx, syscall.SIGINT); err != nil {
		return err
	}
	return c.startLocked(ctx)
}

// Destroy kills the server (immediate mode) and deletes the cluster
// directory with all its data. The Cluster cannot be started again.
// Destroy is idempotent.
func (c *Cluster) Destroy(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.destroyed {
		return nil
	}
	stopErr := c.stopLocked(ctx, syscall.SIGQUIT)
	c.destroyed = true
	if err := os.RemoveAll(c.dir); err != nil {
		return errors.Join(stopErr, fmt.Errorf("pgcluster: remove %s: %w", c.dir, err))
	}
	c.log.Debug("cluster destroyed")
	return stopErr
}

func (c *Cluster) startLocked(ctx context.Context) error {
	if c.destroyed {
		return errors.New("pgcluster: start: cluster destroyed")
	}
	if c.proc != nil {
		if !c.proc.exited() {
			return nil
		}
		c.log.Warn("postgres had exited unexpectedly; starting it again", "err", c.proc.err)
		c.proc = nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgcluster: start: %w", err)
	}
	if err := c.initdbIfNeeded(ctx); err != nil {
		return err
	}
	timeout := c.opts.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// A port we picked ourselves can be taken by someone else between
	// picking and binding; retry with a new one (only before the first
	// successful start: afterwards the port is part of the cluster's URL).
	pickPort := c.port == 0
	for attempt := 1; ; attempt++ {
		port := c.port
		if pickPort {
			p, err := freePort()
			if err != nil {
				return err
			}
			port = p
		}
		err := c.spawnAndWait(ctx, port)
		if err == nil {
			c.port = port
			return nil
		}
		if pickPort && attempt < 3 && errors.Is(err, errAddrInUse) {
			c.log.Debug("port taken, retrying", "port", port)
			continue
		}
		return err
	}
}

var (
	errAddrInUse      = errors.New("address already in use")
	errNotTraversable = errors.New("not traversable by the server user")
)

func (c *Cluster) spawnAndWait(ctx context.Context, port int) error {
	start := time.Now()
	logOffset := fileSize(c.LogFile())
	logf, err := os.OpenFile(c.LogFile(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgcluster: open log: %w", err)
	}
	defer logf.Close() // the child keeps its own descriptor

	args := []string{"-D", c.DataDir(), "-p", strconv.Itoa(port), "-h", "127.0.0.1"}
	sockDir := c.SocketDir()
	if len(filepath.Join(sockDir, ".s.PGSQL.65535")) > maxSocketPath {
		c.log.Warn("cluster path too long for a unix socket; serving TCP only", "socket_dir", sockDir)
		sockDir = ""
	}
	args = append(args, "-k", sockDir)
	settings := DefaultSettings()
	for k, v := range c.opts.Settings {
		settings[k] = v
	}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-c", k+"="+settings[k])
	}

	cmd := c.command(c.bins.Postgres, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgcluster: start postgres: %w", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	c.proc = p

	adminURL := urlFor(port, "postgres")
	for {
		attemptCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(attemptCtx, adminURL)
		cancel()
		if err == nil {
			_ = conn.Close(context.Background())
			c.log.Info("postgres started", "port", port, "pid", cmd.Process.Pid,
				"version", c.bins.Major, "took", time.Since(start).Round(time.Millisecond))
			return nil
		}
		select {
		case <-p.done:
			c.proc = nil
			tail := tailFrom(c.LogFile(), logOffset, 4<<10)
			exitErr := fmt.Errorf("pgcluster: postgres exited during startup (%v); log tail:\n%s", p.err, tail)
			if strings.Contains(tail, "Address already in use") {
				return fmt.Errorf("%w: %w", errAddrInUse, exitErr)
			}
			return exitErr
		case <-ctx.Done():
			killCtx, cancelKill := context.WithTimeout(context.Background(), 10*time.Second)
			_ = c.stopLocked(killCtx, syscall.SIGQUIT)
			cancelKill()
			return fmt.Errorf("pgcluster: postgres not ready on port %d: %w (last error: %v); log tail:\n%s",
				port, ctx.Err(), err, tailFrom(c.LogFile(), logOffset, 4<<10))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (c *Cluster) stopLocked(ctx context.Context, sig syscall.Signal) error {
	p := c.proc
	if p == nil {
		return nil
	}
	c.proc = nil
	if p.exited() {
		return nil
	}
	pid := p.cmd.Process.Pid
	if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("pgcluster: signal postgres: %w", err)
	}
	select {
	case <-p.done:
		c.log.Info("postgres stopped", "signal", sig.String())
		return nil
	case <-ctx.Done():
	}
	// Kill the whole process group so no backend survives the postmaster.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		return fmt.Errorf("pgcluster: postgres (pid %d) did not exit after SIGKILL", pid)
	}
	c.log.Warn("postgres killed after shutdown timed out", "signal", sig.String())
	return fmt.Errorf("pgcluster: postgres shutdown (%s): %w; killed", sig, ctx.Err())
}

func (c *Cluster) initdbIfNeeded(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(c.DataDir(), "PG_VERSION")); err == nil {
		return nil
	}
	start := time.Now()
	logf, err := os.OpenFile(c.LogFile(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgcluster: open log: %w", err)
	}
	defer logf.Close()
	logOffset := fileSize(c.LogFile())
	cmd := c.command(c.bins.Initdb,
		"-D", c.DataDir(), "-U", Superuser, "-A", "trust", "-E", "UTF8",
		"--locale=C", "--no-sync", "--no-instructions")
	cmd.Stdout, cmd.Stderr = logf, logf
	// initdb is short-lived: tie it to ctx.
	stop := context.AfterFunc(ctx, func() {
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	err = cmd.Run()
	stop()
	if err != nil {
		return fmt.Errorf("pgcluster: initdb %s: %w (ctx: %v); output tail:\n%s",
			c.DataDir(), err, ctx.Err(), tailFrom(c.LogFile(), logOffset, 4<<10))
	}
	c.log.Info("initdb done", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// command builds an exec.Cmd running as the server user in its own process
// group, killed (SIGQUIT) if this process dies.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	// The programs resolve their own path with getcwd; the current directory
	// may not be accessible to the server user.
	cmd.Dir = c.dir
	cmd.Env = childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:    true,
		Pdeathsig:  syscall.SIGQUIT,
		Credential: c.cred,
	}
	return cmd
}

func urlFor(port int, dbname string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(Superuser),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Path:     "/" + dbname,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// childEnv is the current environment without libpq variables (PGDATA,
// PGPORT, ...) that could redirect initdb or postgres.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// serverCredential picks the user to run as when we are root: the owner of
// an existing data directory, else name (default "nobody").
func serverCredential(dataDir, name string) (*syscall.Credential, error) {
	if st, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err == nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			if sys.Uid == 0 {
				return nil, fmt.Errorf("pgcluster: data directory %s is owned by root; postgres cannot run as root", dataDir)
			}
			return &syscall.Credential{Uid: sys.Uid, Gid: sys.Gid}, nil
		}
	}
	if name == "" {
		name = "nobody"
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: look up server user %q: %w", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: user %q: uid %q: %w", name, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: user %q: gid %q: %w", name, u.Gid, err)
	}
	if uid == 0 {
		return nil, fmt.Errorf("pgcluster: server user %q is root", name)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// checkTraversable verifies that cred can search every directory from dir
// up to /.
func checkTraversable(dir string, cred *syscall.Credential) error {
	for p := dir; ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
		sys, ok := st.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		var bit os.FileMode = 0o001
		switch {
		case sys.Uid == cred.Uid:
			bit = 0o100
		case sys.Gid == cred.Gid:
			bit = 0o010
		}
		if st.Mode().Perm()&bit == 0 {
			return fmt.Errorf("pgcluster: %s is %w (uid %d): choose a cluster directory whose parents are all world-searchable (chmod o+x)",
				p, errNotTraversable, cred.Uid)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// mkdirAll0755 creates dir and any missing parents with mode 0755
// regardless of umask.
func mkdirAll0755(dir string) error {
	var missing []string
	for p := dir; ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil {
			break
		} else if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("pgcluster: %w", err)
		}
		missing = append(missing, p)
		if p == filepath.Dir(p) {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("pgcluster: %w", err)
		}
		if err := os.Chmod(missing[i], 0o755); err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
	}
	return nil
}

// freePort asks the kernel for a currently unused TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgcluster: pick free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("pgcluster: pick free port: %w", err)
	}
	return port, nil
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// tailFrom returns at most the last max bytes of path at or after offset.
func tailFrom(path string, offset, max int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	size := fileSize(path)
	if size-offset > max {
		offset = size - max
	}
	if offset < 0 || offset > size {
		offset = 0
	}
	b, err := io.ReadAll(io.NewSectionReader(f, offset, size-offset))
	if err != nil {
		return ""
	}
	return string(b)
}
