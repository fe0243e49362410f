package protocol

import (
	"errors"
	"fmt"

	"github.com/holiman/uint256"
)

// A fee is a uint16 exponent n meaning floor((129/128)^n) smallest units of
// the application's fee token. The conversion below is the consensus
// definition (protocol.md §5): 64 fractional bits, 256-bit words, 512-bit
// intermediates, and the multiplications in ascending bit order.

// ErrFeeExponentRange reports a fee exponent above MaxFeeExponent, whose value
// does not fit in 256 bits.
var ErrFeeExponentRange = errors.New("fee exponent out of range")

// feeTableSize is the number of table entries: bit 14 is the highest bit an
// exponent ≤ MaxFeeExponent can have.
const feeTableSize = 15

// feeTable holds T[i] = (129/128)^(2^i) in 64-bit fixed point:
// T[0] = 129 << 57 and T[i] = floor(T[i-1]² / 2^64). It is computed, not
// typed in, so that the definition in the spec is the code.
type feeTable [feeTableSize]uint256.Int

// two64 is 2^64, the fixed-point unit.
var two64 = *new(uint256.Int).Lsh(uint256.NewInt(1), 64)

func newFeeTable() feeTable {
	var t feeTable
	t[0].Lsh(uint256.NewInt(129), 57)
	for i := 1; i < feeTableSize; i++ {
		// T[i-1] < 2^256 and T[i-1]² / 2^64 < 2^256 for i ≤ 14: no overflow.
		t[i].MulDivOverflow(&t[i-1], &t[i-1], &two64)
	}
	return t
}

// feeTableValue is read-only after initialisation.
var feeTableValue = newFeeTable()

// FeeToLinear returns floor((129/128)^n) as defined bit-exactly by the
// protocol. n above MaxFeeExponent is an error: its value does not fit in
// 256 bits.
func FeeToLinear(n uint16) (*uint256.Int, error) {
	if n > MaxFeeExponent {
		return nil, fmt.Errorf("%w: %d > %d", ErrFeeExponentRange, n, MaxFeeExponent)
	}
	r := new(uint256.Int).Set(&two64)
	for i := 0; i < feeTableSize; i++ {
		if n&(1<<i) == 0 {
			continue
		}
		// For n ≤ MaxFeeExponent the running product never exceeds the final
		// value, which fits in 256 bits; overflow is impossible here.
		r.MulDivOverflow(r, &feeTableValue[i], &two64)
	}
	return r.Rsh(r, 64), nil
}

// FeeToLinearSaturating is FeeToLinear with exponents above MaxFeeExponent
// mapped to 2^256−1: an amount no balance can cover. The application prices a
// frame fee with it, so that an out-of-range fee makes every op in the frame
// unaffordable instead of being undefined (docs/protocol-decisions.md).
func FeeToLinearSaturating(n uint16) *uint256.Int {
	v, err := FeeToLinear(n)
	if err != nil {
		return new(uint256.Int).SetAllOne()
	}
	return v
}

// FeeFromLinearCeil returns the smallest exponent n with FeeToLinear(n) ≥ v.
// ok is false when no exponent up to MaxFeeExponent reaches v.
func FeeFromLinearCeil(v *uint256.Int) (n uint16, ok bool) {
	if FeeToLinearSaturating(MaxFeeExponent).Lt(v) {
		return 0, false
	}
	return lowestExponentAtLeast(v), true
}

// FeeFromLinear returns the exponent whose linear value is nearest to v; on a
// tie, and among exponents sharing one linear value, the lowest. Values above
// the largest representable fee map to MaxFeeExponent's lowest equal exponent.
func FeeFromLinear(v *uint256.Int) uint16 {
	maxValue := FeeToLinearSaturating(MaxFeeExponent)
	if !maxValue.Gt(v) {
		return lowestExponentAtLeast(maxValue)
	}
	c := lowestExponentAtLeast(v)
	above := FeeToLinearSaturating(c)
	if above.Eq(v) || c == 0 {
		return c
	}
	below := FeeToLinearSaturating(c - 1)
	distAbove := new(uint256.Int).Sub(above, v)
	distBelow := new(uint256.Int).Sub(v, below)
	if distBelow.Cmp(distAbove) <= 0 {
		return lowestExponentAtLeast(below)
	}
	return c
}

// lowestExponentAtLeast binary-searches the smallest n ≤ MaxFeeExponent with
// FeeToLinear(n) ≥ v; the caller guarantees one exists. FeeToLinear is
// non-decreasing in n, which makes the search valid.
func lowestExponentAtLeast(v *uint256.Int) uint16 {
	lo, hi := 0, MaxFeeExponent
	for lo < hi {
		mid := lo + (hi-lo)/2
		if FeeToLinearSaturating(uint16(mid)).Lt(v) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return uint16(lo)
}
