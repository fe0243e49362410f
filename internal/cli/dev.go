package cli

import (
	"context"
	"errors"
)

// errNotYet marks a command whose component has not been built yet; it exits
// non-zero and says so instead of pretending to work.
var errNotYet = errors.New("the local stack (Postgres, Temporal, anvil, serve, worker) is not built yet: " +
	"it lands with the L1/Temporal issue; today the binary offers `tx sign`, `batch decode` and `fee linear`")

func runDev(context.Context, []string, Stdio) error { return errNotYet }
