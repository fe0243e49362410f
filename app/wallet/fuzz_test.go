package wallet

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/protocol"
)

// FuzzApply drives a wallet with a script of deposits and user ops and checks
// the invariants after every step: the total supply is the sum of the
// balances, an input counts iff it executes, validation is pure, and the
// snapshot round-trips.
func FuzzApply(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 200, 0, 1, 0, 0, 0, 50, 1, 2, 1, 0, 0, 10, 0})
	f.Add([]byte{0, 1, 0, 0, 255, 0, 0, 2, 0, 0, 255, 0, 1, 1, 0, 0, 255, 2})
	accounts := []common.Address{alice, bob, feeRecipient, {0x42}}
	f.Fuzz(func(t *testing.T, script []byte) {
		w := New(testConfig)
		for len(script) >= 6 {
			step := script[:6]
			script = script[6:]
			sender := accounts[int(step[1])%len(accounts)]
			to := accounts[int(step[5])%len(accounts)]
			amount := uint256.NewInt(uint64(step[4]) * 1000)
			if step[4] == 255 {
				amount.SetAllOne()
			}
			before := w.Progress()
			switch step[0] % 4 {
			case 0:
				from := portal
				if step[2]&1 == 1 {
					from = sender
				}
				w.ApplyDirectInput(app.DirectInput{Sender: from, Payload: EncodeDeposit(token, to, amount, nil), BlockNumber: uint64(step[3])})
				require.Equal(t, before.ExecutedInputCount+1, w.Progress().ExecutedInputCount)
			default:
				var data []byte
				switch step[0] % 4 {
				case 1:
					data = (&Transfer{Amount: amount, To: to}).Encode()
				case 2:
					data = (&Withdrawal{Amount: amount}).Encode()
				case 3:
					data = step
				}
				nonce := w.Nonce(sender) + uint32(step[2]%3) - 1
				ctx := app.UserOpContext{Sender: sender, FeePrice: uint16(step[3]) * 8, SafeBlock: uint64(step[2])}
				op := protocol.UserOp{Nonce: nonce, MaxFee: ctx.FeePrice, Data: data}
				snap := w.Snapshot()
				err := app.Validate(w, ctx, op)
				require.Equal(t, snap, w.Snapshot(), "validation is pure")
				out := w.ApplyUserOp(ctx, op)
				if err != nil {
					require.Nil(t, out)
					require.Equal(t, snap, w.Snapshot(), "invalid ops change nothing")
					continue
				}
				require.Equal(t, before.ExecutedInputCount+1, w.Progress().ExecutedInputCount)
				require.Equal(t, nonce+1, w.Nonce(sender))
			}
			snap := w.Snapshot()
			s, err := DecodeSnapshot(snap)
			require.NoError(t, err)
			require.Equal(t, snap, s.Encode())
			var sum uint256.Int
			for _, e := range s.Balances {
				_, overflow := sum.AddOverflow(&sum, e.Balance)
				require.False(t, overflow)
			}
			require.Equal(t, &sum, w.TotalSupply())
		}
	})
}
