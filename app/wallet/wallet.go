// Package wallet is the reference application of protocol.md §6: a wallet for
// one ERC-20 token, deposited through the ERC-20 portal, moved by signed user
// ops (Transfer) and taken back to L1 by vouchers (Withdrawal), with fees paid
// to a fee recipient.
//
// Everything here is consensus: the sequencer's soft confirmations are only
// as good as this code's agreement, byte for byte and rule for rule, with the
// wallet the rollup runs. The package is pure (no I/O, no clocks, no
// randomness) and every input, however malformed, yields an error value or a
// documented no-op, never a panic.
package wallet

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"

	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/protocol"
)

var _ app.Application = (*Wallet)(nil)

// Config is the wallet's fixed configuration. It is part of the snapshot, so a
// snapshot can only be restored into a wallet configured identically.
type Config struct {
	Portal       common.Address // the ERC-20 portal: the only sender of deposits
	Token        common.Address // the one supported token; vouchers call it
	FeeRecipient common.Address // credited with every fee
}

// erc20TransferSelector is the 4-byte selector of transfer(address,uint256).
var erc20TransferSelector = [4]byte{0xa9, 0x05, 0x9c, 0xbb}

// ErrNonceExhausted refuses every op of an account whose next nonce is
// math.MaxUint32. Nonces are uint32 in the signed UserOp; executing an op with
// nonce 2^32−1 would have to bump the account's nonce to 2^32, which wraps to
// 0 and would make every signature the account ever gave valid again
// (replay). The account is frozen for user ops instead; it can still receive
// transfers and deposits, just not spend. Reaching it takes 2^32−1 fee-paying
// ops from one account. This is a decision of this implementation that the
// rollup's wallet must share.
var ErrNonceExhausted = errors.New("nonce exhausted")

// BadNonceError refuses an op whose nonce is not the sender's next nonce.
type BadNonceError struct {
	Expected, Got uint32
}

func (e *BadNonceError) Error() string {
	return fmt.Sprintf("bad nonce: expected %d, got %d", e.Expected, e.Got)
}

// InsufficientBalanceForFeeError refuses an op whose sender cannot pay the
// frame fee. Required is fee_to_linear(frame fee) (2^256−1 for an exponent
// above protocol.MaxFeeExponent), Available the sender's balance.
type InsufficientBalanceForFeeError struct {
	Required, Available *uint256.Int
}

func (e *InsufficientBalanceForFeeError) Error() string {
	return fmt.Sprintf("insufficient balance for fee: required %s, available %s",
		e.Required.Dec(), e.Available.Dec())
}

// ConfigMismatchError refuses a snapshot taken by a wallet with a different
// configuration. Field is "erc20_portal", "token" or "fee_recipient".
type ConfigMismatchError struct {
	Field     string
	Want, Got common.Address
}

func (e *ConfigMismatchError) Error() string {
	return fmt.Sprintf("snapshot %s is %s, wallet is configured with %s", e.Field, e.Got.Hex(), e.Want.Hex())
}

// Wallet is the wallet state machine. It implements app.Application.
//
// It is not safe for concurrent use: one goroutine (the inclusion lane, a
// scheduler fold, a replay) owns a Wallet, as the app.Application contract
// says. ValidateUserOp and the accessors do not mutate anything.
//
// Invariant: the sum of all balances (total) fits in 256 bits. Tokens enter
// only by deposit, and a deposit that would break the invariant is a no-op;
// transfers and fees only move tokens and withdrawals only burn them. So no
// credit made by a transfer or a fee can ever overflow: the credited balance
// plus the amount is at most the total. With an honest token the invariant
// holds by itself (what the application holds on L1 is a uint256 balance of
// the token); the check only matters for a token that reports deposits it
// never made.
type Wallet struct {
	cfg      Config
	balances map[common.Address]uint256.Int // no zero values: absent means 0
	nonces   map[common.Address]uint32      // no zero values: absent means 0
	total    uint256.Int                    // sum of balances
	progress app.Progress
}

// New returns an empty wallet: no balances, every nonce 0, no inputs executed.
func New(cfg Config) *Wallet {
	return &Wallet{
		cfg:      cfg,
		balances: make(map[common.Address]uint256.Int),
		nonces:   make(map[common.Address]uint32),
	}
}

// Config returns the wallet's configuration.
func (w *Wallet) Config() Config { return w.cfg }

// Balance returns a copy of addr's balance (0 for an unknown account).
func (w *Wallet) Balance(addr common.Address) *uint256.Int {
	v := w.balances[addr]
	return &v
}

// Nonce returns the nonce addr's next op must carry.
func (w *Wallet) Nonce(addr common.Address) uint32 { return w.nonces[addr] }

// TotalSupply returns a copy of the sum of all balances.
func (w *Wallet) TotalSupply() *uint256.Int {
	v := w.total
	return &v
}

// Progress returns the executed-input count and the clock.
func (w *Wallet) Progress() app.Progress { return w.progress }

// MaxPayloadSize is 53, the size of a Transfer.
func (w *Wallet) MaxPayloadSize() int { return MaxPayloadSize }

// ValidateUserOp checks, in protocol order, that op.Nonce is the sender's next
// nonce (*BadNonceError), that the nonce is not exhausted (ErrNonceExhausted,
// only possible once the first check passed with nonce 2^32−1), and that the
// sender's balance covers fee_to_linear(ctx.FeePrice)
// (*InsufficientBalanceForFeeError). The data is not looked at: an op with
// undecodable data is valid and pays its fee. The max-fee guard is
// app.Validate's, not the application's. Nothing is mutated.
func (w *Wallet) ValidateUserOp(ctx app.UserOpContext, op protocol.UserOp) error {
	if ctx.FeePrice > protocol.MaxFeeExponent {
		// Even a balance of 2^256−1 does not cover an out-of-range fee.
		return &app.FeeOutOfRangeError{Fee: ctx.FeePrice}
	}
	_, err := w.validate(ctx.Sender, op.Nonce, protocol.FeeToLinearSaturating(ctx.FeePrice))
	return err
}

// validate is ValidateUserOp with the fee already priced; it returns the
// sender's balance.
func (w *Wallet) validate(sender common.Address, nonce uint32, fee *uint256.Int) (uint256.Int, error) {
	expected := w.nonces[sender]
	if nonce != expected {
		return uint256.Int{}, &BadNonceError{Expected: expected, Got: nonce}
	}
	if expected == math.MaxUint32 {
		return uint256.Int{}, ErrNonceExhausted
	}
	balance := w.balances[sender]
	if balance.Lt(fee) {
		return uint256.Int{}, &InsufficientBalanceForFeeError{
			Required:  new(uint256.Int).Set(fee),
			Available: new(uint256.Int).Set(&balance),
		}
	}
	return balance, nil
}

// ApplyUserOp executes op: it bumps the sender's nonce, moves the fee to the
// fee recipient, counts the input and advances the clock to ctx.SafeBlock,
// then runs the decoded method. Transfer moves the amount if the sender's
// balance (after the fee) covers it; Withdrawal burns it if covered and
// returns one voucher, the token's transfer(sender, amount). Undecodable data
// or an uncovered amount does nothing more: the op still counts and the fee
// is still paid. Amounts of 0 are covered: a zero Withdrawal emits a voucher
// for 0 tokens, as the spec's rule says.
//
// The contract is that ValidateUserOp accepted op in this same state. The
// interface has no error to report a breach with, so ApplyUserOp validates
// again and an op that does not validate changes nothing, exactly as the
// scheduler skips it; a half-applied op (a negative balance, a wrapped nonce)
// would be far worse.
func (w *Wallet) ApplyUserOp(ctx app.UserOpContext, op protocol.UserOp) []app.Output {
	if w.ValidateUserOp(ctx, op) != nil {
		return nil
	}
	fee := protocol.FeeToLinearSaturating(ctx.FeePrice)
	// The fee move is covered (validated above) and its credit cannot
	// overflow (total-supply invariant); if it somehow could not happen the
	// op is skipped as a whole rather than executed without its fee.
	if !w.move(ctx.Sender, w.cfg.FeeRecipient, fee) {
		return nil
	}
	w.nonces[ctx.Sender] = op.Nonce + 1 // validate refused MaxUint32: no wrap
	w.count(ctx.SafeBlock)

	m, err := DecodeMethod(op.Data)
	if err != nil {
		return nil
	}
	switch m := m.(type) {
	case *Transfer:
		w.move(ctx.Sender, m.To, m.Amount)
	case *Withdrawal:
		if w.burn(ctx.Sender, m.Amount) {
			return []app.Output{{Destination: w.cfg.Token, Payload: erc20Transfer(ctx.Sender, m.Amount)}}
		}
	}
	return nil
}

// ApplyDirectInput executes a direct input. It is a deposit when in.Sender is
// the portal, the payload decodes (DecodeDeposit) and names the configured
// token: the depositor is credited. Anything else is a no-op. Either way the
// input counts and the clock advances to in.BlockNumber.
//
// A deposit that would make the sum of all balances exceed 2^256−1 is a
// no-op too. An honest token cannot produce one (see Wallet); refusing it
// keeps every later credit overflow-free instead of wrapping a balance.
func (w *Wallet) ApplyDirectInput(in app.DirectInput) []app.Output {
	w.count(in.BlockNumber)
	if in.Sender != w.cfg.Portal {
		return nil
	}
	d, err := DecodeDeposit(in.Payload)
	if err != nil || d.Token != w.cfg.Token {
		return nil
	}
	w.mint(d.Depositor, d.Amount)
	return nil
}

// count records one executed input at block (a frame's safe block or a
// direct input's inclusion block). The count is a uint64: 2^64 inputs are
// out of reach, so it is not checked.
func (w *Wallet) count(block uint64) {
	w.progress.ExecutedInputCount++
	w.progress.LastExecutedSafeBlock = max(w.progress.LastExecutedSafeBlock, block)
}

// setBalance stores v, deleting zero balances so the map only holds
// non-zero ones (the snapshot's canonical form relies on it).
func (w *Wallet) setBalance(addr common.Address, v *uint256.Int) {
	if v.IsZero() {
		delete(w.balances, addr)
		return
	}
	w.balances[addr] = *v
}

// move transfers amount from → to if from's balance covers it and reports
// whether it did. A self-transfer that is covered changes nothing. The
// overflow check on the credit cannot fire while the total-supply invariant
// holds; it is there so that a broken invariant is a refusal, never a wrap.
func (w *Wallet) move(from, to common.Address, amount *uint256.Int) bool {
	fromBal := w.balances[from]
	if fromBal.Lt(amount) {
		return false
	}
	if from == to {
		return true
	}
	toBal := w.balances[to]
	if _, overflow := toBal.AddOverflow(&toBal, amount); overflow {
		return false
	}
	fromBal.Sub(&fromBal, amount)
	w.setBalance(from, &fromBal)
	w.setBalance(to, &toBal)
	return true
}

// burn removes amount from addr's balance if covered and reports whether it
// did.
func (w *Wallet) burn(addr common.Address, amount *uint256.Int) bool {
	bal := w.balances[addr]
	if bal.Lt(amount) {
		return false
	}
	bal.Sub(&bal, amount)
	w.setBalance(addr, &bal)
	w.total.Sub(&w.total, amount) // amount ≤ bal ≤ total
	return true
}

// mint credits amount to addr unless the total supply would overflow, and
// reports whether it did. addr's balance is at most the total, so its own
// add cannot overflow once the total's did not.
func (w *Wallet) mint(addr common.Address, amount *uint256.Int) bool {
	var total uint256.Int
	if _, overflow := total.AddOverflow(&w.total, amount); overflow {
		return false
	}
	bal := w.balances[addr]
	if _, overflow := bal.AddOverflow(&bal, amount); overflow {
		return false
	}
	w.total = total
	w.setBalance(addr, &bal)
	return true
}

// erc20Transfer returns the calldata of transfer(to, amount):
// 0xa9059cbb ‖ to left-padded to 32 bytes ‖ amount as a 32-byte big-endian
// word.
func erc20Transfer(to common.Address, amount *uint256.Int) []byte {
	out := make([]byte, 4+32+32)
	copy(out[0:4], erc20TransferSelector[:])
	copy(out[4+12:36], to[:])
	amount.WriteToSlice(out[36:68])
	return out
}

// Snapshot returns the canonical encoding of the whole state (see
// DecodeSnapshot for the format and the canonical rules): entries sorted by
// address, zero balances and nonces omitted, so the same state yields the
// same bytes whatever order it was built in.
func (w *Wallet) Snapshot() []byte {
	s := w.state()
	return s.Encode()
}

// state returns the wallet's state in canonical snapshot form. The entries'
// balances are copies (one allocation for all of them).
func (w *Wallet) state() *SnapshotState {
	s := &SnapshotState{Config: w.cfg, Progress: w.progress}
	if len(w.balances) > 0 {
		values := make([]uint256.Int, 0, len(w.balances))
		s.Balances = make([]BalanceEntry, 0, len(w.balances))
		for addr, v := range w.balances {
			values = append(values, v)
			s.Balances = append(s.Balances, BalanceEntry{Address: addr, Balance: &values[len(values)-1]})
		}
		slices.SortFunc(s.Balances, func(a, b BalanceEntry) int { return compareAddress(&a.Address, &b.Address) })
	}
	if len(w.nonces) > 0 {
		s.Nonces = make([]NonceEntry, 0, len(w.nonces))
		for addr, n := range w.nonces {
			s.Nonces = append(s.Nonces, NonceEntry{Address: addr, Nonce: n})
		}
		slices.SortFunc(s.Nonces, func(a, b NonceEntry) int { return compareAddress(&a.Address, &b.Address) })
	}
	return s
}

// Restore replaces the whole state with a decoded snapshot. The snapshot must
// be canonical (DecodeSnapshot) and carry this wallet's portal, token and fee
// recipient (*ConfigMismatchError otherwise). On any error the state is
// unchanged.
func (w *Wallet) Restore(snapshot []byte) error {
	s, err := DecodeSnapshot(snapshot)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name      string
		want, got common.Address
	}{
		{"erc20_portal", w.cfg.Portal, s.Config.Portal},
		{"token", w.cfg.Token, s.Config.Token},
		{"fee_recipient", w.cfg.FeeRecipient, s.Config.FeeRecipient},
	} {
		if f.want != f.got {
			return &ConfigMismatchError{Field: f.name, Want: f.want, Got: f.got}
		}
	}
	balances := make(map[common.Address]uint256.Int, len(s.Balances))
	var total uint256.Int
	for _, e := range s.Balances {
		balances[e.Address] = *e.Balance
		total.Add(&total, e.Balance) // DecodeSnapshot checked the sum fits
	}
	nonces := make(map[common.Address]uint32, len(s.Nonces))
	for _, e := range s.Nonces {
		nonces[e.Address] = e.Nonce
	}
	w.balances, w.nonces, w.total, w.progress = balances, nonces, total, s.Progress
	return nil
}
