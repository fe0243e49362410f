package protocol

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/stretchr/testify/require"
)

// benchBatch is a batch of n wallet transfers (53-byte data, 65-byte
// signature) in frames of at most 34 ops; 102 ops is where a batch closes
// with the default policy (protocol.md §5).
func benchBatch(n int) Batch {
	data := hexutil.MustDecode(vectorData)
	sig := hexutil.MustDecode(vectorSignature)
	b := Batch{Nonce: 12}
	for i := 0; i < n; i++ {
		if i%34 == 0 {
			b.Frames = append(b.Frames, Frame{SafeBlock: uint64(1000 + i), FeePrice: 1356})
		}
		f := &b.Frames[len(b.Frames)-1]
		f.UserOps = append(f.UserOps, WireUserOp{Nonce: uint32(i), MaxFee: 2000, Data: data, Signature: sig})
	}
	if n == 0 {
		b.Frames = []Frame{{SafeBlock: 1000, FeePrice: 1356}}
	}
	return b
}

func BenchmarkRecoverSender(b *testing.B) {
	d := vectorDomain()
	op := vectorOp()
	raw := hexutil.MustDecode(vectorSignature)
	want := common.HexToAddress(vectorSigner)
	b.ReportAllocs()
	for b.Loop() {
		addr, _, err := d.RecoverSender(op, raw)
		if err != nil || addr != want {
			b.Fatal(addr, err)
		}
	}
}

func BenchmarkDecodeBatch(b *testing.B) {
	enc := benchBatch(102).Encode()
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeBatch(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeBatch(b *testing.B) {
	batch := benchBatch(102)
	require.Len(b, batch.Encode(), batch.encodedSize())
	b.SetBytes(int64(batch.encodedSize()))
	b.ReportAllocs()
	for b.Loop() {
		_ = batch.Encode()
	}
}

func BenchmarkFeeToLinear(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FeeToLinear(1356); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFeeToLinearMax(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FeeToLinear(MaxFeeExponent); err != nil {
			b.Fatal(err)
		}
	}
}
