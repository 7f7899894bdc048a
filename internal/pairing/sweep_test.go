package pairing_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
	"github.com/absr-autopair/absr-autopair/internal/pairing/fakecloud"
)

// sweepWorld puts n opted-in primaries in src, each with a back-referenced secondary in dst,
// plus noise: disks not opted in, and an unrelated back-reference.
func sweepWorld(n int) *fakecloud.Cloud {
	c := fakecloud.New()
	addBackReferenced(c, n)
	c.AddDisk(primary("d-off", "dr", "disabled"))
	c.AddDisk(secondary("d-orphan", pairing.TagPrimaryDisk, "d-deleted-long-ago"))
	return c
}

func pages(n, size int) int { return max(1, (n+size-1)/size) }

func TestSweep(t *testing.T) {
	const n = 100
	c := sweepWorld(n)
	e := pairing.New(c, testOptions())
	results, err := e.Sweep(context.Background(), []string{src})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != n {
		t.Fatalf("%d results, want %d (the opted-in disks)", len(results), n)
	}
	for i, r := range results {
		want := fmt.Sprintf("d-p%03d", i)
		if r.DiskID != want || r.Outcome != pairing.Paired || r.SecondaryDiskID != want+"-s" || !r.Started {
			t.Errorf("result %d: %+v, want %s paired with %s-s", i, r, want, want)
		}
	}
	calls := c.Calls()
	wantCalls := map[string]int{
		fakecloud.DisksByTag: pages(n, fakecloud.DefaultPageSize) + pages(n+1, fakecloud.DefaultPageSize), // opted-in disks; back-references in dst
		fakecloud.ListPairs:  2,                                                                           // src and dst, once each
		fakecloud.CreatePair: n, fakecloud.StartPair: n, fakecloud.TagDisks: n,
	}
	for m, w := range wantCalls {
		if calls[m] != w {
			t.Errorf("%s: %d calls, want %d", m, calls[m], w)
		}
	}
	if calls[fakecloud.DescribeDisks] != 0 {
		t.Errorf("%d DescribeDisks calls: the listings already read every disk", calls[fakecloud.DescribeDisks])
	}
	total := c.Total()
	t.Logf("sweep of %d disks: %d calls, %.2f per disk (%s)", n, total, float64(total)/n, fakecloud.SortedCalls(calls))

	// Second sweep: nothing left to do.
	c.ResetCalls()
	results, err = e.Sweep(context.Background(), []string{src})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Outcome != pairing.AlreadyPaired {
			t.Errorf("second sweep: %s %s/%s", r.DiskID, r.Outcome, r.Reason)
		}
	}
	if changingCalls(c) != 0 {
		t.Errorf("second sweep changed things: %s", fakecloud.SortedCalls(c.Calls()))
	}
	t.Logf("second sweep of %d paired disks: %d calls (%s)", n, c.Total(), fakecloud.SortedCalls(c.Calls()))
}

// TestCallsPerEvent reports the API calls one event for one disk costs, per secondary path.
func TestCallsPerEvent(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(c *fakecloud.Cloud, o *pairing.Options)
		want  int
	}{
		// DescribeDisks, DisksByTag, Create (which is also the check that neither disk is in a
		// pair: no listing), the new pair read by ID (is it created yet?), Start, Tag.
		{"back-reference", func(c *fakecloud.Cloud, o *pairing.Options) {
			c.AddDisk(primary("d-p"))
			c.AddDisk(secondary("d-s", pairing.TagPrimaryDisk, "d-p"))
		}, 6},
		// DescribeDisks x2 (primary, secondary), Create, PairsByID, Start, Tag.
		{"secondary tag", func(c *fakecloud.Cloud, o *pairing.Options) {
			c.AddDisk(primary("d-p", pairing.TagSecondaryDisk, "d-s"))
			c.AddDisk(secondary("d-s"))
		}, 6},
		// DescribeDisks x2 (primary, new secondary), ListPairs of the primary's region (nothing
		// is bought for a paired disk), DisksByTag, ReplicationZones (does the route's zone
		// replicate? before buying), CreateDisk, Create, PairsByID, Start, Tag.
		{"auto-create", func(c *fakecloud.Cloud, o *pairing.Options) {
			c.AddDisk(primary("d-p"))
			o.AutoCreateSecondary = true
		}, 10},
		// DescribeDisks.
		{"not opted in", func(c *fakecloud.Cloud, o *pairing.Options) {
			c.AddDisk(primary("d-p", "dr", "off", pairing.TagSecondaryDisk, "d-s"))
		}, 1},
		// DescribeDisks, ListPairs.
		{"already paired", func(c *fakecloud.Cloud, o *pairing.Options) {
			c.AddDisk(primary("d-p", pairing.TagReplicaPair, "pair-1"))
			c.AddPair(cloud.Pair{ID: "pair-1", Status: "normal", SourceDiskID: "d-p", SourceRegionID: src,
				DestinationDiskID: "d-s", DestinationRegionID: dst})
		}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fakecloud.New()
			o := testOptions()
			tc.setup(c, &o)
			r := pairOne(t, c, o, disksIn(src, "d-p"))
			if r.Outcome == pairing.Failed {
				t.Fatalf("%s/%s: %s", r.Outcome, r.Reason, r.Message)
			}
			if c.Total() != tc.want {
				t.Errorf("%d calls, want %d: %s", c.Total(), tc.want, fakecloud.SortedCalls(c.Calls()))
			}
			t.Logf("one event, one disk (%s): %d calls (%s)", tc.name, c.Total(), fakecloud.SortedCalls(c.Calls()))
		})
	}
}

// A region whose calls hang does not hold back another: the sweep returns by the deadline
// with the fast region done and the slow one's error.
func TestSweepSlowRegion(t *testing.T) { bubble(testSweepSlowRegion)(t) }

func testSweepSlowRegion(t *testing.T) {
	c := sweepWorld(5)
	d := primary("d-bj")
	d.RegionID = other
	c.AddDisk(d)
	c.DelayRegion(other, time.Hour)
	o := testOptions()
	o.Routes[other] = pairing.Route{Region: dst, Zone: dstZone}
	ctx := withTimeout(t, 1500*time.Millisecond)
	results, err := pairing.New(c, o).Sweep(ctx, []string{other, src, src})
	if ctx.Err() != nil {
		t.Error("Sweep returned after its context's deadline")
	}
	if err == nil || !strings.Contains(err.Error(), other) {
		t.Errorf("error %v, want one naming %s", err, other)
	}
	if len(results) != 5 {
		t.Fatalf("%d results, want the 5 disks of %s: %+v", len(results), src, results)
	}
	for _, r := range results {
		if r.RegionID != src || r.Outcome != pairing.Paired {
			t.Errorf("%s in %s: %s/%s", r.DiskID, r.RegionID, r.Outcome, r.Reason)
		}
	}
}

func TestSweepListingErrorAndCreatingDisk(t *testing.T) {
	c := sweepWorld(3)
	c.CreatingFor("d-p001", 2) // listed while Creating: re-read until ready
	c.Fail(fakecloud.DisksByTag, &cloud.Error{Kind: cloud.KindDenied, Code: "Forbidden.RAM", Message: "no ecs:DescribeDisks"}, 1)
	o := testOptions()
	o.Routes[other] = pairing.Route{Region: dst}
	// The first listing page fails: that of the first sweep, over a region with no disks.
	e := pairing.New(c, o)
	if _, err := e.Sweep(context.Background(), []string{other}); err == nil || !strings.Contains(err.Error(), "Forbidden.RAM") {
		t.Fatalf("error %v, want the listing's Forbidden.RAM", err)
	}
	results, err := e.Sweep(context.Background(), []string{src})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Outcome != pairing.Paired {
			t.Errorf("%s: %s/%s %s", r.DiskID, r.Outcome, r.Reason, r.Message)
		}
	}
	if n := c.Count(fakecloud.DescribeDisks); n != 2 {
		t.Errorf("%d DescribeDisks calls, want 2 (re-reads of the Creating disk)", n)
	}
}

func TestSweepRegionsValidated(t *testing.T) {
	e := pairing.New(fakecloud.New(), testOptions())
	for _, regions := range [][]string{nil, {}, {src, " "}} {
		if _, err := e.Sweep(context.Background(), regions); err == nil {
			t.Errorf("Sweep(%q) accepted", regions)
		}
	}
}

func BenchmarkSweep100(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		c := sweepWorld(100)
		e := pairing.New(c, testOptions())
		b.StartTimer()
		if _, err := e.Sweep(context.Background(), []string{src}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(c.Total())/100, "calls/disk")
	}
}

// Pages are paired as they come: a listing that fails part-way still pairs the disks of the
// pages before, and reports the listing's error.
func TestSweepPairsPagesAsListed(t *testing.T) {
	c := fakecloud.New()
	c.PageSize = 10
	for i := range 25 {
		id := fmt.Sprintf("d-p%03d", i)
		c.AddDisk(primary(id, pairing.TagSecondaryDisk, id+"-s")) // named: no back-reference listing
		c.AddDisk(secondary(id + "-s"))
	}
	c.FailNth(fakecloud.DisksByTag, 3, &cloud.Error{Kind: cloud.KindDenied, Code: "Forbidden.RAM", Message: "denied"})
	results, err := pairing.New(c, testOptions()).Sweep(context.Background(), []string{src})
	if err == nil || !strings.Contains(err.Error(), "Forbidden.RAM") || !strings.Contains(err.Error(), src) {
		t.Errorf("error %v, want the third page's Forbidden.RAM, naming %s", err, src)
	}
	if len(results) != 20 {
		t.Fatalf("%d results, want the 20 disks of the first two pages", len(results))
	}
	for _, r := range results {
		if r.Outcome != pairing.Paired {
			t.Errorf("%s: %s/%s %s", r.DiskID, r.Outcome, r.Reason, r.Message)
		}
	}
}

// A sweep cut by its deadline reports every disk it listed but did not finish as retryable
// deadline_exceeded and leaves no half-done or duplicate pair behind that the next sweep cannot
// finish; the next sweep pairs the rest and costs changing calls only for the rest.
func TestSweepDeadlineThenResume(t *testing.T) { bubble(testSweepDeadlineThenResume)(t) }

func testSweepDeadlineThenResume(t *testing.T) {
	const n = 200
	c := sweepWorld(n)
	for _, m := range fakecloud.Changing {
		c.Delay(m, 3*time.Millisecond) // 9 ms a disk, 4 at a time: about 450 ms for all
	}
	o := testOptions()
	o.Concurrency = 4
	e := pairing.New(c, o)

	results, err := e.Sweep(withTimeout(t, 150*time.Millisecond), []string{src})
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("first sweep: %v, want nil or a listing stopped at the deadline", err)
	}
	paired := map[string]bool{}
	for _, r := range results {
		switch {
		case r.Outcome == pairing.Paired:
			paired[r.DiskID] = true
		case r.Outcome == pairing.Failed && r.Reason == pairing.ReasonDeadlineExceeded && r.Retryable:
		default:
			t.Errorf("first sweep: %s %s/%s retryable=%v: %s", r.DiskID, r.Outcome, r.Reason, r.Retryable, r.Message)
		}
	}
	if len(paired) == n {
		t.Fatalf("the first sweep paired all %d disks: the deadline did not cut it", n)
	}
	t.Logf("first sweep: %d of %d paired, %d results, error %v", len(paired), n, len(results), err)

	c.ResetCalls()
	results, err = e.Sweep(context.Background(), []string{src})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != n {
		t.Fatalf("second sweep: %d results, want %d", len(results), n)
	}
	for _, r := range results {
		// A disk the first sweep reported paired is already_paired now. One it was cut short on
		// may have been started (and marked) after its result was written: the second sweep
		// finds that pair running, already_paired too, and pairs the rest.
		ok := r.Outcome == pairing.AlreadyPaired || r.Outcome == pairing.Paired && !paired[r.DiskID]
		if !ok {
			t.Errorf("second sweep: %s %s/%s, want already_paired, or paired if the first did not report it paired", r.DiskID, r.Outcome, r.Reason)
		}
	}
	left := n - len(paired)
	if got := changingCalls(c); got > 3*left {
		t.Errorf("second sweep: %d changing calls for the %d disks left, want at most %d (%s)",
			got, left, 3*left, fakecloud.SortedCalls(c.Calls()))
	}
	if got := c.Count(fakecloud.CreatePair); got > left {
		t.Errorf("second sweep: %d CreatePair calls for %d disks left", got, left)
	}
	bySource := map[string]int{}
	for _, p := range c.Pairs() {
		bySource[p.SourceDiskID]++
	}
	for i := range n {
		if id := fmt.Sprintf("d-p%03d", i); bySource[id] != 1 {
			t.Errorf("%s is the primary of %d pairs, want 1", id, bySource[id])
		}
	}
	t.Logf("second sweep: %d calls (%s)", c.Total(), fakecloud.SortedCalls(c.Calls()))
}

// panicking is a cloud whose method named by panicIn panics: a bug in an adapter must fail the
// disks it touches (retryably), never the process or the other disks.
type panicking struct {
	*fakecloud.Cloud
	panicIn string
}

func (p panicking) DisksByTag(ctx context.Context, region, key, value string, fn func([]cloud.Disk) error) error {
	if p.panicIn == fakecloud.DisksByTag {
		panic("DisksByTag bug")
	}
	return p.Cloud.DisksByTag(ctx, region, key, value, fn)
}

func (p panicking) ListPairs(ctx context.Context, region string) ([]cloud.Pair, error) {
	if p.panicIn == fakecloud.ListPairs {
		panic("ListPairs bug")
	}
	return p.Cloud.ListPairs(ctx, region)
}

func (p panicking) CreatePair(ctx context.Context, in cloud.CreatePairInput) (string, error) {
	if p.panicIn == fakecloud.CreatePair && in.DiskID == "d-p003" {
		panic("CreatePair bug")
	}
	return p.Cloud.CreatePair(ctx, in)
}

func TestSweepPanics(t *testing.T) {
	for _, tc := range []struct {
		method        string
		named         bool // secondaries named by tag: the pair listing is read while dispatching
		wantErr       bool
		wantResults   int
		wantPanicked  int // results failed internal_error
		wantPairedMin int
	}{
		{method: fakecloud.DisksByTag, wantErr: true},
		{method: fakecloud.ListPairs, named: true, wantErr: true, wantResults: 20, wantPanicked: 20},
		{method: fakecloud.CreatePair, wantResults: 20, wantPanicked: 1, wantPairedMin: 19},
	} {
		t.Run(tc.method, func(t *testing.T) {
			c := fakecloud.New()
			for i := range 20 {
				id := fmt.Sprintf("d-p%03d", i)
				if tc.named {
					c.AddDisk(primary(id, pairing.TagSecondaryDisk, id+"-s"))
					c.AddDisk(secondary(id + "-s"))
				} else {
					c.AddDisk(primary(id))
					c.AddDisk(secondary(id+"-s", pairing.TagPrimaryDisk, id))
				}
			}
			results, err := pairing.New(panicking{c, tc.method}, testOptions()).Sweep(withTimeout(t, 10*time.Second), []string{src})
			if (err != nil) != tc.wantErr || err != nil && !strings.Contains(err.Error(), "panic") {
				t.Errorf("error %v, want one: %v (naming the panic)", err, tc.wantErr)
			}
			if len(results) != tc.wantResults {
				t.Fatalf("%d results, want %d", len(results), tc.wantResults)
			}
			panicked, paired := 0, 0
			for _, r := range results {
				switch {
				case r.Outcome == pairing.Failed && r.Reason == pairing.ReasonInternalError && r.Retryable:
					panicked++
				case r.Outcome == pairing.Paired:
					paired++
				}
			}
			if panicked != tc.wantPanicked || paired < tc.wantPairedMin {
				t.Errorf("%d failed internal_error, %d paired; want %d and at least %d", panicked, paired, tc.wantPanicked, tc.wantPairedMin)
			}
		})
	}
}
