package feed

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func entries(from, to uint64) []Entry {
	var out []Entry
	for o := from; o <= to; o++ {
		out = append(out, Entry{Offset: o, Kind: KindUserOp})
	}
	return out
}

func TestHubDeliversAndCutsOffSlowConsumers(t *testing.T) {
	h := NewHub(10)
	fast, head := h.Subscribe(4)
	require.Equal(t, uint64(10), head)
	slow, _ := h.Subscribe(1)
	require.Equal(t, 2, h.Count())

	h.Publish(entries(11, 12))
	ev := <-fast.C
	require.Equal(t, entries(11, 12), ev.Entries)
	h.Publish(entries(13, 13)) // slow still holds the first event: its buffer is full
	require.Equal(t, uint64(13), h.Head())

	ev = <-fast.C
	require.Equal(t, uint64(13), ev.Entries[0].Offset)
	<-slow.C // the first event was delivered …
	_, open := <-slow.C
	require.False(t, open, "… then the slow subscriber was closed")
	require.True(t, slow.Overflowed())
	require.False(t, fast.Overflowed())
	require.Equal(t, 1, h.Count())

	h.Publish(nil) // nothing to publish: no event
	select {
	case ev := <-fast.C:
		t.Fatalf("unexpected event %+v", ev)
	default:
	}
	fast.Close()
	fast.Close() // idempotent
	require.Zero(t, h.Count())
}

func TestHubRewindClosesEverySubscriber(t *testing.T) {
	h := NewHub(5)
	a, _ := h.Subscribe(2)
	b, _ := h.Subscribe(2)
	h.Rewind(3, 7)
	for _, s := range []*Subscription{a, b} {
		ev := <-s.C
		require.True(t, ev.Rewound)
		require.Equal(t, uint64(3), ev.LastValidOffset)
		_, open := <-s.C
		require.False(t, open)
	}
	require.Equal(t, uint64(7), h.Head())
	require.Zero(t, h.Count())
	h.SetHead(9)
	_, head := h.Subscribe(1)
	require.Equal(t, uint64(9), head)
}

// TestHubSuspendAndRebuilt: Suspend closes every subscriber as Restarted and
// refuses new ones; Rebuilt keeps subscribers only when the database's head
// is the one they were served up to.
func TestHubSuspendAndRebuilt(t *testing.T) {
	h := NewHub(5)
	a, _ := h.Subscribe(4)
	h.Suspend()
	_, ok := <-a.C
	require.False(t, ok)
	require.True(t, a.Restarted())
	require.False(t, a.Overflowed())
	refused, head := h.Subscribe(4)
	require.True(t, refused.Restarted())
	_, ok = <-refused.C
	require.False(t, ok)
	require.Equal(t, uint64(5), head)
	require.Zero(t, h.Count())

	cases := []struct {
		name    string
		rebuilt uint64
		keeps   bool
	}{
		{"same head: nothing missed", 5, true},
		{"rows committed meanwhile", 7, false},
		{"head moved back", 4, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHub(5)
			s, _ := h.Subscribe(4)
			h.Rebuilt(tc.rebuilt)
			require.Equal(t, tc.rebuilt, h.Head())
			if tc.keeps {
				h.Publish([]Entry{{Offset: tc.rebuilt + 1}})
				ev := <-s.C
				require.Equal(t, tc.rebuilt+1, ev.Entries[0].Offset)
				require.False(t, s.Restarted())
				return
			}
			_, ok := <-s.C
			require.False(t, ok)
			require.True(t, s.Restarted())
			fresh, head := h.Subscribe(4)
			require.False(t, fresh.Restarted(), "the hub is live again")
			require.Equal(t, tc.rebuilt, head)
		})
	}
}
