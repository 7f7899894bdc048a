package handler_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/config"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// How many API calls one event costs, by secondary-resolution path and for a batch of ten
// disks: the emulator counts every request the handler's adapters send.

// callScenario is one world and the direct request that names its primaries.
type callScenario struct {
	name    string
	env     map[string]string
	world   *emulator.State
	disks   []string
	created int // secondaries to auto-create
}

const callsPrimaryZone, callsSecondaryZone = "cn-hangzhou-h", "cn-shanghai-b"

// callScenarioDisks builds n primaries (d-bp1p00..) whose secondaries are found by path:
// "mapping", "tag", "backref" or "auto"; it returns the disks and the mapping file lines.
func callScenarioDisks(path string, first, n int) (disks []emulator.Disk, ids []string, mapping []string) {
	for i := first; i < first+n; i++ {
		id, sec := fmt.Sprintf("d-bp1p%02d", i), fmt.Sprintf("d-uf6s%02d", i)
		var p emulator.Disk
		switch path {
		case "mapping":
			p = emutest.Disk(id, callsPrimaryZone, emutest.OptIn())
			disks = append(disks, emutest.Secondary(p, sec, callsSecondaryZone))
			mapping = append(mapping, fmt.Sprintf("  %s: {disk: %s, region: cn-shanghai}", id, sec))
		case "tag":
			p = emutest.Disk(id, callsPrimaryZone, emutest.OptIn(), emutest.Tags(pairing.TagSecondaryDisk, sec))
			disks = append(disks, emutest.Secondary(p, sec, callsSecondaryZone))
		case "backref":
			p = emutest.Disk(id, callsPrimaryZone, emutest.OptIn())
			disks = append(disks, emutest.Secondary(p, sec, callsSecondaryZone, emutest.BackRef(id)))
		case "auto":
			p = emutest.Disk(id, callsPrimaryZone, emutest.OptIn())
		default:
			panic(path)
		}
		disks = append(disks, p)
		ids = append(ids, id)
	}
	return disks, ids, mapping
}

func callScenarios(t testing.TB) []callScenario {
	t.Helper()
	mappingFile := func(lines []string) string {
		path := filepath.Join(t.TempDir(), "mapping.yaml")
		if err := os.WriteFile(path, []byte("pairs:\n"+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	var out []callScenario
	for _, path := range []string{"mapping", "tag", "backref", "auto"} {
		disks, ids, mapping := callScenarioDisks(path, 0, 1)
		sc := callScenario{name: "1 disk, " + path, world: emutest.World(disks...), disks: ids,
			env: map[string]string{config.EnvAutoCreateSecondary: fmt.Sprint(path == "auto")}}
		if path == "auto" {
			sc.created = 1
		}
		if mapping != nil {
			sc.env[config.EnvMappingFile] = mappingFile(mapping)
		}
		out = append(out, sc)
	}
	disks, ids, _ := callScenarioDisks("backref", 0, 10)
	out = append(out, callScenario{name: "10 disks, backref", world: emutest.World(disks...), disks: ids,
		env: map[string]string{}})

	// Ten disks over every path: 3 mapping, 3 tag, 2 back-reference, 2 auto-create.
	var all []emulator.Disk
	var allIDs, allMapping []string
	first := 0
	for _, part := range []struct {
		path string
		n    int
	}{{"mapping", 3}, {"tag", 3}, {"backref", 2}, {"auto", 2}} {
		d, i, m := callScenarioDisks(part.path, first, part.n)
		all, allIDs, allMapping = append(all, d...), append(allIDs, i...), append(allMapping, m...)
		first += part.n
	}
	out = append(out, callScenario{name: "10 disks, mixed", world: emutest.World(all...), disks: allIDs, created: 2,
		env: map[string]string{config.EnvAutoCreateSecondary: "true", config.EnvMappingFile: mappingFile(allMapping)}})
	return out
}

// playCalls delivers the scenario's request twice against a fresh world and returns the calls
// of each delivery.
func playCalls(t testing.TB, sc callScenario) (first, again map[string]int) {
	t.Helper()
	emu := e2eStartEmulator(t, sc.world)
	env := e2eEnv(emu.URL())
	maps.Copy(env, sc.env)
	cfg := e2eConfig(t, env)
	payload, err := json.Marshal(map[string]any{"diskIds": sc.disks, "regionId": "cn-hangzhou"})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []pairing.Outcome{pairing.Paired, pairing.AlreadyPaired} {
		run := e2eInvoke(t, emu, cfg, e2eCredentials(), handler.Invocation{RequestID: "calls"}, payload)
		if run.err != nil || run.report == nil {
			t.Fatalf("%s: delivery %d: %v", sc.name, i+1, run.err)
		}
		for _, r := range run.report.Results {
			if r.Outcome != want {
				t.Fatalf("%s: delivery %d: %s %s/%s %s", sc.name, i+1, r.DiskID, r.Outcome, r.Reason, r.Message)
			}
		}
		if i == 0 {
			first = run.calls
		} else {
			again = run.calls
		}
	}
	return first, again
}

func totalCalls(calls map[string]int) int {
	n := 0
	for _, c := range calls {
		n += c
	}
	return n
}

func formatCalls(calls map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(calls)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, calls[k]))
	}
	return strings.Join(parts, " ")
}

// TestAPICallsPerDisk logs the calls of a first delivery and of a redelivery, by action, and
// holds them to bounds: the changing calls are exactly what pairing needs (one create, one start,
// one tag per disk, and a CreateDisk per auto-created secondary), and reads are batched, so ten
// disks cost far fewer reads than ten single-disk events.
func TestAPICallsPerDisk(t *testing.T) {
	t.Parallel()
	reads := map[string]int{}
	for _, sc := range callScenarios(t) {
		first, again := playCalls(t, sc)
		n := len(sc.disks)
		t.Logf("%-18s first: %2d calls (%.1f/disk) %s", sc.name, totalCalls(first), float64(totalCalls(first))/float64(n), formatCalls(first))
		t.Logf("%-18s again: %2d calls (%.1f/disk) %s", sc.name, totalCalls(again), float64(totalCalls(again))/float64(n), formatCalls(again))

		wantChanges := map[string]int{"ebs/CreateDiskReplicaPair": n, "ebs/StartDiskReplicaPair": n, "ecs/TagResources": n}
		if sc.created > 0 {
			wantChanges["ecs/CreateDisk"] = sc.created
		}
		changes := map[string]int{}
		readCount := 0
		for k, v := range first {
			if e2eReadOnly(k) {
				readCount += v
			} else {
				changes[k] = v
			}
		}
		if !maps.Equal(changes, wantChanges) {
			t.Errorf("%s: changing calls %v, want %v", sc.name, changes, wantChanges)
		}
		for k := range again {
			if !e2eReadOnly(k) {
				t.Errorf("%s: the redelivery called %s", sc.name, k)
			}
		}
		reads[sc.name] = readCount
	}
	// Batching: ten back-referenced disks in one event read less than ten one-disk events.
	if one, ten := reads["1 disk, backref"], reads["10 disks, backref"]; ten >= 10*one {
		t.Errorf("10 disks in one event: %d reads, ten one-disk events: %d: reads are not batched", ten, 10*one)
	}
}

// BenchmarkAPICallsPerDisk reports calls/disk (and the time) of a first delivery, per scenario.
func BenchmarkAPICallsPerDisk(b *testing.B) {
	for _, sc := range callScenarios(b) {
		b.Run(strings.NewReplacer(" ", "", ",", "-").Replace(sc.name), func(b *testing.B) {
			var first map[string]int
			for b.Loop() {
				first, _ = playCalls(b, sc)
			}
			b.ReportMetric(float64(totalCalls(first))/float64(len(sc.disks)), "calls/disk")
		})
	}
}
