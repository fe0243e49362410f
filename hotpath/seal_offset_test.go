package hotpath_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/l1rows"
	"github.com/cartesi/sequencer/store"
)

// TestSealByAgeAfterACascadeThatRedrainedNothing: a recovery revokes the
// open batch's only op and re-drains nothing, so the highest offset ever
// used is invalidated. The batch the lane then seals by age must snapshot at
// the last valid offset: /latest_snapshot's X-L2-Tx-Index is where clients
// resume the feed, and an invalidated offset there is a 409 HISTORY_REWOUND.
func TestSealByAgeAfterACascadeThatRedrainedNothing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{setup: smallBatches, maxBatchOpen: time.Hour})
	e.deposit(0, 1_000_000_000, 1)
	e.advance(5)
	require.NoError(t, e.l1.SetBatchSubmitter(ctx, submitter))
	e.waitIntake(true)

	// Batch 0: the deposit (offset 1) and three ops, sealed by size; the
	// rollup accepts it, so the recovery's pivot is the open batch 1.
	for n := uint32(0); n < 3; n++ {
		_, err := e.submit(e.op(0, n, 1, e.addr(1)))
		require.NoError(t, err)
	}
	var (
		batch0        int64
		payload, hash []byte
	)
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT id, payload, payload_hash FROM batches
		WHERE nonce = 0 AND sealed_at IS NOT NULL`).Scan(&batch0, &payload, &hash))
	index, err := e.l1.Append(ctx, l1rows.Input{Sender: submitter, Payload: payload, Block: 5})
	require.NoError(t, err)
	_, err = e.pool.Exec(ctx, `INSERT INTO accepted_batches (nonce, input_index, block_number, payload_hash, batch_id)
		VALUES (0, $1, 5, $2, $3)`, int64(index), hash, batch0)
	require.NoError(t, err)
	r, err := e.submit(e.op(0, 3, 1, e.addr(1)))
	require.NoError(t, err)
	require.Equal(t, uint64(5), r.Offset)
	e.stopLane()

	rec := store.NewRecovery(e.pool)
	require.NoError(t, rec.Fence(ctx))
	// The stopped lane's backend may hold the lock a moment after its client
	// closed the connection: the cascade refuses until it is gone.
	var res store.CascadeResult
	require.Eventually(t, func() bool {
		var err error
		res, err = rec.Cascade(ctx, store.CascadeRequest{InDanger: 0, Submitter: submitter})
		if err != nil {
			require.ErrorIs(t, err, store.ErrLaneHoldsLock)
		}
		return err == nil
	}, 5*time.Second, 20*time.Millisecond)
	require.False(t, res.NoOp)
	require.Equal(t, 0, res.Redrained, "the deposit stays in the accepted batch 0")
	require.Equal(t, int64(1), res.InvalidatedOps)
	require.NoError(t, rec.Resume(ctx))

	// The rebuilt lane seals the new, empty tips by age; the checkpointer
	// stores the newest one's state (nothing happened since: offset 4).
	e.startLane(100 * time.Millisecond)
	e.waitIntake(true)
	snaps := store.NewSnapshotReader(e.pool)
	var latest store.Snapshot
	require.Eventually(t, func() bool {
		s, ok, err := snaps.LatestSnapshot(ctx)
		require.NoError(t, err)
		latest = s
		return ok && s.BatchNonce >= 1
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, uint64(4), latest.L2TxIndex, "the last valid offset, not the revoked 5")
	invalidated, _, err := store.NewFeedReader(e.pool).OffsetState(ctx, latest.L2TxIndex)
	require.NoError(t, err)
	require.False(t, invalidated, "resuming the feed at X-L2-Tx-Index is not refused with 409")
}
