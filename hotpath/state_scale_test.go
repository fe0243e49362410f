package hotpath_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/internal/l1rows"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/protocol/scheduler"
	"github.com/cartesi/sequencer/store"
)

// opWith signs an op of user carrying a wallet method.
func (e *laneEnv) opWith(user int, nonce uint32, m interface{ Encode() []byte }) hotpath.Op {
	e.t.Helper()
	uop := protocol.UserOp{Nonce: nonce, MaxFee: 2000, Data: m.Encode()}
	digest := domain.Digest(uop)
	raw, err := crypto.Sign(digest[:], e.keys[user])
	require.NoError(e.t, err)
	sig, err := protocol.ParseSignature(raw)
	require.NoError(e.t, err)
	return hotpath.Op{Sender: e.addr(user), UserOp: uop, Signature: sig, ReceivedAt: time.Now()}
}

// randomHistory drives n rounds of random transfers, withdrawals (some
// refused for want of balance: they change nothing) and deposits at moving
// safe heads through the lane, with small batches so that many batches
// seal. It returns the number of ops acknowledged.
func randomHistory(t *testing.T, e *laneEnv, rng *rand.Rand, rounds int) int {
	t.Helper()
	ctx := context.Background()
	for u := 0; u < 6; u++ {
		e.deposit(u, 5_000_000+rng.Uint64N(1_000_000), 1)
	}
	e.advance(5)
	require.NoError(t, e.l1.SetBatchSubmitter(ctx, submitter))
	e.waitIntake(true)
	nonces := make([]uint32, 6)
	acked := 0
	block := uint64(5)
	for round := 0; round < rounds; round++ {
		for k := 0; k < 1+rng.IntN(4); k++ {
			u := rng.IntN(6)
			var m interface{ Encode() []byte }
			if rng.IntN(4) == 0 {
				m = &wallet.Withdrawal{Amount: uint256.NewInt(rng.Uint64N(3_000_000))}
			} else {
				m = &wallet.Transfer{Amount: uint256.NewInt(rng.Uint64N(200_000)), To: e.addr(rng.IntN(7))}
			}
			_, err := e.submit(e.opWith(u, nonces[u], m))
			if err == nil {
				nonces[u]++
				acked++
			}
		}
		if rng.IntN(3) == 0 {
			for d := 0; d < 1+rng.IntN(3); d++ {
				e.deposit(rng.IntN(7), 1+rng.Uint64N(500_000), block+1)
			}
		}
		if rng.IntN(2) == 0 {
			block += uint64(1 + rng.IntN(6))
			e.advance(block)
			time.Sleep(60 * time.Millisecond) // frames rotate on the lane's poll
		}
	}
	return acked
}

// waitAllSealed restarts the lane with a short age limit and waits until
// the newest checkpoint covers the whole valid feed (only an empty tip is
// open), then stops it.
func waitAllSealed(t *testing.T, e *laneEnv) {
	t.Helper()
	e.stopLane()
	e.startLane(100 * time.Millisecond)
	e.waitIntake(true)
	waitCheckpointAtHead(t, e)
	e.stopLane()
}

// schedulerStates folds the L1 stream with the reference scheduler and
// returns the canonical state after each accepted batch, by batch nonce.
func schedulerStates(t *testing.T, e *laneEnv) map[uint64][]byte {
	t.Helper()
	inputs, _ := l1Stream(t, e)
	w := wallet.New(walletConfig)
	s := scheduler.New(w, domain, submitter)
	states := map[uint64][]byte{}
	for _, in := range inputs {
		expected := s.ExpectedBatchNonce()
		r := s.Process(in)
		if in.Sender == submitter {
			require.Equal(t, scheduler.Accepted, r.Outcome, "%v", r.Err)
			states[expected] = w.Snapshot()
		}
	}
	return states
}

// TestStateAtEveryBatchBoundaryIsTheFullEncoding is the property behind
// taking snapshots off the lane: over random histories of transfers,
// withdrawals and deposits, the snapshot obtainable at every batch boundary
// (the nearest stored one plus replay, as restart and the checkpointer get
// it) is byte for byte the full encoding of the state the reference
// scheduler reaches after that batch — from a fresh replica and from one
// moving forward, and every checkpoint the lane stored on its own.
func TestStateAtEveryBatchBoundaryIsTheFullEncoding(t *testing.T) {
	for _, seed := range []uint64{1, 2, uint64(time.Now().UnixNano())} {
		t.Run("", func(t *testing.T) {
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, 0))
			e := newEnv(t, envOptions{setup: smallBatches, maxBatchOpen: time.Hour,
				checkpoint: hotpath.CheckpointConfig{Gap: 150 * time.Millisecond, Poll: 50 * time.Millisecond}})
			randomHistory(t, e, rng, 40)
			waitAllSealed(t, e)
			want := schedulerStates(t, e)
			require.Greater(t, len(want), 8, "the history must cross many batch boundaries")

			ctx := context.Background()
			cs := store.NewCheckpointStore(e.pool)
			rows, err := e.pool.Query(ctx, `SELECT id, nonce, state_offset FROM batches
				WHERE sealed_at IS NOT NULL AND invalidated_at IS NULL ORDER BY nonce`)
			require.NoError(t, err)
			var bounds []store.Boundary
			for rows.Next() {
				var b store.Boundary
				var nonce, off int64
				require.NoError(t, rows.Scan(&b.BatchID, &nonce, &off))
				b.Nonce, b.StateOffset = uint64(nonce), uint64(off)
				bounds = append(bounds, b)
			}
			require.NoError(t, rows.Err())
			require.Len(t, bounds, len(want))
			moving := hotpath.NewReplica(newWallet)
			for _, b := range bounds {
				got, _, err := hotpath.NewReplica(newWallet).StateAt(ctx, cs, b)
				require.NoError(t, err)
				require.Equal(t, want[b.Nonce], got, "batch %d from a fresh replica", b.Nonce)
				got, _, err = moving.StateAt(ctx, cs, b)
				require.NoError(t, err)
				require.Equal(t, want[b.Nonce], got, "batch %d from a moving replica", b.Nonce)
			}
			snaps, err := e.pool.Query(ctx, `SELECT b.nonce, s.state FROM snapshots s JOIN batches b ON b.id = s.batch_id`)
			require.NoError(t, err)
			stored := 0
			for snaps.Next() {
				var nonce int64
				var state []byte
				require.NoError(t, snaps.Scan(&nonce, &state))
				require.Equal(t, want[uint64(nonce)], state, "stored checkpoint of batch %d", nonce)
				stored++
			}
			require.NoError(t, snaps.Err())
			require.Positive(t, stored)
		})
	}
}

// TestDepositWaveDrainsOverBoundedFrames: a wave of deposits waits when the
// lane starts. The first frame drains a bounded number and intake opens;
// later frames catch up between user ops, each draining at most the bound —
// or one whole L1 block that alone exceeds it — and never splitting a block.
// The feed is exactly what the reference scheduler executes.
func TestDepositWaveDrainsOverBoundedFrames(t *testing.T) {
	ctx := context.Background()
	const bound = 10
	e := newEnv(t, envOptions{setup: smallBatches, maxBatchOpen: time.Hour, maxDrain: bound})
	// 2 funding deposits, then a wave over blocks 2..200 with uneven
	// counts, block 7 holding 25 (more than the bound): about 90 frames to
	// catch up, long enough that user ops land between them.
	e.deposit(0, 10_000_000, 1)
	e.deposit(1, 10_000_000, 1)
	total := 2
	var wave []l1rows.Input
	for blk := uint64(2); blk <= 200; blk++ {
		n := int(blk % 9)
		if blk == 7 {
			n = 25
		}
		for k := 0; k < n; k++ {
			wave = append(wave, l1rows.Input{Sender: portal, Block: blk,
				Payload: wallet.EncodeDeposit(token, e.addr(2+k%5), uint256.NewInt(1000+uint64(k)), nil)})
		}
		total += n
	}
	_, err := e.l1.Append(ctx, wave...)
	require.NoError(t, err)
	e.advance(201)
	require.NoError(t, e.l1.SetBatchSubmitter(ctx, submitter))
	e.waitIntake(true)
	// Ops while the lane catches up: they land between drains.
	nonces := [2]uint32{}
	for i := 0; i < 30; i++ {
		u := i % 2
		_, err := e.submit(e.op(u, nonces[u], 1, e.addr(3)))
		require.NoError(t, err)
		nonces[u]++
	}
	require.Eventually(t, func() bool {
		var drained int
		require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM sequenced_l2_txs WHERE kind = 'direct_input'`).Scan(&drained))
		return drained == total
	}, 20*time.Second, 20*time.Millisecond, "the wave is drained")
	waitAllSealed(t, e)

	// Every frame drains at most the bound unless its inputs are one block,
	// and safe blocks never decrease. That each drains exactly the waiting
	// inputs at or below its safe block (whole blocks) is what the
	// scheduler comparison below checks.
	rows, err := e.pool.Query(ctx, `SELECT f.safe_block, count(s."offset"), count(DISTINCT i.block_number),
			coalesce(min(i.block_number), 0)
		FROM frames f LEFT JOIN sequenced_l2_txs s ON s.batch_id = f.batch_id AND s.frame_position = f.position
		LEFT JOIN safe_inputs i ON i.input_index = s.safe_input_index
		GROUP BY f.batch_id, f.position, f.safe_block ORDER BY f.batch_id, f.position`)
	require.NoError(t, err)
	var frames, shortFrames, opsBeforeLastDrain int
	prevSafe := uint64(0)
	for rows.Next() {
		var safe, n, blocks, minBlock int64
		require.NoError(t, rows.Scan(&safe, &n, &blocks, &minBlock))
		frames++
		require.GreaterOrEqual(t, uint64(safe), prevSafe, "safe blocks never decrease")
		require.True(t, n <= bound || blocks == 1, "frame at %d drains %d inputs over %d blocks", safe, n, blocks)
		if n > 0 && uint64(safe) < 201 {
			shortFrames++
		}
		prevSafe = uint64(safe)
	}
	require.NoError(t, rows.Err())
	require.Greater(t, shortFrames, 5, "the wave took several bounded frames")
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM user_ops WHERE "offset" <
		(SELECT max("offset") FROM sequenced_l2_txs WHERE kind = 'direct_input')`).Scan(&opsBeforeLastDrain))
	require.Positive(t, opsBeforeLastDrain, "intake was open while the wave drained")
	var block7 int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(DISTINCT s.frame_position::text || '/' || s.batch_id::text)
		FROM sequenced_l2_txs s JOIN safe_inputs i ON i.input_index = s.safe_input_index WHERE i.block_number = 7`).Scan(&block7))
	require.Equal(t, 1, block7, "block 7's 25 inputs go into one frame")

	inputs, _ := l1Stream(t, e)
	w := wallet.New(walletConfig)
	results, executed := scheduler.New(w, domain, submitter).Fold(inputs)
	for _, r := range results {
		if r.Input.Sender == submitter {
			require.Equal(t, scheduler.Accepted, r.Outcome, "%v", r.Err)
		}
	}
	entries, err := store.NewFeedReader(e.pool).Entries(ctx, 0, 100000)
	require.NoError(t, err)
	require.Equal(t, describeFeed(entries), describeExecuted(executed))
	t.Logf("%d inputs drained over %d frames (%d short of the head)", total, frames, shortFrames)
}

// TestRestartFromEachKindOfStoredState: whatever the database holds — no
// snapshot at all (genesis plus the whole replay), a snapshot in the middle
// of history plus replay, a snapshot exactly at the last entry, or a
// bounded drain half done — a restarted lane holds exactly the committed
// state, and goes on.
func TestRestartFromEachKindOfStoredState(t *testing.T) {
	ctx := context.Background()
	off := hotpath.CheckpointConfig{Disabled: true}
	fast := hotpath.CheckpointConfig{Gap: 100 * time.Millisecond, Poll: 20 * time.Millisecond}
	cases := []struct {
		name  string
		setup func(t *testing.T, e *laneEnv)
		// snapshots is what the database must hold before the restart.
		snapshots string // "none", "mid", "head"
		pending   bool   // inputs wait undrained when the lane stops
	}{
		{name: "genesis and replay", snapshots: "none", setup: func(t *testing.T, e *laneEnv) {
			randomHistory(t, e, rand.New(rand.NewPCG(7, 0)), 15)
		}},
		{name: "snapshot mid-history and replay", snapshots: "mid", setup: func(t *testing.T, e *laneEnv) {
			randomHistory(t, e, rand.New(rand.NewPCG(8, 0)), 15)
			e.stopLane()
			e.checkpoint = fast
			e.startLane(100 * time.Millisecond)
			waitCheckpointAtHead(t, e)
			e.stopLane()
			e.checkpoint = off
			e.startLane(time.Hour)
			e.waitIntake(true)
			for i := 0; i < 7; i++ {
				n, err := e.lane.NextNonce(e.addr(0))
				require.NoError(t, err)
				_, err = e.submit(e.op(0, n, 1, e.addr(1)))
				require.NoError(t, err)
			}
		}},
		{name: "snapshot at the last entry", snapshots: "head", setup: func(t *testing.T, e *laneEnv) {
			randomHistory(t, e, rand.New(rand.NewPCG(9, 0)), 15)
			e.stopLane()
			e.checkpoint = fast
			e.startLane(100 * time.Millisecond)
			waitCheckpointAtHead(t, e)
		}},
		{name: "bounded drain half done", snapshots: "none", pending: true, setup: func(t *testing.T, e *laneEnv) {
			e.deposit(0, 10_000_000, 1)
			for blk := uint64(2); blk < 40; blk++ {
				for k := 0; k < 3; k++ {
					e.deposit(1+k, 10, blk)
				}
			}
			e.advance(41)
			require.NoError(t, e.l1.SetBatchSubmitter(ctx, submitter))
			e.waitIntake(true)
			_, err := e.submit(e.op(0, 0, 1, e.addr(1)))
			require.NoError(t, err)
			e.stop() // at once: the catch-up frames are still under way
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, envOptions{setup: smallBatches, maxBatchOpen: time.Hour, checkpoint: off, maxDrain: 4})
			c.setup(t, e)
			e.stopLane()
			want := e.lane.StateSnapshot()
			head := e.lane.Status().Head
			var snaps, atHead int
			require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE l2_tx_index = $1) FROM snapshots`,
				int64(head)).Scan(&snaps, &atHead))
			switch c.snapshots {
			case "none":
				require.Zero(t, snaps)
			case "mid":
				require.Positive(t, snaps)
				require.Zero(t, atHead)
			case "head":
				require.Positive(t, atHead)
			}
			// The inputs the stopped lane had not drained yet: the restarted
			// one drains them after rebuilding; the state it reaches is the
			// committed one with those applied, in InputBox order.
			expected := wallet.New(walletConfig)
			require.NoError(t, expected.Restore(want))
			rows, err := e.pool.Query(ctx, `SELECT i.sender, i.payload, i.block_number, i.input_index FROM safe_inputs i
				WHERE i.sender <> $1 AND i.block_number <= (SELECT block_number FROM l1_safe_head)
				AND NOT EXISTS (SELECT 1 FROM sequenced_l2_txs s WHERE s.safe_input_index = i.input_index)
				ORDER BY i.input_index`, submitter.Bytes())
			require.NoError(t, err)
			pending := 0
			for rows.Next() {
				var sender, payload []byte
				var blk, idx int64
				require.NoError(t, rows.Scan(&sender, &payload, &blk, &idx))
				expected.ApplyDirectInput(app.DirectInput{Sender: common.BytesToAddress(sender), Payload: payload,
					BlockNumber: uint64(blk), Index: uint64(idx)})
				pending++
			}
			require.NoError(t, rows.Err())
			if c.pending {
				require.Positive(t, pending, "the lane stopped before catching up")
			}

			e.checkpoint = off
			e.startLane(time.Hour)
			e.waitIntake(true)
			require.Eventually(t, func() bool { return e.lane.Status().Head == head+uint64(pending) }, 10*time.Second,
				10*time.Millisecond, "the restarted lane drains what was left")
			require.Equal(t, expected.Snapshot(), e.lane.StateSnapshot(), "the rebuilt state is the committed one")
		})
	}
}

// waitCheckpointAtHead waits until a stored snapshot covers the whole valid
// feed.
func waitCheckpointAtHead(t *testing.T, e *laneEnv) {
	t.Helper()
	ctx := context.Background()
	fr := store.NewFeedReader(e.pool)
	require.Eventually(t, func() bool {
		var covered int64
		require.NoError(t, e.pool.QueryRow(ctx, `SELECT coalesce(max(l2_tx_index), 0) FROM snapshots`).Scan(&covered))
		head, err := fr.LastValidOffset(ctx)
		require.NoError(t, err)
		return uint64(covered) == head
	}, 20*time.Second, 20*time.Millisecond)
}
