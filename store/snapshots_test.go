package store

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func (f fixture) snapshot(batch int64, state []byte, l2TxIndex uint64) {
	f.t.Helper()
	f.exec(`INSERT INTO snapshots (batch_id, state, l2_tx_index) VALUES ($1, $2, $3)`, batch, state, int64(l2TxIndex))
}

// accept records the rollup's acceptance of batch (nonce) through the safe
// input at index, included in block.
func (f fixture) accept(nonce uint64, batch int64, index, block uint64) {
	f.t.Helper()
	f.safeInput(index, alice, []byte{0xba}, block)
	f.exec(`INSERT INTO accepted_batches (nonce, input_index, block_number, payload_hash, batch_id) VALUES ($1, $2, $3, $4, $5)`,
		int64(nonce), int64(index), int64(block), bytes.Repeat([]byte{byte(batch)}, 32), batch)
}

func (f fixture) finalize(batch int64) {
	f.t.Helper()
	f.exec(`UPDATE control SET finalized_batch_id = $1`, batch)
}

func TestSnapshots(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	f := fixture{t, pool}
	r := NewSnapshotReader(pool)
	ctx := context.Background()

	expectNone := func(read func(context.Context) (Snapshot, bool, error)) {
		t.Helper()
		_, ok, err := read(ctx)
		require.NoError(t, err)
		require.False(t, ok)
	}
	expect := func(read func(context.Context) (Snapshot, bool, error), want Snapshot) {
		t.Helper()
		got, ok, err := read(ctx)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, want, got)
	}

	expectNone(r.FinalizedSnapshot)
	expectNone(r.FinalizedSnapshotInfo)
	expectNone(r.LatestSnapshot)

	// Batch 0 sealed with its snapshot: the latest, not yet finalized.
	a := f.batch(0, 0, 100, 10)
	f.userOp(1, a, alice, 0, []byte{1})
	f.userOp(2, a, alice, 1, []byte{2})
	f.seal(a)
	f.snapshot(a, []byte("state-a"), 2)
	expectNone(r.FinalizedSnapshot)
	expect(r.LatestSnapshot, Snapshot{BatchID: a, BatchNonce: 0, State: []byte("state-a"), L2TxIndex: 2})

	// Batch 1 sealed: pending beyond batch 0.
	b := f.batch(a, 1, 105, 10)
	f.userOp(3, b, bob, 0, nil)
	f.seal(b)
	f.snapshot(b, []byte("state-b"), 3)
	c := f.batch(b, 2, 110, 10) // the open tip has no snapshot
	expect(r.LatestSnapshot, Snapshot{BatchID: b, BatchNonce: 1, State: []byte("state-b"), L2TxIndex: 3})

	// The rollup accepts batch 0 in block 150; the worker finalizes it.
	f.accept(0, a, 0, 150)
	expectNone(r.FinalizedSnapshot) // accepted, but the pointer is not set yet
	f.finalize(a)
	expect(r.FinalizedSnapshot, Snapshot{BatchID: a, BatchNonce: 0, State: []byte("state-a"), L2TxIndex: 2, InclusionBlock: 150})
	expect(r.FinalizedSnapshotInfo, Snapshot{BatchID: a, BatchNonce: 0, L2TxIndex: 2, InclusionBlock: 150})
	expect(r.LatestSnapshot, Snapshot{BatchID: b, BatchNonce: 1, State: []byte("state-b"), L2TxIndex: 3})

	// Recovery invalidates batch 1 and its descendants: the latest valid
	// snapshot is the finalized one again, now with its inclusion block.
	f.invalidate(c)
	f.invalidate(b)
	expect(r.LatestSnapshot, Snapshot{BatchID: a, BatchNonce: 0, State: []byte("state-a"), L2TxIndex: 2, InclusionBlock: 150})

	// Garbage collection of an unrelated snapshot does not matter; the
	// finalized one stays readable.
	f.exec(`DELETE FROM snapshots WHERE batch_id = $1`, b)
	expect(r.FinalizedSnapshot, Snapshot{BatchID: a, BatchNonce: 0, State: []byte("state-a"), L2TxIndex: 2, InclusionBlock: 150})
}
