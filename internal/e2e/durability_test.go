package e2e

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/feed"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
)

type ack struct {
	sender common.Address
	nonce  uint32
	offset uint64
}

// loadUntilError drives users' sequential transfers at p until a request
// fails at the transport level (the process died) or stop is closed; it
// returns every acknowledged op.
func loadUntilError(t *testing.T, p *proc, w *world, users int, firstNonce []uint32, stop <-chan struct{}) []ack {
	var (
		mu    sync.Mutex
		acks  []ack
		wg    sync.WaitGroup
		count atomic.Int64
	)
	for u := 0; u < users; u++ {
		wg.Add(1)
		go func(u int) {
			defer wg.Done()
			for nonce := firstNonce[u]; ; nonce++ {
				select {
				case <-stop:
					return
				default:
				}
				r, err := p.postTx(w.txBody(t, u, nonce))
				if err != nil {
					return // the process is gone
				}
				if r.status != http.StatusOK {
					t.Errorf("user %d nonce %d: status %d code %s", u, nonce, r.status, r.Code)
					return
				}
				mu.Lock()
				acks = append(acks, ack{sender: w.addr(u), nonce: nonce, offset: r.Offset})
				mu.Unlock()
				count.Add(1)
			}
		}(u)
	}
	wg.Wait()
	return acks
}

// foldFeed re-executes the feed with a fresh wallet, validating every op as
// the scheduler would, and returns the resulting wallet.
func foldFeed(t *testing.T, entries []feed.Entry) *wallet.Wallet {
	t.Helper()
	w := wallet.New(walletConfig)
	for _, e := range entries {
		switch e.Kind {
		case feed.KindDirectInput:
			w.ApplyDirectInput(app.DirectInput{Sender: e.Sender, Payload: e.Payload, BlockNumber: e.BlockNumber, Index: e.InputIndex})
		case feed.KindUserOp:
			ctx := app.UserOpContext{Sender: e.Sender, FeePrice: e.Fee, SafeBlock: e.SafeBlock}
			op := protocol.UserOp{Nonce: e.Nonce, MaxFee: 2000, Data: e.Data}
			require.NoError(t, app.Validate(w, ctx, op), "feed entry %d", e.Offset)
			w.ApplyUserOp(ctx, op)
		}
	}
	return w
}

// waitSealedUpTo waits until the newest snapshot covers the whole feed and
// returns it.
func waitSealedUpTo(t *testing.T, p *proc, head uint64) []byte {
	t.Helper()
	var state []byte
	require.Eventually(t, func() bool {
		code, hdr, body := p.getInternal("/latest_snapshot")
		if code != http.StatusOK {
			return false
		}
		idx, err := strconv.ParseUint(hdr.Get("X-L2-Tx-Index"), 10, 64)
		if err != nil || idx != head {
			return false
		}
		state = body
		return true
	}, 20*time.Second, 50*time.Millisecond, "no snapshot reached offset %d", head)
	return state
}

// TestKillNineLosesNoAcknowledgedOp kills `serve` with SIGKILL in the middle
// of a load and restarts it: every op that got a 200 is stored at the offset
// it was told, in the same order, nothing unacknowledged is half-written,
// and the rebuilt state equals an independent re-execution of what was
// committed before the kill.
func TestKillNineLosesNoAcknowledgedOp(t *testing.T) {
	ctx := context.Background()
	const users = 16
	w := newWorld(t, users)
	p := startServe(t, w.url, "SEQ_MAX_BATCH_OPEN_SECONDS=1")
	p.waitReady()

	killed := make(chan struct{})
	go func() {
		time.Sleep(1500 * time.Millisecond)
		p.kill()
		close(killed)
	}()
	acks := loadUntilError(t, p, w, users, make([]uint32, users), nil)
	<-killed
	// A COMMIT the dead process had already sent still completes in the
	// server after the process is gone. A backend reads its socket to the
	// end (that COMMIT included) before it sees the closed connection and
	// exits, so once no session but the test's own is left, everything the
	// dead process wrote has settled and every read below sees one state.
	require.Eventually(t, func() bool {
		var others int
		require.NoError(t, w.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND backend_type = 'client backend'
			  AND application_name <> $1`, testAppName).Scan(&others))
		return others == 0
	}, 30*time.Second, 20*time.Millisecond, "the killed process's database sessions did not end")
	require.Greater(t, len(acks), 100, "the load must be under way when the process dies")
	t.Logf("%d ops acknowledged before SIGKILL", len(acks))

	// Every acknowledged op is stored where it was promised.
	type stored struct {
		sender common.Address
		nonce  uint32
	}
	byOffset := map[uint64]stored{}
	perSender := map[common.Address][]uint32{}
	rows, err := w.pool.Query(ctx, `SELECT "offset", sender, nonce FROM user_ops ORDER BY "offset"`)
	require.NoError(t, err)
	for rows.Next() {
		var off, nonce int64
		var sender []byte
		require.NoError(t, rows.Scan(&off, &sender, &nonce))
		s := stored{common.BytesToAddress(sender), uint32(nonce)}
		byOffset[uint64(off)] = s
		perSender[s.sender] = append(perSender[s.sender], s.nonce)
	}
	require.NoError(t, rows.Err())
	for _, a := range acks {
		got, ok := byOffset[a.offset]
		require.True(t, ok, "acknowledged op %s/%d at offset %d is missing", a.sender, a.nonce, a.offset)
		require.Equal(t, stored{a.sender, a.nonce}, got, "offset %d", a.offset)
	}
	// Nothing half-written: each sender's stored nonces are 0..n−1 in order,
	// and every replay row has its op or input.
	for sender, nonces := range perSender {
		for i, n := range nonces {
			require.Equal(t, uint32(i), n, "sender %s", sender)
		}
	}
	var orphans int
	require.NoError(t, w.pool.QueryRow(ctx, `SELECT count(*) FROM sequenced_l2_txs s
		LEFT JOIN user_ops u ON u."offset" = s."offset"
		WHERE (s.kind = 'user_op') <> (u."offset" IS NOT NULL)`).Scan(&orphans))
	require.Zero(t, orphans)

	// The feed lists the committed ops in offset order.
	fr := store.NewFeedReader(w.pool)
	entries, err := fr.Entries(ctx, 0, 1_000_000)
	require.NoError(t, err)
	var feedOps int
	for i, e := range entries {
		if i > 0 {
			require.Greater(t, e.Offset, entries[i-1].Offset)
		}
		if e.Kind == feed.KindUserOp {
			feedOps++
			require.Equal(t, byOffset[e.Offset], stored{e.Sender, e.Nonce})
		}
	}
	require.Equal(t, len(byOffset), feedOps)
	committed := foldFeed(t, entries)

	// Restart: the rebuilt state equals the committed one, and the service
	// goes on where it stopped.
	p2 := startServe(t, w.url, "SEQ_MAX_BATCH_OPEN_SECONDS=1")
	p2.waitReady()
	head := entries[len(entries)-1].Offset
	require.Equal(t, committed.Snapshot(), waitSealedUpTo(t, p2, head))
	next := make([]uint32, users)
	for u := 0; u < users; u++ {
		next[u] = uint32(len(perSender[w.addr(u)]))
		code, body := p2.get("/nonce?sender=" + w.addr(u).Hex())
		require.Equal(t, http.StatusOK, code)
		require.Contains(t, string(body), `"next_nonce":`+strconv.Itoa(int(next[u])))
	}
	r, err := p2.postTx(w.txBody(t, 0, next[0]))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, r.status)
	require.Greater(t, r.Offset, head)
	require.Equal(t, 0, p2.stop(), "clean shutdown exits 0")
}
