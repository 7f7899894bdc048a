package emulator_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ebs"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

// createReq is a valid EBS create for d-bp1primary -> d-uf6secondary.
func createReq() *ebs.CreateDiskReplicaPairRequest {
	req := ebs.CreateCreateDiskReplicaPairRequest()
	req.RegionId = hz
	req.DiskId, req.SourceZoneId = "d-bp1primary", hzZone
	req.DestinationRegionId, req.DestinationZoneId, req.DestinationDiskId = sh, shZone, "d-uf6secondary"
	req.PairName = "absr-d-bp1primary"
	return req
}

func startReq(id string) *ebs.StartDiskReplicaPairRequest {
	req := ebs.CreateStartDiskReplicaPairRequest()
	req.RegionId, req.ReplicaPairId = hz, id
	return req
}

func describePairs(t testing.TB, c *ebs.Client, region string, edit func(*ebs.DescribeDiskReplicaPairsRequest)) *ebs.DescribeDiskReplicaPairsResponse {
	t.Helper()
	req := ebs.CreateDescribeDiskReplicaPairsRequest()
	req.RegionId = region
	if edit != nil {
		edit(req)
	}
	resp, err := c.DescribeDiskReplicaPairs(req)
	must(t, err)
	return resp
}

func TestEBSPairLifecycle(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	c := newEBS(t, srv, hz)
	req := createReq()
	req.Description = "protects the primary"
	req.Tag = &[]ebs.CreateDiskReplicaPairTag{{Key: "owner", Value: "absr"}}
	created, err := c.CreateDiskReplicaPair(req)
	must(t, err)
	id := created.ReplicaPairId
	if !strings.HasPrefix(id, "pair-") || created.OrderId == "" || created.RequestId == "" {
		t.Fatalf("create answer = %+v", created)
	}

	got := describePairs(t, c, hz, nil)
	if len(got.ReplicaPairs) != 1 {
		t.Fatalf("pairs = %+v", got.ReplicaPairs)
	}
	p := got.ReplicaPairs[0]
	want := ebs.ReplicaPair{ReplicaPairId: id, PairName: "absr-d-bp1primary", Description: "protects the primary",
		Status: "created", SourceRegion: hz, SourceZoneId: hzZone, SourceDiskId: "d-bp1primary",
		DestinationRegion: sh, DestinationZoneId: shZone, DestinationDiskId: "d-uf6secondary", RPO: 900,
		ChargeType: "POSTPAY", Site: "production", PrimaryRegion: hz, PrimaryZone: hzZone, StandbyRegion: sh,
		StandbyZone: shZone, CreateTime: p.CreateTime, Tags: []ebs.Tag{{TagKey: "owner", TagValue: "absr"}}}
	if fmt.Sprintf("%+v", p) != fmt.Sprintf("%+v", want) {
		t.Fatalf("pair record\n got %+v\nwant %+v", p, want)
	}
	if p.CreateTime == 0 {
		t.Fatal("CreateTime is 0")
	}
	for value, want := range map[string]int{"absr": 1, "other": 0} {
		got := describePairs(t, c, hz, func(r *ebs.DescribeDiskReplicaPairsRequest) {
			r.Tag = &[]ebs.DescribeDiskReplicaPairsTag{{Key: "owner", Value: value}}
		})
		if len(got.ReplicaPairs) != want {
			t.Fatalf("tag filter owner=%s: %d pairs, want %d", value, len(got.ReplicaPairs), want)
		}
	}

	_, err = c.StartDiskReplicaPair(startReq(id))
	must(t, err)
	if st := snapshotPairs(srv)[id].Status; st != "initial_syncing" {
		t.Fatalf("after start: %s", st)
	}
	srv.Advance(time.Second)
	if st := describePairs(t, c, hz, nil).ReplicaPairs[0].Status; st != "normal" {
		t.Fatalf("a second after start: %s", st)
	}
	_, err = c.StartDiskReplicaPair(startReq(id))
	wantCode(t, err, 403, "OperationDenied.InvalidStatus")

	del := ebs.CreateDeleteDiskReplicaPairRequest()
	del.RegionId, del.ReplicaPairId = hz, id
	_, err = c.DeleteDiskReplicaPair(del)
	wantCode(t, err, 403, "OperationDenied.InvalidStatus")

	stop := ebs.CreateStopDiskReplicaPairRequest()
	stop.RegionId, stop.ReplicaPairId = hz, id
	_, err = c.StopDiskReplicaPair(stop)
	must(t, err)
	_, err = c.StopDiskReplicaPair(stop)
	wantCode(t, err, 403, "OperationDenied.InvalidStatus")
	if st := snapshotPairs(srv)[id].Status; st != "stopped" {
		t.Fatalf("after stop: %s", st)
	}
	_, err = c.StartDiskReplicaPair(startReq(id)) // stopped -> initial_syncing again
	must(t, err)
	_, err = c.StopDiskReplicaPair(stop)
	must(t, err)
	_, err = c.DeleteDiskReplicaPair(del)
	must(t, err)
	if len(srv.Snapshot().Pairs) != 0 {
		t.Fatalf("pair still there after delete: %+v", srv.Snapshot().Pairs)
	}
	_, err = c.DeleteDiskReplicaPair(del)
	wantCode(t, err, 404, "NoSuchResource")
	// The disks are free again.
	_, err = c.CreateDiskReplicaPair(createReq())
	must(t, err)

	calls := srv.Calls().Calls
	for k, n := range map[string]int{"ebs/CreateDiskReplicaPair": 2, "ebs/StartDiskReplicaPair": 3,
		"ebs/StopDiskReplicaPair": 3, "ebs/DeleteDiskReplicaPair": 3, "ebs/DescribeDiskReplicaPairs": 4} {
		if calls[k] != n {
			t.Errorf("calls[%s] = %d, want %d", k, calls[k], n)
		}
	}
}

func TestEBSOneShotStartSettlesStopped(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	c := newEBS(t, srv, hz)
	created, err := c.CreateDiskReplicaPair(createReq())
	must(t, err)
	req := startReq(created.ReplicaPairId)
	req.OneShot = requests.NewBoolean(true)
	_, err = c.StartDiskReplicaPair(req)
	must(t, err)
	if st := snapshotPairs(srv)[created.ReplicaPairId].Status; st != "manual_syncing" {
		t.Fatalf("one-shot start: %s", st)
	}
	srv.Advance(time.Second)
	if st := snapshotPairs(srv)[created.ReplicaPairId].Status; st != "stopped" {
		t.Fatalf("one-shot settled: %s", st)
	}
}

func TestEBSCreateRejections(t *testing.T) {
	primary := emutest.Disk("d-bp1primary", hzZone, emutest.Attached("i-bp1one"))
	st := emutest.World(primary,
		emutest.Secondary(primary, "d-uf6secondary", shZone),
		emutest.Secondary(primary, "d-bp1samezone", hzZone),
		emutest.Disk("d-uf6pl2", shZone, emutest.Spec("cloud_essd", "PL2", 500)),
		emutest.Disk("d-uf6bigger", shZone, emutest.Spec("cloud_essd", "PL1", 200)),
		emutest.Disk("d-uf6auto", shZone, emutest.Spec("cloud_auto", "", 100)),
		emutest.Disk("d-bp1entry", hzZone, emutest.Spec("cloud_essd_entry", "", 100)),
		emutest.Disk("d-uf6entry", shZone, emutest.Spec("cloud_essd_entry", "", 100)),
		emutest.Disk("d-bp1efficiency", hzZone, emutest.Spec("cloud_efficiency", "", 100)),
		emutest.Disk("d-uf6efficiency", shZone, emutest.Spec("cloud_efficiency", "", 100)),
		emutest.Disk("d-bp1creating", hzZone, emutest.ReadyAfter(60_000)),
		emutest.Disk("d-bp1hidden", hzZone, emutest.VisibleAfter(60_000)),
		emutest.Disk("d-bp1paired", hzZone),
		emutest.Disk("d-uf6paired", shZone),
		emutest.Disk("d-bp1legacy", hzZone),
		emutest.Disk("d-uf6legacy", shZone),
		emutest.Disk("d-bp1free", hzZone),
	)
	st.Pairs = []emulator.Pair{
		emutest.Pair("pair-existing", st.Disks[12], st.Disks[13], "normal"),
		emutest.LegacyPair("rp-existinglegacy", st.Disks[14], st.Disks[15], "active"),
	}
	srv := emutest.Start(t, st)
	c := newEBS(t, srv, hz)
	cases := []struct {
		name   string
		edit   func(r *ebs.CreateDiskReplicaPairRequest)
		status int
		code   string
	}{
		{"no DiskId", func(r *ebs.CreateDiskReplicaPairRequest) { r.DiskId = "" }, 400, "MissingParameter"},
		{"no SourceZoneId", func(r *ebs.CreateDiskReplicaPairRequest) { r.SourceZoneId = "" }, 400, "MissingParameter"},
		{"no DestinationRegionId", func(r *ebs.CreateDiskReplicaPairRequest) { r.DestinationRegionId = "" }, 400, "MissingParameter"},
		{"no DestinationZoneId", func(r *ebs.CreateDiskReplicaPairRequest) { r.DestinationZoneId = "" }, 400, "MissingParameter"},
		{"no DestinationDiskId", func(r *ebs.CreateDiskReplicaPairRequest) { r.DestinationDiskId = "" }, 400, "MissingParameter"},
		{"RPO other than 900", func(r *ebs.CreateDiskReplicaPairRequest) { r.RPO = requests.NewInteger(300) }, 400, "InvalidParameter"},
		{"Bandwidth with POSTPAY", func(r *ebs.CreateDiskReplicaPairRequest) { r.Bandwidth = requests.NewInteger(10240) }, 400, "InvalidParameter"},
		{"odd Bandwidth with PREPAY", func(r *ebs.CreateDiskReplicaPairRequest) {
			r.ChargeType, r.Bandwidth = "PREPAY", requests.NewInteger(12345)
		}, 400, "InvalidParameter"},
		{"unknown ChargeType", func(r *ebs.CreateDiskReplicaPairRequest) { r.ChargeType = "FREE" }, 400, "InvalidParameter"},
		{"PairName starting with a digit", func(r *ebs.CreateDiskReplicaPairRequest) { r.PairName = "1pair" }, 400, "InvalidParameter"},
		{"PairName with a slash", func(r *ebs.CreateDiskReplicaPairRequest) { r.PairName = "absr/d-1" }, 400, "InvalidParameter"},
		{"PairName of one character", func(r *ebs.CreateDiskReplicaPairRequest) { r.PairName = "a" }, 400, "InvalidParameter"},
		{"long ClientToken", func(r *ebs.CreateDiskReplicaPairRequest) { r.ClientToken = strings.Repeat("t", 65) }, 400, "InvalidParameter"},
		{"unknown primary", func(r *ebs.CreateDiskReplicaPairRequest) { r.DiskId = "d-bp1nothere" }, 404, "NoSuchResource"},
		{"primary in another zone", func(r *ebs.CreateDiskReplicaPairRequest) { r.SourceZoneId = "cn-hangzhou-i" }, 404, "NoSuchResource"},
		{"primary named in the wrong region", func(r *ebs.CreateDiskReplicaPairRequest) {
			r.DiskId, r.SourceZoneId = "d-uf6secondary", shZone
		}, 404, "NoSuchResource"},
		{"unknown secondary", func(r *ebs.CreateDiskReplicaPairRequest) { r.DestinationDiskId = "d-uf6nothere" }, 404, "NoSuchResource"},
		{"secondary not in DestinationZoneId", func(r *ebs.CreateDiskReplicaPairRequest) { r.DestinationZoneId = "cn-shanghai-e" }, 404, "NoSuchResource"},
		{"hidden primary", func(r *ebs.CreateDiskReplicaPairRequest) { r.DiskId = "d-bp1hidden" }, 404, "NoSuchResource"},
		{"unknown destination region", func(r *ebs.CreateDiskReplicaPairRequest) { r.DestinationRegionId = "xx-nowhere-1" }, 404, "InvalidRegionId.NotFound"},
		{"primary still Creating", func(r *ebs.CreateDiskReplicaPairRequest) { r.DiskId = "d-bp1creating" }, 403, "OperationDenied.InvalidStatus"},
		{"secondary in the same zone", func(r *ebs.CreateDiskReplicaPairRequest) {
			r.DestinationRegionId, r.DestinationZoneId, r.DestinationDiskId = hz, hzZone, "d-bp1samezone"
		}, 403, "OperationDenied"},
		{"same disk", func(r *ebs.CreateDiskReplicaPairRequest) {
			r.DestinationRegionId, r.DestinationZoneId, r.DestinationDiskId = hz, hzZone, "d-bp1primary"
		}, 403, "OperationDenied"},
		{"other performance level", func(r *ebs.CreateDiskReplicaPairRequest) { r.DestinationDiskId = "d-uf6pl2" }, 403, "OperationDenied"},
		{"other size", func(r *ebs.CreateDiskReplicaPairRequest) { r.DestinationDiskId = "d-uf6bigger" }, 403, "OperationDenied"},
		{"other category", func(r *ebs.CreateDiskReplicaPairRequest) { r.DestinationDiskId = "d-uf6auto" }, 403, "OperationDenied"},
		{"cloud_essd_entry", func(r *ebs.CreateDiskReplicaPairRequest) { r.DiskId, r.DestinationDiskId = "d-bp1entry", "d-uf6entry" }, 403, "OperationDenied"},
		{"cloud_efficiency", func(r *ebs.CreateDiskReplicaPairRequest) {
			r.DiskId, r.DestinationDiskId = "d-bp1efficiency", "d-uf6efficiency"
		}, 403, "OperationDenied"},
		{"primary already in an EBS pair", func(r *ebs.CreateDiskReplicaPairRequest) { r.DiskId = "d-bp1paired" }, 403, "OperationDenied"},
		{"secondary already in an EBS pair", func(r *ebs.CreateDiskReplicaPairRequest) {
			r.DiskId, r.DestinationDiskId = "d-bp1free", "d-uf6paired"
		}, 403, "OperationDenied"},
		{"primary already in a legacy pair", func(r *ebs.CreateDiskReplicaPairRequest) { r.DiskId = "d-bp1legacy" }, 403, "OperationDenied"},
		{"secondary already a legacy secondary", func(r *ebs.CreateDiskReplicaPairRequest) {
			r.DiskId, r.DestinationDiskId = "d-bp1free", "d-uf6legacy"
		}, 403, "OperationDenied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := createReq()
			tc.edit(req)
			_, err := c.CreateDiskReplicaPair(req)
			wantCode(t, err, tc.status, tc.code)
		})
	}
	if n := len(srv.Snapshot().Pairs); n != 2 {
		t.Fatalf("rejected creates changed the pairs: %d", n)
	}
	// The happy path of the same world, PREPAY with a bandwidth.
	req := createReq()
	req.ChargeType, req.Bandwidth, req.Period, req.PeriodUnit = "PREPAY", requests.NewInteger(20480), requests.NewInteger(1), "Month"
	resp, err := c.CreateDiskReplicaPair(req)
	must(t, err)
	if p := snapshotPairs(srv)[resp.ReplicaPairId]; p.Bandwidth != 20480 || p.ChargeType != "PREPAY" || p.RPO != 900 {
		t.Fatalf("prepay pair = %+v", p)
	}
}

func TestEBSStartRejections(t *testing.T) {
	primary := emutest.Disk("d-bp1primary", hzZone)
	attached := emutest.Secondary(primary, "d-uf6attached", shZone, emutest.Attached("i-uf6other"))
	st := emutest.World(primary, attached)
	srv := emutest.Start(t, st)
	c := newEBS(t, srv, hz)
	req := createReq()
	req.DestinationDiskId = "d-uf6attached"
	created, err := c.CreateDiskReplicaPair(req) // creating with an attached secondary is allowed
	must(t, err)
	_, err = c.StartDiskReplicaPair(startReq(created.ReplicaPairId))
	wantCode(t, err, 400, "OperationDenied.StandbyDeviceAttached")
	if st := snapshotPairs(srv)[created.ReplicaPairId].Status; st != "created" {
		t.Fatalf("a refused start changed the status to %s", st)
	}
	_, err = c.StartDiskReplicaPair(startReq("pair-cn-nothere"))
	wantCode(t, err, 404, "NoSuchResource")
	other := newEBS(t, srv, "cn-beijing") // a pair is addressed in the region of one of its disks
	sreq := startReq(created.ReplicaPairId)
	sreq.RegionId = "cn-beijing"
	_, err = other.StartDiskReplicaPair(sreq)
	wantCode(t, err, 404, "NoSuchResource")
	_, err = c.StartDiskReplicaPair(ebs.CreateStartDiskReplicaPairRequest())
	wantCode(t, err, 400, "MissingParameter")
}

func TestEBSDescribeSitesIDsAndPaging(t *testing.T) {
	var disks []emulator.Disk
	var pairs []emulator.Pair
	for i := range 25 {
		p := emutest.Disk(fmt.Sprintf("d-bp1p%02d", i), hzZone)
		s := emutest.Secondary(p, fmt.Sprintf("d-uf6s%02d", i), shZone)
		disks = append(disks, p, s)
		pairs = append(pairs, emutest.Pair(fmt.Sprintf("pair-hz%02d", i), p, s, "normal"))
	}
	// Three pairs the other way round: primary in Shanghai.
	for i := range 3 {
		p := emutest.Disk(fmt.Sprintf("d-uf6p%02d", i), shZone)
		s := emutest.Secondary(p, fmt.Sprintf("d-bp1s%02d", i), hzZone)
		disks = append(disks, p, s)
		pairs = append(pairs, emutest.Pair(fmt.Sprintf("pair-sh%02d", i), p, s, "created"))
	}
	lp := emutest.Disk("d-bp1legacy", hzZone)
	ls := emutest.Secondary(lp, "d-uf6legacy", shZone)
	disks = append(disks, lp, ls)
	pairs = append(pairs, emutest.LegacyPair("rp-legacy", lp, ls, "active"))
	st := emutest.World(disks...)
	st.Pairs = pairs
	srv := emutest.Start(t, st)
	c := newEBS(t, srv, hz)

	ids := func(ps []ebs.ReplicaPair) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.ReplicaPairId)
		}
		return out
	}
	first := describePairs(t, c, hz, nil)
	if len(first.ReplicaPairs) != 10 || first.TotalCount != 25 || first.NextToken != "" || first.PageNumber != 1 {
		t.Fatalf("default page: %d pairs, total %d, token %q, page %d", len(first.ReplicaPairs), first.TotalCount, first.NextToken, first.PageNumber)
	}
	third := describePairs(t, c, hz, func(r *ebs.DescribeDiskReplicaPairsRequest) {
		r.PageNumber, r.PageSize = requests.NewInteger(3), requests.NewInteger(10)
	})
	if got := ids(third.ReplicaPairs); len(got) != 5 || got[0] != "pair-hz20" {
		t.Fatalf("page 3: %v", got)
	}
	// Token paging walks all 25 production pairs exactly once.
	var walked []string
	token := ""
	for range 10 {
		resp := describePairs(t, c, hz, func(r *ebs.DescribeDiskReplicaPairsRequest) {
			r.MaxResults, r.NextToken = requests.NewInteger(7), token
		})
		walked = append(walked, ids(resp.ReplicaPairs)...)
		if token = resp.NextToken; token == "" {
			break
		}
	}
	if len(walked) != 25 || walked[0] != "pair-hz00" || walked[24] != "pair-hz24" {
		t.Fatalf("token walk: %v", walked)
	}
	backup := describePairs(t, c, hz, func(r *ebs.DescribeDiskReplicaPairsRequest) {
		r.Site, r.MaxResults = "backup", requests.NewInteger(500)
	})
	if got := ids(backup.ReplicaPairs); strings.Join(got, ",") != "pair-sh00,pair-sh01,pair-sh02" || backup.ReplicaPairs[0].Site != "backup" {
		t.Fatalf("backup site in Hangzhou: %v", got)
	}
	byID := describePairs(t, c, hz, func(r *ebs.DescribeDiskReplicaPairsRequest) {
		r.PairIds = "pair-hz03, pair-hz17,pair-nothere,rp-legacy,pair-sh00"
	})
	if got := ids(byID.ReplicaPairs); strings.Join(got, ",") != "pair-hz03,pair-hz17" {
		t.Fatalf("PairIds: %v (legacy and backup-site pairs must not show)", got)
	}
	tooMany := make([]string, 101)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("pair-%d", i)
	}
	for name, edit := range map[string]func(r *ebs.DescribeDiskReplicaPairsRequest){
		"101 PairIds":    func(r *ebs.DescribeDiskReplicaPairsRequest) { r.PairIds = strings.Join(tooMany, ",") },
		"MaxResults 501": func(r *ebs.DescribeDiskReplicaPairsRequest) { r.MaxResults = requests.NewInteger(501) },
		"MaxResults 0":   func(r *ebs.DescribeDiskReplicaPairsRequest) { r.MaxResults = requests.NewInteger(0) },
		"bad NextToken":  func(r *ebs.DescribeDiskReplicaPairsRequest) { r.NextToken = "garbage" },
		"odd Site":       func(r *ebs.DescribeDiskReplicaPairsRequest) { r.Site = "both" },
		"PageSize 101":   func(r *ebs.DescribeDiskReplicaPairsRequest) { r.PageSize = requests.NewInteger(101) },
	} {
		req := ebs.CreateDescribeDiskReplicaPairsRequest()
		req.RegionId = hz
		edit(req)
		_, err := c.DescribeDiskReplicaPairs(req)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		wantCode(t, err, 400, "InvalidParameter")
	}
}

func TestClientTokenIdempotencyForEveryEBSAction(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	c := newEBS(t, srv, hz)
	req := createReq()
	req.ClientToken = "token-create-1"
	first, err := c.CreateDiskReplicaPair(req)
	must(t, err)
	again, err := c.CreateDiskReplicaPair(req)
	must(t, err)
	if again.ReplicaPairId != first.ReplicaPairId || again.OrderId != first.OrderId {
		t.Fatalf("same token, same parameters: %+v then %+v", first, again)
	}
	if n := len(srv.Snapshot().Pairs); n != 1 {
		t.Fatalf("%d pairs after a repeated create", n)
	}
	req.PairName = "another-name"
	_, err = c.CreateDiskReplicaPair(req)
	wantCode(t, err, 400, "IdempotentParameterMismatch")

	id := first.ReplicaPairId
	start := startReq(id)
	start.ClientToken = "token-start-1"
	_, err = c.StartDiskReplicaPair(start)
	must(t, err)
	srv.Advance(time.Second)
	_, err = c.StartDiskReplicaPair(start) // would be InvalidStatus without the token
	must(t, err)
	start.OneShot = requests.NewBoolean(true)
	_, err = c.StartDiskReplicaPair(start)
	wantCode(t, err, 400, "IdempotentParameterMismatch")

	stop := ebs.CreateStopDiskReplicaPairRequest()
	stop.RegionId, stop.ReplicaPairId, stop.ClientToken = hz, id, "token-stop-1"
	_, err = c.StopDiskReplicaPair(stop)
	must(t, err)
	_, err = c.StopDiskReplicaPair(stop)
	must(t, err)

	del := ebs.CreateDeleteDiskReplicaPairRequest()
	del.RegionId, del.ReplicaPairId, del.ClientToken = hz, id, "token-delete-1"
	_, err = c.DeleteDiskReplicaPair(del)
	must(t, err)
	_, err = c.DeleteDiskReplicaPair(del)
	must(t, err)
	del.ReplicaPairId = "pair-cn-other"
	_, err = c.DeleteDiskReplicaPair(del)
	wantCode(t, err, 400, "IdempotentParameterMismatch")
	if n := len(srv.Snapshot().Pairs); n != 0 {
		t.Fatalf("%d pairs left", n)
	}
	// A token is per action: the create token is unrelated to a start with the same token.
	start2 := startReq(id)
	start2.ClientToken = "token-create-1"
	_, err = c.StartDiskReplicaPair(start2)
	wantCode(t, err, 404, "NoSuchResource")
}

// Twenty goroutines race to pair the same primary with different ClientTokens: exactly one wins,
// the others are told the disk is already paired.
func TestConcurrentCreatesForOneDiskMakeOnePair(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	var wg sync.WaitGroup
	results := make([]error, 20)
	ids := make([]string, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newEBS(t, srv, hz)
			req := createReq()
			req.ClientToken = fmt.Sprintf("racer-%d", i)
			resp, err := c.CreateDiskReplicaPair(req)
			results[i] = err
			if err == nil {
				ids[i] = resp.ReplicaPairId
			}
		}()
	}
	wg.Wait()
	wins := 0
	for i, err := range results {
		if err == nil {
			wins++
			continue
		}
		wantCode(t, err, 403, "OperationDenied")
		_ = i
	}
	pairs := srv.Snapshot().Pairs
	if wins != 1 || len(pairs) != 1 {
		t.Fatalf("%d successful creates, %d pairs; want exactly one", wins, len(pairs))
	}
	if n := srv.Calls().Calls["ebs/CreateDiskReplicaPair"]; n != 20 {
		t.Fatalf("calls = %d, want 20", n)
	}
	if n := srv.Calls().Errors["OperationDenied"]; n != 19 {
		t.Fatalf("OperationDenied errors = %d, want 19", n)
	}
}
