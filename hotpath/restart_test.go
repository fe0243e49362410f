package hotpath_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/feed"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/internal/pgcluster"
	"github.com/cartesi/sequencer/internal/pgtest"
	"github.com/cartesi/sequencer/migrations"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
)

// TestLaneSurvivesLosingItsSession kills every database session while ops
// flow: callers in flight get errors (never a false success), the lane
// re-acquires the lock, rebuilds from the database and goes on, and its state
// equals a re-execution of what was committed.
func TestLaneSurvivesLosingItsSession(t *testing.T) {
	e := newEnv(t, envOptions{setup: smallBatches, maxBatchOpen: time.Hour})
	loadThroughFault(t, e, func() {
		_, err := e.pool.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid()`)
		require.NoError(t, err)
	})
}

// TestLaneSurvivesAPostgresCrash crashes the PostgreSQL server (immediate
// shutdown, synchronous commits) under load and starts it again: the same
// guarantees hold.
func TestLaneSurvivesAPostgresCrash(t *testing.T) {
	cluster := pgtest.NewCluster(t, pgcluster.Options{Settings: map[string]string{
		"synchronous_commit": "on", "fsync": "off", "max_connections": "50",
	}})
	url := cluster.URL("postgres")
	require.NoError(t, migrations.ApplyURL(context.Background(), url))
	e := newEnv(t, envOptions{url: url, setup: smallBatches, maxBatchOpen: time.Hour})
	loadThroughFault(t, e, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		require.NoError(t, cluster.Kill(ctx))
		time.Sleep(200 * time.Millisecond)
		require.NoError(t, cluster.Start(ctx))
	})
}

// loadThroughFault drives sequential transfers from four users, injects
// fault mid-load, and checks: every acknowledged op is in the feed where it
// was promised, the lane acknowledges again afterwards holding the writer
// lock, and its state equals a validating re-execution of the feed.
func loadThroughFault(t *testing.T, e *laneEnv, fault func()) {
	ctx := context.Background()
	const users = 4
	for u := 0; u < users; u++ {
		e.deposit(u, 1_000_000_000, 1)
	}
	e.advance(5)
	require.NoError(t, e.l1.SetBatchSubmitter(ctx, submitter))
	e.waitIntake(true)

	type ack struct {
		user   int
		nonce  uint32
		offset uint64
	}
	var (
		mu   sync.Mutex
		acks []ack
		wg   sync.WaitGroup
	)
	stop := make(chan struct{})
	for u := 0; u < users; u++ {
		wg.Add(1)
		go func(u int) {
			defer wg.Done()
			next, err := e.lane.NextNonce(e.addr(u))
			require.NoError(t, err)
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, err := e.submit(e.op(u, next, 1, e.addr((u+1)%users)))
				if err != nil {
					// Failed or refused: the nonce may or may not have been
					// committed; ask the lane again once it is back.
					time.Sleep(5 * time.Millisecond)
					if n, err := e.lane.NextNonce(e.addr(u)); err == nil {
						next = n
					}
					continue
				}
				mu.Lock()
				acks = append(acks, ack{u, next, r.Offset})
				mu.Unlock()
				next++
			}
		}(u)
	}
	time.Sleep(300 * time.Millisecond)
	fault()
	mu.Lock()
	acksBeforeKill := len(acks)
	mu.Unlock()
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()
	require.Eventually(t, func() bool { return e.lane.Status().IntakeOpen }, 10*time.Second, 10*time.Millisecond)

	entries, err := store.NewFeedReader(e.pool).Entries(ctx, 0, 1_000_000)
	require.NoError(t, err)
	byOffset := map[uint64]feed.Entry{}
	for _, en := range entries {
		byOffset[en.Offset] = en
	}
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, acks)
	for _, a := range acks {
		en, ok := byOffset[a.offset]
		require.True(t, ok, "acknowledged offset %d missing", a.offset)
		require.Equal(t, e.addr(a.user), en.Sender)
		require.Equal(t, a.nonce, en.Nonce)
	}
	require.Greater(t, len(acks), acksBeforeKill, "the lane acknowledged ops again after losing its session")
	var sessions int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted`).Scan(&sessions))
	require.Equal(t, 1, sessions, "one lane holds the writer lock again")

	// The live state equals a validating re-execution of the feed.
	w := wallet.New(walletConfig)
	for _, en := range entries {
		if en.Kind == feed.KindDirectInput {
			w.ApplyDirectInput(app.DirectInput{Sender: en.Sender, Payload: en.Payload, BlockNumber: en.BlockNumber, Index: en.InputIndex})
			continue
		}
		uctx := app.UserOpContext{Sender: en.Sender, FeePrice: en.Fee, SafeBlock: en.SafeBlock}
		op := protocol.UserOp{Nonce: en.Nonce, MaxFee: 2000, Data: en.Data}
		require.NoError(t, app.Validate(w, uctx, op))
		w.ApplyUserOp(uctx, op)
	}
	require.Equal(t, w.Snapshot(), e.lane.StateSnapshot())
	require.Equal(t, hotpath.RoleActive, e.lane.Status().Role)
}
