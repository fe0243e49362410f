// Package cli implements the sequencer binary's subcommands. main only wires
// the process (signals, stdio, exit code) to Run, so every command can be run
// in-process by tests.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/cartesi/sequencer/internal/config"
	"github.com/cartesi/sequencer/internal/logging"
)

// Exit codes of the binary (service.md §2).
const (
	ExitOK        = 0
	ExitFailure   = 1
	ExitUsage     = 2
	ExitTransient = 20
	ExitTerminal  = 30
)

// Stdio is the process's standard streams. Run sets the unexported
// fields: the log settings (SEQ_LOG_FORMAT, SEQ_LOG_LEVEL) and the secrets
// Out and Err are filtered through.
type Stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer

	log     logging.Options
	secrets *logging.Secrets
}

// command is one subcommand; path is its words, e.g. "tx sign".
type command struct {
	path    string
	summary string
	run     func(ctx context.Context, args []string, io Stdio) error
}

// usageError is a bad command line: exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func commands() []command {
	return []command{
		{"tx sign", "sign a user op and print the JSON body of POST /tx", runTxSign},
		{"batch decode", "decode a batch payload (hex on stdin) to JSON", runBatchDecode},
		{"fee linear", "print fee_to_linear(N) in decimal", runFeeLinear},
		{"serve", "run the API, the feed and the inclusion lane (env SEQ_*)", runServe},
		{"worker", "run the Temporal worker: L1 observer, batch submitter, snapshots (env SEQ_*)", runWorker},
		{"recovery status", "show the recovery workflow's state and step (JSON)", runRecoveryStatus},
		{"recovery start", "start (or join) a recovery when danger is observed (--force otherwise); --wait to follow it", runRecoveryStart},
		{"recovery plan", "print what a recovery started now would revoke, without acting (JSON)", runRecoveryPlan},
		{"submitter status", "show the batch submitter's status query (JSON)", runSubmitterStatus},
		{"submitter pause", "pause the batch submitter; returns once no send is in flight", runSubmitterPause},
		{"submitter resume", "resume the batch submitter", runSubmitterResume},
		{"migrate", "apply the database schema and exit", runMigrate},
		{"dev", "run the whole stack locally: Postgres, Temporal, anvil, serve, worker", runDev},
		{"bench", "load-generate against a local serve and print latency/throughput figures", runBench},
		{"version", "print the version, commit and Go version of this build", runVersion},
	}
}

// Run executes the command named by args and returns the process exit code.
// Errors are printed as one line on io.Err.
//
// Every configured secret (config.SecretValues: passwords, URL tokens, the
// raw key, Temporal credentials) is blanked from everything written to Out
// and Err, whatever library put it into a message.
func Run(ctx context.Context, args []string, stdio Stdio) int {
	stdio.secrets = logging.NewSecrets(config.SecretValues(os.LookupEnv)...)
	stdio.Out, stdio.Err = stdio.secrets.Writer(stdio.Out), stdio.secrets.Writer(stdio.Err)
	logOpts, err := config.LoadLogSettings()
	if err != nil {
		fmt.Fprintf(stdio.Err, "sequencer: %s\n", oneLine(err.Error()))
		return ExitUsage
	}
	stdio.log = logOpts
	cmds := commands()
	for _, c := range cmds {
		words := strings.Fields(c.path)
		if len(args) < len(words) || !equalWords(args[:len(words)], words) {
			continue
		}
		err := c.run(ctx, args[len(words):], stdio)
		return exitCode(stdio, c.path, err)
	}
	if len(args) > 0 && args[0] != "help" && args[0] != "-h" && args[0] != "--help" {
		fmt.Fprintf(stdio.Err, "sequencer: unknown command %q\n", strings.Join(args, " "))
		printHelp(stdio.Err, cmds)
		return ExitUsage
	}
	printHelp(stdio.Out, cmds)
	return ExitOK
}

func exitCode(stdio Stdio, path string, err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	fmt.Fprintf(stdio.Err, "sequencer %s: %s\n", path, oneLine(err.Error()))
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ue usageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitFailure
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func printHelp(w io.Writer, cmds []command) {
	fmt.Fprintln(w, "usage: sequencer <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].path < cmds[j].path })
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-16s %s\n", c.path, c.summary)
	}
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string, stdio Stdio) *flag.FlagSet {
	fs := flag.NewFlagSet("sequencer "+name, flag.ContinueOnError)
	fs.SetOutput(stdio.Err)
	return fs
}

// parseFlags parses and refuses positional leftovers unless allowed.
func parseFlags(fs *flag.FlagSet, args []string, maxPositional int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > maxPositional {
		return usagef("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return nil
}
