package emulator_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

func diskIDs(resp *ecs.DescribeDisksResponse) []string {
	var out []string
	for _, d := range resp.Disks.Disk {
		out = append(out, d.DiskId)
	}
	return out
}

func TestDescribeDisksFields(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	c := newECS(t, srv, hz)
	d := describeIDs(t, c, hz, "d-bp1primary")["d-bp1primary"]
	want := map[string]any{"DiskId": "d-bp1primary", "DiskName": "primary", "RegionId": hz, "ZoneId": hzZone,
		"Category": "cloud_essd", "PerformanceLevel": "PL1", "Size": 100, "Type": "data", "Status": "In_use",
		"InstanceId": "i-bp1one", "Encrypted": false, "DiskChargeType": "PostPaid"}
	got := map[string]any{"DiskId": d.DiskId, "DiskName": d.DiskName, "RegionId": d.RegionId, "ZoneId": d.ZoneId,
		"Category": d.Category, "PerformanceLevel": d.PerformanceLevel, "Size": d.Size, "Type": d.Type, "Status": d.Status,
		"InstanceId": d.InstanceId, "Encrypted": d.Encrypted, "DiskChargeType": d.DiskChargeType}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if tags := diskTags(d); len(tags) != 1 || tags["dr"] != "enabled" {
		t.Errorf("tags (TagKey/TagValue) = %v", tags)
	}
	if _, err := time.Parse("2006-01-02T15:04:05Z", d.CreationTime); err != nil {
		t.Errorf("CreationTime %q: %v", d.CreationTime, err)
	}
}

func TestDescribeDisksFilters(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	c := newECS(t, srv, hz)
	cases := []struct {
		name string
		edit func(r *ecs.DescribeDisksRequest)
		want string
	}{
		{"whole region", func(r *ecs.DescribeDisksRequest) {}, "d-bp1primary,d-bp1system,d-bp1auto,d-bp1entry"},
		{"unknown IDs left out", func(r *ecs.DescribeDisksRequest) {
			r.DiskIds = `["d-bp1auto","d-bp1nothere","d-uf6secondary","d-bp1primary","d-bp1auto"]`
		}, "d-bp1primary,d-bp1auto"},
		{"empty DiskIds array", func(r *ecs.DescribeDisksRequest) { r.DiskIds = `[]` }, ""},
		{"instance", func(r *ecs.DescribeDisksRequest) { r.InstanceId = "i-bp1one" }, "d-bp1primary,d-bp1system"},
		{"instance and type", func(r *ecs.DescribeDisksRequest) { r.InstanceId, r.DiskType = "i-bp1one", "system" }, "d-bp1system"},
		{"DiskType all", func(r *ecs.DescribeDisksRequest) { r.DiskType = "all" }, "d-bp1primary,d-bp1system,d-bp1auto,d-bp1entry"},
		{"zone", func(r *ecs.DescribeDisksRequest) { r.ZoneId = "cn-hangzhou-i" }, "d-bp1entry"},
		{"category", func(r *ecs.DescribeDisksRequest) { r.Category = "cloud_auto" }, "d-bp1auto"},
		{"status", func(r *ecs.DescribeDisksRequest) { r.Status = "Available" }, "d-bp1auto,d-bp1entry"},
		{"tag key and value", func(r *ecs.DescribeDisksRequest) {
			r.Tag = &[]ecs.DescribeDisksTag{{Key: "dr", Value: "enabled"}}
		}, "d-bp1primary,d-bp1auto"},
		{"tag key only", func(r *ecs.DescribeDisksRequest) { r.Tag = &[]ecs.DescribeDisksTag{{Key: "dr"}} }, "d-bp1primary,d-bp1auto,d-bp1entry"},
		{"two tags, both required", func(r *ecs.DescribeDisksRequest) {
			r.Tag = &[]ecs.DescribeDisksTag{{Key: "dr", Value: "enabled"}, {Key: "team", Value: "db"}}
		}, "d-bp1auto"},
		{"tag value differs", func(r *ecs.DescribeDisksRequest) { r.Tag = &[]ecs.DescribeDisksTag{{Key: "dr", Value: "Enabled"}} }, ""},
		{"ids and tag", func(r *ecs.DescribeDisksRequest) {
			r.DiskIds, r.Tag = `["d-bp1entry","d-bp1auto"]`, &[]ecs.DescribeDisksTag{{Key: "dr", Value: "enabled"}}
		}, "d-bp1auto"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := ecs.CreateDescribeDisksRequest()
			req.RegionId = hz
			tc.edit(req)
			resp, err := c.DescribeDisks(req)
			must(t, err)
			if got := strings.Join(diskIDs(resp), ","); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
			if resp.TotalCount != len(resp.Disks.Disk) {
				t.Fatalf("TotalCount %d for %d disks", resp.TotalCount, len(resp.Disks.Disk))
			}
		})
	}
}

func TestDescribeDisksRejections(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	c := newECS(t, srv, hz)
	ids := make([]string, 101)
	for i := range ids {
		ids[i] = fmt.Sprintf("d-bp1x%03d", i)
	}
	many, _ := json.Marshal(ids)
	cases := []struct {
		name   string
		edit   func(r *ecs.DescribeDisksRequest)
		status int
		code   string
	}{
		{"101 DiskIds", func(r *ecs.DescribeDisksRequest) { r.DiskIds = string(many) }, 400, "InvalidDiskIds.Malformed"},
		{"DiskIds not JSON", func(r *ecs.DescribeDisksRequest) { r.DiskIds = "d-bp1primary,d-bp1auto" }, 400, "InvalidDiskIds.Malformed"},
		{"PageSize 101", func(r *ecs.DescribeDisksRequest) { r.PageSize = requests.NewInteger(101) }, 400, "InvalidParameter"},
		{"PageNumber 0", func(r *ecs.DescribeDisksRequest) { r.PageNumber = requests.NewInteger(0) }, 400, "InvalidParameter"},
		{"MaxResults 501", func(r *ecs.DescribeDisksRequest) { r.MaxResults = requests.NewInteger(501) }, 400, "InvalidParameter"},
		{"foreign NextToken", func(r *ecs.DescribeDisksRequest) { r.NextToken = "AAAAAdDWBF2" }, 400, "InvalidParameter"},
		{"unknown region", func(r *ecs.DescribeDisksRequest) { r.RegionId = "cn-atlantis" }, 404, "InvalidRegionId.NotFound"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := ecs.CreateDescribeDisksRequest()
			req.RegionId = hz
			tc.edit(req)
			_, err := c.DescribeDisks(req)
			wantCode(t, err, tc.status, tc.code)
		})
	}
}

func pagedWorld(n int) *emulator.State {
	disks := make([]emulator.Disk, n)
	for i := range disks {
		var opts []emutest.DiskOption
		if i%2 == 0 {
			opts = append(opts, emutest.OptIn())
		}
		disks[i] = emutest.Disk(fmt.Sprintf("d-bp1page%04d", i), hzZone, opts...)
	}
	return emutest.World(disks...)
}

func TestDescribeDisksPagingBothStyles(t *testing.T) {
	srv := emutest.Start(t, pagedWorld(250))
	c := newECS(t, srv, hz)
	optIn := &[]ecs.DescribeDisksTag{{Key: "dr", Value: "enabled"}}

	// PageNumber/PageSize: 125 opted-in disks in pages of 50.
	var byPage []string
	for page := 1; ; page++ {
		req := ecs.CreateDescribeDisksRequest()
		req.RegionId, req.Tag = hz, optIn
		req.PageNumber, req.PageSize = requests.NewInteger(page), requests.NewInteger(50)
		resp, err := c.DescribeDisks(req)
		must(t, err)
		if resp.TotalCount != 125 || resp.PageNumber != page || resp.PageSize != 50 || resp.NextToken != "" {
			t.Fatalf("page %d: total %d, number %d, size %d, token %q", page, resp.TotalCount, resp.PageNumber, resp.PageSize, resp.NextToken)
		}
		if len(resp.Disks.Disk) == 0 {
			break
		}
		byPage = append(byPage, diskIDs(resp)...)
	}
	// NextToken/MaxResults.
	var byToken []string
	token := ""
	for calls := 0; ; calls++ {
		if calls > 10 {
			t.Fatal("token paging does not end")
		}
		req := ecs.CreateDescribeDisksRequest()
		req.RegionId, req.Tag = hz, optIn
		req.MaxResults, req.NextToken = requests.NewInteger(40), token
		resp, err := c.DescribeDisks(req)
		must(t, err)
		byToken = append(byToken, diskIDs(resp)...)
		if token = resp.NextToken; token == "" {
			break
		}
	}
	for name, got := range map[string][]string{"page": byPage, "token": byToken} {
		if len(got) != 125 || !sort.StringsAreSorted(got) || got[0] != "d-bp1page0000" || got[124] != "d-bp1page0248" {
			t.Errorf("%s paging returned %d disks (%v ... )", name, len(got), got[:min(3, len(got))])
		}
	}
	// Defaults: the first 10.
	req := ecs.CreateDescribeDisksRequest()
	req.RegionId = hz
	resp, err := c.DescribeDisks(req)
	must(t, err)
	if len(resp.Disks.Disk) != 10 || resp.TotalCount != 250 || resp.PageNumber != 1 || resp.PageSize != 10 {
		t.Fatalf("default page: %d disks, total %d, page %d/%d", len(resp.Disks.Disk), resp.TotalCount, resp.PageNumber, resp.PageSize)
	}
}

func TestDiskVisibilityAndReadiness(t *testing.T) {
	st := emutest.World(
		emutest.Disk("d-bp1late", hzZone, emutest.VisibleAfter(2000), emutest.OptIn()),
		emutest.Disk("d-bp1slow", hzZone, emutest.ReadyAfter(1000), emutest.Attached("i-bp1new")),
	)
	srv := emutest.Start(t, st)
	c := newECS(t, srv, hz)
	got := describeIDs(t, c, hz, "d-bp1late", "d-bp1slow")
	if _, ok := got["d-bp1late"]; ok || got["d-bp1slow"].Status != "Creating" {
		t.Fatalf("at start: %v", got)
	}
	tag := ecs.CreateTagResourcesRequest()
	tag.RegionId, tag.ResourceType, tag.ResourceId = hz, "disk", &[]string{"d-bp1late"}
	tag.Tag = &[]ecs.TagResourcesTag{{Key: "k", Value: "v"}}
	_, err := c.TagResources(tag)
	wantCode(t, err, 404, "InvalidResourceId.NotFound")
	if snap := snapshotDisk(t, srv, "d-bp1late"); snap.VisibleAfterMs <= 0 || snap.VisibleAfterMs > 2000 {
		t.Fatalf("snapshot visibleAfterMs = %d, want the remaining time", snap.VisibleAfterMs)
	}
	srv.Advance(1000 * time.Millisecond)
	got = describeIDs(t, c, hz, "d-bp1late", "d-bp1slow")
	if _, ok := got["d-bp1late"]; ok || got["d-bp1slow"].Status != "In_use" {
		t.Fatalf("after 1 s: %v", got)
	}
	srv.Advance(1000 * time.Millisecond)
	if _, ok := describeIDs(t, c, hz, "d-bp1late")["d-bp1late"]; !ok {
		t.Fatal("d-bp1late still hidden after 2 s")
	}
	_, err = c.TagResources(tag)
	must(t, err)
	if snap := snapshotDisk(t, srv, "d-bp1late"); snap.VisibleAfterMs != 0 || snap.ReadyAfterMs != 0 {
		t.Fatalf("snapshot after the delays: %+v", snap)
	}
}

func createDiskReq(pl string, size int) *ecs.CreateDiskRequest {
	req := ecs.CreateCreateDiskRequest()
	req.RegionId, req.ZoneId, req.DiskCategory = sh, shZone, "cloud_essd"
	req.PerformanceLevel, req.Size = pl, requests.NewInteger(size)
	return req
}

func TestCreateDisk(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	c := newECS(t, srv, sh)
	req := createDiskReq("PL1", 100)
	req.DiskName, req.Description = "absr-secondary", "secondary of d-bp1primary"
	req.Tag = &[]ecs.CreateDiskTag{{Key: "dr:primary-disk", Value: "d-bp1primary"}}
	resp, err := c.CreateDisk(req)
	must(t, err)
	if !strings.HasPrefix(resp.DiskId, "d-uf6") || resp.RequestId == "" {
		t.Fatalf("create answer %+v", resp)
	}
	d := describeIDs(t, c, sh, resp.DiskId)[resp.DiskId]
	if d.Status != "Available" || d.Type != "data" || d.InstanceId != "" || d.Size != 100 || d.PerformanceLevel != "PL1" ||
		d.ZoneId != shZone || d.DiskName != "absr-secondary" || diskTags(d)["dr:primary-disk"] != "d-bp1primary" {
		t.Fatalf("created disk = %+v", d)
	}
	// Defaults: cloud_essd without a level is PL1.
	req = createDiskReq("", 20)
	resp, err = c.CreateDisk(req)
	must(t, err)
	if pl := describeIDs(t, c, sh, resp.DiskId)[resp.DiskId].PerformanceLevel; pl != "PL1" {
		t.Fatalf("default performance level %q", pl)
	}
	auto := ecs.CreateCreateDiskRequest()
	auto.RegionId, auto.ZoneId, auto.DiskCategory, auto.Size = sh, shZone, "cloud_auto", requests.NewInteger(500)
	resp, err = c.CreateDisk(auto)
	must(t, err)
	if d := describeIDs(t, c, sh, resp.DiskId)[resp.DiskId]; d.Category != "cloud_auto" || d.PerformanceLevel != "" {
		t.Fatalf("cloud_auto disk = %+v", d)
	}
}

func TestCreateDiskSizeFloorsAndRejections(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	c := newECS(t, srv, sh)
	sizes := []struct {
		pl   string
		size int
		ok   bool
	}{
		{"PL0", 0, false}, {"PL0", 1, true}, {"PL1", 19, false}, {"PL1", 20, true}, {"PL2", 460, false}, {"PL2", 461, true},
		{"PL3", 1260, false}, {"PL3", 1261, true}, {"PL3", 65536, true}, {"PL1", 65537, false},
	}
	for _, tc := range sizes {
		_, err := c.CreateDisk(createDiskReq(tc.pl, tc.size))
		if tc.ok {
			must(t, err)
		} else {
			wantCode(t, err, 400, "InvalidDiskSize.ValueNotSupported")
		}
	}
	before := len(srv.Snapshot().Disks)
	cases := []struct {
		name   string
		edit   func(r *ecs.CreateDiskRequest)
		status int
		code   string
	}{
		{"no size", func(r *ecs.CreateDiskRequest) { r.Size = "" }, 400, "MissingParameter"},
		{"no zone", func(r *ecs.CreateDiskRequest) { r.ZoneId = "" }, 400, "MissingParameter"},
		{"zone of another region", func(r *ecs.CreateDiskRequest) { r.ZoneId = hzZone }, 404, "InvalidZoneId.NotFound"},
		{"unknown level", func(r *ecs.CreateDiskRequest) { r.PerformanceLevel = "PL4" }, 400, "InvalidPerformanceLevel.Malformed"},
		{"unknown category", func(r *ecs.CreateDiskRequest) { r.DiskCategory = "cloud_hdd" }, 400, "InvalidDiskCategory.ValueNotSupported"},
		{"name with http://", func(r *ecs.CreateDiskRequest) { r.DiskName = "http://x" }, 400, "InvalidDiskName.Malformed"},
		{"name starting with a digit", func(r *ecs.CreateDiskRequest) { r.DiskName = "9disk" }, 400, "InvalidDiskName.Malformed"},
		{"description of one character", func(r *ecs.CreateDiskRequest) { r.Description = "x" }, 400, "InvalidDescription.Malformed"},
		{"reserved tag key", func(r *ecs.CreateDiskRequest) { r.Tag = &[]ecs.CreateDiskTag{{Key: "acs:owner", Value: "x"}} }, 400, "InvalidTagKey.Malformed"},
		{"21 tags", func(r *ecs.CreateDiskRequest) {
			tags := make([]ecs.CreateDiskTag, 21)
			for i := range tags {
				tags[i] = ecs.CreateDiskTag{Key: fmt.Sprintf("k%d", i), Value: "v"}
			}
			r.Tag = &tags
		}, 400, "InvalidTagCount"},
		{"unknown instance", func(r *ecs.CreateDiskRequest) { r.InstanceId = "i-uf6nothere" }, 404, "InvalidInstanceId.NotFound"},
		{"snapshot", func(r *ecs.CreateDiskRequest) { r.SnapshotId = "s-uf6x" }, 404, "InvalidSnapshotId.NotFound"},
		{"long ClientToken", func(r *ecs.CreateDiskRequest) { r.ClientToken = strings.Repeat("x", 65) }, 400, "InvalidParameter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := createDiskReq("PL1", 100)
			tc.edit(req)
			_, err := c.CreateDisk(req)
			wantCode(t, err, tc.status, tc.code)
		})
	}
	if after := len(srv.Snapshot().Disks); after != before {
		t.Fatalf("rejected creates added %d disks", after-before)
	}
}

func TestCreateDiskClientToken(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	c := newECS(t, srv, sh)
	req := createDiskReq("PL1", 100)
	req.ClientToken = "absr-d-bp1primary-secondary"
	first, err := c.CreateDisk(req)
	must(t, err)
	again, err := c.CreateDisk(req)
	must(t, err)
	if again.DiskId != first.DiskId || again.RequestId == first.RequestId {
		t.Fatalf("repeat answered %+v after %+v: want the same disk, a new request ID", again, first)
	}
	before := len(srv.Snapshot().Disks)
	req.Size = requests.NewInteger(200)
	_, err = c.CreateDisk(req)
	wantCode(t, err, 400, "IdempotentParameterMismatch")
	if after := len(srv.Snapshot().Disks); after != before {
		t.Fatal("a mismatching repeat created a disk")
	}
	req.Size, req.ClientToken = requests.NewInteger(100), "another-token"
	other, err := c.CreateDisk(req)
	must(t, err)
	if other.DiskId == first.DiskId {
		t.Fatal("a new token returned the old disk")
	}
}
