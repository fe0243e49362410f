package hotpath_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/protocol"
	"github.com/cartesi/sequencer/store"
)

func TestComputeAdmission(t *testing.T) {
	// The defaults at 12 s blocks: danger line 900, lines 360/540, window
	// 600/12 = 50 blocks, floor 16 batches × 100 ops / 3 blocks = 533.3.
	cfg := hotpath.AdmissionConfig{SoftBlocks: 360, HardBlocks: 540, MaxInFlight: 16, ResendAfterBlocks: 3, SecondsPerBlock: 12}
	head := store.SafeHead{Known: true, Block: 10_000}
	cases := []struct {
		name        string
		view        store.AdmissionView
		tipOps      uint64
		opsPerBatch uint64
		cfg         func(c *hotpath.AdmissionConfig)
		want        hotpath.Admission
	}{
		{name: "nothing at all: the floor, no delay", opsPerBatch: 100, want: hotpath.Admission{
			State: hotpath.AdmissionNormal, PostingRate: 1600.0 / 3, RetryAfter: 1}},
		{name: "only the open batch's ops", view: store.AdmissionView{SafeHead: head}, tipOps: 800, opsPerBatch: 100,
			want: hotpath.Admission{State: hotpath.AdmissionNormal, BacklogOps: 800, PostingRate: 1600.0 / 3,
				QueueDelay: 1.5, RetryAfter: 1}},
		{name: "fresh deployment: nothing accepted yet, the floor applies",
			view:        store.AdmissionView{SafeHead: head, SealedWaiting: 10, SealedBacklogOps: 1000, OldestUnacceptedFirstSafeBlock: ptr(9_990)},
			opsPerBatch: 100,
			want: hotpath.Admission{State: hotpath.AdmissionNormal, BacklogOps: 1000, PostingRate: 1600.0 / 3,
				QueueDelay: 10 + 1000/(1600.0/3), OldestAgeBlocks: 10, SealedWaiting: 10, RetryAfter: 1}},
		{name: "measured rate above the floor",
			view: store.AdmissionView{SafeHead: head, SealedWaiting: 3, SealedBacklogOps: 10_000, WindowOps: 50_000,
				OldestUnacceptedFirstSafeBlock: ptr(9_900)}, tipOps: 50, opsPerBatch: 100,
			want: hotpath.Admission{State: hotpath.AdmissionNormal, BacklogOps: 10_050, PostingRate: 1000,
				QueueDelay: 100 + 10.05, OldestAgeBlocks: 100, SealedWaiting: 3, RetryAfter: 1}},
		{name: "measured rate below the floor: the floor",
			view:        store.AdmissionView{SafeHead: head, SealedBacklogOps: 5_000, SealedWaiting: 50, WindowOps: 500},
			opsPerBatch: 100,
			want: hotpath.Admission{State: hotpath.AdmissionNormal, BacklogOps: 5_000, PostingRate: 1600.0 / 3,
				QueueDelay: 5_000 / (1600.0 / 3), SealedWaiting: 50, LargeBatches: true, RetryAfter: 1}},
		{name: "exactly at the soft line steps the fee",
			view: store.AdmissionView{SafeHead: head, SealedWaiting: 2, SealedBacklogOps: 60_000, WindowOps: 50_000,
				OldestUnacceptedFirstSafeBlock: ptr(9_700)}, opsPerBatch: 100,
			want: hotpath.Admission{State: hotpath.AdmissionFeeStep, BacklogOps: 60_000, PostingRate: 1000,
				QueueDelay: 360, OldestAgeBlocks: 300, SealedWaiting: 2, RetryAfter: 1}},
		{name: "between the lines",
			view: store.AdmissionView{SafeHead: head, SealedWaiting: 16, SealedBacklogOps: 100_000, WindowOps: 50_000,
				OldestUnacceptedFirstSafeBlock: ptr(9_700)}, opsPerBatch: 100,
			want: hotpath.Admission{State: hotpath.AdmissionFeeStep, BacklogOps: 100_000, PostingRate: 1000,
				QueueDelay: 400, OldestAgeBlocks: 300, SealedWaiting: 16, RetryAfter: 40 * 12}},
		{name: "exactly at the hard line sheds, one window over means large batches",
			view: store.AdmissionView{SafeHead: head, SealedWaiting: 17, SealedBacklogOps: 40_000, WindowOps: 50_000,
				OldestUnacceptedFirstSafeBlock: ptr(9_500)}, opsPerBatch: 100,
			want: hotpath.Admission{State: hotpath.AdmissionShedding, BacklogOps: 40_000, PostingRate: 1000,
				QueueDelay: 540, OldestAgeBlocks: 500, SealedWaiting: 17, LargeBatches: true, RetryAfter: 180 * 12}},
		{name: "1 s blocks: a 600-block window",
			view: store.AdmissionView{SafeHead: head, SealedWaiting: 1, SealedBacklogOps: 4_000, WindowOps: 600_000,
				OldestUnacceptedFirstSafeBlock: ptr(9_995)}, opsPerBatch: 100,
			cfg: func(c *hotpath.AdmissionConfig) { c.SecondsPerBlock = 1 },
			want: hotpath.Admission{State: hotpath.AdmissionNormal, BacklogOps: 4_000, PostingRate: 1000,
				QueueDelay: 9, OldestAgeBlocks: 5, SealedWaiting: 1, RetryAfter: 1}},
		{name: "no safe head yet: no age",
			view:        store.AdmissionView{SealedWaiting: 1, SealedBacklogOps: 100, OldestUnacceptedFirstSafeBlock: ptr(5)},
			opsPerBatch: 100,
			want: hotpath.Admission{State: hotpath.AdmissionNormal, BacklogOps: 100, PostingRate: 1600.0 / 3,
				QueueDelay: 100 / (1600.0 / 3), SealedWaiting: 1, RetryAfter: 1}},
		{name: "ops per batch unknown (0) counts as 1: the rate stays positive",
			view: store.AdmissionView{SafeHead: head, SealedBacklogOps: 16}, opsPerBatch: 0,
			want: hotpath.Admission{State: hotpath.AdmissionNormal, BacklogOps: 16, PostingRate: 16.0 / 3,
				QueueDelay: 3, RetryAfter: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			if tc.cfg != nil {
				tc.cfg(&c)
			}
			got := hotpath.ComputeAdmission(tc.view, tc.tipOps, tc.opsPerBatch, c)
			tc.want.SoftBlocks, tc.want.HardBlocks = 360, 540
			require.InDelta(t, tc.want.PostingRate, got.PostingRate, 1e-9)
			require.InDelta(t, tc.want.QueueDelay, got.QueueDelay, 1e-9)
			got.PostingRate, got.QueueDelay = tc.want.PostingRate, tc.want.QueueDelay
			require.Equal(t, tc.want, got)
		})
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	cases := []struct {
		delay     float64
		soft, spb uint64
		want      int
	}{
		{541, 360, 12, 181 * 12},
		{540.5, 360, 1, 181},
		{360.01, 360, 12, 1}, // 0.12 s rounds up to 1
		{360, 360, 12, 1},    // never 0
		{100, 360, 12, 1},    // already under the soft line
		{math.NaN(), 360, 12, 1},
		{1e12, 360, 12, 86_400},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, hotpath.RetryAfterSeconds(tc.delay, tc.soft, tc.spb), "delay %v", tc.delay)
	}
}

func TestFeeSteps(t *testing.T) {
	cases := []struct {
		name      string
		k         int
		delay     float64
		policyFee uint16
		wantK     int
		wantFee   uint16
	}{
		{"normal stays at the policy fee", 0, 100, 1356, 0, 1356},
		{"at the soft line: one step up", 0, 360, 1356, 1, 1376},
		{"above it: another", 3, 500, 1356, 4, 1436},
		{"below it: one step down", 4, 359.9, 1356, 3, 1416},
		{"down to the policy fee, not below", 1, 0, 1356, 0, 1356},
		{"already at the policy fee", 0, 0, 1356, 0, 1356},
		{"near the maximum: the fee clamps", 5, 400, 17_000, 6, protocol.MaxFeeExponent},
		{"at the maximum the step stops growing", 6, 400, 17_000, 6, protocol.MaxFeeExponent},
		{"from the maximum, one step down leaves it", 6, 10, 17_000, 5, 17_100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := hotpath.NextFeeStep(tc.k, tc.delay, 360, tc.policyFee)
			require.Equal(t, tc.wantK, k)
			require.Equal(t, tc.wantFee, hotpath.SteppedFee(tc.policyFee, k))
		})
	}
}

// admissionEnv is a lane with small batches (3 wallet ops each) and lines at
// 20 and 40 blocks of queue delay; with a window of 100 batches per 150
// blocks the posting-rate floor is 2 ops per block, so every 2 ops in the
// backlog are one block of delay.
func admissionEnv(t *testing.T, adm hotpath.AdmissionConfig) *laneEnv {
	t.Helper()
	adm.Interval = 20 * time.Millisecond
	e := newEnv(t, envOptions{setup: smallBatches, maxBatchOpen: time.Hour, admission: adm})
	for u := 0; u < 2; u++ {
		e.deposit(u, 1_000_000_000, 1)
	}
	e.advance(5)
	require.NoError(t, e.l1.SetBatchSubmitter(context.Background(), submitter))
	e.waitIntake(true)
	return e
}

func (e *laneEnv) waitAdmission(what string, f func(a hotpath.Admission) bool) hotpath.Admission {
	e.t.Helper()
	require.Eventually(e.t, func() bool { return f(e.lane.Status().Admission) }, 10*time.Second, 5*time.Millisecond,
		"%s; admission %+v", what, e.lane.Status().Admission)
	return e.lane.Status().Admission
}

func (e *laneEnv) waitFee(fee uint16) {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		q, err := e.lane.Quote()
		return err == nil && q.Fee == fee
	}, 10*time.Second, 5*time.Millisecond, "want open frame fee %d; admission %+v", fee, e.lane.Status().Admission)
}

// acceptAll makes L1 accept every valid sealed batch not accepted yet, as the
// worker's observer records it: the batches as the submitter's inputs at
// block, which becomes the safe head.
func (e *laneEnv) acceptAll(block uint64) int {
	e.t.Helper()
	ctx := context.Background()
	obs := store.NewObserver(e.pool)
	st, err := obs.State(ctx)
	require.NoError(e.t, err)
	rows, err := e.pool.Query(ctx, `SELECT payload FROM batches WHERE sealed_at IS NOT NULL AND invalidated_at IS NULL
		AND nonce >= $1 ORDER BY nonce`, int64(st.AcceptedCount))
	require.NoError(e.t, err)
	var inputs []store.ObservedInput
	for rows.Next() {
		var payload []byte
		require.NoError(e.t, rows.Scan(&payload))
		inputs = append(inputs, store.ObservedInput{Index: st.NextInputIndex + uint64(len(inputs)), Sender: submitter,
			Payload: payload, BlockNumber: block, BlockTimestamp: uint64(time.Now().Unix())})
	}
	require.NoError(e.t, rows.Err())
	res, err := obs.Record(ctx, store.Observation{SafeBlock: block, SafeTimestamp: uint64(time.Now().Unix()),
		Inputs: inputs, Submitter: submitter, Now: time.Now()})
	require.NoError(e.t, err)
	require.Len(e.t, res.Accepted, len(inputs))
	e.block = block
	return len(inputs)
}

func counterValue(t *testing.T, reg *prometheus.Registry, name string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		m := mf.GetMetric()[0]
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue(), true
		case dto.MetricType_GAUGE:
			return m.GetGauge().GetValue(), true
		default:
			return 0, true
		}
	}
	return 0, false
}

// TestAdmissionWalk drives the lane through capacity.md §2 as the backlog
// rises and drains: normal → the fee steps up frame by frame → 429
// L1_BACKLOG with Retry-After → L1 accepts the backlog → normal, the fee
// stepping back down frame by frame to the policy fee.
func TestAdmissionWalk(t *testing.T) {
	const policyFee = 1356
	e := admissionEnv(t, hotpath.AdmissionConfig{SoftBlocks: 20, HardBlocks: 40, MaxInFlight: 100, ResendAfterBlocks: 150})
	a := e.waitAdmission("computed", func(a hotpath.Admission) bool { return a.PostingRate == 2 })
	require.Equal(t, hotpath.AdmissionNormal, a.State)
	require.Equal(t, uint64(20), a.SoftBlocks)
	require.Equal(t, uint64(40), a.HardBlocks)
	require.Equal(t, hotpath.FeeQuote{Fee: policyFee, RecommendedFee: policyFee}, e.quote())

	// 45 ops: 15 sealed batches waiting, the open one empty. 45 / 2 = 22.5
	// blocks of delay: over the soft line.
	nonce := uint32(0)
	for ; nonce < 45; nonce++ {
		_, err := e.submit(e.op(0, nonce, 1, e.addr(1)))
		require.NoError(t, err)
	}
	a = e.waitAdmission("fee_step", func(a hotpath.Admission) bool { return a.BacklogOps == 45 })
	require.Equal(t, hotpath.AdmissionFeeStep, a.State)
	require.Equal(t, uint64(15), a.SealedWaiting)
	require.InDelta(t, 22.5, a.QueueDelay, 1e-9)
	require.False(t, a.LargeBatches)

	// Each frame opened now costs 20 more than the last. The safe head's
	// moves age the oldest batch too: 27.5, 32.5, 37.5 blocks of delay.
	// (Seals after the delay crossed the line may have stepped already.)
	base := e.quote().Fee
	require.GreaterOrEqual(t, base, uint16(policyFee))
	for i := uint16(1); i <= 3; i++ {
		e.advance(e.block + protocol.FrameClockInterval)
		e.waitFee(base + 20*i)
		require.Equal(t, base+20*i, e.quote().RecommendedFee, "recommended_fee includes the step")
		require.Equal(t, hotpath.AdmissionFeeStep, e.lane.Status().Admission.State)
	}
	require.Equal(t, int(base+60-policyFee), e.lane.Status().Admission.FeeStep)

	// 42.5 blocks: at the hard line new ops are shed before the queue.
	e.advance(e.block + protocol.FrameClockInterval)
	e.waitFee(base + 80)
	a = e.waitAdmission("shedding", func(a hotpath.Admission) bool { return a.State == hotpath.AdmissionShedding })
	require.InDelta(t, 42.5, a.QueueDelay, 1e-9)
	require.Equal(t, uint64(20), a.OldestAgeBlocks)
	require.Equal(t, 270, a.RetryAfter, "(42.5 − 20) blocks × 12 s")
	_, err := e.submit(e.op(0, nonce, 1, e.addr(1)))
	var backlog *hotpath.BacklogError
	require.True(t, errors.As(err, &backlog), "%v", err)
	require.Equal(t, 270, backlog.RetryAfter)
	require.EqualError(t, err, "L1 backlog: queue delay 42 blocks at or above 40; retry in 270 s")
	shed, ok := counterValue(t, e.reg, "sequencer_admission_shed_total")
	require.True(t, ok)
	require.Equal(t, 1.0, shed)
	// Reads keep working; intake (the danger detector's) stays open.
	n, err := e.lane.NextNonce(e.addr(0))
	require.NoError(t, err)
	require.Equal(t, nonce, n)
	require.True(t, e.lane.Status().IntakeOpen)
	for name, want := range map[string]float64{
		"sequencer_admission_state": 2, "sequencer_admission_backlog_ops": 45, "sequencer_admission_queue_delay_blocks": 42.5,
		"sequencer_admission_posting_rate_ops_per_block": 2, "sequencer_admission_fee_step": float64(base + 80 - policyFee),
	} {
		v, ok := counterValue(t, e.reg, name)
		require.True(t, ok, name)
		require.Equal(t, want, v, name)
	}

	// L1 accepts the whole backlog: nothing waits, the delay is gone.
	require.Equal(t, 15, e.acceptAll(e.block+1))
	a = e.waitAdmission("normal", func(a hotpath.Admission) bool { return a.State == hotpath.AdmissionNormal })
	require.Zero(t, a.BacklogOps)
	require.Zero(t, a.QueueDelay)
	r, err := e.submit(e.op(0, nonce, 1, e.addr(1)))
	require.NoError(t, err)
	require.Equal(t, base+80, r.Fee, "the open frame keeps its fee")
	nonce++

	// Below the soft line each new frame steps down 20, to the policy fee.
	for fee := base + 60; ; fee -= 20 {
		e.advance(e.block + protocol.FrameClockInterval)
		e.waitFee(fee)
		if fee == policyFee {
			break
		}
	}
	e.advance(e.block + protocol.FrameClockInterval)
	require.Eventually(t, func() bool {
		var frames int
		require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM frames WHERE safe_block = $1`,
			int64(e.block)).Scan(&frames))
		return frames == 1
	}, 10*time.Second, 5*time.Millisecond)
	require.Equal(t, hotpath.FeeQuote{Fee: policyFee, RecommendedFee: policyFee}, e.quote())
	require.Zero(t, e.lane.Status().Admission.FeeStep)
	r, err = e.submit(e.op(0, nonce, 1, e.addr(1)))
	require.NoError(t, err)
	require.Equal(t, uint16(policyFee), r.Fee)

	// What L1 sees: the stored frames' fees never jump by more than a step.
	rows, err := e.pool.Query(context.Background(), `SELECT f.fee FROM frames f JOIN batches b ON b.id = f.batch_id
		ORDER BY b.nonce, f.position`)
	require.NoError(t, err)
	var fees []int
	for rows.Next() {
		var fee int
		require.NoError(t, rows.Scan(&fee))
		fees = append(fees, fee)
	}
	require.NoError(t, rows.Err())
	top := 0
	for i, f := range fees {
		top = max(top, f)
		if i > 0 {
			require.Contains(t, []int{-20, 0, 20}, f-fees[i-1], "frame %d: fees %v", i, fees)
		}
	}
	require.Equal(t, int(base+80), top)
	require.Equal(t, policyFee, fees[len(fees)-1])
}

// sealedBatches returns the valid sealed batches' op counts and payloads in
// nonce order.
func sealedBatches(t *testing.T, e *laneEnv) ([]int, [][]byte) {
	t.Helper()
	rows, err := e.pool.Query(context.Background(), `SELECT op_count, payload FROM batches
		WHERE sealed_at IS NOT NULL AND invalidated_at IS NULL ORDER BY nonce`)
	require.NoError(t, err)
	var (
		counts   []int
		payloads [][]byte
	)
	for rows.Next() {
		var (
			n       int
			payload []byte
		)
		require.NoError(t, rows.Scan(&n, &payload))
		counts, payloads = append(counts, n), append(payloads, payload)
	}
	require.NoError(t, rows.Err())
	return counts, payloads
}

// TestLargerBatchesUnderBacklog: with more than a window of sealed batches
// waiting, the lane seals at MaxBatchBytes of encoded payload instead of the
// economic target (3 ops here), never over it, also across a restart that
// rebuilds the open batch; with the submitter keeping up, the target holds.
func TestLargerBatchesUnderBacklog(t *testing.T) {
	const maxBytes = 8192
	// A wallet transfer encodes to 4 + 14 + 53 + 65 = 136 bytes.
	const worstOp = 136
	cases := []struct {
		name        string
		maxInFlight uint64
		large       bool
	}{
		{"submitter keeps up: the economic target", 100, false},
		{"more than a window waiting: up to MaxBatchBytes", 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := admissionEnv(t, hotpath.AdmissionConfig{MaxBatchBytes: maxBytes, MaxInFlight: tc.maxInFlight})
			nonce := uint32(0)
			submit := func(n int) {
				for i := 0; i < n; i++ {
					_, err := e.submit(e.op(0, nonce, 1, e.addr(1)))
					require.NoError(t, err)
					nonce++
				}
			}
			submit(6) // two batches at the target: one more than a window of 1
			e.waitAdmission("two sealed", func(a hotpath.Admission) bool { return a.SealedWaiting == 2 })
			submit(90)
			// A restart rebuilds the open batch (and its size) from the rows.
			e.stopLane()
			e.startLane(time.Hour)
			e.waitIntake(true)
			e.waitAdmission("recomputed", func(a hotpath.Admission) bool { return a.SealedWaiting >= 2 })
			submit(90)

			counts, payloads := sealedBatches(t, e)
			larger := 0
			for i, p := range payloads {
				require.LessOrEqual(t, len(p), maxBytes, "batch %d", i)
				b, err := protocol.DecodeBatch(p)
				require.NoError(t, err)
				ops := 0
				for _, f := range b.Frames {
					ops += len(f.UserOps)
				}
				require.Equal(t, counts[i], ops, "batch %d: stored op_count", i)
				if counts[i] > 3 {
					larger++
					require.Greater(t, len(p), maxBytes-worstOp-2*18, "batch %d: a large batch fills up to the cap", i)
				}
			}
			if !tc.large {
				require.Zero(t, larger, "op counts %v", counts)
				require.Len(t, counts, 62)
				return
			}
			require.Equal(t, []int{3, 3}, counts[:2], "the target until the backlog is seen")
			require.GreaterOrEqual(t, larger, 2, "op counts %v", counts)
			a := e.lane.Status().Admission
			require.True(t, a.LargeBatches)
			v, ok := counterValue(t, e.reg, "sequencer_admission_large_batches")
			require.True(t, ok)
			require.Equal(t, 1.0, v)
			require.Contains(t, counts, 59, "a 8192-byte batch holds 59 transfers")
		})
	}
}

// TestSealsDoNotStepTheFee: over the soft line, batches sealing at the same
// safe block keep the fee; only a frame the L1 clock opens steps it. (At
// every seal, a backlog of small batches sealing several times a second
// raised the fee by 1,600 in a minute on the dev stack.)
func TestSealsDoNotStepTheFee(t *testing.T) {
	const policyFee = 1356
	e := admissionEnv(t, hotpath.AdmissionConfig{SoftBlocks: 20, HardBlocks: 1000, MaxInFlight: 100, ResendAfterBlocks: 150})
	e.waitAdmission("computed", func(a hotpath.Admission) bool { return a.PostingRate == 2 })
	nonce := uint32(0)
	submit := func(n int) {
		for i := 0; i < n; i++ {
			_, err := e.submit(e.op(0, nonce, 1, e.addr(1)))
			require.NoError(t, err)
			nonce++
		}
	}
	submit(45) // 15 sealed batches: 22.5 blocks of delay, over the soft line
	e.waitAdmission("fee_step", func(a hotpath.Admission) bool {
		return a.BacklogOps == 45 && a.State == hotpath.AdmissionFeeStep
	})
	submit(30) // 10 more seals, all at the same safe block
	e.waitAdmission("seen", func(a hotpath.Admission) bool { return a.BacklogOps == 75 })
	require.Equal(t, uint16(policyFee), e.quote().Fee, "seals at one safe block keep the fee")
	e.advance(e.block + protocol.FrameClockInterval)
	e.waitFee(policyFee + 20)
}

// TestCatchUpFramesDoNotStepTheFee: in fee_step, a deposit wave drained
// over many bounded frames steps the fee once for the head's advance of one
// frame interval, not once per catch-up frame (which would climb by 20 per
// frame within seconds and refuse every op).
func TestCatchUpFramesDoNotStepTheFee(t *testing.T) {
	const policyFee = 1356
	adm := hotpath.AdmissionConfig{SoftBlocks: 20, HardBlocks: 1000, MaxInFlight: 100, ResendAfterBlocks: 150,
		Interval: 20 * time.Millisecond}
	e := newEnv(t, envOptions{setup: smallBatches, maxBatchOpen: time.Hour, admission: adm, maxDrain: 2})
	for u := 0; u < 2; u++ {
		e.deposit(u, 1_000_000_000, 1)
	}
	e.advance(5)
	require.NoError(t, e.l1.SetBatchSubmitter(context.Background(), submitter))
	e.waitIntake(true)
	e.waitAdmission("computed", func(a hotpath.Admission) bool { return a.PostingRate == 2 })
	for n := uint32(0); n < 45; n++ { // 15 sealed batches: over the soft line
		_, err := e.submit(e.op(0, n, 1, e.addr(1)))
		require.NoError(t, err)
	}
	e.waitAdmission("fee_step", func(a hotpath.Admission) bool { return a.State == hotpath.AdmissionFeeStep })
	require.Equal(t, uint16(policyFee), e.quote().Fee)

	// Twenty deposits, one per block, in the next frame interval: ten
	// bounded frames or more.
	var frames0 int
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM frames`).Scan(&frames0))
	for b := uint64(0); b < 20; b++ {
		e.deposit(1, 1, e.block+1+b/4)
	}
	e.advance(e.block + protocol.FrameClockInterval)
	require.Eventually(t, func() bool {
		var drained int
		require.NoError(t, e.pool.QueryRow(context.Background(),
			`SELECT count(*) FROM sequenced_l2_txs WHERE kind = 'direct_input'`).Scan(&drained))
		return drained == 22
	}, 10*time.Second, 10*time.Millisecond)
	var frames int
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM frames`).Scan(&frames))
	require.GreaterOrEqual(t, frames-frames0, 5, "the wave took several frames")
	require.Equal(t, uint16(policyFee+20), e.quote().Fee, "one step for one frame interval of L1 clock")
}
