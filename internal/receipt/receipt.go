// Package receipt signs soft confirmations (issue 12): when POST /tx
// answers, the sequencer signs, with a key dedicated to receipts, an EIP-712
// message saying which op it accepted and where it put it (offset, batch
// nonce, recovery generation). The receipt travels in the standard
// eth_signTypedData_v4 JSON form, so any EIP-712 library (viem's
// verifyTypedData, ethers' verifyTypedData, go-ethereum's apitypes) checks it
// without custom code, and a user can later prove what was promised.
//
// A receipt is a promise, not an inclusion proof: a recovery revokes the
// promises of the batches it invalidates, and the generation in the message
// says which recovery epoch a promise belongs to (docs/receipts.md).
package receipt

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

// The receipt domain's name and version. The name differs from the user
// ops' domain (protocol.DomainName) on purpose: a receipt can never be
// mistaken for, or replayed as, a user op signature.
const (
	DomainName    = "Cartesi Sequencer"
	DomainVersion = "1"
	// PrimaryType is the signed struct's name.
	PrimaryType = "SoftConfirmation"
)

// Field is one member of an EIP-712 struct type.
type Field struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Types are the receipt's EIP-712 types: the domain's and SoftConfirmation.
type Types struct {
	EIP712Domain     []Field `json:"EIP712Domain"`
	SoftConfirmation []Field `json:"SoftConfirmation"`
}

// The fixed type lists; the order is the encoding order.
var (
	domainFields = []Field{
		{"name", "string"}, {"version", "string"}, {"chainId", "uint256"}, {"verifyingContract", "address"},
	}
	confirmationFields = []Field{
		{"app", "address"}, {"sender", "address"}, {"nonce", "uint32"}, {"opHash", "bytes32"},
		{"offset", "uint64"}, {"batchNonce", "uint64"}, {"generation", "uint64"},
	}
)

// Domain is the receipt's EIP-712 domain: this sequencer's, for one
// application on one chain. ChainID is a JSON number (viem requires a
// number or bigint to include it in the domain).
type Domain struct {
	Name              string `json:"name"`
	Version           string `json:"version"`
	ChainID           uint64 `json:"chainId"`
	VerifyingContract string `json:"verifyingContract"` // the application, EIP-55
}

// Message is the signed SoftConfirmation. The uint64 fields are JSON
// numbers: exact in JavaScript below 2^53, which offsets, batch nonces and
// generations never reach in practice; viem and go-ethereum accept numbers
// for uint64 members.
type Message struct {
	App        string `json:"app"`    // EIP-55
	Sender     string `json:"sender"` // EIP-55
	Nonce      uint32 `json:"nonce"`
	OpHash     string `json:"opHash"` // 0x + 64 hex: the op's EIP-712 signing digest
	Offset     uint64 `json:"offset"`
	BatchNonce uint64 `json:"batchNonce"`
	Generation uint64 `json:"generation"`
}

// Receipt is the signed soft confirmation in eth_signTypedData_v4 form plus
// the signature: r ‖ s ‖ v, 65 bytes, v 27 or 28.
type Receipt struct {
	Domain      Domain  `json:"domain"`
	Types       Types   `json:"types"`
	PrimaryType string  `json:"primaryType"`
	Message     Message `json:"message"`
	Signature   string  `json:"signature"`
}

// Confirmation is what a receipt promises: the op (its sender, nonce and
// signing digest) is in the replay order at Offset, in the batch of nonce
// BatchNonce, created in recovery generation Generation.
type Confirmation struct {
	Sender     common.Address
	Nonce      uint32
	OpHash     common.Hash
	Offset     uint64
	BatchNonce uint64
	Generation uint64
}

// Signer signs receipts for one application on one chain. It is immutable
// and safe for concurrent use (handlers sign in parallel).
type Signer struct {
	key     *ecdsa.PrivateKey
	address common.Address
	domain  Domain
	typed   apitypes.TypedData // the types and domain; Sign fills a copy's message
}

// NewSigner returns a signer with key for the application app on chainID.
func NewSigner(key *ecdsa.PrivateKey, chainID uint64, app common.Address) (*Signer, error) {
	if key == nil {
		return nil, errors.New("receipt signer: nil key")
	}
	if chainID == 0 {
		return nil, errors.New("receipt signer: chain id must be positive")
	}
	toAPI := func(fs []Field) []apitypes.Type {
		out := make([]apitypes.Type, len(fs))
		for i, f := range fs {
			out[i] = apitypes.Type{Name: f.Name, Type: f.Type}
		}
		return out
	}
	return &Signer{
		key:     key,
		address: crypto.PubkeyToAddress(key.PublicKey),
		domain:  Domain{Name: DomainName, Version: DomainVersion, ChainID: chainID, VerifyingContract: app.Hex()},
		typed: apitypes.TypedData{
			Types:       apitypes.Types{"EIP712Domain": toAPI(domainFields), PrimaryType: toAPI(confirmationFields)},
			PrimaryType: PrimaryType,
			Domain: apitypes.TypedDataDomain{Name: DomainName, Version: DomainVersion,
				ChainId: (*math.HexOrDecimal256)(new(big.Int).SetUint64(chainID)), VerifyingContract: app.Hex()},
		},
	}, nil
}

// ParseKey parses a hex secp256k1 private key, with or without 0x. The error
// never contains the key.
func ParseKey(s string) (*ecdsa.PrivateKey, error) {
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	k, err := crypto.HexToECDSA(s)
	if err != nil {
		return nil, errors.New("not a hex secp256k1 private key")
	}
	return k, nil
}

// Address is the signer's address, what GET /receipt_key publishes.
func (s *Signer) Address() common.Address { return s.address }

// Domain is the receipts' EIP-712 domain.
func (s *Signer) Domain() Domain { return s.domain }

// Sign returns the signed receipt for c. It costs one EIP-712 hash and one
// secp256k1 signature (tens of microseconds, BenchmarkSign); an error means
// a bug, never a property of c.
func (s *Signer) Sign(c Confirmation) (Receipt, error) {
	msg := Message{
		App: s.domain.VerifyingContract, Sender: c.Sender.Hex(), Nonce: c.Nonce, OpHash: c.OpHash.Hex(),
		Offset: c.Offset, BatchNonce: c.BatchNonce, Generation: c.Generation,
	}
	typed := s.typed
	typed.Message = apitypes.TypedDataMessage{
		"app":        msg.App,
		"sender":     msg.Sender,
		"nonce":      new(big.Int).SetUint64(uint64(c.Nonce)),
		"opHash":     c.OpHash[:],
		"offset":     new(big.Int).SetUint64(c.Offset),
		"batchNonce": new(big.Int).SetUint64(c.BatchNonce),
		"generation": new(big.Int).SetUint64(c.Generation),
	}
	digest, _, err := apitypes.TypedDataAndHash(typed)
	if err != nil {
		return Receipt{}, fmt.Errorf("hash soft confirmation: %w", err)
	}
	sig, err := crypto.Sign(digest, s.key)
	if err != nil {
		return Receipt{}, fmt.Errorf("sign soft confirmation: %w", err)
	}
	sig[crypto.RecoveryIDOffset] += 27 // Ethereum's v: 27 or 28
	return Receipt{
		Domain:      s.domain,
		Types:       Types{EIP712Domain: domainFields, SoftConfirmation: confirmationFields},
		PrimaryType: PrimaryType,
		Message:     msg,
		Signature:   hexutil.Encode(sig),
	}, nil
}
