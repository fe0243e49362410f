package store

import (
	"context"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"
)

// TestSubmitterViewAndRoundClaim on the recovery fixture (batch 0
// accepted, 1 and 2 sealed, tip 3 open, fenced): the view reads one
// snapshot; a round claim is refused whole while fenced; once resumed it
// grants the valid batches with the right hash, refuses the others, and
// raises the watermark to the highest granted wallet nonce only.
func TestSubmitterViewAndRoundClaim(t *testing.T) {
	ctx := context.Background()
	f, r := recoveryFixture(t)
	s := NewSubmitter(f.pool)

	v, err := s.View(ctx)
	require.NoError(t, err)
	require.Equal(t, SubmitterView{Accepted: 1, SafeBlock: 1200, NextInputIndex: 2, Recovering: true, SealedEnd: 3}, v)

	infos, err := s.SealedInfoFrom(ctx, 1, 16)
	require.NoError(t, err)
	require.Len(t, infos, 2)
	require.Equal(t, []uint64{1, 2}, []uint64{infos[0].Nonce, infos[1].Nonce})
	require.Equal(t, 1, infos[0].Size)
	require.Equal(t, common.Hash{}, infos[0].Hash)

	claims := []Claim{{Nonce: 1, WalletNonce: 7}, {Nonce: 2, WalletNonce: 8}, {Nonce: 2, Hash: common.HexToHash("0x01"), WalletNonce: 9},
		{Nonce: 3, WalletNonce: 10}}
	got, err := s.ClaimRound(ctx, claims)
	require.NoError(t, err)
	require.Equal(t, []*SealedBatch{nil, nil, nil, nil}, got, "fenced: nothing granted")
	_, ok, err := s.Watermark(ctx)
	require.NoError(t, err)
	require.False(t, ok, "nothing raised")

	require.NoError(t, r.Resume(ctx))
	got, err = s.ClaimRound(ctx, claims)
	require.NoError(t, err)
	require.NotNil(t, got[0])
	require.Equal(t, []byte{0}, got[0].Payload)
	require.NotNil(t, got[1])
	require.Nil(t, got[2], "another hash")
	require.Nil(t, got[3], "the open tip is not sealed")
	mark, ok, err := s.Watermark(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, uint64(8), mark, "the highest granted wallet nonce")

	// Idempotent and monotonic.
	_, err = s.ClaimRound(ctx, claims[:1])
	require.NoError(t, err)
	mark, _, err = s.Watermark(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(8), mark)
}
