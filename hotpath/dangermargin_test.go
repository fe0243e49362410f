package hotpath_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/store"
)

// TestDangerMargin: the worker's backlog-age and blocks-until-danger gauges
// agree with the detector: the age is measured from the oldest unaccepted
// batch (sealed, else open), the margin reaches 0 exactly where Classify
// starts reporting danger, and blocks estimated missed while the safe head
// is stuck count against it as DangerEstimated counts them.
func TestDangerMargin(t *testing.T) {
	cfg := hotpath.DangerConfig{MarginBlocks: 300, ReadStaleBlocks: 600, SecondsPerBlock: 12} // line: 900 blocks
	now := time.Unix(1_000_000, 0)
	view := func(closed, tip *uint64, sinceAdvance time.Duration) store.DangerView {
		return store.DangerView{
			SafeHead:             store.SafeHead{Known: true, Block: 10_000, Timestamp: uint64(now.Unix()) - 30, LastAdvance: now.Add(-sinceAdvance)},
			ClosedFirstSafeBlock: closed, TipFirstSafeBlock: tip,
		}
	}
	cases := []struct {
		name        string
		v           store.DangerView
		wantAge     uint64
		wantUntil   int64
		wantClassed hotpath.Danger
	}{
		{"no backlog: the whole line", view(nil, nil, time.Second), 0, 900, hotpath.DangerSafe},
		{"open batch only", view(nil, ptr(9_800), time.Second), 200, 700, hotpath.DangerSafe},
		{"sealed batch older than the tip", view(ptr(9_500), ptr(9_800), time.Second), 500, 400, hotpath.DangerSafe},
		{"one block before the line", view(ptr(9_101), nil, time.Second), 899, 1, hotpath.DangerSafe},
		{"at the line", view(ptr(9_100), nil, time.Second), 900, 0, hotpath.DangerClosedBatch},
		{"tip past the line", view(nil, ptr(9_000), time.Second), 1_000, -100, hotpath.DangerTip},
		{"safe head stuck 10 blocks: estimated", view(ptr(9_105), nil, 120*time.Second), 895, -5, hotpath.DangerEstimated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			age, until, ok := hotpath.DangerMargin(c.v, now, cfg)
			require.True(t, ok)
			require.Equal(t, c.wantAge, age)
			require.Equal(t, c.wantUntil, until)
			require.Equal(t, c.wantClassed, hotpath.Classify(c.v, now, cfg))
		})
	}
	_, _, ok := hotpath.DangerMargin(store.DangerView{}, now, cfg)
	require.False(t, ok, "no safe head yet: no margin to report")
}
