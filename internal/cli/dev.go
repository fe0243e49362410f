package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/cartesi/sequencer/internal/config"
	"github.com/cartesi/sequencer/internal/devstack"
)

// runDev: sequencer dev — the whole stack locally (PostgreSQL, Temporal
// with its UI, anvil with the contracts and funded test accounts, serve and
// worker), state under .devstack/ at the module root. Ctrl-C stops it in
// reverse order; the next run resumes the same data. A second Ctrl-C kills
// everything at once.
func runDev(ctx context.Context, args []string, stdio Stdio) error {
	if len(args) > 0 && args[0] == "deploy" {
		return runDevDeploy(ctx, args[1:], stdio)
	}
	fs := newFlagSet("dev", stdio)
	fs.Usage = func() {
		fmt.Fprintln(stdio.Err, "usage: sequencer dev [--dir DIR] [--reset] [--env 'SEQ_NAME=value …']\n       sequencer dev deploy [--rpc-url URL]   (the dev contracts and funded accounts on a running dev chain)")
		fs.PrintDefaults()
	}
	dir := fs.String("dir", "", "state directory (default: .devstack at the module root)")
	reset := fs.Bool("reset", false, "delete the state directory's chain, database and Temporal history first, then start fresh")
	envFlag := fs.String("env", os.Getenv(devstack.OverridesVar),
		"space-separated SEQ_NAME=value settings for serve and worker, over the dev defaults (default: $"+devstack.OverridesVar+", which `make dev DEV_ENV=…` sets)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	// Checked before anything starts: a typo must not cost a stack start.
	overrides, err := devstack.ParseOverrides(*envFlag)
	if err != nil {
		return usageError{err}
	}
	root, err := devstack.ModuleRoot()
	if err != nil {
		return usageError{err}
	}
	opts := devstack.Options{Root: root, Dir: *dir, Out: stdio.Err, ExtraEnv: overrides}
	if len(overrides) > 0 {
		if err := checkDevConfig(opts); err != nil {
			return usageError{err}
		}
	}
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

// runDevDeploy: sequencer dev deploy — the dev contracts and funded test
// accounts on an already running dev chain (anvil, chain id 31337), for the
// docker-compose stack. Idempotent: a chain that has them is left alone. It
// prints the deployment (chain.json's shape) on stdout.
func runDevDeploy(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("dev deploy", stdio)
	rpcURL := fs.String("rpc-url", "http://127.0.0.1:8545", "the dev chain's JSON-RPC endpoint")
	wait := fs.Duration("wait", time.Minute, "how long to wait for the node to answer")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	log := newLogger(stdio, "dev-deploy")
	rc, err := rpc.DialContext(ctx, *rpcURL)
	if err != nil {
		return withExit(ExitUsage, fmt.Errorf("--rpc-url: %w", err))
	}
	defer rc.Close()
	ec := ethclient.NewClient(rc)
	deadline := time.Now().Add(*wait)
	for {
		id, err := ec.ChainID(ctx)
		if err == nil {
			if id.Uint64() != devstack.ChainID {
				return withExit(ExitTerminal, fmt.Errorf("chain id %s, the dev chain is %d", id, devstack.ChainID))
			}
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return withExit(ExitTransient, fmt.Errorf("%s not answering: %w", *rpcURL, err))
		}
		time.Sleep(500 * time.Millisecond)
	}
	chain, deployed, err := devstack.EnsureChain(ctx, ec, log)
	if err != nil {
		return err
	}
	if deployed {
		// Make the deposits safe (anvil's safe tag trails latest by 32 blocks).
		if err := rc.CallContext(ctx, nil, "anvil_mine", hexutil.Uint64(devstack.SafeDistance+1)); err != nil {
			log.Warn("could not mine past the safe distance; the deposits become safe in 32 blocks", "err", err)
		}
	}
	enc := json.NewEncoder(stdio.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(chain)
}

// checkDevConfig validates the settings serve and worker will get, the
// overrides applied, as they will (config.Load), so that a bad value fails
// `make dev` on one line before anything starts. config.Load reads the
// process environment: the SEQ_* variables are swapped in for the check and
// restored, which is safe only here, before the stack starts any goroutine.
func checkDevConfig(opts devstack.Options) error {
	serveEnv, workerEnv, err := devstack.PlannedEnv(opts)
	if err != nil {
		return err
	}
	for _, c := range []struct {
		role config.Role
		name string
		env  []string
	}{{config.RoleServe, "serve", serveEnv}, {config.RoleWorker, "worker", workerEnv}} {
		restore := swapSEQEnv(c.env)
		_, err := config.Load(c.role)
		restore()
		if err != nil {
			return fmt.Errorf("%s: %s would refuse its configuration: %w", devstack.OverridesVar, c.name, err)
		}
	}
	return nil
}

// swapSEQEnv replaces every SEQ_* variable of the process with env and
// returns the function that puts the previous ones back.
func swapSEQEnv(env []string) (restore func()) {
	var saved []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, config.Prefix+"_") {
			saved = append(saved, kv)
			name, _, _ := strings.Cut(kv, "=")
			_ = os.Unsetenv(name)
		}
	}
	for _, kv := range env {
		name, v, _ := strings.Cut(kv, "=")
		_ = os.Setenv(name, v)
	}
	return func() {
		for _, kv := range env {
			name, _, _ := strings.Cut(kv, "=")
			_ = os.Unsetenv(name)
		}
		for _, kv := range saved {
			name, v, _ := strings.Cut(kv, "=")
			_ = os.Setenv(name, v)
		}
	}
}
