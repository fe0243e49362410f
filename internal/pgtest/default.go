package pgtest

import "testing"

// defaultServer backs the package-level Run and NewDatabase.
//
// It is package-level state on purpose: `go test` gives a test function
// nothing but its *testing.T, so the only way for TestMain to hand the
// tests one server per test binary (one process) is through a package
// variable somewhere. Keeping it here spares every test package from
// declaring its own; packages that want explicit ownership (or several
// servers) can use NewServer with Server.Run and Server.NewDatabase instead.
// Server itself is concurrency-safe and starts lazily, so this variable is
// never reassigned.
var defaultServer = NewServer(ServerOptions{})

// Run is the TestMain helper for the default server:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
//
// It runs the tests and then tears down whatever NewDatabase started. The
// server itself starts lazily, so test runs that create no database (e.g.
// -run selecting unit tests only) pay nothing.
func Run(m *testing.M) int { return defaultServer.Run(m) }

// NewDatabase is Server.NewDatabase on the default server; the test
// package's TestMain must call Run.
func NewDatabase(t testing.TB, opts ...Option) string {
	t.Helper()
	return defaultServer.NewDatabase(t, opts...)
}
