package protocol

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
	"github.com/stretchr/testify/require"
)

func TestDomainAccessors(t *testing.T) {
	app := common.HexToAddress("0x1111111111111111111111111111111111111111")
	d := NewDomain(31337, app)
	require.Equal(t, uint64(31337), d.ChainID())
	require.Equal(t, big.NewInt(31337), d.ChainIDBig())
	require.Equal(t, app, d.VerifyingContract())
	// ChainIDBig is a fresh value each time.
	d.ChainIDBig().SetInt64(1)
	require.Equal(t, big.NewInt(31337), d.ChainIDBig())
	// Same inputs, same domain.
	require.Equal(t, d, NewDomain(31337, app))
}

func TestDomainSeparatorsDiffer(t *testing.T) {
	apps := []common.Address{
		{},
		common.HexToAddress("0x1111111111111111111111111111111111111111"),
		common.HexToAddress("0x1111111111111111111111111111111111111112"),
		common.HexToAddress("0x9111111111111111111111111111111111111111"),
		common.HexToAddress("0xffffffffffffffffffffffffffffffffffffffff"),
	}
	chains := []uint64{0, 1, 5, 31337, 11155111, 1 << 32, 1<<64 - 1}
	seen := map[common.Hash]string{}
	for _, c := range chains {
		for _, a := range apps {
			sep := NewDomain(c, a).Separator()
			key := a.Hex() + "@" + big.NewInt(0).SetUint64(c).String()
			prev, dup := seen[sep]
			require.False(t, dup, "%s and %s share a separator", key, prev)
			seen[sep] = key
		}
	}
}

// TestSeparatorMatchesApitypes covers chain ids that use all 8 bytes of the
// uint64, where a misplaced big-endian write would show.
func TestSeparatorMatchesApitypes(t *testing.T) {
	for _, c := range []uint64{0, 1, 31337, 1 << 40, 1<<64 - 1} {
		for _, a := range []common.Address{{}, common.HexToAddress("0xabcdefabcdefabcdefabcdefabcdefabcdefabcd")} {
			td := apitypes.TypedDataDomain{
				Name:              DomainName,
				Version:           DomainVersion,
				ChainId:           (*math.HexOrDecimal256)(new(big.Int).SetUint64(c)),
				VerifyingContract: a.Hex(),
			}
			typed := apitypes.TypedData{
				Types: apitypes.Types{"EIP712Domain": {
					{Name: "name", Type: "string"},
					{Name: "version", Type: "string"},
					{Name: "chainId", Type: "uint256"},
					{Name: "verifyingContract", Type: "address"},
				}},
				Domain: td,
			}
			want, err := typed.HashStruct("EIP712Domain", td.Map())
			require.NoError(t, err)
			require.Equal(t, common.BytesToHash(want), NewDomain(c, a).Separator(), "chain %d app %s", c, a)
		}
	}
}

func TestDigestChangesWithEveryField(t *testing.T) {
	d := vectorDomain()
	base := vectorOp()
	baseDigest := d.Digest(base)
	require.Equal(t, vectorDigest, baseDigest.Hex())

	flipData := func(i int) []byte {
		out := append([]byte(nil), base.Data...)
		out[i] ^= 1
		return out
	}
	variants := map[string]struct {
		d  Domain
		op UserOp
	}{
		"nonce+1":       {d, UserOp{Nonce: 1, MaxFee: base.MaxFee, Data: base.Data}},
		"nonce max":     {d, UserOp{Nonce: 1<<32 - 1, MaxFee: base.MaxFee, Data: base.Data}},
		"max_fee+1":     {d, UserOp{Nonce: base.Nonce, MaxFee: base.MaxFee + 1, Data: base.Data}},
		"max_fee 0":     {d, UserOp{Nonce: base.Nonce, MaxFee: 0, Data: base.Data}},
		"data first":    {d, UserOp{Nonce: base.Nonce, MaxFee: base.MaxFee, Data: flipData(0)}},
		"data last":     {d, UserOp{Nonce: base.Nonce, MaxFee: base.MaxFee, Data: flipData(len(base.Data) - 1)}},
		"data shorter":  {d, UserOp{Nonce: base.Nonce, MaxFee: base.MaxFee, Data: base.Data[:len(base.Data)-1]}},
		"data longer":   {d, UserOp{Nonce: base.Nonce, MaxFee: base.MaxFee, Data: append(append([]byte(nil), base.Data...), 0)}},
		"data empty":    {d, UserOp{Nonce: base.Nonce, MaxFee: base.MaxFee}},
		"chain id":      {NewDomain(vectorChainID+1, d.VerifyingContract()), base},
		"chain id 1":    {NewDomain(1, d.VerifyingContract()), base},
		"contract":      {NewDomain(vectorChainID, common.HexToAddress("0x1111111111111111111111111111111111111110")), base},
		"contract zero": {NewDomain(vectorChainID, common.Address{}), base},
	}
	seen := map[common.Hash]string{baseDigest: "base"}
	for name, v := range variants {
		t.Run(name, func(t *testing.T) {
			got := v.d.Digest(v.op)
			require.NotEqual(t, baseDigest, got)
			prev, dup := seen[got]
			require.False(t, dup, "same digest as %s", prev)
			seen[got] = name
		})
	}

	// Fields are not interchangeable: nonce and max_fee occupy their own
	// words.
	require.NotEqual(t, d.Digest(UserOp{Nonce: 5}), d.Digest(UserOp{MaxFee: 5}))
	// nil and empty data are the same bytes value.
	require.Equal(t, d.Digest(UserOp{Nonce: 1, Data: nil}), d.Digest(UserOp{Nonce: 1, Data: []byte{}}))
	// The struct hash does not depend on the domain; the digest does.
	require.Equal(t, StructHash(base), StructHash(UserOp{Nonce: 0, MaxFee: 2000, Data: hexutil.MustDecode(vectorData)}))
	require.Equal(t, vectorStructHash, StructHash(base).Hex())
	// Digest does not retain or modify the op's data.
	data := append([]byte(nil), base.Data...)
	_ = d.Digest(UserOp{Data: data})
	require.Equal(t, base.Data, data)
}
