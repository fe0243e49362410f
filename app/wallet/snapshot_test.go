package wallet

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/protocol/ssz"
)

func TestEmptySnapshotVector(t *testing.T) {
	want := slices.Concat(portal[:], token[:], feeRecipient[:],
		common.FromHex("0x54000000"+"54000000"), make([]byte, 16))
	got := New(testConfig).Snapshot()
	require.Len(t, got, 84)
	require.Equal(t, want, got)

	s, err := DecodeSnapshot(got)
	require.NoError(t, err)
	require.Equal(t, &SnapshotState{Config: testConfig}, s)
}

func TestSnapshotLayout(t *testing.T) {
	s := &SnapshotState{
		Config:   testConfig,
		Balances: []BalanceEntry{{Address: common.Address{0x01}, Balance: uint256.NewInt(0x0a0b)}},
		Nonces:   []NonceEntry{{Address: common.Address{0x02}, Nonce: 0x01020304}},
		Progress: app.Progress{ExecutedInputCount: 3, LastExecutedSafeBlock: 0x0102},
	}
	want := slices.Concat(portal[:], token[:], feeRecipient[:],
		common.FromHex("0x54000000"+"88000000"+"0300000000000000"+"0201000000000000"),
		common.Address{0x01}.Bytes(), append(make([]byte, 30), 0x0a, 0x0b), // balance: big-endian
		common.Address{0x02}.Bytes(), []byte{0x04, 0x03, 0x02, 0x01}, // nonce: little-endian
	)
	require.Equal(t, want, s.Encode())
	got, err := DecodeSnapshot(want)
	require.NoError(t, err)
	require.Equal(t, s, got)
}

// scenario drives a wallet through deposits, transfers, withdrawals and
// an undecodable op.
func scenario(t testing.TB) *Wallet {
	t.Helper()
	w := funded(t, alice, u256(1_000_000), bob, u256(5))
	carol := common.HexToAddress("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC")
	ops := []struct {
		sender common.Address
		nonce  uint32
		data   []byte
	}{
		{alice, 0, (&Transfer{Amount: u256(1000), To: carol}).Encode()},
		{alice, 1, (&Withdrawal{Amount: u256(500)}).Encode()},
		{carol, 0, (&Transfer{Amount: u256(10), To: bob}).Encode()},
		{bob, 0, []byte{0x07}},
		{bob, 1, (&Transfer{Amount: u256(13), To: alice}).Encode()}, // bob spends everything
	}
	for i, op := range ops {
		ctx := app.UserOpContext{Sender: op.sender, FeePrice: 0, SafeBlock: uint64(10 + i)}
		require.NoError(t, w.ValidateUserOp(ctx, userOp(op.nonce, op.data)), "op %d", i)
		w.ApplyUserOp(ctx, userOp(op.nonce, op.data))
	}
	require.True(t, w.Balance(bob).IsZero())
	return w
}

func TestSnapshotRoundTrip(t *testing.T) {
	w := scenario(t)
	snap := w.Snapshot()

	s, err := DecodeSnapshot(snap)
	require.NoError(t, err)
	require.Len(t, s.Balances, 3, "alice, carol, fee recipient; bob's zero balance is omitted")
	require.Len(t, s.Nonces, 3, "alice, bob, carol")
	require.Equal(t, snap, s.Encode())

	r := New(testConfig)
	r.ApplyDirectInput(depositInput(common.Address{0x99}, u256(1), 1000)) // replaced, not merged
	require.NoError(t, r.Restore(snap))
	require.Equal(t, snap, r.Snapshot())
	require.Equal(t, w.Progress(), r.Progress())
	require.Equal(t, w.TotalSupply(), r.TotalSupply())
	require.True(t, r.Balance(common.Address{0x99}).IsZero())

	// Both continue identically.
	ctx := app.UserOpContext{Sender: alice, FeePrice: 296, SafeBlock: 50}
	op := userOp(2, (&Withdrawal{Amount: u256(77)}).Encode())
	require.Equal(t, w.ApplyUserOp(ctx, op), r.ApplyUserOp(ctx, op))
	require.Equal(t, w.Snapshot(), r.Snapshot())
}

func TestSnapshotIndependentOfInsertionOrder(t *testing.T) {
	accounts := make([]common.Address, 50)
	for i := range accounts {
		accounts[i] = common.BigToAddress(common.Big1)
		accounts[i][0] = byte(i * 37) // spread over the address space
		accounts[i][19] = byte(i)
	}
	build := func(order []common.Address) []byte {
		w := New(testConfig)
		for _, a := range order {
			w.ApplyDirectInput(depositInput(a, u256(uint64(a[19])+100), uint64(a[19])))
		}
		for _, a := range order {
			w.ApplyUserOp(app.UserOpContext{Sender: a}, userOp(0, nil))
		}
		return w.Snapshot()
	}
	forward := build(accounts)
	reversed := slices.Clone(accounts)
	slices.Reverse(reversed)
	require.Equal(t, forward, build(reversed))
	for range 5 {
		require.Equal(t, forward, build(accounts), "map iteration order must not leak")
	}
}

func TestDecodeSnapshotRejects(t *testing.T) {
	a1, a2 := common.Address{0x01}, common.Address{0x02}
	b := func(addr common.Address, v uint64) BalanceEntry { return BalanceEntry{Address: addr, Balance: u256(v)} }
	n := func(addr common.Address, v uint32) NonceEntry { return NonceEntry{Address: addr, Nonce: v} }
	// One executed input: the entries are judged on their own, not on the
	// genesis rule (TestSnapshotProgressReachability).
	enc := func(bs []BalanceEntry, ns []NonceEntry) []byte {
		return (&SnapshotState{Config: testConfig, Balances: bs, Nonces: ns, Progress: app.Progress{ExecutedInputCount: 1}}).Encode()
	}
	valid := enc([]BalanceEntry{b(a1, 1), b(a2, 2)}, []NonceEntry{n(a1, 1), n(a2, 2)})
	_, err := DecodeSnapshot(valid)
	require.NoError(t, err)

	withOffsets := func(first, second uint32) []byte {
		out := bytes.Clone(valid)
		binary.LittleEndian.PutUint32(out[60:], first)
		binary.LittleEndian.PutUint32(out[64:], second)
		return out
	}
	half := new(uint256.Int).Lsh(u256(1), 255)
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"short fixed part", valid[:83]},
		{"first offset 0", withOffsets(0, 84+104)},
		{"first offset 83", withOffsets(83, 84+104)},
		{"first offset 85", withOffsets(85, 84+104)},
		{"second offset below first", withOffsets(84, 83)},
		{"second offset past end", withOffsets(84, uint32(len(valid)+1))},
		{"second offset huge", withOffsets(84, 0xffffffff)},
		{"balances not whole entries", withOffsets(84, 84+103)},
		{"nonces not whole entries", append(bytes.Clone(valid), 0)},
		{"truncated nonce", valid[:len(valid)-1]},
		{"unsorted balances", enc([]BalanceEntry{b(a2, 2), b(a1, 1)}, nil)},
		{"duplicate balances", enc([]BalanceEntry{b(a1, 1), b(a1, 1)}, nil)},
		{"zero balance", enc([]BalanceEntry{b(a1, 1), b(a2, 0)}, nil)},
		{"nil balance", enc([]BalanceEntry{{Address: a1}}, nil)},
		{"balances overflow the total", enc([]BalanceEntry{{a1, half}, {a2, half}}, nil)},
		{"unsorted nonces", enc(nil, []NonceEntry{n(a2, 1), n(a1, 1)})},
		{"duplicate nonces", enc(nil, []NonceEntry{n(a1, 1), n(a1, 2)})},
		{"zero nonce", enc(nil, []NonceEntry{n(a1, 0)})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := DecodeSnapshot(tt.data)
			require.ErrorIs(t, err, ErrInvalidSnapshot)
			require.Nil(t, s)

			w := scenario(t)
			before := w.Snapshot()
			require.Error(t, w.Restore(tt.data))
			require.Equal(t, before, w.Snapshot(), "a failed restore changes nothing")
		})
	}
	_, err = DecodeSnapshot(withOffsets(84, 0xffffffff))
	require.ErrorIs(t, err, ssz.ErrInvalid, "container errors keep their cause")

	// The largest single balance and nonce are fine.
	maxU := new(uint256.Int).SetAllOne()
	_, err = DecodeSnapshot(enc([]BalanceEntry{{a1, maxU}}, []NonceEntry{n(a1, 0xffffffff)}))
	require.NoError(t, err)
}

// TestSnapshotProgressReachability pins the canonical-form rule for the
// progress (docs/protocol-decisions.md, "Wallet snapshot progress"): a
// snapshot is accepted only if the wallet can reach its state. With no input
// executed only genesis is reachable; once one input is executed, no entries
// and any clock is reachable (the wallet itself produces it below).
func TestSnapshotProgressReachability(t *testing.T) {
	a1 := common.Address{0x01}
	snap := func(count, clock uint64, bs []BalanceEntry, ns []NonceEntry) []byte {
		return (&SnapshotState{Config: testConfig, Balances: bs, Nonces: ns,
			Progress: app.Progress{ExecutedInputCount: count, LastExecutedSafeBlock: clock}}).Encode()
	}
	// A direct input that is not a deposit counts and moves the clock and
	// creates no entry: the state upstream's decoder refuses.
	notDeposit := New(testConfig)
	notDeposit.ApplyDirectInput(app.DirectInput{Sender: bob, Payload: []byte{0x01}, BlockNumber: 7})
	// A deposit of a token we do not support: the same, from the portal.
	otherToken := New(testConfig)
	otherToken.ApplyDirectInput(app.DirectInput{Sender: portal, Payload: EncodeDeposit(common.Address{0xee}, alice, u256(5), nil), BlockNumber: 1 << 40})

	tests := []struct {
		name  string
		data  []byte
		valid bool
	}{
		{"genesis", snap(0, 0, nil, nil), true},
		{"wallet: non-deposit input, no entries", notDeposit.Snapshot(), true},
		{"wallet: unsupported token, no entries", otherToken.Snapshot(), true},
		{"no entries, one input, clock 7", snap(1, 7, nil, nil), true},
		{"no entries, inputs at block 0", snap(3, 0, nil, nil), true},
		{"no input executed, clock 1", snap(0, 1, nil, nil), false},
		{"no input executed, clock max", snap(0, ^uint64(0), nil, nil), false},
		{"no input executed, a balance", snap(0, 0, []BalanceEntry{{a1, u256(1)}}, nil), false},
		{"no input executed, a nonce", snap(0, 0, nil, []NonceEntry{{a1, 1}}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := DecodeSnapshot(tt.data)
			if !tt.valid {
				require.ErrorIs(t, err, ErrInvalidSnapshot)
				require.Nil(t, s)
				w := scenario(t)
				before := w.Snapshot()
				require.Error(t, w.Restore(tt.data))
				require.Equal(t, before, w.Snapshot(), "a failed restore changes nothing")
				return
			}
			require.NoError(t, err)
			w := New(testConfig)
			require.NoError(t, w.Restore(tt.data))
			require.Equal(t, tt.data, w.Snapshot())
		})
	}
	require.Equal(t, app.Progress{ExecutedInputCount: 1, LastExecutedSafeBlock: 7}, notDeposit.Progress())
}

func TestRestoreConfigMismatch(t *testing.T) {
	other := common.Address{0xee}
	for _, tt := range []struct {
		field string
		cfg   Config
	}{
		{"erc20_portal", Config{Portal: other, Token: token, FeeRecipient: feeRecipient}},
		{"token", Config{Portal: portal, Token: other, FeeRecipient: feeRecipient}},
		{"fee_recipient", Config{Portal: portal, Token: token, FeeRecipient: other}},
	} {
		t.Run(tt.field, func(t *testing.T) {
			snap := New(tt.cfg).Snapshot()
			w := scenario(t)
			before := w.Snapshot()
			err := w.Restore(snap)
			var e *ConfigMismatchError
			require.ErrorAs(t, err, &e)
			require.Equal(t, tt.field, e.Field)
			require.Equal(t, other, e.Got)
			require.Equal(t, before, w.Snapshot())
		})
	}
}

func FuzzDecodeSnapshot(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSnapshot(b)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidSnapshot)
			return
		}
		require.Equal(t, b, s.Encode())
		w := New(s.Config)
		require.NoError(t, w.Restore(b))
		require.Equal(t, b, w.Snapshot(), "anything that decodes re-encodes identically")
	})
}
