package main

// The command line as a user runs it. Each case executes the CLI as a process of its own
// rather than calling run in-process, because that is what users run: the real exit status from
// os.Exit, stdout and stderr as separate streams, and a process environment of its own, which
// also lets the cases run in parallel (run reads the configuration from os.LookupEnv, so
// in-process cases would have to share and serialize os.Setenv).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
	"github.com/absr-autopair/absr-autopair/internal/testparallel"
)

var binary string // the command line the cases run, chosen by TestMain

// runMainEnv, set in a child's environment, makes the test binary run main instead of the tests.
const runMainEnv = "AUTOPAIR_TEST_RUN_MAIN"

// TestMain picks the binary the cases run. Normally it is this test binary, re-executed with
// runMainEnv set so that it runs main: that saves linking a second binary of the whole SDK
// (internal/fctest builds and runs the shipped one). Under the race detector every start of an
// instrumented binary costs about a second, more than one link for all cases, so TestMain builds
// the plain binary instead.
func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main() // exits
	}
	testparallel.Default(4) // the cases wait on their processes, not on the CPU
	if !raceDetector() {
		self, err := os.Executable()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		binary = self
		os.Exit(m.Run())
	}
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

// raceDetector reports whether this test binary was built with -race.
func raceDetector() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// cliRun is one execution of the command line.
type cliRun struct {
	code   int
	stdout []byte
	stderr []byte
}

// cliExec runs the command line in the repository root with a clean configuration: none of the
// caller's ABSR_*, ALIBABA_CLOUD_* or FC_* variables, only env.
func cliExec(t *testing.T, env map[string]string, stdin string, args ...string) cliRun {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = cleanEnv(env)
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

// cleanEnv is the test process's environment without ABSR_*, ALIBABA_CLOUD_* and FC_*
// variables, plus env.
func cleanEnv(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "ABSR_") && !strings.HasPrefix(name, "ALIBABA_CLOUD_") && !strings.HasPrefix(name, "FC_") {
			out = append(out, kv)
		}
	}
	out = append(out, runMainEnv+"=1") // for when binary is this test binary
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
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
	// Pairs that need someone: stopped, invalid (resized), lagging (recovery point pinned in the past).
	stopped = diskWant{"d-bp1demo0011stopped", pairing.AlreadyPaired, "", "d-uf6demo0011sec", ""}
	resized = diskWant{"d-bp1demo0012resized", pairing.AlreadyPaired, "", "d-uf6demo0012sec", ""}
	behind  = diskWant{"d-bp1demo0013behind", pairing.AlreadyPaired, "", "d-uf6demo0013sec", ""}
)

// sweepAll is what a sweep of cn-hangzhou finds: the opted-in disks, in ID order (0006 and 0007
// carry no opt-in tag and are not listed).
var sweepAll = []diskWant{mapped, tagged, discover, already, entry,
	{data.id, data.outcome, "", data.secondary, ""}, fresh, nosec, stopped, resized, behind}

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
		// A pair that stopped or failed is left alone (unhealthy); every other must be started.
		if (r.Outcome == pairing.Paired || r.Outcome == pairing.AlreadyPaired) && (r.ReplicaPairID == "" || !r.Started && r.Health != pairing.HealthUnhealthy) {
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
	h := map[pairing.Health]int{}
	for _, r := range rep.Results {
		n[r.Outcome]++
		h[r.Health]++
	}
	s := handler.Summary{Paired: n[pairing.Paired], Planned: n[pairing.Planned], AlreadyPaired: n[pairing.AlreadyPaired],
		Skipped: n[pairing.Skipped], Failed: n[pairing.Failed],
		Healthy: h[pairing.HealthOK], Lagging: h[pairing.HealthLagging], Unhealthy: h[pairing.HealthUnhealthy]}
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

// TestHelp: -h, help and each command's -h print usage on stdout and exit 0.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"invoke", "-h"}, {"demo", "-h"}, {"emulator", "-help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			run := cliExec(t, nil, "", args...)
			if run.code != 0 || !bytes.Contains(run.stdout, []byte("usage")) || len(run.stderr) != 0 {
				t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", run.code, run.stdout, run.stderr)
			}
		})
	}
}

// TestMissingSecurityToken: keys the emulator knows as STS keys, sent without their token, are
// a credentials problem (no_credentials), not an unexplained api_error.
func TestMissingSecurityToken(t *testing.T) {
	t.Parallel()
	st, err := emulator.LoadState(filepath.Join("events", "demo-state.json"))
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
	state, err := os.ReadFile(filepath.Join("events", "demo-state.json"))
	if err != nil {
		t.Fatal(err)
	}
	mapping, err := os.ReadFile(filepath.Join("events", "demo-mapping.yaml"))
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

// TestEmulatorCommand: `emulator` prints its URL on stdout and, on stderr, the exports that make
// the next invoke work; an invoke in that environment pairs disks; an interrupt stops it cleanly.
func TestEmulatorCommand(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binary, "emulator", "-state", filepath.Join("events", "demo-state.json"), "-addr", "127.0.0.1:0")
	cmd.Env = cleanEnv(nil)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck // the normal path stops it first
	url, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL: %v; stderr:\n%s", err, stderr.String())
	}
	url = strings.TrimSpace(url)
	if !strings.HasPrefix(url, "http://127.0.0.1:") || strings.HasSuffix(url, ":0") {
		t.Fatalf("printed %q", url)
	}
	// The exports follow the URL on stderr; wait for the last line of the advice.
	var env map[string]string
	for range 100 {
		if env = exportsIn(stderr.String()); env["ABSR_SOURCE_REGIONS"] != "" && strings.Contains(stderr.String(), "invoke -event") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, name := range []string{"ABSR_ECS_ENDPOINT", "ABSR_EBS_ENDPOINT", "ALIBABA_CLOUD_ACCESS_KEY_ID",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN", "ABSR_MAPPING_FILE", "ABSR_SOURCE_REGIONS"} {
		if env[name] == "" {
			t.Errorf("stderr exports no %s:\n%s", name, stderr.String())
		}
	}
	if env["ABSR_ECS_ENDPOINT"] != url {
		t.Errorf("ABSR_ECS_ENDPOINT=%s, want %s", env["ABSR_ECS_ENDPOINT"], url)
	}
	for _, event := range []string{"direct-request.json", "timer-reconcile.json"} {
		run := cliExec(t, env, "", "invoke", "-event", filepath.Join("events", event))
		if run.code != 0 {
			t.Errorf("%s in the printed environment: exit %d\nstderr:\n%s", event, run.code, run.stderr)
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("after an interrupt: %v\nstderr:\n%s", err, stderr.String())
	}
}

// exportsIn reads the `export NAME=VALUE` lines of the emulator's advice.
func exportsIn(s string) map[string]string {
	env := map[string]string{}
	for line := range strings.SplitSeq(s, "\n") {
		if kv, ok := strings.CutPrefix(line, "export "); ok {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = strings.Trim(v, "'")
		}
	}
	return env
}

func TestEmulatorCommandRejects(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"disks":[{"diskId":"d-bp1a"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() }) // after the parallel subtests, unlike defer
	demoState := filepath.Join("events", "demo-state.json")
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"no state", nil, "-state is required"},
		{"unknown flag", []string{"-state", demoState, "-port", "1"}, "flag provided but not defined"},
		{"extra argument", []string{"-state", demoState, "serve"}, "unexpected arguments"},
		{"missing file", []string{"-state", filepath.Join(dir, "none.json")}, "none.json"},
		{"invalid state", []string{"-state", bad}, "disk d-bp1a: regionId is required"},
		{"address in use", []string{"-state", demoState, "-addr", busy.Addr().String()}, "emulator: listen on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run := cliExec(t, nil, "", append([]string{"emulator"}, tc.args...)...)
			if run.code != 2 || !bytes.Contains(run.stderr, []byte(tc.msg)) || len(run.stdout) != 0 {
				t.Fatalf("exit %d (want 2), stderr %q lacks %q (stdout %q)", run.code, run.stderr, tc.msg, run.stdout)
			}
			if bytes.Contains(run.stderr, []byte("emulator: emulator:")) {
				t.Errorf("stderr repeats the command name: %q", run.stderr)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
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

// TestDemo is `absr-autopair demo` (make demo): every sample against one world; exit 0 and every demo disk named.
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
	for line := range strings.SplitSeq(string(run.stdout), "\n") {
		if strings.TrimRight(line, " ") != line {
			t.Errorf("trailing blank: %q", line)
		}
	}
	// A later sample finding a pair an earlier one made says which one made it.
	if !regexp.MustCompile(`(?m)^   d-bp1demo0008data .*already_paired .*\(paired by actiontrail-runinstances\.json\)$`).Match(run.stdout) {
		t.Errorf("console-create-instance's already_paired disk does not say which sample paired it:\n%s", run.stdout)
	}
	if len(run.stderr) != 0 {
		t.Errorf("stderr is not a terminal, so no progress: %q", run.stderr)
	}
}
