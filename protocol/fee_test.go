package protocol

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"

	"github.com/holiman/uint256"
	"github.com/stretchr/testify/require"
)

// refFeeTable and refFeeToLinear are an independent math/big implementation
// of protocol.md §5, written from the spec text only.
func refFeeTable() [15]*big.Int {
	var t [15]*big.Int
	t[0] = new(big.Int).Lsh(big.NewInt(129), 57)
	for i := 1; i < 15; i++ {
		sq := new(big.Int).Mul(t[i-1], t[i-1])
		t[i] = sq.Rsh(sq, 64) // floor for non-negative values
	}
	return t
}

func refFeeToLinear(tab *[15]*big.Int, n int) *big.Int {
	r := new(big.Int).Lsh(big.NewInt(1), 64)
	for i := 0; i < 15; i++ {
		if n&(1<<i) != 0 {
			r.Mul(r, tab[i])
			r.Rsh(r, 64)
		}
	}
	return r.Rsh(r, 64)
}

// refValues[n] = fee_to_linear(n) for n in 0..MaxFeeExponent, by the
// reference implementation.
var refValues = sync.OnceValue(func() []*big.Int {
	tab := refFeeTable()
	out := make([]*big.Int, MaxFeeExponent+1)
	for n := range out {
		out[n] = refFeeToLinear(&tab, n)
	}
	return out
})

func u256(t testing.TB, v *big.Int) *uint256.Int {
	t.Helper()
	u, overflow := uint256.FromBig(v)
	require.False(t, overflow, "%v does not fit in 256 bits", v)
	return u
}

// refCeil is the smallest n with f(n) ≥ v, or -1.
func refCeil(v *big.Int) int {
	vals := refValues()
	n := sort.Search(len(vals), func(i int) bool { return vals[i].Cmp(v) >= 0 })
	if n == len(vals) {
		return -1
	}
	return n
}

// refNearest is the nearest exponent by a linear scan from 0, ties (equal
// distance) to the lowest exponent. The scan stops once values exceed v by
// more than the best distance: values never decrease.
func refNearest(v *big.Int) int {
	vals := refValues()
	best := 0
	bestDist := new(big.Int).Abs(new(big.Int).Sub(vals[0], v))
	d := new(big.Int)
	for n := 1; n < len(vals); n++ {
		d.Sub(vals[n], v).Abs(d)
		if d.Cmp(bestDist) < 0 {
			best = n
			bestDist.Set(d)
		} else if vals[n].Cmp(v) > 0 {
			break
		}
	}
	return best
}

func TestFeeTableMatchesReference(t *testing.T) {
	ref := refFeeTable()
	for i := range ref {
		require.Equal(t, ref[i].String(), feeTableValue[i].Dec(), "T[%d]", i)
	}
	require.Equal(t, "0x10200000000000000", feeTableValue[0].Hex()) // 129/128 · 2^64
}

func TestFeeToLinearMatchesReferenceEveryExponent(t *testing.T) {
	vals := refValues()
	for n := 0; n <= MaxFeeExponent; n++ {
		got, err := FeeToLinear(uint16(n))
		require.NoError(t, err)
		if got.ToBig().Cmp(vals[n]) != 0 {
			require.Equal(t, vals[n].String(), got.Dec(), "fee_to_linear(%d)", n)
		}
		// Saturating agrees in range.
		require.True(t, got.Eq(FeeToLinearSaturating(uint16(n))))
	}
	require.Equal(t, 192, vals[MaxFeeExponent].BitLen())
}

func TestFeeToLinearNonDecreasing(t *testing.T) {
	prev, err := FeeToLinear(0)
	require.NoError(t, err)
	require.Equal(t, uint64(1), prev.Uint64())
	for n := 1; n <= MaxFeeExponent; n++ {
		cur, err := FeeToLinear(uint16(n))
		require.NoError(t, err)
		require.False(t, cur.Lt(prev), "f(%d)=%v < f(%d)=%v", n, cur, n-1, prev)
		prev = cur
	}
}

func TestFeeToLinearRange(t *testing.T) {
	allOnes := new(uint256.Int).SetAllOne()
	for _, n := range []uint16{MaxFeeExponent + 1, MaxFeeExponent + 2, 20000, 32768, 65535} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			v, err := FeeToLinear(n)
			require.ErrorIs(t, err, ErrFeeExponentRange)
			require.Nil(t, v)
			require.True(t, FeeToLinearSaturating(n).Eq(allOnes))
		})
	}
	// The result is fresh each call: mutating it changes nothing.
	v, err := FeeToLinear(1356)
	require.NoError(t, err)
	v.SetUint64(0)
	again, err := FeeToLinear(1356)
	require.NoError(t, err)
	require.Equal(t, uint64(38276), again.Uint64())
	s := FeeToLinearSaturating(65535)
	s.SetUint64(0)
	require.True(t, FeeToLinearSaturating(65535).Eq(allOnes))
}

func TestFeeFromLinearCeil(t *testing.T) {
	vals := refValues()
	check := func(t *testing.T, v *big.Int) {
		t.Helper()
		n, ok := FeeFromLinearCeil(u256(t, v))
		want := refCeil(v)
		if want < 0 {
			require.False(t, ok, "v=%v", v)
			return
		}
		require.True(t, ok, "v=%v", v)
		require.Equal(t, want, int(n), "ceil(%v)", v)
		// Definition: f(n) ≥ v and (n = 0 or f(n−1) < v).
		require.True(t, vals[n].Cmp(v) >= 0)
		if n > 0 {
			require.True(t, vals[n-1].Cmp(v) < 0)
		}
	}

	// Spec vectors: v = f(n) gives the lowest exponent with that value.
	for _, tc := range []struct {
		v    uint64
		want uint16
	}{
		{0, 0}, {1, 0}, {2, 90}, {7, 256}, {10, 296}, {2397, 1000}, {3824, 1060}, {12578, 1213}, {38276, 1356}, {57816, 1409},
	} {
		n, ok := FeeFromLinearCeil(uint256.NewInt(tc.v))
		require.True(t, ok)
		require.Equal(t, refCeil(new(big.Int).SetUint64(tc.v)), int(n))
		if tc.v == 2 {
			require.Equal(t, tc.want, n, "lowest n with f(n)=2")
		}
		require.LessOrEqual(t, n, tc.want)
		f, _ := FeeToLinear(n)
		require.Equal(t, max(tc.v, 1), f.Uint64())
	}

	// v = f(n) − 1, f(n), f(n) + 1 for a spread of n.
	r := rand.New(rand.NewPCG(1, 2))
	ns := []int{0, 1, 2, 89, 90, 91, 100, 255, 256, 1000, 1213, 1356, 8191, 8192, 16383, 16384, MaxFeeExponent - 1, MaxFeeExponent}
	for range 400 {
		ns = append(ns, r.IntN(MaxFeeExponent+1))
	}
	one := big.NewInt(1)
	for _, n := range ns {
		v := vals[n]
		check(t, v)
		check(t, new(big.Int).Add(v, one))
		if v.Sign() > 0 {
			check(t, new(big.Int).Sub(v, one))
		}
	}
	// Small values exhaustively.
	for v := int64(0); v <= 3000; v++ {
		check(t, big.NewInt(v))
	}

	// Above the largest representable fee: not reachable.
	top := vals[MaxFeeExponent]
	for _, v := range []*big.Int{
		new(big.Int).Add(top, one),
		new(big.Int).Lsh(one, 192),
		new(big.Int).Sub(new(big.Int).Lsh(one, 256), one),
	} {
		n, ok := FeeFromLinearCeil(u256(t, v))
		require.False(t, ok, "v=%v", v)
		require.Zero(t, n)
	}
	n, ok := FeeFromLinearCeil(u256(t, top))
	require.True(t, ok)
	require.Equal(t, refCeil(top), int(n))
}

func TestFeeFromLinearNearest(t *testing.T) {
	vals := refValues()
	check := func(t *testing.T, v *big.Int) {
		t.Helper()
		require.Equal(t, refNearest(v), int(FeeFromLinear(u256(t, v))), "nearest(%v)", v)
	}
	// Exhaustive over small values (exponents up to ~1000).
	for v := int64(0); v <= 2500; v++ {
		require.Equal(t, refNearest(big.NewInt(v)), int(FeeFromLinear(uint256.NewInt(uint64(v)))), "nearest(%d)", v)
	}
	// Around sampled values, including far up the range.
	r := rand.New(rand.NewPCG(3, 4))
	one := big.NewInt(1)
	for range 60 {
		n := r.IntN(MaxFeeExponent + 1)
		v := vals[n]
		check(t, v)
		check(t, new(big.Int).Add(v, one))
		check(t, new(big.Int).Sub(v, one))
	}
	// Above the top: the lowest exponent with the top value.
	top := vals[MaxFeeExponent]
	lowestTop := refCeil(top)
	for _, v := range []*big.Int{top, new(big.Int).Add(top, one), new(big.Int).Sub(new(big.Int).Lsh(one, 256), one)} {
		require.Equal(t, lowestTop, int(FeeFromLinear(u256(t, v))))
	}
}

// TestFeeFromLinearShared: a value shared by several exponents maps to the
// lowest of them (f(90) = f(100) = 2 → 90, the lowest n with f(n) = 2).
func TestFeeFromLinearShared(t *testing.T) {
	vals := refValues()
	f89, _ := FeeToLinear(89)
	require.Equal(t, uint64(1), f89.Uint64())
	require.Equal(t, uint16(90), FeeFromLinear(uint256.NewInt(2)))
	n, ok := FeeFromLinearCeil(uint256.NewInt(2))
	require.True(t, ok)
	require.Equal(t, uint16(90), n)
	require.Equal(t, uint16(0), FeeFromLinear(uint256.NewInt(1)))
	require.Equal(t, uint16(0), FeeFromLinear(uint256.NewInt(0)))

	// Every run of equal values among the first 2000 exponents.
	for n := 1; n < 2000; n++ {
		if vals[n].Cmp(vals[n-1]) != 0 {
			lowest := n
			require.Equal(t, lowest, int(FeeFromLinear(u256(t, vals[n]))), "value %v", vals[n])
		}
	}
}

// TestFeeFromLinearTies: v exactly halfway between two consecutive distinct
// fee values maps to the lower one's lowest exponent; one step either side
// goes to the nearer.
func TestFeeFromLinearTies(t *testing.T) {
	vals := refValues()
	ties := 0
	step := 1
	two := big.NewInt(2)
	one := big.NewInt(1)
	for n := 1; n <= MaxFeeExponent; n += step {
		if n > 3000 {
			step = 37 // sample the high range
		}
		a, b := vals[n-1], vals[n]
		diff := new(big.Int).Sub(b, a)
		if diff.Sign() == 0 || diff.Bit(0) != 0 {
			continue
		}
		mid := new(big.Int).Add(a, b)
		mid.Quo(mid, two)
		lowA := refCeil(a)
		require.Equal(t, lowA, int(FeeFromLinear(u256(t, mid))), "tie between f=%v and f=%v (n=%d)", a, b, n)
		require.Equal(t, lowA, int(FeeFromLinear(u256(t, new(big.Int).Sub(mid, one)))))
		require.Equal(t, n, int(FeeFromLinear(u256(t, new(big.Int).Add(mid, one)))))
		// Ceil is not nearest: the midpoint's ceiling is the upper one.
		c, ok := FeeFromLinearCeil(u256(t, mid))
		require.True(t, ok)
		require.Equal(t, n, int(c))
		ties++
	}
	require.Greater(t, ties, 100)

	// A concrete small tie, spelled out.
	for n := 1; n < 2000; n++ {
		if vals[n].Cmp(vals[n-1]) != 0 && new(big.Int).Sub(vals[n], vals[n-1]).Cmp(two) == 0 {
			mid := new(big.Int).Add(vals[n-1], one)
			require.Equal(t, refCeil(vals[n-1]), int(FeeFromLinear(u256(t, mid))),
				"f=%v..%v, v=%v", vals[n-1], vals[n], mid)
			return
		}
	}
	t.Fatal("no consecutive values 2 apart below 2000")
}
