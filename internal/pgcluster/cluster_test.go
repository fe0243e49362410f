package pgcluster_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/pgcluster"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func exec(t *testing.T, url, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	require.NoError(t, err)
}

func count(t *testing.T, url, table string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

// worldTempDir is a temporary directory the unprivileged server user can
// traverse (t.TempDir's parent is 0700).
func worldTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgcluster-test-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func TestTempClusterLifecycle(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	c, err := pgcluster.NewTemp(ctx, pgcluster.Options{
		Logger: testLogger(t),
		// Make Kill lose nothing so the crash-recovery assertion is exact.
		Settings: map[string]string{"synchronous_commit": "on"},
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Destroy(context.Background())) })

	require.NoError(t, c.Start(ctx))
	require.NoError(t, c.Start(ctx), "Start is idempotent")
	require.True(t, c.Running())
	port := c.Port()
	require.NotZero(t, port)
	url := c.URL("postgres")

	exec(t, url, "CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2)")

	require.NoError(t, c.Restart(ctx))
	require.Equal(t, port, c.Port(), "Restart keeps the port")
	require.Equal(t, 2, count(t, url, "t"), "Restart keeps data")

	exec(t, url, "INSERT INTO t VALUES (3)")
	require.NoError(t, c.Kill(ctx))
	require.False(t, c.Running())
	require.NoError(t, c.Kill(ctx), "Kill is idempotent")
	require.NoError(t, c.Stop(ctx), "Stop is idempotent")
	require.NoError(t, c.Start(ctx))
	require.Equal(t, 3, count(t, url, "t"), "committed data survives immediate shutdown")

	dir := c.Dir()
	require.NoError(t, c.Destroy(ctx))
	require.NoError(t, c.Destroy(ctx), "Destroy is idempotent")
	_, err = os.Stat(dir)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Error(t, c.Start(ctx), "destroyed cluster cannot start")
}

func TestStartClusterResumesPersistentDir(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dir := filepath.Join(worldTempDir(t), "project", ".devstack", "pg")

	c, err := pgcluster.StartCluster(ctx, dir, 0, testLogger(t))
	require.NoError(t, err)
	port := c.Port()
	exec(t, c.URL("postgres"), "CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)")
	require.NoError(t, c.Stop(ctx))

	c2, err := pgcluster.StartCluster(ctx, dir, port, testLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c2.Stop(context.Background())) })
	require.Equal(t, port, c2.Port())
	require.Equal(t, 1, count(t, c2.URL("postgres"), "kept"))
}

func TestStartFailureReportsServerLog(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c, err := pgcluster.NewTemp(ctx, pgcluster.Options{
		Settings: map[string]string{"shared_buffers": "bogus"},
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Destroy(context.Background())) })

	err = c.Start(ctx)
	require.Error(t, err)
	require.Contains(t, err.Error(), "shared_buffers", "error carries the server log tail")
	require.False(t, c.Running())
}

func TestDirectoryMustBeTraversableWhenRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only relevant when running as root")
	}
	t.Parallel()
	// t.TempDir's parent directory is mode 0700, so "nobody" cannot reach it.
	_, err := pgcluster.New(t.Context(), filepath.Join(t.TempDir(), "pg"), pgcluster.Options{})
	require.Error(t, err)
	require.Contains(t, err.Error(), "not traversable")
}
