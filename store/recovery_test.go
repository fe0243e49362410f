package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// recoveryFixture: batch 0 accepted, batches 1 and 2 sealed and not
// accepted, tip 3 open; a direct input drained by batch 1's frame.
func recoveryFixture(t *testing.T) (fixture, *Recovery) {
	t.Helper()
	ctx := context.Background()
	pool := newPool(t)
	f := fixture{t, pool}
	b0 := sealLocal(t, f, 1, 0, 0, 10)
	f.exec(`INSERT INTO safe_inputs (input_index, sender, payload, block_number, block_timestamp) VALUES (0, $1, $2, 11, 0)`,
		obsSubmitter.Bytes(), b0)
	f.exec(`INSERT INTO accepted_batches VALUES (0, 0, 11, $1, 1)`, hashOf(b0))
	f.exec(`INSERT INTO safe_inputs (input_index, sender, payload, block_number, block_timestamp) VALUES (1, $1, '\x01', 12, 0)`,
		obsPortal.Bytes())
	f.exec(`INSERT INTO batches (id, parent_id, nonce, generation) VALUES (2, 1, 1, 0)`)
	f.exec(`INSERT INTO frames (batch_id, position, safe_block, fee) VALUES (2, 0, 12, 1356)`)
	f.exec(`INSERT INTO sequenced_l2_txs VALUES (1, 2, 0, 'direct_input', 1)`)
	f.exec(`UPDATE batches SET sealed_at = now(), payload = '\x00', payload_hash = $1 WHERE id = 2`, make([]byte, 32))
	f.exec(`INSERT INTO batches (id, parent_id, nonce, generation) VALUES (3, 2, 2, 0)`)
	f.exec(`INSERT INTO frames (batch_id, position, safe_block, fee) VALUES (3, 0, 13, 1356)`)
	f.exec(`UPDATE batches SET sealed_at = now(), payload = '\x00', payload_hash = $1 WHERE id = 3`, make([]byte, 32))
	f.exec(`INSERT INTO batches (id, parent_id, nonce, generation) VALUES (4, 3, 3, 0)`)
	f.exec(`INSERT INTO frames (batch_id, position, safe_block, fee) VALUES (4, 0, 14, 1356)`)
	f.exec(`INSERT INTO l1_safe_head VALUES (true, 1200, 0, now(), now())`)
	f.exec(`SELECT setval('batches_id_seq', (SELECT max(id) FROM batches))`)
	r := NewRecovery(pool)
	require.NoError(t, r.Fence(ctx))
	return f, r
}

func hashOf(b []byte) []byte { return crypto.Keccak256(b) }

func TestCascadeInvalidatesFromThePivotAndRedrains(t *testing.T) {
	ctx := context.Background()
	f, r := recoveryFixture(t)
	a, err := r.Assess(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(1), a.Pivot.Nonce)
	require.Equal(t, uint64(12), a.PivotFirstSafeBlock)
	require.Equal(t, uint64(3), a.Tip.Nonce)

	res, err := r.Cascade(ctx, CascadeRequest{FlushBlock: 1200, InDanger: 900, Submitter: obsSubmitter})
	require.NoError(t, err)
	require.False(t, res.NoOp)
	require.Equal(t, uint64(1), res.PivotNonce)
	require.Equal(t, int64(3), res.Invalidated)
	require.Equal(t, uint64(1), res.Generation)
	require.Equal(t, 1, res.Redrained)

	var parent, nonce, safeBlock int64
	require.NoError(t, f.pool.QueryRow(ctx, `SELECT b.parent_id, b.nonce, f.safe_block FROM batches b JOIN frames f ON f.batch_id = b.id
		WHERE b.invalidated_at IS NULL AND b.sealed_at IS NULL`).Scan(&parent, &nonce, &safeBlock))
	require.Equal(t, int64(1), parent, "the new tip continues the last surviving batch")
	require.Equal(t, int64(1), nonce, "and carries the nonce the rollup expects")
	require.Equal(t, int64(1200), safeBlock)
	var offset int64
	require.NoError(t, f.pool.QueryRow(ctx, `SELECT s."offset" FROM sequenced_l2_txs s JOIN batches b ON b.id = s.batch_id
		WHERE b.invalidated_at IS NULL AND s.safe_input_index = 1`).Scan(&offset))
	require.Equal(t, int64(2), offset, "the deposit comes back with a new offset")

	// Retried in the same recovery: the record of what committed, nothing
	// changes.
	again, err := r.Cascade(ctx, CascadeRequest{FlushBlock: 1200, InDanger: 900, Submitter: obsSubmitter})
	require.NoError(t, err)
	require.True(t, again.Earlier)
	require.Equal(t, res.Invalidated, again.Invalidated)
	require.Equal(t, res.NewTipID, again.NewTipID)
	require.Equal(t, uint64(1), again.Generation)

	// The record is history: append-only, and only a cascade of the
	// current fence and generation may write one.
	for _, sql := range []string{
		`UPDATE recovery_cascades SET invalidated_batches = 0`,
		`DELETE FROM recovery_cascades`,
		`INSERT INTO recovery_cascades (generation, recovery_fence, pivot_nonce, pivot_batch_id, new_tip_id, safe_block,
			invalidated_batches, invalidated_ops, redrained_inputs) VALUES (2, 1, 1, 2, 3, 1200, 1, 0, 0)`,
	} {
		_, err := f.pool.Exec(ctx, sql)
		require.Error(t, err, sql)
	}

	// A later recovery: a fresh tip is not in danger, nothing changes.
	require.NoError(t, r.Resume(ctx))
	require.NoError(t, r.Fence(ctx))
	later, err := r.Cascade(ctx, CascadeRequest{FlushBlock: 1200, InDanger: 900, Submitter: obsSubmitter})
	require.NoError(t, err)
	require.True(t, later.NoOp)
	require.Equal(t, uint64(1), later.Generation)
}

func TestCascadeTipOnly(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	f := fixture{t, pool}
	f.exec(`INSERT INTO batches (id, nonce, generation) VALUES (1, 0, 0)`)
	f.exec(`INSERT INTO frames (batch_id, position, safe_block, fee) VALUES (1, 0, 100, 1356)`)
	f.exec(`INSERT INTO l1_safe_head VALUES (true, 999, 0, now(), now())`)
	f.exec(`SELECT setval('batches_id_seq', (SELECT max(id) FROM batches))`)
	r := NewRecovery(pool)
	require.NoError(t, r.Fence(ctx))

	res, err := r.Cascade(ctx, CascadeRequest{InDanger: 900, Submitter: obsSubmitter})
	require.NoError(t, err)
	require.True(t, res.NoOp, "899 blocks old: not in danger")

	f.exec(`UPDATE l1_safe_head SET block_number = 1000`)
	res, err = r.Cascade(ctx, CascadeRequest{InDanger: 900, Submitter: obsSubmitter})
	require.NoError(t, err)
	require.False(t, res.NoOp)
	require.Equal(t, uint64(0), res.PivotNonce)
	require.Equal(t, int64(1), res.Invalidated)
}

func TestCascadePreconditions(t *testing.T) {
	ctx := context.Background()
	mark := uint64(4)
	cases := map[string]struct {
		setup func(f fixture, r *Recovery)
		req   CascadeRequest
		want  error
	}{
		"not fenced": {func(f fixture, r *Recovery) { require.NoError(t, r.Resume(ctx)) }, CascadeRequest{FlushBlock: 1200}, ErrNotFenced},
		"not synced": {func(fixture, *Recovery) {}, CascadeRequest{FlushBlock: 1201}, ErrNotSynced},
		"watermark moved": {func(f fixture, _ *Recovery) {
			f.exec(`INSERT INTO wallet_nonce_watermark (singleton, nonce) VALUES (true, 5)`)
		}, CascadeRequest{FlushBlock: 1200, Flushed: true, FlushedWatermark: &mark}, ErrWatermarkMoved},
		"a watermark appeared after a flush that saw none": {func(f fixture, _ *Recovery) {
			f.exec(`INSERT INTO wallet_nonce_watermark (singleton, nonce) VALUES (true, 0)`)
		}, CascadeRequest{FlushBlock: 1200, Flushed: true}, ErrWatermarkMoved},
		"divergence": {func(f fixture, _ *Recovery) { f.exec(`UPDATE control SET divergence = 'x'`) }, CascadeRequest{}, ErrDivergence},
		"the lane still holds the lock": {func(f fixture, _ *Recovery) {
			conn, err := pgx.Connect(ctx, f.pool.Config().ConnString())
			require.NoError(t, err)
			t.Cleanup(func() { conn.Close(ctx) })
			_, err = conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, laneLockKey)
			require.NoError(t, err)
		}, CascadeRequest{FlushBlock: 1200}, ErrLaneHoldsLock},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f, r := recoveryFixture(t)
			tc.setup(f, r)
			_, err := r.Cascade(ctx, tc.req)
			require.ErrorIs(t, err, tc.want)
			var invalidated int
			require.NoError(t, f.pool.QueryRow(ctx, `SELECT count(*) FROM batches WHERE invalidated_at IS NOT NULL`).Scan(&invalidated))
			require.Zero(t, invalidated)
		})
	}
}

func TestClaimForBroadcastSerialisesWithTheCascade(t *testing.T) {
	ctx := context.Background()
	f, r := recoveryFixture(t)
	s := NewSubmitter(f.pool)
	var h []byte
	require.NoError(t, f.pool.QueryRow(ctx, `SELECT payload_hash FROM batches WHERE nonce = 1`).Scan(&h))
	// Fenced: the claim is refused, nothing is raised.
	_, ok, err := s.ClaimForBroadcast(ctx, 1, common.BytesToHash(h), 7)
	require.NoError(t, err)
	require.False(t, ok, "no broadcast while a recovery holds the fence")
	_, has, err := s.Watermark(ctx)
	require.NoError(t, err)
	require.False(t, has)

	// A claim that got in before the fence blocks a cascade whose flush
	// did not cover it.
	require.NoError(t, r.Resume(ctx))
	_, ok, err = s.ClaimForBroadcast(ctx, 1, common.BytesToHash(h), 7)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, r.Fence(ctx))
	flushed := uint64(6)
	_, err = r.Cascade(ctx, CascadeRequest{FlushBlock: 1200, Flushed: true, FlushedWatermark: &flushed, InDanger: 900, Submitter: obsSubmitter})
	require.ErrorIs(t, err, ErrWatermarkMoved, "a claim after the flush blocks the cascade")
	flushed = 7
	_, err = r.Cascade(ctx, CascadeRequest{FlushBlock: 1200, Flushed: true, FlushedWatermark: &flushed, InDanger: 900, Submitter: obsSubmitter})
	require.NoError(t, err)
	require.NoError(t, r.Resume(ctx))
	_, ok, err = s.ClaimForBroadcast(ctx, 1, common.BytesToHash(h), 8)
	require.NoError(t, err)
	require.False(t, ok, "an invalidated batch is never claimed")
	mark, _, err := s.Watermark(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(7), mark)
}

// longSuffix builds, through the schema's own triggers (set-based, in
// committed chunks so the planner sees the tables grow): batch 0 accepted;
// sealed, unaccepted batches 1…n, each with opsPerBatch user ops, the first
// deposits of which drain one deposit each (safe inputs 1…deposits); and an
// open tip n+1. The safe head is 1200, so batch 1 is the pivot.
func longSuffix(t *testing.T, n, opsPerBatch, deposits int) (fixture, *Recovery) {
	t.Helper()
	ctx := context.Background()
	pool := newPool(t)
	f := fixture{t, pool}
	b0 := sealLocal(t, f, 1, 0, 0, 10)
	f.exec(`INSERT INTO safe_inputs (input_index, sender, payload, block_number, block_timestamp) VALUES (0, $1, $2, 11, 0)`,
		obsSubmitter.Bytes(), b0)
	f.exec(`INSERT INTO accepted_batches VALUES (0, 0, 11, $1, 1)`, hashOf(b0))
	f.exec(`SELECT setval('batches_id_seq', 1)`)
	f.exec(`INSERT INTO safe_inputs (input_index, sender, payload, block_number, block_timestamp)
		SELECT k, $1, '\x01', 12, 0 FROM generate_series(1, $2::int) k`, obsPortal.Bytes(), deposits)
	const chunk = 500
	for first := 1; first <= n; first += chunk {
		f.exec(`DO $$
DECLARE
	bid    bigint;
	parent bigint := (SELECT max(id) FROM batches);
	off    bigint := coalesce((SELECT max("offset") FROM sequenced_l2_txs), 0);
BEGIN
	FOR k IN ` + fmt.Sprint(first) + `..` + fmt.Sprint(min(first+chunk-1, n)) + ` LOOP
		INSERT INTO batches (parent_id, nonce, generation) VALUES (parent, k, 0) RETURNING id INTO bid;
		INSERT INTO frames (batch_id, position, safe_block, fee) VALUES (bid, 0, 12 + k / 100, 1356);
		IF k <= ` + fmt.Sprint(deposits) + ` THEN
			off := off + 1;
			INSERT INTO sequenced_l2_txs VALUES (off, bid, 0, 'direct_input', k);
		END IF;
		INSERT INTO user_ops ("offset", batch_id, frame_position, sender, nonce, max_fee, data, signature, received_at)
			SELECT off + j, bid, 0, '\x00000000000000000000000000000000000a11ce'::bytea, off + j, 100, '\x',
				decode(repeat('01', 65), 'hex'), now()
			FROM generate_series(1, ` + fmt.Sprint(opsPerBatch) + `) j;
		off := off + ` + fmt.Sprint(opsPerBatch) + `;
		UPDATE batches SET sealed_at = now(), payload = '\x00', payload_hash = sha256(int8send(k)) WHERE id = bid;
		parent := bid;
	END LOOP;
END $$`)
		f.exec(`ANALYZE batches, frames, user_ops, sequenced_l2_txs`)
	}
	f.exec(`INSERT INTO batches (parent_id, nonce, generation) SELECT max(id), $1, 0 FROM batches`, n+1)
	f.exec(`INSERT INTO frames (batch_id, position, safe_block, fee) SELECT max(id), 0, 1100, 1356 FROM batches`)
	f.exec(`INSERT INTO l1_safe_head VALUES (true, 1200, 0, now(), now())`)
	r := NewRecovery(pool)
	require.NoError(t, r.Fence(ctx))
	return f, r
}

func (f fixture) count(sql string, args ...any) int64 {
	f.t.Helper()
	var n int64
	require.NoError(f.t, f.pool.QueryRow(context.Background(), sql, args...).Scan(&n), sql)
	return n
}

// TestCascadeOfThousandsOfBatches: the cascade (5,434 batches ran
// ~14 s, past the heartbeat timeout) at the same scale completes, reports
// exactly what it invalidated, and reports it again — from the database —
// when retried.
func TestCascadeOfThousandsOfBatches(t *testing.T) {
	const n, ops, deposits = 5000, 10, 50
	ctx := context.Background()
	start := time.Now()
	f, r := longSuffix(t, n, ops, deposits)
	t.Logf("fixture: %d sealed unaccepted batches, %d user ops, in %s", n, n*ops, time.Since(start))

	start = time.Now()
	req := CascadeRequest{FlushBlock: 1200, Flushed: true, InDanger: 900, Submitter: obsSubmitter}
	res, err := r.Cascade(ctx, req)
	require.NoError(t, err)
	t.Logf("cascade of %d batches took %s", res.Invalidated, time.Since(start))

	require.False(t, res.NoOp)
	require.False(t, res.Earlier)
	require.Equal(t, uint64(1), res.PivotNonce)
	require.Equal(t, int64(n+1), res.Invalidated, "batches 1…n and the open tip")
	require.Equal(t, int64(n*ops), res.InvalidatedOps)
	require.Equal(t, deposits, res.Redrained)
	require.Equal(t, uint64(1), res.Generation)
	require.Equal(t, uint64(1200), res.SafeBlock)
	require.Equal(t, uint64(1200), res.FlushBlock)
	// The report is the database's state, not a counter.
	require.Equal(t, res.Invalidated, f.count(`SELECT count(*) FROM batches WHERE invalidated_at IS NOT NULL`))
	require.Equal(t, int64(1), f.count(`SELECT count(*) FROM batches WHERE invalidated_at IS NOT NULL AND nonce = 1`))
	require.Equal(t, res.InvalidatedOps, f.count(`SELECT count(*) FROM user_ops u JOIN batches b ON b.id = u.batch_id
		WHERE b.invalidated_at IS NOT NULL`))
	require.Equal(t, int64(1), f.count(`SELECT count(*) FROM batches WHERE invalidated_at IS NULL AND sealed_at IS NULL
		AND nonce = 1 AND parent_id = 1 AND id = $1`, res.NewTipID))
	require.Equal(t, int64(deposits), f.count(`SELECT count(*) FROM sequenced_l2_txs WHERE batch_id = $1`, res.NewTipID))

	// A retry of the same recovery (the worker lost the reply): the same
	// report, read from the record, and nothing changes.
	again, err := r.Cascade(ctx, req)
	require.NoError(t, err)
	require.True(t, again.Earlier)
	require.False(t, again.NoOp)
	res.Earlier = true
	require.Equal(t, res, again)
	require.Equal(t, int64(1), f.count(`SELECT recovery_generation FROM control`))

	// The status path reads the same record, after the recovery resumed
	// and another one found nothing to do.
	require.NoError(t, r.Resume(ctx))
	require.NoError(t, r.Fence(ctx))
	later, err := r.Cascade(ctx, req)
	require.NoError(t, err)
	require.True(t, later.NoOp)
	last, found, err := r.LastCascade(ctx)
	require.NoError(t, err)
	require.True(t, found)
	res.Earlier = false
	require.Equal(t, res, last)
}

// TestCascadeRetriedWhileTheFirstAttemptRuns: Temporal retries the
// cascade while the first attempt's transaction is still open (its heartbeat
// timed out). The retry says so — not "the lane holds the writer lock" —
// and once the first attempt has committed, the next retry reports its work;
// if it died instead, the next retry does the work.
func TestCascadeRetriedWhileTheFirstAttemptRuns(t *testing.T) {
	const n, ops, deposits = 300, 3, 5
	req := CascadeRequest{FlushBlock: 1200, Flushed: true, InDanger: 900, Submitter: obsSubmitter}
	cases := map[string]struct {
		firstDies bool
	}{
		"the first attempt commits": {firstDies: false},
		"the first attempt dies":    {firstDies: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			f, r := longSuffix(t, n, ops, deposits)
			// Stall the first attempt after it invalidated the suffix: it
			// waits for the control row, which this transaction holds.
			blocker, err := f.pool.Begin(ctx)
			require.NoError(t, err)
			defer blocker.Rollback(ctx) //nolint:errcheck // released below
			_, err = blocker.Exec(ctx, `SELECT 1 FROM control FOR UPDATE`)
			require.NoError(t, err)

			firstCtx, kill := context.WithCancel(ctx)
			defer kill()
			type outcome struct {
				res CascadeResult
				err error
			}
			first := make(chan outcome, 1)
			go func() {
				res, err := r.Cascade(firstCtx, req)
				first <- outcome{res, err}
			}()
			require.Eventually(t, func() bool {
				return f.count(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
					AND wait_event_type = 'Lock' AND query LIKE 'UPDATE control SET recovery_generation%'`) == 1
			}, time.Minute, 10*time.Millisecond, "the first attempt reaches the generation bump")

			_, err = r.Cascade(ctx, req)
			require.ErrorIs(t, err, ErrCascadeRunning)
			require.NotErrorIs(t, err, ErrLaneHoldsLock)

			if tc.firstDies {
				kill()
			}
			require.NoError(t, blocker.Rollback(ctx))
			o := <-first
			if tc.firstDies {
				require.Error(t, o.err)
				require.Zero(t, f.count(`SELECT count(*) FROM batches WHERE invalidated_at IS NOT NULL`), "rolled back")
			} else {
				require.NoError(t, o.err)
				require.Equal(t, int64(n+1), o.res.Invalidated)
			}

			var retry CascadeResult
			require.Eventually(t, func() bool {
				// A dead attempt's transaction may take a moment to end on
				// the server: until then the retry is told so.
				retry, err = r.Cascade(ctx, req)
				return !errors.Is(err, ErrCascadeRunning)
			}, time.Minute, 50*time.Millisecond)
			require.NoError(t, err)
			require.Equal(t, !tc.firstDies, retry.Earlier, "reported from the record, or done now")
			require.False(t, retry.NoOp)
			require.Equal(t, int64(n+1), retry.Invalidated)
			require.Equal(t, int64(n*ops), retry.InvalidatedOps)
			require.Equal(t, deposits, retry.Redrained)
			require.Equal(t, uint64(1), retry.Generation)
			require.Equal(t, int64(n+1), f.count(`SELECT count(*) FROM batches WHERE invalidated_at IS NOT NULL`))
			require.Equal(t, int64(1), f.count(`SELECT recovery_generation FROM control`))
		})
	}
}

// TestFenceEpoch: the database counts recoveries (normal → recovering), not
// fence calls, and nobody else may write the count.
func TestFenceEpoch(t *testing.T) {
	ctx := context.Background()
	f, r := recoveryFixture(t) // fenced once
	require.Equal(t, int64(1), f.count(`SELECT recovery_fence FROM control`))
	require.NoError(t, r.Fence(ctx))
	require.Equal(t, int64(1), f.count(`SELECT recovery_fence FROM control`), "a repeated fence is the same recovery")
	require.NoError(t, r.Resume(ctx))
	require.NoError(t, r.Fence(ctx))
	require.Equal(t, int64(2), f.count(`SELECT recovery_fence FROM control`))
	_, err := f.pool.Exec(ctx, `UPDATE control SET recovery_fence = 7`)
	require.Error(t, err)
}
