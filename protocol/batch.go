package protocol

import (
	"encoding/binary"
	"fmt"

	"github.com/cartesi/sequencer/protocol/ssz"
)

// Batch is the payload of InputBox.addInput sent by the batch submitter:
// SSZ container { nonce: uint64, frames: list of Frame }.
type Batch struct {
	Nonce  uint64
	Frames []Frame
}

// Frame is SSZ container { user_ops: list of WireUserOp, safe_block: uint64,
// fee_price: uint16 }.
type Frame struct {
	UserOps   []WireUserOp
	SafeBlock uint64
	FeePrice  uint16
}

// WireUserOp is a user operation as it travels in a batch: SSZ container
// { nonce: uint32, max_fee: uint16, data: bytes, signature: bytes }. It carries
// no sender; the scheduler recovers it from the signature.
type WireUserOp struct {
	Nonce     uint32
	MaxFee    uint16
	Data      []byte
	Signature []byte
}

// Fixed part lengths of the three containers.
const (
	batchFixedLen  = 8 + ssz.OffsetSize
	frameFixedLen  = ssz.OffsetSize + 8 + 2
	userOpFixedLen = 4 + 2 + ssz.OffsetSize + ssz.OffsetSize
)

// UserOp returns the signed part of the wire op.
func (w WireUserOp) UserOp() UserOp {
	return UserOp{Nonce: w.Nonce, MaxFee: w.MaxFee, Data: w.Data}
}

// EncodedSize is the length of the op's SSZ encoding.
func (w WireUserOp) EncodedSize() int { return userOpFixedLen + len(w.Data) + len(w.Signature) }

// Encode returns SSZ(Batch), the exact bytes posted to L1.
func (b Batch) Encode() []byte {
	out := make([]byte, 0, b.encodedSize())
	out = binary.LittleEndian.AppendUint64(out, b.Nonce)
	out = binary.LittleEndian.AppendUint32(out, batchFixedLen)
	frames := make([][]byte, len(b.Frames))
	for i, f := range b.Frames {
		frames[i] = f.Encode()
	}
	return ssz.AppendVariableList(out, frames)
}

func (b Batch) encodedSize() int {
	n := batchFixedLen + ssz.OffsetSize*len(b.Frames)
	for _, f := range b.Frames {
		n += frameFixedLen + ssz.OffsetSize*len(f.UserOps)
		for _, op := range f.UserOps {
			n += op.EncodedSize()
		}
	}
	return n
}

// Encode returns SSZ(Frame).
func (f Frame) Encode() []byte {
	out := make([]byte, 0, frameFixedLen)
	out = binary.LittleEndian.AppendUint32(out, frameFixedLen)
	out = binary.LittleEndian.AppendUint64(out, f.SafeBlock)
	out = binary.LittleEndian.AppendUint16(out, f.FeePrice)
	ops := make([][]byte, len(f.UserOps))
	for i, op := range f.UserOps {
		ops[i] = op.Encode()
	}
	return ssz.AppendVariableList(out, ops)
}

// Encode returns SSZ(WireUserOp).
func (w WireUserOp) Encode() []byte {
	out := make([]byte, 0, w.EncodedSize())
	out = binary.LittleEndian.AppendUint32(out, w.Nonce)
	out = binary.LittleEndian.AppendUint16(out, w.MaxFee)
	out = binary.LittleEndian.AppendUint32(out, userOpFixedLen)
	out = binary.LittleEndian.AppendUint32(out, uint32(userOpFixedLen+len(w.Data)))
	out = append(out, w.Data...)
	return append(out, w.Signature...)
}

// DecodeBatch strictly decodes SSZ(Batch). It rejects exactly what the
// scheduler rejects (protocol.md §3); the returned slices alias b.
func DecodeBatch(b []byte) (Batch, error) {
	parts, err := ssz.ContainerParts(b, batchFixedLen, 8)
	if err != nil {
		return Batch{}, fmt.Errorf("batch: %w", err)
	}
	batch := Batch{Nonce: binary.LittleEndian.Uint64(b)}
	elems, err := ssz.VariableList(parts[0])
	if err != nil {
		return Batch{}, fmt.Errorf("batch frames: %w", err)
	}
	if len(elems) > 0 {
		batch.Frames = make([]Frame, len(elems))
	}
	for i, e := range elems {
		if batch.Frames[i], err = DecodeFrame(e); err != nil {
			return Batch{}, fmt.Errorf("batch frame %d: %w", i, err)
		}
	}
	return batch, nil
}

// DecodeFrame strictly decodes SSZ(Frame).
func DecodeFrame(b []byte) (Frame, error) {
	parts, err := ssz.ContainerParts(b, frameFixedLen, 0)
	if err != nil {
		return Frame{}, err
	}
	f := Frame{
		SafeBlock: binary.LittleEndian.Uint64(b[4:]),
		FeePrice:  binary.LittleEndian.Uint16(b[12:]),
	}
	elems, err := ssz.VariableList(parts[0])
	if err != nil {
		return Frame{}, fmt.Errorf("user ops: %w", err)
	}
	if len(elems) > 0 {
		f.UserOps = make([]WireUserOp, len(elems))
	}
	for i, e := range elems {
		if f.UserOps[i], err = DecodeWireUserOp(e); err != nil {
			return Frame{}, fmt.Errorf("user op %d: %w", i, err)
		}
	}
	return f, nil
}

// DecodeWireUserOp strictly decodes SSZ(WireUserOp). The signature's length is
// not checked here: an op with a bad signature decodes and is skipped by the
// scheduler, it does not reject the batch.
func DecodeWireUserOp(b []byte) (WireUserOp, error) {
	parts, err := ssz.ContainerParts(b, userOpFixedLen, 6, 10)
	if err != nil {
		return WireUserOp{}, err
	}
	return WireUserOp{
		Nonce:     binary.LittleEndian.Uint32(b),
		MaxFee:    binary.LittleEndian.Uint16(b[4:]),
		Data:      parts[0],
		Signature: parts[1],
	}, nil
}
