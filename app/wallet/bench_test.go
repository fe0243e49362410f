package wallet

import (
	"encoding/binary"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cartesi/sequencer/app"
)

const benchAccounts = 10_000

func benchWallet(b *testing.B) (*Wallet, []common.Address) {
	b.Helper()
	w := New(testConfig)
	accounts := make([]common.Address, benchAccounts)
	for i := range accounts {
		binary.BigEndian.PutUint64(accounts[i][12:], uint64(i)*0x9e3779b97f4a7c15) // scattered
		w.ApplyDirectInput(depositInput(accounts[i], u256(1<<62), 1))
	}
	for i, a := range accounts {
		w.ApplyUserOp(app.UserOpContext{Sender: a, FeePrice: 1356}, userOp(0, (&Transfer{Amount: u256(1), To: accounts[(i+1)%len(accounts)]}).Encode()))
	}
	return w, accounts
}

// BenchmarkApplyUserOpTransfer is the lane's per-op cost: validate (as the
// lane does) and apply a transfer at the default recommended fee, with 10k
// funded accounts.
func BenchmarkApplyUserOpTransfer(b *testing.B) {
	w, accounts := benchWallet(b)
	data := make([][]byte, len(accounts))
	for i := range accounts {
		data[i] = (&Transfer{Amount: u256(3), To: accounts[(i+7)%len(accounts)]}).Encode()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		sender := accounts[i%len(accounts)]
		ctx := app.UserOpContext{Sender: sender, FeePrice: 1356, SafeBlock: uint64(i)}
		op := userOp(w.Nonce(sender), data[i%len(accounts)])
		if err := app.Validate(w, ctx, op); err != nil {
			b.Fatal(err)
		}
		w.ApplyUserOp(ctx, op)
	}
}

// BenchmarkSnapshot encodes a wallet with 10k balances and 10k nonces.
func BenchmarkSnapshot(b *testing.B) {
	w, _ := benchWallet(b)
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for b.Loop() {
		n = len(w.Snapshot())
	}
	b.ReportMetric(float64(n), "bytes")
}

// BenchmarkRestore decodes and installs the same snapshot.
func BenchmarkRestore(b *testing.B) {
	w, _ := benchWallet(b)
	snap := w.Snapshot()
	r := New(testConfig)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := r.Restore(snap); err != nil {
			b.Fatal(err)
		}
	}
}
