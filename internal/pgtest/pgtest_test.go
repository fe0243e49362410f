package pgtest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/pgcluster"
	"github.com/cartesi/sequencer/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func countRows(t testing.TB, conn *pgx.Conn, table string) int {
	t.Helper()
	var n int
	require.NoError(t, conn.QueryRow(t.Context(), "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

func TestDatabasesAreIsolated(t *testing.T) {
	t.Parallel()
	urlA := pgtest.NewDatabase(t)
	urlB := pgtest.NewDatabase(t)
	require.NotEqual(t, urlA, urlB)

	a, b := connect(t, urlA), connect(t, urlB)
	_, err := a.Exec(t.Context(), "CREATE TABLE only_in_a (x int)")
	require.NoError(t, err)

	_, err = b.Exec(t.Context(), "SELECT * FROM only_in_a")
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr)
	require.Equal(t, "42P01", pgErr.Code, "undefined_table")
}

// uniqueKey is a template key not used by earlier runs of the test in this
// binary (templates are cached per key for the binary's life, and -count=N
// reruns tests against the same server).
func uniqueKey(t testing.TB) string {
	return fmt.Sprintf("%s-%d", t.Name(), keySeq.Add(1))
}

var keySeq atomic.Int64

// schemaInit creates a small schema, counts its calls and deliberately leaks
// an open connection, which the harness must terminate before cloning.
func schemaInit(calls *atomic.Int32) pgtest.TemplateFunc {
	return func(ctx context.Context, url string) error {
		calls.Add(1)
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		_, err = conn.Exec(ctx, `CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL);
			INSERT INTO items (name) VALUES ('seed')`)
		return err // conn intentionally left open
	}
}

func TestTemplateInitRunsOnceAndIsCloned(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	tmpl := pgtest.WithTemplate(uniqueKey(t), schemaInit(&calls))

	a := connect(t, pgtest.NewDatabase(t, tmpl))
	b := connect(t, pgtest.NewDatabase(t, tmpl))
	require.EqualValues(t, 1, calls.Load(), "template initialised once")

	require.Equal(t, 1, countRows(t, a, "items"), "seed row cloned")
	require.Equal(t, 1, countRows(t, b, "items"), "seed row cloned")

	_, err := a.Exec(t.Context(), "INSERT INTO items (name) VALUES ('a-only')")
	require.NoError(t, err)
	require.Equal(t, 2, countRows(t, a, "items"))
	require.Equal(t, 1, countRows(t, b, "items"), "clones are independent")
}

func TestTemplateInitFailureIsReported(t *testing.T) {
	t.Parallel()
	// NewDatabase fails its test on error; observe that through a TB that
	// records Fatal. A failing initialiser runs once and every caller with
	// the same key sees its error.
	var calls atomic.Int32
	boom := errors.New("boom")
	init := func(context.Context, string) error { calls.Add(1); return boom }
	key := uniqueKey(t)
	for i := range 2 {
		ft := &fatalRecorder{TB: t}
		func() {
			defer ft.recoverFatal()
			pgtest.NewDatabase(ft, pgtest.WithTemplate(key, init))
		}()
		require.Contains(t, ft.msg, "boom", "attempt %d", i)
	}
	require.EqualValues(t, 1, calls.Load())
}

func TestParallelNewDatabase(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	tmpl := pgtest.WithTemplate(uniqueKey(t), schemaInit(&calls))
	t.Run("group", func(t *testing.T) {
		for i := range 8 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				conn := connect(t, pgtest.NewDatabase(t, tmpl))
				for j := range 10 {
					_, err := conn.Exec(t.Context(), "INSERT INTO items (name) VALUES ($1)", fmt.Sprint(i, "-", j))
					require.NoError(t, err)
				}
				require.Equal(t, 11, countRows(t, conn, "items"))
			})
		}
	})
	require.EqualValues(t, 1, calls.Load())
}

func TestNewClusterRestartKeepsData(t *testing.T) {
	t.Parallel()
	c := pgtest.NewCluster(t, pgcluster.Options{})
	url := c.URL("postgres")
	conn := connect(t, url)
	_, err := conn.Exec(t.Context(), "CREATE TABLE kept (x int); INSERT INTO kept VALUES (1)")
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	require.NoError(t, c.Restart(ctx))

	_, err = conn.Exec(t.Context(), "SELECT 1")
	require.Error(t, err, "old session is gone after restart")
	require.Equal(t, 1, countRows(t, connect(t, url), "kept"))
}

// fatalRecorder is a testing.TB whose Fatal records the message and unwinds
// (like the real one) without failing the wrapped test.
type fatalRecorder struct {
	testing.TB
	msg string
}

type fatalSentinel struct{}

func (f *fatalRecorder) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	panic(fatalSentinel{})
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(fatalSentinel{})
}

func (f *fatalRecorder) recoverFatal() {
	if r := recover(); r != nil {
		if _, ok := r.(fatalSentinel); !ok {
			panic(r)
		}
	}
}
