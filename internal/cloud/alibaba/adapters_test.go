package alibaba

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

// hz is a disk in cn-hangzhou-h (see emutest.Disk).
func hz(id string, opts ...emutest.DiskOption) emulator.Disk {
	return emutest.Disk(id, "cn-hangzhou-h", opts...)
}

func TestDescribeDisksMapsFixture(t *testing.T) {
	f := newWire(t, nil)
	var d map[string]any
	loadFixture(t, "disk_essd.json", &d)
	f.setIntercept(func(c wireCall, n int) *wireAnswer {
		return &wireAnswer{status: 200, body: map[string]any{"RequestId": "REQ-FIXTURE", "TotalCount": 1, "NextToken": "",
			"Disks": map[string]any{"Disk": []any{d}}}}
	})
	api := f.pool(t, APIEBS).Client(testCreds)
	got, err := api.DescribeDisks(context.Background(), "cn-hangzhou", []string{"d-bp1essd0000000000001", "d-unknown"})
	if err != nil {
		t.Fatal(err)
	}
	want := []cloud.Disk{{
		ID: "d-bp1essd0000000000001", Name: "data-01", RegionID: "cn-hangzhou", ZoneID: "cn-hangzhou-i",
		Category: "cloud_essd", PerformanceLevel: "PL1", Size: 100, Type: "data", Status: "In_use",
		InstanceID: "i-bp1instance000000001", ChargeType: "PostPaid",
		Tags: map[string]string{"dr": "enabled", "dr:target-region": "cn-shanghai"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	call := f.callsOf("DescribeDisks")[0]
	if call.Query.Get("DiskIds") != `["d-bp1essd0000000000001","d-unknown"]` || call.Query.Get("RegionId") != "cn-hangzhou" ||
		call.Query.Get("Version") != "2014-05-26" || call.Query.Get("MaxResults") != "100" {
		t.Fatalf("request parameters: %v", call.Query)
	}
}

func TestDescribeDisksBatchesOf100(t *testing.T) {
	st := emutest.World(emutest.Disk("d-0001-elsewhere", "cn-beijing-h"))
	var ids []string
	for i := range 250 {
		id := fmt.Sprintf("d-%04d", i)
		ids = append(ids, id)
		if i%5 != 0 { // every fifth disk does not exist
			st.Disks = append(st.Disks, hz(id))
		}
	}
	f := newWire(t, st)
	ids = append(ids, ids[3], "", " ") // duplicates and blanks are dropped
	api := f.pool(t, APIEBS).Client(testCreds)
	got, err := api.DescribeDisks(context.Background(), "cn-hangzhou", ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 200 {
		t.Fatalf("got %d disks, want 200", len(got))
	}
	calls := f.callsOf("DescribeDisks")
	if len(calls) != 3 {
		t.Fatalf("%d calls, want 3", len(calls))
	}
	for i, wantLen := range []int{100, 100, 50} {
		var batch []string
		if err := json.Unmarshal([]byte(calls[i].Query.Get("DiskIds")), &batch); err != nil {
			t.Fatal(err)
		}
		if len(batch) != wantLen {
			t.Fatalf("batch %d has %d IDs, want %d", i, len(batch), wantLen)
		}
	}
	none, err := api.DescribeDisks(context.Background(), "cn-hangzhou", nil)
	if err != nil || len(none) != 0 || len(f.callsOf("DescribeDisks")) != 3 {
		t.Fatalf("no IDs must mean no call: %v %v", none, err)
	}
}

func TestInstanceDisksPages(t *testing.T) {
	st := emutest.World()
	for i := range 230 {
		inst := "i-1"
		if i%2 == 1 {
			inst = "i-2"
		}
		st.Disks = append(st.Disks, hz(fmt.Sprintf("d-%04d", i), emutest.Attached(inst)))
	}
	f := newWire(t, st)
	api := f.pool(t, APIEBS).Client(testCreds)
	got, err := api.InstanceDisks(context.Background(), "cn-hangzhou", "i-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 115 {
		t.Fatalf("got %d disks, want 115", len(got))
	}
	for _, d := range got {
		if d.InstanceID != "i-1" {
			t.Fatalf("disk of another instance: %+v", d)
		}
	}
	calls := f.callsOf("DescribeDisks")
	if len(calls) != 2 || calls[0].Query.Get("InstanceId") != "i-1" || calls[0].nextToken() == "" ||
		calls[1].Query.Get("NextToken") != calls[0].nextToken() || calls[1].Query.Get("InstanceId") != "i-1" {
		t.Fatalf("paging calls: %+v", calls)
	}
	if _, err := api.InstanceDisks(context.Background(), "cn-hangzhou", ""); codeOf(err) != codeInvalidInput {
		t.Fatalf("empty instance ID: %v", err)
	}
}

func TestDisksByTagPagesThroughCallback(t *testing.T) {
	st := emutest.World()
	for i := range 260 {
		var opts []emutest.DiskOption
		switch i % 3 {
		case 0:
			opts = append(opts, emutest.Tags("dr", "enabled"))
		case 1:
			opts = append(opts, emutest.Tags("dr", "disabled"))
		}
		st.Disks = append(st.Disks, hz(fmt.Sprintf("d-%04d", i), opts...))
	}
	f := newWire(t, st)
	api := f.pool(t, APIEBS).Client(testCreds)
	var pages []int
	err := api.DisksByTag(context.Background(), "cn-hangzhou", "dr", "enabled", func(page []cloud.Disk) error {
		pages = append(pages, len(page))
		for _, d := range page {
			if d.Tags["dr"] != "enabled" {
				t.Errorf("disk without the tag: %+v", d)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(pages, []int{87}) {
		t.Fatalf("pages %v", pages)
	}
	q := f.callsOf("DescribeDisks")[0].Query
	if q.Get("Tag.1.Key") != "dr" || q.Get("Tag.1.Value") != "enabled" {
		t.Fatalf("tag filter: %v", q)
	}

	pages = nil
	err = api.DisksByTag(context.Background(), "cn-hangzhou", "dr", "", func(page []cloud.Disk) error {
		pages = append(pages, len(page))
		return nil
	})
	if err != nil || !reflect.DeepEqual(pages, []int{100, 74}) {
		t.Fatalf("any value: pages %v, err %v", pages, err)
	}
	if q := f.Calls()[len(f.Calls())-1].Query; q.Has("Tag.1.Value") {
		t.Fatalf("empty value must not be sent: %v", q)
	}

	stop := errors.New("enough")
	calls := len(f.Calls())
	err = api.DisksByTag(context.Background(), "cn-hangzhou", "dr", "", func([]cloud.Disk) error { return stop })
	if err != stop || len(f.Calls()) != calls+1 {
		t.Fatalf("callback error must stop paging and come back unchanged: %v", err)
	}
	if err := api.DisksByTag(context.Background(), "cn-hangzhou", "", "x", func([]cloud.Disk) error { return nil }); codeOf(err) != codeInvalidInput {
		t.Fatalf("empty key: %v", err)
	}
}

func TestCreateDiskParameters(t *testing.T) {
	f := newWire(t, nil)
	api := f.pool(t, APIEBS).Client(testCreds)
	in := cloud.CreateDiskInput{RegionID: "cn-shanghai", ZoneID: "cn-shanghai-e", Category: "cloud_essd", PerformanceLevel: "PL1",
		Size: 100, Name: "absr-secondary", Description: "secondary of d-1", ClientToken: "tok-create-1",
		Tags: map[string]string{"dr": "secondary", "absr:primary": "d-1"}}
	id, err := api.CreateDisk(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := api.CreateDisk(context.Background(), in)
	if err != nil || again != id {
		t.Fatalf("same ClientToken must give the same disk: %q %q %v", id, again, err)
	}
	q := f.callsOf("CreateDisk")[0].Query
	want := map[string]string{"RegionId": "cn-shanghai", "ZoneId": "cn-shanghai-e", "DiskCategory": "cloud_essd",
		"PerformanceLevel": "PL1", "Size": "100", "DiskName": "absr-secondary", "Description": "secondary of d-1",
		"ClientToken": "tok-create-1", "Tag.1.Key": "absr:primary", "Tag.1.Value": "d-1", "Tag.2.Key": "dr", "Tag.2.Value": "secondary"}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if q.Has("Tag.3.Key") {
		t.Errorf("extra tag: %v", q)
	}

	bad := []cloud.CreateDiskInput{
		{ZoneID: "z", Category: "cloud_essd", Size: 20},                // no region
		{RegionID: "cn-shanghai", Category: "cloud_essd", Size: 20},    // no zone
		{RegionID: "cn-shanghai", ZoneID: "z", Size: 20},               // no category
		{RegionID: "cn-shanghai", ZoneID: "z", Category: "cloud_essd"}, // no size
		{RegionID: "cn-shanghai", ZoneID: "z", Category: "cloud_essd", Size: 20, ClientToken: strings.Repeat("x", 65)},
		{RegionID: "cn-shanghai", ZoneID: "z", Category: "cloud_essd", Size: 20, ClientToken: "has space"},
		{RegionID: "cn-shanghai", ZoneID: "z", Category: "cloud_essd", Size: 20, Tags: map[string]string{"aliyun:x": "1"}},
		{RegionID: "cn-shanghai", ZoneID: "z", Category: "cloud_essd", Size: 20, Tags: map[string]string{"acs:x": "1"}},
		{RegionID: "cn-shanghai", ZoneID: "z", Category: "cloud_essd", Size: 20, Tags: map[string]string{"see http://x": "1"}},
		{RegionID: "CN Shanghai", ZoneID: "z", Category: "cloud_essd", Size: 20},
	}
	for i, b := range bad {
		if _, err := api.CreateDisk(context.Background(), b); codeOf(err) != codeInvalidInput || cloud.IsRetryable(err) {
			t.Errorf("bad input %d: %v", i, err)
		}
	}
	if n := len(f.callsOf("CreateDisk")); n != 2 {
		t.Fatalf("bad input reached the server: %d calls", n)
	}

	f.setIntercept(func(c wireCall, n int) *wireAnswer {
		return &wireAnswer{status: 200, body: map[string]any{"RequestId": "REQ-EMPTY"}}
	})
	if _, err := api.CreateDisk(context.Background(), in); codeOf(err) != codeInvalidResponse || !strings.Contains(err.Error(), "REQ-EMPTY") {
		t.Fatalf("a response without DiskId must be an error: %v", err)
	}
}

func TestTagDisksBatchesOf50(t *testing.T) {
	st := emutest.World()
	var ids []string
	for i := range 120 {
		ids = append(ids, fmt.Sprintf("d-%04d", i))
		st.Disks = append(st.Disks, hz(ids[i]))
	}
	f := newWire(t, st)
	api := f.pool(t, APIEBS).Client(testCreds)
	tags := map[string]string{"dr": "enabled", "dr:paired-with": "d-x"}
	if err := api.TagDisks(context.Background(), "cn-hangzhou", ids, tags); err != nil {
		t.Fatal(err)
	}
	calls := f.callsOf("TagResources")
	if len(calls) != 3 {
		t.Fatalf("%d calls, want 3", len(calls))
	}
	for i, n := range []int{50, 50, 20} {
		q := calls[i].Query
		if q.Get("ResourceType") != "disk" || !q.Has(fmt.Sprintf("ResourceId.%d", n)) || q.Has(fmt.Sprintf("ResourceId.%d", n+1)) {
			t.Fatalf("call %d: %v", i, q)
		}
		if q.Get("Tag.1.Key") != "dr" || q.Get("Tag.2.Key") != "dr:paired-with" || q.Get("Tag.2.Value") != "d-x" {
			t.Fatalf("call %d tags: %v", i, q)
		}
	}
	if got, _ := f.disk("d-0119"); !reflect.DeepEqual(got.Tags, tags) {
		t.Fatalf("last disk tags %v", got.Tags)
	}
	many := map[string]string{}
	for i := range 21 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	for _, bad := range []map[string]string{nil, many, {"": "x"}, {"aliyun": "x"}} {
		if err := api.TagDisks(context.Background(), "cn-hangzhou", ids, bad); codeOf(err) != codeInvalidInput {
			t.Fatalf("tags %v: %v", bad, err)
		}
	}
}

// pairOf is an EBS pair (status normal) between two new disks of st in the zones given.
func pairOf(st *emulator.State, id, srcZone, dstZone string) {
	src := emutest.Disk("d-src-"+id, srcZone)
	dst := emutest.Secondary(src, "d-dst-"+id, dstZone)
	p := emutest.Pair(id, src, dst, "normal")
	p.PairName = "n-" + id
	st.Disks = append(st.Disks, src, dst)
	st.Pairs = append(st.Pairs, p)
}

// The fixture is a real DescribeDiskReplicaPairs record, answered for both sites: it maps, and
// the two answers merge into one pair.
func TestListPairsEBSMapsFixture(t *testing.T) {
	f := newWire(t, nil)
	var fixture map[string]any
	loadFixture(t, "ebs_pair.json", &fixture)
	f.setIntercept(func(c wireCall, n int) *wireAnswer {
		return &wireAnswer{status: 200, body: map[string]any{"RequestId": "REQ-FIXTURE", "NextToken": "", "ReplicaPairs": []any{fixture}}}
	})
	pairs, err := f.pool(t, APIEBS).Client(testCreds).ListPairs(context.Background(), "cn-hangzhou")
	if err != nil {
		t.Fatal(err)
	}
	want := cloud.Pair{ID: "pair-cn-hangzhou-0000000001", Name: "absr-d-bp1essd0000000000001", Status: "normal",
		SourceDiskID: "d-bp1essd0000000000001", SourceRegionID: "cn-hangzhou", SourceZoneID: "cn-hangzhou-i",
		DestinationDiskID: "d-uf6essd0000000000001", DestinationRegionID: "cn-shanghai", DestinationZoneID: "cn-shanghai-e"}
	if len(pairs) != 1 || pairs[0] != want {
		t.Fatalf("fixture mapped to %+v", pairs)
	}
}

func TestListPairsEBSBothSitesPagedAndMerged(t *testing.T) {
	t.Parallel()
	st := emutest.World()
	for i := range 1200 {
		pairOf(st, fmt.Sprintf("pair-out-%04d", i), "cn-hangzhou-h", "cn-shanghai-b")
	}
	for i := range 300 {
		pairOf(st, fmt.Sprintf("pair-in-%04d", i), "cn-beijing-h", "cn-hangzhou-h")
	}
	pairOf(st, "pair-elsewhere", "cn-beijing-h", "cn-shanghai-b")
	// A pair within the region appears on both sites.
	pairOf(st, "pair-local", "cn-hangzhou-h", "cn-hangzhou-i")
	f := newWire(t, st)

	api := f.pool(t, APIEBS).Client(testCreds)
	pairs, err := api.ListPairs(context.Background(), "cn-hangzhou")
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 1200+300+1 {
		t.Fatalf("%d pairs", len(pairs))
	}
	seen := map[string]bool{}
	for _, p := range pairs {
		if seen[p.ID] {
			t.Fatalf("duplicate %s", p.ID)
		}
		seen[p.ID] = true
	}
	if seen["pair-elsewhere"] || !seen["pair-local"] {
		t.Fatal("pair of other regions listed, or the pair within the region left out")
	}
	want := cloud.Pair{ID: "pair-in-0007", Name: "n-pair-in-0007", Status: "normal",
		SourceDiskID: "d-src-pair-in-0007", SourceRegionID: "cn-beijing", SourceZoneID: "cn-beijing-h",
		DestinationDiskID: "d-dst-pair-in-0007", DestinationRegionID: "cn-hangzhou", DestinationZoneID: "cn-hangzhou-h"}
	i := slices.IndexFunc(pairs, func(p cloud.Pair) bool { return p.ID == want.ID })
	if i < 0 {
		t.Fatalf("%s not listed", want.ID)
	}
	// A normal pair's recovery point is the emulator's now: it is mapped, then left out of the
	// comparison.
	got := pairs[i]
	if got.LastRecoverPoint.IsZero() {
		t.Errorf("a normal pair's LastRecoverPoint was not mapped: %+v", got)
	}
	got.LastRecoverPoint = time.Time{}
	if got != want {
		t.Fatalf("backup-site pair mapped to %+v", got)
	}
	var sites []string
	calls := f.callsOf("DescribeDiskReplicaPairs")
	for i, c := range calls {
		if c.Query.Get("MaxResults") != "500" || c.Version != "2021-07-30" {
			t.Fatalf("call %v", c.Query)
		}
		if i > 0 && c.Query.Get("Site") == calls[i-1].Query.Get("Site") && c.Query.Get("NextToken") != calls[i-1].nextToken() {
			t.Fatalf("call %d sent NextToken %q after an answer with %q", i, c.Query.Get("NextToken"), calls[i-1].nextToken())
		}
		sites = append(sites, c.Query.Get("Site"))
	}
	if want := []string{"production", "production", "production", "backup"}; !reflect.DeepEqual(sites, want) {
		t.Fatalf("calls %v, want %v", sites, want)
	}
	if calls[0].Query.Has("NextToken") || calls[3].Query.Has("NextToken") || calls[2].nextToken() != "" {
		t.Fatalf("each site must start without a NextToken and stop at the last page")
	}
}

// The legacy fixture is the seed document's record, answered on one page.
func TestListPairsLegacyMapsFixture(t *testing.T) {
	f := newWire(t, nil)
	var fixture map[string]any
	loadFixture(t, "legacy_pair.json", &fixture)
	f.setIntercept(func(c wireCall, n int) *wireAnswer {
		return &wireAnswer{status: 200, body: map[string]any{"RequestId": "REQ-FIXTURE", "NextToken": "",
			"DiskReplicaPairs": map[string]any{"DiskReplicaPair": []any{fixture}}}}
	})
	pairs, err := f.pool(t, APIECS).Client(testCreds).ListPairs(context.Background(), "cn-beijing")
	if err != nil {
		t.Fatal(err)
	}
	want := cloud.Pair{ID: "rp-dsaf233kj23j2j30001", Name: "TestReplicaPair", Status: "active", SourceDiskID: "d-bp1famypsnar20bv0001",
		SourceRegionID: "cn-beijing", SourceZoneID: "cn-beijing-h", DestinationDiskID: "d-asdfjl2342kj2l3k40001",
		DestinationRegionID: "cn-shanghai", DestinationZoneID: "cn-shanghai-e"}
	if len(pairs) != 1 || pairs[0] != want {
		t.Fatalf("fixture mapped to %+v", pairs)
	}
}

func TestListPairsLegacy(t *testing.T) {
	st := emutest.World()
	for i := range 151 {
		src := emutest.Disk(fmt.Sprintf("d-%04d", i), "cn-beijing-h")
		dst := emutest.Secondary(src, fmt.Sprintf("d-dst-%04d", i), "cn-shanghai-b")
		st.Disks = append(st.Disks, src, dst)
		st.Pairs = append(st.Pairs, emutest.LegacyPair(fmt.Sprintf("rp-%04d", i), src, dst, "inactive"))
	}
	f := newWire(t, st)
	api := f.pool(t, APIECS).Client(testCreds)
	pairs, err := api.ListPairs(context.Background(), "cn-beijing")
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 151 {
		t.Fatalf("%d pairs", len(pairs))
	}
	if p := pairs[0]; p.ID != "rp-0000" || p.Status != "inactive" || p.SourceDiskID != "d-0000" || p.DestinationRegionID != "cn-shanghai" {
		t.Fatalf("first pair %+v", p)
	}
	calls := f.callsOf("DescribeDiskReplicaPairs")
	if len(calls) != 2 || calls[0].Version != "2014-05-26" || calls[0].Query.Get("RegionId") != "cn-beijing" ||
		calls[0].nextToken() == "" || calls[1].Query.Get("NextToken") != calls[0].nextToken() {
		t.Fatalf("calls %+v", calls)
	}
}

func TestCreateAndStartPairEBS(t *testing.T) {
	d1, d3 := emutest.Disk("d-1", "cn-hangzhou-i"), emutest.Disk("d-3", "cn-hangzhou-i")
	f := newWire(t, emutest.World(d1, emutest.Secondary(d1, "d-2", "cn-shanghai-e"), d3, emutest.Secondary(d3, "d-4", "cn-shanghai-e")))
	api := f.pool(t, APIEBS).Client(testCreds)
	in := cloud.CreatePairInput{RegionID: "cn-hangzhou", DiskID: "d-1", SourceZoneID: "cn-hangzhou-i", DestinationRegionID: "cn-shanghai",
		DestinationZoneID: "cn-shanghai-e", DestinationDiskID: "d-2", Name: "absr-d-1", Description: "by absr",
		ChargeType: "POSTPAY", RPO: 900, ClientToken: "tok-pair-1"}
	id, err := api.CreatePair(context.Background(), in)
	if err != nil || id == "" {
		t.Fatalf("%q %v", id, err)
	}
	q := f.callsOf("CreateDiskReplicaPair")[0].Query
	want := map[string]string{"Version": "2021-07-30", "RegionId": "cn-hangzhou", "DiskId": "d-1", "SourceZoneId": "cn-hangzhou-i",
		"DestinationRegionId": "cn-shanghai", "DestinationZoneId": "cn-shanghai-e", "DestinationDiskId": "d-2",
		"PairName": "absr-d-1", "Description": "by absr", "ChargeType": "POSTPAY", "RPO": "900", "ClientToken": "tok-pair-1"}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if q.Has("Bandwidth") {
		t.Errorf("Bandwidth sent while unset")
	}
	if q.Has("Period") || q.Has("PeriodUnit") {
		t.Errorf("Period sent with POSTPAY")
	}
	in.Bandwidth, in.ChargeType, in.ClientToken = 10240, "PREPAY", "tok-pair-2"
	if _, err := api.CreatePair(context.Background(), in); codeOf(err) != codeInvalidInput {
		t.Errorf("PREPAY without a period: %v, want %s (the API refuses it)", err, codeInvalidInput)
	}
	in.Period = 12
	in.DiskID, in.DestinationDiskID = "d-3", "d-4" // a disk is in one pair only
	if _, err := api.CreatePair(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if q := f.callsOf("CreateDiskReplicaPair")[1].Query; q.Get("Bandwidth") != "10240" || q.Get("Period") != "12" || q.Get("PeriodUnit") != "Month" {
		t.Errorf("Bandwidth, Period, PeriodUnit = %q, %q, %q", q.Get("Bandwidth"), q.Get("Period"), q.Get("PeriodUnit"))
	}

	if err := api.StartPair(context.Background(), "cn-hangzhou", id, "tok-start-1"); err != nil {
		t.Fatal(err)
	}
	sq := f.callsOf("StartDiskReplicaPair")[0].Query
	if sq.Get("ReplicaPairId") != id || sq.Get("ClientToken") != "tok-start-1" || sq.Get("RegionId") != "cn-hangzhou" || sq.Get("Version") != "2021-07-30" {
		t.Fatalf("start: %v", sq)
	}

	// A fake answering the legacy shape to the EBS create: the SDK decodes ReplicaPairId as "".
	f.setIntercept(func(c wireCall, n int) *wireAnswer {
		return &wireAnswer{status: 200, body: map[string]any{"RequestId": "REQ-LEGACY", "PairId": "rp-1"}}
	})
	if _, err := api.CreatePair(context.Background(), in); codeOf(err) != codeInvalidResponse {
		t.Fatalf("missing ReplicaPairId must be an error: %v", err)
	}
	f.setIntercept(nil)

	for i, bad := range []cloud.CreatePairInput{
		{RegionID: "cn-hangzhou", SourceZoneID: "z", DestinationRegionID: "r", DestinationZoneID: "z", DestinationDiskID: "d"},
		{RegionID: "cn-hangzhou", DiskID: "d", DestinationRegionID: "r", DestinationZoneID: "z", DestinationDiskID: "d"},
		{RegionID: "cn-hangzhou", DiskID: "d", SourceZoneID: "z", DestinationZoneID: "z", DestinationDiskID: "d"},
		{RegionID: "cn-hangzhou", DiskID: "d", SourceZoneID: "z", DestinationRegionID: "r", DestinationDiskID: "d"},
		{RegionID: "cn-hangzhou", DiskID: "d", SourceZoneID: "z", DestinationRegionID: "r", DestinationZoneID: "z"},
		{RegionID: "cn-hangzhou", DiskID: "d", SourceZoneID: "z", DestinationRegionID: "r", DestinationZoneID: "z", DestinationDiskID: "d", ChargeType: "monthly"},
		{DiskID: "d", SourceZoneID: "z", DestinationRegionID: "r", DestinationZoneID: "z", DestinationDiskID: "d"},
	} {
		if _, err := api.CreatePair(context.Background(), bad); codeOf(err) != codeInvalidInput {
			t.Errorf("bad input %d: %v", i, err)
		}
	}
	if err := api.StartPair(context.Background(), "cn-hangzhou", "", ""); codeOf(err) != codeInvalidInput {
		t.Errorf("empty pair ID: %v", err)
	}
}

func TestCreateAndStartPairLegacy(t *testing.T) {
	d1 := emutest.Disk("d-1", "cn-beijing-h")
	f := newWire(t, emutest.World(d1, emutest.Secondary(d1, "d-2", "cn-shanghai-e")))
	api := f.pool(t, APIECS).Client(testCreds)
	in := cloud.CreatePairInput{RegionID: "cn-beijing", DiskID: "d-1", SourceZoneID: "cn-beijing-h", DestinationRegionID: "cn-shanghai",
		DestinationZoneID: "cn-shanghai-e", DestinationDiskID: "d-2", Name: "TestReplicaPair", Description: "desc",
		ChargeType: "POSTPAY", RPO: 900, Bandwidth: 10240, ClientToken: "tok"}
	id, err := api.CreatePair(context.Background(), in)
	if err != nil || id == "" {
		t.Fatalf("%q %v", id, err)
	}
	q := f.callsOf("CreateDiskReplicaPair")[0].Query
	// Exactly the seed document's parameters plus the common ones.
	var params []string
	for k := range q {
		switch k {
		case "Action", "Version", "Format", "AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce",
			"SignatureType", "Timestamp", "SecurityToken", "Signature":
			continue
		}
		params = append(params, k+"="+q.Get(k))
	}
	sort.Strings(params)
	want := []string{"Description=desc", "DestinationDiskId=d-2", "DestinationRegionId=cn-shanghai", "DiskId=d-1",
		"PairName=TestReplicaPair", "RegionId=cn-beijing"}
	if !reflect.DeepEqual(params, want) || q.Get("Version") != "2014-05-26" {
		t.Fatalf("params %v, want %v", params, want)
	}
	if err := api.StartPair(context.Background(), "cn-beijing", id, "ignored"); err != nil {
		t.Fatal(err)
	}
	sq := f.callsOf("StartDiskReplicaPair")[0].Query
	if sq.Get("ReplicaPairId") != id || sq.Get("RegionId") != "cn-beijing" || sq.Has("ClientToken") || sq.Get("Version") != "2014-05-26" {
		t.Fatalf("start: %v", sq)
	}
	in.Name = ""
	if _, err := api.CreatePair(context.Background(), in); codeOf(err) != codeInvalidInput {
		t.Fatalf("legacy requires PairName: %v", err)
	}
	f.setIntercept(func(c wireCall, n int) *wireAnswer {
		return &wireAnswer{status: 200, body: map[string]any{"RequestId": "R", "ReplicaPairId": "pair-x"}}
	})
	in.Name = "n"
	if _, err := api.CreatePair(context.Background(), in); codeOf(err) != codeInvalidResponse {
		t.Fatalf("missing PairId must be an error: %v", err)
	}
}

func TestSecurityTokenReachesServer(t *testing.T) {
	f := newWire(t, nil)
	p := f.pool(t, APIEBS)
	if _, err := p.Client(testCreds).ListPairs(context.Background(), "cn-hangzhou"); err != nil {
		t.Fatal(err)
	}
	if got := f.Calls()[0].Query.Get("SecurityToken"); got != testToken {
		t.Fatalf("SecurityToken = %q", got)
	}
	if _, err := p.Client(plainCreds).ListPairs(context.Background(), "cn-hangzhou"); err != nil {
		t.Fatal(err)
	}
	if q := f.Calls()[2].Query; q.Has("SecurityToken") {
		t.Fatalf("AK credentials sent a SecurityToken")
	}
}

func TestDefaultCredentialsFromEnvironment(t *testing.T) {
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", testAKID)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", testSecret)
	t.Setenv("ALIBABA_CLOUD_SECURITY_TOKEN", testToken)
	f := newWire(t, nil)
	if _, err := f.pool(t, APIECS).Client(DefaultCredentials()).ListPairs(context.Background(), "cn-beijing"); err != nil {
		t.Fatal(err)
	}
	q := f.Calls()[0].Query
	if q.Get("AccessKeyId") != testAKID || q.Get("SecurityToken") != testToken {
		t.Fatalf("env credentials not used: %s %s", q.Get("AccessKeyId"), q.Get("SecurityToken"))
	}
}

func TestBadCredentials(t *testing.T) {
	f := newWire(t, nil)
	p := f.pool(t, APIEBS)
	ctx := context.Background()

	wrongSecret := cloud.Credentials{AccessKeyID: testAKID, AccessKeySecret: "Wrong/Secret+Value", SecurityToken: testToken}
	_, err := p.Client(wrongSecret).ListPairs(ctx, "cn-hangzhou")
	if codeOf(err) != "SignatureDoesNotMatch" || cloud.IsRetryable(err) {
		t.Fatalf("wrong secret: %v", err)
	}
	assertNoCredentials(t, err.Error())
	if strings.Contains(err.Error(), "Wrong/Secret+Value") || !strings.Contains(err.Error(), "string to sign") {
		t.Fatalf("message: %v", err)
	}
	if n := f.emu.Calls().Total(); n != 0 {
		t.Fatalf("the emulator accepted %d requests with a wrong secret", n)
	}

	_, err = p.Client(cloud.Credentials{AccessKeyID: "LTAIunknownKey", AccessKeySecret: "x-secret"}).ListPairs(ctx, "cn-hangzhou")
	if codeOf(err) != "InvalidAccessKeyId.NotFound" || cloud.IsRetryable(err) {
		t.Fatalf("unknown key: %v", err)
	}

	_, err = p.Client(cloud.Credentials{AccessKeyID: testAKID}).ListPairs(ctx, "cn-hangzhou")
	if codeOf(err) != codeCredentials || cloud.IsRetryable(err) {
		t.Fatalf("missing secret: %v", err)
	}
	if _, err = p.Client(nil).ListPairs(ctx, "cn-hangzhou"); codeOf(err) != codeCredentials {
		t.Fatalf("nil source: %v", err)
	}
	if err := p.Client(testCreds).DisksByTag(ctx, "cn-hangzhou", "dr", "", nil); codeOf(err) != codeInvalidInput {
		t.Fatalf("nil callback: %v", err)
	}
}

func TestHTTPSByDefault(t *testing.T) {
	p, err := NewPool(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.ecs.scheme != "HTTPS" || p.ebs.scheme != "HTTPS" || p.sdkConfig.Scheme != "HTTPS" {
		t.Fatalf("schemes %q %q %q", p.ecs.scheme, p.ebs.scheme, p.sdkConfig.Scheme)
	}
	if p.ecs.domain("cn-hangzhou") != "ecs.cn-hangzhou.aliyuncs.com" || p.ebs.domain("ap-southeast-1") != "ebs.ap-southeast-1.aliyuncs.com" {
		t.Fatalf("domains %q %q", p.ecs.domain("cn-hangzhou"), p.ebs.domain("ap-southeast-1"))
	}
	o := p.Options()
	if o.API != APIEBS || o.ConnectTimeout != 5*time.Second || o.RequestTimeout != 10*time.Second || o.Retry.MaxAttempts != 5 || o.MaxQPS != 0 {
		t.Fatalf("defaults %+v", o)
	}
	if p.sdkConfig.AutoRetry {
		t.Fatal("the SDK's AutoRetry must stay off")
	}
}

func TestNewPoolRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{
		{API: "rds"},
		{ECSEndpoint: "ftp://x"},
		{EBSEndpoint: "http://x/path"},
		{EBSEndpoint: "http://"},
		{EBSEndpoint: "http://u:p@x"},
		{RequestTimeout: -1},
		{MaxQPS: -1},
	} {
		if _, err := NewPool(o); err == nil {
			t.Errorf("accepted %+v", o)
		}
	}
	t.Setenv("DEBUG", "tea,sdk")
	if _, err := NewPool(Options{}); err == nil {
		t.Error("DEBUG=sdk accepted")
	}
}

// A listing whose NextToken comes back a second time would page forever: every paging call
// stops with InvalidResponse after the repeat, naming the request that repeated it.
func TestRepeatedNextTokenStopsPaging(t *testing.T) {
	f := newWire(t, nil)
	f.setIntercept(func(c wireCall, n int) *wireAnswer {
		token := []string{"a", "b", "a"}[min(n, 3)-1]
		return &wireAnswer{status: 200, body: map[string]any{"RequestId": fmt.Sprintf("REQ-PAGE-%d", n), "NextToken": token}}
	})
	ctx := context.Background()
	check := func(name string, err error, calls int) {
		t.Helper()
		var e *cloud.Error
		if !errors.As(err, &e) || e.Code != codeInvalidResponse || e.RequestID != "REQ-PAGE-3" {
			t.Errorf("%s: %v", name, err)
		}
		if calls != 3 {
			t.Errorf("%s: %d requests, want 3", name, calls)
		}
	}
	ebs := f.pool(t, APIEBS).Client(testCreds)
	_, err := ebs.InstanceDisks(ctx, "cn-hangzhou", "i-1")
	check("InstanceDisks", err, len(f.callsOf("DescribeDisks")))
	_, err = ebs.ListPairs(ctx, "cn-hangzhou")
	check("ListPairs", err, len(f.callsOf("DescribeDiskReplicaPairs")))
	f.resetCalls()
	_, err = f.pool(t, APIECS).Client(testCreds).ListPairs(ctx, "cn-hangzhou")
	check("legacy ListPairs", err, len(f.callsOf("DescribeDiskReplicaPairs")))
}
