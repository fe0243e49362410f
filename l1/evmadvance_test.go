package l1_test

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/l1"
)

func sampleInput() l1.Input {
	return l1.Input{
		Index: 7, ChainID: 31337, App: common.HexToAddress("0xa99"), Sender: common.HexToAddress("0x5e4d"),
		BlockNumber: 123, BlockTimestamp: 1_700_000_000, PrevRandao: common.HexToHash("0xdeadbeef"),
		Payload: []byte("hello"),
	}
}

func TestEvmAdvanceRoundTrip(t *testing.T) {
	t.Parallel()
	in := sampleInput()
	enc, err := l1.EncodeEvmAdvance(in)
	require.NoError(t, err)
	// Selector of EvmAdvance(uint256,address,address,uint256,uint256,uint256,uint256,bytes).
	require.Equal(t, []byte{0x41, 0x5b, 0xf3, 0x63}, enc[:4])
	got, err := l1.DecodeEvmAdvance(enc)
	require.NoError(t, err)
	require.Equal(t, in, got)

	_, err = l1.DecodeEvmAdvance(enc[:3])
	require.Error(t, err)
	_, err = l1.DecodeEvmAdvance(enc[:4+8*32+32+2]) // payload cut short
	require.Error(t, err)
}

func FuzzDecodeEvmAdvance(f *testing.F) {
	enc, err := l1.EncodeEvmAdvance(sampleInput())
	require.NoError(f, err)
	f.Add(enc)
	f.Add(enc[:40])
	f.Add([]byte{})
	empty := sampleInput()
	empty.Payload = nil
	enc2, err := l1.EncodeEvmAdvance(empty)
	require.NoError(f, err)
	f.Add(enc2)
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := l1.DecodeEvmAdvance(data)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes canonically to the same value.
		again, err := l1.EncodeEvmAdvance(in)
		require.NoError(t, err)
		back, err := l1.DecodeEvmAdvance(again)
		require.NoError(t, err)
		require.Equal(t, in, back)
	})
}

func FuzzEvmAdvanceRoundTrip(f *testing.F) {
	f.Add(uint64(31337), uint64(1), uint64(2), uint64(3), []byte{1}, []byte{2}, []byte{3}, []byte("p"))
	f.Fuzz(func(t *testing.T, chainID, block, ts, index uint64, app, sender, randao, payload []byte) {
		in := l1.Input{
			Index: index, ChainID: chainID, App: common.BytesToAddress(app), Sender: common.BytesToAddress(sender),
			BlockNumber: block, BlockTimestamp: ts, PrevRandao: common.BytesToHash(randao), Payload: payload,
		}
		if in.Payload == nil {
			in.Payload = []byte{}
		}
		enc, err := l1.EncodeEvmAdvance(in)
		require.NoError(t, err)
		got, err := l1.DecodeEvmAdvance(enc)
		require.NoError(t, err)
		require.Equal(t, in, got)
	})
}
