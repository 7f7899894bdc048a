package intake

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// eventsDir holds the sample payloads users invoke (make invoke EVENT=..., s invoke --event-file).
const eventsDir = "../../events"

// isSamplePayload tells payload samples from the other files in events/: the emulator's demo
// world (demo-state.json), mapping files and the README.
func isSamplePayload(name string) bool {
	return strings.HasSuffix(name, ".json") && name != "demo-state.json" && !strings.Contains(name, "mapping")
}

// sampleWant is what a sample must decode to, written by hand from the sample.
type sampleWant struct {
	event   Event // ID, Source, Type and Name are compared (Time is covered by the fixtures)
	events  int
	targets []Target // Region, DiskIDs, InstanceIDs, TagHint, Created (Event checked apart)
	ignored []string // reasons
	sweep   *Sweep
}

var sampleWants = map[string]sampleWant{
	"actiontrail-createdisk.json": {
		event: Event{ID: "6c1f2e0a-3b7d-4f0e-9a51-1d2f5c8e9b01", Source: "acs.ecs", Type: apiCall, Name: "CreateDisk"}, events: 1,
		targets: []Target{{Region: "cn-hangzhou", DiskIDs: []string{"d-bp1demo0009fresh"}, TagHint: tags("dr", "enabled", "app", "orders"), Created: true}},
	},
	"actiontrail-tagresources.json": {
		event: Event{ID: "2b8e4d71-95c3-4a6f-b0d2-7e1c3f9a5d22", Source: "acs.ecs", Type: apiCall, Name: "TagResources"}, events: 1,
		targets: []Target{{Region: "cn-hangzhou", DiskIDs: []string{"d-bp1demo0002tagged", "d-bp1demo0003discover"},
			TagHint: tags("owner", "storage-team", "dr", "enabled")}},
	},
	"actiontrail-tagresources-no-params.json": {
		event: Event{ID: "7c1f3e20-4d5a-4b6c-9e8f-0a1b2c3d4e51", Source: "acs.ecs", Type: apiCall, Name: "TagResources"}, events: 1,
		targets: []Target{{Region: "cn-hangzhou", DiskIDs: []string{"d-bp1demo0003discover"}}},
	},
	"console-tagresources.json": {
		event: Event{ID: "4e9a8b7c-6d5e-4f3a-8b2c-1d0e9f8a7b62", Source: "acs.ecs", Type: console, Name: "TagResources"}, events: 1,
		targets: []Target{{Region: "cn-hangzhou", DiskIDs: []string{"d-bp1demo0002tagged"}}},
	},
	"actiontrail-runinstances.json": {
		event: Event{ID: "9d0a7c3e-1f24-4b58-8e6d-3a5c7b9e1f33", Source: "acs.ecs", Type: apiCall, Name: "RunInstances"}, events: 1,
		targets: []Target{{Region: "cn-hangzhou", InstanceIDs: []string{"i-bp1demo0002"}, TagHint: tags("dr", "enabled"), Created: true}},
	},
	"console-create-instance.json": {
		event: Event{ID: "4e6b8d0f-2a3c-4e5f-9b7d-5c8e0a2b4d44", Source: "acs.ecs", Type: console, Name: "Create"}, events: 1,
		targets: []Target{{Region: "cn-hangzhou", DiskIDs: []string{"d-bp1demo0007sys", "d-bp1demo0008data"},
			InstanceIDs: []string{"i-bp1demo0002"}, Created: true}},
	},
	"actiontrail-addtags.json": {
		event: Event{ID: "7f9a1b3c-5d6e-4f70-8a2b-4c6d8e0f1a55", Source: "acs.ecs", Type: apiCall, Name: "AddTags"}, events: 1,
		targets: []Target{{Region: "cn-hangzhou", DiskIDs: []string{"d-bp1demo0010nosec"}, TagHint: tags("dr", "enabled")}},
	},
	"tag-service-tagresources.json": {
		event: Event{ID: "1a3c5e7f-9b0d-4c2e-8f4a-6b8d0f2a4c66", Source: "acs.tag", Type: tagType, Name: "TagResources"}, events: 1,
		targets: []Target{{Region: "cn-hangzhou", DiskIDs: []string{"d-bp1demo0001mapped", "d-bp1demo0005entry"}, TagHint: tags("dr", "enabled")}},
	},
	"cloudconfig-disk-change.json": {
		event: Event{ID: "config-5b7d9f1a-3c5e-4a7b-9d1f-7a9c1e3b5d77", Source: "acs.config", Type: cfgType, Name: "ConfigurationItemChangeNotification"}, events: 1,
		targets: []Target{{Region: "cn-hangzhou", DiskIDs: []string{"d-bp1demo0006optout"}, TagHint: tags("dr", "disabled", "team", "analytics")}},
	},
	"eventstreaming-batch.json": {
		event: Event{ID: "8c0e2a4b-6d8f-4a1c-9e3b-5d7f9a1c3e88+2", Source: "acs.ecs", Type: apiCall, Name: NameBatch}, events: 3,
		targets: []Target{
			{Region: "cn-hangzhou", DiskIDs: []string{"d-bp1demo0004paired"}, TagHint: tags("dr", "enabled")},
			{Region: "cn-hangzhou", DiskIDs: []string{"d-bp1demo0002tagged"}, TagHint: tags("dr", "enabled")},
		},
		ignored: []string{ReasonDuplicateEvent},
	},
	"timer-reconcile.json": {
		event: Event{ID: "reconcile@2026-11-27T11:30:00Z", Source: SourceTimer, Type: TypeTimer, Name: "reconcile"},
		sweep: &Sweep{TriggerName: "reconcile", TriggerTime: "2026-11-27T11:30:00Z", Regions: []string{"cn-hangzhou"}},
	},
	"timer-configured-regions.json": {
		event: Event{ID: "reconcile@2026-11-27T12:00:00Z", Source: SourceTimer, Type: TypeTimer, Name: "reconcile"},
		sweep: &Sweep{TriggerName: "reconcile", TriggerTime: "2026-11-27T12:00:00Z"},
	},
	"direct-request.json": {
		event:   Event{Source: SourceDirect, Type: TypeDirect},
		targets: []Target{{Region: "cn-hangzhou", DiskIDs: []string{"d-bp1demo0001mapped", "d-bp1demo0003discover", "d-bp1demo0010nosec"}}},
	},
	"actiontrail-failed-call.json": {
		event: Event{ID: "3e5a7c9d-1b3d-4e5f-8a7c-1d3f5b7d9e10", Source: "acs.ecs", Type: apiCall, Name: "TagResources"}, events: 1,
		ignored: []string{ReasonFailedCall},
	},
	"actiontrail-not-a-disk.json": {
		event: Event{ID: "5c7e9a1b-3d5f-4a7c-9e1b-3f5d7a9c1e21", Source: "acs.ecs", Type: apiCall, Name: "TagResources"}, events: 1,
		ignored: []string{ReasonNotADisk},
	},
}

// TestSamples decodes every sample payload in events/ and compares it with its expectation;
// a sample without one fails, so new samples get checked too.
func TestSamples(t *testing.T) {
	entries, err := os.ReadDir(eventsDir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() || !isSamplePayload(e.Name()) {
			continue
		}
		name := e.Name()
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(eventsDir, name))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want, ok := sampleWants[name]
			if !ok {
				t.Fatalf("no expectation for this sample: add one to sampleWants")
			}
			gotEvent := got.Event
			gotEvent.Time = ""
			if gotEvent != want.event || got.Events != want.events {
				t.Errorf("event %+v (%d events), want %+v (%d)", gotEvent, got.Events, want.event, want.events)
			}
			var gotTargets []Target
			for _, tg := range got.Targets {
				if tg.Event.Source == "" && tg.Event.Type == "" {
					t.Errorf("target without its event: %+v", tg)
				}
				tg.Event = Event{}
				gotTargets = append(gotTargets, tg)
			}
			if !reflect.DeepEqual(gotTargets, want.targets) {
				t.Errorf("targets\n got: %s\nwant: %s", dump(gotTargets), dump(want.targets))
			}
			var reasons []string
			for _, ig := range got.Ignored {
				reasons = append(reasons, ig.Reason)
			}
			if !slices.Equal(reasons, want.ignored) {
				t.Errorf("ignored reasons %v, want %v", reasons, want.ignored)
			}
			if !reflect.DeepEqual(got.Sweep, want.sweep) {
				t.Errorf("sweep %+v, want %+v", got.Sweep, want.sweep)
			}
		})
	}
	for name := range sampleWants {
		if !seen[name] {
			t.Errorf("expected sample %s is missing from %s", name, eventsDir)
		}
	}
}

// TestSamplesCoverDemoWorld: every disk and instance of the demo world is named by at least
// one sample's targets, so `make demo` exercises each of them.
func TestSamplesCoverDemoWorld(t *testing.T) {
	demo := []string{
		"d-bp1demo0001mapped", "d-bp1demo0002tagged", "d-bp1demo0003discover", "d-bp1demo0004paired",
		"d-bp1demo0005entry", "d-bp1demo0006optout", "d-bp1demo0007sys", "d-bp1demo0008data",
		"d-bp1demo0009fresh", "d-bp1demo0010nosec", "i-bp1demo0002",
	}
	named := map[string]bool{}
	for name := range sampleWants {
		b, err := os.ReadFile(filepath.Join(eventsDir, name))
		if err != nil {
			t.Fatal(err)
		}
		req, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, tg := range req.Targets {
			if tg.Region != "cn-hangzhou" {
				t.Errorf("%s: region %q, want the demo world's cn-hangzhou", name, tg.Region)
			}
			for _, id := range append(slices.Clone(tg.DiskIDs), tg.InstanceIDs...) {
				named[id] = true
			}
		}
	}
	for _, id := range demo {
		if !named[id] {
			t.Errorf("no sample names %s", id)
		}
	}
}
