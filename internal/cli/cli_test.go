package cli

// The command line as a user runs it. The binary is built once (TestMain) from the module root
// and executed there, rather than calling Run in-process, because that is what users run: the
// real exit status from os.Exit, stdout and stderr as separate streams, and a process
// environment of its own, which also lets the cases run in parallel (Run reads the configuration
// from os.LookupEnv, so in-process cases would have to share and serialize os.Setenv). Paths in
// the commands' arguments are relative to the module root, as a user types them there.

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
	"strings"
	"testing"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
	"github.com/absr-autopair/absr-autopair/internal/testparallel"
)

var (
	binary string // built by TestMain
	root   string // the module root, absolute: the binary's working directory
)

func TestMain(m *testing.M) {
	var err error
	if root, err = filepath.Abs(filepath.Join("..", "..")); err == nil {
		_, err = os.Stat(filepath.Join(root, "go.mod"))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "finding the module root: %v\n", err)
		os.Exit(1)
	}
	testparallel.Default(4) // the cases wait on their processes, not on the CPU
	// The binary is package main's (the composition root), built as plain go build does: this test
	// binary cannot stand in for it, since main and its wiring are not part of it.
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
	build.Dir = root
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

// inRoot is the path of a file of the repository, for the test itself to read.
func inRoot(path ...string) string {
	return filepath.Join(append([]string{root}, path...)...)
}

// cliExec runs the binary in the repository root with a clean configuration: none of the
// caller's ABSR_*, ALIBABA_CLOUD_* or FC_* variables, only env.
func cliExec(t *testing.T, env map[string]string, stdin string, args ...string) cliRun {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = root
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
