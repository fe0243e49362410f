package receipt_test

import (
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/receipt"
	"github.com/cartesi/sequencer/protocol"
)

var (
	testApp   = common.HexToAddress("0x70ac08179605AF2D9e75782b8DEcDD3c22aA4D0C")
	testChain = uint64(31337)
)

func newSigner(t testing.TB) *receipt.Signer {
	t.Helper()
	key, err := receipt.ParseKey("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")
	require.NoError(t, err)
	s, err := receipt.NewSigner(key, testChain, testApp)
	require.NoError(t, err)
	return s
}

// wireReceipt is a receipt as a client decodes it from JSON: the typed
// data go-ethereum's signer understands, plus the signature.
type wireReceipt struct {
	apitypes.TypedData
	Signature hexutil.Bytes `json:"signature"`
}

// recoverFromJSON verifies a receipt the way an integrator would, from its
// JSON alone: go-ethereum's EIP-712 implementation hashes the typed data
// and the signature is recovered against that hash.
func recoverFromJSON(t *testing.T, body []byte) (common.Address, wireReceipt) {
	t.Helper()
	var w wireReceipt
	require.NoError(t, json.Unmarshal(body, &w))
	digest, _, err := apitypes.TypedDataAndHash(w.TypedData)
	require.NoError(t, err)
	require.Len(t, w.Signature, 65)
	v := w.Signature[64]
	require.Contains(t, []byte{27, 28}, v, "v is Ethereum's 27/28")
	sig := append([]byte(nil), w.Signature...)
	sig[64] -= 27
	pub, err := crypto.SigToPub(digest, sig)
	require.NoError(t, err)
	return crypto.PubkeyToAddress(*pub), w
}

// handDigest is the EIP-712 digest of a SoftConfirmation computed from the
// specification by hand, with no EIP-712 library: a third path that pins
// the type strings and the encoding.
func handDigest(chainID uint64, app common.Address, c receipt.Confirmation) common.Hash {
	word := func(b []byte) []byte { return common.LeftPadBytes(b, 32) }
	u64 := func(v uint64) []byte { return word(binary.BigEndian.AppendUint64(nil, v)) }
	domainType := crypto.Keccak256([]byte("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"))
	sep := crypto.Keccak256(domainType, crypto.Keccak256([]byte("Cartesi Sequencer")), crypto.Keccak256([]byte("1")),
		u64(chainID), word(app[:]))
	typ := crypto.Keccak256([]byte("SoftConfirmation(address app,address sender,uint32 nonce,bytes32 opHash," +
		"uint64 offset,uint64 batchNonce,uint64 generation)"))
	st := crypto.Keccak256(typ, word(app[:]), word(c.Sender[:]), u64(uint64(c.Nonce)), c.OpHash[:],
		u64(c.Offset), u64(c.BatchNonce), u64(c.Generation))
	return crypto.Keccak256Hash([]byte{0x19, 0x01}, sep, st)
}

func TestReceiptVerifiesWithStandardEIP712(t *testing.T) {
	s := newSigner(t)
	op := protocol.UserOp{Nonce: 7, MaxFee: 300, Data: []byte("transfer")}
	d := protocol.NewDomain(testChain, testApp)
	sender := common.HexToAddress("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC")
	cases := []struct {
		name string
		c    receipt.Confirmation
	}{
		{"first op", receipt.Confirmation{Sender: sender, Nonce: 0, OpHash: d.Digest(op), Offset: 0, BatchNonce: 0, Generation: 0}},
		{"after recoveries", receipt.Confirmation{Sender: sender, Nonce: op.Nonce, OpHash: d.Digest(op), Offset: 123_456,
			BatchNonce: 42, Generation: 3}},
		// 2^53 − 1: the largest uint64 a JSON number carries exactly in
		// JavaScript; go-ethereum's JSON decoding is exact up to it too.
		{"largest exact JSON numbers", receipt.Confirmation{Sender: sender, Nonce: ^uint32(0), OpHash: d.Digest(op),
			Offset: 1<<53 - 1, BatchNonce: 1<<53 - 1, Generation: 1<<53 - 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := s.Sign(tc.c)
			require.NoError(t, err)
			body, err := json.Marshal(r)
			require.NoError(t, err)

			signer, w := recoverFromJSON(t, body)
			require.Equal(t, s.Address(), signer)

			digest, _, err := apitypes.TypedDataAndHash(w.TypedData)
			require.NoError(t, err)
			require.Equal(t, handDigest(testChain, testApp, tc.c).Bytes(), digest, "apitypes and the hand-made digest agree")

			// The message says what was promised, in the documented JSON.
			require.Equal(t, "SoftConfirmation", w.PrimaryType)
			require.Equal(t, receipt.Message{App: testApp.Hex(), Sender: tc.c.Sender.Hex(), Nonce: tc.c.Nonce,
				OpHash: tc.c.OpHash.Hex(), Offset: tc.c.Offset, BatchNonce: tc.c.BatchNonce, Generation: tc.c.Generation}, r.Message)
			require.Equal(t, receipt.Domain{Name: "Cartesi Sequencer", Version: "1", ChainID: testChain,
				VerifyingContract: testApp.Hex()}, r.Domain)
		})
	}
}

// TestReceiptJSONShape pins the wire form integrators decode: numbers for
// chainId and the integers (viem's verifyTypedData needs chainId a number
// to match the domain type), hex strings for addresses and opHash, no salt.
func TestReceiptJSONShape(t *testing.T) {
	s := newSigner(t)
	r, err := s.Sign(receipt.Confirmation{Sender: common.HexToAddress("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
		Nonce: 1, OpHash: common.HexToHash("0xab"), Offset: 9, BatchNonce: 2, Generation: 1})
	require.NoError(t, err)
	body, err := json.Marshal(r)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(body, &got))
	require.Equal(t, map[string]any{
		"domain": map[string]any{"name": "Cartesi Sequencer", "version": "1", "chainId": float64(31337),
			"verifyingContract": "0x70ac08179605AF2D9e75782b8DEcDD3c22aA4D0C"},
		"types": map[string]any{
			"EIP712Domain": []any{
				map[string]any{"name": "name", "type": "string"}, map[string]any{"name": "version", "type": "string"},
				map[string]any{"name": "chainId", "type": "uint256"}, map[string]any{"name": "verifyingContract", "type": "address"},
			},
			"SoftConfirmation": []any{
				map[string]any{"name": "app", "type": "address"}, map[string]any{"name": "sender", "type": "address"},
				map[string]any{"name": "nonce", "type": "uint32"}, map[string]any{"name": "opHash", "type": "bytes32"},
				map[string]any{"name": "offset", "type": "uint64"}, map[string]any{"name": "batchNonce", "type": "uint64"},
				map[string]any{"name": "generation", "type": "uint64"},
			},
		},
		"primaryType": "SoftConfirmation",
		"message": map[string]any{"app": "0x70ac08179605AF2D9e75782b8DEcDD3c22aA4D0C",
			"sender": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "nonce": float64(1),
			"opHash": "0x00000000000000000000000000000000000000000000000000000000000000ab", "offset": float64(9),
			"batchNonce": float64(2), "generation": float64(1)},
		"signature": r.Signature,
	}, got)
	require.Len(t, r.Signature, 2+130)
}

// TestTamperedReceiptRecoversAnotherSigner: each promised field is covered
// by the signature; changing any one makes the recovered signer differ from
// GET /receipt_key's address.
func TestTamperedReceiptRecoversAnotherSigner(t *testing.T) {
	s := newSigner(t)
	r, err := s.Sign(receipt.Confirmation{Sender: common.HexToAddress("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
		Nonce: 5, OpHash: common.HexToHash("0x01"), Offset: 10, BatchNonce: 3, Generation: 2})
	require.NoError(t, err)
	cases := []struct {
		name   string
		tamper func(*receipt.Receipt)
	}{
		{"offset", func(r *receipt.Receipt) { r.Message.Offset++ }},
		{"batch nonce", func(r *receipt.Receipt) { r.Message.BatchNonce++ }},
		{"generation", func(r *receipt.Receipt) { r.Message.Generation++ }},
		{"nonce", func(r *receipt.Receipt) { r.Message.Nonce++ }},
		{"op hash", func(r *receipt.Receipt) { r.Message.OpHash = common.HexToHash("0x02").Hex() }},
		{"sender", func(r *receipt.Receipt) { r.Message.Sender = testApp.Hex() }},
		{"app", func(r *receipt.Receipt) { r.Message.App = r.Message.Sender }},
		{"chain", func(r *receipt.Receipt) { r.Domain.ChainID++ }},
		{"domain name", func(r *receipt.Receipt) { r.Domain.Name = protocol.DomainName }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := r
			tc.tamper(&bad)
			body, err := json.Marshal(bad)
			require.NoError(t, err)
			signer, _ := recoverFromJSON(t, body)
			require.NotEqual(t, s.Address(), signer)
		})
	}
}

func TestNewSignerRefuses(t *testing.T) {
	key, err := receipt.ParseKey("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")
	require.NoError(t, err)
	_, err = receipt.NewSigner(nil, testChain, testApp)
	require.Error(t, err)
	_, err = receipt.NewSigner(key, 0, testApp)
	require.Error(t, err)
	_, err = receipt.ParseKey("0xnothex")
	require.EqualError(t, err, "not a hex secp256k1 private key")
}

// BenchmarkSign is the cost POST /tx pays per op with receipts on (on the
// API's goroutine, after the lane's commit).
func BenchmarkSign(b *testing.B) {
	s := newSigner(b)
	c := receipt.Confirmation{Sender: common.HexToAddress("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"), Nonce: 5,
		OpHash: common.HexToHash("0x01"), Offset: 10, BatchNonce: 3, Generation: 2}
	b.ReportAllocs()
	for b.Loop() {
		c.Offset++
		if _, err := s.Sign(c); err != nil {
			b.Fatal(err)
		}
	}
}
