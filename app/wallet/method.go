package wallet

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// The user op data of the wallet is an SSZ union (protocol.md §6): one
// selector byte, then the variant's SSZ encoding. Both variants are fixed-size,
// so each has exactly one accepted length and every accepted payload has
// exactly one encoding: whatever DecodeMethod accepts, Encode reproduces.
const (
	// SelectorWithdrawal selects Withdrawal{amount uint256}.
	SelectorWithdrawal byte = 0x00
	// SelectorTransfer selects Transfer{amount uint256, to address}.
	SelectorTransfer byte = 0x01

	// WithdrawalSize is the encoded size of a Withdrawal: selector + 32.
	WithdrawalSize = 1 + 32
	// TransferSize is the encoded size of a Transfer: selector + 32 + 20.
	TransferSize = 1 + 32 + common.AddressLength

	// MaxPayloadSize is the largest user op data the wallet accepts (the
	// Transfer); ingress refuses longer data.
	MaxPayloadSize = TransferSize
)

// ErrInvalidMethod is wrapped by every DecodeMethod error. A user op whose
// data does not decode is still executed (nonce bumped, fee paid); it just
// does nothing more.
var ErrInvalidMethod = errors.New("invalid wallet method")

// Method is a decoded user op payload: *Withdrawal or *Transfer. The interface
// is sealed so that a type switch over it is exhaustive.
type Method interface {
	// Encode returns the user op data: selector ‖ SSZ(variant).
	Encode() []byte
	isMethod()
}

// Withdrawal burns Amount from the sender and emits a voucher that transfers
// the same amount of the token to the sender on L1. A nil Amount encodes as 0.
type Withdrawal struct {
	Amount *uint256.Int
}

// Transfer moves Amount from the sender to To. A nil Amount encodes as 0.
type Transfer struct {
	Amount *uint256.Int
	To     common.Address
}

func (*Withdrawal) isMethod() {}
func (*Transfer) isMethod()   {}

// Encode returns 0x00 ‖ amount (32 bytes little-endian).
func (m *Withdrawal) Encode() []byte {
	out := make([]byte, WithdrawalSize)
	out[0] = SelectorWithdrawal
	putUint256LE(out[1:33], m.Amount)
	return out
}

// Encode returns 0x01 ‖ amount (32 bytes little-endian) ‖ to (20 bytes).
func (m *Transfer) Encode() []byte {
	out := make([]byte, TransferSize)
	out[0] = SelectorTransfer
	putUint256LE(out[1:33], m.Amount)
	copy(out[33:], m.To[:])
	return out
}

// DecodeMethod strictly decodes user op data: a known selector followed by
// exactly that variant's bytes. Anything else (empty data, an unknown
// selector, a wrong length) is an error wrapping ErrInvalidMethod. It never
// panics and the result does not alias b.
func DecodeMethod(b []byte) (Method, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty data", ErrInvalidMethod)
	}
	switch b[0] {
	case SelectorWithdrawal:
		if len(b) != WithdrawalSize {
			return nil, fmt.Errorf("%w: withdrawal is %d bytes, got %d", ErrInvalidMethod, WithdrawalSize, len(b))
		}
		return &Withdrawal{Amount: uint256LE(b[1:33])}, nil
	case SelectorTransfer:
		if len(b) != TransferSize {
			return nil, fmt.Errorf("%w: transfer is %d bytes, got %d", ErrInvalidMethod, TransferSize, len(b))
		}
		return &Transfer{Amount: uint256LE(b[1:33]), To: common.BytesToAddress(b[33:TransferSize])}, nil
	default:
		return nil, fmt.Errorf("%w: unknown selector 0x%02x", ErrInvalidMethod, b[0])
	}
}

// putUint256LE writes v (nil = 0) as 32 little-endian bytes into dst[:32].
func putUint256LE(dst []byte, v *uint256.Int) {
	if v == nil {
		clear(dst[:32])
		return
	}
	be := v.Bytes32()
	for i := range 32 {
		dst[i] = be[31-i]
	}
}

// uint256LE reads 32 little-endian bytes; the caller guarantees len(b) ≥ 32.
func uint256LE(b []byte) *uint256.Int {
	var be [32]byte
	for i := range 32 {
		be[i] = b[31-i]
	}
	return new(uint256.Int).SetBytes32(be[:])
}
