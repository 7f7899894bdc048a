package main

// The command line as a user runs it. The binary is built once (TestMain) and executed, rather
// than calling run in-process, because that is what users run: the real exit status from
// os.Exit, stdout and stderr as separate streams, and a process environment of its own, which
// also lets the cases run in parallel (run reads the configuration from os.LookupEnv, so
// in-process cases would have to share and serialize os.Setenv).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

var binary string // built by TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "absr-autopair-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "absr-autopair")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	build := exec.Command(goTool, "build", "-o", binary, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the binary: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cliRun is one execution of the binary.
type cliRun struct {
	code   int
	stdout []byte
	stderr []byte
}

// cliExec runs the binary in the repository root with a clean configuration: none of the
// caller's ABSR_*, ALIBABA_CLOUD_* or FC_* variables, only env.
func cliExec(t *testing.T, env map[string]string, stdin string, args ...string) cliRun {
	t.Helper()
	cmd := exec.Command(binary, args...)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "ABSR_") && !strings.HasPrefix(name, "ALIBABA_CLOUD_") && !strings.HasPrefix(name, "FC_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("running %v: %v", args, err)
	}
	return cliRun{code: code, stdout: stdout.Bytes(), stderr: stderr.Bytes()}
}

// report decodes stdout, which must be exactly one JSON document.
func (r cliRun) report(t *testing.T) handler.Report {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	var rep handler.Report
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("stdout is not a report: %v\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	var rest json.RawMessage
	if err := dec.Decode(&rest); err == nil {
		t.Fatalf("stdout holds more than one JSON document:\n%s", r.stdout)
	}
	return rep
}

// logLines decodes stderr, which must be JSON lines only.
func (r cliRun) logLines(t *testing.T) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(r.stderr))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("stderr line is not JSON: %q", sc.Text())
		}
		lines = append(lines, m)
	}
	return lines
}

// diskWant is what one disk of a sample must come to.
type diskWant struct {
	id        string // disk ID
	outcome   pairing.Outcome
	reason    string
	secondary string // for paired and already_paired
	instance  string // set for disks found through an instance
}

// The demo world (events/demo-state.json with events/demo-mapping.yaml), disk by disk:
var (
	mapped   = diskWant{"d-bp1demo0001mapped", pairing.Paired, "", "d-uf6demo0001sec", ""}   // mapping file
	tagged   = diskWant{"d-bp1demo0002tagged", pairing.Paired, "", "d-uf6demo0002sec", ""}   // dr:secondary-disk tag
	discover = diskWant{"d-bp1demo0003discover", pairing.Paired, "", "d-uf6demo0003sec", ""} // back-reference
	already  = diskWant{"d-bp1demo0004paired", pairing.AlreadyPaired, "", "d-uf6demo0004sec", ""}
	entry    = diskWant{"d-bp1demo0005entry", pairing.Skipped, pairing.ReasonUnsupportedCategory, "", ""}
	optout   = diskWant{"d-bp1demo0006optout", pairing.Skipped, pairing.ReasonNotOptedIn, "", ""}
	sys      = diskWant{"d-bp1demo0007sys", pairing.Skipped, pairing.ReasonNotOptedIn, "", "i-bp1demo0002"}
	data     = diskWant{"d-bp1demo0008data", pairing.Paired, "", "d-uf6demo0008sec", "i-bp1demo0002"}
	fresh    = diskWant{"d-bp1demo0009fresh", pairing.Paired, "", "d-uf6demo0009sec", ""} // readyAfterMs 1500
	nosec    = diskWant{"d-bp1demo0010nosec", pairing.Skipped, pairing.ReasonNoSecondary, "", ""}
)

// sweepAll is what a sweep of cn-hangzhou finds: the opted-in disks, in ID order (0006 and 0007
// carry no opt-in tag and are not listed).
var sweepAll = []diskWant{mapped, tagged, discover, already, entry,
	{data.id, data.outcome, "", data.secondary, ""}, fresh, nosec}

// TestSamples runs every sample of events/ as a user would, each against a fresh demo world:
// absr-autopair invoke -event events/X.json -emulator events/demo-state.json
func TestSamples(t *testing.T) {
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
	files, err := filepath.Glob(filepath.Join("events", "*.json"))
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

func checkDisks(t *testing.T, rep handler.Report, want []diskWant) {
	t.Helper()
	var got []diskWant
	for _, r := range rep.Results {
		got = append(got, diskWant{r.DiskID, r.Outcome, r.Reason, r.SecondaryDiskID, r.InstanceID})
		if (r.Outcome == pairing.Paired || r.Outcome == pairing.AlreadyPaired) && (r.ReplicaPairID == "" || !r.Started) {
			t.Errorf("%s: %s without a started pair: %+v", r.DiskID, r.Outcome, r)
		}
		if (r.Outcome == pairing.Skipped || r.Outcome == pairing.Failed) && r.SecondaryDiskID != "" {
			got[len(got)-1].secondary = "" // a skipped disk may name what it looked at; not compared
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("results\n got %+v\nwant %+v", got, want)
	}
	// Counted here rather than taken from the handler, so that the check does not grade itself.
	n := map[pairing.Outcome]int{}
	for _, r := range rep.Results {
		n[r.Outcome]++
	}
	s := handler.Summary{Paired: n[pairing.Paired], Planned: n[pairing.Planned], AlreadyPaired: n[pairing.AlreadyPaired],
		Skipped: n[pairing.Skipped], Failed: n[pairing.Failed]}
	if rep.Summary != s {
		t.Errorf("summary %+v, the results count %+v", rep.Summary, s)
	}
}

// checkDiskLines: one "disk" log line per result, in order, carrying the report's values and
// the fields operators search by.
func checkDiskLines(t *testing.T, rep handler.Report, lines []map[string]any) {
	t.Helper()
	var disk []map[string]any
	for _, l := range lines {
		if l["msg"] == "disk" {
			disk = append(disk, l)
		}
	}
	if len(disk) != len(rep.Results) {
		t.Fatalf("%d disk log lines for %d results", len(disk), len(rep.Results))
	}
	for i, r := range rep.Results {
		l := disk[i]
		for _, key := range []string{"eventId", "fcRequestId", "diskId", "regionId", "outcome", "reason",
			"replicaPairId", "secondaryDiskId", "requestIds", "durationMs"} {
			if _, ok := l[key]; !ok {
				t.Errorf("disk line %d has no %s: %v", i, key, l)
			}
		}
		for key, want := range map[string]any{"diskId": r.DiskID, "regionId": r.RegionID, "outcome": string(r.Outcome),
			"reason": r.Reason, "replicaPairId": r.ReplicaPairID, "secondaryDiskId": r.SecondaryDiskID, "fcRequestId": "local"} {
			if l[key] != want {
				t.Errorf("disk line %d: %s=%v, the report says %v", i, key, l[key], want)
			}
		}
		if rep.Event.Source != "fc.timer" {
			if ids, _ := l["requestIds"].([]any); len(ids) == 0 {
				t.Errorf("disk line %d: no request IDs: %v", i, l)
			}
		}
	}
}

func lastLine(t *testing.T, lines []map[string]any, msg string) map[string]any {
	t.Helper()
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i]["msg"] == msg {
			return lines[i]
		}
	}
	t.Fatalf("no %q log line", msg)
	return nil
}

// TestExitCodes: 1 when a disk failed (the report is still printed), 2 for an undecodable
// payload or a bad configuration, with a message naming what was wrong and nothing on stdout.
func TestExitCodes(t *testing.T) {
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
			for _, m := range tc.mentions {
				if !bytes.Contains(run.stderr, []byte(m)) {
					t.Errorf("stderr does not mention %q:\n%s", m, run.stderr)
				}
			}
		})
	}
}

// TestDryRunFlag runs invoke against an emulator the test serves, so the world can be examined
// afterwards: -dry-run reports planned and makes only Describe/List calls, the world is left as
// it was; the same invocation without the flag then changes it. Credentials come from the
// credentials-go default chain (the environment), as for a real account.
func TestDryRunFlag(t *testing.T) {
	t.Parallel()
	st, err := emulator.LoadState(filepath.Join("events", "demo-state.json"))
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
	before := settled(srv.Snapshot())

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
	if after := settled(srv.Snapshot()); !reflect.DeepEqual(before, after) {
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

// settled is a snapshot without the delays still to run, which shrink as time passes.
func settled(st emulator.State) emulator.State {
	for i := range st.Disks {
		st.Disks[i].VisibleAfterMs, st.Disks[i].ReadyAfterMs = 0, 0
	}
	for i := range st.Pairs {
		st.Pairs[i].LastRecoverPoint = 0 // a normal pair's recovery point moves with the clock
	}
	return st
}

// TestDemo is `go run . demo`: every sample against one world; exit 0 and every demo disk named.
func TestDemo(t *testing.T) {
	t.Parallel()
	run := cliExec(t, nil, "", "demo")
	if run.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", run.code, run.stdout, run.stderr)
	}
	for _, d := range []diskWant{mapped, tagged, discover, already, entry, optout, sys, data, fresh, nosec} {
		if !bytes.Contains(run.stdout, []byte(d.id)) {
			t.Errorf("the demo does not mention %s:\n%s", d.id, run.stdout)
		}
	}
	if !bytes.Contains(run.stdout, []byte("failed disks: 0")) {
		t.Errorf("the demo reports failures:\n%s", run.stdout)
	}
}
