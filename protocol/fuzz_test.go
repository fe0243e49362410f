package protocol

import (
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cartesi/sequencer/protocol/ssz"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/stretchr/testify/require"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/ (the §7 vectors and some
// invalid inputs); the f.Add seeds below are a few extra hand-made ones.

func FuzzDecodeBatch(f *testing.F) {
	f.Add(Batch{}.Encode())
	f.Add(benchBatch(3).Encode())
	f.Fuzz(func(t *testing.T, in []byte) {
		b, err := DecodeBatch(in)
		if err != nil {
			require.ErrorIs(t, err, ssz.ErrInvalid)
			return
		}
		enc := b.Encode()
		require.Equal(t, in, enc, "decoded batch re-encodes differently")
		require.Len(t, enc, b.encodedSize())
	})
}

func FuzzDecodeFrame(f *testing.F) {
	f.Add(Frame{SafeBlock: 1, FeePrice: 2}.Encode())
	f.Add(benchBatch(2).Frames[0].Encode())
	f.Fuzz(func(t *testing.T, in []byte) {
		fr, err := DecodeFrame(in)
		if err != nil {
			require.ErrorIs(t, err, ssz.ErrInvalid)
			return
		}
		require.Equal(t, in, fr.Encode())
		// A valid frame is a valid one-frame batch.
		b := Batch{Nonce: 1, Frames: []Frame{fr}}
		dec, err := DecodeBatch(b.Encode())
		require.NoError(t, err)
		require.Equal(t, in, dec.Frames[0].Encode())
	})
}

func FuzzDecodeWireUserOp(f *testing.F) {
	f.Add(WireUserOp{}.Encode())
	f.Add(WireUserOp{Nonce: 1, MaxFee: 2, Data: hexutil.MustDecode(vectorData), Signature: hexutil.MustDecode(vectorSignature)}.Encode())
	f.Fuzz(func(t *testing.T, in []byte) {
		op, err := DecodeWireUserOp(in)
		if err != nil {
			require.ErrorIs(t, err, ssz.ErrInvalid)
			return
		}
		require.Equal(t, in, op.Encode())
		require.Equal(t, len(in), op.EncodedSize())
	})
}

// FuzzParseSignature: parsing never panics; a parsed signature has v ∈
// {27, 28} and r, s exactly as sent; recovery never panics, and when it
// succeeds the proper malleated twin recovers the same address.
func FuzzParseSignature(f *testing.F) {
	good := hexutil.MustDecode(vectorSignature)
	f.Add(good)
	f.Add(withV(good, 0))
	f.Add(withV(good, 37))
	f.Add(malleate(good, true))
	f.Add(good[:64])
	digest := vectorDomain().Digest(vectorOp())
	f.Fuzz(func(t *testing.T, in []byte) {
		sig, err := ParseSignature(in)
		if err != nil {
			require.True(t, len(in) != SignatureLength || (in[64] >= 2 && in[64] <= 26) || (in[64] >= 29 && in[64] <= 34),
				"rejected %x: %v", in, err)
			return
		}
		require.Len(t, in, SignatureLength)
		require.Contains(t, []byte{27, 28}, sig[64])
		require.Equal(t, in[:64], sig[:64])
		again, err := ParseSignature(sig[:])
		require.NoError(t, err)
		require.Equal(t, sig, again, "the stored form is a fixed point")

		addr, err := sig.Recover(digest)
		if err != nil {
			require.ErrorIs(t, err, ErrCannotRecover)
			return
		}
		s := new(big.Int).SetBytes(sig[32:64])
		require.True(t, s.Sign() > 0 && s.Cmp(curveN) < 0)
		twin, err := ParseSignature(malleate(sig[:], true))
		require.NoError(t, err)
		twinAddr, err := twin.Recover(digest)
		require.NoError(t, err)
		require.Equal(t, addr, twinAddr, "malleated twin recovers a different address")
	})
}

// readCorpusFile parses a one-value "go test fuzz v1" file holding []byte.
func readCorpusFile(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	require.Len(t, lines, 2, path)
	require.Equal(t, "go test fuzz v1", lines[0])
	lit, ok := strings.CutPrefix(lines[1], "[]byte(")
	require.True(t, ok, path)
	lit, ok = strings.CutSuffix(lit, ")")
	require.True(t, ok, path)
	s, err := strconv.Unquote(lit)
	require.NoError(t, err, path)
	return []byte(s)
}

// TestFuzzSeedCorpusLabels checks that the committed seed files are what
// their names say: "invalid_*" seeds are rejected, all others accepted.
func TestFuzzSeedCorpusLabels(t *testing.T) {
	decoders := map[string]func([]byte) error{
		"FuzzDecodeBatch":      func(b []byte) error { _, err := DecodeBatch(b); return err },
		"FuzzDecodeFrame":      func(b []byte) error { _, err := DecodeFrame(b); return err },
		"FuzzDecodeWireUserOp": func(b []byte) error { _, err := DecodeWireUserOp(b); return err },
		"FuzzParseSignature":   func(b []byte) error { _, err := ParseSignature(b); return err },
	}
	for fuzzName, decode := range decoders {
		files, err := filepath.Glob(filepath.Join("testdata", "fuzz", fuzzName, "*"))
		require.NoError(t, err)
		require.NotEmpty(t, files, fuzzName)
		for _, path := range files {
			in := readCorpusFile(t, path)
			err := decode(in)
			if strings.HasPrefix(filepath.Base(path), "invalid_") {
				require.Error(t, err, path)
			} else {
				require.NoError(t, err, path)
			}
		}
	}
	// The §7 vectors are in the batch corpus verbatim.
	full := vectorTwoFramesPre + vectorData[2:] + strings.Repeat("ee", 64) + "1b" + vectorTwoFramesEnd
	for name, hexStr := range map[string]string{"vector_empty": vectorEmptyBatch, "vector_one_frame": vectorOneFrame, "vector_two_frames": full} {
		require.Equal(t, unhex(t, hexStr), readCorpusFile(t, filepath.Join("testdata", "fuzz", "FuzzDecodeBatch", name)))
	}
}
