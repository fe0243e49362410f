package hotpath

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/protocol"
)

// The lane tracks the payload size as it appends frames and ops; it must be
// exactly the encoding's length, or the MaxBatchBytes cap would be off.
func TestPayloadSizeMatchesEncoding(t *testing.T) {
	op := func(n int) protocol.WireUserOp {
		return protocol.WireUserOp{Nonce: uint32(n), MaxFee: 9, Data: bytes.Repeat([]byte{byte(n)}, n%60),
			Signature: bytes.Repeat([]byte{1}, protocol.SignatureLength)}
	}
	cases := []struct {
		name  string
		batch protocol.Batch
	}{
		{"no frames", protocol.Batch{Nonce: 1}},
		{"one empty frame", protocol.Batch{Frames: []protocol.Frame{{SafeBlock: 5, FeePrice: 1356}}}},
		{"ops in one frame", protocol.Batch{Frames: []protocol.Frame{{UserOps: []protocol.WireUserOp{op(0), op(53), op(7)}}}}},
		{"several frames, some empty", protocol.Batch{Nonce: 7, Frames: []protocol.Frame{
			{UserOps: []protocol.WireUserOp{op(1)}}, {}, {UserOps: []protocol.WireUserOp{op(2), op(3), op(59)}}, {}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, len(tc.batch.Encode()), payloadSize(tc.batch))
		})
	}

	// Incrementally, as the lane does: a new batch with its first frame, ops
	// appended, a frame opened, more ops.
	b := protocol.Batch{Frames: []protocol.Frame{{}}}
	size := emptyBatchBytes
	require.Equal(t, len(b.Encode()), size)
	for i := 0; i < 40; i++ {
		if i%9 == 8 {
			b.Frames = append(b.Frames, protocol.Frame{SafeBlock: uint64(i)})
			size += frameOverheadBytes
		}
		o := op(i)
		last := &b.Frames[len(b.Frames)-1]
		last.UserOps = append(last.UserOps, o)
		size += opOffsetBytes + o.EncodedSize()
		require.Equal(t, len(b.Encode()), size, "after op %d", i)
	}
}

// roomFor keeps every tip able to take one more worst-case op and one more
// frame: a batch filled op by op until batchFull says so, then rotated, never
// exceeds MaxBatchBytes.
func TestBatchFullNeverExceedsMaxBatchBytes(t *testing.T) {
	for _, maxBytes := range []int{8192, 8193, 120_000} {
		l := &Lane{adm: AdmissionConfig{MaxBatchBytes: maxBytes}, maxPayload: 53}
		l.worstOpBytes = opOffsetBytes + (protocol.WireUserOp{Data: make([]byte, 53),
			Signature: make([]byte, protocol.SignatureLength)}).EncodedSize()
		size, ops := emptyBatchBytes, 0
		for {
			size += l.worstOpBytes
			ops++
			require.LessOrEqual(t, size, maxBytes)
			if l.batchFull(ops, size, true) {
				break
			}
		}
		require.Greater(t, size+l.worstOpBytes+frameOverheadBytes, maxBytes, "sealed only when the next op might not fit")
		require.Greater(t, size, maxBytes-l.worstOpBytes-2*frameOverheadBytes, "large batches fill up to the cap")
	}
}

// After a restart the lane continues the fee step from the open frame's fee.
func TestFeeStepOf(t *testing.T) {
	cases := []struct {
		fee, policy uint16
		want        int
	}{
		{1356, 1356, 0},
		{1000, 1356, 0}, // the policy fee rose above an old frame's fee
		{1376, 1356, 1},
		{1436, 1356, 4},
		{1437, 1356, 5}, // the policy fee fell since: round up, step down from above
		{protocol.MaxFeeExponent, 17_000, 6},
	}
	for _, tc := range cases {
		k := feeStepOf(tc.fee, tc.policy)
		require.Equal(t, tc.want, k, "fee %d over %d", tc.fee, tc.policy)
		require.GreaterOrEqual(t, SteppedFee(tc.policy, k), min(tc.fee, protocol.MaxFeeExponent))
	}
}
