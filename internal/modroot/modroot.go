// Package modroot finds the repository's root and builds the sequencer
// binary for tests and tools that run it as a child process.
package modroot

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Find walks up from the working directory to the directory holding go.mod.
func Find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("getwd: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory: run from inside the sequencer repository")
		}
		dir = parent
	}
}

// BuildSequencer builds cmd/sequencer into a new temporary directory and
// returns the binary's path and a function that removes it. Build output
// goes to stderr.
func BuildSequencer() (path string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "sequencer-bin-")
	if err != nil {
		return "", nil, err
	}
	path = filepath.Join(dir, "sequencer")
	build := exec.Command("go", "build", "-o", path, "github.com/cartesi/sequencer/cmd/sequencer")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("build sequencer: %w", err)
	}
	return path, func() { os.RemoveAll(dir) }, nil
}
