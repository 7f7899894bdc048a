package emulator_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

func legacyCreateParams() map[string]string {
	return map[string]string{"DiskId": "d-bp1primary", "DestinationRegionId": sh,
		"DestinationDiskId": "d-uf6secondary", "PairName": "TestReplicaPair"}
}

func TestLegacyPairLifecycle(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	c := newECS(t, srv, hz)
	params := legacyCreateParams()
	params["Description"] = "TestReplicaPairDescription"
	out, err := legacyCall(t, c, hz, "CreateDiskReplicaPair", params)
	must(t, err)
	id, _ := out["PairId"].(string)
	if !strings.HasPrefix(id, "rp-") || out["RequestId"] == "" || len(out) != 2 {
		t.Fatalf("legacy create answer = %v, want exactly PairId (rp-...) and RequestId", out)
	}
	p := snapshotPairs(srv)[id]
	if p.API != "ecs" || p.Status != "inactive" || p.SourceZoneID != hzZone || p.DestinationZoneID != shZone {
		t.Fatalf("legacy pair in state = %+v", p)
	}

	list, err := legacyCall(t, c, hz, "DescribeDiskReplicaPairs", nil)
	must(t, err)
	recs := list["DiskReplicaPairs"].(map[string]any)["DiskReplicaPair"].([]any)
	if len(recs) != 1 {
		t.Fatalf("legacy describe = %v", list)
	}
	rec := recs[0].(map[string]any)
	for k, v := range map[string]any{"PairId": id, "ReplicaPairId": id, "Status": "inactive", "SourceDiskId": "d-bp1primary",
		"DestinationDiskId": "d-uf6secondary", "SourceRegion": hz, "DestinationRegion": sh, "PairName": "TestReplicaPair"} {
		if rec[k] != v {
			t.Errorf("record %s = %v, want %v", k, rec[k], v)
		}
	}
	if _, ok := list["NextToken"]; !ok {
		t.Errorf("legacy describe lacks NextToken: %v", list)
	}
	// Listed from the secondary's region too, and not by the EBS Describe.
	fromSh, err := legacyCall(t, newECS(t, srv, sh), sh, "DescribeDiskReplicaPairs", nil)
	must(t, err)
	if n := len(fromSh["DiskReplicaPairs"].(map[string]any)["DiskReplicaPair"].([]any)); n != 1 {
		t.Fatalf("legacy describe from the secondary region: %d pairs", n)
	}
	if n := len(describePairs(t, newEBS(t, srv, hz), hz, nil).ReplicaPairs); n != 0 {
		t.Fatalf("EBS describe lists %d legacy pairs", n)
	}

	_, err = legacyCall(t, c, hz, "StartDiskReplicaPair", map[string]string{"ReplicaPairId": id})
	must(t, err)
	if st := snapshotPairs(srv)[id].Status; st != "active" {
		t.Fatalf("after legacy start: %s", st)
	}
	_, err = legacyCall(t, c, hz, "StartDiskReplicaPair", map[string]string{"ReplicaPairId": id})
	wantCode(t, err, 403, "OperationDenied.InvalidStatus")
	_, err = legacyCall(t, c, hz, "StartDiskReplicaPair", map[string]string{"ReplicaPairId": "rp-nothere"})
	wantCode(t, err, 404, "InvalidReplicaPairId.NotFound")

	// One pair per disk spans both families.
	e := newEBS(t, srv, hz)
	_, err = e.CreateDiskReplicaPair(createReq())
	wantCode(t, err, 403, "OperationDenied")
	_, err = legacyCall(t, c, hz, "CreateDiskReplicaPair", legacyCreateParams())
	wantCode(t, err, 403, "OperationDenied")
	// The EBS actions do not address legacy pairs.
	_, err = e.StartDiskReplicaPair(startReq(id))
	wantCode(t, err, 404, "NoSuchResource")

	calls := srv.Calls().Calls
	if calls["ecs/CreateDiskReplicaPair"] != 2 || calls["ecs/StartDiskReplicaPair"] != 3 || calls["ecs/DescribeDiskReplicaPairs"] != 2 {
		t.Fatalf("legacy calls are not counted under ecs/: %v", calls)
	}
}

func TestLegacyCreateRejections(t *testing.T) {
	st := basicWorld()
	creating := emutest.Disk("d-bp1creating", hzZone, emutest.ReadyAfter(60_000))
	st.Disks = append(st.Disks, creating, emutest.Secondary(creating, "d-uf6forcreating", shZone),
		emutest.Disk("d-uf6pl2", shZone, emutest.Spec("cloud_essd", "PL2", 500)))
	srv := emutest.Start(t, st)
	c := newECS(t, srv, hz)
	for _, missing := range []string{"DiskId", "DestinationRegionId", "DestinationDiskId", "PairName"} {
		params := legacyCreateParams()
		delete(params, missing)
		_, err := legacyCall(t, c, hz, "CreateDiskReplicaPair", params)
		wantCode(t, err, 400, "IncompleteParamter")
	}
	cases := []struct {
		name   string
		edit   map[string]string
		status int
		code   string
	}{
		{"unknown primary", map[string]string{"DiskId": "d-bp1nothere"}, 404, "InvalidDiskId.NotFound"},
		{"unknown secondary", map[string]string{"DestinationDiskId": "d-uf6nothere"}, 404, "InvalidDiskId.NotFound"},
		{"secondary named in the wrong region", map[string]string{"DestinationRegionId": "cn-beijing"}, 404, "InvalidDiskId.NotFound"},
		{"primary Creating", map[string]string{"DiskId": "d-bp1creating", "DestinationDiskId": "d-uf6forcreating"}, 403, "IncorrectDiskStatus"},
		{"spec mismatch", map[string]string{"DestinationDiskId": "d-uf6pl2"}, 400, "InvalidParamter"},
		{"system disk primary", map[string]string{"DiskId": "d-bp1system", "DestinationDiskId": "d-uf6secondary"}, 400, "InvalidParamter"},
		{"unsupported category", map[string]string{"DiskId": "d-bp1entry"}, 400, "InvalidParamter"},
		{"bad PairName", map[string]string{"PairName": "-x"}, 400, "InvalidParamter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			params := legacyCreateParams()
			for k, v := range tc.edit {
				params[k] = v
			}
			_, err := legacyCall(t, c, hz, "CreateDiskReplicaPair", params)
			wantCode(t, err, tc.status, tc.code)
		})
	}
	_, err := legacyCall(t, c, hz, "StartDiskReplicaPair", nil)
	wantCode(t, err, 400, "IncompleteParamter")
	if n := len(srv.Snapshot().Pairs); n != 0 {
		t.Fatalf("rejected creates left %d pairs", n)
	}
}

func TestLegacyStartRefusesAttachedSecondaryAndPagesWithTokens(t *testing.T) {
	var disks []emulator.Disk
	var pairs []emulator.Pair
	for i := range 12 {
		p := emutest.Disk(fmt.Sprintf("d-bp1p%02d", i), hzZone)
		var opts []emutest.DiskOption
		if i == 0 {
			opts = append(opts, emutest.Attached("i-uf6busy"))
		}
		s := emutest.Secondary(p, fmt.Sprintf("d-uf6s%02d", i), shZone, opts...)
		disks = append(disks, p, s)
		pairs = append(pairs, emutest.LegacyPair(fmt.Sprintf("rp-%02d", i), p, s, "inactive"))
	}
	st := emutest.World(disks...)
	st.Pairs = pairs
	srv := emutest.Start(t, st)
	c := newECS(t, srv, hz)
	_, err := legacyCall(t, c, hz, "StartDiskReplicaPair", map[string]string{"ReplicaPairId": "rp-00"})
	wantCode(t, err, 400, "OperationDenied.StandbyDeviceAttached")
	_, err = legacyCall(t, c, hz, "StartDiskReplicaPair", map[string]string{"PairId": "rp-01"}) // alias
	must(t, err)

	var seen []string
	token := ""
	for range 5 {
		params := map[string]string{"MaxResults": "5"}
		if token != "" {
			params["NextToken"] = token
		}
		out, err := legacyCall(t, c, hz, "DescribeDiskReplicaPairs", params)
		must(t, err)
		for _, r := range out["DiskReplicaPairs"].(map[string]any)["DiskReplicaPair"].([]any) {
			seen = append(seen, r.(map[string]any)["PairId"].(string))
		}
		if token, _ = out["NextToken"].(string); token == "" {
			break
		}
	}
	if len(seen) != 12 || seen[0] != "rp-00" || seen[11] != "rp-11" {
		t.Fatalf("legacy token paging saw %v", seen)
	}
	shc := newECS(t, srv, sh)
	for _, tc := range []struct {
		params map[string]string
		want   int
	}{
		{map[string]string{"PairIds": "rp-03,rp-07,rp-nothere", "MaxResults": "100"}, 2},
		{map[string]string{"Site": "backup", "MaxResults": "100"}, 12},
		{map[string]string{"Site": "production", "MaxResults": "100"}, 0},
	} {
		out, err := legacyCall(t, shc, sh, "DescribeDiskReplicaPairs", tc.params)
		must(t, err)
		recs := out["DiskReplicaPairs"].(map[string]any)["DiskReplicaPair"].([]any)
		if len(recs) != tc.want {
			t.Errorf("legacy describe from Shanghai %v: %d pairs, want %d", tc.params, len(recs), tc.want)
		}
		if tc.want == 12 && recs[0].(map[string]any)["Site"] != "backup" {
			t.Errorf("Site = %v", recs[0].(map[string]any)["Site"])
		}
	}
}
