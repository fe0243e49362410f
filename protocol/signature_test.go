package protocol

import (
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
)

var (
	curveN = crypto.S256().Params().N
	curveP = crypto.S256().Params().P
)

// testKey returns a deterministic private key; key 0 is the §7 vector key.
func testKey(t testing.TB, i int) *ecdsa.PrivateKey {
	t.Helper()
	if i == 0 {
		k, err := crypto.HexToECDSA(vectorKey)
		require.NoError(t, err)
		return k
	}
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte(fmt.Sprintf("protocol test key %d", i))))
	require.NoError(t, err)
	return k
}

// signOp signs op in d and returns r ‖ s ‖ (27+parity), as a wallet would.
func signOp(t testing.TB, key *ecdsa.PrivateKey, d Domain, op UserOp) []byte {
	t.Helper()
	digest := d.Digest(op)
	sig, err := crypto.Sign(digest[:], key)
	require.NoError(t, err)
	sig[64] += 27
	return sig
}

// withV returns a copy of sig with its v byte replaced.
func withV(sig []byte, v byte) []byte {
	out := append([]byte(nil), sig...)
	out[64] = v
	return out
}

// malleate returns the high/low-s twin r ‖ N−s ‖ v' where v' has the other
// parity (in the same 27/28 style as sig), or, if flipParity is false, keeps v.
func malleate(sig []byte, flipParity bool) []byte {
	out := append([]byte(nil), sig[:64]...)
	s := new(big.Int).SetBytes(sig[32:64])
	s.Sub(curveN, s)
	s.FillBytes(out[32:64])
	v := sig[64]
	if flipParity {
		v = flipV(v)
	}
	return append(out, v)
}

// flipV returns v with the other parity in the same style: 0<->1, 27<->28,
// 35<->36, ...
func flipV(v byte) byte {
	switch {
	case v == 0 || v == 1:
		return v ^ 1
	case v == 27:
		return 28
	case v == 28:
		return 27
	case v >= 35 && (v-35)%2 == 0:
		return v + 1
	default:
		return v - 1
	}
}

func word(v *big.Int) []byte { return v.FillBytes(make([]byte, 32)) }

func rawSig(r, s []byte, v byte) []byte {
	out := append(append(append([]byte(nil), r...), s...), v)
	if len(out) != SignatureLength {
		panic("bad raw signature")
	}
	return out
}

func TestParseSignatureAcceptedV(t *testing.T) {
	d := vectorDomain()
	op := vectorOp()
	good := hexutil.MustDecode(vectorSignature) // v = 27, parity 0
	require.Equal(t, byte(27), good[64])
	signer := common.HexToAddress(vectorSigner)

	cases := []struct {
		v      byte
		parity byte
	}{
		{0, 0}, {1, 1}, {27, 0}, {28, 1},
		{35, 0}, {36, 1}, {37, 0}, {38, 1}, {39, 0}, {40, 1},
		{100, 1}, {253, 0}, {254, 1}, {255, 0},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("v=%d", tc.v), func(t *testing.T) {
			raw := withV(good, tc.v)
			sig, err := ParseSignature(raw)
			require.NoError(t, err)
			require.Equal(t, raw[:64], sig[:64], "r and s kept as sent")
			require.Equal(t, 27+tc.parity, sig[64], "stored v is 27+parity")

			addr, stored, err := d.RecoverSender(op, raw)
			require.NoError(t, err)
			require.Equal(t, sig, stored)
			if tc.parity == 0 {
				require.Equal(t, signer, addr)
			} else {
				// The other parity names the other point with x = r: a
				// different (but recoverable) key.
				require.NotEqual(t, signer, addr)
			}
			// The stored form recovers exactly what the raw form did.
			again, err := stored.Recover(d.Digest(op))
			require.NoError(t, err)
			require.Equal(t, addr, again)
		})
	}
}

func TestParseSignatureRejectedV(t *testing.T) {
	good := hexutil.MustDecode(vectorSignature)
	var bad []byte
	for v := 2; v <= 26; v++ {
		bad = append(bad, byte(v))
	}
	for v := 29; v <= 34; v++ {
		bad = append(bad, byte(v))
	}
	d := vectorDomain()
	for _, v := range bad {
		t.Run(fmt.Sprintf("v=%d", v), func(t *testing.T) {
			_, err := ParseSignature(withV(good, v))
			require.ErrorIs(t, err, ErrSignatureParity)
			require.NotErrorIs(t, err, ErrSignatureLength)

			_, _, err = d.RecoverSender(vectorOp(), withV(good, v))
			require.ErrorIs(t, err, ErrSignatureParity)

			// A Signature value built by hand with a bad v is refused by
			// Recover too.
			var sig Signature
			copy(sig[:], withV(good, v))
			_, err = sig.Recover(d.Digest(vectorOp()))
			require.ErrorIs(t, err, ErrSignatureParity)
		})
	}
}

func TestParseSignatureLength(t *testing.T) {
	good := hexutil.MustDecode(vectorSignature)
	cases := map[string][]byte{
		"nil":    nil,
		"empty":  {},
		"1":      {27},
		"64":     good[:64],
		"66":     append(append([]byte(nil), good...), 0),
		"66 v27": append(append([]byte(nil), good[:64]...), 27, 27),
		"130":    append(append([]byte(nil), good...), good...),
	}
	d := vectorDomain()
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseSignature(raw)
			require.ErrorIs(t, err, ErrSignatureLength)
			require.NotErrorIs(t, err, ErrSignatureParity)
			_, _, err = d.RecoverSender(vectorOp(), raw)
			require.ErrorIs(t, err, ErrSignatureLength)
		})
	}
}

// TestHighSMalleation: the twin r ‖ N−s ‖ flipped parity of a real signature
// recovers the same signer and is stored with s as sent; flipping s alone
// never recovers the true signer.
func TestHighSMalleation(t *testing.T) {
	d := NewDomain(1, common.HexToAddress("0x2222222222222222222222222222222222222222"))
	halfN := new(big.Int).Rsh(curveN, 1)
	seenParity := map[byte]bool{}
	for i := 0; i < 24; i++ {
		key := testKey(t, i)
		signer := crypto.PubkeyToAddress(key.PublicKey)
		op := UserOp{Nonce: uint32(i), MaxFee: uint16(1000 + i), Data: []byte{byte(i), 1, 2}}
		low := signOp(t, key, d, op)
		require.True(t, new(big.Int).SetBytes(low[32:64]).Cmp(halfN) <= 0, "crypto.Sign yields low s")
		seenParity[low[64]] = true

		high := malleate(low, true)
		require.True(t, new(big.Int).SetBytes(high[32:64]).Cmp(halfN) > 0)

		for _, style := range []struct {
			name string
			conv func(byte) byte
		}{
			{"27/28", func(v byte) byte { return v }},
			{"0/1", func(v byte) byte { return v - 27 }},
			{"eip155", func(v byte) byte { return v - 27 + 35 + 2*byte(i) }},
		} {
			for _, raw := range [][]byte{withV(low, style.conv(low[64])), withV(high, style.conv(high[64]))} {
				addr, stored, err := d.RecoverSender(op, raw)
				require.NoError(t, err, "key %d style %s", i, style.name)
				require.Equal(t, signer, addr, "key %d style %s", i, style.name)
				require.Equal(t, raw[:64], stored[:64], "s kept as sent")
				require.Equal(t, byte(27)+parityBit(t, raw[64]), stored[64])
			}
		}

		// s flipped, parity kept: this is not a valid twin and must not
		// recover the true signer (it names the other point with x = r).
		for _, raw := range [][]byte{malleate(low, false), malleate(high, false)} {
			addr, _, err := d.RecoverSender(op, raw)
			if err == nil {
				require.NotEqual(t, signer, addr, "key %d: s flipped alone recovered the signer", i)
			}
		}
		// Parity flipped alone, same s: also a different key.
		addr, _, err := d.RecoverSender(op, withV(low, flipV(low[64])))
		if err == nil {
			require.NotEqual(t, signer, addr)
		}
	}
	require.True(t, seenParity[27] && seenParity[28], "both parities exercised")
}

func parityBit(t testing.TB, v byte) byte {
	t.Helper()
	p, err := parityOf(v)
	require.NoError(t, err)
	return p
}

// TestMalleatedTwinsAgree: all four (s, parity) combinations of a signature
// recover at most two distinct addresses, and the proper twins agree pairwise.
func TestMalleatedTwinsAgree(t *testing.T) {
	d := vectorDomain()
	low := hexutil.MustDecode(vectorSignature)
	digest := d.Digest(vectorOp())
	rec := func(raw []byte) common.Address {
		sig, err := ParseSignature(raw)
		require.NoError(t, err)
		a, err := sig.Recover(digest)
		require.NoError(t, err)
		return a
	}
	a := rec(low)                                        // (s, p)
	b := rec(malleate(low, true))                        // (N−s, ¬p)
	c := rec(withV(low, flipV(low[64])))                 // (s, ¬p)
	e := rec(malleate(withV(low, flipV(low[64])), true)) // (N−s, p)
	require.Equal(t, a, b)
	require.Equal(t, c, e)
	require.NotEqual(t, a, c)
	require.Equal(t, common.HexToAddress(vectorSigner), a)
}

func TestRecoverOutOfRange(t *testing.T) {
	good := hexutil.MustDecode(vectorSignature)
	r, s := good[0:32], good[32:64]
	zero := make([]byte, 32)
	n := word(curveN)
	nPlus1 := word(new(big.Int).Add(curveN, big.NewInt(1)))
	nMinus1 := word(new(big.Int).Sub(curveN, big.NewInt(1)))
	p := word(curveP)
	allOnes := word(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)))

	d := vectorDomain()
	digest := d.Digest(vectorOp())
	cases := []struct {
		name string
		r, s []byte
	}{
		{"r=0", zero, s},
		{"s=0", r, zero},
		{"r=0 s=0", zero, zero},
		{"r=N", n, s},
		{"s=N", r, n},
		{"r=N+1", nPlus1, s},
		{"s=N+1", r, nPlus1},
		{"r=P", p, s},
		{"s=P", r, p},
		{"r=2^256-1", allOnes, s},
		{"s=2^256-1", r, allOnes},
	}
	for _, tc := range cases {
		for _, v := range []byte{0, 1, 27, 28, 35, 36} {
			t.Run(fmt.Sprintf("%s v=%d", tc.name, v), func(t *testing.T) {
				raw := rawSig(tc.r, tc.s, v)
				sig, err := ParseSignature(raw)
				require.NoError(t, err, "range is not a parse error")
				_, err = sig.Recover(digest)
				require.ErrorIs(t, err, ErrCannotRecover)
				_, _, err = d.RecoverSender(vectorOp(), raw)
				require.ErrorIs(t, err, ErrCannotRecover)
			})
		}
	}

	// s = N−1 is in range (a high s, the twin of s = 1): it recovers.
	for _, v := range []byte{27, 28} {
		_, err := mustParse(t, rawSig(r, nMinus1, v)).Recover(digest)
		require.NoError(t, err)
	}
}

func mustParse(t testing.TB, raw []byte) Signature {
	t.Helper()
	sig, err := ParseSignature(raw)
	require.NoError(t, err)
	return sig
}

// notXCoordinate returns the smallest r ≥ 1 such that r³+7 is not a square
// mod P, i.e. no curve point has x = r.
func notXCoordinate(t testing.TB) *big.Int {
	t.Helper()
	for i := int64(1); i < 1000; i++ {
		x := big.NewInt(i)
		rhs := new(big.Int).Exp(x, big.NewInt(3), curveP)
		rhs.Add(rhs, big.NewInt(7)).Mod(rhs, curveP)
		if new(big.Int).ModSqrt(rhs, curveP) == nil {
			return x
		}
	}
	t.Fatal("no non-x-coordinate below 1000")
	return nil
}

func TestRecoverRNotOnCurve(t *testing.T) {
	d := vectorDomain()
	digest := d.Digest(vectorOp())
	s := hexutil.MustDecode(vectorSignature)[32:64]

	r := notXCoordinate(t)
	// Cross-check with go-ethereum directly: neither parity recovers.
	for _, v := range []byte{0, 1} {
		_, err := crypto.Ecrecover(digest[:], rawSig(word(r), s, v))
		require.Error(t, err, "r=%v must not be an x coordinate", r)
	}
	for _, v := range []byte{0, 1, 27, 28, 37, 38} {
		_, _, err := d.RecoverSender(vectorOp(), rawSig(word(r), s, v))
		require.ErrorIs(t, err, ErrCannotRecover, "r=%v v=%d", r, v)
	}

	// The r just below it that is an x coordinate recovers some key with
	// either parity, two different ones.
	var on *big.Int
	for i := r.Int64() - 1; i >= 1; i-- {
		x := big.NewInt(i)
		rhs := new(big.Int).Exp(x, big.NewInt(3), curveP)
		rhs.Add(rhs, big.NewInt(7)).Mod(rhs, curveP)
		if new(big.Int).ModSqrt(rhs, curveP) != nil {
			on = x
			break
		}
	}
	if on != nil {
		a0, _, err := d.RecoverSender(vectorOp(), rawSig(word(on), s, 27))
		require.NoError(t, err)
		a1, _, err := d.RecoverSender(vectorOp(), rawSig(word(on), s, 28))
		require.NoError(t, err)
		require.NotEqual(t, a0, a1)
	}
}

// TestRecoverWrongDigest: a signature over another digest recovers some other
// address; that is a sender mismatch for the caller, not an error here.
func TestRecoverWrongDigest(t *testing.T) {
	d := vectorDomain()
	raw := hexutil.MustDecode(vectorSignature)
	signer := common.HexToAddress(vectorSigner)

	others := []struct {
		name string
		d    Domain
		op   UserOp
	}{
		{"nonce", d, UserOp{Nonce: 1, MaxFee: 2000, Data: vectorOp().Data}},
		{"max_fee", d, UserOp{Nonce: 0, MaxFee: 2001, Data: vectorOp().Data}},
		{"data", d, UserOp{Nonce: 0, MaxFee: 2000, Data: vectorOp().Data[:52]}},
		{"chain", NewDomain(1, d.VerifyingContract()), vectorOp()},
		{"contract", NewDomain(vectorChainID, common.HexToAddress("0x1111111111111111111111111111111111111112")), vectorOp()},
	}
	for _, tc := range others {
		t.Run(tc.name, func(t *testing.T) {
			addr, _, err := tc.d.RecoverSender(tc.op, raw)
			require.NoError(t, err)
			require.NotEqual(t, signer, addr)
			require.NotEqual(t, common.Address{}, addr)
		})
	}
}

// TestSignRecoverManyKeys: for many keys and ops, RecoverSender returns the
// signer and the stored form is the signature with v = 27+parity.
func TestSignRecoverManyKeys(t *testing.T) {
	d := NewDomain(11155111, common.HexToAddress("0xabcdefabcdefabcdefabcdefabcdefabcdefabcd"))
	for i := 0; i < 16; i++ {
		key := testKey(t, i)
		op := UserOp{Nonce: uint32(i * 7919), MaxFee: uint16(i * 977), Data: make([]byte, i*5)}
		raw := signOp(t, key, d, op)
		addr, stored, err := d.RecoverSender(op, raw)
		require.NoError(t, err)
		require.Equal(t, crypto.PubkeyToAddress(key.PublicKey), addr)
		require.Equal(t, raw, stored[:])
	}
}
