// Package testhelp holds the few helpers that tests starting whole
// programs share: distinct free ports, a temporary directory PostgreSQL's
// unprivileged user can reach, and a concurrency-safe log buffer.
package testhelp

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// FreePorts returns n distinct free ports on 127.0.0.1: every listener
// stays open until all are chosen, so the kernel cannot hand the same port
// out twice.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// TraversableTempDir returns name inside a temporary directory whose
// parents PostgreSQL's unprivileged user can traverse (t.TempDir's
// directories are 0700). The directory is removed when the test ends.
func TraversableTempDir(t testing.TB, name string) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != filepath.Clean(os.TempDir()) && d != "/"; d = filepath.Dir(d) {
		require.NoError(t, os.Chmod(d, 0o755))
	}
	return filepath.Join(dir, name)
}

// SyncBuffer is a bytes.Buffer safe for concurrent writes (a child
// process's stdout and stderr) and reads.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
