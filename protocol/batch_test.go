package protocol

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cartesi/sequencer/protocol/ssz"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/stretchr/testify/require"
)

// Byte-building helpers for hand-made SSZ.

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func cat(parts ...[]byte) []byte {
	out := []byte{}
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

// opBytes is a WireUserOp with explicit offsets.
func opBytes(nonce uint32, maxFee uint16, dataOff, sigOff uint32, tail []byte) []byte {
	return cat(le32(nonce), le16(maxFee), le32(dataOff), le32(sigOff), tail)
}

// goodOp is a valid op: data "dd" ×3, signature "ee" ×2.
func goodOp() []byte { return opBytes(9, 77, 14, 17, []byte{0xdd, 0xdd, 0xdd, 0xee, 0xee}) }

// frameHdr is a Frame's fixed part with the given first offset.
func frameHdr(off uint32) []byte { return cat(le32(off), le64(100), le16(1356)) }

// frameOf is a valid frame header followed by a raw user-op list.
func frameOf(list []byte) []byte { return cat(frameHdr(14), list) }

// batchHdr is a Batch's fixed part with the given first offset.
func batchHdr(off uint32) []byte { return cat(le64(3), le32(off)) }

// batchOf is a valid batch header followed by a raw frame list.
func batchOf(list []byte) []byte { return cat(batchHdr(12), list) }

// list1 is a one-element variable list.
func list1(e []byte) []byte { return cat(le32(4), e) }

// normalize maps empty slices to nil so that decoded and built values compare
// equal.
func normalize(b Batch) Batch {
	out := Batch{Nonce: b.Nonce}
	for _, f := range b.Frames {
		nf := Frame{SafeBlock: f.SafeBlock, FeePrice: f.FeePrice}
		for _, op := range f.UserOps {
			nop := op
			if len(nop.Data) == 0 {
				nop.Data = nil
			}
			if len(nop.Signature) == 0 {
				nop.Signature = nil
			}
			nf.UserOps = append(nf.UserOps, nop)
		}
		out.Frames = append(out.Frames, nf)
	}
	return out
}

// level wraps a raw encoding of one decoder's type into the encodings of all
// enclosing types, so that each rejection is checked at every nesting depth.
type level int

const (
	levelOp level = iota
	levelFrame
	levelBatch
)

func decodeAt(lvl level, b []byte) error {
	var err error
	switch lvl {
	case levelOp:
		_, err = DecodeWireUserOp(b)
	case levelFrame:
		_, err = DecodeFrame(b)
	case levelBatch:
		_, err = DecodeBatch(b)
	}
	return err
}

// requireRejectedEverywhere checks that b, an encoding at level lvl, is
// rejected there and inside every enclosing container (as the sole element
// and as the last element after a valid sibling).
func requireRejectedEverywhere(t *testing.T, lvl level, b []byte) {
	t.Helper()
	require.ErrorIs(t, decodeAt(lvl, b), ssz.ErrInvalid, "direct %x", b)
	switch lvl {
	case levelOp:
		frame := frameOf(list1(b))
		require.ErrorIs(t, decodeAt(levelFrame, frame), ssz.ErrInvalid)
		require.ErrorIs(t, decodeAt(levelBatch, batchOf(list1(frame))), ssz.ErrInvalid)
		// After a valid op.
		g := goodOp()
		frame2 := frameOf(cat(le32(8), le32(8+uint32(len(g))), g, b))
		require.ErrorIs(t, decodeAt(levelFrame, frame2), ssz.ErrInvalid)
		require.ErrorIs(t, decodeAt(levelBatch, batchOf(list1(frame2))), ssz.ErrInvalid)
	case levelFrame:
		require.ErrorIs(t, decodeAt(levelBatch, batchOf(list1(b))), ssz.ErrInvalid)
		g := frameOf(nil)
		require.ErrorIs(t, decodeAt(levelBatch, batchOf(cat(le32(8), le32(8+uint32(len(g))), g, b))), ssz.ErrInvalid)
	}
}

func TestDecodeRejects(t *testing.T) {
	g := goodOp()
	ef := frameOf(nil) // valid empty frame, 14 bytes
	cases := []struct {
		name string
		lvl  level
		in   []byte
	}{
		// Batch: shorter than the fixed part.
		{"batch nil", levelBatch, nil},
		{"batch 1 byte", levelBatch, []byte{0}},
		{"batch 8 bytes", levelBatch, le64(0)},
		{"batch 11 bytes", levelBatch, batchHdr(12)[:11]},
		// Batch: first offset not the fixed length.
		{"batch offset 0", levelBatch, batchHdr(0)},
		{"batch offset 11", levelBatch, batchHdr(11)},
		{"batch offset 11 with body", levelBatch, cat(batchHdr(11), []byte{0}, list1(ef))},
		{"batch offset 13", levelBatch, cat(batchHdr(13), []byte{0})},
		{"batch offset 16", levelBatch, cat(batchHdr(16), list1(ef))},
		{"batch offset 16 past end", levelBatch, batchHdr(16)},
		{"batch offset max", levelBatch, batchHdr(0xffffffff)},
		// Frame list strictness.
		{"frames 1 byte", levelBatch, batchOf([]byte{4})},
		{"frames 2 bytes", levelBatch, batchOf([]byte{4, 0})},
		{"frames 3 bytes", levelBatch, batchOf([]byte{4, 0, 0})},
		{"frames first offset 0", levelBatch, batchOf(cat(le32(0), ef))},
		{"frames first offset 0 alone", levelBatch, batchOf(le32(0))},
		{"frames first offset 2", levelBatch, batchOf(cat(le32(2), ef))},
		{"frames first offset 5", levelBatch, batchOf(cat(le32(5), []byte{0}, ef))},
		{"frames first offset 6", levelBatch, batchOf(cat(le32(6), le16(0), ef))},
		{"frames first offset past end", levelBatch, batchOf(le32(8))},
		{"frames first offset past end by 1", levelBatch, batchOf(cat(le32(8), []byte{1, 2, 3}))},
		{"frames first offset huge", levelBatch, batchOf(cat(le32(0x80000000), ef))},
		{"frames second offset decreases", levelBatch, batchOf(cat(le32(8), le32(7), ef, ef))},
		{"frames second offset zero", levelBatch, batchOf(cat(le32(8), le32(0), ef, ef))},
		{"frames third offset decreases", levelBatch, batchOf(cat(le32(12), le32(40), le32(26), ef, ef, ef))},
		{"frames second offset past end", levelBatch, batchOf(cat(le32(8), le32(8+14+14+1), ef, ef))},
		{"frames second offset max", levelBatch, batchOf(cat(le32(8), le32(0xffffffff), ef, ef))},
		{"frames empty first element", levelBatch, batchOf(cat(le32(8), le32(8), ef))},
		{"frames empty last element", levelBatch, batchOf(cat(le32(8), le32(8+14), ef))},
		// Frame: shorter than the fixed part.
		{"frame nil", levelFrame, nil},
		{"frame 4 bytes", levelFrame, le32(14)},
		{"frame 13 bytes", levelFrame, ef[:13]},
		// Frame: first offset not the fixed length.
		{"frame offset 0", levelFrame, frameHdr(0)},
		{"frame offset 13", levelFrame, frameHdr(13)},
		{"frame offset 13 with body", levelFrame, cat(frameHdr(13), []byte{0}, list1(g))},
		{"frame offset 15", levelFrame, cat(frameHdr(15), []byte{0})},
		{"frame offset 18", levelFrame, cat(frameHdr(18), list1(g))},
		{"frame offset 18 past end", levelFrame, frameHdr(18)},
		// User-op list strictness.
		{"ops 1 byte", levelFrame, frameOf([]byte{4})},
		{"ops 3 bytes", levelFrame, frameOf([]byte{4, 0, 0})},
		{"ops first offset 0", levelFrame, frameOf(cat(le32(0), g))},
		{"ops first offset 0 alone", levelFrame, frameOf(le32(0))},
		{"ops first offset 2", levelFrame, frameOf(cat(le32(2), g))},
		{"ops first offset 7", levelFrame, frameOf(cat(le32(7), []byte{0, 0, 0}, g))},
		{"ops first offset past end", levelFrame, frameOf(le32(8))},
		{"ops first offset huge", levelFrame, frameOf(cat(le32(0xfffffffc), g))},
		{"ops second offset decreases", levelFrame, frameOf(cat(le32(8), le32(4), g, g))},
		{"ops second offset past end", levelFrame, frameOf(cat(le32(8), le32(8+2*uint32(len(g))+1), g, g))},
		{"ops empty element", levelFrame, frameOf(cat(le32(8), le32(8), g))},
		{"ops short element", levelFrame, frameOf(cat(le32(8), le32(8+13), g[:13], g))},
		// WireUserOp: shorter than the fixed part.
		{"op nil", levelOp, nil},
		{"op 13 bytes", levelOp, opBytes(0, 0, 14, 14, nil)[:13]},
		{"op 6 bytes", levelOp, cat(le32(0), le16(0))},
		// WireUserOp: data offset not the fixed length.
		{"op data offset 0", levelOp, opBytes(0, 0, 0, 14, nil)},
		{"op data offset 13", levelOp, opBytes(0, 0, 13, 14, nil)},
		{"op data offset 15", levelOp, opBytes(0, 0, 15, 15, []byte{0})},
		{"op data offset 15 past end", levelOp, opBytes(0, 0, 15, 15, nil)},
		// WireUserOp: signature offset decreasing or past the end.
		{"op sig offset 0", levelOp, opBytes(0, 0, 14, 0, []byte{1, 2})},
		{"op sig offset 13", levelOp, opBytes(0, 0, 14, 13, []byte{1, 2})},
		{"op sig offset past end", levelOp, opBytes(0, 0, 14, 17, []byte{1, 2})},
		{"op sig offset past end empty", levelOp, opBytes(0, 0, 14, 15, nil)},
		{"op sig offset max", levelOp, opBytes(0, 0, 14, 0xffffffff, []byte{1, 2})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireRejectedEverywhere(t, tc.lvl, tc.in)
		})
	}
}

func TestDecodeAccepts(t *testing.T) {
	sig65 := append([]byte(strings.Repeat("\xee", 64)), 0x1b)
	cases := []struct {
		name  string
		in    []byte
		batch Batch
	}{
		{"no frames", batchOf(nil), Batch{Nonce: 3}},
		{"empty frame", batchOf(list1(frameOf(nil))), Batch{Nonce: 3, Frames: []Frame{{SafeBlock: 100, FeePrice: 1356}}}},
		{"two empty frames", batchOf(cat(le32(8), le32(22), frameOf(nil), frameOf(nil))),
			Batch{Nonce: 3, Frames: []Frame{{SafeBlock: 100, FeePrice: 1356}, {SafeBlock: 100, FeePrice: 1356}}}},
		{"op with empty data and signature", batchOf(list1(frameOf(list1(opBytes(1, 2, 14, 14, nil))))),
			Batch{Nonce: 3, Frames: []Frame{{UserOps: []WireUserOp{{Nonce: 1, MaxFee: 2}}, SafeBlock: 100, FeePrice: 1356}}}},
		{"op with empty data", batchOf(list1(frameOf(list1(opBytes(1, 2, 14, 14, []byte{7, 8}))))),
			Batch{Nonce: 3, Frames: []Frame{{UserOps: []WireUserOp{{Nonce: 1, MaxFee: 2, Signature: []byte{7, 8}}}, SafeBlock: 100, FeePrice: 1356}}}},
		{"op with empty signature (offset = end)", batchOf(list1(frameOf(list1(opBytes(1, 2, 14, 16, []byte{7, 8}))))),
			Batch{Nonce: 3, Frames: []Frame{{UserOps: []WireUserOp{{Nonce: 1, MaxFee: 2, Data: []byte{7, 8}}}, SafeBlock: 100, FeePrice: 1356}}}},
		{"op with short signature decodes", batchOf(list1(frameOf(list1(goodOp())))),
			Batch{Nonce: 3, Frames: []Frame{{UserOps: []WireUserOp{{Nonce: 9, MaxFee: 77, Data: []byte{0xdd, 0xdd, 0xdd}, Signature: []byte{0xee, 0xee}}}, SafeBlock: 100, FeePrice: 1356}}}},
		{"op with 65-byte signature", batchOf(list1(frameOf(list1(opBytes(0xffffffff, 0xffff, 14, 15, cat([]byte{1}, sig65)))))),
			Batch{Nonce: 3, Frames: []Frame{{UserOps: []WireUserOp{{Nonce: 0xffffffff, MaxFee: 0xffff, Data: []byte{1}, Signature: sig65}}, SafeBlock: 100, FeePrice: 1356}}}},
		{"empty frame then frame with op", batchOf(cat(le32(8), le32(22), frameOf(nil), frameOf(list1(goodOp())))),
			Batch{Nonce: 3, Frames: []Frame{
				{SafeBlock: 100, FeePrice: 1356},
				{UserOps: []WireUserOp{{Nonce: 9, MaxFee: 77, Data: []byte{0xdd, 0xdd, 0xdd}, Signature: []byte{0xee, 0xee}}}, SafeBlock: 100, FeePrice: 1356},
			}}},
		{"max integers", cat(le64(^uint64(0)), le32(12), list1(cat(le32(14), le64(^uint64(0)), le16(0xffff)))),
			Batch{Nonce: ^uint64(0), Frames: []Frame{{SafeBlock: ^uint64(0), FeePrice: 0xffff}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dec, err := DecodeBatch(tc.in)
			require.NoError(t, err)
			require.Equal(t, normalize(tc.batch), normalize(dec))
			require.Equal(t, tc.in, dec.Encode(), "re-encodes to the same bytes")
			require.Equal(t, tc.in, tc.batch.Encode(), "encoder produces the same bytes")
			require.Equal(t, len(tc.in), tc.batch.encodedSize())
		})
	}
}

func TestEmptyListsAreZeroBytes(t *testing.T) {
	require.Len(t, Batch{}.Encode(), 12)
	require.Len(t, Batch{Frames: []Frame{}}.Encode(), 12)
	require.Len(t, Frame{}.Encode(), 14)
	require.Len(t, Frame{UserOps: []WireUserOp{}}.Encode(), 14)
	require.Len(t, WireUserOp{}.Encode(), 14)
	require.Equal(t, WireUserOp{}.Encode(), WireUserOp{Data: []byte{}, Signature: []byte{}}.Encode())

	f, err := DecodeFrame(frameOf(nil))
	require.NoError(t, err)
	require.Empty(t, f.UserOps)
	require.Equal(t, uint64(100), f.SafeBlock)
	require.Equal(t, uint16(1356), f.FeePrice)

	b, err := DecodeBatch(unhex(t, vectorEmptyBatch))
	require.NoError(t, err)
	require.Empty(t, b.Frames)
}

// TestTrailingBytes: SSZ has no length prefix for the last variable field, so
// bytes appended to a valid encoding are not "garbage" the decoder could
// ignore: they become part of the last variable field of the innermost last
// element. Either that still decodes (and then re-encodes to the very same
// bytes) or the whole batch is rejected. Nothing is ever silently dropped.
func TestTrailingBytes(t *testing.T) {
	sig := append([]byte(strings.Repeat("\xee", 64)), 0x1b)
	data := hexutil.MustDecode(vectorData)
	withOp := Batch{Nonce: 1, Frames: []Frame{{UserOps: []WireUserOp{{Nonce: 4, MaxFee: 5, Data: data, Signature: sig}}, SafeBlock: 9, FeePrice: 8}}}
	enc := withOp.Encode()
	for _, extra := range [][]byte{{0}, {1, 2, 3}, bytes.Repeat([]byte{0xff}, 100)} {
		in := cat(enc, extra)
		dec, err := DecodeBatch(in)
		require.NoError(t, err)
		require.Equal(t, cat(sig, extra), dec.Frames[0].UserOps[0].Signature, "trailing bytes extend the last signature")
		require.Equal(t, data, dec.Frames[0].UserOps[0].Data)
		require.Equal(t, in, dec.Encode())
		// Such a signature is not 65 bytes: the op decodes but would be
		// skipped by the scheduler as unrecoverable.
		_, err = ParseSignature(dec.Frames[0].UserOps[0].Signature)
		require.ErrorIs(t, err, ErrSignatureLength)
	}

	// Last frame empty: trailing bytes are that frame's user-op list.
	oneFrame := unhex(t, vectorOneFrame)
	for _, extra := range [][]byte{{0}, {4, 0, 0}, le32(4), le32(0), le32(8), cat(le32(4), goodOp()[:13])} {
		_, err := DecodeBatch(cat(oneFrame, extra))
		require.ErrorIs(t, err, ssz.ErrInvalid, "extra %x", extra)
	}
	in := cat(oneFrame, list1(goodOp()))
	dec, err := DecodeBatch(in)
	require.NoError(t, err)
	require.Len(t, dec.Frames[0].UserOps, 1)
	require.Equal(t, in, dec.Encode())

	// No frames: trailing bytes are the frame list.
	empty := unhex(t, vectorEmptyBatch)
	for _, extra := range [][]byte{{0}, le32(4), le32(12), cat(le32(4), frameOf(nil)[:13])} {
		_, err := DecodeBatch(cat(empty, extra))
		require.ErrorIs(t, err, ssz.ErrInvalid, "extra %x", extra)
	}
	in = cat(empty, list1(frameOf(nil)))
	dec, err = DecodeBatch(in)
	require.NoError(t, err)
	require.Len(t, dec.Frames, 1)
	require.Equal(t, in, dec.Encode())

	// The §7 three-part vector ends with an empty frame.
	full := unhex(t, vectorTwoFramesPre+vectorData[2:]+strings.Repeat("ee", 64)+"1b"+vectorTwoFramesEnd)
	_, err = DecodeBatch(cat(full, []byte{0xaa}))
	require.ErrorIs(t, err, ssz.ErrInvalid)
}

// TestDecodeVectorsStructure decodes the §7 batch vectors field by field.
func TestDecodeVectorsStructure(t *testing.T) {
	b, err := DecodeBatch(unhex(t, vectorOneFrame))
	require.NoError(t, err)
	require.Equal(t, Batch{Nonce: 5, Frames: []Frame{{SafeBlock: 100, FeePrice: 1356}}}, b)

	full := unhex(t, vectorTwoFramesPre+vectorData[2:]+strings.Repeat("ee", 64)+"1b"+vectorTwoFramesEnd)
	require.Len(t, full, 184)
	b, err = DecodeBatch(full)
	require.NoError(t, err)
	require.Equal(t, uint64(7), b.Nonce)
	require.Len(t, b.Frames, 2)
	require.Equal(t, uint64(123), b.Frames[0].SafeBlock)
	require.Equal(t, uint16(1356), b.Frames[0].FeePrice)
	require.Len(t, b.Frames[0].UserOps, 1)
	op := b.Frames[0].UserOps[0]
	require.Equal(t, uint32(0), op.Nonce)
	require.Equal(t, uint16(2000), op.MaxFee)
	require.Equal(t, hexutil.MustDecode(vectorData), op.Data)
	require.Equal(t, append([]byte(strings.Repeat("\xee", 64)), 0x1b), op.Signature)
	require.Equal(t, vectorOp(), op.UserOp())
	require.Equal(t, uint64(128), b.Frames[1].SafeBlock)
	require.Empty(t, b.Frames[1].UserOps)
}

// randomBatch builds a batch with random shape; lengths include 0.
func randomBatch(r *rand.Rand) Batch {
	lengths := []int{0, 0, 1, 3, 4, 13, 14, 33, 53, 64, 65, 66}
	randLen := func() int {
		if r.IntN(4) == 0 {
			return r.IntN(300)
		}
		return lengths[r.IntN(len(lengths))]
	}
	randBytes := func() []byte {
		n := randLen()
		if n == 0 && r.IntN(2) == 0 {
			return nil
		}
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	b := Batch{Nonce: r.Uint64()}
	nFrames := r.IntN(6)
	for range nFrames {
		f := Frame{SafeBlock: r.Uint64(), FeePrice: uint16(r.Uint32())}
		nOps := r.IntN(7)
		if r.IntN(3) == 0 {
			nOps = 0
		}
		for range nOps {
			f.UserOps = append(f.UserOps, WireUserOp{
				Nonce: r.Uint32(), MaxFee: uint16(r.Uint32()), Data: randBytes(), Signature: randBytes(),
			})
		}
		if nOps == 0 && r.IntN(2) == 0 {
			f.UserOps = []WireUserOp{}
		}
		b.Frames = append(b.Frames, f)
	}
	return b
}

func TestRandomRoundTrip(t *testing.T) {
	for seed := uint64(0); seed < 8; seed++ {
		r := rand.New(rand.NewPCG(seed, 0x5eed))
		for i := 0; i < 250; i++ {
			b := randomBatch(r)
			enc := b.Encode()
			require.Len(t, enc, b.encodedSize())
			dec, err := DecodeBatch(enc)
			require.NoError(t, err, "seed %d iter %d", seed, i)
			require.Equal(t, normalize(b), normalize(dec), "seed %d iter %d", seed, i)
			require.Equal(t, enc, dec.Encode())

			for _, f := range b.Frames {
				fe := f.Encode()
				df, err := DecodeFrame(fe)
				require.NoError(t, err)
				require.Equal(t, fe, df.Encode())
				for _, op := range f.UserOps {
					oe := op.Encode()
					require.Len(t, oe, op.EncodedSize())
					dop, err := DecodeWireUserOp(oe)
					require.NoError(t, err)
					require.Equal(t, oe, dop.Encode())
					require.True(t, bytes.Equal(op.Data, dop.Data))
					require.True(t, bytes.Equal(op.Signature, dop.Signature))
				}
			}
		}
	}
}

// TestRandomMutations: whatever a mutated encoding decodes to re-encodes to
// exactly the mutated bytes (one accepted form per value), and nothing
// panics. A deterministic, fast complement of the fuzz targets.
func TestRandomMutations(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 7))
	accepted, rejected := 0, 0
	for i := 0; i < 3000; i++ {
		enc := randomBatch(r).Encode()
		m := append([]byte(nil), enc...)
		switch r.IntN(5) {
		case 0: // flip a byte
			m[r.IntN(len(m))] ^= byte(1 + r.IntN(255))
		case 1: // truncate
			m = m[:r.IntN(len(m)+1)]
		case 2: // append
			m = append(m, make([]byte, 1+r.IntN(20))...)
		case 3: // set an aligned word to a small value
			if len(m) >= 4 {
				pos := r.IntN(len(m) - 3)
				binary.LittleEndian.PutUint32(m[pos:], uint32(r.IntN(len(m)+8)))
			}
		case 4: // delete a byte
			pos := r.IntN(len(m))
			m = append(m[:pos:pos], m[pos+1:]...)
		}
		dec, err := DecodeBatch(m)
		if err != nil {
			require.ErrorIs(t, err, ssz.ErrInvalid)
			rejected++
			continue
		}
		accepted++
		require.Equal(t, m, dec.Encode(), "mutation %d: %x", i, m)
	}
	require.NotZero(t, accepted)
	require.NotZero(t, rejected)
}

// TestDecodeAliasesInput documents that decoded byte fields alias the input.
func TestDecodeAliasesInput(t *testing.T) {
	in := batchOf(list1(frameOf(list1(goodOp()))))
	dec, err := DecodeBatch(in)
	require.NoError(t, err)
	in[len(in)-1] = 0x42
	require.Equal(t, byte(0x42), dec.Frames[0].UserOps[0].Signature[1])
}

func TestEncodedSizeMatches(t *testing.T) {
	for _, n := range []int{0, 1, 2, 102} {
		b := benchBatch(n)
		require.Len(t, b.Encode(), b.encodedSize(), fmt.Sprintf("%d ops", n))
	}
}
