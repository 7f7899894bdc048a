package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// TestSamples runs every sample of events/ as a user would, each against a fresh demo world:
// absr-autopair invoke -event events/X.json -emulator events/demo-state.json
func TestSamples(t *testing.T) {
	t.Parallel()
	samples := map[string]struct {
		disks   []diskWant
		ignored []string
	}{
		"actiontrail-addtags.json":      {disks: []diskWant{nosec}},
		"actiontrail-createdisk.json":   {disks: []diskWant{fresh}},
		"actiontrail-failed-call.json":  {ignored: []string{"failed_call"}},
		"actiontrail-not-a-disk.json":   {ignored: []string{"not_a_disk"}},
		"actiontrail-runinstances.json": {disks: []diskWant{sys, data}},
		"actiontrail-tagresources.json": {disks: []diskWant{tagged, discover}},
		// Tag events without requestParameters: the disks from referencedResources.
		"actiontrail-tagresources-no-params.json": {disks: []diskWant{discover}},
		"console-tagresources.json":               {disks: []diskWant{tagged}},
		"cloudconfig-disk-change.json":            {disks: []diskWant{optout}},
		"console-create-instance.json":            {disks: []diskWant{sys, data}},
		"direct-request.json":                     {disks: []diskWant{mapped, discover, nosec}},
		"eventstreaming-batch.json":               {disks: []diskWant{already, tagged}, ignored: []string{"duplicate_event"}},
		"tag-service-tagresources.json":           {disks: []diskWant{mapped, entry}},
		"timer-configured-regions.json":           {disks: sweepAll},
		"timer-reconcile.json":                    {disks: sweepAll},
	}
	files, err := filepath.Glob(inRoot("events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if _, ok := samples[name]; !ok && name != "demo-state.json" {
			t.Errorf("sample %s has no expectations here: add it to the table", name)
		}
	}
	for name, want := range samples {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run := cliExec(t, nil, "", "invoke", "-event", filepath.Join("events", name), "-emulator", filepath.Join("events", "demo-state.json"))
			if run.code != 0 {
				t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", run.code, run.stdout, run.stderr)
			}
			rep := run.report(t)
			checkDisks(t, rep, want.disks)
			var ignored []string
			for _, ig := range rep.Ignored {
				ignored = append(ignored, ig.Reason)
			}
			if !slices.Equal(ignored, want.ignored) {
				t.Errorf("ignored %v, want %v", ignored, want.ignored)
			}
			lines := run.logLines(t)
			checkDiskLines(t, rep, lines)
			if len(rep.Results) == 0 {
				// Nothing to do means nothing called.
				if done := lastLine(t, lines, "invocation done"); done["apiCalls"] != 0.0 {
					t.Errorf("apiCalls %v for a payload that names no disk", done["apiCalls"])
				}
			}
		})
	}
}

// TestExitCodes: 1 when a disk failed (the report is still printed), 2 for an undecodable
// payload or a bad configuration, with a message naming what was wrong and nothing on stdout.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	state := filepath.Join("events", "demo-state.json")
	for _, tc := range []struct {
		name     string
		env      map[string]string
		stdin    string
		args     []string
		code     int
		report   bool
		mentions []string
	}{
		{name: "a disk failed", stdin: `{"diskIds":["d-bp1missing","d-bp1demo0002tagged"],"regionId":"cn-hangzhou"}`,
			args: []string{"invoke", "-event", "-", "-emulator", state}, code: 1, report: true},
		{name: "undecodable payload", stdin: `{"disk":"d-bp1demo0002tagged"}`,
			args: []string{"invoke", "-event", "-", "-emulator", state}, code: 2, mentions: []string{"payload not accepted", "expected one of"}},
		{name: "not JSON", stdin: `this is not JSON`,
			args: []string{"invoke", "-event", "-", "-emulator", state}, code: 2, mentions: []string{"payload not accepted"}},
		{name: "bad ABSR_API", env: map[string]string{"ABSR_API": "bogus"},
			args: []string{"invoke", "-event", "events/direct-request.json", "-emulator", state}, code: 2, mentions: []string{"ABSR_API", "bogus"}},
		{name: "bad ABSR_ROUTES", env: map[string]string{"ABSR_ROUTES": "cn-hangzhou"},
			args: []string{"invoke", "-event", "events/direct-request.json", "-emulator", state}, code: 2, mentions: []string{"ABSR_ROUTES"}},
		{name: "missing event file", args: []string{"invoke", "-event", "events/no-such-file.json", "-emulator", state},
			code: 2, mentions: []string{"no-such-file.json"}},
		{name: "no -event", args: []string{"invoke"}, code: 2, mentions: []string{"-event"}},
		{name: "bad state file", args: []string{"invoke", "-event", "events/direct-request.json", "-emulator", "events/direct-request.json"},
			code: 2, mentions: []string{"direct-request.json"}},
		{name: "unknown command", args: []string{"pair"}, code: 2, mentions: []string{"unknown command", "usage"}},
		{name: "misspelled variable", env: map[string]string{"ABSR_DRYRUN": "true"},
			args: []string{"invoke", "-event", "events/direct-request.json", "-emulator", state}, code: 2,
			mentions: []string{"ABSR_DRYRUN: unknown variable", "did you mean ABSR_DRY_RUN?"}},
		{name: "unknown flag", args: []string{"invoke", "-evnt", "x.json"}, code: 2, mentions: []string{"-evnt", "usage: absr-autopair invoke"}},
		{name: "sweep with no region", stdin: `{"triggerTime":"2026-11-27T11:30:00Z","triggerName":"reconcile","payload":""}`,
			env:  map[string]string{"ABSR_ECS_ENDPOINT": "http://127.0.0.1:1", "ABSR_EBS_ENDPOINT": "http://127.0.0.1:1"},
			args: []string{"invoke", "-event", "-"}, code: 2, mentions: []string{"no regions to scan", "ABSR_SOURCE_REGIONS", "FC_REGION"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run := cliExec(t, tc.env, tc.stdin, tc.args...)
			if run.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", run.code, tc.code, run.stdout, run.stderr)
			}
			if tc.report {
				rep := run.report(t)
				if rep.Summary.Failed != 1 || rep.Results[0].Reason != pairing.ReasonDiskNotFound || rep.Summary.Paired != 1 {
					t.Errorf("report %+v, want d-bp1missing failed disk_not_found and the other paired", rep.Results)
				}
				checkDiskLines(t, rep, run.logLines(t))
			} else if len(run.stdout) != 0 {
				t.Errorf("stdout %q, want nothing", run.stdout)
			}
			if bytes.HasPrefix(run.stderr, []byte("{")) && tc.code == 2 && bytes.Count(run.stderr, []byte("\n")) != 1 {
				t.Errorf("a rejected payload is one log line, said once; stderr:\n%s", run.stderr)
			}
			for _, m := range tc.mentions {
				if !bytes.Contains(run.stderr, []byte(m)) {
					t.Errorf("stderr does not mention %q:\n%s", m, run.stderr)
				}
			}
		})
	}
}

// TestMissingSecurityToken: keys the emulator knows as STS keys, sent without their token, are
// a credentials problem (no_credentials), not an unexplained api_error.
func TestMissingSecurityToken(t *testing.T) {
	t.Parallel()
	st, err := emulator.LoadState(inRoot("events", "demo-state.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := emutest.Start(t, st)
	run := cliExec(t, map[string]string{
		"ABSR_ECS_ENDPOINT": srv.URL(), "ABSR_EBS_ENDPOINT": srv.URL(),
		"ABSR_MAPPING_FILE":               filepath.Join("events", "demo-mapping.yaml"),
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     emutest.AccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": emutest.AccessKeySecret,
	}, "", "invoke", "-event", filepath.Join("events", "direct-request.json"))
	if run.code != 1 {
		t.Fatalf("exit %d, want 1\nstderr:\n%s", run.code, run.stderr)
	}
	for _, r := range run.report(t).Results {
		if r.Outcome == pairing.Failed && r.Reason != pairing.ReasonCredentials {
			t.Errorf("%s: %s %s, want reason %s", r.DiskID, r.Outcome, r.Reason, pairing.ReasonCredentials)
		}
	}
}

// TestProjectMappingFile: a local run finds mapping.yaml in the working directory (the project
// root), as the README says; ABSR_MAPPING_FILE still wins.
func TestProjectMappingFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The demo world without its companion mapping: only a mapping.yaml in the working
	// directory can route cn-hangzhou and name d-bp1demo0001mapped's secondary.
	state, err := os.ReadFile(inRoot("events", "demo-state.json"))
	if err != nil {
		t.Fatal(err)
	}
	mapping, err := os.ReadFile(inRoot("events", "demo-mapping.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"world.json": state, "mapping.yaml": mapping,
		"event.json": []byte(`{"diskIds":["d-bp1demo0001mapped"],"regionId":"cn-hangzhou"}`)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(binary, "invoke", "-event", "event.json", "-emulator", "world.json")
	cmd.Dir = dir
	cmd.Env = cleanEnv(nil)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var rep handler.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatal(err)
	}
	checkDisks(t, rep, []diskWant{mapped})

	cmd = exec.Command(binary, "invoke", "-event", "event.json", "-emulator", "world.json")
	cmd.Dir = dir
	cmd.Env = cleanEnv(map[string]string{"ABSR_MAPPING_FILE": "no-such.yaml"})
	if err := cmd.Run(); err == nil || cmd.ProcessState.ExitCode() != 2 {
		t.Errorf("ABSR_MAPPING_FILE naming a missing file: %v, want exit 2", err)
	}
}

// TestDryRunFlag runs invoke against an emulator the test serves, so the world can be examined
// afterwards: -dry-run reports planned and makes only Describe/List calls, the world is left as
// it was; the same invocation without the flag then changes it. Credentials come from the
// credentials-go default chain (the environment), as for a real account.
func TestDryRunFlag(t *testing.T) {
	t.Parallel()
	st, err := emulator.LoadState(inRoot("events", "demo-state.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := emutest.Start(t, st)
	env := map[string]string{
		"ABSR_ECS_ENDPOINT": srv.URL(), "ABSR_EBS_ENDPOINT": srv.URL(),
		"ABSR_MAPPING_FILE":               filepath.Join("events", "demo-mapping.yaml"),
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     emutest.AccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": emutest.AccessKeySecret,
		"ALIBABA_CLOUD_SECURITY_TOKEN":    emutest.SecurityToken,
	}
	before := emutest.Timeless(srv.Snapshot())

	// As a user tries it first: the built-in emulator and the flag.
	run := cliExec(t, nil, "", "invoke", "-event", filepath.Join("events", "direct-request.json"),
		"-emulator", filepath.Join("events", "demo-state.json"), "-dry-run")
	if run.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", run.code, run.stderr)
	}
	planned := []diskWant{{mapped.id, pairing.Planned, "", mapped.secondary, ""}, {discover.id, pairing.Planned, "", discover.secondary, ""}, nosec}
	checkDisks(t, run.report(t), planned)

	run = cliExec(t, env, "", "invoke", "-event", filepath.Join("events", "direct-request.json"), "-dry-run")
	if run.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", run.code, run.stderr)
	}
	rep := run.report(t)
	if !rep.DryRun {
		t.Error("report dryRun false")
	}
	checkDisks(t, rep, planned)
	checkDiskLines(t, rep, run.logLines(t))
	calls := srv.Calls().Calls
	if len(calls) == 0 {
		t.Fatal("no calls reached the emulator")
	}
	for action := range calls {
		_, name, _ := strings.Cut(action, "/")
		if !strings.HasPrefix(name, "Describe") && !strings.HasPrefix(name, "List") {
			t.Errorf("dry run called %s (all calls: %v)", action, calls)
		}
	}
	if after := emutest.Timeless(srv.Snapshot()); !reflect.DeepEqual(before, after) {
		t.Errorf("the dry run changed the world:\nbefore %+v\nafter  %+v", before, after)
	}
	t.Logf("dry run calls: %v", calls)

	// Without the flag the same invocation changes the world, so the check above is not vacuous.
	run = cliExec(t, env, "", "invoke", "-event", filepath.Join("events", "direct-request.json"))
	if run.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", run.code, run.stderr)
	}
	checkDisks(t, run.report(t), []diskWant{mapped, discover, nosec})
	if after := srv.Snapshot(); len(after.Pairs) != len(before.Pairs)+2 {
		t.Errorf("%d pairs after a real run, want %d", len(after.Pairs), len(before.Pairs)+2)
	}
}
