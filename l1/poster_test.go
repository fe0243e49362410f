package l1_test

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/anviltest"
	"github.com/cartesi/sequencer/l1"
)

// replacement is the replacement rule without a cap, for tests that need
// a valid replacement of a pending transaction.
func replacement(t *testing.T, prev, fresh l1.Fees) l1.Fees {
	t.Helper()
	fees, _, ok := l1.ReplacementFees(&prev, fresh, nil)
	require.True(t, ok)
	return fees
}

func TestReplacementFees(t *testing.T) {
	t.Parallel()
	f := func(tip, fee int64) l1.Fees { return l1.Fees{TipCap: big.NewInt(tip), FeeCap: big.NewInt(fee)} }
	p := func(tip, fee int64) *l1.Fees { v := f(tip, fee); return &v }
	for _, c := range []struct {
		name       string
		prev       *l1.Fees
		fresh      l1.Fees
		cap        int64 // 0: no cap
		want       l1.Fees
		capped, ok bool
	}{
		{"first broadcast: the estimate", nil, f(100, 1000), 5000, f(100, 1000), false, true},
		{"first broadcast over the cap", nil, f(100, 9000), 5000, f(100, 5000), true, true},
		{"first broadcast, tip over the cap", nil, f(7000, 9000), 5000, f(5000, 5000), true, true},
		{"prev higher: +12.5%", p(100, 1000), f(50, 500), 0, f(113, 1125), false, true},
		{"rounded up", p(101, 1001), f(1, 1), 0, f(114, 1127), false, true},
		{"fresh higher wins", p(100, 1000), f(200, 3000), 0, f(200, 3000), false, true},
		{"mixed", p(100, 1000), f(105, 5000), 0, f(113, 5000), false, true},
		{"tiny values still grow", p(0, 1), f(0, 0), 0, f(1, 2), false, true},
		{"fee cap at least tip", p(100, 100), f(500, 10), 0, f(500, 500), false, true},
		{"capped but still a valid replacement", p(100, 1000), f(100, 1000), 1110, f(113, 1110), true, true},
		{"fresh estimate above the cap", p(100, 1000), f(100, 90000), 2000, f(113, 2000), true, true},
		{"at the cap: no valid replacement", p(100, 1000), f(100, 1000), 1000, f(100, 1000), true, false},
		{"near the cap: +5% is not enough", p(100, 1000), f(100, 1000), 1050, f(100, 1000), true, false},
		{"tip over the cap", p(900, 1000), f(3000, 3000), 1200, f(1200, 1200), true, true},
		{"tip over the cap, fee cap exactly +10%", p(900, 1000), f(3000, 3000), 1100, f(1100, 1100), true, true},
		{"tip over the cap, fee cap short of +10%", p(900, 1000), f(3000, 3000), 1050, f(900, 1000), true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var maxFee *big.Int
			if c.cap > 0 {
				maxFee = big.NewInt(c.cap)
			}
			var before l1.Fees
			if c.prev != nil {
				before = l1.Fees{TipCap: new(big.Int).Set(c.prev.TipCap), FeeCap: new(big.Int).Set(c.prev.FeeCap)}
			}
			got, capped, ok := l1.ReplacementFees(c.prev, c.fresh, maxFee)
			require.Equal(t, c.want.TipCap.String(), got.TipCap.String(), "tip")
			require.Equal(t, c.want.FeeCap.String(), got.FeeCap.String(), "fee cap")
			require.Equal(t, c.capped, capped, "capped")
			require.Equal(t, c.ok, ok, "ok")
			require.True(t, got.FeeCap.Cmp(got.TipCap) >= 0, "fee cap ≥ tip")
			if maxFee != nil {
				require.True(t, got.FeeCap.Cmp(maxFee) <= 0 && got.TipCap.Cmp(maxFee) <= 0, "never above the cap")
			}
			if c.prev != nil {
				require.Equal(t, before, *c.prev, "prev is not modified")
				if ok {
					// Both caps clear the node's 10% replacement rule.
					for _, pair := range [][2]*big.Int{{c.prev.TipCap, got.TipCap}, {c.prev.FeeCap, got.FeeCap}} {
						min := new(big.Int).Mul(pair[0], big.NewInt(110))
						require.True(t, new(big.Int).Mul(pair[1], big.NewInt(100)).Cmp(min) >= 0)
						require.True(t, pair[1].Cmp(pair[0]) > 0)
					}
				}
			}
		})
	}
}

// TestEstimateAddInputGasUpTo: the round's one estimate covers every
// payload up to its size, whatever the bytes, and a transaction signed with
// it is mined.
func TestEstimateAddInputGasUpTo(t *testing.T) {
	t.Parallel()
	e := setup(t, anviltest.Options{})
	ctx := testContext(t)
	p := e.poster(t, anviltest.Key(4))
	bound, err := p.EstimateAddInputGasUpTo(ctx, 2000)
	require.NoError(t, err)
	for _, payload := range [][]byte{make([]byte, 2000), bytes.Repeat([]byte{0x01, 0x00}, 1000), bytes.Repeat([]byte{0xab}, 2000), []byte("short")} {
		exact, err := p.EstimateAddInputGas(ctx, payload)
		require.NoError(t, err)
		require.GreaterOrEqual(t, bound, exact)
	}
	fees, err := p.SuggestFees(ctx)
	require.NoError(t, err)
	tx, err := p.SignAddInput(ctx, bytes.Repeat([]byte{0xab}, 2000), 0, fees, bound)
	require.NoError(t, err)
	require.NoError(t, p.Send(ctx, tx))
	rcpt := mustReceipt(t, p, tx.Hash())
	require.Less(t, rcpt.GasUsed, bound)
}

func TestPosterSendAndConfirm(t *testing.T) {
	t.Parallel()
	e := setup(t, anviltest.Options{})
	ctx := testContext(t)
	p := e.poster(t, anviltest.Key(5))
	require.Equal(t, anviltest.Address(5), p.Address())

	fees, err := p.SuggestFees(ctx)
	require.NoError(t, err)
	require.Positive(t, fees.TipCap.Sign())
	require.True(t, fees.FeeCap.Cmp(fees.TipCap) > 0)

	latest, pending, safe, err := p.Nonces(ctx)
	require.NoError(t, err)
	require.Equal(t, [3]uint64{0, 0, 0}, [3]uint64{latest, pending, safe})

	block := mustBlock(t, e) + 1
	tx, err := p.BuildAddInput(ctx, []byte("batch 0"), 0, fees)
	require.NoError(t, err)
	require.Equal(t, fees.TipCap, tx.GasTipCap())
	require.Equal(t, fees.FeeCap, tx.GasFeeCap())
	require.EqualValues(t, 2, tx.Type())
	require.NoError(t, p.Send(ctx, tx))

	rcpt := mustReceipt(t, p, tx.Hash())
	_, conf, err := p.Receipt(ctx, tx.Hash())
	require.NoError(t, err)
	require.Equal(t, block, rcpt.BlockNumber.Uint64())
	require.EqualValues(t, 1, conf)
	require.Less(t, rcpt.GasUsed, tx.Gas(), "the margin leaves headroom")
	require.NoError(t, e.anvil.Mine(ctx, 2))
	_, conf, err = p.Receipt(ctx, tx.Hash())
	require.NoError(t, err)
	require.EqualValues(t, 3, conf)

	latest, pending, safe, err = p.Nonces(ctx)
	require.NoError(t, err)
	require.Equal(t, [3]uint64{1, 1, 0}, [3]uint64{latest, pending, safe})
	require.NoError(t, e.anvil.Mine(ctx, anviltest.SafeDistance))
	_, _, safe, err = p.Nonces(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, safe)

	r := e.reader(t, e.rc, l1.ReaderConfig{InputBox: e.addrs.InputBox})
	inputs, err := r.Inputs(ctx, e.addrs.App, block, block, 0, 1)
	require.NoError(t, err)
	require.Equal(t, p.Address(), inputs[0].Sender)
	require.Equal(t, "batch 0", string(inputs[0].Payload))
	require.Equal(t, tx.Hash(), inputs[0].TxHash)

	// Signing is deterministic given the gas limit.
	again, err := p.SignAddInput(ctx, []byte("batch 0"), 0, fees, tx.Gas())
	require.NoError(t, err)
	require.Equal(t, tx.Hash(), again.Hash())

	// Unknown hash: no receipt, no error.
	none, conf, err := p.Receipt(ctx, crypto.Keccak256Hash([]byte("nothing")))
	require.NoError(t, err)
	require.Nil(t, none)
	require.Zero(t, conf)
}

func TestPosterResendClassified(t *testing.T) {
	t.Parallel()
	e := setup(t, anviltest.Options{})
	ctx := testContext(t)
	p := e.poster(t, anviltest.Key(6))
	fees, err := p.SuggestFees(ctx)
	require.NoError(t, err)

	require.NoError(t, e.anvil.SetAutomine(ctx, false))
	tx, err := p.BuildAddInput(ctx, []byte("b"), 0, fees)
	require.NoError(t, err)
	require.NoError(t, p.Send(ctx, tx))

	// Same transaction again while pending: already known.
	err = p.Send(ctx, tx)
	require.ErrorIs(t, err, l1.ErrCheckReceipt)
	t.Logf("re-send pending: %v", err)

	// Another transaction at the same nonce, same fees: underpriced.
	other, err := p.BuildAddInput(ctx, []byte("c"), 0, fees)
	require.NoError(t, err)
	err = p.Send(ctx, other)
	require.ErrorIs(t, err, l1.ErrCheckReceipt)
	t.Logf("same-fee replacement: %v", err)

	require.NoError(t, e.anvil.Mine(ctx, 1))
	mustReceipt(t, p, tx.Hash())

	// Mined: re-sending it, or anything at its nonce, is nonce too low.
	err = p.Send(ctx, tx)
	require.ErrorIs(t, err, l1.ErrCheckReceipt)
	t.Logf("re-send mined: %v", err)
	stale, err := p.BuildSelfTransfer(ctx, 0, replacement(t, fees, fees))
	require.NoError(t, err)
	err = p.Send(ctx, stale)
	require.ErrorIs(t, err, l1.ErrCheckReceipt)
	require.True(t, l1.Retryable(err))
	t.Logf("nonce too low: %v", err)
}

func TestPosterReplacesDroppedTransaction(t *testing.T) {
	t.Parallel()
	e := setup(t, anviltest.Options{})
	ctx := testContext(t)
	p := e.poster(t, anviltest.Key(7))
	require.NoError(t, e.anvil.SetAutomine(ctx, false))

	fees, err := p.SuggestFees(ctx)
	require.NoError(t, err)
	first, err := p.BuildAddInput(ctx, []byte("batch"), 0, fees)
	require.NoError(t, err)
	require.NoError(t, p.Send(ctx, first))
	raw, err := e.anvil.RawTransaction(ctx, first.Hash())
	require.NoError(t, err)
	bin, err := first.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, bin, raw, "captured raw transaction")

	// The mempool loses it; the submitter times out and replaces it.
	require.NoError(t, e.anvil.DropTransaction(ctx, first.Hash()))
	hashes, err := e.anvil.PendingTransactionHashes(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, hashes)
	fresh, err := p.SuggestFees(ctx)
	require.NoError(t, err)
	bumped := replacement(t, fees, fresh)
	second, err := p.BuildAddInput(ctx, []byte("batch"), 0, bumped)
	require.NoError(t, err)
	require.NotEqual(t, first.Hash(), second.Hash())
	require.NoError(t, p.Send(ctx, second))
	require.NoError(t, e.anvil.Mine(ctx, 1))

	rcpt := mustReceipt(t, p, second.Hash())
	none, _, err := p.Receipt(ctx, first.Hash())
	require.NoError(t, err)
	require.Nil(t, none)

	// The zombie comes back: its nonce is used, it can never execute.
	_, err = e.anvil.SendRawTransaction(ctx, raw)
	require.Error(t, err)
	require.ErrorIs(t, p.Send(ctx, first), l1.ErrCheckReceipt)
	require.NoError(t, e.anvil.Mine(ctx, 1))
	none, _, err = p.Receipt(ctx, first.Hash())
	require.NoError(t, err)
	require.Nil(t, none)
	_ = rcpt

	// A replacement of a still-pending transaction with bumped fees wins.
	third, err := p.BuildAddInput(ctx, []byte("next"), 1, fresh)
	require.NoError(t, err)
	require.NoError(t, p.Send(ctx, third))
	fresh2, err := p.SuggestFees(ctx)
	require.NoError(t, err)
	fourth, err := p.BuildSelfTransfer(ctx, 1, replacement(t, fresh, fresh2))
	require.NoError(t, err)
	require.NoError(t, p.Send(ctx, fourth))
	require.NoError(t, e.anvil.Mine(ctx, 1))
	mustReceipt(t, p, fourth.Hash())
	none, _, err = p.Receipt(ctx, third.Hash())
	require.NoError(t, err)
	require.Nil(t, none)
	latest, pending, _, err := p.Nonces(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 2, latest)
	require.EqualValues(t, 2, pending)
}

func TestPosterInsufficientFunds(t *testing.T) {
	t.Parallel()
	e := setup(t, anviltest.Options{})
	ctx := testContext(t)
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	p := e.poster(t, key)
	fees, err := p.SuggestFees(ctx)
	require.NoError(t, err)
	tx, err := p.BuildAddInput(ctx, []byte("batch"), 0, fees)
	require.NoError(t, err)
	err = p.Send(ctx, tx)
	require.ErrorIs(t, err, l1.ErrInsufficientFunds)
	t.Logf("unfunded: %v", err)
}

func TestPosterRevertNotRetryable(t *testing.T) {
	t.Parallel()
	e := setup(t, anviltest.Options{})
	ctx := testContext(t)
	// A misconfigured input box: the token has no addInput, the call reverts.
	p, err := l1.NewPoster(e.rc, l1.PosterConfig{
		ChainID: anviltest.ChainID, InputBox: e.addrs.Token, App: e.addrs.App, Key: anviltest.Key(8),
	})
	require.NoError(t, err)
	fees, err := p.SuggestFees(ctx)
	require.NoError(t, err)
	_, err = p.BuildAddInput(ctx, []byte("batch"), 0, fees)
	require.ErrorIs(t, err, l1.ErrReverted)
	require.False(t, l1.Retryable(err))
	t.Logf("revert: %v", err)
}

// TestInputBoxTakesTheLargestBatch: the deployed InputBox accepts a batch
// of exactly MaxBatchPayload bytes (the bound of SEQ_MAX_BATCH_BYTES) and
// refuses one 32 bytes longer (the next padded size): a batch the lane may
// seal can always be posted.
func TestInputBoxTakesTheLargestBatch(t *testing.T) {
	t.Parallel()
	e := setup(t, anviltest.Options{})
	ctx := testContext(t)
	p := e.poster(t, anviltest.Key(9))
	fees, err := p.SuggestFees(ctx)
	require.NoError(t, err)
	largest := bytes.Repeat([]byte{0xff}, l1.MaxBatchPayload)
	tx, err := p.BuildAddInput(ctx, largest, 0, fees)
	require.NoError(t, err)
	require.NoError(t, p.Send(ctx, tx))
	rcpt := mustReceipt(t, p, tx.Hash())
	t.Logf("a %d-byte batch uses %d gas", len(largest), rcpt.GasUsed)

	_, err = p.BuildAddInput(ctx, append(largest, make([]byte, 32)...), 1, fees)
	require.ErrorIs(t, err, l1.ErrReverted, "one padded word more is InputTooLarge")
}
