package devstack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// console serialises prefixed lines from every component onto one writer.
type console struct {
	mu  sync.Mutex
	out io.Writer // nil: discard
	pad int
}

func (c *console) writeLine(name string, line []byte) {
	if c.out == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, _ = fmt.Fprintf(c.out, "%-*s | %s\n", c.pad, name, line)
}

// lineWriter splits a stream into lines, appends each to a log file and,
// unless quiet, prints it on the console with the component's name.
type lineWriter struct {
	mu    sync.Mutex
	name  string
	con   *console
	file  *os.File
	quiet bool
	buf   []byte
}

func newLineWriter(name string, con *console, logPath string, quiet bool) (*lineWriter, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", logPath, err)
	}
	return &lineWriter{name: name, con: con, file: f, quiet: quiet}, nil
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 64<<10 { // a very long line without a newline: emit it anyway
		w.emit(w.buf)
		w.buf = w.buf[:0]
	}
	return len(p), nil
}

func (w *lineWriter) emit(line []byte) {
	line = bytes.TrimRight(line, "\r")
	_, _ = w.file.Write(append(append([]byte(nil), line...), '\n'))
	if !w.quiet {
		w.con.writeLine(w.name, line)
	}
}

// mute sends further output to the log file only.
func (w *lineWriter) mute() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.quiet = true
}

// Close flushes a trailing partial line and closes the log file.
func (w *lineWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(w.buf)
		w.buf = nil
	}
	return w.file.Close()
}

// proc is one child process of the stack.
type proc struct {
	name       string
	cmd        *exec.Cmd
	out        *lineWriter
	stopSig    syscall.Signal
	muteOnStop bool
	done       chan struct{} // closed when the process has exited
	waitErr    error         // read after done
	// stopping is set before the stack signals the process, so its exit is
	// not reported as a failure.
	stopping atomic.Bool
}

type procSpec struct {
	name    string
	path    string
	args    []string
	env     []string // nil: inherit
	dir     string
	logPath string
	quiet   bool // log file only, not the console
	// muteOnStop: once stopping, output goes to the log file only (Temporal
	// logs a warning for every internal connection it closes).
	muteOnStop bool
	stopSig    syscall.Signal
}

// startProc starts a child in its own process group (a Ctrl-C on the
// terminal reaches only `sequencer dev`, which stops the children in order),
// with a parent-death signal so it does not outlive a crashed parent.
func startProc(spec procSpec, con *console) (*proc, error) {
	out, err := newLineWriter(spec.name, con, spec.logPath, spec.quiet)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(spec.path, spec.args...)
	cmd.Env = spec.env
	cmd.Dir = spec.dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: spec.stopSig}
	if err := cmd.Start(); err != nil {
		_ = out.Close()
		return nil, fmt.Errorf("start %s (%s): %w", spec.name, spec.path, err)
	}
	p := &proc{name: spec.name, cmd: cmd, out: out, stopSig: spec.stopSig, muteOnStop: spec.muteOnStop, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		_ = out.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitCode is the process's exit code once it has exited (-1 for a signal).
func (p *proc) exitCode() int {
	<-p.done
	if p.cmd.ProcessState == nil {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

// exitDescription describes how the process ended.
func (p *proc) exitDescription() string {
	<-p.done
	if p.waitErr == nil {
		return "exited with code 0"
	}
	return p.waitErr.Error()
}

// stop sends the stop signal and waits up to grace for the process to exit;
// then it kills the whole process group. It reports a non-zero exit.
func (p *proc) stop(grace time.Duration) error {
	p.stopping.Store(true)
	if p.muteOnStop {
		p.out.mute()
	}
	if p.exited() {
		return p.result()
	}
	if err := p.cmd.Process.Signal(p.stopSig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("%s: signal: %w", p.name, err)
	}
	select {
	case <-p.done:
		return p.result()
	case <-time.After(grace):
	}
	p.kill()
	return fmt.Errorf("%s did not stop within %v after %v: killed", p.name, grace, p.stopSig)
}

// kill SIGKILLs the process group and waits for the process to exit.
func (p *proc) kill() {
	p.stopping.Store(true)
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

func (p *proc) result() error {
	<-p.done
	if p.waitErr != nil {
		return fmt.Errorf("%s: %w", p.name, p.waitErr)
	}
	return nil
}
