// Package ssz holds the few Simple Serialize primitives the protocol needs,
// with the strict decoding rules of protocol.md §3: every encoding has exactly
// one accepted form, so whatever decodes re-encodes to the same bytes.
//
// The package is pure and allocation-light; decoders return errors, never
// panic, on any input.
package ssz

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every decoding error of this package.
var ErrInvalid = errors.New("invalid ssz")

// OffsetSize is the size of an SSZ offset.
const OffsetSize = 4

func errorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// ContainerParts checks a container's fixed part and offsets and returns the
// bytes of its variable-size fields in field order. offsetPositions are the
// byte positions, inside the fixed part, of the variable fields' offsets, in
// field order; fixedLen is the fixed part's length.
//
// Rules: the input is at least fixedLen long; the first offset equals fixedLen;
// offsets do not decrease and do not point past the end.
func ContainerParts(b []byte, fixedLen int, offsetPositions ...int) ([][]byte, error) {
	if len(b) < fixedLen {
		return nil, errorf("container needs %d bytes, got %d", fixedLen, len(b))
	}
	parts := make([][]byte, len(offsetPositions))
	prev := fixedLen
	for i, pos := range offsetPositions {
		off64 := uint64(binary.LittleEndian.Uint32(b[pos:]))
		if off64 > uint64(len(b)) {
			return nil, errorf("offset %d past end %d", off64, len(b))
		}
		off := int(off64)
		if i == 0 && off != fixedLen {
			return nil, errorf("first offset %d, want %d", off, fixedLen)
		}
		if off < prev {
			return nil, errorf("offset %d decreases (previous %d)", off, prev)
		}
		if i > 0 {
			parts[i-1] = b[prev:off]
		}
		prev = off
	}
	if len(parts) > 0 {
		parts[len(parts)-1] = b[prev:]
	}
	return parts, nil
}

// VariableList splits a list of variable-size elements into its elements.
// An empty input is the empty list. Otherwise the first offset must be
// non-zero, a multiple of 4 and not past the end; it fixes the element count;
// later offsets must not decrease and must not point past the end.
func VariableList(b []byte) ([][]byte, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b) < OffsetSize {
		return nil, errorf("list of %d bytes shorter than an offset", len(b))
	}
	// Compare as uint64 before converting: on 32-bit platforms a large
	// uint32 offset would turn negative as an int.
	first64 := uint64(binary.LittleEndian.Uint32(b))
	if first64 == 0 || first64%OffsetSize != 0 || first64 > uint64(len(b)) {
		return nil, errorf("bad first list offset %d (list of %d bytes)", first64, len(b))
	}
	first := int(first64)
	n := first / OffsetSize
	elems := make([][]byte, n)
	prev := first
	for i := 1; i <= n; i++ {
		end := len(b)
		if i < n {
			end64 := uint64(binary.LittleEndian.Uint32(b[i*OffsetSize:]))
			if end64 > uint64(len(b)) {
				return nil, errorf("list offset %d past end %d", end64, len(b))
			}
			end = int(end64)
			if end < prev {
				return nil, errorf("list offset %d decreases (previous %d)", end, prev)
			}
		}
		elems[i-1] = b[prev:end]
		prev = end
	}
	return elems, nil
}

// FixedList splits a list of fixed-size elements; its length must be a
// multiple of elemSize.
func FixedList(b []byte, elemSize int) ([][]byte, error) {
	if elemSize <= 0 {
		return nil, errorf("element size %d must be positive", elemSize)
	}
	if len(b)%elemSize != 0 {
		return nil, errorf("list of %d bytes is not a multiple of element size %d", len(b), elemSize)
	}
	elems := make([][]byte, len(b)/elemSize)
	for i := range elems {
		elems[i] = b[i*elemSize : (i+1)*elemSize]
	}
	return elems, nil
}

// AppendVariableList appends the offset table and the elements of a list of
// variable-size elements.
func AppendVariableList(dst []byte, elems [][]byte) []byte {
	off := len(elems) * OffsetSize
	for _, e := range elems {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(off))
		off += len(e)
	}
	for _, e := range elems {
		dst = append(dst, e...)
	}
	return dst
}
