package deploytest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/eventpattern"
	"github.com/absr-autopair/absr-autopair/internal/intake"
)

// Which trigger of s.yaml (including the optional, commented one) should deliver each sample
// event: "" for none. A batch file (a JSON array, as event streaming delivers) lists the
// trigger for each element: the bus matches rules per event. Every events/*.json must be here.
var expectedTrigger = map[string][]string{
	"actiontrail-addtags.json":                {"ecs-disk-events"},
	"actiontrail-createdisk.json":             {"ecs-disk-events"},
	"actiontrail-runinstances.json":           {"ecs-disk-events"},
	"actiontrail-tagresources.json":           {"ecs-disk-events"},
	"actiontrail-tagresources-no-params.json": {"ecs-disk-events"},
	"console-tagresources.json":               {"ecs-disk-events"},
	"console-create-instance.json":            {"ecs-disk-events"},
	"actiontrail-failed-call.json":            {""}, // errorCode present
	"actiontrail-not-a-disk.json":             {""}, // TagResources on an instance
	"tag-service-tagresources.json":           {"tag-service-events"},
	"cloudconfig-disk-change.json":            {"cloud-config-disk-changes"},
	"eventstreaming-batch.json":               {"ecs-disk-events", "ecs-disk-events", "ecs-disk-events"},
	"direct-request.json":                     {""}, // not a bus event: an operator's invoke
	"timer-reconcile.json":                    {""}, // FC timer
	"timer-configured-regions.json":           {""},
	"demo-state.json":                         nil, // the emulator's world, not an event
	"demo-state.schema.json":                  nil,
	"demo-expected-report.json":               nil,
	"demo-expected-report.schema.json":        nil,
}

type rule struct {
	name    string
	pattern *eventpattern.Pattern
}

func rules(t *testing.T) []rule {
	t.Helper()
	p := loadProject(t)
	var out []rule
	for _, res := range p.resources {
		props, _ := res["props"].(map[string]any)
		for _, tr := range p.triggers(t, props) {
			if tr["triggerType"] != "eventbridge" {
				continue
			}
			name, _ := tr["triggerName"].(string)
			text, _ := triggerConfig(tr)["eventRuleFilterPattern"].(string)
			pat, err := eventpattern.Compile([]byte(text))
			if err != nil {
				t.Fatalf("trigger %s: %v", name, err)
			}
			out = append(out, rule{name: name, pattern: pat})
		}
	}
	return out
}

// decodeEvents returns the events a sample holds: one object, or each element of an array
// (objects, or strings holding escaped objects).
func decodeEvents(t *testing.T, data []byte) []map[string]any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	var items []any
	if arr, ok := v.([]any); ok {
		items = arr
	} else {
		items = []any{v}
	}
	var out []map[string]any
	for i, it := range items {
		if s, ok := it.(string); ok {
			d := json.NewDecoder(strings.NewReader(s))
			d.UseNumber()
			if err := d.Decode(&it); err != nil {
				t.Fatalf("element %d: escaped event is not JSON: %v", i, err)
			}
		}
		m, ok := it.(map[string]any)
		if !ok {
			t.Fatalf("element %d is not an object", i)
		}
		out = append(out, m)
	}
	return out
}

// TestSampleEventsAgainstRules: each sample is delivered by exactly the trigger expected (never
// by two, which would invoke the function twice), and what a rule delivers, the intake reads.
func TestSampleEventsAgainstRules(t *testing.T) {
	rs := rules(t)
	files, err := filepath.Glob(filepath.Join(repoRoot, "events", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events in events/: %v", err)
	}
	seen := map[string]bool{}
	for _, path := range files {
		base := filepath.Base(path)
		seen[base] = true
		want, known := expectedTrigger[base]
		if !known {
			t.Errorf("events/%s: no expectation; add it to expectedTrigger", base)
			continue
		}
		if want == nil {
			continue
		}
		t.Run(base, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			events := decodeEvents(t, data)
			if len(events) != len(want) {
				t.Fatalf("%d events, the table expects %d", len(events), len(want))
			}
			delivered := false
			for i, ev := range events {
				var matched []string
				for _, r := range rs {
					if r.pattern.MatchValue(ev) {
						matched = append(matched, r.name)
					}
				}
				sort.Strings(matched)
				switch {
				case want[i] == "" && len(matched) > 0:
					t.Errorf("event %d matches %v; it should match no rule", i, matched)
				case want[i] != "" && (len(matched) != 1 || matched[0] != want[i]):
					t.Errorf("event %d matches %v; want exactly [%s]", i, matched, want[i])
				}
				delivered = delivered || len(matched) > 0
			}
			if delivered {
				if _, err := intake.Decode(data); err != nil {
					t.Errorf("a rule delivers this event, but the intake cannot read it: %v", err)
				}
			}
		})
	}
	for name := range expectedTrigger {
		if strings.HasPrefix(name, "demo-") {
			continue
		}
		if !seen[name] {
			t.Errorf("events/%s is in the table but not in events/", name)
		}
	}
}
