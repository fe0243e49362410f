package l1

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// Signer signs the batch submitter's transactions. The Poster builds every
// transaction and asks the Signer only for a signature, so the key can live
// in this process (KeySigner: a raw key for development, or one decrypted
// from a keystore file) or in a remote signer (RemoteSigner: Clef,
// web3signer) that never lets it out.
//
// SignTx returns tx signed for chainID by Address(). It must not change the
// transaction: the Poster checks that the result recovers to Address() and
// has the very fields it asked for (ErrSigner otherwise). Signing sends
// nothing, so a retry is harmless; with an RFC 6979 signer (go-ethereum,
// Clef, web3signer) it even returns the same bytes.
type Signer interface {
	Address() common.Address
	SignTx(ctx context.Context, tx *types.Transaction, chainID *big.Int) (*types.Transaction, error)
}

// ErrSigner: the signer failed or misbehaved (unreachable, refused, or
// returned another transaction than the one asked for, or one signed by
// another account). Nothing was sent; the activity retries with backoff,
// and an operator must look at the signer if it persists.
var ErrSigner = errors.New("l1: signer")

// KeySigner signs with a private key held in memory.
type KeySigner struct {
	key  *ecdsa.PrivateKey
	addr common.Address
}

// NewKeySigner returns a signer for key (not nil).
func NewKeySigner(key *ecdsa.PrivateKey) *KeySigner {
	return &KeySigner{key: key, addr: crypto.PubkeyToAddress(key.PublicKey)}
}

// Address is the key's address.
func (s *KeySigner) Address() common.Address { return s.addr }

// SignTx signs tx locally, without I/O (ctx is unused).
func (s *KeySigner) SignTx(_ context.Context, tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	signed, err := types.SignTx(tx, types.LatestSignerForChainID(chainID), s.key)
	if err != nil {
		return nil, fmt.Errorf("%w: sign: %w", ErrSigner, err)
	}
	return signed, nil
}

// String never shows the key.
func (s *KeySigner) String() string { return "key signer " + s.addr.Hex() }

// checkSigned verifies that signed is unsigned, signed by from: the same
// signing hash (every field the signature covers) and the same sender.
func checkSigned(signer types.Signer, unsigned, signed *types.Transaction, from common.Address) error {
	if signed == nil {
		return fmt.Errorf("%w: no transaction returned", ErrSigner)
	}
	if signed.Type() != unsigned.Type() || signer.Hash(signed) != signer.Hash(unsigned) {
		return fmt.Errorf("%w: the signed transaction differs from the one asked for (nonce %d)", ErrSigner, unsigned.Nonce())
	}
	sender, err := types.Sender(signer, signed)
	if err != nil {
		return fmt.Errorf("%w: invalid signature: %w", ErrSigner, err)
	}
	if sender != from {
		return fmt.Errorf("%w: signed by %s, not by the batch submitter %s", ErrSigner, sender, from)
	}
	return nil
}
