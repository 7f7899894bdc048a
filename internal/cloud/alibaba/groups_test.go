package alibaba

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

// groupWorld: two attached primaries of one instance in Hangzhou, each in a created pair with a
// secondary in Shanghai zone b.
func groupWorld() *emulator.State {
	st := emutest.World()
	for _, id := range []string{"1", "2"} {
		p := emutest.Disk("d-bp1g"+id, "cn-hangzhou-h", emutest.OptIn(), emutest.Attached("i-bp1g"))
		s := emutest.Secondary(p, "d-uf6g"+id, "cn-shanghai-b")
		st.Disks = append(st.Disks, p, s)
		st.Pairs = append(st.Pairs, emutest.Pair("pair-g"+id, p, s, "created"))
	}
	return st
}

var groupInput = cloud.CreateGroupInput{RegionID: "cn-hangzhou", SourceZoneID: "cn-hangzhou-h", DestinationRegionID: "cn-shanghai",
	DestinationZoneID: "cn-shanghai-b", Name: "absr-i-bp1g", Description: "absr-autopair: instance i-bp1g", RPO: 900, ClientToken: "g-token"}

// groupFlow drives every group method of api once: create (twice, one token), list, add both
// pairs, start, stop, look up by ID.
func groupFlow(t *testing.T, srv *emulator.Server, api cloud.API) string {
	t.Helper()
	ctx := emuCtx(t)
	id, err := api.CreateGroup(ctx, groupInput)
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	if again, err := api.CreateGroup(ctx, groupInput); err != nil || again != id {
		t.Fatalf("CreateGroup with the same token: %q %v, want %q", again, err, id)
	}
	groups, err := api.ListGroups(ctx, "cn-hangzhou")
	if err != nil || len(groups) != 1 {
		t.Fatalf("ListGroups: %+v %v", groups, err)
	}
	want := cloud.Group{ID: id, Name: "absr-i-bp1g", Status: "created", SourceRegionID: "cn-hangzhou", SourceZoneID: "cn-hangzhou-h",
		DestinationRegionID: "cn-shanghai", DestinationZoneID: "cn-shanghai-b", PairIDs: []string{}}
	if g := groups[0]; g.ID != want.ID || g.Name != want.Name || g.Status != want.Status || g.SourceZoneID != want.SourceZoneID ||
		g.DestinationRegionID != want.DestinationRegionID || g.DestinationZoneID != want.DestinationZoneID || len(g.PairIDs) != 0 {
		t.Fatalf("group %+v, want %+v", g, want)
	}
	for _, p := range []string{"pair-g1", "pair-g2"} {
		if err := api.AddPairToGroup(ctx, "cn-hangzhou", id, p, "add-"+p); err != nil {
			t.Fatalf("AddPairToGroup %s: %v", p, err)
		}
	}
	if err := api.StartGroup(ctx, "cn-hangzhou", id, "start-1"); err != nil {
		t.Fatalf("StartGroup: %v", err)
	}
	pairs, err := api.PairsByID(ctx, "cn-hangzhou", []string{"pair-g1", "pair-g2"})
	if err != nil || len(pairs) != 2 {
		t.Fatalf("PairsByID: %+v %v", pairs, err)
	}
	for _, p := range pairs {
		if p.ReplicaGroupID != id || p.Status != "initial_syncing" {
			t.Fatalf("pair after the group's start: %+v", p)
		}
	}
	srv.Advance(time.Second) // initial_syncing cannot be stopped; normal can
	if err := api.StopGroup(ctx, "cn-hangzhou", id, "stop-1"); err != nil {
		t.Fatalf("StopGroup: %v", err)
	}
	byID, err := api.GroupsByID(ctx, "cn-hangzhou", []string{id})
	if err != nil || len(byID) != 1 || byID[0].Status != "stopped" || !slices.Equal(byID[0].PairIDs, []string{"pair-g1", "pair-g2"}) {
		t.Fatalf("GroupsByID: %+v %v", byID, err)
	}
	return id
}

func TestGroupCallsAgainstEmulator(t *testing.T) {
	srv := emutest.Start(t, groupWorld())
	api := emuPool(t, srv, APIEBS).Client(emuCreds)
	groupFlow(t, srv, api)

	ctx := emuCtx(t)
	err := api.AddPairToGroup(ctx, "cn-hangzhou", "pg-nosuchgroup", "pair-g1", "")
	var e *cloud.Error
	if !errors.As(err, &e) || e.Code != "NoSuchResource" || e.Action != "ebs:AddDiskReplicaPair" {
		t.Fatalf("add to a missing group: %v", err)
	}
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"create without a zone", func() error { in := groupInput; in.SourceZoneID = ""; _, err := api.CreateGroup(ctx, in); return err }()},
		{"add without a pair", api.AddPairToGroup(ctx, "cn-hangzhou", "pg-1", "", "")},
		{"start without a group", api.StartGroup(ctx, "cn-hangzhou", "", "")},
		{"stop without a group", api.StopGroup(ctx, "cn-hangzhou", "", "")},
		{"by ID with a comma", func() error { _, err := api.GroupsByID(ctx, "cn-hangzhou", []string{"pg-1,pg-2"}); return err }()},
	} {
		if !errors.As(tc.err, &e) || e.Kind != cloud.KindInvalidInput {
			t.Errorf("%s: %v, want %s", tc.name, tc.err, cloud.KindInvalidInput)
		}
	}
}

func TestGroupCallsUnsupportedInTheLegacyFamily(t *testing.T) {
	srv := emutest.Start(t, groupWorld())
	api := emuPool(t, srv, APIECS).Client(emuCreds)
	ctx := emuCtx(t)
	_, err := api.CreateGroup(ctx, groupInput)
	if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "ABSR_API=ebs") {
		t.Fatalf("legacy CreateGroup: %v", err)
	}
	if _, err := api.ListGroups(ctx, "cn-hangzhou"); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("legacy ListGroups: %v", err)
	}
	if n := srv.Calls().Total(); n != 0 {
		t.Fatalf("%d requests sent for unsupported calls", n)
	}
}

// observeGroupActions adds to observed the RAM actions the group methods send.
func observeGroupActions(t *testing.T, observed map[string]bool) {
	t.Helper()
	srv := emutest.Start(t, groupWorld())
	groupFlow(t, srv, emuPool(t, srv, APIEBS).Client(emuCreds))
	for key := range srv.Calls().Calls {
		observed[strings.Replace(key, "/", ":", 1)] = true
	}
}
