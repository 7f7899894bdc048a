package pairing_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
	"github.com/absr-autopair/absr-autopair/internal/pairing/fakecloud"
)

// mixedWorld has one disk for each way to need work: mapping, tag, back-reference,
// auto-create, a pair left created and unmarked, plus one skipped disk.
func mixedWorld(c *fakecloud.Cloud, o *pairing.Options) []string {
	c.AddDisk(primary("d-map"))
	c.AddDisk(secondary("d-map-s"))
	o.Pairs = map[string]pairing.SecondaryRef{"d-map": {DiskID: "d-map-s", Region: dst}}
	c.AddDisk(primary("d-tag", pairing.TagSecondaryDisk, "d-tag-s"))
	c.AddDisk(secondary("d-tag-s"))
	c.AddDisk(primary("d-back"))
	c.AddDisk(secondary("d-back-s", pairing.TagPrimaryDisk, "d-back"))
	c.AddDisk(primary("d-auto"))
	o.AutoCreateSecondary = true
	c.AddDisk(primary("d-heal"))
	c.AddDisk(secondary("d-heal-s"))
	c.AddPair(cloud.Pair{ID: "pair-heal", Status: "created", SourceDiskID: "d-heal", SourceRegionID: src,
		DestinationDiskID: "d-heal-s", DestinationRegionID: dst})
	c.AddDisk(primary("d-off", "dr", "no"))
	return []string{"d-map", "d-tag", "d-back", "d-auto", "d-heal", "d-off"}
}

func TestDryRunChangesNothing(t *testing.T) {
	c := fakecloud.New()
	o := testOptions()
	ids := mixedWorld(c, &o)
	o.DryRun = true
	results := pairing.New(c, o).Pair(context.Background(), []pairing.Target{disksIn(src, ids...)})
	if n := changingCalls(c); n != 0 {
		t.Fatalf("dry run made %d changing calls: %s", n, fakecloud.SortedCalls(c.Calls()))
	}
	want := map[string]pairing.Outcome{"d-map": pairing.Planned, "d-tag": pairing.Planned, "d-back": pairing.Planned,
		"d-auto": pairing.Planned, "d-heal": pairing.Planned, "d-off": pairing.Skipped}
	for _, r := range results {
		if r.Outcome != want[r.DiskID] {
			t.Errorf("%s: %s/%s (%s), want %s", r.DiskID, r.Outcome, r.Reason, r.Message, want[r.DiskID])
		}
		if r.Outcome == pairing.Planned && !strings.Contains(r.Message, "would") {
			t.Errorf("%s: planned message %q does not say what it would do", r.DiskID, r.Message)
		}
	}
	if len(results) != len(ids) {
		t.Errorf("%d results for %d disks", len(results), len(ids))
	}

	// The same world, for real, pairs what was planned.
	o.DryRun = false
	for _, r := range pairing.New(c, o).Pair(context.Background(), []pairing.Target{disksIn(src, ids...)}) {
		if want[r.DiskID] == pairing.Planned && r.Outcome != pairing.Paired {
			t.Errorf("%s: planned, then %s/%s (%s)", r.DiskID, r.Outcome, r.Reason, r.Message)
		}
	}
}

func TestIdempotentSecondRun(t *testing.T) {
	c := fakecloud.New()
	o := testOptions()
	ids := mixedWorld(c, &o)
	e := pairing.New(c, o)
	first := e.Pair(context.Background(), []pairing.Target{disksIn(src, ids...)})
	pairs := len(c.Pairs())
	c.ResetCalls()
	second := e.Pair(context.Background(), []pairing.Target{disksIn(src, ids...)})
	if n := changingCalls(c); n != 0 {
		t.Errorf("second run made %d changing calls: %s", n, fakecloud.SortedCalls(c.Calls()))
	}
	if len(c.Pairs()) != pairs {
		t.Errorf("pairs went from %d to %d", pairs, len(c.Pairs()))
	}
	for i, r := range second {
		if first[i].Outcome == pairing.Paired {
			if r.Outcome != pairing.AlreadyPaired || r.ReplicaPairID != first[i].ReplicaPairID || !r.Started {
				t.Errorf("%s: second run %s %s started=%v, want already_paired %s started", r.DiskID, r.Outcome, r.ReplicaPairID, r.Started, first[i].ReplicaPairID)
			}
		}
	}
}

// Twenty invocations for the same disk at once (duplicate deliveries) make one pair: the
// fake refuses a second pair per disk, and the shared ClientToken makes the racing creates
// answer with the first pair.
func TestConcurrentDuplicatesConverge(t *testing.T) {
	c := fakecloud.New()
	c.AddDisk(primary("d-p"))
	c.AddDisk(secondary("d-s", pairing.TagPrimaryDisk, "d-p"))
	c.Delay(fakecloud.ListPairs, 5*time.Millisecond) // all of them see "not paired yet"
	e := pairing.New(c, testOptions())
	var wg sync.WaitGroup
	results := make([]pairing.Result, 20)
	for i := range results {
		wg.Go(func() { results[i] = pairOneResult(e, disksIn(src, "d-p")) })
	}
	wg.Wait()
	pairs := c.Pairs()
	if len(pairs) != 1 {
		t.Fatalf("%d pairs, want 1: %+v", len(pairs), pairs)
	}
	for _, r := range results {
		if (r.Outcome != pairing.Paired && r.Outcome != pairing.AlreadyPaired) || r.ReplicaPairID != pairs[0].ID {
			t.Errorf("result %s/%s %s (%s), want paired or already_paired with %s", r.Outcome, r.Reason, r.ReplicaPairID, r.Message, pairs[0].ID)
		}
	}
	if pairs[0].Status != "initial_syncing" {
		t.Errorf("pair status %s", pairs[0].Status)
	}
	t.Logf("20 concurrent invocations: %s", fakecloud.SortedCalls(c.Calls()))
}

func pairOneResult(e *pairing.Engine, target pairing.Target) pairing.Result {
	res := e.Pair(context.Background(), []pairing.Target{target})
	if len(res) != 1 {
		return pairing.Result{Outcome: "wrong result count", Message: fmt.Sprint(res)}
	}
	return res[0]
}

func TestDeadline(t *testing.T) { bubble(testDeadline)(t) }

func testDeadline(t *testing.T) {
	c := fakecloud.New()
	ids := addBackReferenced(c, 10)
	c.Delay(fakecloud.CreatePair, time.Hour)
	o := testOptions()
	o.Concurrency = 2
	ctx := withTimeout(t, 1500*time.Millisecond)
	results := pairing.New(c, o).Pair(ctx, []pairing.Target{disksIn(src, ids...)})
	if ctx.Err() != nil {
		t.Errorf("Pair returned after its context's deadline")
	}
	if len(results) != len(ids) {
		t.Fatalf("%d results for %d disks", len(results), len(ids))
	}
	for _, r := range results {
		if r.Outcome != pairing.Failed || r.Reason != pairing.ReasonDeadlineExceeded || !r.Retryable {
			t.Errorf("%s: %s/%s retryable=%v, want failed deadline_exceeded retryable", r.DiskID, r.Outcome, r.Reason, r.Retryable)
		}
	}
	if n := c.Count(fakecloud.CreatePair); n != 2 {
		t.Errorf("%d CreatePair calls started, want 2 (Concurrency): no new disk starts near the deadline", n)
	}
	// Nothing the call started outlives its deadline by more than a moment.
	deadline, _ := ctx.Deadline()
	time.Sleep(time.Until(deadline) + time.Second)
	synctest.Wait()
	if left := bubbleGoroutines(); len(left) > 0 {
		t.Errorf("%d goroutines outlive Pair and its deadline:\n%s", len(left), strings.Join(left, "\n\n"))
	}
}

// bubbleGoroutines returns the stacks of the goroutines of the caller's synctest bubble other
// than the caller and the bubble's own (testing/synctest's): what the test started and has not
// seen end.
// (runtime.NumGoroutine would count the whole process, whose other goroutines keep real time.)
func bubbleGoroutines() []string {
	self := make([]byte, 1024)
	self = self[:runtime.Stack(self, false)]
	header, _, _ := strings.Cut(string(self), "\n")
	i := strings.Index(header, "synctest bubble ")
	if i < 0 {
		panic("bubbleGoroutines called outside a synctest bubble")
	}
	label := header[i : i+strings.IndexAny(header[i:], ",]")]
	all := make([]byte, 1<<20)
	all = all[:runtime.Stack(all, true)]
	var out []string
	for _, g := range strings.Split(string(all), "\n\n") {
		h, _, _ := strings.Cut(g, "\n")
		if h == header || strings.Contains(g, "testingSynctestTest") || strings.Contains(g, "internal/synctest.Run(") {
			continue
		}
		if strings.Contains(h, label+"]") || strings.Contains(h, label+",") {
			out = append(out, g)
		}
	}
	return out
}

func TestConcurrencyBound(t *testing.T) { bubble(testConcurrencyBound)(t) }

func testConcurrencyBound(t *testing.T) {
	c := fakecloud.New()
	ids := addBackReferenced(c, 30)
	c.Delay(fakecloud.CreatePair, 10*time.Millisecond)
	c.Delay(fakecloud.DisksByTag, 2*time.Millisecond)
	o := testOptions()
	o.Concurrency = 3
	for _, r := range pairing.New(c, o).Pair(context.Background(), []pairing.Target{disksIn(src, ids...)}) {
		if r.Outcome != pairing.Paired {
			t.Errorf("%s: %s/%s %s", r.DiskID, r.Outcome, r.Reason, r.Message)
		}
	}
	if m := c.MaxInFlight(""); m > 3 {
		t.Errorf("%d calls in flight at once, want <= 3", m)
	}
	if m := c.MaxInFlight(fakecloud.CreatePair); m < 2 {
		t.Errorf("at most %d CreatePair in flight: disks ran one at a time", m)
	}
}

// A sweep (and a dry run) lists each region's pairs once, however many disks ask; an event
// lists none (CreateDiskReplicaPair is the check).
func TestPairListingOncePerRegion(t *testing.T) {
	for _, dryRun := range []bool{false, true} {
		t.Run(fmt.Sprintf("dryRun=%v", dryRun), func(t *testing.T) { testPairListingOncePerRegion(t, dryRun) })
	}
}

func testPairListingOncePerRegion(t *testing.T, dryRun bool) {
	c := fakecloud.New()
	var ids []string
	for i := range 12 {
		id := fmt.Sprintf("d-p%02d", i)
		ids = append(ids, id)
		c.AddDisk(primary(id, pairing.TagSecondaryDisk, id+"-s"))
		c.AddDisk(secondary(id + "-s"))
	}
	c.Delay(fakecloud.ListPairs, 5*time.Millisecond) // concurrent disks ask while it runs
	o := testOptions()
	o.DryRun = dryRun
	results := pairing.New(c, o).Pair(context.Background(), []pairing.Target{disksIn(src, ids...)})
	want, listings := pairing.Paired, 0
	if dryRun {
		want, listings = pairing.Planned, 2 // source and destination region once each
	}
	for _, r := range results {
		if r.Outcome != want {
			t.Errorf("%s: %s/%s %s", r.DiskID, r.Outcome, r.Reason, r.Message)
		}
	}
	if n := c.Count(fakecloud.ListPairs); n != listings {
		t.Errorf("ListPairs called %d times, want %d", n, listings)
	}
	if n := c.Count(fakecloud.DescribeDisks); n != 2 {
		t.Errorf("DescribeDisks called %d times, want 2 (primaries, then named secondaries, batched)", n)
	}
}

func TestDedupAndInvalidTargets(t *testing.T) {
	c := fakecloud.New()
	c.AddDisk(primary("d-a"))
	c.AddDisk(secondary("d-a-s", pairing.TagPrimaryDisk, "d-a"))
	c.AddDisk(primary("d-b"))
	results := pairing.New(c, testOptions()).Pair(context.Background(), []pairing.Target{
		{Region: src, DiskIDs: []string{"d-a", "d-b", "d-a", " "}},
		{Region: src, DiskIDs: []string{"d-b"}, InstanceIDs: []string{"i-web"}},
		{DiskIDs: []string{"d-c"}},
	})
	var got []string
	for _, r := range results {
		got = append(got, r.DiskID+":"+string(r.Outcome)+"/"+r.Reason)
	}
	want := []string{"d-a:paired/", "d-b:skipped/no_secondary", "d-c:failed/invalid_target"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("results %v, want %v", got, want)
	}
	if n := c.Count(fakecloud.CreatePair); n != 1 {
		t.Errorf("%d CreatePair calls, want 1", n)
	}
}

func TestInstanceTargets(t *testing.T) {
	newWorld := func() *fakecloud.Cloud {
		c := fakecloud.New()
		sys := primary("d-sys")
		sys.Type, sys.InstanceID = "system", "i-new"
		delete(sys.Tags, "dr")
		c.AddDisk(sys)
		data := primary("d-data")
		data.InstanceID = "i-new"
		c.AddDisk(data)
		c.AddDisk(secondary("d-data-s", pairing.TagPrimaryDisk, "d-data"))
		return c
	}
	check := func(t *testing.T, results []pairing.Result) {
		t.Helper()
		got := map[string]string{}
		for _, r := range results {
			got[r.DiskID] = string(r.Outcome) + "/" + r.Reason
			if r.InstanceID != "i-new" {
				t.Errorf("%s: instance %q, want i-new", r.DiskID, r.InstanceID)
			}
		}
		if len(results) != 2 || got["d-sys"] != "skipped/not_opted_in" || got["d-data"] != "paired/" {
			t.Errorf("results %v", got)
		}
	}

	t.Run("existing instance", bubble(func(t *testing.T) {
		c := newWorld()
		check(t, pairing.New(c, testOptions()).Pair(context.Background(),
			[]pairing.Target{{Region: src, InstanceIDs: []string{"i-new"}}}))
		if n := c.Count(fakecloud.DescribeDisks); n != 0 {
			t.Errorf("%d DescribeDisks calls: the instance listing already read the disks", n)
		}
	}))
	t.Run("new instance whose disks show late and are Creating", bubble(func(t *testing.T) {
		c := newWorld()
		c.Hide("d-sys", 3)
		c.Hide("d-data", 3)
		c.CreatingFor("d-data", 2)
		check(t, pairing.New(c, testOptions()).Pair(context.Background(),
			[]pairing.Target{{Region: src, InstanceIDs: []string{"i-new"}, Created: true}}))
		if n := c.Count(fakecloud.InstanceDisks); n != 4 {
			t.Errorf("%d InstanceDisks calls, want 4 (3 empty, then the disks)", n)
		}
	}))
	t.Run("new instance whose disks never show", bubble(func(t *testing.T) {
		c := fakecloud.New()
		res := pairing.New(c, testOptions()).Pair(context.Background(),
			[]pairing.Target{{Region: src, InstanceIDs: []string{"i-ghost"}, Created: true}})
		if len(res) != 1 || res[0].InstanceID != "i-ghost" || res[0].DiskID != "" ||
			res[0].Reason != pairing.ReasonInstanceDisksMissing || !res[0].Retryable {
			t.Errorf("results %+v", res)
		}
	}))
	t.Run("old instance without disks", bubble(func(t *testing.T) {
		c := fakecloud.New()
		res := pairing.New(c, testOptions()).Pair(context.Background(),
			[]pairing.Target{{Region: src, InstanceIDs: []string{"i-ghost"}}})
		if len(res) != 1 || res[0].Outcome != pairing.Skipped || res[0].Reason != pairing.ReasonNoDisks || res[0].Retryable {
			t.Errorf("results %+v", res)
		}
	}))
	t.Run("listing error", bubble(func(t *testing.T) {
		c := newWorld()
		c.Fail(fakecloud.InstanceDisks, &cloud.Error{Kind: cloud.KindThrottled, Code: "Throttling.User", Retryable: true}, -1)
		res := pairing.New(c, testOptions()).Pair(context.Background(),
			[]pairing.Target{{Region: src, InstanceIDs: []string{"i-new"}}})
		if len(res) != 1 || res[0].Reason != pairing.ReasonThrottled || !res[0].Retryable {
			t.Errorf("results %+v", res)
		}
	}))
}

// Two primaries naming the same secondary in one invocation: one pairs, the other is told.
func TestSecondaryClaimedOnce(t *testing.T) {
	c := fakecloud.New()
	c.AddDisk(primary("d-a", pairing.TagSecondaryDisk, "d-s"))
	c.AddDisk(primary("d-b", pairing.TagSecondaryDisk, "d-s"))
	c.AddDisk(secondary("d-s"))
	got := map[string]int{}
	for _, r := range pairing.New(c, testOptions()).Pair(context.Background(), []pairing.Target{disksIn(src, "d-a", "d-b")}) {
		got[string(r.Outcome)+"/"+r.Reason]++
	}
	if got["paired/"] != 1 || got["failed/secondary_in_pair"] != 1 {
		t.Errorf("outcomes %v", got)
	}
}

func TestInvalidOptions(t *testing.T) {
	o := testOptions()
	o.ChargeType = "FREE"
	e := pairing.New(fakecloud.New(), o)
	if e.Err() == nil || !strings.Contains(e.Err().Error(), "ChargeType") {
		t.Fatalf("Err() = %v", e.Err())
	}
	res := e.Pair(context.Background(), []pairing.Target{disksIn(src, "d-a"), {Region: src, InstanceIDs: []string{"i-1"}}})
	if len(res) != 2 || res[0].Reason != pairing.ReasonInvalidOptions || res[1].Reason != pairing.ReasonInvalidOptions || res[1].InstanceID != "i-1" {
		t.Errorf("results %+v", res)
	}
	if _, err := e.Sweep(context.Background(), []string{src}); err == nil {
		t.Error("Sweep ran with invalid options")
	}
	if pairing.New(nil, testOptions()).Err() == nil {
		t.Error("New accepted a nil API")
	}
}
