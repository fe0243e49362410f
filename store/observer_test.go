package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/protocol"
)

var (
	obsSubmitter = common.HexToAddress("0x5e00000000000000000000000000000000000001")
	obsPortal    = common.HexToAddress("0x00000000000000000000000000000000000000a1")
)

// sealLocal stores a sealed valid batch with one empty frame at safeBlock
// (and its snapshot), child of parent (0 for the root); it returns the id
// and the payload.
func sealLocal(t *testing.T, f fixture, id, parent int64, nonce, safeBlock uint64) []byte {
	t.Helper()
	payload := protocol.Batch{Nonce: nonce, Frames: []protocol.Frame{{SafeBlock: safeBlock, FeePrice: 1356}}}.Encode()
	var parentArg any
	if parent != 0 {
		parentArg = parent
	}
	f.exec(`INSERT INTO batches (id, parent_id, nonce, generation) VALUES ($1, $2, $3, 0)`, id, parentArg, int64(nonce))
	f.exec(`INSERT INTO frames (batch_id, position, safe_block, fee) VALUES ($1, 0, $2, 1356)`, id, int64(safeBlock))
	f.exec(`UPDATE batches SET sealed_at = now(), payload = $2, payload_hash = $3 WHERE id = $1`, id, payload,
		crypto.Keccak256(payload))
	f.exec(`INSERT INTO snapshots (batch_id, state, l2_tx_index) VALUES ($1, $2, 0)`, id, []byte{byte(id)})
	return payload
}

func TestObserverDerivesTheAcceptedFrontier(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	f := fixture{t, pool}
	b0 := sealLocal(t, f, 1, 0, 0, 10)
	b1 := sealLocal(t, f, 2, 1, 1, 15)
	o := NewObserver(pool)

	obs := Observation{SafeBlock: 40, SafeTimestamp: 4000, Submitter: obsSubmitter, Now: time.Now(), Inputs: []ObservedInput{
		{Index: 0, Sender: obsPortal, Payload: []byte("deposit"), BlockNumber: 11, BlockTimestamp: 1100},
		{Index: 1, Sender: obsSubmitter, Payload: b0, BlockNumber: 20, BlockTimestamp: 2000},
		{Index: 2, Sender: obsSubmitter, Payload: b0, BlockNumber: 21},              // duplicate: wrong nonce now
		{Index: 3, Sender: obsSubmitter, Payload: []byte{1, 2, 3}, BlockNumber: 22}, // does not decode
		{Index: 4, Sender: obsPortal, Payload: b1, BlockNumber: 23},                 // a batch from a stranger is a direct input
		{Index: 5, Sender: obsSubmitter, Payload: b1, BlockNumber: 30},
	}}
	res, err := o.Record(ctx, obs)
	require.NoError(t, err)
	require.True(t, res.Advanced)
	require.Equal(t, 6, res.InputsAdded)
	require.Equal(t, []uint64{0, 1}, res.Accepted)
	require.Equal(t, uint64(2), res.AcceptedCount)

	st, err := o.State(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(6), st.NextInputIndex)
	require.Equal(t, uint64(2), st.AcceptedCount)
	require.Equal(t, uint64(40), st.SafeHead.Block)
	firstAdvance := st.SafeHead.LastAdvance

	// The same observation again (an activity retry) changes nothing.
	obs.Now = time.Now().Add(time.Minute)
	res, err = o.Record(ctx, obs)
	require.NoError(t, err)
	require.False(t, res.Advanced)
	require.Zero(t, res.InputsAdded)
	require.Empty(t, res.Accepted)
	st, err = o.State(ctx)
	require.NoError(t, err)
	require.True(t, st.SafeHead.LastAdvance.Equal(firstAdvance), "last advance moves only with the number")

	// A head that goes back is refused.
	_, err = o.Record(ctx, Observation{SafeBlock: 39, Submitter: obsSubmitter, Now: time.Now()})
	require.Error(t, err)
}

// TestObserverComparesReobservedInputs: an observation that carries an input
// already stored (a retried or concurrent attempt, or a deliberate re-read)
// must carry it unchanged; a difference is a rewritten L1 history and is
// recorded as divergence, with nothing else of the observation written.
func TestObserverComparesReobservedInputs(t *testing.T) {
	stored := []ObservedInput{
		{Index: 0, Sender: obsPortal, Payload: []byte("deposit 0"), BlockNumber: 11, BlockTimestamp: 1100, TxHash: common.Hash{0x10}},
		{Index: 1, Sender: obsPortal, Payload: []byte("deposit 1"), BlockNumber: 12, BlockTimestamp: 1200, TxHash: common.Hash{0x11}},
		{Index: 2, Sender: obsPortal, Payload: []byte("deposit 2"), BlockNumber: 12, BlockTimestamp: 1200}, // no tx hash stored
	}
	fresh := ObservedInput{Index: 3, Sender: obsPortal, Payload: []byte("deposit 3"), BlockNumber: 30, BlockTimestamp: 3000, TxHash: common.Hash{0x13}}
	changed := func(change func(in *ObservedInput)) ObservedInput {
		in := stored[1]
		change(&in)
		return in
	}
	tests := []struct {
		name     string
		again    ObservedInput // replaces stored input 1 (or 2) in the re-observation
		diverges string        // substring of the recorded divergence; "" for none
	}{
		{"identical", stored[1], ""},
		{"stored without tx hash, observed with one", func() ObservedInput { in := stored[2]; in.TxHash = common.Hash{0x12}; return in }(), ""},
		{"different payload", changed(func(in *ObservedInput) { in.Payload = []byte("deposit X") }), "payload hash"},
		{"different sender", changed(func(in *ObservedInput) { in.Sender = obsSubmitter }), "sender"},
		{"different block", changed(func(in *ObservedInput) { in.BlockNumber = 13 }), "block 13, stored 12"},
		{"different block timestamp", changed(func(in *ObservedInput) { in.BlockTimestamp = 1212 }), "block timestamp"},
		{"different tx hash", changed(func(in *ObservedInput) { in.TxHash = common.Hash{0x99} }), "tx 0x99"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			pool := newPool(t)
			o := NewObserver(pool)
			st, err := o.State(ctx)
			require.NoError(t, err)
			require.Zero(t, st.LastInputBlock)
			require.Zero(t, st.LastBlockFirstIndex)
			_, err = o.Record(ctx, Observation{SafeBlock: 20, Submitter: obsSubmitter, Now: time.Now(), Inputs: stored})
			require.NoError(t, err)
			st, err = o.State(ctx)
			require.NoError(t, err)
			require.Equal(t, uint64(12), st.LastInputBlock, "what the observer re-reads each round")
			require.Equal(t, uint64(1), st.LastBlockFirstIndex, "inputs 1 and 2 share block 12")

			// Re-observe from the changed input on, plus a new one.
			var inputs []ObservedInput
			for _, in := range stored {
				if in.Index == tt.again.Index {
					in = tt.again
				}
				if in.Index >= tt.again.Index {
					inputs = append(inputs, in)
				}
			}
			res, recordErr := o.Record(ctx, Observation{SafeBlock: 40, Submitter: obsSubmitter, Now: time.Now(),
				Inputs: append(inputs, fresh)})

			var divergence *string
			require.NoError(t, pool.QueryRow(ctx, `SELECT divergence FROM control`).Scan(&divergence))
			st, err = o.State(ctx)
			require.NoError(t, err)
			if tt.diverges == "" {
				require.NoError(t, recordErr)
				require.Nil(t, divergence)
				require.Equal(t, 1, res.InputsAdded)
				require.Equal(t, uint64(4), st.NextInputIndex)
				require.Equal(t, uint64(40), st.SafeHead.Block)
				return
			}
			require.ErrorIs(t, recordErr, ErrDivergence)
			require.NotNil(t, divergence, "recorded in the same transaction")
			require.Contains(t, *divergence, fmt.Sprintf("safe input %d", tt.again.Index))
			require.Contains(t, *divergence, tt.diverges)
			require.Equal(t, *divergence, res.Divergence)
			require.Zero(t, res.InputsAdded)
			require.Equal(t, uint64(3), st.NextInputIndex, "nothing is appended to a rewritten history")
			require.Equal(t, uint64(20), st.SafeHead.Block, "the head does not move either")
		})
	}
}

func TestObserverSkipsStaleBatches(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	f := fixture{t, pool}
	b0 := sealLocal(t, f, 1, 0, 0, 10)
	res, err := NewObserver(pool).Record(ctx, Observation{SafeBlock: 2000, Submitter: obsSubmitter, Now: time.Now(),
		Inputs: []ObservedInput{{Index: 0, Sender: obsSubmitter, Payload: b0, BlockNumber: 10 + protocol.MaxWaitBlocks}}})
	require.NoError(t, err)
	require.Empty(t, res.Accepted)
	require.Zero(t, res.AcceptedCount)
}

func TestObserverRecordsDivergence(t *testing.T) {
	cases := map[string]func(t *testing.T, f fixture) []byte{
		"different bytes for a sealed nonce": func(t *testing.T, f fixture) []byte {
			sealLocal(t, f, 1, 0, 0, 10)
			return protocol.Batch{Nonce: 0, Frames: []protocol.Frame{{SafeBlock: 11, FeePrice: 1356}}}.Encode()
		},
		"a nonce we never sealed": func(t *testing.T, f fixture) []byte {
			return protocol.Batch{Nonce: 0, Frames: []protocol.Frame{{SafeBlock: 11, FeePrice: 1356}}}.Encode()
		},
		"an invalidated batch that landed anyway": func(t *testing.T, f fixture) []byte {
			payload := sealLocal(t, f, 1, 0, 0, 10)
			f.exec(`UPDATE batches SET invalidated_at = now() WHERE id = 1`)
			return payload
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			pool := newPool(t)
			payload := setup(t, fixture{t, pool})
			_, err := NewObserver(pool).Record(ctx, Observation{SafeBlock: 50, Submitter: obsSubmitter, Now: time.Now(),
				Inputs: []ObservedInput{{Index: 0, Sender: obsSubmitter, Payload: payload, BlockNumber: 20}}})
			require.ErrorIs(t, err, ErrDivergence)
			var divergence *string
			require.NoError(t, pool.QueryRow(ctx, `SELECT divergence FROM control`).Scan(&divergence))
			require.NotNil(t, divergence)
			require.Contains(t, *divergence, "batch 0")
			var accepted int
			require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM accepted_batches`).Scan(&accepted))
			require.Zero(t, accepted)
		})
	}
}

func TestPromoteAndCollect(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	f := fixture{t, pool}
	b0 := sealLocal(t, f, 1, 0, 0, 10)
	b1 := sealLocal(t, f, 2, 1, 1, 11)
	sealLocal(t, f, 3, 2, 2, 12)
	m := NewMaintenance(pool)

	res, err := m.PromoteAndCollect(ctx)
	require.NoError(t, err)
	require.Nil(t, res.FinalizedNonce, "nothing accepted yet")
	require.Zero(t, res.Deleted)

	_, err = NewObserver(pool).Record(ctx, Observation{SafeBlock: 50, Submitter: obsSubmitter, Now: time.Now(),
		Inputs: []ObservedInput{
			{Index: 0, Sender: obsSubmitter, Payload: b0, BlockNumber: 20},
			{Index: 1, Sender: obsSubmitter, Payload: b1, BlockNumber: 21},
		}})
	require.NoError(t, err)
	res, err = m.PromoteAndCollect(ctx)
	require.NoError(t, err)
	require.True(t, res.Promoted)
	require.Equal(t, uint64(1), *res.FinalizedNonce)
	require.Equal(t, int64(1), res.Deleted, "batch 0's snapshot goes; 1 (finalized) and 2 (pending) stay")

	var finalized int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT finalized_batch_id FROM control`).Scan(&finalized))
	require.Equal(t, int64(2), finalized)
	var left []int64
	rows, err := pool.Query(ctx, `SELECT batch_id FROM snapshots ORDER BY batch_id`)
	require.NoError(t, err)
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		left = append(left, id)
	}
	require.Equal(t, []int64{2, 3}, left)

	res, err = m.PromoteAndCollect(ctx)
	require.NoError(t, err)
	require.False(t, res.Promoted, "a repeated pass changes nothing")
	require.Zero(t, res.Deleted)
}

func TestWatermarkOnlyRises(t *testing.T) {
	ctx := context.Background()
	s := NewSubmitter(newPool(t))
	_, ok, err := s.Watermark(ctx)
	require.NoError(t, err)
	require.False(t, ok)
	require.NoError(t, s.RaiseWatermark(ctx, 5))
	require.NoError(t, s.RaiseWatermark(ctx, 3))
	n, ok, err := s.Watermark(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, uint64(5), n)
}
