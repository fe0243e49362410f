package wallet

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/protocol"
)

var (
	portal       = common.HexToAddress("0x9C21AEb2093C32DDbC53eEF24B873BDCd1aDa1DB")
	token        = common.HexToAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3")
	feeRecipient = common.HexToAddress("0xfee0000000000000000000000000000000000fee")
	alice        = common.HexToAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
	bob          = common.HexToAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
	testConfig   = Config{Portal: portal, Token: token, FeeRecipient: feeRecipient}
)

// maxUint256Dec is 2^256−1 in decimal.
const maxUint256Dec = "115792089237316195423570985008687907853269984665640564039457584007913129639935"

func u256(v uint64) *uint256.Int { return uint256.NewInt(v) }

func linearFee(t testing.TB, n uint16) *uint256.Int {
	t.Helper()
	v, err := protocol.FeeToLinear(n)
	require.NoError(t, err)
	return v
}

func depositInput(to common.Address, amount *uint256.Int, block uint64) app.DirectInput {
	return app.DirectInput{Sender: portal, Payload: EncodeDeposit(token, to, amount, nil), BlockNumber: block}
}

// funded returns a wallet where each account of balances got one deposit at
// block 1, in the given order.
func funded(t testing.TB, balances ...any) *Wallet {
	t.Helper()
	w := New(testConfig)
	for i := 0; i < len(balances); i += 2 {
		require.Nil(t, w.ApplyDirectInput(depositInput(balances[i].(common.Address), balances[i+1].(*uint256.Int), 1)))
	}
	return w
}

func userOp(nonce uint32, data []byte) protocol.UserOp {
	return protocol.UserOp{Nonce: nonce, MaxFee: math.MaxUint16, Data: data}
}

func withdrawalVoucher(to common.Address, amount uint64) app.Output {
	return app.Output{
		Destination: token,
		Payload: common.FromHex("0xa9059cbb" +
			"000000000000000000000000" + common.Bytes2Hex(to[:]) +
			common.Bytes2Hex(u256(amount).PaddedBytes(32))),
	}
}

func TestApplyUserOp(t *testing.T) {
	const start = 1_000_000
	const feePrice = 1356
	f := linearFee(t, feePrice).Uint64()
	require.Equal(t, uint64(38276), f, "protocol.md §7 vector")
	left := uint64(start) - f // alice's balance after the fee

	transfer := func(amount uint64, to common.Address) []byte {
		return (&Transfer{Amount: u256(amount), To: to}).Encode()
	}
	withdraw := func(amount uint64) []byte { return (&Withdrawal{Amount: u256(amount)}).Encode() }

	tests := []struct {
		name                        string
		data                        []byte
		wantAlice, wantBob, wantFee uint64
		wantOutputs                 []app.Output
	}{
		{"transfer", transfer(1000, bob), left - 1000, 1000, f, nil},
		{"transfer exactly covered", transfer(left, bob), 0, left, f, nil},
		{"transfer uncovered still pays the fee", transfer(left+1, bob), left, 0, f, nil},
		{"transfer uncovered by the fee", transfer(start, bob), left, 0, f, nil},
		{"transfer of zero", transfer(0, bob), left, 0, f, nil},
		{"transfer to self", transfer(1000, alice), left, 0, f, nil},
		{"transfer to self uncovered", transfer(left+1, alice), left, 0, f, nil},
		{"transfer to the fee recipient", transfer(1000, feeRecipient), left - 1000, 0, f + 1000, nil},
		{"withdrawal", withdraw(1000), left - 1000, 0, f, []app.Output{withdrawalVoucher(alice, 1000)}},
		{"withdrawal exactly covered", withdraw(left), 0, 0, f, []app.Output{withdrawalVoucher(alice, left)}},
		{"withdrawal uncovered does nothing more", withdraw(left + 1), left, 0, f, nil},
		{"withdrawal of zero", withdraw(0), left, 0, f, []app.Output{withdrawalVoucher(alice, 0)}},
		{"undecodable: empty", nil, left, 0, f, nil},
		{"undecodable: unknown selector", append([]byte{0x02}, transfer(1000, bob)[1:]...), left, 0, f, nil},
		{"undecodable: transfer short", transfer(1000, bob)[:TransferSize-1], left, 0, f, nil},
		{"undecodable: transfer long", append(transfer(1000, bob), 0), left, 0, f, nil},
		{"undecodable: withdrawal long", append(withdraw(1000), 0), left, 0, f, nil},
		{"undecodable: selector only", []byte{SelectorWithdrawal}, left, 0, f, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := funded(t, alice, u256(start))
			ctx := app.UserOpContext{Sender: alice, FeePrice: feePrice, SafeBlock: 7}
			op := userOp(0, tt.data)
			require.NoError(t, app.Validate(w, ctx, op))

			out := w.ApplyUserOp(ctx, op)

			require.Equal(t, tt.wantOutputs, out)
			require.Equal(t, u256(tt.wantAlice), w.Balance(alice), "alice")
			require.Equal(t, u256(tt.wantBob), w.Balance(bob), "bob")
			require.Equal(t, u256(tt.wantFee), w.Balance(feeRecipient), "fee recipient")
			require.Equal(t, uint32(1), w.Nonce(alice), "the nonce is bumped whatever the data")
			require.Equal(t, uint32(0), w.Nonce(bob))
			require.Equal(t, app.Progress{ExecutedInputCount: 2, LastExecutedSafeBlock: 7}, w.Progress())
			burnt := uint64(0)
			if len(tt.wantOutputs) == 1 {
				burnt = new(uint256.Int).SetBytes(tt.wantOutputs[0].Payload[36:]).Uint64()
			}
			require.Equal(t, u256(start-burnt), w.TotalSupply(), "only withdrawals burn")
		})
	}
}

func TestWithdrawalVoucherBytes(t *testing.T) {
	w := funded(t, alice, u256(5000))
	out := w.ApplyUserOp(app.UserOpContext{Sender: alice}, userOp(0, (&Withdrawal{Amount: u256(1000)}).Encode()))
	require.Equal(t, []app.Output{{
		Destination: token,
		Payload: common.FromHex("0xa9059cbb" +
			"000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266" +
			"00000000000000000000000000000000000000000000000000000000000003e8"),
	}}, out)
	require.Equal(t, u256(5000-1-1000), w.Balance(alice), "fee_to_linear(0) = 1")
}

func TestFeeExactness(t *testing.T) {
	for _, n := range []uint16{0, 90, 100, 256, 296, 1000, 1060, 1213, 1356, 1409, 5000, protocol.MaxFeeExponent} {
		f := linearFee(t, n)
		start := new(uint256.Int).Add(f, u256(12345))
		w := funded(t, alice, start, feeRecipient, u256(7))
		ctx := app.UserOpContext{Sender: alice, FeePrice: n, SafeBlock: 1}
		op := userOp(0, nil)
		require.NoError(t, app.Validate(w, ctx, op), "fee %d", n)
		require.Nil(t, w.ApplyUserOp(ctx, op))
		require.Equal(t, u256(12345), w.Balance(alice), "fee %d", n)
		require.Equal(t, new(uint256.Int).Add(f, u256(7)), w.Balance(feeRecipient), "fee %d", n)
		require.Equal(t, new(uint256.Int).Add(start, u256(7)), w.TotalSupply(), "fees move tokens, never burn them")
	}
}

func TestSenderIsFeeRecipient(t *testing.T) {
	w := funded(t, feeRecipient, u256(100_000))
	ctx := app.UserOpContext{Sender: feeRecipient, FeePrice: 1356}
	out := w.ApplyUserOp(ctx, userOp(0, (&Transfer{Amount: u256(70_000), To: bob}).Encode()))
	require.Nil(t, out)
	require.Equal(t, u256(30_000), w.Balance(feeRecipient), "the fee goes out and comes back")
	require.Equal(t, u256(70_000), w.Balance(bob))
	require.Equal(t, uint32(1), w.Nonce(feeRecipient))

	// The fee still has to be covered even though it would come back.
	err := w.ValidateUserOp(app.UserOpContext{Sender: bob, FeePrice: 5000}, userOp(0, nil))
	var ib *InsufficientBalanceForFeeError
	require.ErrorAs(t, err, &ib)
}

func TestValidateUserOp(t *testing.T) {
	f1409 := linearFee(t, 1409)
	require.Equal(t, u256(57816), f1409)
	tests := []struct {
		name    string
		sender  common.Address
		nonce   uint32
		maxFee  uint16
		fee     uint16
		wantErr string
		check   func(t *testing.T, err error)
	}{
		{name: "valid", sender: alice, nonce: 2, maxFee: 1409, fee: 1409},
		{name: "valid at fee 0", sender: alice, nonce: 2, fee: 0},
		{name: "max fee guard first", sender: bob, nonce: 9, maxFee: 1355, fee: 1356,
			wantErr: "max fee 1355 below base fee 1356",
			check: func(t *testing.T, err error) {
				var e *app.MaxFeeBelowFeeError
				require.ErrorAs(t, err, &e)
			}},
		{name: "nonce too high", sender: alice, nonce: 3, maxFee: 1409, fee: 1409,
			wantErr: "bad nonce: expected 2, got 3",
			check: func(t *testing.T, err error) {
				var e *BadNonceError
				require.ErrorAs(t, err, &e)
				require.Equal(t, BadNonceError{Expected: 2, Got: 3}, *e)
			}},
		{name: "nonce replayed", sender: alice, nonce: 1, maxFee: 1409, fee: 1409,
			wantErr: "bad nonce: expected 2, got 1"},
		{name: "bad nonce before balance", sender: bob, nonce: 1, maxFee: 1409, fee: 1409,
			wantErr: "bad nonce: expected 0, got 1"},
		{name: "one unit short", sender: bob, nonce: 0, maxFee: 1409, fee: 1409,
			wantErr: "insufficient balance for fee: required 57816, available 57815",
			check: func(t *testing.T, err error) {
				var e *InsufficientBalanceForFeeError
				require.ErrorAs(t, err, &e)
				require.Equal(t, f1409, e.Required)
				require.Equal(t, u256(57815), e.Available)
			}},
		{name: "unknown account at fee 0", sender: common.Address{0xca}, nonce: 0, fee: 0,
			wantErr: "insufficient balance for fee: required 1, available 0"},
		{name: "fee exponent out of range is never covered", sender: alice, nonce: 2, maxFee: math.MaxUint16,
			fee:     protocol.MaxFeeExponent + 1,
			wantErr: "fee exponent 17102 above maximum 17101"},
	}
	// alice: 1,000,000 deposited, two ops at fee 1 (2 units each) executed.
	w := funded(t, alice, u256(1_000_000), bob, u256(57815))
	for i := range 2 {
		ctx := app.UserOpContext{Sender: alice, FeePrice: 90}
		require.NoError(t, w.ValidateUserOp(ctx, userOp(uint32(i), nil)))
		w.ApplyUserOp(ctx, userOp(uint32(i), nil))
	}
	require.Equal(t, u256(1_000_000-4), w.Balance(alice))
	before := w.Snapshot()

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := app.UserOpContext{Sender: tt.sender, FeePrice: tt.fee, SafeBlock: 99}
			op := protocol.UserOp{Nonce: tt.nonce, MaxFee: tt.maxFee, Data: (&Withdrawal{Amount: u256(1)}).Encode()}
			err := app.Validate(w, ctx, op)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.wantErr)
			if tt.check != nil {
				tt.check(t, err)
			}
			if errors.As(err, new(*app.MaxFeeBelowFeeError)) {
				return // the app's own checks would pass it on; not its concern
			}
			// An op that does not validate changes nothing when applied.
			require.Nil(t, w.ApplyUserOp(ctx, op))
			require.Equal(t, before, w.Snapshot())
		})
	}
	require.Equal(t, before, w.Snapshot(), "validation is pure")
}

func TestNonceSequence(t *testing.T) {
	w := funded(t, alice, u256(100))
	ctx := app.UserOpContext{Sender: alice}
	for n := range uint32(5) {
		require.NoError(t, w.ValidateUserOp(ctx, userOp(n, nil)))
		w.ApplyUserOp(ctx, userOp(n, nil))
		require.Equal(t, n+1, w.Nonce(alice))
		require.EqualError(t, w.ValidateUserOp(ctx, userOp(n, nil)),
			(&BadNonceError{Expected: n + 1, Got: n}).Error(), "no replay")
	}
	require.Equal(t, u256(95), w.Balance(alice))
	require.Equal(t, u256(5), w.Balance(feeRecipient))
}

func TestNonceExhausted(t *testing.T) {
	s := &SnapshotState{
		Config:   testConfig,
		Balances: []BalanceEntry{{Address: alice, Balance: u256(1_000)}},
		Nonces:   []NonceEntry{{Address: alice, Nonce: math.MaxUint32}},
		// Reachable: a deposit and 2^32−1 ops.
		Progress: app.Progress{ExecutedInputCount: math.MaxUint32 + 1, LastExecutedSafeBlock: 9},
	}
	w := New(testConfig)
	require.NoError(t, w.Restore(s.Encode()))
	before := w.Snapshot()

	ctx := app.UserOpContext{Sender: alice, SafeBlock: 10}
	err := w.ValidateUserOp(ctx, userOp(math.MaxUint32, nil))
	require.ErrorIs(t, err, ErrNonceExhausted)
	require.EqualError(t, err, "nonce exhausted")
	require.EqualError(t, w.ValidateUserOp(ctx, userOp(0, nil)),
		"bad nonce: expected 4294967295, got 0", "a wrapped nonce is a bad nonce")

	require.Nil(t, w.ApplyUserOp(ctx, userOp(math.MaxUint32, (&Withdrawal{Amount: u256(10)}).Encode())))
	require.Equal(t, before, w.Snapshot(), "an exhausted account cannot spend")

	// It can still receive.
	w.ApplyDirectInput(depositInput(alice, u256(5), 11))
	require.Equal(t, u256(1_005), w.Balance(alice))
}

func TestApplyDirectInput(t *testing.T) {
	amount := u256(123_456)
	valid := EncodeDeposit(token, alice, amount, nil)
	other := common.HexToAddress("0x000000000000000000000000000000000000dead")
	tests := []struct {
		name     string
		sender   common.Address
		payload  []byte
		credited bool
	}{
		{"deposit", portal, valid, true},
		{"deposit with extra data", portal, EncodeDeposit(token, alice, amount, []byte("hello")), true},
		{"wrong token", portal, EncodeDeposit(other, alice, amount, nil), false},
		{"wrong sender", alice, valid, false},
		{"token contract as sender", token, valid, false},
		{"short payload", portal, valid[:DepositHeaderSize-1], false},
		{"empty payload", portal, nil, false},
		{"user op data from the portal", portal, (&Transfer{Amount: amount, To: alice}).Encode(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := New(testConfig)
			out := w.ApplyDirectInput(app.DirectInput{Sender: tt.sender, Payload: tt.payload, BlockNumber: 42, Index: 3})
			require.Nil(t, out)
			want := u256(0)
			if tt.credited {
				want = amount
			}
			require.Equal(t, want, w.Balance(alice))
			require.Equal(t, want, w.TotalSupply())
			require.Equal(t, uint32(0), w.Nonce(alice), "deposits do not touch nonces")
			require.Equal(t, app.Progress{ExecutedInputCount: 1, LastExecutedSafeBlock: 42}, w.Progress(), "counted either way")
		})
	}
}

func TestDepositOverflowIsNoOp(t *testing.T) {
	maxU := new(uint256.Int).SetAllOne()
	w := funded(t, alice, new(uint256.Int).Sub(maxU, u256(10)))
	require.Equal(t, maxU.Dec(), maxUint256Dec)

	w.ApplyDirectInput(depositInput(alice, u256(11), 2))
	require.Equal(t, new(uint256.Int).Sub(maxU, u256(10)), w.Balance(alice), "own balance would overflow")
	w.ApplyDirectInput(depositInput(bob, u256(11), 3))
	require.True(t, w.Balance(bob).IsZero(), "the total supply would overflow")
	w.ApplyDirectInput(depositInput(bob, u256(10), 4))
	require.Equal(t, u256(10), w.Balance(bob), "exactly 2^256-1 in total is fine")
	require.Equal(t, maxU, w.TotalSupply())
	require.Equal(t, app.Progress{ExecutedInputCount: 4, LastExecutedSafeBlock: 4}, w.Progress())

	// With the total at 2^256-1 every transfer and fee credit still fits.
	ctx := app.UserOpContext{Sender: alice, FeePrice: 1356}
	w.ApplyUserOp(ctx, userOp(0, (&Transfer{Amount: new(uint256.Int).Sub(maxU, u256(38276+10)), To: bob}).Encode()))
	require.Equal(t, new(uint256.Int).Sub(maxU, u256(38276)), w.Balance(bob))
	require.Equal(t, u256(38276), w.Balance(feeRecipient))
	require.True(t, w.Balance(alice).IsZero())
	require.Equal(t, maxU, w.TotalSupply())
}

func TestProgress(t *testing.T) {
	w := funded(t, alice, u256(1_000)) // block 1
	ctx := func(safe uint64) app.UserOpContext { return app.UserOpContext{Sender: alice, SafeBlock: safe} }
	steps := []struct {
		name      string
		run       func()
		wantCount uint64
		wantClock uint64
	}{
		{"op advances the clock", func() { w.ApplyUserOp(ctx(10), userOp(0, nil)) }, 2, 10},
		{"older direct input", func() { w.ApplyDirectInput(app.DirectInput{Sender: bob, BlockNumber: 5}) }, 3, 10},
		{"newer direct input", func() { w.ApplyDirectInput(depositInput(bob, u256(1), 20)) }, 4, 20},
		{"older op", func() { w.ApplyUserOp(ctx(15), userOp(1, nil)) }, 5, 20},
		{"invalid op is not executed", func() { w.ApplyUserOp(ctx(30), userOp(7, nil)) }, 5, 20},
		{"undecodable op counts", func() { w.ApplyUserOp(ctx(30), userOp(2, []byte{9})) }, 6, 30},
	}
	for _, s := range steps {
		s.run()
		require.Equal(t, app.Progress{ExecutedInputCount: s.wantCount, LastExecutedSafeBlock: s.wantClock}, w.Progress(), s.name)
	}
}

func TestAccessorsReturnCopies(t *testing.T) {
	w := funded(t, alice, u256(10))
	w.Balance(alice).SetUint64(999)
	w.TotalSupply().SetUint64(999)
	require.Equal(t, u256(10), w.Balance(alice))
	require.Equal(t, u256(10), w.TotalSupply())
	require.Equal(t, testConfig, w.Config())
	require.Equal(t, 53, w.MaxPayloadSize())
}

// TestBrokenInvariantNeverWraps reaches, by editing the state directly, the
// credits that the total-supply invariant makes impossible: they are refused,
// never wrapped.
func TestBrokenInvariantNeverWraps(t *testing.T) {
	maxU := new(uint256.Int).SetAllOne()
	w := New(testConfig)
	w.balances[alice] = *u256(1_000)
	w.balances[bob] = *maxU
	w.balances[feeRecipient] = *maxU
	before := w.Snapshot()

	ctx := app.UserOpContext{Sender: alice, SafeBlock: 3}
	op := userOp(0, (&Transfer{Amount: u256(5), To: bob}).Encode())
	require.NoError(t, w.ValidateUserOp(ctx, op))
	require.Nil(t, w.ApplyUserOp(ctx, op))
	require.Equal(t, before, w.Snapshot(), "a fee that cannot be credited skips the op")

	w.balances[feeRecipient] = *u256(0)
	w.ApplyUserOp(ctx, op)
	require.Equal(t, u256(999), w.Balance(alice), "fee paid, transfer refused")
	require.Equal(t, maxU, w.Balance(bob))

	w.ApplyDirectInput(depositInput(bob, u256(1), 4))
	require.Equal(t, maxU, w.Balance(bob), "deposit refused")
}

func TestErrorMessages(t *testing.T) {
	err := &ConfigMismatchError{Field: "token", Want: token, Got: common.Address{0xee}}
	require.EqualError(t, err, "snapshot token is 0xee00000000000000000000000000000000000000, wallet is configured with "+token.Hex())
}

func TestCompareAddress(t *testing.T) {
	addrs := []common.Address{{}, {0x01}, {0x00, 0x01}}
	for _, i := range []int{7, 8, 15, 16, 19} {
		var a, b common.Address
		a[i], b[i] = 1, 2
		addrs = append(addrs, a, b)
		b[i] = 1
		b[19] ^= 0x80
		addrs = append(addrs, b)
	}
	for i := range addrs {
		for j := range addrs {
			require.Equal(t, bytes.Compare(addrs[i][:], addrs[j][:]), compareAddress(&addrs[i], &addrs[j]), "%x %x", addrs[i], addrs[j])
		}
	}
}
