package protocol

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
	"github.com/stretchr/testify/require"
)

// The vectors of protocol.md §7, checked there against independent
// implementations.
const (
	vectorChainID      = 31337
	vectorApp          = "0x1111111111111111111111111111111111111111"
	vectorData         = "0x0100002876e1158d0500000000000000000000000000000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"
	vectorSeparator    = "0xb9b0cd5bf604479b971ed2ca8afab0bcfa64f143845b7861d60b1ce25d234d5c"
	vectorStructHash   = "0x02560624b7a7a9ef36df6ff567e0c7754a6ccd39383d840c4750d0392a334bb5"
	vectorDigest       = "0x02bcaa8b6519c4a04558df16f0c9f0e46037f4e35ad3af5e86288c6488706c5e"
	vectorSigner       = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
	vectorKey          = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
	vectorSignature    = "0xef29aedda0fb659be8b707b1f59c0b5f1cee2149b2519be2a97646ff6339e5df537ca1b8560c83ec5d267e9eb1129790aff726c013c6b94e5f6555240dcb5c6e1b"
	vectorEmptyBatch   = "00000000000000000c000000"
	vectorOneFrame     = "05000000000000000c000000040000000e00000064000000000000004c05"
	vectorTwoFramesPre = "07000000000000000c000000080000009e0000000e0000007b000000000000004c050400000000000000d0070e00000043000000"
	vectorTwoFramesEnd = "0e00000080000000000000004c05"
)

func vectorDomain() Domain { return NewDomain(vectorChainID, common.HexToAddress(vectorApp)) }

func vectorOp() UserOp {
	return UserOp{Nonce: 0, MaxFee: 2000, Data: hexutil.MustDecode(vectorData)}
}

func TestEIP712Vector(t *testing.T) {
	d := vectorDomain()
	require.Equal(t, vectorSeparator, d.Separator().Hex())
	require.Equal(t, vectorStructHash, StructHash(vectorOp()).Hex())
	require.Equal(t, vectorDigest, d.Digest(vectorOp()).Hex())

	key, err := crypto.HexToECDSA(vectorKey)
	require.NoError(t, err)
	sig, err := crypto.Sign(d.Digest(vectorOp()).Bytes(), key)
	require.NoError(t, err)
	sig[64] += 27
	require.Equal(t, vectorSignature, hexutil.Encode(sig))

	sender, stored, err := d.RecoverSender(vectorOp(), hexutil.MustDecode(vectorSignature))
	require.NoError(t, err)
	require.Equal(t, vectorSigner, sender.Hex())
	require.Equal(t, vectorSignature, hexutil.Encode(stored[:]))
}

// TestDigestMatchesApitypes checks the hand-rolled hashing against
// go-ethereum's general EIP-712 implementation over several ops.
func TestDigestMatchesApitypes(t *testing.T) {
	d := NewDomain(11155111, common.HexToAddress("0xabcdefabcdefabcdefabcdefabcdefabcdefabcd"))
	ops := []UserOp{
		vectorOp(),
		{Nonce: 0, MaxFee: 0, Data: nil},
		{Nonce: 4294967295, MaxFee: 65535, Data: []byte{0}},
		{Nonce: 7, MaxFee: 1356, Data: make([]byte, 300)},
	}
	for _, op := range ops {
		typed := apitypes.TypedData{
			Types: apitypes.Types{
				"EIP712Domain": {
					{Name: "name", Type: "string"},
					{Name: "version", Type: "string"},
					{Name: "chainId", Type: "uint256"},
					{Name: "verifyingContract", Type: "address"},
				},
				"UserOp": {
					{Name: "nonce", Type: "uint32"},
					{Name: "max_fee", Type: "uint16"},
					{Name: "data", Type: "bytes"},
				},
			},
			PrimaryType: "UserOp",
			Domain: apitypes.TypedDataDomain{
				Name:              DomainName,
				Version:           DomainVersion,
				ChainId:           math.NewHexOrDecimal256(int64(d.ChainID())),
				VerifyingContract: d.VerifyingContract().Hex(),
			},
			Message: apitypes.TypedDataMessage{
				"nonce":   math.NewHexOrDecimal256(int64(op.Nonce)),
				"max_fee": math.NewHexOrDecimal256(int64(op.MaxFee)),
				"data":    hexutil.Bytes(op.Data),
			},
		}
		want, _, err := apitypes.TypedDataAndHash(typed)
		require.NoError(t, err)
		require.Equal(t, common.BytesToHash(want), d.Digest(op))
	}
}

func TestBatchVectors(t *testing.T) {
	sig := append([]byte(strings.Repeat("\xee", 64)), 0x1b)
	data := hexutil.MustDecode(vectorData)
	threeFrames := vectorTwoFramesPre + hex.EncodeToString(data) + hex.EncodeToString(sig) + vectorTwoFramesEnd
	cases := []struct {
		name  string
		batch Batch
		hex   string
	}{
		{"empty", Batch{Nonce: 0}, vectorEmptyBatch},
		{"one empty frame", Batch{Nonce: 5, Frames: []Frame{{SafeBlock: 100, FeePrice: 1356}}}, vectorOneFrame},
		{"op and empty frame", Batch{Nonce: 7, Frames: []Frame{
			{UserOps: []WireUserOp{{Nonce: 0, MaxFee: 2000, Data: data, Signature: sig}}, SafeBlock: 123, FeePrice: 1356},
			{SafeBlock: 128, FeePrice: 1356},
		}}, threeFrames},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			enc := tc.batch.Encode()
			require.Equal(t, tc.hex, hex.EncodeToString(enc))
			require.Equal(t, len(enc), tc.batch.encodedSize())
			dec, err := DecodeBatch(enc)
			require.NoError(t, err)
			require.Equal(t, enc, dec.Encode())
			require.Equal(t, tc.batch.Nonce, dec.Nonce)
			require.Len(t, dec.Frames, len(tc.batch.Frames))
		})
	}
	require.Len(t, hexutil.MustDecode("0x"+threeFrames), 184)
}

func TestFeeVectors(t *testing.T) {
	cases := map[uint16]uint64{
		0: 1, 90: 2, 100: 2, 256: 7, 296: 10, 1000: 2397, 1060: 3824, 1213: 12578, 1356: 38276, 1409: 57816,
	}
	for n, want := range cases {
		got, err := FeeToLinear(n)
		require.NoError(t, err)
		require.True(t, got.IsUint64())
		require.Equal(t, want, got.Uint64(), "fee_to_linear(%d)", n)
	}
	top, err := FeeToLinear(MaxFeeExponent)
	require.NoError(t, err)
	require.Equal(t, 192, top.BitLen())
}
