package deploytest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

type ramPolicy struct {
	Version   string
	Statement []struct {
		Effect    string
		Action    []string
		Resource  json.RawMessage
		Condition json.RawMessage `json:",omitempty"`
	}
}

// TestPolicyGrantsExactlyTheAdapterActions: policy.json allows every action the adapters call
// and nothing else.
func TestPolicyGrantsExactlyTheAdapterActions(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p ramPolicy
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("policy.json: %v", err)
	}
	if p.Version != "1" {
		t.Errorf(`Version = %q, want "1"`, p.Version)
	}
	granted := map[string]bool{}
	for i, s := range p.Statement {
		if s.Effect != "Allow" {
			t.Errorf("statement %d: Effect %q; this policy only allows", i, s.Effect)
		}
		if len(s.Resource) == 0 {
			t.Errorf("statement %d: no Resource", i)
		}
		for _, a := range s.Action {
			if strings.Contains(a, "*") {
				t.Errorf("statement %d: wildcard action %q", i, a)
			}
			if granted[a] {
				t.Errorf("action %q granted twice", a)
			}
			granted[a] = true
		}
	}
	needed := map[string]bool{}
	for _, a := range cloud.Actions() {
		needed[a] = true
		if !granted[a] {
			t.Errorf("policy.json does not grant %s, which the adapters call", a)
		}
	}
	var extra []string
	for a := range granted {
		if !needed[a] {
			extra = append(extra, a)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("policy.json grants %v, which no adapter calls", extra)
	}
}
