package protocol

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

var (
	// ErrSignatureLength reports a signature that is not exactly 65 bytes.
	ErrSignatureLength = errors.New("invalid signature length")
	// ErrSignatureParity reports a v byte that names no recovery parity.
	ErrSignatureParity = errors.New("invalid signature parity")
	// ErrCannotRecover reports a well-formed signature from which no public
	// key can be recovered (r or s zero or out of range, or no curve point).
	ErrCannotRecover = errors.New("cannot recover sender")
)

// Signature is a parsed user operation signature in its stored form:
// r ‖ s ‖ (27 + parity), with s kept exactly as sent (a high s is not
// normalised in the stored bytes, only for recovery).
type Signature [SignatureLength]byte

// secp256k1N and secp256k1HalfN bound r and s.
var (
	secp256k1N, _  = uint256.FromBig(crypto.S256().Params().N)
	secp256k1HalfN = new(uint256.Int).Rsh(secp256k1N, 1)
)

// ParseSignature checks the length and the v byte and returns the stored
// form. v may be 0/1, 27/28, or EIP-155 style ≥ 35 meaning parity (v−35) mod 2.
func ParseSignature(b []byte) (Signature, error) {
	var sig Signature
	if len(b) != SignatureLength {
		return sig, fmt.Errorf("%w: want %d bytes, got %d", ErrSignatureLength, SignatureLength, len(b))
	}
	parity, err := parityOf(b[64])
	if err != nil {
		return sig, err
	}
	copy(sig[:64], b[:64])
	sig[64] = 27 + parity
	return sig, nil
}

func parityOf(v byte) (byte, error) {
	switch {
	case v == 0 || v == 1:
		return v, nil
	case v == 27 || v == 28:
		return v - 27, nil
	case v >= 35:
		return (v - 35) % 2, nil
	default:
		return 0, fmt.Errorf("%w: v=%d", ErrSignatureParity, v)
	}
}

// Recover returns the address that signed digest. A high-s signature recovers
// the same address as its low-s twin: s is normalised to N−s and the parity
// flipped before recovery, so no malleated form can recover anyone else.
func (sig Signature) Recover(digest common.Hash) (common.Address, error) {
	parity, err := parityOf(sig[64])
	if err != nil {
		return common.Address{}, err
	}
	r := new(uint256.Int).SetBytes32(sig[0:32])
	s := new(uint256.Int).SetBytes32(sig[32:64])
	if r.IsZero() || s.IsZero() || !r.Lt(secp256k1N) || !s.Lt(secp256k1N) {
		return common.Address{}, fmt.Errorf("%w: r or s out of range", ErrCannotRecover)
	}
	if s.Gt(secp256k1HalfN) {
		s.Sub(secp256k1N, s)
		parity ^= 1
	}
	var compact [65]byte
	copy(compact[0:32], sig[0:32])
	sBytes := s.Bytes32()
	copy(compact[32:64], sBytes[:])
	compact[64] = parity
	pub, err := crypto.Ecrecover(digest[:], compact[:])
	if err != nil || len(pub) != 65 {
		return common.Address{}, fmt.Errorf("%w: %v", ErrCannotRecover, err)
	}
	return common.BytesToAddress(crypto.Keccak256(pub[1:])[12:]), nil
}

// RecoverSender parses raw signature bytes and recovers the signer of op in
// domain d. It is what ingress and the scheduler both call.
func (d Domain) RecoverSender(op UserOp, rawSig []byte) (common.Address, Signature, error) {
	sig, err := ParseSignature(rawSig)
	if err != nil {
		return common.Address{}, sig, err
	}
	addr, err := sig.Recover(d.Digest(op))
	return addr, sig, err
}
