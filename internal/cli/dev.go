package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cartesi/sequencer/internal/devstack"
)

// runDev: sequencer dev — the whole stack locally (PostgreSQL, Temporal
// with its UI, anvil with the contracts and funded test accounts, serve and
// worker), state under .devstack/ at the module root. Ctrl-C stops it in
// reverse order; the next run resumes the same data. A second Ctrl-C kills
// everything at once.
func runDev(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("dev", stdio)
	dir := fs.String("dir", "", "state directory (default: .devstack at the module root)")
	reset := fs.Bool("reset", false, "delete the state directory's chain, database and Temporal history first, then start fresh")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	root, err := devstack.ModuleRoot()
	if err != nil {
		return usageError{err}
	}
	opts := devstack.Options{Root: root, Dir: *dir, Out: stdio.Err}
	if *reset {
		if err := devstack.Reset(opts); err != nil {
			return err
		}
	}

	// A second interrupt while stopping escalates to killing everything.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	stack, err := devstack.Start(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while starting; Start stopped what it had started
		}
		return fmt.Errorf("dev stack: %w", err)
	}
	stack.PrintBanner(stdio.Out)

	var failure error
	code := ExitOK
	select {
	case <-ctx.Done():
		fmt.Fprintln(stdio.Err, "stopping the dev stack (Ctrl-C again to kill it)...")
	case <-stack.Failed():
		failure, code = stack.Err(), stack.ExitCode()
		fmt.Fprintln(stdio.Err, "a component failed; stopping the dev stack...")
	}
	// Drain the interrupt that ended the wait; the next one escalates.
	drain := time.After(100 * time.Millisecond)
drained:
	for {
		select {
		case <-sigs:
		case <-drain:
			break drained
		}
	}
	stopped := make(chan error, 1)
	go func() { stopped <- stack.Stop(context.Background()) }()
	var stopErr error
	select {
	case stopErr = <-stopped:
	case <-sigs:
		fmt.Fprintln(stdio.Err, "killing the dev stack (anvil does not save its state)")
		stack.Kill()
		stopErr = <-stopped
	}
	switch {
	case failure != nil && code == ExitTerminal:
		return withExit(ExitTerminal, failure)
	case failure != nil:
		return failure
	case stopErr != nil:
		return errors.Join(errors.New("the dev stack did not stop cleanly"), stopErr)
	}
	fmt.Fprintln(stdio.Err, "dev stack stopped; `make dev` resumes it")
	return nil
}
