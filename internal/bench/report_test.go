package bench

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"
)

func TestPercentileNearestRank(t *testing.T) {
	sample := make([]time.Duration, 1000)
	for i := range sample {
		sample[i] = time.Duration(1000-i) * time.Millisecond // unsorted on purpose
	}
	p := summarize(sample)
	require.Equal(t, Percentiles{Count: 1000, P50: 500, P95: 950, P99: 990, P999: 999, Max: 1000}, p)

	require.Equal(t, Percentiles{}, summarize(nil))
	one := summarize([]time.Duration{3 * time.Millisecond})
	require.Equal(t, Percentiles{Count: 1, P50: 3, P95: 3, P99: 3, P999: 3, Max: 3}, one)
	require.Equal(t, 2*time.Second, percentile([]time.Duration{time.Second, 2 * time.Second}, 51))
}

func TestTallyAndFeedMatch(t *testing.T) {
	a, b := common.HexToAddress("0xa"), common.HexToAddress("0xb")
	senders := []common.Address{a, b}
	ok := func(s common.Address, nonce, offset int) []byte {
		body, err := json.Marshal(map[string]any{"ok": true, "sender": s.Hex(), "nonce": nonce, "offset": offset, "fee": 1})
		require.NoError(t, err)
		return body
	}
	ms := func(n int) int64 { return int64(time.Duration(n) * time.Millisecond) }
	w := window{from: ms(100), to: ms(1100)}
	records := []record{
		{start: ms(50), ack: ms(60), sender: 0, nonce: 0, status: 200, body: ok(a, 0, 11)},   // warm-up
		{start: ms(95), ack: ms(105), sender: 0, nonce: 1, status: 200, body: ok(a, 1, 12)},  // acked in window
		{start: ms(200), ack: ms(204), sender: 1, nonce: 0, status: 200, body: ok(b, 0, 13)}, // in window
		{start: ms(300), ack: ms(302), sender: 1, nonce: 1, status: 200, body: ok(b, 1, 14)}, // feed mismatch
		{start: ms(400), ack: ms(401), sender: 0, nonce: 2, status: 200, body: ok(a, 2, 15)}, // feed missing
		{start: ms(500), ack: ms(501), sender: 0, nonce: 3, status: 422, body: []byte(`{"ok":false,"code":"EXECUTION_REJECTED"}`)},
		{start: ms(600), ack: ms(601), sender: 0, nonce: 3, status: 503, body: []byte(`oops`)},
		{start: ms(700), ack: ms(800), sender: 1, nonce: 2, status: 0, body: []byte("connection reset")},
	}
	tl := tallyRecords(records, senders, w)
	require.Equal(t, 4, tl.accepted)
	require.Len(t, tl.acked, 5)
	require.Equal(t, []uint64{11, 12, 13, 14, 15}, tl.offsets())
	require.Equal(t, map[string]int{"422 EXECUTION_REJECTED": 1, "503 undecodable": 1}, tl.nonOK)
	require.Equal(t, 1, tl.transportError)
	require.ElementsMatch(t, []time.Duration{4 * time.Millisecond, 2 * time.Millisecond, time.Millisecond}, tl.ackLatency)

	entries := map[uint64]feedEntry{
		11: {Kind: "user_op", Offset: 11, Sender: a.Hex(), Nonce: 0, at: ms(70)},
		12: {Kind: "user_op", Offset: 12, Sender: a.Hex(), Nonce: 1, at: ms(110)},
		13: {Kind: "user_op", Offset: 13, Sender: b.Hex(), Nonce: 0, at: ms(210)},
		14: {Kind: "user_op", Offset: 14, Sender: a.Hex(), Nonce: 1, at: ms(310)},
	}
	m := matchFeed(&tl, entries, senders, w)
	require.Equal(t, 1, m.missing)
	require.Equal(t, 1, m.mismatched)
	require.Equal(t, []time.Duration{10 * time.Millisecond}, m.latency)

	var rep Report
	rep.fill(tl, m, w)
	require.InDelta(t, 4.0, rep.AcceptedPerSec, 1e-9)
	require.Equal(t, 2, rep.Unmatched)
	require.Equal(t, 2, rep.NonOKTotal())
	require.Equal(t, 5, rep.Acked)

	var text, js bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	require.Contains(t, text.String(), "4 tx/s")
	require.Contains(t, text.String(), "422 EXECUTION_REJECTED: 1")
	require.NoError(t, rep.WriteJSON(&js))
	var back Report
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	require.Equal(t, rep.Accepted, back.Accepted)
}

// TestReportServeStart: the start figures and the longest lane commit are
// printed, an absent gauge as n/a (null in JSON), and survive JSON.
func TestReportServeStart(t *testing.T) {
	drain := 41.5
	rep := Report{Senders: MaxSenders, LoadSenders: 700_000, PendingDeposits: 100_000,
		Start: ServeStart{Deposits: MaxSenders + 100_000, DepositBlocks: 200, FundSeconds: 9.25,
			TimeToReadySeconds: 1.75, DrainSeconds: 30.5},
		LongestCommit: LongestCommit{AfterDrain: &drain}}
	var text, js bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	for _, want := range []string{
		"1000000 funded senders (700000 of them sending), 100000 pending deposits",
		"1100000 undrained over 200 L1 blocks (written in 9.25s)",
		"time-to-ready", "1.75s (serve process start → /readyz 200)",
		"drain time", "30.50s (serve process start → all 1100000 deposits on the feed)",
		"41.50 ms after the drain, n/a after the load",
	} {
		require.Contains(t, text.String(), want)
	}
	require.NoError(t, rep.WriteJSON(&js))
	require.Contains(t, js.String(), `"after_load": null`)
	var back Report
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	require.Equal(t, rep.Start, back.Start)
	require.Equal(t, rep.LongestCommit, back.LongestCommit)
	require.Equal(t, []int{MaxSenders, 700_000, 100_000}, []int{back.Senders, back.LoadSenders, back.PendingDeposits})
}
