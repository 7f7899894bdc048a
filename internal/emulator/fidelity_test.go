package emulator_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ebs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

// The documented rules of the EBS 2021-07-30 API (platform-facts.md section 1, "Corrections and
// additions") that the emulator once relaxed. Each test here failed before the rule was added.

func TestPrepayPairNeedsADocumentedPeriod(t *testing.T) {
	cases := []struct {
		name         string
		period, unit string
		status       int
		code         string
	}{
		{"no period", "", "", 400, "MissingParameter"},
		{"period 4", "4", "", 400, "InvalidParameter"},
		{"period 0", "0", "", 400, "InvalidParameter"},
		{"period 61", "61", "", 400, "InvalidParameter"},
		{"unit Week", "1", "Week", 400, "InvalidParameter"},
		{"unit Year", "1", "Year", 400, "InvalidParameter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := emutest.Start(t, basicWorld())
			req := createReq()
			req.ChargeType = "PREPAY"
			if tc.period != "" {
				req.Period = requests.Integer(tc.period)
			}
			req.PeriodUnit = tc.unit
			_, err := newEBS(t, srv, hz).CreateDiskReplicaPair(req)
			wantCode(t, err, tc.status, tc.code)
			if n := len(srv.Snapshot().Pairs); n != 0 {
				t.Fatalf("a refused create made %d pairs", n)
			}
		})
	}
	for _, period := range []int{1, 2, 3, 6, 12, 24, 36, 60} {
		srv := emutest.Start(t, basicWorld())
		req := createReq()
		req.ChargeType, req.Period, req.PeriodUnit = "PREPAY", requests.NewInteger(period), "Month"
		if _, err := newEBS(t, srv, hz).CreateDiskReplicaPair(req); err != nil {
			t.Fatalf("PREPAY Period=%d Month: %v", period, err)
		}
	}
}

func TestNewPairIsCreatingBeforeItCanStart(t *testing.T) {
	st := basicWorld()
	st.Faults.PairCreatingMs = 5000
	srv := emutest.Start(t, st)
	c := newEBS(t, srv, hz)
	created, err := c.CreateDiskReplicaPair(createReq())
	must(t, err)
	if got := describePairs(t, c, hz, nil).ReplicaPairs[0].Status; got != "creating" {
		t.Fatalf("new pair is %s, want creating", got)
	}
	_, err = c.StartDiskReplicaPair(startReq(created.ReplicaPairId))
	wantCode(t, err, 403, "OperationDenied.InvalidStatus")
	srv.Advance(5 * time.Second)
	if got := describePairs(t, c, hz, nil).ReplicaPairs[0].Status; got != "created" {
		t.Fatalf("after pairCreatingMs the pair is %s, want created", got)
	}
	_, err = c.StartDiskReplicaPair(startReq(created.ReplicaPairId))
	must(t, err)
}

func TestSecondaryInAnotherZoneOfThePrimarysRegion(t *testing.T) {
	primary := emutest.Disk("d-bp1primary", hzZone, emutest.OptIn())
	otherZone := emutest.Secondary(primary, "d-bp1otherzone", "cn-hangzhou-i")
	sameZone := emutest.Secondary(primary, "d-bp1samezone", hzZone)
	srv := emutest.Start(t, emutest.World(primary, otherZone, sameZone))
	c := newEBS(t, srv, hz)
	req := createReq()
	req.DestinationRegionId, req.DestinationZoneId, req.DestinationDiskId = hz, hzZone, sameZone.DiskID
	_, err := c.CreateDiskReplicaPair(req)
	se := wantCode(t, err, 403, "OperationDenied")
	if !containsAll(se.Message(), "zone", hzZone) {
		t.Fatalf("same-zone refusal does not say why: %s", se.Message())
	}
	req.DestinationZoneId, req.DestinationDiskId = "cn-hangzhou-i", otherZone.DiskID
	created, err := c.CreateDiskReplicaPair(req)
	if err != nil {
		t.Fatalf("a secondary in another zone of the same region is refused: %v", err)
	}
	if p := snapshotPairs(srv)[created.ReplicaPairId]; p.DestinationZoneID != "cn-hangzhou-i" || p.DestinationRegionID != hz {
		t.Fatalf("pair = %+v", p)
	}
}

func TestThrottleCodeIsConfigurable(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	srv.SetFaults(emulator.Faults{ThrottlePercent: 100, ThrottleCode: "Rejected.Throttling"})
	_, err := newEBS(t, srv, hz).DescribeDiskReplicaPairs(func() *ebs.DescribeDiskReplicaPairsRequest {
		r := ebs.CreateDescribeDiskReplicaPairsRequest()
		r.RegionId = hz
		return r
	}())
	wantCode(t, err, 400, "Rejected.Throttling")
	if _, err := emulator.New(&emulator.State{Faults: emulator.Faults{ThrottleCode: "OperationDenied"}}); err == nil {
		t.Fatal("a throttleCode that is no throttling code was accepted")
	}
}

func TestStrictPrimaryRefusesSystemAndEncryptedPrimaries(t *testing.T) {
	system := emutest.Disk("d-bp1system", hzZone, emutest.System("i-bp1one"), emutest.OptIn())
	encrypted := emutest.Disk("d-bp1encrypted", hzZone, emutest.Encrypted(), emutest.OptIn())
	plain := emutest.Disk("d-bp1plain", hzZone, emutest.OptIn())
	secs := []emulator.Disk{emutest.Secondary(system, "d-uf6a", shZone), emutest.Secondary(encrypted, "d-uf6b", shZone),
		emutest.Secondary(plain, "d-uf6c", shZone)}
	for _, strict := range []bool{false, true} {
		st := emutest.World(system, encrypted, plain, secs[0], secs[1], secs[2])
		st.Faults.StrictPrimary = strict
		srv := emutest.Start(t, st)
		c := newEBS(t, srv, hz)
		for i, primary := range []emulator.Disk{system, encrypted, plain} {
			req := createReq()
			req.DiskId, req.DestinationDiskId = primary.DiskID, secs[i].DiskID
			_, err := c.CreateDiskReplicaPair(req)
			if !strict || primary.DiskID == plain.DiskID {
				must(t, err)
				continue
			}
			se := wantCode(t, err, 403, "OperationDenied")
			if !containsAll(se.Message(), primary.DiskID) {
				t.Fatalf("refusal does not name the primary: %s", se.Message())
			}
		}
	}
}

func TestStartAndStopInEitherRegionDeleteOnlyInThePrimarys(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	created, err := newEBS(t, srv, hz).CreateDiskReplicaPair(createReq())
	must(t, err)
	id := created.ReplicaPairId
	inShanghai := newEBS(t, srv, sh)
	start := startReq(id)
	start.RegionId = sh
	_, err = inShanghai.StartDiskReplicaPair(start)
	if err != nil {
		t.Fatalf("Start in the secondary's region: %v", err)
	}
	stop := ebs.CreateStopDiskReplicaPairRequest()
	stop.RegionId, stop.ReplicaPairId = sh, id
	if _, err := inShanghai.StopDiskReplicaPair(stop); err != nil {
		t.Fatalf("Stop in the secondary's region: %v", err)
	}
	del := ebs.CreateDeleteDiskReplicaPairRequest()
	del.RegionId, del.ReplicaPairId = sh, id
	_, err = inShanghai.DeleteDiskReplicaPair(del)
	wantCode(t, err, 404, "NoSuchResource")
	del = ebs.CreateDeleteDiskReplicaPairRequest() // a request object is signed once
	del.RegionId, del.ReplicaPairId = hz, id
	_, err = newEBS(t, srv, hz).DeleteDiskReplicaPair(del)
	must(t, err)
}

func TestStopAndDeleteOnlyFromTheDocumentedStatuses(t *testing.T) {
	stopOK := []string{"initial_syncing", "syncing", "manual_syncing", "normal"}
	deleteOK := []string{"stopped", "invalid", "failovered"}
	for _, status := range []string{"creating", "created", "create_failed", "initial_syncing", "syncing", "manual_syncing",
		"normal", "stopping", "stopped", "stop_failed", "invalid", "failovered", "deleting"} {
		t.Run(status, func(t *testing.T) {
			st := basicWorld()
			st.Pairs = []emulator.Pair{emutest.Pair("pair-cn-x", st.Disks[0], st.Disks[1], status)}
			srv := emutest.Start(t, st)
			c := newEBS(t, srv, hz)
			stop := ebs.CreateStopDiskReplicaPairRequest()
			stop.RegionId, stop.ReplicaPairId = hz, "pair-cn-x"
			_, err := c.StopDiskReplicaPair(stop)
			if slices.Contains(stopOK, status) {
				must(t, err)
			} else {
				wantCode(t, err, 403, "OperationDenied.InvalidStatus")
			}
			srv2 := emutest.Start(t, st)
			del := ebs.CreateDeleteDiskReplicaPairRequest()
			del.RegionId, del.ReplicaPairId = hz, "pair-cn-x"
			_, err = newEBS(t, srv2, hz).DeleteDiskReplicaPair(del)
			if slices.Contains(deleteOK, status) {
				must(t, err)
			} else {
				wantCode(t, err, 403, "OperationDenied.InvalidStatus")
			}
		})
	}
}

func TestPairCreateTimeIsInSeconds(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	c := newEBS(t, srv, hz)
	before := time.Now().Unix()
	_, err := c.CreateDiskReplicaPair(createReq())
	must(t, err)
	got := describePairs(t, c, hz, nil).ReplicaPairs[0].CreateTime
	if got < before-1 || got > time.Now().Unix()+1 {
		t.Fatalf("CreateTime = %d, want Unix seconds near %d", got, before)
	}
}

// describeRegions runs EBS DescribeRegions.
func describeRegions(t testing.TB, c *ebs.Client, region, resourceType string) map[string][]string {
	t.Helper()
	req := ebs.CreateDescribeRegionsRequest()
	req.RegionId, req.ResourceType = region, resourceType
	resp, err := c.DescribeRegions(req)
	must(t, err)
	out := map[string][]string{}
	for _, r := range resp.Regions {
		if r.RegionEndpoint != "ebs."+r.RegionId+".aliyuncs.com" {
			t.Fatalf("region %s endpoint %q", r.RegionId, r.RegionEndpoint)
		}
		for _, z := range r.Zones {
			if !slices.Contains(z.ResourceTypes, "ear") {
				t.Fatalf("zone %s lacks ResourceTypes ear: %+v", z.ZoneId, z)
			}
			out[r.RegionId] = append(out[r.RegionId], z.ZoneId)
		}
	}
	return out
}

func TestDescribeRegionsListsTheZonesThatReplicate(t *testing.T) {
	st := basicWorld()
	st.Disks = append(st.Disks, emutest.Disk("d-uf6lzone", "cn-shanghai-l"))
	st.UnsupportedZones = []string{"cn-shanghai-l"}
	srv := emutest.Start(t, st)
	c := newEBS(t, srv, hz)
	got := describeRegions(t, c, hz, "")
	want := map[string][]string{hz: {hzZone, "cn-hangzhou-i"}, sh: {shZone}}
	if !equalZones(got, want) {
		t.Fatalf("DescribeRegions(ear) = %v, want %v", got, want)
	}
	if got := describeRegions(t, c, hz, "ear"); !equalZones(got, want) {
		t.Fatalf("DescribeRegions(ResourceType=ear) = %v, want %v", got, want)
	}
	// A pair into the unsupported zone is refused.
	primary := st.Disks[0]
	if _, err := emulator.New(st); err != nil {
		t.Fatal(err)
	}
	lz := emutest.Secondary(primary, "d-uf6lsec", "cn-shanghai-l")
	st2 := emutest.World(primary, lz)
	st2.UnsupportedZones = []string{"cn-shanghai-l"}
	srv2 := emutest.Start(t, st2)
	req := createReq()
	req.DestinationZoneId, req.DestinationDiskId = "cn-shanghai-l", lz.DiskID
	_, err := newEBS(t, srv2, hz).CreateDiskReplicaPair(req)
	se := wantCode(t, err, 403, "OperationDenied")
	if !containsAll(se.Message(), "cn-shanghai-l") {
		t.Fatalf("refusal does not name the zone: %s", se.Message())
	}
}

func equalZones(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w := slices.Clone(b[k])
		v = slices.Clone(v)
		slices.Sort(v)
		slices.Sort(w)
		if !slices.Equal(v, w) {
			return false
		}
	}
	return true
}

func TestPostpayRefusedWhenTheSiteSellsSubscriptionsOnly(t *testing.T) {
	st := basicWorld()
	st.Faults.PostpayRefused = true
	srv := emutest.Start(t, st)
	c := newEBS(t, srv, hz)
	_, err := c.CreateDiskReplicaPair(createReq()) // POSTPAY by default
	se := wantCode(t, err, 400, "InvalidParameter.ChargeType")
	if !containsAll(se.Message(), "POSTPAY", "PREPAY") {
		t.Fatalf("refusal message: %s", se.Message())
	}
	req := createReq()
	req.ChargeType, req.Period, req.PeriodUnit = "PREPAY", requests.NewInteger(1), "Month"
	_, err = c.CreateDiskReplicaPair(req)
	must(t, err)
}

// The ECS DeleteDisk the fidelity issues' tests delete secondaries with.
func TestDeleteDiskFollowsTheDocumentedRules(t *testing.T) {
	st := basicWorld()
	free := emutest.Disk("d-uf6free", shZone)
	st.Disks = append(st.Disks, free)
	srv := emutest.Start(t, st)
	created, err := newEBS(t, srv, hz).CreateDiskReplicaPair(createReq())
	must(t, err)
	del := func(region, id string) error {
		req := ecs.CreateDeleteDiskRequest()
		req.RegionId, req.DiskId = region, id
		_, err := newECS(t, srv, region).DeleteDisk(req)
		return err
	}
	se := wantCode(t, del(hz, "d-bp1primary"), 403, "IncorrectDiskStatus") // attached
	if !containsAll(se.Message(), "d-bp1primary") {
		t.Fatalf("message: %s", se.Message())
	}
	wantCode(t, del(hz, "d-bp1system"), 403, "IncorrectDiskStatus")
	se = wantCode(t, del(sh, "d-uf6secondary"), 403, "IncorrectDiskStatus") // in a replica pair
	if !containsAll(se.Message(), created.ReplicaPairId) {
		t.Fatalf("message does not name the pair: %s", se.Message())
	}
	must(t, del(sh, free.DiskID))
	if got := describeIDs(t, newECS(t, srv, sh), sh, free.DiskID); len(got) != 0 {
		t.Fatalf("deleted disk still listed: %+v", got)
	}
	must(t, del(sh, free.DiskID))         // gone: the request is ignored, as documented
	must(t, del(sh, "d-uf6neverexisted")) // likewise
	_, err = newECS(t, srv, sh).DeleteDisk(ecs.CreateDeleteDiskRequest())
	wantCode(t, err, 400, "MissingParameter")
	if got := srv.Calls().Calls["ecs/DeleteDisk"]; got != 7 {
		t.Fatalf("ecs/DeleteDisk calls = %d", got)
	}
}

func TestClientTokenTTL(t *testing.T) {
	st := basicWorld()
	st.Faults.TokenTTLSeconds = 60
	srv := emutest.Start(t, st)
	ec := newECS(t, srv, sh)
	create := func() string {
		req := ecs.CreateCreateDiskRequest()
		req.RegionId, req.ZoneId, req.DiskCategory, req.Size = sh, shZone, "cloud_essd", requests.NewInteger(100)
		req.ClientToken = "tok-1"
		resp, err := ec.CreateDisk(req)
		must(t, err)
		return resp.DiskId
	}
	first := create()
	if again := create(); again != first {
		t.Fatalf("within the TTL the token made another disk: %s then %s", first, again)
	}
	srv.Advance(61 * time.Second)
	if later := create(); later == first {
		t.Fatal("after the TTL the token still replays the first answer")
	}
}

func TestTokenRemembersFailuresOnAndOff(t *testing.T) {
	for _, remember := range []bool{false, true} {
		st := basicWorld()
		other := emutest.Disk("d-bp1other", hzZone)
		st.Disks = append(st.Disks, other)
		st.Pairs = []emulator.Pair{emutest.Pair("pair-cn-old", other, st.Disks[1], "stopped")}
		st.Faults.TokenRemembersFailures = remember
		srv := emutest.Start(t, st)
		c := newEBS(t, srv, hz)
		req := createReq()
		req.ClientToken = "create-1"
		_, err := c.CreateDiskReplicaPair(req) // the secondary is in pair-cn-old
		wantCode(t, err, 403, "OperationDenied")
		// The operator deletes the old pair; the same request is sent again with the same token.
		del := ebs.CreateDeleteDiskReplicaPairRequest()
		del.RegionId, del.ReplicaPairId = hz, "pair-cn-old"
		_, err = c.DeleteDiskReplicaPair(del)
		must(t, err)
		_, err = c.CreateDiskReplicaPair(req)
		if remember {
			wantCode(t, err, 403, "OperationDenied")
			other := createReq()
			other.PairName = "changed"
			_, err = c.CreateDiskReplicaPair(func() *ebs.CreateDiskReplicaPairRequest { r := *other; r.ClientToken = "create-1"; return &r }())
			wantCode(t, err, 400, "IdempotentParameterMismatch")
			req.ClientToken = "create-2" // a new token is a new attempt
			_, err = c.CreateDiskReplicaPair(req)
		}
		if err != nil {
			t.Fatalf("tokenRemembersFailures=%v: create after the cause was fixed: %v", remember, err)
		}
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func TestLastRecoverPointAndStatusMessage(t *testing.T) {
	st := basicWorld()
	free1 := emutest.Disk("d-bp1pinned", hzZone)
	free2 := emutest.Secondary(free1, "d-uf6pinned", shZone)
	inv1 := emutest.Disk("d-bp1invalid", hzZone)
	inv2 := emutest.Secondary(inv1, "d-uf6invalid", shZone)
	st.Disks = append(st.Disks, free1, free2, inv1, inv2)
	running := emutest.Pair("pair-cn-running", st.Disks[0], st.Disks[1], "normal")
	running.LastRecoverPoint = 1_700_000_000
	pinned := emutest.Pair("pair-cn-pinned", free1, free2, "normal")
	pinned.LastRecoverPoint, pinned.PinRecoveryPoint = 1_700_000_000, true
	invalid := emutest.Pair("pair-cn-invalid", inv1, inv2, "invalid")
	invalid.StatusMessage = "DeviceSizeChanged"
	st.Pairs = []emulator.Pair{running, pinned, invalid}
	srv := emutest.Start(t, st)
	srv.Advance(10 * time.Minute)
	got := map[string]ebs.ReplicaPair{}
	for _, p := range describePairs(t, newEBS(t, srv, hz), hz, nil).ReplicaPairs {
		got[p.ReplicaPairId] = p
	}
	now := time.Now().Add(10 * time.Minute).Unix()
	if lrp := got["pair-cn-running"].LastRecoverPoint; lrp < now-5 || lrp > now+5 {
		t.Fatalf("a normal pair's LastRecoverPoint = %d, want about now (%d)", lrp, now)
	}
	if lrp := got["pair-cn-pinned"].LastRecoverPoint; lrp != 1_700_000_000 {
		t.Fatalf("a pinned pair's LastRecoverPoint moved: %d", lrp)
	}
	if p := got["pair-cn-invalid"]; p.StatusMessage != "DeviceSizeChanged" || p.LastRecoverPoint != 0 {
		t.Fatalf("invalid pair = %+v", p)
	}
	raw, err := json.Marshal(srv.Snapshot())
	must(t, err)
	back, err := emulator.ParseState(raw)
	must(t, err)
	for _, p := range back.Pairs {
		if p.ReplicaPairID == "pair-cn-pinned" && (!p.PinRecoveryPoint || p.LastRecoverPoint != 1_700_000_000) {
			t.Fatalf("snapshot lost the pin: %+v", p)
		}
	}
}
