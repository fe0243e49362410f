package store

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// cascadeTip fences, cascades (the open tip is the pivot: every sealed
// batch is accepted and InDanger is 0) and resumes, as the recovery
// workflow does; it returns the cascade's record.
func cascadeTip(t *testing.T, r *Recovery) CascadeResult {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, r.Fence(ctx))
	res, err := r.Cascade(ctx, CascadeRequest{InDanger: 0, Submitter: obsSubmitter})
	require.NoError(t, err)
	require.False(t, res.NoOp)
	require.NoError(t, r.Resume(ctx))
	return res
}

// TestResumeStateAcrossCascades drives two real cascades: the first revokes
// offsets 4–5 (generation 1), the second 6–7 (generation 2); offset 8 is
// sequenced after. Each resume is judged by the first offset a recovery
// after the client's generation revoked.
func TestResumeStateAcrossCascades(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	f := fixture{t, pool}
	a := f.batch(0, 0, 10, 1356)
	for o := uint64(1); o <= 3; o++ {
		f.userOp(o, a, alice, uint32(o), []byte{byte(o)})
	}
	f.seal(a)
	var hash []byte
	require.NoError(t, pool.QueryRow(ctx, `SELECT payload_hash FROM batches WHERE id = $1`, a).Scan(&hash))
	f.safeInput(0, obsSubmitter, []byte{0}, 11)
	f.exec(`INSERT INTO accepted_batches (nonce, input_index, block_number, payload_hash, batch_id) VALUES (0, 0, 11, $1, $2)`, hash, a)
	b := f.batch(a, 1, 12, 1356)
	f.userOp(4, b, alice, 4, nil)
	f.userOp(5, b, alice, 5, nil)
	f.exec(`INSERT INTO l1_safe_head VALUES (true, 20, 0, now(), now())`)
	r := NewRecovery(pool)

	first := cascadeTip(t, r)
	require.Equal(t, uint64(1), first.Generation)
	f.userOp(6, first.NewTipID, bob, 0, nil)
	f.userOp(7, first.NewTipID, bob, 1, nil)
	second := cascadeTip(t, r)
	require.Equal(t, uint64(2), second.Generation)
	f.userOp(8, second.NewTipID, carol, 0, nil)

	fr := NewFeedReader(pool)
	gen := func(from, g uint64) ResumeQuery { return ResumeQuery{From: from, Generation: g, HasGeneration: true} }
	for _, tc := range []struct {
		name      string
		q         ResumeQuery
		revoked   bool
		lastValid uint64
	}{
		{"nothing seen", gen(0, 0), false, 0},
		{"older generation, nothing it saw revoked", gen(3, 0), false, 0},
		{"generation 0 saw offset 4, revoked by the first cascade", gen(4, 0), true, 3},
		{"generation 0 saw 7: the smallest cut of both cascades", gen(7, 0), true, 3},
		{"generation 1 saw 6, revoked by the second cascade", gen(6, 1), true, 3},
		{"generation 1 up to 3: the second cascade cut at 6", gen(3, 1), false, 0},
		{"current generation", gen(8, 2), false, 0},
		{"current generation, from a revoked offset", gen(7, 2), false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := fr.ResumeState(ctx, tc.q)
			require.NoError(t, err)
			require.Equal(t, uint64(2), st.Generation)
			require.Equal(t, uint64(8), st.LastAssigned)
			require.Equal(t, uint64(8), st.Head)
			require.Equal(t, tc.revoked, st.Revoked)
			require.Equal(t, tc.lastValid, st.LastValidOffset)
		})
	}

	// Without a generation only the offset itself counts (HISTORY_REWOUND).
	st, err := fr.ResumeState(ctx, ResumeQuery{From: 6})
	require.NoError(t, err)
	require.True(t, st.FromInvalidated)
	require.Equal(t, uint64(3), st.LastValidBefore)
	require.False(t, st.Revoked)

	// A page: the same entries as the feed, with their batch's generation,
	// read in the same snapshot as the state.
	st, entries, err := fr.Page(ctx, gen(0, 0), 10, func(ResumeState) error { return nil })
	require.NoError(t, err)
	require.Equal(t, uint64(8), st.Head)
	var offsets, gens []uint64
	for _, e := range entries {
		offsets, gens = append(offsets, e.Offset), append(gens, e.Generation)
	}
	require.Equal(t, []uint64{1, 2, 3, 8}, offsets)
	require.Equal(t, []uint64{0, 0, 0, 2}, gens)
	feedEntries, err := fr.Entries(ctx, 0, 10)
	require.NoError(t, err)
	require.Equal(t, feedEntries, entries)

	_, entries, err = fr.Page(ctx, gen(1, 0), 1, func(ResumeState) error { return nil })
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Equal(t, uint64(2), entries[0].Offset)

	refuse := errors.New("refused")
	st, entries, err = fr.Page(ctx, gen(7, 0), 10, func(s ResumeState) error {
		if s.Revoked {
			return refuse
		}
		return nil
	})
	require.ErrorIs(t, err, refuse)
	require.Nil(t, entries)
	require.Equal(t, uint64(3), st.LastValidOffset)
}
