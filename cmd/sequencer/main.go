// Command sequencer is the single binary of the Cartesi app sequencer: the
// soft-confirmation service, the Temporal worker, and the operator and
// client tools. See `sequencer help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/cartesi/sequencer/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
