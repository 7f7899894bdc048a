package bench_test

import (
	"context"
	"maps"
	"testing"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// One event about one disk costs the same API calls in a region with 5,000 pairs as in an empty
// one: at most 7 for a new pair (read the disk, find its secondary, create, read the new pair by
// ID, start, mark) and at most 2 for a disk already paired and marked (read the disk, read its
// pair by ID). Counted by the emulator, action by action; not timed.
func TestEventCostIndependentOfFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 5,000 pairs")
	}
	type cost map[string]int
	measure := func(t *testing.T, fleet int) (fresh, marked cost) {
		srv := emutest.Start(t, pairedWorld(1, fleet))
		h := eventHandler(t, srv)
		payload := readEvent(t, oneDiskEventFile) // names primaryID(0), unpaired
		for i, want := range []pairing.Outcome{pairing.Paired, pairing.AlreadyPaired} {
			before := maps.Clone(srv.Calls().Calls)
			report, err := h.Handle(context.Background(), handler.Invocation{RequestID: "cost"}, payload)
			if err != nil || len(report.Results) != 1 || report.Results[0].Outcome != want {
				t.Fatalf("delivery %d: %v %+v, want %s", i+1, err, report, want)
			}
			c := cost{}
			for action, n := range srv.Calls().Calls {
				if d := n - before[action]; d > 0 {
					c[action] = d
				}
			}
			if i == 0 {
				fresh = c
			} else {
				marked = c
			}
		}
		return fresh, marked
	}
	total := func(c cost) (n int) {
		for _, v := range c {
			n += v
		}
		return n
	}
	fresh0, marked0 := measure(t, 0)
	fresh5k, marked5k := measure(t, 5000)
	t.Logf("new pair: %v (empty region), %v (5,000 pairs)", fresh0, fresh5k)
	t.Logf("paired and marked: %v (empty region), %v (5,000 pairs)", marked0, marked5k)
	if !maps.Equal(fresh0, fresh5k) || total(fresh0) > 7 {
		t.Errorf("new pair: %d calls %v in an empty region, %d %v with 5,000 pairs; want the same, at most 7",
			total(fresh0), fresh0, total(fresh5k), fresh5k)
	}
	if !maps.Equal(marked0, marked5k) || total(marked0) > 2 {
		t.Errorf("paired and marked: %d calls %v in an empty region, %d %v with 5,000 pairs; want the same, at most 2",
			total(marked0), marked0, total(marked5k), marked5k)
	}
}
