package local

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/config"
)

func TestCompanionMapping(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"demo-state.json", "demo-mapping.yaml", "world.json", "world-mapping.yaml", "lonely-state.json"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for state, want := range map[string]string{
		"demo-state.json":   "demo-mapping.yaml",
		"world.json":        "world-mapping.yaml",
		"lonely-state.json": "",
		"missing.json":      "",
	} {
		got := CompanionMapping(filepath.Join(dir, state))
		if want != "" {
			want = filepath.Join(dir, want)
		}
		if got != want {
			t.Errorf("CompanionMapping(%s) = %q, want %q", state, got, want)
		}
	}
	if got := CompanionMapping(filepath.Join("..", "..", "events", "demo-state.json")); filepath.Base(got) != "demo-mapping.yaml" {
		t.Errorf("the demo world's companion is %q, want events/demo-mapping.yaml", got)
	}

	state := filepath.Join(dir, "demo-state.json")
	env := map[string]string{config.EnvRoutes: "cn-hangzhou=cn-shanghai"}
	lookup := EmulatorLookup(state, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if v, ok := lookup(config.EnvMappingFile); !ok || v != filepath.Join(dir, "demo-mapping.yaml") {
		t.Errorf("unset ABSR_MAPPING_FILE = %q, %v; want the companion", v, ok)
	}
	if v, _ := lookup(config.EnvRoutes); v != "cn-hangzhou=cn-shanghai" {
		t.Errorf("other variables pass through: got %q", v)
	}
	env[config.EnvMappingFile] = "/etc/mine.yaml"
	if v, _ := lookup(config.EnvMappingFile); v != "/etc/mine.yaml" {
		t.Errorf("the operator's ABSR_MAPPING_FILE must win, got %q", v)
	}
}
