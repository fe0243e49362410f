package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	readyTimeout = 60 * time.Second
	stopTimeout  = 30 * time.Second
)

// serveProc is the `sequencer serve` child under load.
type serveProc struct {
	cmd      *exec.Cmd
	public   string // host:port on 127.0.0.1
	internal string
	logPath  string
	logFile  *os.File
	exited   chan struct{}
	started  time.Time     // just before the process was spawned
	ready    time.Duration // started → the first /readyz 200
}

// startServe spawns `binary serve` against dbURL on free loopback ports,
// logging to logDir/serve.log, and waits until /readyz answers 200.
func startServe(ctx context.Context, binary, dbURL, logDir string) (*serveProc, error) {
	public, err := freePort()
	if err != nil {
		return nil, err
	}
	internal, err := freePort()
	if err != nil {
		return nil, err
	}
	p := &serveProc{public: public, internal: internal, logPath: filepath.Join(logDir, "serve.log"), exited: make(chan struct{})}
	if p.logFile, err = os.Create(p.logPath); err != nil {
		return nil, fmt.Errorf("serve log: %w", err)
	}
	p.cmd = exec.Command(binary, "serve")
	p.cmd.Env = append(envWithoutSEQ(), serveEnv(dbURL, public, internal)...)
	p.cmd.Stdout, p.cmd.Stderr = p.logFile, p.logFile
	// Own process group: a terminal's Ctrl-C reaches the bench only, which
	// then stops the child in order. The child dies with the bench.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		p.logFile.Close()
		return nil, fmt.Errorf("start serve: %w", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	if err := p.waitReady(ctx); err != nil {
		return nil, errors.Join(err, p.stop())
	}
	p.ready = time.Since(p.started)
	return p, nil
}

// serveEnv is the serve configuration: the bench's chain identity, the
// database, loopback ports. The L1 RPC is never contacted by serve.
func serveEnv(dbURL, public, internal string) []string {
	return []string{
		"SEQ_ETH_RPC_URL=http://127.0.0.1:1",
		"SEQ_CHAIN_ID=" + strconv.FormatUint(world.chainID, 10),
		"SEQ_APP_ADDRESS=" + world.app.Hex(),
		"SEQ_DATABASE_URL=" + dbURL,
		"SEQ_HTTP_ADDR=" + public,
		"SEQ_INTERNAL_HTTP_ADDR=" + internal,
		"SEQ_BATCH_SUBMITTER_ADDRESS=" + world.submitter.Hex(),
		"SEQ_WALLET_PORTAL_ADDRESS=" + world.portal.Hex(),
		"SEQ_WALLET_TOKEN_ADDRESS=" + world.token.Hex(),
		"SEQ_WALLET_FEE_RECIPIENT=" + world.feeRecipient.Hex(),
	}
}

// envWithoutSEQ is the environment minus SEQ_* variables, so the caller's
// configuration (keys included) never leaks into the child.
func envWithoutSEQ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SEQ_") {
			env = append(env, kv)
		}
	}
	return env
}

// freePort returns a loopback address with a port that was free a moment ago.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitReady polls /readyz until 200, the child exits, or readyTimeout.
func (p *serveProc) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := client.Get("http://" + p.public + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("serve exited before becoming ready (%s); see %s", p.cmd.ProcessState, p.logPath)
		case <-ctx.Done():
			return fmt.Errorf("serve not ready: %w; see %s", ctx.Err(), p.logPath)
		case <-tick.C:
		}
	}
}

// drainStall is how long the feed head may stand still before waitDrained
// gives up: a lane draining bounded frames moves it every few hundred
// milliseconds even on a loaded machine.
const drainStall = 60 * time.Second

// waitDrained polls the feed head until it reaches want (every deposit
// written before the start is on the feed) and returns the time since the
// process started. It fails when serve exits or the head stands still for
// drainStall.
func (p *serveProc) waitDrained(ctx context.Context, head func(context.Context) (uint64, error), want uint64, log *slog.Logger) (time.Duration, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last uint64
	moved, logged := time.Now(), time.Now()
	for {
		h, err := head(ctx)
		if err != nil {
			return 0, err
		}
		if h >= want {
			return time.Since(p.started), nil
		}
		now := time.Now()
		if h != last {
			last, moved = h, now
		}
		if now.Sub(moved) > drainStall {
			return 0, fmt.Errorf("deposits not drained: the feed head stayed at %d of %d for %s; see %s", h, want, drainStall, p.logPath)
		}
		if now.Sub(logged) >= 5*time.Second {
			log.Info("draining deposits", "feed_head", h, "of", want)
			logged = now
		}
		select {
		case <-p.exited:
			return 0, fmt.Errorf("serve exited while draining deposits (%s); see %s", p.cmd.ProcessState, p.logPath)
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-tick.C:
		}
	}
}

// rss reads the child's peak (VmHWM) and current (VmRSS) resident memory.
func (p *serveProc) rss() (RSS, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return RSS{}, fmt.Errorf("read serve memory: %w", err)
	}
	defer f.Close()
	var r RSS
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 || fields[2] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			continue
		}
		switch fields[0] {
		case "VmHWM:":
			r.Peak = kb << 10
		case "VmRSS:":
			r.Current = kb << 10
		}
	}
	return r, sc.Err()
}

// stop sends SIGTERM (serve drains the lane, then stops HTTP) and waits;
// after stopTimeout it kills the child.
func (p *serveProc) stop() error {
	defer p.logFile.Close()
	select {
	case <-p.exited:
		return p.exitError()
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("signal serve: %w", err)
	}
	select {
	case <-p.exited:
		return p.exitError()
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("serve did not stop within %s; killed", stopTimeout)
	}
}

func (p *serveProc) exitError() error {
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("serve exited with %s; see %s", p.cmd.ProcessState, p.logPath)
	}
	return nil
}
