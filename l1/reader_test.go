package l1_test

import (
	"encoding/json"
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/anviltest"
	"github.com/cartesi/sequencer/internal/devchain"
	"github.com/cartesi/sequencer/l1"
)

func TestChainIDMismatchRefusedBeforeAnything(t *testing.T) {
	t.Parallel()
	e := setup(t, anviltest.Options{})
	ctx := testContext(t)
	r := e.reader(t, e.rc, l1.ReaderConfig{ChainID: 1, InputBox: e.addrs.InputBox})

	require.ErrorIs(t, r.CheckChainID(ctx), l1.ErrChainIDMismatch)
	_, err := r.SafeHead(ctx)
	require.ErrorIs(t, err, l1.ErrChainIDMismatch)
	_, err = r.InputCount(ctx, e.addrs.App, 0)
	require.ErrorIs(t, err, l1.ErrChainIDMismatch)
	_, err = r.Inputs(ctx, e.addrs.App, 0, 10, 0, 1)
	require.ErrorIs(t, err, l1.ErrChainIDMismatch)
	require.False(t, l1.Retryable(err))

	key := anviltest.Key(3)
	p, err := l1.NewPoster(e.rc, l1.PosterConfig{ChainID: 1, InputBox: e.addrs.InputBox, App: e.addrs.App, Key: key})
	require.NoError(t, err)
	_, pendingBefore, _, err := p.Nonces(ctx)
	require.NoError(t, err)
	fees, err := p.SuggestFees(ctx)
	require.NoError(t, err)
	_, err = p.BuildAddInput(ctx, []byte("batch"), pendingBefore, fees)
	require.ErrorIs(t, err, l1.ErrChainIDMismatch)
	_, err = p.BuildSelfTransfer(ctx, pendingBefore, fees)
	require.ErrorIs(t, err, l1.ErrChainIDMismatch)
	require.False(t, l1.Retryable(err))
	_, pendingAfter, _, err := p.Nonces(ctx)
	require.NoError(t, err)
	require.Equal(t, pendingBefore, pendingAfter, "nothing was sent")
	n, err := e.reader(t, e.rc, l1.ReaderConfig{}).InputCount(ctx, e.addrs.App, mustBlock(t, e))
	require.NoError(t, err)
	require.Zero(t, n, "no input was added")
}

func mustBlock(t *testing.T, e env) uint64 {
	n, err := e.anvil.BlockNumber(testContext(t))
	require.NoError(t, err)
	return n
}

func TestSafeHeadUsesSafeTag(t *testing.T) {
	t.Parallel()
	a := anviltest.Start(t, anviltest.Options{})
	rc := a.Dial(t)
	ctx := testContext(t)
	r, err := l1.NewReader(rc, l1.ReaderConfig{ChainID: anviltest.ChainID})
	require.NoError(t, err)

	require.NoError(t, a.Mine(ctx, 40))
	latest, err := a.BlockNumber(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 40, latest)
	head, err := r.SafeHead(ctx)
	require.NoError(t, err)
	require.Equal(t, latest-anviltest.SafeDistance, head.Number)

	var blk struct {
		Hash      common.Hash `json:"hash"`
		Timestamp string      `json:"timestamp"`
	}
	require.NoError(t, rc.CallContext(ctx, &blk, "eth_getBlockByNumber", fmt.Sprintf("0x%x", head.Number), false))
	require.Equal(t, blk.Hash, head.Hash)
	ts, ok := new(big.Int).SetString(blk.Timestamp[2:], 16)
	require.True(t, ok)
	require.Equal(t, ts.Uint64(), head.Timestamp)
}

func TestInputsDecodedInOrder(t *testing.T) {
	t.Parallel()
	e := setup(t, anviltest.Options{})
	ctx := testContext(t)
	r := e.reader(t, e.rc, l1.ReaderConfig{}) // input box read from the application
	box, err := r.ResolveInputBox(ctx, e.addrs.App)
	require.NoError(t, err)
	require.Equal(t, e.addrs.InputBox, box)

	alice, bob := e.poster(t, anviltest.Key(1)), e.poster(t, anviltest.Key(2))
	start := mustBlock(t, e)

	// Block start+1, start+2: one input each (automine).
	addInput(t, alice, []byte("a0"))
	addInput(t, bob, []byte("b0"))
	// One block with four inputs from both senders, interleaved.
	require.NoError(t, e.anvil.SetAutomine(ctx, false))
	fees, err := alice.SuggestFees(ctx)
	require.NoError(t, err)
	var sent []*types.Transaction
	for i, s := range []struct {
		p       *l1.Poster
		payload string
	}{{alice, "a1"}, {bob, "b1"}, {alice, "a2"}, {bob, "b2"}} {
		_, pending, _, err := s.p.Nonces(ctx)
		require.NoError(t, err)
		// A descending tip keeps anvil's fee ordering equal to send order.
		f := l1.Fees{TipCap: new(big.Int).Sub(fees.TipCap, big.NewInt(int64(i))), FeeCap: fees.FeeCap}
		tx, err := s.p.BuildAddInput(ctx, []byte(s.payload), pending, f)
		require.NoError(t, err)
		require.NoError(t, s.p.Send(ctx, tx))
		sent = append(sent, tx)
	}
	require.NoError(t, e.anvil.Mine(ctx, 1))
	require.NoError(t, e.anvil.SetAutomine(ctx, true))
	// A deposit through the portal: the sender is the portal.
	require.NoError(t, devchain.FundTokens(ctx, e.eth, anviltest.Key(0), e.addrs, big.NewInt(1000), anviltest.Address(4)))
	dep, err := devchain.Deposit(ctx, e.eth, anviltest.Key(4), e.addrs, big.NewInt(700))
	require.NoError(t, err)
	end := mustBlock(t, e)

	count, err := r.InputCount(ctx, e.addrs.App, end)
	require.NoError(t, err)
	require.EqualValues(t, 7, count)
	before, err := r.InputCount(ctx, e.addrs.App, start)
	require.NoError(t, err)
	require.Zero(t, before)

	inputs, err := r.Inputs(ctx, e.addrs.App, start+1, end, 0, count)
	require.NoError(t, err)
	require.Len(t, inputs, 7)
	wantPayload := []string{"a0", "b0", "a1", "b1", "a2", "b2"}
	wantSender := []common.Address{alice.Address(), bob.Address(), alice.Address(), bob.Address(), alice.Address(), bob.Address(), e.addrs.ERC20Portal}
	for i, in := range inputs {
		require.EqualValues(t, i, in.Index)
		require.Equal(t, anviltest.ChainID, in.ChainID)
		require.Equal(t, e.addrs.App, in.App)
		require.Equal(t, wantSender[i], in.Sender, "input %d", i)
		if i < len(wantPayload) {
			require.Equal(t, wantPayload[i], string(in.Payload))
		}
		hdr, err := e.eth.HeaderByNumber(ctx, new(big.Int).SetUint64(in.BlockNumber))
		require.NoError(t, err)
		require.Equal(t, hdr.Time, in.BlockTimestamp)
		require.Equal(t, hdr.MixDigest, in.PrevRandao)
	}
	require.Equal(t, start+1, inputs[0].BlockNumber)
	require.Equal(t, start+2, inputs[1].BlockNumber)
	for i, tx := range sent {
		in := inputs[2+i]
		require.Equal(t, start+3, in.BlockNumber)
		require.Equal(t, tx.Hash(), in.TxHash)
		require.EqualValues(t, i, in.TxIndex)
	}
	require.Equal(t, dep.TxHash, inputs[6].TxHash)
	// The deposit payload: token (20) ‖ sender (20) ‖ value (32) ‖ execLayerData.
	require.Equal(t, e.addrs.Token.Bytes(), inputs[6].Payload[:20])
	require.Equal(t, anviltest.Address(4).Bytes(), inputs[6].Payload[20:40])
	require.EqualValues(t, 700, new(big.Int).SetBytes(inputs[6].Payload[40:72]).Int64())

	// A sub-range continuing from a stored count.
	mid, err := r.Inputs(ctx, e.addrs.App, start+3, start+3, 2, 4)
	require.NoError(t, err)
	require.Equal(t, inputs[2:6], mid)
	// Count shortcut: nothing to fetch.
	none, err := r.Inputs(ctx, e.addrs.App, start+1, end, 7, 0)
	require.NoError(t, err)
	require.Empty(t, none)
	// Completeness: a wrong first index, too many or too few wanted.
	_, err = r.Inputs(ctx, e.addrs.App, start+1, end, 1, 7)
	require.ErrorIs(t, err, l1.ErrIncomplete)
	_, err = r.Inputs(ctx, e.addrs.App, start+1, end, 0, 8)
	require.ErrorIs(t, err, l1.ErrIncomplete)
	_, err = r.Inputs(ctx, e.addrs.App, start+1, end, 0, 6)
	require.ErrorIs(t, err, l1.ErrIncomplete)
	require.True(t, l1.Retryable(err))

	// An address without code names no input box (the reader has none
	// configured).
	other, err := r.Inputs(ctx, common.HexToAddress("0xa99"), start+1, end, 0, 1)
	require.ErrorIs(t, err, l1.ErrNoInputBox)
	require.Nil(t, other)
}

func TestResolveInputBox(t *testing.T) {
	t.Parallel()
	e := setup(t, anviltest.Options{})
	ctx := testContext(t)
	r := e.reader(t, e.rc, l1.ReaderConfig{})
	box, err := r.ResolveInputBox(ctx, e.addrs.App)
	require.NoError(t, err)
	require.Equal(t, e.addrs.InputBox, box)

	// No code at the app, or an app without getDataAvailability: configure it.
	_, err = r.ResolveInputBox(ctx, common.HexToAddress("0xa99"))
	require.ErrorIs(t, err, l1.ErrNoInputBox)
	require.False(t, l1.Retryable(err))
	_, err = r.ResolveInputBox(ctx, e.addrs.Token)
	require.ErrorIs(t, err, l1.ErrNoInputBox)

	// The configured address wins.
	configured := e.reader(t, e.rc, l1.ReaderConfig{InputBox: e.addrs.InputBox})
	box, err = configured.ResolveInputBox(ctx, common.HexToAddress("0xa99"))
	require.NoError(t, err)
	require.Equal(t, e.addrs.InputBox, box)
}

func TestInputsNotMatchingRefused(t *testing.T) {
	t.Parallel()
	e := setup(t, anviltest.Options{})
	ctx := testContext(t)
	block := mustBlock(t, e) + 1
	addInput(t, e.poster(t, anviltest.Key(1)), []byte("x"))
	in, err := e.reader(t, e.rc, l1.ReaderConfig{InputBox: e.addrs.InputBox}).Inputs(ctx, e.addrs.App, block, block, 0, 1)
	require.NoError(t, err)
	require.Len(t, in, 1)

	// rewrite returns a proxy mutation applying f to every decoded log.
	rewrite := func(f func(*types.Log)) func([]json.RawMessage) []json.RawMessage {
		return func(logs []json.RawMessage) []json.RawMessage {
			out := make([]json.RawMessage, 0, len(logs))
			for _, raw := range logs {
				var lg types.Log
				require.NoError(t, json.Unmarshal(raw, &lg))
				f(&lg)
				b, err := json.Marshal(&lg)
				require.NoError(t, err)
				out = append(out, b)
			}
			return out
		}
	}
	// Log data: offset (32) ‖ length (32) ‖ input; the input is the
	// EvmAdvance selector (4) ‖ chainId (32) ‖ appContract (32) ‖ …
	const inputAt = 64
	fake := common.HexToAddress("0xfeed")
	cases := map[string]struct {
		app    common.Address
		mutate func(*types.Log)
	}{
		"indexed app differs from EvmAdvance app": {e.addrs.App, func(lg *types.Log) { lg.Topics[1] = common.BytesToHash(fake.Bytes()) }},
		"EvmAdvance chain id differs":             {e.addrs.App, func(lg *types.Log) { lg.Data[inputAt+4+31] ^= 1 }},
		"EvmAdvance index differs from topic":     {e.addrs.App, func(lg *types.Log) { lg.Topics[2][31] ^= 1 }},
		"not an EvmAdvance":                       {e.addrs.App, func(lg *types.Log) { lg.Data[inputAt] ^= 1 }},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			proxy, prc := newLogsProxy(t, e.anvil.URL)
			proxy.mutate = rewrite(c.mutate)
			r := e.reader(t, prc, l1.ReaderConfig{InputBox: e.addrs.InputBox})
			_, err := r.Inputs(ctx, c.app, block, block, 0, 1)
			require.ErrorIs(t, err, l1.ErrInputMismatch)
			require.False(t, l1.Retryable(err))
		})
	}
}

// addInputsInBlocks adds one input in each of n consecutive blocks after
// the current one and returns the first of those blocks.
func addInputsInBlocks(t *testing.T, e env, n int) uint64 {
	first := mustBlock(t, e) + 1
	p := e.poster(t, anviltest.Key(1))
	for i := 0; i < n; i++ {
		addInput(t, p, []byte{byte(i)})
	}
	return first
}

func TestLongRangeBisectionOrder(t *testing.T) {
	t.Parallel()
	e := setup(t, anviltest.Options{})
	ctx := testContext(t)
	first := addInputsInBlocks(t, e, 8) // inputs 0..7 in blocks first..first+7
	base := first - 1                   // block b is called b−base below: blocks 1..8

	proxy, prc := newLogsProxy(t, e.anvil.URL)
	// A node whose limit is the (relative) start block: [1,8], [1,4], [1,2]
	// are too long, [1,1], [2,2], [3,4], [5,8] are fine.
	proxy.refuse = func(from, to uint64) bool { return to-from+1 > from-base }
	r := e.reader(t, prc, l1.ReaderConfig{InputBox: e.addrs.InputBox})
	inputs, err := r.Inputs(ctx, e.addrs.App, base+1, base+8, 0, 8)
	require.NoError(t, err)
	require.Len(t, inputs, 8)
	for i, in := range inputs {
		require.EqualValues(t, i, in.Index)
		require.Equal(t, base+1+uint64(i), in.BlockNumber)
	}
	var got [][2]uint64
	for _, rg := range proxy.ranges() {
		got = append(got, [2]uint64{rg[0] - base, rg[1] - base})
	}
	// The spec's example: [1,8] → [1,4] → [1,2] → [1,1],[2,2] → [3,4] → [5,8].
	require.Equal(t, [][2]uint64{{1, 8}, {1, 4}, {1, 2}, {1, 1}, {2, 2}, {3, 4}, {5, 8}}, got)
}

func TestLongRangeBisectionLimits(t *testing.T) {
	t.Parallel()
	e := setup(t, anviltest.Options{})
	ctx := testContext(t)
	first := addInputsInBlocks(t, e, 5)
	last := first + 4

	t.Run("uniform limit", func(t *testing.T) {
		proxy, prc := newLogsProxy(t, e.anvil.URL)
		proxy.code = -32602
		proxy.refuse = func(from, to uint64) bool { return to-from+1 > 2 }
		inputs, err := e.reader(t, prc, l1.ReaderConfig{InputBox: e.addrs.InputBox}).Inputs(ctx, e.addrs.App, first, last, 0, 5)
		require.NoError(t, err)
		require.Len(t, inputs, 5)
		for i, in := range inputs {
			require.EqualValues(t, i, in.Index)
		}
		// [f,f+4] → [f,f+2] → [f,f+1] ✓ → [f+2] ✓ → [f+3,f+4] ✓
		rel := func(a, b uint64) [2]uint64 { return [2]uint64{first + a, first + b} }
		require.Equal(t, [][2]uint64{rel(0, 4), rel(0, 2), rel(0, 1), rel(2, 2), rel(3, 4)}, proxy.ranges())
	})
	t.Run("one block still refused", func(t *testing.T) {
		proxy, prc := newLogsProxy(t, e.anvil.URL)
		proxy.refuse = func(from, to uint64) bool { return true }
		_, err := e.reader(t, prc, l1.ReaderConfig{InputBox: e.addrs.InputBox}).Inputs(ctx, e.addrs.App, first, first+1, 0, 2)
		require.ErrorIs(t, err, l1.ErrTransient)
		require.Equal(t, [][2]uint64{{first, first + 1}, {first, first}}, proxy.ranges())
	})
	t.Run("unlisted code is not split", func(t *testing.T) {
		proxy, prc := newLogsProxy(t, e.anvil.URL)
		proxy.code = -32000
		proxy.refuse = func(from, to uint64) bool { return to > from }
		_, err := e.reader(t, prc, l1.ReaderConfig{InputBox: e.addrs.InputBox}).Inputs(ctx, e.addrs.App, first, last, 0, 5)
		require.ErrorIs(t, err, l1.ErrTransient)
		require.Len(t, proxy.ranges(), 1)
	})
	t.Run("configured codes", func(t *testing.T) {
		proxy, prc := newLogsProxy(t, e.anvil.URL)
		proxy.code = -32000
		proxy.refuse = func(from, to uint64) bool { return to > from }
		r := e.reader(t, prc, l1.ReaderConfig{InputBox: e.addrs.InputBox, LongRangeErrorCodes: []int{-32000}})
		inputs, err := r.Inputs(ctx, e.addrs.App, first, last, 0, 5)
		require.NoError(t, err)
		require.Len(t, inputs, 5)
	})
}

func TestTruncatedLogsRefused(t *testing.T) {
	t.Parallel()
	e := setup(t, anviltest.Options{})
	ctx := testContext(t)
	first := addInputsInBlocks(t, e, 4)

	for name, mutate := range map[string]func([]json.RawMessage) []json.RawMessage{
		"last dropped":   func(l []json.RawMessage) []json.RawMessage { return l[:len(l)-1] },
		"middle dropped": func(l []json.RawMessage) []json.RawMessage { return append(l[:1:1], l[2:]...) },
		"duplicated":     func(l []json.RawMessage) []json.RawMessage { return append(l[:3:3], l[2]) },
	} {
		t.Run(name, func(t *testing.T) {
			proxy, prc := newLogsProxy(t, e.anvil.URL)
			proxy.mutate = mutate
			inputs, err := e.reader(t, prc, l1.ReaderConfig{InputBox: e.addrs.InputBox}).Inputs(ctx, e.addrs.App, first, first+3, 0, 4)
			require.ErrorIs(t, err, l1.ErrIncomplete)
			require.Nil(t, inputs, "never a partial list")
		})
	}
}
