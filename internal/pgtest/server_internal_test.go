package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/pgcluster"
)

func TestServerRequiresRun(t *testing.T) {
	t.Parallel()
	s := NewServer(ServerOptions{})
	require.ErrorContains(t, s.ensureStarted(), "Run was not called")
	require.NoError(t, s.Close())
}

// TestExternalServer points a Server at an existing server, as
// SEQ_TEST_DATABASE_URL does, and checks that it cleans up after itself.
func TestExternalServer(t *testing.T) {
	t.Parallel()
	c := NewCluster(t, pgcluster.Options{})
	s := NewServer(ServerOptions{URL: c.URL("postgres")})
	s.managed.Store(true) // as Run would
	t.Cleanup(func() { require.NoError(t, s.Close()) })

	tmpl := WithTemplate("ext", func(ctx context.Context, url string) error {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "CREATE TABLE ext (x int)")
		return err
	})
	t.Run("use", func(t *testing.T) {
		url := s.NewDatabase(t, tmpl)
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		require.NoError(t, err)
		_, err = conn.Exec(ctx, "INSERT INTO ext VALUES (1)")
		require.NoError(t, err)
		// Left open on purpose: the drop in Cleanup must force it out.
	})
	require.NoError(t, s.Close())
	require.Error(t, s.ensureStarted(), "closed server refuses new databases")

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx,
		"SELECT count(*) FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1')").Scan(&n))
	require.Zero(t, n, "per-test and template databases were dropped")
}

func TestDBNameIsValid(t *testing.T) {
	t.Parallel()
	s := NewServer(ServerOptions{})
	long := "TestSomething/with a very long subtest name, punctuation & ÜNICODE that goes on and on"
	a, b := s.dbName("t", long), s.dbName("t", long)
	require.NotEqual(t, a, b)
	require.LessOrEqual(t, len(a), 63)
	require.Regexp(t, `^[a-z0-9_]+$`, a)
}
