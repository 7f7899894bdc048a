package pairing_test

import (
	"strings"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
	"github.com/absr-autopair/absr-autopair/internal/pairing/fakecloud"
)

// TestOutcomes runs one disk through the engine per case and checks the result, and for
// the cases that change things, the cloud's state afterwards.
func TestOutcomes(t *testing.T) {
	type want struct {
		outcome      pairing.Outcome
		reason       string
		retryable    bool
		secondary    string // "" = do not check; "new" = an auto-created disk
		secRegion    string
		started      bool
		msgContains  string
		pairs        int  // pairs in the fake afterwards
		primaryMark  bool // dr:replica-pair set on the primary
		noChangeCall bool // no changing call at all
	}
	cases := []struct {
		name   string
		setup  func(c *fakecloud.Cloud, o *pairing.Options)
		target pairing.Target
		want   want
	}{
		{
			name: "mapping file pair",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p"))
				c.AddDisk(secondary("d-map"))
				c.AddDisk(secondary("d-tagged", pairing.TagPrimaryDisk, "d-p")) // loses: mapping first
				o.Pairs = map[string]pairing.SecondaryRef{"d-p": {DiskID: "d-map", Region: dst}}
			},
			want: want{outcome: pairing.Paired, secondary: "d-map", secRegion: dst, started: true, pairs: 1,
				primaryMark: true, msgContains: "mapping file"},
		},
		{
			name: "mapping file pair without region uses the route",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p"))
				c.AddDisk(secondary("d-map"))
				o.Pairs = map[string]pairing.SecondaryRef{"d-p": {DiskID: "d-map"}}
			},
			want: want{outcome: pairing.Paired, secondary: "d-map", secRegion: dst, started: true, pairs: 1, primaryMark: true},
		},
		{
			name: "secondary tag with region tag",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p", pairing.TagSecondaryDisk, "d-bj", pairing.TagSecondaryRegion, other))
				d := secondary("d-bj")
				d.RegionID, d.ZoneID = other, "cn-beijing-a"
				c.AddDisk(d)
				c.AddDisk(secondary("d-tagged", pairing.TagPrimaryDisk, "d-p")) // loses: tag first
			},
			want: want{outcome: pairing.Paired, secondary: "d-bj", secRegion: other, started: true, pairs: 1,
				primaryMark: true, msgContains: "tag dr:secondary-disk"},
		},
		{
			name: "secondary tag without region uses the route",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p", pairing.TagSecondaryDisk, "d-s"))
				c.AddDisk(secondary("d-s"))
			},
			want: want{outcome: pairing.Paired, secondary: "d-s", secRegion: dst, started: true, pairs: 1, primaryMark: true},
		},
		{
			name: "back-referenced Available disk in the route's region",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p"))
				busy := secondary("d-a-busy", pairing.TagPrimaryDisk, "d-p")
				busy.Status, busy.InstanceID = "In_use", "i-sh"
				c.AddDisk(busy)
				c.AddDisk(secondary("d-b-free", pairing.TagPrimaryDisk, "d-p"))
				c.AddDisk(secondary("d-c-other", pairing.TagPrimaryDisk, "d-someone-else"))
			},
			want: want{outcome: pairing.Paired, secondary: "d-b-free", secRegion: dst, started: true, pairs: 1,
				primaryMark: true, msgContains: "tag dr:primary-disk"},
		},
		{
			name: "auto-created secondary",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p"))
				o.AutoCreateSecondary = true
			},
			want: want{outcome: pairing.Paired, secondary: "new", secRegion: dst, started: true, pairs: 1,
				primaryMark: true, msgContains: "auto-create"},
		},
		{
			name:   "not opted in: no tag",
			setup:  func(c *fakecloud.Cloud, o *pairing.Options) { d := primary("d-p"); delete(d.Tags, "dr"); c.AddDisk(d) },
			want:   want{outcome: pairing.Skipped, reason: pairing.ReasonNotOptedIn, noChangeCall: true},
			target: disksIn(src, "d-p"),
		},
		{
			name:  "not opted in: other value",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) { c.AddDisk(primary("d-p", "dr", "disabled")) },
			want:  want{outcome: pairing.Skipped, reason: pairing.ReasonNotOptedIn, msgContains: "disabled", noChangeCall: true},
		},
		{
			name: "custom opt-in tag",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p", "backup", "absr"))
				c.AddDisk(secondary("d-s", pairing.TagPrimaryDisk, "d-p"))
				o.OptInKey, o.OptInValue = "backup", "absr"
			},
			want: want{outcome: pairing.Paired, secondary: "d-s", started: true, pairs: 1, primaryMark: true},
		},
		{
			name: "unsupported category",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				d := primary("d-p")
				d.Category = "cloud_essd_entry"
				c.AddDisk(d)
			},
			want: want{outcome: pairing.Skipped, reason: pairing.ReasonUnsupportedCategory, msgContains: "cloud_essd_entry", noChangeCall: true},
		},
		{
			name: "cloud_auto is supported",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				d := primary("d-p")
				d.Category, d.PerformanceLevel = "cloud_auto", ""
				c.AddDisk(d)
				s := secondary("d-s", pairing.TagPrimaryDisk, "d-p")
				s.Category, s.PerformanceLevel = "cloud_auto", ""
				c.AddDisk(s)
			},
			want: want{outcome: pairing.Paired, secondary: "d-s", started: true, pairs: 1, primaryMark: true},
		},
		{
			name: "is the secondary of a pair",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p"))
				c.AddPair(cloud.Pair{ID: "pair-x", Status: "normal", SourceDiskID: "d-other", SourceRegionID: other,
					DestinationDiskID: "d-p", DestinationRegionID: src})
			},
			want: want{outcome: pairing.Skipped, reason: pairing.ReasonIsSecondary, msgContains: "pair-x", pairs: 1, noChangeCall: true},
		},
		{
			name:  "is meant as a secondary (back-reference tag)",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) { c.AddDisk(primary("d-p", pairing.TagPrimaryDisk, "d-q")) },
			want:  want{outcome: pairing.Skipped, reason: pairing.ReasonIsSecondary, msgContains: "d-q", noChangeCall: true},
		},
		{
			name: "already paired and marked",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p", pairing.TagReplicaPair, "pair-1"))
				c.AddDisk(secondary("d-s"))
				c.AddPair(cloud.Pair{ID: "pair-1", Status: "normal", SourceDiskID: "d-p", SourceRegionID: src,
					DestinationDiskID: "d-s", DestinationRegionID: dst})
			},
			want: want{outcome: pairing.AlreadyPaired, secondary: "d-s", secRegion: dst, started: true, pairs: 1,
				primaryMark: true, noChangeCall: true},
		},
		{
			name: "healing: pair left created and primary unmarked",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p"))
				c.AddDisk(secondary("d-s"))
				c.AddPair(cloud.Pair{ID: "pair-1", Status: "created", SourceDiskID: "d-p", SourceRegionID: src,
					DestinationDiskID: "d-s", DestinationRegionID: dst})
			},
			want: want{outcome: pairing.Paired, secondary: "d-s", started: true, pairs: 1, primaryMark: true,
				msgContains: "started existing pair"},
		},
		{
			name: "healing: legacy pair left inactive, already marked",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p", pairing.TagReplicaPair, "pair-1"))
				c.AddDisk(secondary("d-s"))
				c.AddPair(cloud.Pair{ID: "pair-1", Status: "inactive", SourceDiskID: "d-p", SourceRegionID: src,
					DestinationDiskID: "d-s", DestinationRegionID: dst})
			},
			want: want{outcome: pairing.Paired, started: true, pairs: 1, primaryMark: true, msgContains: "started existing pair"},
		},
		{
			name: "created pair with Start off is already paired",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p", pairing.TagReplicaPair, "pair-1"))
				c.AddPair(cloud.Pair{ID: "pair-1", Status: "created", SourceDiskID: "d-p", SourceRegionID: src,
					DestinationDiskID: "d-s", DestinationRegionID: dst})
				o.Start = false
			},
			want: want{outcome: pairing.AlreadyPaired, started: false, pairs: 1, primaryMark: true, noChangeCall: true},
		},
		{
			name:  "no secondary",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) { c.AddDisk(primary("d-p")) },
			want:  want{outcome: pairing.Skipped, reason: pairing.ReasonNoSecondary, noChangeCall: true},
		},
		{
			name: "no route",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p"))
				o.Routes = nil
				o.AutoCreateSecondary = true
			},
			want: want{outcome: pairing.Skipped, reason: pairing.ReasonNoRoute, noChangeCall: true},
		},
		{
			name: "no route for a secondary tag without region",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p", pairing.TagSecondaryDisk, "d-s"))
				o.Routes = nil
			},
			want: want{outcome: pairing.Skipped, reason: pairing.ReasonNoRoute, msgContains: "d-s", noChangeCall: true},
		},
		{
			name: "auto-create without a route zone",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p"))
				o.Routes = map[string]pairing.Route{src: {Region: dst}}
				o.AutoCreateSecondary = true
			},
			want: want{outcome: pairing.Failed, reason: pairing.ReasonNoRouteZone, noChangeCall: true},
		},
		{
			name: "secondary not found",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p", pairing.TagSecondaryDisk, "d-gone"))
			},
			want: want{outcome: pairing.Failed, reason: pairing.ReasonSecondaryNotFound, secondary: "d-gone", noChangeCall: true},
		},
		{
			name:  "secondary size differs",
			setup: withTaggedSecondary(func(d *cloud.Disk) { d.Size = 200 }),
			want:  want{outcome: pairing.Failed, reason: pairing.ReasonSecondaryMismatch, msgContains: "size 200 GiB", noChangeCall: true},
		},
		{
			name:  "secondary performance level differs",
			setup: withTaggedSecondary(func(d *cloud.Disk) { d.PerformanceLevel = "PL2" }),
			want:  want{outcome: pairing.Failed, reason: pairing.ReasonSecondaryMismatch, msgContains: "performance level PL2", noChangeCall: true},
		},
		{
			name:  "secondary category differs",
			setup: withTaggedSecondary(func(d *cloud.Disk) { d.Category = "cloud_auto" }),
			want:  want{outcome: pairing.Failed, reason: pairing.ReasonSecondaryMismatch, msgContains: "category cloud_auto", noChangeCall: true},
		},
		{
			name:  "secondary in the same zone",
			setup: withTaggedSecondary(func(d *cloud.Disk) { d.RegionID, d.ZoneID = src, srcZone }, pairing.TagSecondaryRegion, src),
			want:  want{outcome: pairing.Failed, reason: pairing.ReasonSecondarySameZone, noChangeCall: true},
		},
		{
			name:  "secondary attached",
			setup: withTaggedSecondary(func(d *cloud.Disk) { d.Status, d.InstanceID = "In_use", "i-sh" }),
			want:  want{outcome: pairing.Failed, reason: pairing.ReasonSecondaryAttached, msgContains: "i-sh", noChangeCall: true},
		},
		{
			// An event lists no pairs before creating: the create's refusal (one pair per disk) is
			// the check, and the listing explains it. Nothing changes.
			name: "secondary in another pair: the create is refused and explained",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p", pairing.TagSecondaryDisk, "d-s"))
				c.AddDisk(secondary("d-s"))
				c.AddPair(cloud.Pair{ID: "pair-z", Status: "normal", SourceDiskID: "d-z", SourceRegionID: other,
					DestinationDiskID: "d-s", DestinationRegionID: dst})
			},
			want: want{outcome: pairing.Failed, reason: pairing.ReasonSecondaryInPair, msgContains: "pair-z", pairs: 1},
		},
		{
			name: "secondary in another pair, dry run: the listing tells, no change call",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				o.DryRun = true
				c.AddDisk(primary("d-p", pairing.TagSecondaryDisk, "d-s"))
				c.AddDisk(secondary("d-s"))
				c.AddPair(cloud.Pair{ID: "pair-z", Status: "normal", SourceDiskID: "d-z", SourceRegionID: other,
					DestinationDiskID: "d-s", DestinationRegionID: dst})
			},
			want: want{outcome: pairing.Failed, reason: pairing.ReasonSecondaryInPair, msgContains: "pair-z", pairs: 1, noChangeCall: true},
		},
		{
			name:   "disk not found (not new): not retryable",
			setup:  func(c *fakecloud.Cloud, o *pairing.Options) {},
			target: disksIn(src, "d-p"),
			want:   want{outcome: pairing.Failed, reason: pairing.ReasonDiskNotFound, retryable: false, noChangeCall: true},
		},
		{
			name:   "new disk never visible: retryable",
			setup:  func(c *fakecloud.Cloud, o *pairing.Options) {},
			target: pairing.Target{Region: src, DiskIDs: []string{"d-p"}, Created: true},
			want:   want{outcome: pairing.Failed, reason: pairing.ReasonDiskNotFound, retryable: true, noChangeCall: true},
		},
		{
			name: "disk Creating beyond the wait: retryable",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p"))
				c.CreatingFor("d-p", 1<<30)
				o.DiskWait = 30 * o.PollInterval
			},
			want: want{outcome: pairing.Failed, reason: pairing.ReasonDiskNotReady, retryable: true, noChangeCall: true},
		},
		{
			name: "new disk visible after a few reads",
			setup: withBackReferenced(func(c *fakecloud.Cloud, o *pairing.Options) {
				c.Hide("d-p", 3)
			}),
			target: pairing.Target{Region: src, DiskIDs: []string{"d-p"}, Created: true},
			want:   want{outcome: pairing.Paired, secondary: "d-s", started: true, pairs: 1, primaryMark: true},
		},
		{
			name: "disk ready after a few reads",
			setup: withBackReferenced(func(c *fakecloud.Cloud, o *pairing.Options) {
				c.CreatingFor("d-p", 3)
			}),
			want: want{outcome: pairing.Paired, secondary: "d-s", started: true, pairs: 1, primaryMark: true},
		},
		{
			name: "new pair refuses to start for a while",
			setup: withBackReferenced(func(c *fakecloud.Cloud, o *pairing.Options) {
				c.NewPairCreatingFor = 3
			}),
			want: want{outcome: pairing.Paired, secondary: "d-s", started: true, pairs: 1, primaryMark: true},
		},
		{
			name: "new pair never startable within the wait: retryable, healed later",
			setup: withBackReferenced(func(c *fakecloud.Cloud, o *pairing.Options) {
				c.NewPairCreatingFor = 1 << 30
				o.DiskWait = 20 * o.PollInterval
			}),
			want: want{outcome: pairing.Failed, reason: pairing.ReasonPairCreating, retryable: true, secondary: "d-s",
				pairs: 1, msgContains: "still creating"},
		},
		{
			name:  "secondary still detaching",
			setup: withTaggedSecondary(func(d *cloud.Disk) { d.Status = "Detaching" }),
			want:  want{outcome: pairing.Failed, reason: pairing.ReasonSecondaryNotReady, retryable: true, noChangeCall: true},
		},
		{
			name: "primary read throttled",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p"))
				c.Fail(fakecloud.DescribeDisks, &cloud.Error{Kind: cloud.KindThrottled, Code: "Throttling.Api", Retryable: true}, 1)
			},
			want: want{outcome: pairing.Failed, reason: pairing.ReasonThrottled, retryable: true, msgContains: "reading the disk", noChangeCall: true},
		},
		{
			name: "secondary batch read fails, the disk's own read recovers",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p", pairing.TagSecondaryDisk, "d-s"))
				c.AddDisk(secondary("d-s"))
				c.FailNth(fakecloud.DescribeDisks, 2, &cloud.Error{Kind: cloud.KindUnavailable, Code: "ServiceUnavailable", Retryable: true})
			},
			want: want{outcome: pairing.Paired, secondary: "d-s", started: true, pairs: 1, primaryMark: true},
		},
		{
			name: "secondary read fails",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p", pairing.TagSecondaryDisk, "d-s"))
				c.AddDisk(secondary("d-s"))
				c.FailNth(fakecloud.DescribeDisks, 2, &cloud.Error{Kind: cloud.KindUnavailable, Code: "ServiceUnavailable", Retryable: true})
				c.FailNth(fakecloud.DescribeDisks, 3, &cloud.Error{Kind: cloud.KindUnavailable, Code: "ServiceUnavailable", Retryable: true})
			},
			want: want{outcome: pairing.Failed, reason: pairing.ReasonUnavailable, retryable: true, secondary: "d-s",
				msgContains: "reading secondary d-s", noChangeCall: true},
		},
		{
			name: "back-references: the one matching the spec wins",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p"))
				big := secondary("d-a-big", pairing.TagPrimaryDisk, "d-p")
				big.Size = 500
				c.AddDisk(big)
				c.AddDisk(secondary("d-c-fit", pairing.TagPrimaryDisk, "d-p"))
				c.AddDisk(secondary("d-b-fit", pairing.TagPrimaryDisk, "d-p"))
			},
			want: want{outcome: pairing.Paired, secondary: "d-b-fit", started: true, pairs: 1, primaryMark: true},
		},
		{
			name: "back-reference listing fails",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p"))
				c.Fail(fakecloud.DisksByTag, &cloud.Error{Kind: cloud.KindDenied, Code: "Forbidden", Message: "denied"}, -1)
			},
			want: want{outcome: pairing.Failed, reason: pairing.ReasonPermissionDenied, msgContains: "looking for disks tagged", noChangeCall: true},
		},
		{
			name: "auto-create refused",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p"))
				o.AutoCreateSecondary = true
				c.Fail(fakecloud.CreateDisk, &cloud.Error{Kind: cloud.KindQuotaExceeded, Code: "QuotaExceed.Disk", Message: "too many disks"}, -1)
			},
			want: want{outcome: pairing.Failed, reason: pairing.ReasonQuotaExceeded, msgContains: "creating a secondary"},
		},
		{
			name: "auto-created disk is Creating for a while",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p"))
				o.AutoCreateSecondary = true
				c.CreatingFor("d-fake0001", 3) // the fake's first new disk
			},
			want: want{outcome: pairing.Paired, secondary: "new", started: true, pairs: 1, primaryMark: true},
		},
		{
			name: "auto-created disk never ready",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p"))
				o.AutoCreateSecondary = true
				o.DiskWait = 20 * o.PollInterval
				c.CreatingFor("d-fake0001", 1<<30)
			},
			want: want{outcome: pairing.Failed, reason: pairing.ReasonSecondaryNotReady, retryable: true, secondary: "new"},
		},
		{
			name: "Start and MarkPrimary off",
			setup: withBackReferenced(func(c *fakecloud.Cloud, o *pairing.Options) {
				o.Start, o.MarkPrimary = false, false
			}),
			want: want{outcome: pairing.Paired, secondary: "d-s", started: false, pairs: 1, primaryMark: false},
		},
		{
			name: "throttled CreatePair",
			setup: withBackReferenced(func(c *fakecloud.Cloud, o *pairing.Options) {
				c.Fail(fakecloud.CreatePair, &cloud.Error{Kind: cloud.KindThrottled, Code: "Throttling.User", Message: "slow down", Retryable: true}, -1)
			}),
			want: want{outcome: pairing.Failed, reason: pairing.ReasonThrottled, retryable: true, secondary: "d-s", msgContains: "slow down"},
		},
		{
			name: "permission denied on TagResources after pairing",
			setup: withBackReferenced(func(c *fakecloud.Cloud, o *pairing.Options) {
				c.Fail(fakecloud.TagDisks, &cloud.Error{Kind: cloud.KindDenied, Code: "Forbidden.RAM", Message: "not authorized"}, -1)
			}),
			want: want{outcome: pairing.Failed, reason: pairing.ReasonPermissionDenied, started: true, pairs: 1, msgContains: "marking"},
		},
		{
			name: "quota exceeded",
			setup: withBackReferenced(func(c *fakecloud.Cloud, o *pairing.Options) {
				c.Fail(fakecloud.CreatePair, &cloud.Error{Kind: cloud.KindQuotaExceeded, Code: "OperationDenied.QuotaExceed", Message: "quota"}, -1)
			}),
			want: want{outcome: pairing.Failed, reason: pairing.ReasonQuotaExceeded},
		},
		{
			name: "unknown error code on the pair listing",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p"))
				c.Fail(fakecloud.ListPairs, &cloud.Error{Code: "Weird.Thing", Message: "odd"}, -1)
			},
			want: want{outcome: pairing.Failed, reason: pairing.ReasonAPIError, msgContains: "odd", noChangeCall: true},
		},
		{
			name: "pair start refused: secondary attached after the check",
			setup: func(c *fakecloud.Cloud, o *pairing.Options) {
				c.AddDisk(primary("d-p"))
				c.AddDisk(secondary("d-s"))
				c.AddPair(cloud.Pair{ID: "pair-1", Status: "created", SourceDiskID: "d-p", SourceRegionID: src,
					DestinationDiskID: "d-s", DestinationRegionID: dst})
				c.Fail(fakecloud.StartPair, &cloud.Error{Kind: cloud.KindSecondaryAttached, Code: "OperationDenied.StandbyDeviceAttached", Message: "attached"}, -1)
			},
			want: want{outcome: pairing.Failed, reason: pairing.ReasonSecondaryAttached, pairs: 1},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, bubble(func(t *testing.T) {
			c := fakecloud.New()
			o := testOptions()
			tc.setup(c, &o)
			target := tc.target
			if target.Region == "" {
				target = disksIn(src, "d-p")
			}
			got := pairOne(t, c, o, target)
			w := tc.want
			if got.DiskID != "d-p" || got.RegionID != src {
				t.Errorf("result names %s in %s, want d-p in %s", got.DiskID, got.RegionID, src)
			}
			if got.Outcome != w.outcome || got.Reason != w.reason || got.Retryable != w.retryable {
				t.Fatalf("got %s/%s retryable=%v (%s), want %s/%s retryable=%v",
					got.Outcome, got.Reason, got.Retryable, got.Message, w.outcome, w.reason, w.retryable)
			}
			if got.Started != w.started {
				t.Errorf("started = %v, want %v (%s)", got.Started, w.started, got.Message)
			}
			if w.msgContains != "" && !strings.Contains(got.Message, w.msgContains) {
				t.Errorf("message %q does not mention %q", got.Message, w.msgContains)
			}
			if got.Message == "" {
				t.Errorf("empty message")
			}
			switch w.secondary {
			case "":
			case "new":
				if !strings.HasPrefix(got.SecondaryDiskID, "d-fake") {
					t.Errorf("secondary %q, want an auto-created disk", got.SecondaryDiskID)
				}
			default:
				if got.SecondaryDiskID != w.secondary {
					t.Errorf("secondary %q, want %q", got.SecondaryDiskID, w.secondary)
				}
			}
			if w.secRegion != "" && got.SecondaryRegionID != w.secRegion {
				t.Errorf("secondary region %q, want %q", got.SecondaryRegionID, w.secRegion)
			}
			pairs := c.Pairs()
			if len(pairs) != w.pairs {
				t.Fatalf("%d pairs in the cloud, want %d: %+v", len(pairs), w.pairs, pairs)
			}
			if w.noChangeCall && changingCalls(c) != 0 {
				t.Errorf("changing calls made: %s", fakecloud.SortedCalls(c.Calls()))
			}
			var mark string
			var marked bool
			if d, ok := c.Disk("d-p"); ok {
				mark, marked = d.Tags[pairing.TagReplicaPair]
			}
			if marked != w.primaryMark {
				t.Errorf("primary marked = %v (%q), want %v", marked, mark, w.primaryMark)
			}
			if w.outcome == pairing.Paired {
				p := pairs[len(pairs)-1]
				if got.ReplicaPairID != p.ID || p.SourceDiskID != "d-p" || p.DestinationDiskID != got.SecondaryDiskID {
					t.Errorf("result pair %s (%s), cloud pair %+v", got.ReplicaPairID, got.SecondaryDiskID, p)
				}
				if marked && mark != p.ID {
					t.Errorf("primary marked %s=%s, want %s", pairing.TagReplicaPair, mark, p.ID)
				}
				wantStatus := map[bool]string{true: "initial_syncing", false: "created"}[w.started]
				if p.Status != wantStatus {
					t.Errorf("pair status %s, want %s", p.Status, wantStatus)
				}
			}
		}))
	}
}

// TestAutoCreateSpec checks the auto-created secondary: same category, PL and size, in the
// route's zone, tagged with its primary, named after it; and that a retry reuses it.
func TestAutoCreateSpec(t *testing.T) {
	for _, tc := range []struct {
		category, pl string
		size         int
		wantPL       string
	}{
		{"cloud_essd", "PL2", 500, "PL2"},
		{"cloud_auto", "", 40, ""},
	} {
		t.Run(tc.category, func(t *testing.T) {
			c := fakecloud.New()
			d := primary("d-p")
			d.Category, d.PerformanceLevel, d.Size = tc.category, tc.pl, tc.size
			c.AddDisk(d)
			o := testOptions()
			o.AutoCreateSecondary = true
			got := pairOne(t, c, o, disksIn(src, "d-p"))
			if got.Outcome != pairing.Paired {
				t.Fatalf("got %s/%s: %s", got.Outcome, got.Reason, got.Message)
			}
			s, ok := c.Disk(got.SecondaryDiskID)
			if !ok {
				t.Fatalf("secondary %s not in the cloud", got.SecondaryDiskID)
			}
			if s.RegionID != dst || s.ZoneID != dstZone || s.Category != tc.category || s.PerformanceLevel != tc.wantPL || s.Size != tc.size {
				t.Errorf("secondary %+v does not match the primary %+v / route", s, d)
			}
			if s.Tags[pairing.TagPrimaryDisk] != "d-p" || len(s.Tags) != 1 {
				t.Errorf("secondary tags %v, want only %s=d-p", s.Tags, pairing.TagPrimaryDisk)
			}
			if s.Name != "absr-secondary-d-p" {
				t.Errorf("secondary name %q", s.Name)
			}

		})
	}
}

// TestAutoCreateRetryReusesDisk: an attempt creates the secondary, then fails to pair; the
// retry does not see the new disk in its listing yet, creates again with the same token,
// and gets the same disk back.
func TestAutoCreateRetryReusesDisk(t *testing.T) {
	c := fakecloud.New()
	c.AddDisk(primary("d-p"))
	o := testOptions()
	o.AutoCreateSecondary = true
	c.Fail(fakecloud.CreatePair, &cloud.Error{Kind: cloud.KindUnavailable, Code: "ServiceUnavailable", Retryable: true}, 1)
	first := pairOne(t, c, o, disksIn(src, "d-p"))
	if first.Outcome != pairing.Failed || !first.Retryable || first.Reason != pairing.ReasonUnavailable {
		t.Fatalf("first attempt: %+v", first)
	}
	c.Hide(first.SecondaryDiskID, 1) // the back-reference listing lags
	second := pairOne(t, c, o, disksIn(src, "d-p"))
	if second.Outcome != pairing.Paired || second.SecondaryDiskID != first.SecondaryDiskID {
		t.Fatalf("retry: %+v, want paired with %s", second, first.SecondaryDiskID)
	}
	if n := c.Count(fakecloud.CreateDisk); n != 2 {
		t.Errorf("CreateDisk called %d times, want 2 (the second answered from its token)", n)
	}
	if ids := c.DiskIDs(dst); len(ids) != 1 {
		t.Errorf("disks in %s: %v, want exactly one secondary", dst, ids)
	}
}

// withTaggedSecondary is a setup with the primary d-p naming d-s in dr:secondary-disk (and the
// further tags primaryTags, key, value...) and d-s as secondary changes it.
func withTaggedSecondary(change func(*cloud.Disk), primaryTags ...string) func(*fakecloud.Cloud, *pairing.Options) {
	return func(c *fakecloud.Cloud, _ *pairing.Options) {
		c.AddDisk(primary("d-p", append([]string{pairing.TagSecondaryDisk, "d-s"}, primaryTags...)...))
		s := secondary("d-s")
		change(&s)
		c.AddDisk(s)
	}
}

// withBackReferenced is a setup with the primary d-p and the Available d-s tagged back to it, then
// more.
func withBackReferenced(more func(c *fakecloud.Cloud, o *pairing.Options)) func(*fakecloud.Cloud, *pairing.Options) {
	return func(c *fakecloud.Cloud, o *pairing.Options) {
		c.AddDisk(primary("d-p"))
		c.AddDisk(secondary("d-s", pairing.TagPrimaryDisk, "d-p"))
		more(c, o)
	}
}
