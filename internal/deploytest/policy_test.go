package deploytest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/cloud/alibaba"
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
	linkedRole := 0
	for i, s := range p.Statement {
		if len(s.Condition) > 0 {
			// The one conditioned statement: the first pair in an account creates the replication
			// service's linked role, so the caller may create that role and no other.
			checkLinkedRoleStatement(t, i, s.Action, s.Resource, s.Condition)
			linkedRole++
			continue
		}
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
	for _, a := range alibaba.Actions() {
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
	if linkedRole != 1 {
		t.Errorf("policy.json has %d statements for ram:CreateServiceLinkedRole, want exactly 1 (CreateDiskReplicaPair lists it as a related action)", linkedRole)
	}
}

// linkedRoleService is the service name of EBS's service-linked role, AliyunServiceRoleForEBS,
// which the first replica pair of an account creates.
const linkedRoleService = "ebs.aliyuncs.com"

func checkLinkedRoleStatement(t *testing.T, i int, actions []string, resource, condition json.RawMessage) {
	t.Helper()
	if len(actions) != 1 || actions[0] != "ram:CreateServiceLinkedRole" {
		t.Errorf("statement %d: conditioned actions %v, want only ram:CreateServiceLinkedRole", i, actions)
	}
	var res string
	if err := json.Unmarshal(resource, &res); err != nil || res != "*" {
		t.Errorf("statement %d: Resource %s, want \"*\" (the condition restricts it)", i, resource)
	}
	var cond map[string]map[string]json.RawMessage
	if err := json.Unmarshal(condition, &cond); err != nil {
		t.Fatalf("statement %d: Condition: %v", i, err)
	}
	var name string
	if len(cond) != 1 || len(cond["StringEquals"]) != 1 || json.Unmarshal(cond["StringEquals"]["ram:ServiceName"], &name) != nil || name != linkedRoleService {
		t.Errorf("statement %d: Condition %s, want exactly {\"StringEquals\": {\"ram:ServiceName\": %q}}", i, condition, linkedRoleService)
	}
}
