package store

import (
	"context"
	"testing"

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

	// Repeated: a fresh tip is not in danger, nothing changes.
	again, err := r.Cascade(ctx, CascadeRequest{FlushBlock: 1200, InDanger: 900, Submitter: obsSubmitter})
	require.NoError(t, err)
	require.True(t, again.NoOp)
	require.Equal(t, uint64(1), again.Generation)
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
