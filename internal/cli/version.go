package cli

import (
	"context"
	"fmt"

	"github.com/cartesi/sequencer/internal/buildinfo"
)

// runVersion: sequencer version — the build's version, commit and Go
// version (the labels of sequencer_build_info); --json for a machine.
func runVersion(_ context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("version", stdio)
	asJSON := fs.Bool("json", false, "print {version, commit, go_version} as JSON")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	info := buildinfo.Read()
	if *asJSON {
		return writeJSON(stdio.Out, info)
	}
	_, err := fmt.Fprintf(stdio.Out, "sequencer %s (commit %s, %s)\n", info.Version, info.Commit, info.GoVersion)
	return err
}
