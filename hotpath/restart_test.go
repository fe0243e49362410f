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
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
)

// TestLaneSurvivesLosingItsSession kills every database session while ops
// flow: callers in flight get errors (never a false success), the lane
// re-acquires the lock, rebuilds from the database and goes on, and its state
// equals a re-execution of what was committed.
func TestLaneSurvivesLosingItsSession(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{setup: smallBatches, maxBatchOpen: time.Hour})
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
	_, err := e.pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	require.NoError(t, err)
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
