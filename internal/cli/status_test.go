package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// status against the demo world: the table lists every opted-in disk once, problems first, ends
// with the summary line, and exits 1 (not everything is protected); -json prints the report; the
// world is left unchanged (a dry-run sweep: reads only).
func TestStatusCommand(t *testing.T) {
	t.Parallel()
	state := filepath.Join("events", "demo-state.json")
	run := cliExec(t, nil, "", "status", "-emulator", state)
	if run.code != ExitFailed {
		t.Fatalf("exit %d, want 1 (the demo world has unprotected and unhealthy disks)\nstdout:\n%s\nstderr:\n%s", run.code, run.stdout, run.stderr)
	}
	lines := strings.Split(strings.TrimSpace(string(run.stdout)), "\n")
	if len(lines) != 1+len(sweepAll)+1 {
		t.Fatalf("%d lines, want a header, %d disks and the summary:\n%s", len(lines), len(sweepAll), run.stdout)
	}
	wantOrder := []string{"unhealthy", "unhealthy", "lagging"} // then unprotected ..., protected last
	for i, state := range wantOrder {
		if !strings.HasPrefix(lines[1+i], state+" ") {
			t.Errorf("line %d %q, want state %s (problems first)", 1+i, lines[1+i], state)
		}
	}
	if last := lines[len(lines)-2]; !strings.HasPrefix(last, "protected ") || !strings.Contains(last, "d-bp1demo0004paired") {
		t.Errorf("last disk line %q, want the protected d-bp1demo0004paired", last)
	}
	if got, want := lines[len(lines)-1], "11 opted in, 1 protected and healthy, 1 lagging, 2 unhealthy, 7 unprotected"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if !strings.Contains(string(run.stdout), "invalid (DeviceSizeChanged)") {
		t.Errorf("the invalid pair's StatusMessage is not shown:\n%s", run.stdout)
	}

	js := cliExec(t, nil, "", "status", "-json", "-emulator", state)
	if js.code != ExitFailed {
		t.Fatalf("-json: exit %d, want 1\nstderr:\n%s", js.code, js.stderr)
	}
	rep := js.report(t)
	if !rep.DryRun || len(rep.Results) != len(sweepAll) || rep.Summary.Unhealthy != 2 || rep.Summary.Lagging != 1 || rep.Summary.Healthy != 1 {
		t.Errorf("-json report: dryRun %v, %d results, summary %+v", rep.DryRun, len(rep.Results), rep.Summary)
	}
	for _, r := range rep.Results {
		if r.Outcome == pairing.Paired || r.Outcome == pairing.Failed {
			t.Errorf("%s: %s/%s in a read-only status", r.DiskID, r.Outcome, r.Reason)
		}
	}
}

// Everything protected and healthy: exit 0. Bad flags: 2. -h: usage on stdout, exit 0.
func TestStatusExitCodes(t *testing.T) {
	healthy := filepath.Join(t.TempDir(), "healthy-state.json")
	world := map[string]any{
		"disks": []map[string]any{
			{"diskId": "d-bp1ok", "regionId": "cn-hangzhou", "zoneId": "cn-hangzhou-h", "category": "cloud_essd",
				"performanceLevel": "PL1", "size": 100, "tags": map[string]string{"dr": "enabled", "dr:replica-pair": "pair-ok"}},
			{"diskId": "d-uf6ok", "regionId": "cn-shanghai", "zoneId": "cn-shanghai-b", "category": "cloud_essd",
				"performanceLevel": "PL1", "size": 100},
		},
		"pairs": []map[string]any{{"replicaPairId": "pair-ok", "sourceDiskId": "d-bp1ok", "sourceRegionId": "cn-hangzhou",
			"destinationDiskId": "d-uf6ok", "destinationRegionId": "cn-shanghai", "status": "normal"}},
	}
	data, err := json.Marshal(world)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(healthy, data, 0o600); err != nil {
		t.Fatal(err)
	}
	run := cliExec(t, map[string]string{"ABSR_ROUTES": "cn-hangzhou=cn-shanghai"}, "", "status", "-regions", "cn-hangzhou", "-emulator", healthy)
	if run.code != ExitOK || !strings.Contains(string(run.stdout), "1 opted in, 1 protected and healthy, 0 lagging, 0 unhealthy, 0 unprotected") {
		t.Errorf("all healthy: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", run.code, run.stdout, run.stderr)
	}
	// A bad ABSR_MAX_RECOVERY_POINT_AGE is a startup error naming it.
	lag := cliExec(t, map[string]string{"ABSR_ROUTES": "cn-hangzhou=cn-shanghai", "ABSR_MAX_RECOVERY_POINT_AGE": "x"}, "", "status", "-emulator", healthy)
	if lag.code != ExitUsage || !strings.Contains(string(lag.stderr), "ABSR_MAX_RECOVERY_POINT_AGE") {
		t.Errorf("bad ABSR_MAX_RECOVERY_POINT_AGE: exit %d, want 2 naming it\nstderr:\n%s", lag.code, lag.stderr)
	}
	if bad := cliExec(t, nil, "", "status", "-nope"); bad.code != ExitUsage {
		t.Errorf("unknown flag: exit %d, want 2", bad.code)
	}
	help := cliExec(t, nil, "", "status", "-h")
	if help.code != ExitOK || !strings.Contains(string(help.stdout), "usage: absr-autopair status") {
		t.Errorf("status -h: exit %d, stdout %q, want usage and 0", help.code, help.stdout)
	}
}
