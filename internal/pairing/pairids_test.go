package pairing_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/cloud/alibaba"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
	"github.com/absr-autopair/absr-autopair/internal/pairing/fakecloud"
)

// An event about a disk marked dr:replica-pair=<id> reads that pair by ID (EBS PairIds) instead
// of the region's pair listing. Each case runs the same event twice, each against a fresh copy
// of the same emulated world: through the real adapter, and through one whose PairsByID is
// unsupported (the engine's listing path, what every event did before). Both runs must decide
// the same and leave the same world; only the pair reads differ.

// noPairIDs hides the by-ID lookup, as the legacy family does: the engine lists as before.
type noPairIDs struct{ cloud.API }

func (noPairIDs) PairsByID(context.Context, string, []string) ([]cloud.Pair, error) {
	return nil, &cloud.Error{Kind: cloud.KindUnsupported, Code: "Client.Unsupported", Message: "hidden by the test"}
}

const (
	markedDisk = "d-bp1marked"
	markedSec  = "d-uf6marked"
	markedPair = "pair-cn-mine"
	fleetPairs = 600 // other pairs in src: the EBS listing is 2 production pages of 500 and 1 backup page
)

// markedWorld: markedDisk tagged dr:replica-pair=mark, in a pair markedPair (status) with
// markedSec unless status is "" (then a deleted pair pair-cn-gone that markedDisk was once
// in); another disk's pair pair-cn-theirs; and fleetPairs more pairs in src. legacy builds
// every pair in the 2014-05-26 family instead.
func markedWorld(legacy bool, status, mark string) *emulator.State {
	pair := emutest.Pair
	if legacy {
		pair = emutest.LegacyPair
	}
	p := emutest.Disk(markedDisk, srcZone, emutest.OptIn(), emutest.Attached("i-bp1web"),
		emutest.Tags(pairing.TagReplicaPair, mark))
	s := emutest.Secondary(p, markedSec, dstZone)
	theirs := emutest.Disk("d-bp1theirs", srcZone, emutest.OptIn())
	theirsSec := emutest.Secondary(theirs, "d-uf6theirs", dstZone)
	old := emutest.Secondary(p, "d-uf6old", dstZone)
	disks := []emulator.Disk{p, s, theirs, theirsSec, old}
	theirStatus := "normal"
	if legacy {
		theirStatus = "active"
	}
	pairs := []emulator.Pair{pair("pair-cn-theirs", theirs, theirsSec, theirStatus)}
	if status != "" {
		pairs = append(pairs, pair(markedPair, p, s, status))
	} else if !legacy {
		// The emulator holds a disk in one pair, deleted ones included: only without a live one.
		pairs = append(pairs, pair("pair-cn-gone", p, old, "deleted"))
	}
	for i := range fleetPairs {
		fp := emutest.Disk(fmt.Sprintf("d-bp1fleet%04d", i), srcZone, emutest.Attached("i-bp1fleet"))
		fs := emutest.Secondary(fp, fmt.Sprintf("d-uf6fleet%04d", i), dstZone)
		disks = append(disks, fp, fs)
		pairs = append(pairs, pair(fmt.Sprintf("pair-cn-fleet%04d", i), fp, fs, theirStatus))
	}
	st := emutest.World(disks...)
	st.Pairs = pairs
	return st
}

// pairReads is how many DescribeDiskReplicaPairs requests srv has answered, both families.
func pairReads(srv *emulator.Server) int {
	c := srv.Calls().Calls
	return c["ebs/DescribeDiskReplicaPairs"] + c["ecs/DescribeDiskReplicaPairs"]
}

// decided is a result without what differs from run to run (request IDs, duration).
func decided(r pairing.Result) pairing.Result {
	r.RequestIDs, r.Duration = nil, 0
	if age := r.RecoveryPointAgeSeconds; age != nil {
		// Read at another moment of another emulator, whose normal pairs' recovery points keep up
		// with the clock (whole seconds): fresh is all that can be compared.
		fresh := int64(-1)
		if *age < 60 {
			fresh = 0
		}
		r.RecoveryPointAgeSeconds = &fresh
	}
	return r
}

// worldAfter is what the cloud holds of interest after a run: every pair and every disk's tags.
func worldAfter(srv *emulator.Server) (pairs []string, tags map[string]map[string]string) {
	// Settle every transient status (a started pair is initial_syncing for a second of the
	// emulator's clock), so that two worlds compare by what was done to them, not by when.
	srv.Advance(10 * time.Second)
	snap := srv.Snapshot()
	for _, p := range snap.Pairs {
		status := p.Status
		if status == "initial_syncing" {
			// A started pair reads normal one second (emulator time) after its start: which of the
			// two a snapshot shows depends on how long ago the run started it, not on the run.
			status = "normal"
		}
		pairs = append(pairs, fmt.Sprintf("%s %s->%s %s", p.ReplicaPairID, p.SourceDiskID, p.DestinationDiskID, status))
	}
	tags = map[string]map[string]string{}
	for _, d := range snap.Disks {
		tags[d.DiskID] = d.Tags
	}
	return pairs, tags
}

func TestMarkedPairByID(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the emulator")
	}
	cases := []struct {
		name        string
		family      string
		status      string // of markedPair; "" for none
		mark        string
		want        pairing.Outcome
		wantStarted bool
		byID        bool // confirmed by ID: one pair read, no listing
	}{
		{"marked, started pair", alibaba.APIEBS, "normal", markedPair, pairing.AlreadyPaired, true, true},
		{"marked, pair never started", alibaba.APIEBS, "created", markedPair, pairing.Paired, true, true},
		{"marked, pair stopped on purpose", alibaba.APIEBS, "stopped", markedPair, pairing.AlreadyPaired, false, true},
		{"marked, pair needs an operator", alibaba.APIEBS, "create_failed", markedPair, pairing.AlreadyPaired, false, true},
		{"stale mark: another disk's pair", alibaba.APIEBS, "normal", "pair-cn-theirs", pairing.AlreadyPaired, true, false},
		{"stale mark: no such pair", alibaba.APIEBS, "normal", "pair-cn-nosuch", pairing.AlreadyPaired, true, false},
		{"stale mark: deleted pair, in no pair now", alibaba.APIEBS, "", "pair-cn-gone", pairing.Skipped, false, false},
		{"legacy family, started pair", alibaba.APIECS, "active", markedPair, pairing.AlreadyPaired, true, false},
		{"legacy family, pair never started", alibaba.APIECS, "inactive", markedPair, pairing.Paired, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			legacy := tc.family == alibaba.APIECS
			ctx := withTimeout(t, 30*time.Second)
			event := []pairing.Target{{Region: src, DiskIDs: []string{markedDisk}}}

			run := func(wrap func(cloud.API) cloud.API) (*emulator.Server, cloud.API, pairing.Result) {
				srv := emutest.Start(t, markedWorld(legacy, tc.status, tc.mark))
				api := emulatorAPI(t, srv, tc.family, 3)
				results := pairing.New(wrap(api), testOptions()).Pair(ctx, event)
				if len(results) != 1 {
					t.Fatalf("%d results, want 1: %+v", len(results), results)
				}
				return srv, api, results[0]
			}
			byIDSrv, _, got := run(func(api cloud.API) cloud.API { return api })
			listSrv, listAPI, before := run(func(api cloud.API) cloud.API { return noPairIDs{api} })

			if got.Outcome != tc.want || got.Started != tc.wantStarted {
				t.Errorf("%s/%s started=%v %q, want %s started=%v", got.Outcome, got.Reason, got.Started, got.Message, tc.want, tc.wantStarted)
			}
			if !reflect.DeepEqual(decided(got), decided(before)) {
				t.Errorf("decided differently from the listing path:\n got %+v\nwant %+v", decided(got), decided(before))
			}
			gotPairs, gotTags := worldAfter(byIDSrv)
			wantPairs, wantTags := worldAfter(listSrv)
			if !reflect.DeepEqual(gotPairs, wantPairs) || !reflect.DeepEqual(gotTags, wantTags) {
				t.Errorf("left another world than the listing path: pairs %v, want %v", gotPairs, wantPairs)
			}

			// What the region's listing costs, measured on the same world.
			listed := pairReads(listSrv)
			if _, err := listAPI.ListPairs(ctx, src); err != nil {
				t.Fatal(err)
			}
			listing := pairReads(listSrv) - listed
			if listing < 3 {
				t.Fatalf("the listing costs %d calls: the fleet is too small to tell it from a lookup", listing)
			}
			switch reads := pairReads(byIDSrv); {
			case tc.byID && reads != 1:
				t.Errorf("%d pair reads, want 1 (by ID, no listing of %d calls)", reads, listing)
			case !tc.byID && !legacy && reads != 1+listing:
				t.Errorf("%d pair reads, want the lookup and the listing: 1+%d", reads, listing)
			case legacy && reads != listing:
				t.Errorf("legacy family: %d pair reads, want the listing's %d (no lookup)", reads, listing)
			}
			if tc.byID && len(got.RequestIDs) < 2 {
				t.Errorf("request IDs %v, want the disk read's and the pair lookup's", got.RequestIDs)
			}
		})
	}
}

// On the fake: batching, the lookup's failures and a sweep.
func TestMarkedPairLookupFallsBack(t *testing.T) {
	mine := cloud.Pair{ID: "pair-mine", Status: "normal", SourceDiskID: "d-p", SourceRegionID: src,
		DestinationDiskID: "d-s", DestinationRegionID: dst}
	world := func() *fakecloud.Cloud {
		c := fakecloud.New()
		c.AddDisk(primary("d-p", pairing.TagReplicaPair, mine.ID))
		c.AddDisk(secondary("d-s"))
		c.AddPair(mine)
		return c
	}
	throttled := &cloud.Error{Kind: cloud.KindThrottled, Code: "Throttling.User", Retryable: true, HTTPStatus: 400}
	unavailable := &cloud.Error{Kind: cloud.KindUnavailable, Code: "ServiceUnavailable", Retryable: true, HTTPStatus: 503}
	cases := []struct {
		name       string
		setup      func(*fakecloud.Cloud)
		want       pairing.Outcome
		wantReason string
		lookups    int
		listings   int
		tagged     int // the primary re-marked
	}{
		{"lookup answers", func(*fakecloud.Cloud) {}, pairing.AlreadyPaired, "", 1, 0, 0},
		{"lookup throttled: listed instead", func(c *fakecloud.Cloud) { c.Fail(fakecloud.PairsByID, throttled, -1) },
			pairing.AlreadyPaired, "", 1, 1, 0},
		{"lookup and listing fail: the listing's failure", func(c *fakecloud.Cloud) {
			c.Fail(fakecloud.PairsByID, throttled, -1)
			c.Fail(fakecloud.ListPairs, unavailable, -1)
		}, pairing.Failed, pairing.ReasonUnavailable, 1, 1, 0},
		{"legacy family: listed", func(c *fakecloud.Cloud) { c.NoPairIDs = true }, pairing.AlreadyPaired, "", 0, 1, 0},
		{"mark names a deleted pair of the disk: listed, live pair re-marked", func(c *fakecloud.Cloud) {
			c.AddPair(cloud.Pair{ID: "pair-old", Status: "deleted", SourceDiskID: "d-p", SourceRegionID: src,
				DestinationDiskID: "d-old", DestinationRegionID: dst})
			c.AddDisk(primary("d-p", pairing.TagReplicaPair, "pair-old"))
		}, pairing.AlreadyPaired, "", 1, 1, 1}, // only the mark changed: already_paired
		{"mark names a pair in another region: listed, re-marked", func(c *fakecloud.Cloud) {
			c.AddPair(cloud.Pair{ID: "pair-far", Status: "normal", SourceDiskID: "d-p", SourceRegionID: other,
				DestinationDiskID: "d-far", DestinationRegionID: dst})
			c.AddDisk(primary("d-p", pairing.TagReplicaPair, "pair-far"))
		}, pairing.AlreadyPaired, "", 1, 1, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := world()
			tc.setup(c)
			res := pairOne(t, c, testOptions(), disksIn(src, "d-p"))
			if res.Outcome != tc.want || res.Reason != tc.wantReason {
				t.Errorf("%s/%s %q, want %s/%s", res.Outcome, res.Reason, res.Message, tc.want, tc.wantReason)
			}
			if res.Outcome == pairing.Failed && !strings.HasPrefix(res.Message, "listing replica pairs in "+src) {
				t.Errorf("message %q, want the listing's failure", res.Message)
			}
			if n := c.Count(fakecloud.PairsByID); n != tc.lookups {
				t.Errorf("%d lookups, want %d", n, tc.lookups)
			}
			if n := c.Count(fakecloud.ListPairs); n != tc.listings {
				t.Errorf("%d listings, want %d", n, tc.listings)
			}
			if changingCalls(c) != tc.tagged || c.Count(fakecloud.TagDisks) != tc.tagged {
				t.Errorf("calls %v, want no changing call but %d TagDisks", c.Calls(), tc.tagged)
			}
			if tc.tagged > 0 && tagsOf(t, c, "d-p")[pairing.TagReplicaPair] != mine.ID {
				t.Errorf("primary tags %v, want %s=%s", tagsOf(t, c, "d-p"), pairing.TagReplicaPair, mine.ID)
			}
		})
	}
}

func TestMarkedPairsBatchedPerRegion(t *testing.T) {
	const n = 150 // two lookups of at most 100 IDs
	c := fakecloud.New()
	var ids []string
	for i := range n {
		id := fmt.Sprintf("d-p%03d", i)
		p := cloud.Pair{ID: "pair-" + id, Status: "normal", SourceDiskID: id, SourceRegionID: src,
			DestinationDiskID: id + "-s", DestinationRegionID: dst}
		c.AddDisk(primary(id, pairing.TagReplicaPair, p.ID, pairing.TagSecondaryDisk, id+"-s"))
		c.AddDisk(secondary(id + "-s"))
		c.AddPair(p)
		ids = append(ids, id)
	}
	results := pairing.New(c, testOptions()).Pair(context.Background(), []pairing.Target{disksIn(src, ids...)})
	for _, r := range results {
		if r.Outcome != pairing.AlreadyPaired {
			t.Errorf("%s: %s/%s %s", r.DiskID, r.Outcome, r.Reason, r.Message)
		}
	}
	// No listing: not for the pair check, and not for reading the tagged secondaries either.
	want := map[string]int{fakecloud.DescribeDisks: 2, fakecloud.PairsByID: 2}
	if got := c.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls %v, want %v", got, want)
	}

	// A sweep of the same disks reads the region's listing once and looks nothing up by ID.
	c.ResetCalls()
	swept, err := pairing.New(c, testOptions()).Sweep(context.Background(), []string{src})
	if err != nil || len(swept) != n {
		t.Fatalf("sweep: %d results, %v", len(swept), err)
	}
	if lookups, listings := c.Count(fakecloud.PairsByID), c.Count(fakecloud.ListPairs); lookups != 0 || listings != 1 {
		t.Errorf("sweep: %d lookups and %d listings, want 0 and 1", lookups, listings)
	}
}

// startedElsewhere starts the pair and still answers the refusal a start gets when a concurrent
// delivery started the pair first.
type startedElsewhere struct{ *fakecloud.Cloud }

func (c startedElsewhere) StartPair(ctx context.Context, region, pairID, token string) error {
	if err := c.Cloud.StartPair(ctx, region, pairID, token); err != nil {
		return err
	}
	return &cloud.Error{Kind: cloud.KindInvalidStatus, Code: "OperationDenied.InvalidStatus", Message: "pair " + pairID + " is initial_syncing", HTTPStatus: 400}
}

// A start refused for the pair's status asks for that pair by ID, whether it was started
// meanwhile, instead of listing the region's pairs; the legacy family lists as before (its two
// listings are the pair checks of the primary's and the secondary's regions). An EBS event lists
// no pairs: the first lookup is the read after the create.
func TestStartRefusedLooksPairUpByID(t *testing.T) {
	throttled := &cloud.Error{Kind: cloud.KindThrottled, Code: "Throttling.User", Retryable: true, HTTPStatus: 400}
	cases := []struct {
		name      string
		setup     func(*fakecloud.Cloud)
		elsewhere bool   // a concurrent delivery starts the pair first
		failed    string // the reason of a retryable failure; "" for paired and started
		starts    int
		lookups   int
		listings  int
	}{
		{"creating for 3 reads: waited for with 3 lookups, then one start", func(c *fakecloud.Cloud) { c.NewPairCreatingFor = 3 }, false, "", 1, 3, 0},
		{"legacy family, creating for 3 starts: 3 listings", func(c *fakecloud.Cloud) {
			c.NewPairCreatingFor = 3
			c.NoPairIDs = true
		}, false, "", 4, 0, 2 + 3},
		// The answer to the create is believed only once the pair is read: a token's replayed
		// answer may name a deleted pair, whose start a replayed success would fake too.
		{"lookups fail: the new pair is not believed, a retry finishes it", func(c *fakecloud.Cloud) {
			c.NewPairCreatingFor = 3
			c.Fail(fakecloud.PairsByID, throttled, -1)
		}, false, pairing.ReasonThrottled, 0, 1, 0},
		{"started elsewhere: the lookup finds it", func(*fakecloud.Cloud) {}, true, "", 1, 1 + 1, 0},
		{"legacy family, started elsewhere: the listing finds it", func(c *fakecloud.Cloud) { c.NoPairIDs = true }, true, "", 1, 0, 2 + 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := fakecloud.New()
			c.AddDisk(primary("d-p"))
			c.AddDisk(secondary("d-s", pairing.TagPrimaryDisk, "d-p"))
			tc.setup(c)
			var api cloud.API = c
			if tc.elsewhere {
				api = startedElsewhere{c}
			}
			results := pairing.New(api, testOptions()).Pair(context.Background(), []pairing.Target{disksIn(src, "d-p")})
			if len(results) != 1 {
				t.Fatalf("%d results, want 1: %+v", len(results), results)
			}
			res := results[0]
			if tc.failed == "" && (res.Outcome != pairing.Paired || !res.Started) {
				t.Errorf("%s/%s started=%v %q, want paired and started", res.Outcome, res.Reason, res.Started, res.Message)
			}
			if tc.failed != "" && (res.Outcome != pairing.Failed || res.Reason != tc.failed || !res.Retryable || res.ReplicaPairID == "") {
				t.Errorf("%s/%s retryable=%v pair=%q %q, want a retryable %s naming the pair", res.Outcome, res.Reason, res.Retryable, res.ReplicaPairID, res.Message, tc.failed)
			}
			if n := c.Count(fakecloud.StartPair); n != tc.starts {
				t.Errorf("%d starts, want %d", n, tc.starts)
			}
			if n := c.Count(fakecloud.PairsByID); n != tc.lookups {
				t.Errorf("%d lookups, want %d", n, tc.lookups)
			}
			if n := c.Count(fakecloud.ListPairs); n != tc.listings {
				t.Errorf("%d listings, want %d", n, tc.listings)
			}
		})
	}
}

// Issue 15 item 4: a refused create whose re-read of the primary's pairs fails is retryable:
// another delivery may have paired the disk.
func TestRefusedCreateWithFailedReReadIsRetryable(t *testing.T) {
	c := fakecloud.New()
	c.AddDisk(primary("d-p"))
	c.AddDisk(secondary("d-s", pairing.TagPrimaryDisk, "d-p"))
	c.Fail(fakecloud.CreatePair, &cloud.Error{Code: "OperationDenied", Message: "the disk is in a pair", HTTPStatus: 403}, 1)
	// An event lists no pairs before its create (the create is the check), so the first listing
	// is the re-read that explains the refusal.
	c.FailNth(fakecloud.ListPairs, 1, &cloud.Error{Kind: cloud.KindUnavailable, Code: "ServiceUnavailable", Retryable: true, HTTPStatus: 503})
	res := pairOne(t, c, testOptions(), disksIn(src, "d-p"))
	if res.Outcome != pairing.Failed || !res.Retryable {
		t.Fatalf("%s/%s retryable=%v %q, want a retryable failure", res.Outcome, res.Reason, res.Retryable, res.Message)
	}
}
