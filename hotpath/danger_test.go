package hotpath_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/store"
)

func ptr(v uint64) *uint64 { return &v }

func TestClassifyArmsInOrder(t *testing.T) {
	cfg := hotpath.DangerConfig{MarginBlocks: 300, ReadStaleBlocks: 600, SecondsPerBlock: 12}
	now := time.Unix(1_000_000, 0)
	// A healthy view: safe head 10,000 seen just now, a closed batch and a tip
	// well inside the window (limit = 1200 − 300 = 900 blocks).
	healthy := func() store.DangerView {
		return store.DangerView{
			SafeHead:             store.SafeHead{Known: true, Block: 10_000, Timestamp: uint64(now.Unix()) - 30, LastAdvance: now.Add(-5 * time.Second)},
			ClosedFirstSafeBlock: ptr(9_500),
			TipFirstSafeBlock:    ptr(9_800),
		}
	}
	cases := []struct {
		name string
		edit func(v *store.DangerView)
		now  time.Time
		want hotpath.Danger
	}{
		{"healthy", func(*store.DangerView) {}, now, hotpath.DangerSafe},
		{"no batches at all", func(v *store.DangerView) { v.ClosedFirstSafeBlock, v.TipFirstSafeBlock = nil, nil }, now, hotpath.DangerSafe},
		{"1 divergence wins over everything", func(v *store.DangerView) {
			v.Control.Divergence = "batch 3 hash differs"
			v.SafeHead.Known = false
		}, now, hotpath.DangerDivergence},
		{"2 no safe head yet", func(v *store.DangerView) { v.SafeHead = store.SafeHead{} }, now, hotpath.DangerL1Stale},
		{"2 safe block too old", func(v *store.DangerView) { v.SafeHead.Timestamp = uint64(now.Unix()) - 600*12 }, now, hotpath.DangerL1Stale},
		{"2 just under stale", func(v *store.DangerView) { v.SafeHead.Timestamp = uint64(now.Unix()) - 600*12 + 1 }, now, hotpath.DangerSafe},
		{"2 stale wins over a closed batch in danger", func(v *store.DangerView) {
			v.SafeHead.Timestamp = uint64(now.Unix()) - 600*12
			v.ClosedFirstSafeBlock = ptr(1)
		}, now, hotpath.DangerL1Stale},
		{"3 closed batch at the line", func(v *store.DangerView) { v.ClosedFirstSafeBlock = ptr(10_000 - 900) }, now, hotpath.DangerClosedBatch},
		{"3 closed batch one block inside", func(v *store.DangerView) { v.ClosedFirstSafeBlock = ptr(10_000 - 899) }, now, hotpath.DangerSafe},
		{"3 closed batch wins over the tip", func(v *store.DangerView) {
			v.ClosedFirstSafeBlock, v.TipFirstSafeBlock = ptr(9_000), ptr(9_000)
		}, now, hotpath.DangerClosedBatch},
		{"4 tip at the line", func(v *store.DangerView) { v.TipFirstSafeBlock = ptr(9_100) }, now, hotpath.DangerTip},
		{"4 tip wins over a clock fault", func(v *store.DangerView) {
			v.TipFirstSafeBlock = ptr(9_100)
			v.SafeHead.Timestamp = uint64(now.Unix()) + 12
		}, now, hotpath.DangerTip},
		{"5 safe block a block time in the future", func(v *store.DangerView) { v.SafeHead.Timestamp = uint64(now.Unix()) + 12 }, now, hotpath.DangerClockFault},
		{"5 safe block just under a block time ahead", func(v *store.DangerView) { v.SafeHead.Timestamp = uint64(now.Unix()) + 11 }, now, hotpath.DangerSafe},
		// At millisecond precision: now carries fractions of a second, the
		// safe block's timestamp does not.
		{"5 safe block 11.001 s ahead is not a block time", func(v *store.DangerView) { v.SafeHead.Timestamp = uint64(now.Unix()) + 12 },
			now.Add(999 * time.Millisecond), hotpath.DangerSafe},
		{"5 safe block 11.999 s ahead is not a block time", func(v *store.DangerView) { v.SafeHead.Timestamp = uint64(now.Unix()) + 12 },
			now.Add(time.Millisecond), hotpath.DangerSafe},
		{"5 safe block 12.001 s ahead is a block time", func(v *store.DangerView) { v.SafeHead.Timestamp = uint64(now.Unix()) + 12 },
			now.Add(-time.Millisecond), hotpath.DangerClockFault},
		{"5 now a block time behind the last advance", func(v *store.DangerView) { v.SafeHead.LastAdvance = now.Add(12 * time.Second) }, now, hotpath.DangerClockFault},
		{"6 stuck observation: estimated danger", func(v *store.DangerView) {
			// 200 blocks of margin left, 201 block times without an advance.
			v.ClosedFirstSafeBlock = ptr(10_000 - 700)
			v.SafeHead.LastAdvance = now.Add(-201 * 12 * time.Second)
			v.SafeHead.Timestamp = uint64(now.Unix()) - 100
		}, now, hotpath.DangerEstimated},
		{"6 estimate just short", func(v *store.DangerView) {
			v.ClosedFirstSafeBlock = ptr(10_000 - 700)
			v.SafeHead.LastAdvance = now.Add(-199 * 12 * time.Second)
			v.SafeHead.Timestamp = uint64(now.Unix()) - 100
		}, now, hotpath.DangerSafe},
		{"6 estimate on the tip", func(v *store.DangerView) {
			v.TipFirstSafeBlock = ptr(10_000 - 800)
			v.SafeHead.LastAdvance = now.Add(-100 * 12 * time.Second)
			v.SafeHead.Timestamp = uint64(now.Unix()) - 100
		}, now, hotpath.DangerEstimated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := healthy()
			tc.edit(&v)
			got := hotpath.Classify(v, tc.now, cfg)
			require.Equal(t, tc.want, got)
			require.Equal(t, got == hotpath.DangerClosedBatch || got == hotpath.DangerTip, got.Observed())
		})
	}
}

// TestIntakeFollowsTheDetector closes intake on a stale L1 view and on an
// aging tip, and reopens it when the view is healthy again.
func TestIntakeFollowsTheDetector(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{maxBatchOpen: time.Hour})
	e.deposit(0, 1_000_000, 1)
	e.advance(10)
	require.NoError(t, e.l1.SetBatchSubmitter(ctx, submitter))
	e.waitIntake(true)
	_, err := e.submit(e.op(0, 0, 1, e.addr(1)))
	require.NoError(t, err)

	// The safe block's timestamp is 2 h old: the L1 view is stale.
	require.NoError(t, e.l1.SetSafeHead(ctx, 10, time.Now().Add(-600*12*time.Second), time.Now()))
	e.waitIntake(false)
	require.Equal(t, string(hotpath.DangerL1Stale), e.lane.Status().Danger)
	_, err = e.submit(e.op(0, 1, 1, e.addr(1)))
	require.ErrorIs(t, err, hotpath.ErrUnavailable)

	e.advance(11)
	e.waitIntake(true)
	_, err = e.submit(e.op(0, 1, 1, e.addr(1)))
	require.NoError(t, err)

	// The safe head runs 900 blocks past the tip's first frame (block 10)
	// faster than the lane rotates it into a new batch: tip in danger.
	e.stopLane()
	e.advance(910)
	e.startLane(time.Hour)
	require.Eventually(t, func() bool { return e.lane.Danger() == hotpath.DangerTip }, 5*time.Second, 10*time.Millisecond)
	require.False(t, e.lane.Status().IntakeOpen)
	_, err = e.submit(e.op(0, 2, 1, e.addr(1)))
	require.ErrorIs(t, err, hotpath.ErrUnavailable)
}
