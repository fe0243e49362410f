package l1

import "math/big"

// The replacement rule (capacity.md §1). A transaction of ours that is not
// included after a number of blocks is re-sent at the same nonce with both
// fee fields raised by ReplacementBumpPercent over the previous broadcast,
// or to the fresh estimate when that is higher; every fee is capped. Nodes
// (geth's txpool, anvil, reth) accept a replacement only when both caps are
// at least NodeReplacementPercent higher: the extra 2.5 points keep us clear
// of that line after rounding and of providers that round differently.
const (
	// ReplacementBumpNumerator / ReplacementBumpDenominator is the bump
	// factor: 9/8 = +12.5%.
	ReplacementBumpNumerator   = 9
	ReplacementBumpDenominator = 8
	// NodeReplacementPercent is the node's own rule: a replacement must
	// raise both caps by at least this much.
	NodeReplacementPercent = 10
)

// ReplacementFees is the one implementation of the fee rule that the batch
// submitter and the recovery flusher share. It is pure: no I/O, inputs are
// not modified, the result holds fresh big.Ints.
//
// First broadcast (prev nil): the fresh estimate, each field limited to
// maxFee. Replacement (prev set): each field is the largest of
// ⌈prev·9/8⌉, prev+1 and the fresh estimate, then limited to maxFee. In
// both cases the fee cap is raised to at least the tip (a node refuses a
// tip above the fee cap), and the tip is never above maxFee.
//
// capped reports that maxFee limited a field: the transaction pays less
// than the rule wanted and an operator should know (the submitter's
// sequencer_submitter_fee_cap_reached gauge). ok reports whether the result
// is usable: always for a first broadcast; for a replacement only when both
// fields clear the node's rule (≥ ⌈prev·1.10⌉ and > prev). ok false means
// prev already sits at (or too near) the cap: no valid replacement exists
// within it, so the caller keeps the pending transaction and waits, and
// the returned fees are prev's (copied).
//
// maxFee nil means no cap.
func ReplacementFees(prev *Fees, fresh Fees, maxFee *big.Int) (fees Fees, capped, ok bool) {
	limit := func(v *big.Int) *big.Int {
		if maxFee != nil && v.Cmp(maxFee) > 0 {
			capped = true
			return new(big.Int).Set(maxFee)
		}
		return v
	}
	orZero := func(v *big.Int) *big.Int {
		if v == nil {
			return new(big.Int)
		}
		return new(big.Int).Set(v)
	}
	if prev == nil {
		fees = Fees{TipCap: limit(orZero(fresh.TipCap)), FeeCap: limit(orZero(fresh.FeeCap))}
		if fees.FeeCap.Cmp(fees.TipCap) < 0 {
			fees.FeeCap = new(big.Int).Set(fees.TipCap)
		}
		return fees, capped, true
	}
	bump := func(p, f *big.Int) *big.Int {
		p = orZero(p)
		b := new(big.Int).Mul(p, big.NewInt(ReplacementBumpNumerator))
		b.Add(b, big.NewInt(ReplacementBumpDenominator-1))
		b.Div(b, big.NewInt(ReplacementBumpDenominator))
		if plus1 := new(big.Int).Add(p, big.NewInt(1)); b.Cmp(plus1) < 0 {
			b = plus1
		}
		if f != nil && f.Cmp(b) > 0 {
			b = new(big.Int).Set(f)
		}
		return b
	}
	fees = Fees{TipCap: limit(bump(prev.TipCap, fresh.TipCap)), FeeCap: limit(bump(prev.FeeCap, fresh.FeeCap))}
	if fees.FeeCap.Cmp(fees.TipCap) < 0 {
		fees.FeeCap = new(big.Int).Set(fees.TipCap)
	}
	if !clearsNodeRule(orZero(prev.TipCap), fees.TipCap) || !clearsNodeRule(orZero(prev.FeeCap), fees.FeeCap) {
		return Fees{TipCap: orZero(prev.TipCap), FeeCap: orZero(prev.FeeCap)}, capped, false
	}
	return fees, capped, true
}

// clearsNodeRule: next ≥ ⌈prev·1.10⌉ and next > prev.
func clearsNodeRule(prev, next *big.Int) bool {
	if next.Cmp(prev) <= 0 {
		return false
	}
	need := new(big.Int).Mul(prev, big.NewInt(100+NodeReplacementPercent))
	need.Add(need, big.NewInt(99))
	need.Div(need, big.NewInt(100))
	return next.Cmp(need) >= 0
}
