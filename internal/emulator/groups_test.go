package emulator_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ebs"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

const shZoneE = "cn-shanghai-e"

// groupWorld: n attached primaries in Hangzhou (zone h), each in a pair in state created with a
// secondary in Shanghai zone b (pair-0 ... pair-<n-1>); pair-other goes to Shanghai zone e and
// pair-running (normal) to zone b.
func groupWorld(n int) *emulator.State {
	st := emutest.World()
	add := func(id, secZone, status string) {
		p := emutest.Disk("d-bp1"+id, hzZone, emutest.OptIn(), emutest.Attached("i-bp1group"))
		s := emutest.Secondary(p, "d-uf6"+id, secZone)
		st.Disks = append(st.Disks, p, s)
		st.Pairs = append(st.Pairs, emutest.Pair("pair-"+id, p, s, status))
	}
	for i := range n {
		add(fmt.Sprint(i), shZone, "created")
	}
	add("other", shZoneE, "created")
	add("running", shZone, "normal")
	return st
}

func createGroupReq() *ebs.CreateDiskReplicaGroupRequest {
	req := ebs.CreateCreateDiskReplicaGroupRequest()
	req.RegionId, req.SourceZoneId = hz, hzZone
	req.DestinationRegionId, req.DestinationZoneId = sh, shZone
	req.GroupName = "absr-i-bp1group"
	return req
}

func addReq(group, pair string) *ebs.AddDiskReplicaPairRequest {
	req := ebs.CreateAddDiskReplicaPairRequest()
	req.RegionId, req.ReplicaGroupId, req.ReplicaPairId = hz, group, pair
	return req
}

func removeReq(group, pair string) *ebs.RemoveDiskReplicaPairRequest {
	req := ebs.CreateRemoveDiskReplicaPairRequest()
	req.RegionId, req.ReplicaGroupId, req.ReplicaPairId = hz, group, pair
	return req
}

func startGroupReq(group string) *ebs.StartDiskReplicaGroupRequest {
	req := ebs.CreateStartDiskReplicaGroupRequest()
	req.RegionId, req.ReplicaGroupId = hz, group
	return req
}

func stopGroupReq(group string) *ebs.StopDiskReplicaGroupRequest {
	req := ebs.CreateStopDiskReplicaGroupRequest()
	req.RegionId, req.ReplicaGroupId = hz, group
	return req
}

func deleteGroupReq(group string) *ebs.DeleteDiskReplicaGroupRequest {
	req := ebs.CreateDeleteDiskReplicaGroupRequest()
	req.RegionId, req.ReplicaGroupId = hz, group
	return req
}

func describeGroups(t testing.TB, c *ebs.Client, region string, edit func(*ebs.DescribeDiskReplicaGroupsRequest)) []ebs.ReplicaGroup {
	t.Helper()
	req := ebs.CreateDescribeDiskReplicaGroupsRequest()
	req.RegionId = region
	if edit != nil {
		edit(req)
	}
	resp, err := c.DescribeDiskReplicaGroups(req)
	must(t, err)
	return resp.ReplicaGroups
}

func snapshotGroup(t testing.TB, srv *emulator.Server, id string) emulator.Group {
	t.Helper()
	for _, g := range srv.Snapshot().Groups {
		if g.ReplicaGroupID == id {
			return g
		}
	}
	t.Fatalf("group %s not in the snapshot", id)
	return emulator.Group{}
}

func TestReplicaGroupLifecycle(t *testing.T) {
	srv := emutest.Start(t, groupWorld(2))
	c := newEBS(t, srv, hz)
	req := createGroupReq()
	req.Description = "one instance"
	req.Tag = &[]ebs.CreateDiskReplicaGroupTag{{Key: "owner", Value: "absr"}}
	created, err := c.CreateDiskReplicaGroup(req)
	must(t, err)
	id := created.ReplicaGroupId
	if !strings.HasPrefix(id, "pg-") || created.RequestId == "" {
		t.Fatalf("create answer = %+v", created)
	}
	got := describeGroups(t, c, hz, nil)
	want := ebs.ReplicaGroup{ReplicaGroupId: id, GroupName: "absr-i-bp1group", Description: "one instance", Status: "created",
		SourceRegionId: hz, SourceZoneId: hzZone, DestinationRegionId: sh, DestinationZoneId: shZone,
		PrimaryRegion: hz, PrimaryZone: hzZone, StandbyRegion: sh, StandbyZone: shZone, RPO: 900, Site: "production",
		PairIds: []string{}, Tags: []ebs.Tag{{TagKey: "owner", TagValue: "absr"}}}
	if len(got) != 1 || fmt.Sprintf("%+v", got[0]) != fmt.Sprintf("%+v", want) {
		t.Fatalf("groups\n got %+v\nwant %+v", got, want)
	}

	for _, p := range []string{"pair-0", "pair-1"} {
		_, err = c.AddDiskReplicaPair(addReq(id, p))
		must(t, err)
	}
	inGroup := describePairs(t, c, hz, func(r *ebs.DescribeDiskReplicaPairsRequest) { r.ReplicaGroupId = id })
	var ids []string
	for _, p := range inGroup.ReplicaPairs {
		ids = append(ids, p.ReplicaPairId)
		if p.ReplicaGroupId != id {
			t.Errorf("pair %s: ReplicaGroupId %q, want %s", p.ReplicaPairId, p.ReplicaGroupId, id)
		}
	}
	if !slices.Equal(ids, []string{"pair-0", "pair-1"}) {
		t.Fatalf("pairs of the group = %v", ids)
	}
	if g := describeGroups(t, c, hz, nil)[0]; g.PairNumber != 2 || !slices.Equal(g.PairIds, ids) {
		t.Fatalf("group after adds: %+v", g)
	}

	// A pair of a group starts, stops and is deleted with its group only.
	_, err = c.StartDiskReplicaPair(startReq("pair-0"))
	wantCode(t, err, 403, "OperationDenied")
	del := ebs.CreateDeleteDiskReplicaPairRequest()
	del.RegionId, del.ReplicaPairId = hz, "pair-0"
	_, err = c.DeleteDiskReplicaPair(del)
	wantCode(t, err, 403, "OperationDenied")

	_, err = c.StartDiskReplicaGroup(startGroupReq(id))
	must(t, err)
	pairs := snapshotPairs(srv)
	if g := snapshotGroup(t, srv, id); g.Status != "initial_syncing" || pairs["pair-0"].Status != "initial_syncing" || pairs["pair-1"].Status != "initial_syncing" {
		t.Fatalf("after start: group %s, pairs %s %s", g.Status, pairs["pair-0"].Status, pairs["pair-1"].Status)
	}
	srv.Advance(time.Second)
	if g := describeGroups(t, c, hz, nil)[0]; g.Status != "normal" {
		t.Fatalf("a second after start: %s", g.Status)
	}
	if st := describePairs(t, c, hz, func(r *ebs.DescribeDiskReplicaPairsRequest) { r.PairIds = "pair-0" }).ReplicaPairs[0].Status; st != "normal" {
		t.Fatalf("pair a second after start: %s", st)
	}
	_, err = c.StartDiskReplicaGroup(startGroupReq(id)) // normal: accepted, nothing changes
	must(t, err)
	stopPair := ebs.CreateStopDiskReplicaPairRequest()
	stopPair.RegionId, stopPair.ReplicaPairId = hz, "pair-0"
	_, err = c.StopDiskReplicaPair(stopPair)
	wantCode(t, err, 403, "OperationDenied")
	_, err = c.RemoveDiskReplicaPair(removeReq(id, "pair-0"))
	wantCode(t, err, 403, "OperationDenied.InvalidStatus")

	_, err = c.StopDiskReplicaGroup(stopGroupReq(id))
	must(t, err)
	if g := snapshotGroup(t, srv, id); g.Status != "stopped" || snapshotPairs(srv)["pair-1"].Status != "stopped" {
		t.Fatalf("after stop: %+v", g)
	}
	_, err = c.DeleteDiskReplicaGroup(deleteGroupReq(id))
	wantCode(t, err, 403, "OperationDenied")
	for _, p := range ids {
		_, err = c.RemoveDiskReplicaPair(removeReq(id, p))
		must(t, err)
		if got := snapshotPairs(srv)[p]; got.ReplicaGroupID != "" || got.Status != "stopped" {
			t.Fatalf("removed pair %s: %+v", p, got)
		}
	}
	_, err = c.RemoveDiskReplicaPair(removeReq(id, "pair-0"))
	wantCode(t, err, 404, "NoSuchResource")
	_, err = c.DeleteDiskReplicaGroup(deleteGroupReq(id))
	must(t, err)
	if got := describeGroups(t, c, hz, nil); len(got) != 0 {
		t.Fatalf("groups after delete: %+v", got)
	}
	_, err = c.DeleteDiskReplicaGroup(deleteGroupReq(id))
	wantCode(t, err, 404, "NoSuchResource")

	calls := srv.Calls().Calls
	for action, n := range map[string]int{"ebs/CreateDiskReplicaGroup": 1, "ebs/AddDiskReplicaPair": 2,
		"ebs/StartDiskReplicaGroup": 2, "ebs/StopDiskReplicaGroup": 1, "ebs/RemoveDiskReplicaPair": 4,
		"ebs/DeleteDiskReplicaGroup": 3, "ebs/DescribeDiskReplicaGroups": 4} {
		if calls[action] != n {
			t.Errorf("calls[%s] = %d, want %d", action, calls[action], n)
		}
	}
}

func TestReplicaGroupOneShotAndSites(t *testing.T) {
	srv := emutest.Start(t, groupWorld(1))
	c := newEBS(t, srv, hz)
	created, err := c.CreateDiskReplicaGroup(createGroupReq())
	must(t, err)
	id := created.ReplicaGroupId
	must(t, func() error { _, err := c.AddDiskReplicaPair(addReq(id, "pair-0")); return err }())
	one := startGroupReq(id)
	one.OneShot = requests.NewBoolean(true)
	_, err = c.StartDiskReplicaGroup(one)
	must(t, err)
	if g := snapshotGroup(t, srv, id); g.Status != "manual_syncing" {
		t.Fatalf("one-shot start: %s", g.Status)
	}
	srv.Advance(time.Second)
	if g := snapshotGroup(t, srv, id); g.Status != "stopped" || snapshotPairs(srv)["pair-0"].Status != "stopped" {
		t.Fatalf("a second after a one-shot start: %+v", g)
	}

	sc := newEBS(t, srv, sh)
	if got := describeGroups(t, sc, sh, nil); len(got) != 0 {
		t.Fatalf("production site of %s lists %+v", sh, got)
	}
	got := describeGroups(t, sc, sh, func(r *ebs.DescribeDiskReplicaGroupsRequest) { r.Site = "backup" })
	if len(got) != 1 || got[0].ReplicaGroupId != id || got[0].Site != "backup" {
		t.Fatalf("backup site of %s: %+v", sh, got)
	}
	if got := describeGroups(t, c, hz, func(r *ebs.DescribeDiskReplicaGroupsRequest) { r.GroupIds = "pg-nosuchgroup" }); len(got) != 0 {
		t.Fatalf("GroupIds filter: %+v", got)
	}
	if got := describeGroups(t, c, hz, func(r *ebs.DescribeDiskReplicaGroupsRequest) { r.GroupIds = id }); len(got) != 1 {
		t.Fatalf("GroupIds filter: %+v", got)
	}
	// Actions in the secondary's region do not find the group: RegionId is the primary's.
	_, err = sc.StartDiskReplicaGroup(func() *ebs.StartDiskReplicaGroupRequest { r := startGroupReq(id); r.RegionId = sh; return r }())
	wantCode(t, err, 404, "NoSuchResource")
}

// TestReplicaGroupRefusals: every documented refusal of the group actions.
func TestReplicaGroupRefusals(t *testing.T) {
	type setup struct {
		srv   *emulator.Server
		c     *ebs.Client
		group string
	}
	cases := []struct {
		name   string
		prep   func(t *testing.T, s setup)
		call   func(s setup) error
		status int
		code   string
	}{
		{name: "add: other direction", call: func(s setup) error { _, err := s.c.AddDiskReplicaPair(addReq(s.group, "pair-other")); return err },
			status: 403, code: "OperationDenied"},
		{name: "add: pair normal", call: func(s setup) error { _, err := s.c.AddDiskReplicaPair(addReq(s.group, "pair-running")); return err },
			status: 403, code: "OperationDenied.InvalidStatus"},
		{name: "add: group normal", prep: func(t *testing.T, s setup) {
			must(t, func() error { _, err := s.c.AddDiskReplicaPair(addReq(s.group, "pair-0")); return err }())
			must(t, func() error { _, err := s.c.StartDiskReplicaGroup(startGroupReq(s.group)); return err }())
		}, call: func(s setup) error { _, err := s.c.AddDiskReplicaPair(addReq(s.group, "pair-1")); return err },
			status: 403, code: "OperationDenied.InvalidStatus"},
		{name: "add: already in a group", prep: func(t *testing.T, s setup) {
			must(t, func() error { _, err := s.c.AddDiskReplicaPair(addReq(s.group, "pair-0")); return err }())
		}, call: func(s setup) error { _, err := s.c.AddDiskReplicaPair(addReq(s.group, "pair-0")); return err },
			status: 403, code: "OperationDenied"},
		{name: "add: 18th pair", prep: func(t *testing.T, s setup) {
			for i := range emulator.MaxGroupPairs {
				must(t, func() error { _, err := s.c.AddDiskReplicaPair(addReq(s.group, fmt.Sprint("pair-", i))); return err }())
			}
		}, call: func(s setup) error { _, err := s.c.AddDiskReplicaPair(addReq(s.group, "pair-17")); return err },
			status: 403, code: "OperationDenied"},
		{name: "add: no such group", call: func(s setup) error { _, err := s.c.AddDiskReplicaPair(addReq("pg-nosuchgroup", "pair-0")); return err },
			status: 404, code: "NoSuchResource"},
		{name: "add: no such pair", call: func(s setup) error { _, err := s.c.AddDiskReplicaPair(addReq(s.group, "pair-nosuch")); return err },
			status: 404, code: "NoSuchResource"},
		{name: "add: missing pair ID", call: func(s setup) error { _, err := s.c.AddDiskReplicaPair(addReq(s.group, "")); return err },
			status: 400, code: "MissingParameter"},
		{name: "create: same zone", call: func(s setup) error {
			r := createGroupReq()
			r.DestinationRegionId, r.DestinationZoneId = hz, hzZone
			_, err := s.c.CreateDiskReplicaGroup(r)
			return err
		}, status: 403, code: "OperationDenied"},
		{name: "create: zone of another region", call: func(s setup) error {
			r := createGroupReq()
			r.DestinationZoneId = hzZone
			_, err := s.c.CreateDiskReplicaGroup(r)
			return err
		}, status: 400, code: "InvalidParameter"},
		{name: "create: RPO", call: func(s setup) error {
			r := createGroupReq()
			r.RPO = requests.NewInteger(60)
			_, err := s.c.CreateDiskReplicaGroup(r)
			return err
		}, status: 400, code: "InvalidParameter"},
		{name: "create: bandwidth", call: func(s setup) error {
			r := createGroupReq()
			r.Bandwidth = requests.NewInteger(1000)
			_, err := s.c.CreateDiskReplicaGroup(r)
			return err
		}, status: 400, code: "InvalidParameter"},
		{name: "create: name", call: func(s setup) error {
			r := createGroupReq()
			r.GroupName = "1-starts-with-a-digit"
			_, err := s.c.CreateDiskReplicaGroup(r)
			return err
		}, status: 400, code: "InvalidParameter"},
		{name: "create: missing zone", call: func(s setup) error {
			r := createGroupReq()
			r.SourceZoneId = ""
			_, err := s.c.CreateDiskReplicaGroup(r)
			return err
		}, status: 400, code: "MissingParameter"},
		{name: "create: unknown region", call: func(s setup) error {
			r := createGroupReq()
			r.DestinationRegionId = "xx-nowhere-1"
			_, err := s.c.CreateDiskReplicaGroup(r)
			return err
		}, status: 404, code: "InvalidRegionId.NotFound"},
		{name: "stop: created", call: func(s setup) error { _, err := s.c.StopDiskReplicaGroup(stopGroupReq(s.group)); return err },
			status: 403, code: "OperationDenied.InvalidStatus"},
		{name: "start one-shot: normal", prep: func(t *testing.T, s setup) {
			must(t, func() error { _, err := s.c.StartDiskReplicaGroup(startGroupReq(s.group)); return err }())
			s.srv.Advance(time.Second)
		}, call: func(s setup) error {
			r := startGroupReq(s.group)
			r.OneShot = requests.NewBoolean(true)
			_, err := s.c.StartDiskReplicaGroup(r)
			return err
		}, status: 403, code: "OperationDenied.InvalidStatus"},
		{name: "start: initial_syncing", prep: func(t *testing.T, s setup) {
			must(t, func() error { _, err := s.c.StartDiskReplicaGroup(startGroupReq(s.group)); return err }())
		}, call: func(s setup) error { _, err := s.c.StartDiskReplicaGroup(startGroupReq(s.group)); return err },
			status: 403, code: "OperationDenied.InvalidStatus"},
		{name: "stop: initial_syncing", prep: func(t *testing.T, s setup) {
			must(t, func() error { _, err := s.c.StartDiskReplicaGroup(startGroupReq(s.group)); return err }())
		}, call: func(s setup) error { _, err := s.c.StopDiskReplicaGroup(stopGroupReq(s.group)); return err },
			status: 403, code: "OperationDenied.InvalidStatus"},
		{name: "remove: group normal", prep: func(t *testing.T, s setup) {
			must(t, func() error { _, err := s.c.AddDiskReplicaPair(addReq(s.group, "pair-0")); return err }())
			must(t, func() error { _, err := s.c.StartDiskReplicaGroup(startGroupReq(s.group)); return err }())
			s.srv.Advance(time.Second)
		}, call: func(s setup) error { _, err := s.c.RemoveDiskReplicaPair(removeReq(s.group, "pair-0")); return err },
			status: 403, code: "OperationDenied.InvalidStatus"},
		{name: "remove: pair not in the group", call: func(s setup) error { _, err := s.c.RemoveDiskReplicaPair(removeReq(s.group, "pair-0")); return err },
			status: 404, code: "NoSuchResource"},
		{name: "delete: holds pairs", prep: func(t *testing.T, s setup) {
			must(t, func() error { _, err := s.c.AddDiskReplicaPair(addReq(s.group, "pair-0")); return err }())
		}, call: func(s setup) error { _, err := s.c.DeleteDiskReplicaGroup(deleteGroupReq(s.group)); return err },
			status: 403, code: "OperationDenied"},
		{name: "delete: normal", prep: func(t *testing.T, s setup) {
			must(t, func() error { _, err := s.c.StartDiskReplicaGroup(startGroupReq(s.group)); return err }())
			s.srv.Advance(time.Second)
		}, call: func(s setup) error { _, err := s.c.DeleteDiskReplicaGroup(deleteGroupReq(s.group)); return err },
			status: 403, code: "OperationDenied.InvalidStatus"},
		{name: "describe: site", call: func(s setup) error {
			r := ebs.CreateDescribeDiskReplicaGroupsRequest()
			r.RegionId, r.Site = hz, "elsewhere"
			_, err := s.c.DescribeDiskReplicaGroups(r)
			return err
		}, status: 400, code: "InvalidParameter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := emutest.Start(t, groupWorld(emulator.MaxGroupPairs+1))
			c := newEBS(t, srv, hz)
			created, err := c.CreateDiskReplicaGroup(createGroupReq())
			must(t, err)
			s := setup{srv: srv, c: c, group: created.ReplicaGroupId}
			if tc.prep != nil {
				tc.prep(t, s)
			}
			before := emutest.Timeless(srv.Snapshot())
			wantCode(t, tc.call(s), tc.status, tc.code)
			if after := emutest.Timeless(srv.Snapshot()); fmt.Sprintf("%+v", after.Groups) != fmt.Sprintf("%+v", before.Groups) ||
				fmt.Sprintf("%+v", after.Pairs) != fmt.Sprintf("%+v", before.Pairs) {
				t.Fatalf("a refused call changed the world:\nbefore %+v\n       %+v\nafter  %+v\n       %+v",
					before.Groups, before.Pairs, after.Groups, after.Pairs)
			}
		})
	}
}

func TestReplicaGroupClientToken(t *testing.T) {
	srv := emutest.Start(t, groupWorld(1))
	c := newEBS(t, srv, hz)
	req := createGroupReq()
	req.ClientToken = "group-token"
	first, err := c.CreateDiskReplicaGroup(req)
	must(t, err)
	again := createGroupReq()
	again.ClientToken = "group-token"
	second, err := c.CreateDiskReplicaGroup(again)
	must(t, err)
	if second.ReplicaGroupId != first.ReplicaGroupId || len(srv.Snapshot().Groups) != 1 {
		t.Fatalf("replayed create: %s then %s, %d groups", first.ReplicaGroupId, second.ReplicaGroupId, len(srv.Snapshot().Groups))
	}
	other := createGroupReq()
	other.ClientToken, other.GroupName = "group-token", "another-name"
	_, err = c.CreateDiskReplicaGroup(other)
	wantCode(t, err, 400, "IdempotentParameterMismatch")

	add := addReq(first.ReplicaGroupId, "pair-0")
	add.ClientToken = "add-token"
	for range 2 { // the second is a replay: no "already in a group" refusal
		_, err = c.AddDiskReplicaPair(add)
		must(t, err)
	}
	start := startGroupReq(first.ReplicaGroupId)
	start.ClientToken = "start-token"
	for range 2 {
		_, err = c.StartDiskReplicaGroup(start)
		must(t, err)
	}
}

func TestReplicaGroupState(t *testing.T) {
	st := groupWorld(2)
	st.Groups = []emulator.Group{{ReplicaGroupID: "pg-state", GroupName: "absr-i-bp1group", SourceRegionID: hz, SourceZoneID: hzZone,
		DestinationRegionID: sh, DestinationZoneID: shZone, Status: "created", PairIDs: []string{"pair-0"}}}
	data, err := json.Marshal(st)
	must(t, err)
	parsed, err := emulator.ParseState(data)
	must(t, err)
	srv := emutest.Start(t, parsed)
	if got := snapshotPairs(srv)["pair-0"].ReplicaGroupID; got != "pg-state" {
		t.Fatalf("pair-0 replicaGroupId = %q", got)
	}
	c := newEBS(t, srv, hz)
	must(t, func() error { _, err := c.AddDiskReplicaPair(addReq("pg-state", "pair-1")); return err }())
	snap := srv.Snapshot()
	reloaded, err := json.Marshal(snap)
	must(t, err)
	if !strings.Contains(string(reloaded), `"groups":[{"replicaGroupId":"pg-state","groupName":"absr-i-bp1group","sourceRegionId":"cn-hangzhou","sourceZoneId":"cn-hangzhou-h","destinationRegionId":"cn-shanghai","destinationZoneId":"cn-shanghai-b","status":"created","rpo":900,"pairIds":["pair-0","pair-1"]}]`) {
		t.Fatalf("state file groups: %s", reloaded)
	}
	if _, err := emulator.ParseState(reloaded); err != nil {
		t.Fatalf("snapshot does not reload: %v", err)
	}

	bad := []struct {
		name string
		edit func(*emulator.State)
		want string
	}{
		{"no ID", func(s *emulator.State) { s.Groups[0].ReplicaGroupID = "" }, "replicaGroupId is required"},
		{"unknown pair", func(s *emulator.State) { s.Groups[0].PairIDs = []string{"pair-nosuch"} }, "not an EBS pair"},
		{"other direction", func(s *emulator.State) { s.Groups[0].PairIDs = []string{"pair-other"} }, "another direction"},
		{"status", func(s *emulator.State) { s.Groups[0].Status = "sleeping" }, "not a replica group status"},
		{"zone", func(s *emulator.State) { s.Groups[0].DestinationZoneID = hzZone }, "not in its region"},
		{"two groups", func(s *emulator.State) {
			g := s.Groups[0]
			g.ReplicaGroupID = "pg-second"
			s.Groups = append(s.Groups, g)
		}, "already in group"},
		{"pair names a missing group", func(s *emulator.State) { s.Pairs[1].ReplicaGroupID = "pg-missing" }, "not a group listing it"},
		{"too many", func(s *emulator.State) {
			s.Groups[0].PairIDs = slices.Repeat([]string{"pair-0"}, emulator.MaxGroupPairs+1)
		}, "at most 17"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			st := groupWorld(2)
			st.Groups = []emulator.Group{{ReplicaGroupID: "pg-state", SourceRegionID: hz, SourceZoneID: hzZone,
				DestinationRegionID: sh, DestinationZoneID: shZone, PairIDs: []string{"pair-0"}}}
			tc.edit(st)
			data, err := json.Marshal(st)
			must(t, err)
			if _, err := emulator.ParseState(data); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
