package emulator_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

// Each invalid state file is rejected with an error naming the file, the thing and the field.
func TestParseStateRejectsInvalidFiles(t *testing.T) {
	want := map[string][]string{
		"unknown-field.json":             {`unknown field "sizeGiB"`},
		"duplicate-disk.json":            {"disk d-bp1a", "duplicate diskId"},
		"zone-of-another-region.json":    {"disk d-bp1a", `zoneId "cn-shanghai-b" is not a zone of regionId "cn-hangzhou"`},
		"pl2-too-small.json":             {"disk d-bp1a", "size 100 GiB is outside 461-65536"},
		"in-use-without-instance.json":   {"disk d-bp1a", "In_use needs an instanceId"},
		"unknown-status.json":            {"disk d-bp1a", `status "available"`},
		"negative-delay.json":            {"disk d-bp1a", "readyAfterMs"},
		"pair-unknown-disk.json":         {"pair pair-1", "destinationDiskId d-uf6gone is not a disk"},
		"disk-in-two-pairs.json":         {"pair pair-2", "disk d-bp1a is already in pair pair-1"},
		"pair-bad-status.json":           {"pair pair-1", `status "active" is not an EBS pair status`},
		"legacy-pair-ebs-status.json":    {"pair rp-1", `status "normal" is not a legacy`},
		"pair-wrong-region.json":         {"pair pair-1", "sourceRegionId cn-beijing differs"},
		"faults-out-of-range.json":       {"faults", "throttlePercent must be within 0-100"},
		"credential-without-secret.json": {"credentials[0]", "accessKeySecret"},
		"not-json.json":                  {"invalid JSON"},
	}
	files, err := filepath.Glob("testdata/state/invalid/*.json")
	must(t, err)
	if len(files) != len(want) {
		t.Fatalf("%d fixtures, %d expectations", len(files), len(want))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			frags, ok := want[name]
			if !ok {
				t.Fatalf("no expectation for %s", name)
			}
			_, err := emulator.LoadState(path)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, f := range append(frags, name) {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("error %q lacks %q", err, f)
				}
			}
			if _, err := emulator.New(mustParseLoose(t, path)); err == nil && name != "not-json.json" && name != "unknown-field.json" {
				t.Errorf("New accepted the state ParseState rejects")
			}
		})
	}
}

// mustParseLoose decodes without validation, to check New validates on its own.
func mustParseLoose(t *testing.T, path string) *emulator.State {
	data, err := os.ReadFile(path)
	must(t, err)
	var st emulator.State
	_ = json.Unmarshal(data, &st)
	return &st
}

func TestParseStateFillsDefaults(t *testing.T) {
	st, err := emulator.LoadState("testdata/state/defaults.json")
	must(t, err)
	a, b, p := st.Disks[0], st.Disks[1], st.Pairs[0]
	if st.AccountID != emulator.DefaultAccountID || a.Type != "data" || a.Status != "In_use" || a.PerformanceLevel != "PL1" ||
		a.ChargeType != "PostPaid" || b.Status != "Available" {
		t.Fatalf("disk defaults: %+v %+v", a, b)
	}
	if p.Status != "created" || p.SourceRegionID != "cn-hangzhou" || p.DestinationZoneID != "cn-shanghai-b" || p.RPO != 900 || p.API != "" {
		t.Fatalf("pair defaults: %+v", p)
	}
	if _, err := emulator.LoadState("testdata/state/missing.json"); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("missing file: %v", err)
	}
}

// A snapshot reloads into an equal world.
func TestSnapshotRoundTrips(t *testing.T) {
	st, err := emulator.LoadState(demoState)
	must(t, err)
	srv := emutest.Start(t, st)
	snap := srv.Snapshot()
	raw, err := json.Marshal(snap)
	must(t, err)
	again, err := emulator.ParseState(raw)
	must(t, err)
	srv2, err := emulator.New(again)
	must(t, err)
	snap2 := srv2.Snapshot()
	// What moves with the clock alone differs between the two moments; the rest is compared exactly.
	if !reflect.DeepEqual(emutest.Timeless(snap), emutest.Timeless(snap2)) {
		t.Fatalf("round trip differs:\n%+v\n%+v", snap, snap2)
	}
	if len(snap.Credentials) != 1 || snap.Credentials[0].AccessKeyID != emutest.AccessKeyID {
		t.Fatalf("the snapshot lists the accepted credentials: %+v", snap.Credentials)
	}
	// New copies its input: changing the caller's state afterwards changes nothing.
	st.Disks[0].Tags["dr"] = "changed"
	if snapshotDisk(t, srv, st.Disks[0].DiskID).Tags["dr"] != "enabled" {
		t.Fatal("the server shares the caller's tag map")
	}
}
