package hotpath_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/feed"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/internal/faults"
	"github.com/cartesi/sequencer/store"
)

// otherLane is a second process's lane on the same database, with its own
// feed hub: a hot standby until it wins the writer lock.
type otherLane struct {
	lane *hotpath.Lane
	hub  *feed.Hub
	stop func()
}

func (e *laneEnv) startOther(sessionTimeout time.Duration) *otherLane {
	e.t.Helper()
	o := &otherLane{hub: feed.NewHub(0)}
	o.lane = hotpath.New(hotpath.Config{
		DatabaseURL: e.url, ChainID: chainID, App: appAddr, MaxBatchOpen: time.Hour,
		Danger:         hotpath.DangerConfig{MarginBlocks: 300, ReadStaleBlocks: 600, SecondsPerBlock: 12},
		DangerInterval: 50 * time.Millisecond,
		SessionTimeout: sessionTimeout,
	}, hotpath.Deps{NewApp: newWallet, Pool: e.pool, Hub: o.hub, Registerer: prometheus.NewRegistry()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.lane.Run(ctx) }()
	stopped := false
	o.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			require.NoError(e.t, err)
		case <-time.After(15 * time.Second):
			e.t.Fatal("the other lane did not stop")
		}
	}
	e.t.Cleanup(o.stop)
	require.Eventually(e.t, func() bool { return o.lane.Status().Role == hotpath.RoleStandby }, 10*time.Second, 10*time.Millisecond)
	return o
}

func writable(l *hotpath.Lane) bool {
	st := l.Status()
	return st.Role == hotpath.RoleActive && st.IntakeOpen
}

// killWriter ends the database session that holds this database's writer
// lock, as a network blip or a Postgres-side kill would.
func (e *laneEnv) killWriter() {
	e.t.Helper()
	var n int
	require.NoError(e.t, e.pool.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted
		  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n))
	require.Equal(e.t, 1, n, "one session holds the writer lock")
}

// drainSub reads sub until the hub closes it (failing after within) and
// returns what it delivered.
func drainSub(t *testing.T, sub *feed.Subscription, within time.Duration) []feed.Entry {
	t.Helper()
	var got []feed.Entry
	timeout := time.After(within)
	for {
		select {
		case ev, ok := <-sub.C:
			if !ok {
				return got
			}
			got = append(got, ev.Entries...)
		case <-timeout:
			t.Fatalf("subscriber still open after %s (received %d entries)", within, len(got))
		}
	}
}

// TestDemotedLaneClosesItsSubscribers: the writer's session is killed and
// the standby takes over. The demoted process's live subscribers are closed
// at once as Restarted (not left waiting while the other process
// sequences), it takes no new subscriber and answers no nonce or fee while
// it is a standby, and when it regains the lock its hub resumes at the
// database's head: nothing the other process sequenced is skipped.
func TestDemotedLaneClosesItsSubscribers(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{maxBatchOpen: time.Hour})
	e.deposit(0, 1_000_000_000, 1)
	e.deposit(1, 1_000_000_000, 1)
	e.advance(5)
	require.NoError(t, e.l1.SetBatchSubmitter(ctx, submitter))
	e.waitIntake(true)
	r, err := e.submit(e.op(0, 0, 1, e.addr(1)))
	require.NoError(t, err)
	require.Equal(t, uint64(3), r.Offset)
	sub, head := e.hub.Subscribe(64)
	require.Equal(t, uint64(3), head)

	b := e.startOther(0)
	// Kill the writer's session until the standby wins the race for the
	// lock (it polls every 500 ms, the old writer retries after 1 s).
	for attempt := 0; !writable(b.lane); attempt++ {
		require.Less(t, attempt, 5, "the standby never took over")
		e.killWriter()
		require.Eventually(t, func() bool { return !writable(e.lane) }, 5*time.Second, 5*time.Millisecond)
		require.Eventually(t, func() bool { return writable(b.lane) || writable(e.lane) }, 10*time.Second, 10*time.Millisecond)
	}
	require.Empty(t, drainSub(t, sub, 5*time.Second), "nothing was published after the subscription")
	require.True(t, sub.Restarted(), "closed to reconnect, not as a slow consumer")

	// The other process sequences; this one is a standby meanwhile.
	br, err := b.lane.Submit(ctx, e.op(0, 1, 1, e.addr(1)))
	require.NoError(t, err)
	require.Equal(t, uint64(4), br.Offset)
	require.Eventually(t, func() bool { return e.lane.Status().Role == hotpath.RoleStandby }, 5*time.Second, 10*time.Millisecond)
	late, _ := e.hub.Subscribe(64)
	require.True(t, late.Restarted(), "a standby's hub takes no subscriber")
	_, err = e.lane.NextNonce(e.addr(0))
	require.ErrorIs(t, err, hotpath.ErrUnavailable, "a standby has no nonces to report")
	_, err = e.lane.Quote()
	require.ErrorIs(t, err, hotpath.ErrUnavailable, "nor a fee")

	// The other process goes away; this one regains the lock.
	b.stop()
	e.waitIntake(true)
	again, head := e.hub.Subscribe(64)
	require.Equal(t, uint64(4), head, "the hub resumes at the database's head, the other process's op included")
	r, err = e.submit(e.op(0, 2, 1, e.addr(1)))
	require.NoError(t, err)
	require.Equal(t, uint64(5), r.Offset)
	select {
	case ev := <-again.C:
		require.Len(t, ev.Entries, 1)
		require.Equal(t, uint64(5), ev.Entries[0].Offset)
	case <-time.After(5 * time.Second):
		t.Fatal("the new subscriber got nothing")
	}
}

// TestBlackHoledWriterLosesTheLock: the writer's connection to Postgres goes
// silent without a reset (a dead host, a partition; here a proxy that drops
// every byte while TCP stays up, so no keepalive can tell). Within about the
// session timeout the server ends the silent session, the standby takes the
// lock and sequences, and the old writer notices on its own, closes its feed
// subscribers and stops claiming to be the writer.
func TestBlackHoledWriterLosesTheLock(t *testing.T) {
	const sessionTimeout = 2 * time.Second
	ctx := context.Background()
	var proxy *faults.Proxy
	e := newEnv(t, envOptions{maxBatchOpen: time.Hour, sessionTimeout: sessionTimeout,
		laneURL: func(raw string) string {
			u, err := url.Parse(raw)
			require.NoError(t, err)
			proxy = faults.StartProxy(t, u.Host)
			u.Host = proxy.Addr()
			return u.String()
		}})
	e.deposit(0, 1_000_000_000, 1)
	e.advance(5)
	require.NoError(t, e.l1.SetBatchSubmitter(ctx, submitter))
	e.waitIntake(true)
	sub, _ := e.hub.Subscribe(64)
	b := e.startOther(sessionTimeout)

	proxy.BlackHole()
	start := time.Now()
	require.Eventually(t, func() bool { return writable(b.lane) }, 15*time.Second, 10*time.Millisecond,
		"the standby takes over once the silent session ends")
	t.Logf("standby took over %s after the black hole", time.Since(start).Round(10*time.Millisecond))
	_, err := b.lane.Submit(ctx, e.op(0, 0, 1, e.addr(1)))
	require.NoError(t, err)

	drainSub(t, sub, 15*time.Second)
	require.True(t, sub.Restarted())
	require.NotEqual(t, hotpath.RoleActive, e.lane.Status().Role)
	require.False(t, e.lane.Status().IntakeOpen)
}

// TestFencedLaneRewindsItsSubscribers: a recovery fence ends the lane's
// session but is not a change of writer: the lane keeps its subscribers
// through the recovery, and when it rebuilds after the cascade they get the
// rewind (4001 on the WebSocket) naming the last valid offset.
func TestFencedLaneRewindsItsSubscribers(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{maxBatchOpen: time.Hour})
	e.deposit(0, 1_000_000_000, 1)
	e.advance(5)
	require.NoError(t, e.l1.SetBatchSubmitter(ctx, submitter))
	e.waitIntake(true)
	r, err := e.submit(e.op(0, 0, 1, e.addr(1)))
	require.NoError(t, err)
	require.Equal(t, uint64(2), r.Offset)
	sub, _ := e.hub.Subscribe(64)

	rec := store.NewRecovery(e.pool)
	require.NoError(t, rec.Fence(ctx))
	require.Eventually(t, func() bool { return e.lane.Status().Mode == "recovering" }, 5*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool {
		_, err := rec.Cascade(ctx, store.CascadeRequest{InDanger: 0, Submitter: submitter})
		return err == nil
	}, 5*time.Second, 20*time.Millisecond, "the cascade runs once the lane released the lock")
	require.NoError(t, rec.Resume(ctx))

	select {
	case ev, ok := <-sub.C:
		require.True(t, ok, "closed without the rewind")
		require.True(t, ev.Rewound)
		require.Equal(t, uint64(0), ev.LastValidOffset, "the whole open batch was revoked")
	case <-time.After(10 * time.Second):
		t.Fatal("no rewind")
	}
	_, ok := <-sub.C
	require.False(t, ok)
	require.False(t, sub.Restarted())
	e.waitIntake(true)
}
