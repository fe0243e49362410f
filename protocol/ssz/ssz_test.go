package ssz

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte {
	out := []byte{}
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestVariableListRejects(t *testing.T) {
	cases := map[string][]byte{
		"1 byte":                      {4},
		"2 bytes":                     {4, 0},
		"3 bytes":                     {4, 0, 0},
		"first zero":                  le32(0),
		"first zero with body":        cat(le32(0), []byte{1, 2, 3, 4}),
		"first 1":                     cat(le32(1), []byte{1, 2, 3}),
		"first 2":                     cat(le32(2), []byte{1, 2, 3}),
		"first 3":                     cat(le32(3), []byte{1, 2, 3}),
		"first 6":                     cat(le32(6), []byte{1, 2, 3, 4}),
		"first past end":              le32(8),
		"first past end by 1":         cat(le32(8), []byte{1, 2, 3}),
		"first huge":                  cat(le32(0xfffffffc), []byte{1, 2, 3, 4}),
		"first max":                   cat(le32(0xffffffff), []byte{1, 2, 3, 4}),
		"second decreases":            cat(le32(8), le32(7), []byte{1, 2}),
		"second zero":                 cat(le32(8), le32(0), []byte{1, 2}),
		"second past end":             cat(le32(8), le32(11), []byte{1, 2}),
		"second max":                  cat(le32(8), le32(0xffffffff), []byte{1, 2}),
		"third decreases":             cat(le32(12), le32(14), le32(13), []byte{1, 2, 3}),
		"third past end":              cat(le32(12), le32(13), le32(16), []byte{1, 2, 3}),
		"table truncated after first": cat(le32(8), []byte{8, 0, 0}),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			elems, err := VariableList(in)
			require.ErrorIs(t, err, ErrInvalid)
			require.Nil(t, elems)
		})
	}
}

func TestVariableListAccepts(t *testing.T) {
	cases := []struct {
		name  string
		in    []byte
		elems [][]byte
	}{
		{"nil is empty list", nil, nil},
		{"empty is empty list", []byte{}, nil},
		{"one empty element", le32(4), [][]byte{{}}},
		{"one element", cat(le32(4), []byte{9, 8}), [][]byte{{9, 8}}},
		{"two empty elements", cat(le32(8), le32(8)), [][]byte{{}, {}}},
		{"empty then element", cat(le32(8), le32(8), []byte{1}), [][]byte{{}, {1}}},
		{"element then empty", cat(le32(8), le32(9), []byte{1}), [][]byte{{1}, {}}},
		{"three", cat(le32(12), le32(13), le32(15), []byte{1, 2, 3, 4, 5, 6}), [][]byte{{1}, {2, 3}, {4, 5, 6}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			elems, err := VariableList(tc.in)
			require.NoError(t, err)
			require.Len(t, elems, len(tc.elems))
			for i := range elems {
				require.True(t, bytes.Equal(tc.elems[i], elems[i]), "elem %d: %x", i, elems[i])
			}
			require.True(t, bytes.Equal(tc.in, AppendVariableList(nil, elems)))
		})
	}
}

func TestAppendVariableList(t *testing.T) {
	require.Empty(t, AppendVariableList(nil, nil))
	require.Empty(t, AppendVariableList(nil, [][]byte{}))
	// Offsets are relative to the list start, not to dst.
	prefix := []byte{0xaa, 0xbb, 0xcc}
	out := AppendVariableList(append([]byte(nil), prefix...), [][]byte{{1}, {}, {2, 3}})
	require.Equal(t, cat(prefix, le32(12), le32(13), le32(13), []byte{1, 2, 3}), out)

	r := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 500; i++ {
		elems := make([][]byte, r.IntN(8))
		for j := range elems {
			elems[j] = make([]byte, []int{0, 1, 4, 7, 65, r.IntN(100)}[r.IntN(6)])
			for k := range elems[j] {
				elems[j][k] = byte(r.Uint32())
			}
		}
		enc := AppendVariableList(nil, elems)
		dec, err := VariableList(enc)
		require.NoError(t, err)
		require.Len(t, dec, len(elems))
		for j := range elems {
			require.True(t, bytes.Equal(elems[j], dec[j]))
		}
		require.Equal(t, enc, AppendVariableList(nil, dec))
	}
}

// A container with fixed part u16 ‖ off ‖ off ‖ u8 ‖ off (15 bytes), variable
// fields at offset positions 2, 6 and 11.
func container(a, b, c uint32, tail []byte) []byte {
	return cat([]byte{0x11, 0x22}, le32(a), le32(b), []byte{0x33}, le32(c), tail)
}

func TestContainerParts(t *testing.T) {
	const fixed = 15
	pos := []int{2, 6, 11}
	rejects := map[string][]byte{
		"nil":                   nil,
		"14 bytes":              container(15, 15, 15, nil)[:14],
		"first 0":               container(0, 15, 15, nil),
		"first 14":              container(14, 15, 15, []byte{1}),
		"first 16":              container(16, 16, 16, []byte{1}),
		"first 16 past end":     container(16, 16, 16, nil),
		"second decreases":      container(15, 14, 15, []byte{1}),
		"second 0":              container(15, 0, 15, []byte{1}),
		"third decreases":       container(15, 17, 16, []byte{1, 2, 3}),
		"second past end":       container(15, 19, 19, []byte{1, 2, 3}),
		"third past end":        container(15, 16, 19, []byte{1, 2, 3}),
		"third max":             container(15, 16, 0xffffffff, []byte{1, 2, 3}),
		"second max third fine": container(15, 0xffffffff, 16, []byte{1, 2, 3}),
	}
	for name, in := range rejects {
		t.Run(name, func(t *testing.T) {
			parts, err := ContainerParts(in, fixed, pos...)
			require.ErrorIs(t, err, ErrInvalid)
			require.Nil(t, parts)
		})
	}

	accepts := []struct {
		name  string
		in    []byte
		parts [][]byte
	}{
		{"all empty", container(15, 15, 15, nil), [][]byte{{}, {}, {}}},
		{"last to end", container(15, 15, 15, []byte{1, 2}), [][]byte{{}, {}, {1, 2}}},
		{"each", container(15, 16, 18, []byte{1, 2, 3, 4, 5, 6}), [][]byte{{1}, {2, 3}, {4, 5, 6}}},
		{"middle empty", container(15, 16, 16, []byte{1, 2}), [][]byte{{1}, {}, {2}}},
	}
	for _, tc := range accepts {
		t.Run(tc.name, func(t *testing.T) {
			parts, err := ContainerParts(tc.in, fixed, pos...)
			require.NoError(t, err)
			require.Len(t, parts, len(tc.parts))
			for i := range parts {
				require.True(t, bytes.Equal(tc.parts[i], parts[i]), "part %d: %x", i, parts[i])
			}
		})
	}

	// No variable fields: only the length is checked, extra bytes allowed
	// (callers with no variable field compare lengths themselves).
	parts, err := ContainerParts([]byte{1, 2, 3}, 3)
	require.NoError(t, err)
	require.Empty(t, parts)
	_, err = ContainerParts([]byte{1, 2}, 3)
	require.ErrorIs(t, err, ErrInvalid)
}

func TestFixedList(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		size int
		n    int
		ok   bool
	}{
		{nil, 4, 0, true},
		{[]byte{}, 52, 0, true},
		{make([]byte, 52), 52, 1, true},
		{make([]byte, 104), 52, 2, true},
		{make([]byte, 53), 52, 0, false},
		{make([]byte, 51), 52, 0, false},
		{make([]byte, 3), 1, 3, true},
	} {
		elems, err := FixedList(tc.in, tc.size)
		if !tc.ok {
			require.ErrorIs(t, err, ErrInvalid)
			continue
		}
		require.NoError(t, err)
		require.Len(t, elems, tc.n)
		for _, e := range elems {
			require.Len(t, e, tc.size)
		}
	}
	in := []byte{1, 2, 3, 4, 5, 6}
	elems, err := FixedList(in, 2)
	require.NoError(t, err)
	require.Equal(t, [][]byte{{1, 2}, {3, 4}, {5, 6}}, elems)
}

// FuzzVariableList: never panics; success means the input is the canonical
// encoding of the elements.
func FuzzVariableList(f *testing.F) {
	f.Add([]byte{})
	f.Add(le32(4))
	f.Add(cat(le32(8), le32(9), []byte{1, 2}))
	f.Add(cat(le32(12), le32(13), le32(15), []byte{1, 2, 3, 4, 5, 6}))
	f.Add(le32(0))
	f.Add(cat(le32(8), le32(7), []byte{1, 2}))
	f.Fuzz(func(t *testing.T, in []byte) {
		elems, err := VariableList(in)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalid)
			require.Nil(t, elems)
			return
		}
		require.True(t, bytes.Equal(in, AppendVariableList(nil, elems)), "input %x", in)
		if len(in) > 0 {
			require.Equal(t, int(binary.LittleEndian.Uint32(in))/OffsetSize, len(elems))
		}
	})
}

// FuzzContainerParts: never panics; success means the parts tile the input
// after the fixed part with the first starting at the fixed length.
func FuzzContainerParts(f *testing.F) {
	f.Add(container(15, 16, 18, []byte{1, 2, 3, 4, 5, 6}))
	f.Add(container(15, 15, 15, nil))
	f.Add(container(15, 17, 16, []byte{1, 2, 3}))
	f.Fuzz(func(t *testing.T, in []byte) {
		parts, err := ContainerParts(in, 15, 2, 6, 11)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalid)
			return
		}
		require.Len(t, parts, 3)
		rebuilt := append([]byte(nil), in[:15]...)
		for _, p := range parts {
			rebuilt = append(rebuilt, p...)
		}
		require.Equal(t, in, rebuilt)
		require.Equal(t, uint32(15), binary.LittleEndian.Uint32(in[2:]))
		require.Equal(t, uint32(15+len(parts[0])), binary.LittleEndian.Uint32(in[6:]))
		require.Equal(t, uint32(15+len(parts[0])+len(parts[1])), binary.LittleEndian.Uint32(in[11:]))
	})
}

// TestVariableListOffsetHighBitNoPanic is a regression test for a panic on
// 32-bit platforms: VariableList converts the first offset with int(uint32),
// so where int is 32 bits (GOARCH=386, arm, mips) 0x80000000..0xfffffffc
// become negative multiples of 4, pass the "non-zero, multiple of 4, not past
// the end" checks, and make([][]byte, first/4) panics. Passes on 64-bit;
// run with `GOARCH=386 CGO_ENABLED=0 go test ./protocol/ssz` to see it fail.
func TestVariableListOffsetHighBitNoPanic(t *testing.T) {
	for _, first := range []uint32{0x80000000, 0xfffffff0, 0xfffffffc} {
		in := cat(le32(first), []byte{1, 2, 3, 4})
		require.NotPanics(t, func() {
			_, err := VariableList(in)
			require.ErrorIs(t, err, ErrInvalid)
		}, "first offset %#x", first)
	}
}
