package emulator_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ebs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

const demoState = "../../events/demo-state.json"

// The demo world loads, validates, and reads through the SDK as the design describes.
func TestDemoStateLoadsAndServesTheDemoWorld(t *testing.T) {
	st, err := emulator.LoadState(demoState)
	must(t, err)
	if st.AccountID != "1234567890123456" || len(st.Credentials) != 0 {
		t.Fatalf("account %q, %d credentials; want the demo account and the default credentials", st.AccountID, len(st.Credentials))
	}
	srv := emutest.Start(t, st)
	c := newECS(t, srv, hz)

	// Every opted-in disk in Hangzhou, by tag filter.
	req := ecs.CreateDescribeDisksRequest()
	req.RegionId = hz
	req.Tag = &[]ecs.DescribeDisksTag{{Key: "dr", Value: "enabled"}}
	req.MaxResults = requests.NewInteger(100)
	resp, err := c.DescribeDisks(req)
	must(t, err)
	var optedIn []string
	for _, d := range resp.Disks.Disk {
		optedIn = append(optedIn, d.DiskId)
	}
	want := []string{"d-bp1demo0001mapped", "d-bp1demo0002tagged", "d-bp1demo0003discover", "d-bp1demo0004paired",
		"d-bp1demo0005entry", "d-bp1demo0008data", "d-bp1demo0009fresh", "d-bp1demo0010nosec",
		"d-bp1demo0011stopped", "d-bp1demo0012resized", "d-bp1demo0013behind"}
	if len(optedIn) != len(want) {
		t.Fatalf("opted-in disks %v, want %v", optedIn, want)
	}
	for i := range want {
		if optedIn[i] != want[i] {
			t.Fatalf("opted-in disks %v, want %v", optedIn, want)
		}
	}

	disks := describeIDs(t, c, hz, "d-bp1demo0001mapped", "d-bp1demo0003discover", "d-bp1demo0009fresh", "d-bp1demo0007sys")
	if d := disks["d-bp1demo0001mapped"]; d.Status != "In_use" || d.InstanceId != "i-bp1demo0001" || d.PerformanceLevel != "PL1" || d.Size != 100 {
		t.Errorf("mapped primary = %+v", d)
	}
	if d := disks["d-bp1demo0003discover"]; d.Category != "cloud_auto" || d.PerformanceLevel != "" || d.Size != 500 {
		t.Errorf("cloud_auto primary = %+v", d)
	}
	if d := disks["d-bp1demo0007sys"]; d.Type != "system" || len(d.Tags.Tag) != 0 {
		t.Errorf("system disk = %+v", d)
	}
	if st := disks["d-bp1demo0009fresh"].Status; st != "Creating" {
		t.Errorf("fresh disk is %s at first, want Creating", st)
	}
	srv.Advance(1500 * time.Millisecond)
	if st := describeIDs(t, c, hz, "d-bp1demo0009fresh")["d-bp1demo0009fresh"].Status; st != "Available" {
		t.Errorf("fresh disk is %s after 1.5 s, want Available", st)
	}

	// The instance's disks, and the back-referenced secondaries in Shanghai.
	ireq := ecs.CreateDescribeDisksRequest()
	ireq.RegionId, ireq.InstanceId = hz, "i-bp1demo0002"
	iresp, err := c.DescribeDisks(ireq)
	must(t, err)
	if iresp.TotalCount != 2 {
		t.Errorf("instance i-bp1demo0002 has %d disks, want 2", iresp.TotalCount)
	}
	sreq := ecs.CreateDescribeDisksRequest()
	sreq.RegionId, sreq.Status = sh, "Available"
	sreq.Tag = &[]ecs.DescribeDisksTag{{Key: "dr:primary-disk"}}
	sresp, err := newECS(t, srv, sh).DescribeDisks(sreq)
	must(t, err)
	if sresp.TotalCount != 3 {
		t.Errorf("%d back-referenced secondaries in Shanghai, want 3 (0003, 0008, 0009)", sresp.TotalCount)
	}

	// The existing pairs: one healthy, one stopped, one invalid after a resize, one lagging (its
	// recovery point pinned in the past).
	pairs := describePairs(t, newEBS(t, srv, hz), hz, nil)
	var got []string
	for _, p := range pairs.ReplicaPairs {
		pinned := p.LastRecoverPoint == 1796320800
		got = append(got, fmt.Sprintf("%s %s->%s %s %s pinned=%v", p.ReplicaPairId, p.SourceDiskId, p.DestinationDiskId, p.Status, p.StatusMessage, pinned))
	}
	wantPairs := []string{
		"pair-demo0004 d-bp1demo0004paired->d-uf6demo0004sec normal  pinned=false",
		"pair-demo0011 d-bp1demo0011stopped->d-uf6demo0011sec stopped  pinned=false",
		"pair-demo0012 d-bp1demo0012resized->d-uf6demo0012sec invalid DeviceSizeChanged pinned=false",
		"pair-demo0013 d-bp1demo0013behind->d-uf6demo0013sec normal  pinned=true",
	}
	if !slices.Equal(got, wantPairs) {
		t.Errorf("demo pairs\n got %q\nwant %q", got, wantPairs)
	}
	// The demo's happy path: the mapped primary pairs with its secondary and starts.
	e := newEBS(t, srv, hz)
	create := ebs.CreateCreateDiskReplicaPairRequest()
	create.RegionId, create.DiskId, create.SourceZoneId = hz, "d-bp1demo0001mapped", hzZone
	create.DestinationRegionId, create.DestinationZoneId, create.DestinationDiskId = sh, shZone, "d-uf6demo0001sec"
	created, err := e.CreateDiskReplicaPair(create)
	must(t, err)
	// The demo world keeps a new pair creating for a moment, as the service does.
	_, err = e.StartDiskReplicaPair(startReq(created.ReplicaPairId))
	wantCode(t, err, 403, "OperationDenied.InvalidStatus")
	srv.Advance(time.Second)
	_, err = e.StartDiskReplicaPair(startReq(created.ReplicaPairId))
	must(t, err)
}
