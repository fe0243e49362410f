package scheduler_test

import (
	"crypto/ecdsa"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/protocol/scheduler"
	"github.com/cartesi/sequencer/protocol/ssz"
)

var (
	submitter    = common.HexToAddress("0x5e00000000000000000000000000000000000001")
	portal       = common.HexToAddress("0x00000000000000000000000000000000000000a1")
	token        = common.HexToAddress("0x00000000000000000000000000000000000000b2")
	feeRecipient = common.HexToAddress("0x00000000000000000000000000000000000000c3")
	stranger     = common.HexToAddress("0x00000000000000000000000000000000000000d4")
	domain       = protocol.NewDomain(31337, common.HexToAddress("0x1111111111111111111111111111111111111111"))
)

const fee = 1356 // fee_to_linear(1356) = 38276

// world is a wallet behind a scheduler plus the keys of a few users.
type world struct {
	t      *testing.T
	wallet *wallet.Wallet
	sched  *scheduler.Scheduler
	keys   []*ecdsa.PrivateKey
	index  uint64
}

func newWorld(t *testing.T, users int) *world {
	t.Helper()
	w := &world{t: t, wallet: wallet.New(wallet.Config{Portal: portal, Token: token, FeeRecipient: feeRecipient})}
	w.sched = scheduler.New(w.wallet, domain, submitter)
	for i := 0; i < users; i++ {
		k, err := crypto.ToECDSA(crypto.Keccak256([]byte{byte(i + 1)}))
		require.NoError(t, err)
		w.keys = append(w.keys, k)
	}
	return w
}

func (w *world) addr(user int) common.Address { return crypto.PubkeyToAddress(w.keys[user].PublicKey) }

// input feeds one L1 input and returns its result.
func (w *world) input(sender common.Address, payload []byte, block uint64) scheduler.Result {
	in := scheduler.Input{Sender: sender, Payload: payload, InclusionBlock: block, Index: w.index}
	w.index++
	return w.sched.Process(in)
}

func (w *world) deposit(user int, amount uint64, block uint64) scheduler.Result {
	return w.input(portal, wallet.EncodeDeposit(token, w.addr(user), uint256.NewInt(amount), nil), block)
}

func (w *world) batch(b protocol.Batch, block uint64) scheduler.Result {
	return w.input(submitter, b.Encode(), block)
}

// op signs a transfer of amount from user to `to`.
func (w *world) op(user int, nonce uint32, maxFee uint16, amount uint64, to common.Address) protocol.WireUserOp {
	data := (&wallet.Transfer{Amount: uint256.NewInt(amount), To: to}).Encode()
	return w.sign(user, protocol.UserOp{Nonce: nonce, MaxFee: maxFee, Data: data})
}

func (w *world) sign(user int, op protocol.UserOp) protocol.WireUserOp {
	digest := domain.Digest(op)
	sig, err := crypto.Sign(digest[:], w.keys[user])
	require.NoError(w.t, err)
	sig[64] += 27
	return protocol.WireUserOp{Nonce: op.Nonce, MaxFee: op.MaxFee, Data: op.Data, Signature: sig}
}

func frame(safeBlock uint64, ops ...protocol.WireUserOp) protocol.Frame {
	return protocol.Frame{UserOps: ops, SafeBlock: safeBlock, FeePrice: fee}
}

// kinds summarises an execution list as "d<index>" and "u<sender user>:<nonce>".
func (w *world) kinds(ex []scheduler.Executed) []string {
	var out []string
	for _, e := range ex {
		switch e.Kind {
		case scheduler.ExecDirectInput:
			s := "d" + itoa(e.Input.Index)
			if e.Forced {
				s += "!"
			}
			out = append(out, s)
		case scheduler.ExecUserOp:
			user := -1
			for i := range w.keys {
				if w.addr(i) == e.Sender {
					user = i
				}
			}
			out = append(out, "u"+itoa(uint64(user))+":"+itoa(uint64(e.Op.Nonce)))
		}
	}
	return out
}

func itoa(v uint64) string { return uint256.NewInt(v).Dec() }

func TestBatchGates(t *testing.T) {
	cases := []struct {
		name     string
		payload  func(w *world) []byte
		block    uint64
		outcome  scheduler.Outcome
		err      error
		consumed bool
	}{
		{"decode failure", func(*world) []byte { return []byte{1, 2, 3} }, 100, scheduler.RejectedDecode, scheduler.ErrDecode, false},
		{"wrong nonce", func(*world) []byte {
			return protocol.Batch{Nonce: 1, Frames: []protocol.Frame{frame(50)}}.Encode()
		}, 100, scheduler.RejectedNonce, scheduler.ErrNonce, false},
		{"empty batch", func(*world) []byte { return protocol.Batch{Nonce: 0}.Encode() }, 100, scheduler.AcceptedEmpty, nil, true},
		{"safe block above inclusion", func(*world) []byte {
			return protocol.Batch{Frames: []protocol.Frame{frame(50), frame(101)}}.Encode()
		}, 100, scheduler.RejectedSafeBlock, scheduler.ErrSafeBlock, false},
		{"safe block equal to inclusion", func(*world) []byte {
			return protocol.Batch{Frames: []protocol.Frame{frame(100)}}.Encode()
		}, 100, scheduler.Accepted, nil, true},
		{"decreasing safe blocks", func(*world) []byte {
			return protocol.Batch{Frames: []protocol.Frame{frame(60), frame(59)}}.Encode()
		}, 100, scheduler.RejectedSafeBlock, scheduler.ErrSafeBlock, false},
		{"equal safe blocks", func(*world) []byte {
			return protocol.Batch{Frames: []protocol.Frame{frame(60), frame(60)}}.Encode()
		}, 100, scheduler.Accepted, nil, true},
		{"stale at exactly MAX_WAIT_BLOCKS", func(*world) []byte {
			return protocol.Batch{Frames: []protocol.Frame{frame(100), frame(1250)}}.Encode()
		}, 100 + protocol.MaxWaitBlocks, scheduler.SkippedStale, scheduler.ErrStale, false},
		{"fresh one block before stale", func(*world) []byte {
			return protocol.Batch{Frames: []protocol.Frame{frame(100)}}.Encode()
		}, 100 + protocol.MaxWaitBlocks - 1, scheduler.Accepted, nil, true},
		{"decode is checked before nonce", func(*world) []byte {
			b := protocol.Batch{Nonce: 9, Frames: []protocol.Frame{frame(50)}}.Encode()
			return b[:len(b)-1]
		}, 100, scheduler.RejectedDecode, scheduler.ErrDecode, false},
		{"nonce is checked before safe blocks", func(*world) []byte {
			return protocol.Batch{Nonce: 3, Frames: []protocol.Frame{frame(500)}}.Encode()
		}, 100, scheduler.RejectedNonce, scheduler.ErrNonce, false},
		{"safe blocks are checked before staleness", func(*world) []byte {
			return protocol.Batch{Frames: []protocol.Frame{frame(1), frame(5000)}}.Encode()
		}, 3000, scheduler.RejectedSafeBlock, scheduler.ErrSafeBlock, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 1)
			res := w.rawBatch(tc.payload(w), tc.block)
			require.Equal(t, tc.outcome, res.Outcome)
			if tc.err == nil {
				require.NoError(t, res.Err)
			} else {
				require.ErrorIs(t, res.Err, tc.err)
			}
			want := uint64(0)
			if tc.consumed {
				want = 1
			}
			require.Equal(t, want, w.sched.ExpectedBatchNonce())
			require.Equal(t, tc.consumed, res.Outcome.ConsumesNonce())

			// CheckBatch, the reader's entry point, agrees with the fold.
			_, outcome, _ := scheduler.CheckBatch(tc.payload(w), tc.block, 0)
			require.Equal(t, tc.outcome, outcome)
		})
	}
}

func (w *world) rawBatch(payload []byte, block uint64) scheduler.Result {
	return w.input(submitter, payload, block)
}

func TestDecodeErrorNamesTheSSZFault(t *testing.T) {
	_, _, err := scheduler.CheckBatch([]byte{0, 0, 0, 0, 0, 0, 0, 0, 13, 0, 0, 0}, 1, 0)
	require.ErrorIs(t, err, scheduler.ErrDecode)
	require.ErrorIs(t, err, ssz.ErrInvalid)
}

func TestClassificationIsBySender(t *testing.T) {
	w := newWorld(t, 1)
	valid := protocol.Batch{Frames: []protocol.Frame{frame(10)}}.Encode()
	res := w.input(stranger, valid, 10)
	require.Equal(t, scheduler.Queued, res.Outcome)
	require.Empty(t, res.Executed)
	require.Equal(t, uint64(0), w.sched.ExpectedBatchNonce())
	require.Len(t, w.sched.PendingDirectInputs(), 1)

	// The same bytes from the submitter are a batch, and drain the queued input.
	res = w.input(submitter, valid, 11)
	require.Equal(t, scheduler.Accepted, res.Outcome)
	require.Equal(t, []string{"d0"}, w.kinds(res.Executed))
}

func TestStaleBatchPoisonsSuccessorsUntilReplaced(t *testing.T) {
	w := newWorld(t, 1)
	require.Equal(t, scheduler.Accepted, w.batch(protocol.Batch{Nonce: 0, Frames: []protocol.Frame{frame(10)}}, 20).Outcome)

	// Batch 1 lands too late: skipped, nonce 1 still expected.
	res := w.batch(protocol.Batch{Nonce: 1, Frames: []protocol.Frame{frame(30)}}, 30+protocol.MaxWaitBlocks)
	require.Equal(t, scheduler.SkippedStale, res.Outcome)
	require.Equal(t, uint64(1), w.sched.ExpectedBatchNonce())

	// Its successors, however fresh, are rejected by the nonce check.
	for _, n := range []uint64{2, 3} {
		res = w.batch(protocol.Batch{Nonce: n, Frames: []protocol.Frame{frame(1240)}}, 1241)
		require.Equal(t, scheduler.RejectedNonce, res.Outcome, "batch %d", n)
	}
	// A second stale copy of nonce 1 is skipped again.
	res = w.batch(protocol.Batch{Nonce: 1, Frames: []protocol.Frame{frame(40)}}, 1242)
	require.Equal(t, scheduler.SkippedStale, res.Outcome)

	// The replacement carrying nonce 1 lands in time; then 2 is accepted again.
	require.Equal(t, scheduler.Accepted, w.batch(protocol.Batch{Nonce: 1, Frames: []protocol.Frame{frame(1240)}}, 1243).Outcome)
	require.Equal(t, scheduler.Accepted, w.batch(protocol.Batch{Nonce: 2, Frames: []protocol.Frame{frame(1241)}}, 1244).Outcome)
	require.Equal(t, uint64(3), w.sched.ExpectedBatchNonce())
}

// TestBackstopWorkedExample is protocol.md's example: direct inputs at blocks
// 12, 20 and 24, then a malformed batch at 1230 executes all three (each has
// waited ≥ 1200 blocks) and is then rejected.
func TestBackstopWorkedExample(t *testing.T) {
	w := newWorld(t, 3)
	for i, block := range []uint64{12, 20, 24} {
		require.Equal(t, scheduler.Queued, w.deposit(i, 1000, block).Outcome)
	}
	res := w.rawBatch([]byte("not a batch"), 1230)
	require.Equal(t, scheduler.RejectedDecode, res.Outcome)
	require.Equal(t, []string{"d0!", "d1!", "d2!"}, w.kinds(res.Executed))
	for i := 0; i < 3; i++ {
		require.Equal(t, uint64(1000), w.wallet.Balance(w.addr(i)).Uint64())
	}
	require.Empty(t, w.sched.PendingDirectInputs())
	require.Equal(t, app.Progress{ExecutedInputCount: 3, LastExecutedSafeBlock: 24}, w.wallet.Progress())
}

func TestBackstopBoundaryAndAnyInputTriggersIt(t *testing.T) {
	w := newWorld(t, 2)
	w.deposit(0, 5, 30)
	w.deposit(1, 5, 31)
	// 1229 − 30 = 1199: nothing forced yet, whatever the input.
	res := w.input(stranger, nil, 1229)
	require.Empty(t, res.Executed)
	// A direct input at 1230 forces the first (1200 blocks) but not the second.
	res = w.input(stranger, nil, 1230)
	require.Equal(t, scheduler.Queued, res.Outcome)
	require.Equal(t, []string{"d0!"}, w.kinds(res.Executed))
	require.Len(t, w.sched.PendingDirectInputs(), 3)
	// Forced first, then the batch's own frame drains the rest up to its safe block.
	res = w.batch(protocol.Batch{Frames: []protocol.Frame{frame(1231)}}, 1231)
	require.Equal(t, scheduler.Accepted, res.Outcome)
	require.Equal(t, []string{"d1!", "d2", "d3"}, w.kinds(res.Executed))
	require.True(t, res.Executed[0].Forced)
	require.False(t, res.Executed[1].Forced)
}

func TestDrainIsInclusiveOfSafeBlock(t *testing.T) {
	w := newWorld(t, 3)
	w.deposit(0, 100_000, 100)
	w.deposit(1, 100_000, 101)
	w.deposit(2, 100_000, 102)
	res := w.batch(protocol.Batch{Frames: []protocol.Frame{
		frame(100, w.op(0, 0, fee, 1, w.addr(1))),
		frame(101),
		frame(101, w.op(1, 0, fee, 1, w.addr(0))),
	}}, 150)
	require.Equal(t, scheduler.Accepted, res.Outcome)
	require.Equal(t, []string{"d0", "u0:0", "d1", "u1:0"}, w.kinds(res.Executed))
	require.Equal(t, []int{0, 0, 1, 2}, frames(res.Executed))
	require.Len(t, w.sched.PendingDirectInputs(), 1, "the input at 102 waits for a later frame")
	require.Equal(t, uint64(102), w.sched.PendingDirectInputs()[0].InclusionBlock)
}

func frames(ex []scheduler.Executed) []int {
	out := make([]int, len(ex))
	for i, e := range ex {
		out[i] = e.Frame
	}
	return out
}

func TestSkippedOpsLeaveTheBatchAccepted(t *testing.T) {
	feeLinear, err := protocol.FeeToLinear(fee)
	require.NoError(t, err)
	poorBalance := feeLinear.Uint64() - 1

	w := newWorld(t, 4)
	w.deposit(0, 1_000_000, 10)
	w.deposit(1, 1_000_000, 10)
	w.deposit(2, poorBalance, 10)
	w.deposit(3, 1_000_000, 10)

	badSig := w.op(1, 0, fee, 1, w.addr(0))
	badSig.Signature = make([]byte, 65) // r = s = 0: unrecoverable
	shortSig := w.op(1, 0, fee, 1, w.addr(0))
	shortSig.Signature = shortSig.Signature[:64]

	res := w.batch(protocol.Batch{Frames: []protocol.Frame{frame(10,
		w.op(0, 0, fee, 7, w.addr(3)),   // executes
		badSig,                          // cannot recover
		shortSig,                        // wrong length
		w.op(1, 0, fee-1, 7, w.addr(3)), // max_fee below the frame fee
		w.op(3, 5, fee, 7, w.addr(0)),   // bad nonce
		w.op(2, 0, fee, 0, w.addr(0)),   // cannot pay the fee
		w.op(1, 0, fee, 9, w.addr(3)),   // executes: user 1 nonce 0 is still free
	)}}, 20)
	require.Equal(t, scheduler.Accepted, res.Outcome)
	require.Equal(t, []string{"d0", "d1", "d2", "d3", "u0:0", "u1:0"}, w.kinds(res.Executed))

	reasons := map[int]error{}
	for _, s := range res.Skipped {
		reasons[s.OpIndex] = s.Reason
	}
	require.Len(t, reasons, 5)
	require.ErrorIs(t, reasons[1], protocol.ErrCannotRecover)
	require.ErrorIs(t, reasons[2], protocol.ErrSignatureLength)
	var maxFeeErr *app.MaxFeeBelowFeeError
	require.True(t, errors.As(reasons[3], &maxFeeErr))
	var nonceErr *wallet.BadNonceError
	require.True(t, errors.As(reasons[4], &nonceErr))
	var balanceErr *wallet.InsufficientBalanceForFeeError
	require.True(t, errors.As(reasons[5], &balanceErr))

	// Skipped ops changed nothing; executed ones paid the frame fee.
	f := feeLinear.Uint64()
	require.Equal(t, uint64(1_000_000-f-7), w.wallet.Balance(w.addr(0)).Uint64())
	require.Equal(t, uint64(1_000_000-f-9), w.wallet.Balance(w.addr(1)).Uint64())
	require.Equal(t, poorBalance, w.wallet.Balance(w.addr(2)).Uint64())
	require.Equal(t, uint64(1_000_000+7+9), w.wallet.Balance(w.addr(3)).Uint64())
	require.Equal(t, 2*f, w.wallet.Balance(feeRecipient).Uint64())
	require.Equal(t, uint32(1), w.wallet.Nonce(w.addr(0)))
	require.Equal(t, uint32(1), w.wallet.Nonce(w.addr(1)))
	require.Equal(t, uint32(0), w.wallet.Nonce(w.addr(2)))
	require.Equal(t, uint32(0), w.wallet.Nonce(w.addr(3)))
	require.Equal(t, uint64(6), w.wallet.Progress().ExecutedInputCount)
}

func TestRejectedBatchChangesNothing(t *testing.T) {
	w := newWorld(t, 2)
	w.deposit(0, 1_000_000, 15) // young enough that no rejected batch below forces it
	before := w.wallet.Snapshot()
	for _, b := range []struct {
		batch protocol.Batch
		block uint64
	}{
		{protocol.Batch{Nonce: 4, Frames: []protocol.Frame{frame(10, w.op(0, 0, fee, 1, w.addr(1)))}}, 20},
		{protocol.Batch{Frames: []protocol.Frame{frame(30, w.op(0, 0, fee, 1, w.addr(1)))}}, 20},
		{protocol.Batch{Frames: []protocol.Frame{frame(10, w.op(0, 0, fee, 1, w.addr(1)))}}, 10 + protocol.MaxWaitBlocks},
	} {
		res := w.batch(b.batch, b.block)
		require.False(t, res.Outcome.ConsumesNonce())
		require.Empty(t, res.Executed)
	}
	require.Equal(t, before, w.wallet.Snapshot())
	require.Len(t, w.sched.PendingDirectInputs(), 1)
}

func TestFoldConcatenatesExecutionOrder(t *testing.T) {
	w := newWorld(t, 1)
	dep := wallet.EncodeDeposit(token, w.addr(0), uint256.NewInt(1_000_000), nil)
	inputs := []scheduler.Input{
		{Sender: portal, Payload: dep, InclusionBlock: 5, Index: 0},
		{Sender: submitter, Payload: protocol.Batch{Nonce: 0, Frames: []protocol.Frame{frame(5, w.op(0, 0, fee, 1, stranger))}}.Encode(), InclusionBlock: 6, Index: 1},
		{Sender: submitter, Payload: protocol.Batch{Nonce: 1}.Encode(), InclusionBlock: 7, Index: 2},
		{Sender: submitter, Payload: protocol.Batch{Nonce: 2, Frames: []protocol.Frame{frame(7, w.op(0, 1, fee, 1, stranger))}}.Encode(), InclusionBlock: 8, Index: 3},
	}
	results, executed := w.sched.Fold(inputs)
	require.Len(t, results, 4)
	require.Equal(t, []scheduler.Outcome{scheduler.Queued, scheduler.Accepted, scheduler.AcceptedEmpty, scheduler.Accepted},
		[]scheduler.Outcome{results[0].Outcome, results[1].Outcome, results[2].Outcome, results[3].Outcome})
	require.Equal(t, []string{"d0", "u0:0", "u0:1"}, w.kinds(executed))
	require.Equal(t, uint64(0), executed[0].BatchNonce)
	require.Equal(t, uint64(2), executed[2].BatchNonce)
	require.Equal(t, uint64(2), w.wallet.Balance(stranger).Uint64())
}
