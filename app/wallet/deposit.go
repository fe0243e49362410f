package wallet

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// DepositHeaderSize is the fixed head of an ERC-20 portal deposit payload:
// token(20) ‖ depositor(20) ‖ amount(32, big-endian). What follows is the
// depositor's free-form extra data, of any length.
const DepositHeaderSize = common.AddressLength + common.AddressLength + 32

// ErrInvalidDeposit is wrapped by DecodeDeposit's error. A direct input from
// the portal that does not decode is a no-op that still counts as executed.
var ErrInvalidDeposit = errors.New("invalid deposit")

// Deposit is an ERC-20 portal deposit: the portal moved Amount of Token from
// Depositor to the application on L1.
type Deposit struct {
	Token     common.Address
	Depositor common.Address
	Amount    *uint256.Int
	Extra     []byte
}

// EncodeDeposit returns the payload the ERC-20 portal sends:
// token ‖ depositor ‖ amount (32 bytes big-endian) ‖ extra. A nil amount
// encodes as 0. Tests and the dev tooling use it to fake portal inputs.
func EncodeDeposit(token, depositor common.Address, amount *uint256.Int, extra []byte) []byte {
	out := make([]byte, DepositHeaderSize, DepositHeaderSize+len(extra))
	copy(out[0:20], token[:])
	copy(out[20:40], depositor[:])
	if amount != nil {
		amount.WriteToSlice(out[40:72])
	}
	return append(out, extra...)
}

// Encode is EncodeDeposit of d's fields.
func (d Deposit) Encode() []byte {
	return EncodeDeposit(d.Token, d.Depositor, d.Amount, d.Extra)
}

// DecodeDeposit decodes a portal payload. The only rule is the minimum length
// (DepositHeaderSize): the portal appends arbitrary extra data, so every
// longer payload is valid and re-encodes to itself. Extra aliases b (nil when
// there is none).
func DecodeDeposit(b []byte) (Deposit, error) {
	if len(b) < DepositHeaderSize {
		return Deposit{}, fmt.Errorf("%w: need at least %d bytes, got %d", ErrInvalidDeposit, DepositHeaderSize, len(b))
	}
	d := Deposit{
		Token:     common.BytesToAddress(b[0:20]),
		Depositor: common.BytesToAddress(b[20:40]),
		Amount:    new(uint256.Int).SetBytes32(b[40:72]),
	}
	if len(b) > DepositHeaderSize {
		d.Extra = b[DepositHeaderSize:]
	}
	return d, nil
}
