package fctest

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/fcstub"
)

const (
	taggedDisk    = "d-bp1fctest0001tagged"
	taggedSec     = "d-uf6fctest0001sec"
	retryDisk     = "d-bp1fctest0002retry"
	retrySec      = "d-uf6fctest0002sec"
	plainDisk     = "d-bp1fctest0003plain"
	primaryZone   = "cn-hangzhou-h"
	secondaryZone = "cn-shanghai-b"
)

// world: a primary naming its secondary by tag, a primary found by its secondary's
// back-reference, and a disk that is not opted in.
func world() *emulator.State {
	tagged := emutest.Disk(taggedDisk, primaryZone, emutest.OptIn(), emutest.Attached("i-bp1fctest01"),
		emutest.Tags("dr:secondary-disk", taggedSec, "dr:secondary-region", "cn-shanghai"))
	retry := emutest.Disk(retryDisk, primaryZone, emutest.OptIn(), emutest.Spec("cloud_auto", "", 500))
	plain := emutest.Disk(plainDisk, primaryZone)
	return emutest.World(tagged, emutest.Secondary(tagged, taggedSec, secondaryZone),
		retry, emutest.Secondary(retry, retrySec, secondaryZone, emutest.BackRef(retryDisk)),
		plain)
}

// pairOf is the emulator's pair whose primary is disk, if any.
func pairOf(emu *emulator.Server, disk string) (emulator.Pair, bool) {
	for _, p := range emu.Snapshot().Pairs {
		if p.SourceDiskID == disk {
			return p, true
		}
	}
	return emulator.Pair{}, false
}

// reportKeys are the report's fields in design.md, in order; result and summary likewise,
// with the health fields its December contracts add.
var (
	reportKeys = []string{"event", "dryRun", "results", "summary"}
	eventKeys  = []string{"id", "source", "type", "name"}
	resultKeys = []string{"diskId", "regionId", "outcome", "reason", "message", "secondaryDiskId", "secondaryRegionId", "replicaPairId", "started", "retryable",
		"pairStatus", "recoveryPointAgeSeconds", "health"}
	summaryKeys = []string{"paired", "planned", "already_paired", "skipped", "failed", "healthy", "lagging", "unhealthy"}
)

// objectKeys decodes a JSON object and returns its keys in document order.
func objectKeys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// checkReportShape fails unless body is exactly the report of design.md: these keys in this
// order, nothing else (no "ignored" for a payload without ignored events).
func checkReportShape(t *testing.T, body []byte) {
	t.Helper()
	if got := objectKeys(t, body); !slices.Equal(got, reportKeys) {
		t.Fatalf("report keys %v, want %v: %s", got, reportKeys, body)
	}
	var parts struct {
		Event   json.RawMessage   `json:"event"`
		Results []json.RawMessage `json:"results"`
		Summary json.RawMessage   `json:"summary"`
	}
	if err := json.Unmarshal(body, &parts); err != nil {
		t.Fatal(err)
	}
	if got := objectKeys(t, parts.Event); !slices.Equal(got, eventKeys) {
		t.Errorf("event keys %v, want %v", got, eventKeys)
	}
	if got := objectKeys(t, parts.Summary); !slices.Equal(got, summaryKeys) {
		t.Errorf("summary keys %v, want %v", got, summaryKeys)
	}
	for i, r := range parts.Results {
		if got := objectKeys(t, r); !slices.Equal(got, resultKeys) {
			t.Errorf("results[%d] keys %v, want %v", i, got, resultKeys)
		}
	}
}

type result struct {
	DiskID            string `json:"diskId"`
	RegionID          string `json:"regionId"`
	Outcome           string `json:"outcome"`
	Reason            string `json:"reason"`
	Message           string `json:"message"`
	SecondaryDiskID   string `json:"secondaryDiskId"`
	SecondaryRegionID string `json:"secondaryRegionId"`
	ReplicaPairID     string `json:"replicaPairId"`
	Started           bool   `json:"started"`
	Retryable         bool   `json:"retryable"`
}

type report struct {
	Event struct {
		ID, Source, Type, Name string
	} `json:"event"`
	DryRun  bool           `json:"dryRun"`
	Results []result       `json:"results"`
	Summary map[string]int `json:"summary"`
}

func decodeReport(t *testing.T, a fcstub.Answer) report {
	t.Helper()
	if a.IsError {
		t.Fatalf("%s answered on /error, want a report on /response: %s", a.RequestID, a.Body)
	}
	checkReportShape(t, a.Body)
	var r report
	if err := json.Unmarshal(a.Body, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func wantSummary(t *testing.T, got map[string]int, outcome string, n int) {
	t.Helper()
	want := map[string]int{"paired": 0, "planned": 0, "already_paired": 0, "skipped": 0, "failed": 0,
		"healthy": 0, "lagging": 0, "unhealthy": 0}
	want[outcome] = n
	if outcome == "paired" || outcome == "already_paired" { // the world's pairs replicate and keep up
		want["healthy"] = n
	}
	if !maps.Equal(got, want) {
		t.Errorf("summary %v, want %v", got, want)
	}
}

// TestServesInvocations plays one function instance through the cases FC puts it in, in order:
// each step also proves the process kept serving after the one before. (Retryable API failures
// have their own instances in TestRetryableFailuresAnswerOnError: their retries are the slow part.)
func TestServesInvocations(t *testing.T) {
	t.Parallel()
	f := startFunction(t, world())
	good := emulatorCredentials()

	t.Run("TagResources pairs the disk", func(t *testing.T) {
		a := f.invoke(t, fixture(t, "tagresources-tagged.json"), good, 0)
		r := decodeReport(t, a)
		pair, ok := pairOf(f.emu, taggedDisk)
		if !ok {
			t.Fatalf("the emulator holds no pair for %s; report %s", taggedDisk, a.Body)
		}
		if r.Event.ID != "7c0f3a52-1d4e-4b8a-9f21-6a5e0c3d7b01" || r.Event.Source != "acs.ecs" ||
			r.Event.Type != "ecs:ActionTrail:ApiCall" || r.Event.Name != "TagResources" || r.DryRun {
			t.Errorf("event %+v dryRun %v: want the TagResources event, not a dry run", r.Event, r.DryRun)
		}
		want := []result{{DiskID: taggedDisk, RegionID: region, Outcome: "paired", SecondaryDiskID: taggedSec,
			SecondaryRegionID: "cn-shanghai", ReplicaPairID: pair.ReplicaPairID, Started: true}}
		got := slices.Clone(r.Results)
		for i := range got {
			got[i].Message = "" // free text for people
		}
		if !slices.Equal(got, want) {
			t.Errorf("results %+v\nwant %+v", r.Results, want)
		}
		wantSummary(t, r.Summary, "paired", 1)
		if pair.DestinationDiskID != taggedSec || pair.DestinationRegionID != "cn-shanghai" || pair.SourceRegionID != region {
			t.Errorf("emulator pair %+v: want %s (%s) -> %s (cn-shanghai)", pair, taggedDisk, region, taggedSec)
		}
		done := f.logLine(t, a.RequestID, "invocation done")
		if atoi(t, done["paired"]) != 1 || atoi(t, done["apiCalls"]) == 0 {
			t.Errorf("invocation done line %v: want paired 1 and the API calls counted", done)
		}
	})

	t.Run("an undecodable payload answers on /error naming the accepted shapes", func(t *testing.T) {
		calls := f.emu.Calls().Total()
		e := decodeError(t, f.invoke(t, fixture(t, "undecodable.json"), good, 0))
		for _, shape := range []string{"CloudEvent", "array of CloudEvents", "timer event", "direct request"} {
			if !strings.Contains(e.Message, shape) {
				t.Errorf("error %q does not name the accepted shape %q", e.Message, shape)
			}
		}
		if n := f.emu.Calls().Total(); n != calls {
			t.Errorf("an undecodable payload made %d API calls, want none", n-calls)
		}
	})

	t.Run("an invocation that would outlive its deadline answers in time, retryably", func(t *testing.T) {
		const latency = 4 * time.Second // every API call is slower than the whole invocation may take
		f.emu.SetFaults(emulator.Faults{LatencyMs: latency.Milliseconds()})
		defer f.emu.SetFaults(emulator.Faults{})
		start := time.Now()
		a, err := f.stub.Invoke(t.Context(), fcstub.Invocation{Payload: fixture(t, "tagresources-retry.json"),
			Timeout: time.Second, Credentials: good, Region: region, AccountID: accountID, FunctionName: functionFQN})
		if err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(start)
		e := decodeError(t, a)
		if !strings.Contains(e.Message, "retryable") {
			t.Errorf("error %q does not say the failure is retryable", e.Message)
		}
		// FC ends an invocation at its deadline and counts it as timed out; the function must
		// not sit in an API call it can no longer use.
		if elapsed >= latency {
			t.Errorf("answered after %v: waited for the API call instead of the 1 s deadline", elapsed)
		}
		disk := f.logLine(t, a.RequestID, "disk")
		t.Logf("answered after %v; disk %s: %s (%s)", elapsed.Round(time.Millisecond), disk["diskId"], disk["reason"], disk["message"])
		// The reason is deadline_exceeded or, when the HTTP client's timer (set to the time left)
		// fires before the context's, network_error: a race in the labelling, not in behaviour.
		if disk["outcome"] != "failed" || disk["retryable"] != true {
			t.Errorf("disk log line %v: want failed and retryable", disk)
		}
	})

	t.Run("wrong credentials in the invocation give a clear error and leak nothing", func(t *testing.T) {
		cases := []struct {
			name  string
			creds fcstub.Credentials
			code  string // the API's error code the answer must carry
		}{
			{"wrong secret", fcstub.Credentials{AccessKeyID: good.AccessKeyID, AccessKeySecret: "fctest-wrong-secret-6c1d", SecurityToken: good.SecurityToken}, "SignatureDoesNotMatch"},
			{"wrong token", fcstub.Credentials{AccessKeyID: good.AccessKeyID, AccessKeySecret: good.AccessKeySecret, SecurityToken: "fctest-wrong-token-93ab"}, "InvalidSecurityToken"},
			{"unknown key", fcstub.Credentials{AccessKeyID: "fctest-unknown-ak", AccessKeySecret: "fctest-unknown-secret-27e0", SecurityToken: "fctest-unknown-token-d4f8"}, "InvalidAccessKeyId"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a := f.invoke(t, fixture(t, "direct-request.json"), c.creds, 0)
				// Not retryable (a redelivery brings the same role's credentials), so the report
				// says what failed, disk by disk.
				r := decodeReport(t, a)
				if len(r.Results) != 2 {
					t.Fatalf("results %+v: want both disks of the request", r.Results)
				}
				for _, res := range r.Results {
					if res.Outcome != "failed" || res.Reason != "no_credentials" || res.Retryable || !strings.Contains(res.Message, c.code) {
						t.Errorf("result %+v: want failed, no_credentials, not retryable, a message naming %s", res, c.code)
					}
				}
				wantSummary(t, r.Summary, "failed", 2)
				for _, secret := range []string{c.creds.AccessKeySecret, c.creds.SecurityToken} {
					if strings.Contains(string(a.Body), secret) {
						t.Errorf("the answer carries a credential secret: %s", a.Body)
					}
				}
			})
		}
		if _, ok := pairOf(f.emu, plainDisk); ok {
			t.Errorf("a pair exists for %s, which is not opted in", plainDisk)
		}
	})

	t.Run("still serving: the same TagResources event finds the pair", func(t *testing.T) {
		r := decodeReport(t, f.invoke(t, fixture(t, "tagresources-tagged.json"), good, 0))
		pair, _ := pairOf(f.emu, taggedDisk)
		if len(r.Results) != 1 || r.Results[0].Outcome != "already_paired" || r.Results[0].ReplicaPairID != pair.ReplicaPairID {
			t.Errorf("results %+v: want %s already_paired in %s", r.Results, taggedDisk, pair.ReplicaPairID)
		}
		wantSummary(t, r.Summary, "already_paired", 1)
	})

	// No secret the function was ever handed may appear in anything it wrote.
	out := f.everything()
	for _, secret := range []string{
		good.AccessKeySecret, good.SecurityToken,
		"fctest-wrong-secret-6c1d", "fctest-wrong-token-93ab", "fctest-unknown-secret-27e0", "fctest-unknown-token-d4f8",
	} {
		if strings.Contains(out, secret) {
			t.Errorf("the credential secret %q appears in an answer, stdout or stderr", secret)
		}
	}
	if !strings.Contains(f.stdout.String(), "FC Invoke Start RequestId: ") {
		t.Errorf("stdout lacks the runtime's FC Invoke lines; is this the real runtime loop?\n%s", tail(f.stdout.String(), 2000))
	}
	checkRuntimeQuiet(t, f)
}

// TestRetryableFailuresAnswerOnError: an invocation whose API calls all fail retryably (each call
// tried as often as the adapter's retry policy allows, with its backoff) answers on /error, so that
// FC's async retry delivers the event again; the log has the reason disk by disk, no pair exists,
// and the same instance pairs the disk on the redelivery. Each fault has its own instance, so the
// two runs of retries and backoff overlap.
func TestRetryableFailuresAnswerOnError(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		fault  emulator.Faults
		reason string
	}{
		{emulator.Faults{ThrottlePercent: 100}, "throttled"},
		{emulator.Faults{UnavailablePercent: 100}, "service_unavailable"},
	} {
		t.Run(c.reason, func(t *testing.T) {
			t.Parallel()
			f := startFunction(t, world())
			good := emulatorCredentials()
			payload := fixture(t, "tagresources-retry.json")
			f.emu.SetFaults(c.fault)
			a := f.invoke(t, payload, good, 0)
			e := decodeError(t, a)
			if !strings.Contains(e.Message, "retryable") {
				t.Errorf("faults %+v: error %q does not say the failure is retryable", c.fault, e.Message)
			}
			// The report is not in the answer; the log has it, disk by disk.
			if disk := f.logLine(t, a.RequestID, "disk"); disk["diskId"] != retryDisk || disk["reason"] != c.reason || disk["retryable"] != true {
				t.Errorf("faults %+v: disk log line %v, want %s failed retryably, %s", c.fault, disk, retryDisk, c.reason)
			}
			if _, ok := pairOf(f.emu, retryDisk); ok {
				t.Fatalf("faults %+v: a pair exists for %s though every call failed", c.fault, retryDisk)
			}
			f.emu.SetFaults(emulator.Faults{})
			// FC's async retry delivers the same event again, with x-fc-retry-count 1.
			r := decodeReport(t, f.invoke(t, payload, good, 1))
			if len(r.Results) != 1 || r.Results[0].DiskID != retryDisk || r.Results[0].Outcome != "paired" || r.Results[0].SecondaryDiskID != retrySec {
				t.Errorf("redelivery results %+v: want %s paired with %s", r.Results, retryDisk, retrySec)
			}
			out := f.everything()
			for _, secret := range []string{good.AccessKeySecret, good.SecurityToken} {
				if strings.Contains(out, secret) {
					t.Errorf("the credential secret %q appears in an answer, stdout or stderr", secret)
				}
			}
			checkRuntimeQuiet(t, f)
		})
	}
}

// checkRuntimeQuiet fails when the runtime loop complained about anything (a failed poll or post).
func checkRuntimeQuiet(t *testing.T, f *function) {
	t.Helper()
	if complaints := f.runtimeComplaints(); len(complaints) > 0 {
		t.Errorf("the runtime loop complained on stderr:\n%s", strings.Join(complaints, "\n"))
	}
}

// TestResourcesStayFlat: 100 invocations after a warm-up leave the child with as many open files
// and goroutines as before. The slack allows for connections the HTTP transports open and close
// on their own schedule (a keep-alive connection to the emulator or the runtime API being
// replaced, and its reader/writer goroutines, 2 per connection): a constant few, where a leak
// per invocation would add about 100.
func TestResourcesStayFlat(t *testing.T) {
	t.Parallel()
	requireProc(t)
	const (
		warmup      = 10
		invocations = 100
		fdSlack     = 4
		goSlack     = 6
	)
	f := startFunction(t, world())
	good := emulatorCredentials()
	payloads := [][]byte{
		fixture(t, "tagresources-tagged.json"),
		fixture(t, "direct-request.json"),
		fixture(t, "timer-reconcile.json"),
		fixture(t, "undecodable.json"),
	}
	// goroutines reads the "invocation done" line of a TagResources invocation (the same work
	// each time, so the counts compare).
	measure := func(n int) (fds, goroutines int) {
		for i := range n {
			a := f.invoke(t, payloads[i%len(payloads)], good, 0)
			if i%len(payloads) == len(payloads)-1 {
				decodeError(t, a)
			} else if a.IsError {
				t.Fatalf("invocation %d answered on /error: %s", i, a.Body)
			}
		}
		a := f.invoke(t, payloads[0], good, 0)
		if a.IsError {
			t.Fatalf("answered on /error: %s", a.Body)
		}
		return f.openFDs(t), atoi(t, f.logLine(t, a.RequestID, "invocation done")["goroutines"])
	}
	fds0, g0 := measure(warmup)
	rss0 := f.procStatus("VmRSS")
	fds1, g1 := measure(invocations)
	rss1 := f.procStatus("VmRSS")
	t.Logf("after %d invocations: %d fds, %d goroutines, RSS %s (peak %s); after %d more: %d fds, %d goroutines, RSS %s (peak %s)",
		warmup+1, fds0, g0, rss0, f.procStatus("VmHWM"), invocations+1, fds1, g1, rss1, f.procStatus("VmHWM"))
	if fds1 > fds0+fdSlack {
		t.Errorf("open file descriptors grew from %d to %d over %d invocations", fds0, fds1, invocations)
	}
	if g1 > g0+goSlack {
		t.Errorf("goroutines grew from %d to %d over %d invocations", g0, g1, invocations)
	}
}

// TestExitsOnSIGTERM: Function Compute stops an instance with SIGTERM and kills it when it
// lingers. The process keeps the signal's default action (see cli.ServeFC), so it ends at once,
// terminated by the signal, whether or not it has served an invocation.
func TestExitsOnSIGTERM(t *testing.T) {
	t.Parallel()
	for _, served := range []bool{false, true} {
		t.Run(fmt.Sprintf("after an invocation=%v", served), func(t *testing.T) {
			f := startFunction(t, world())
			if served {
				decodeReport(t, f.invoke(t, fixture(t, "direct-request.json"), emulatorCredentials(), 0))
			}
			if err := f.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case <-f.exited:
				var exit *exec.ExitError
				if !errors.As(f.err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
					t.Errorf("exit after SIGTERM: %v, want termination by SIGTERM", f.err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("still running 5 s after SIGTERM")
			}
		})
	}
}

// TestBadConfigurationExits: the configuration is read beside the first poll; when it is bad the
// process ends with exit code 2 and one log line that names the variable, before any invocation
// is answered.
func TestBadConfigurationExits(t *testing.T) {
	t.Parallel()
	f := launchFunction(t, world(), "ABSR_SOURCE_REGIONS=Hangzhou", "ABSR_MAX_QPS=lots")
	select {
	case <-f.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10 s after starting with a bad configuration")
	}
	var exit *exec.ExitError
	if !errors.As(f.err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("exit: %v, want exit code 2", f.err)
	}
	var line struct {
		Level, Msg, Error string
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(f.stderr.String())), &line); err != nil {
		t.Fatalf("stderr is not one JSON log line: %v\n%s", err, f.stderr.String())
	}
	if line.Level != "ERROR" || line.Msg != "bad configuration" {
		t.Errorf("log line %+v, want level ERROR, msg \"bad configuration\"", line)
	}
	for _, name := range []string{"ABSR_SOURCE_REGIONS", "ABSR_MAX_QPS"} {
		if !strings.Contains(line.Error, name) {
			t.Errorf("the error does not name %s: %s", name, line.Error)
		}
	}
	f.mu.Lock()
	n := len(f.answers)
	f.mu.Unlock()
	if n != 0 {
		t.Errorf("%d invocations answered, want none", n)
	}
}

// TestConcurrentInvocations: the runtime runs invocations side by side in one process (each in
// its own goroutine). Duplicate deliveries of an event for an unpaired disk race to pair it:
// exactly one pair may result, and every answer is a pairing, the existing pair, or a retryable
// error that FC's redelivery resolves; other payloads at the same time answer as alone.
func TestConcurrentInvocations(t *testing.T) {
	t.Parallel()
	f := startFunction(t, world())
	good := emulatorCredentials()
	const duplicates = 8
	type job struct {
		payload []byte
		check   func(fcstub.Answer) string // "" when the answer is right
	}
	racing := func(a fcstub.Answer) string {
		if a.IsError {
			var e fcError
			if json.Unmarshal(a.Body, &e) != nil || !strings.Contains(e.Message, "retryable") {
				return "an error that is not retryable"
			}
			return ""
		}
		var r report
		if json.Unmarshal(a.Body, &r) != nil || len(r.Results) != 1 || r.Results[0].DiskID != retryDisk {
			return "not a report on " + retryDisk
		}
		if o := r.Results[0].Outcome; o != "paired" && o != "already_paired" {
			return "outcome " + o
		}
		return ""
	}
	var jobs []job
	for range duplicates {
		jobs = append(jobs, job{fixture(t, "tagresources-retry.json"), racing})
	}
	jobs = append(jobs,
		job{fixture(t, "undecodable.json"), func(a fcstub.Answer) string {
			if !a.IsError {
				return "an undecodable payload answered on /response"
			}
			return ""
		}},
		job{fixture(t, "direct-request.json"), func(a fcstub.Answer) string {
			var r report
			if a.IsError || json.Unmarshal(a.Body, &r) != nil || len(r.Results) != 2 || r.Summary["failed"] != 0 {
				return "want a report on both disks with nothing failed"
			}
			return ""
		}},
	)
	answers := make([]fcstub.Answer, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() { answers[i], errs[i] = f.deliver(j.payload, good, 0) })
	}
	wg.Wait()
	for i, j := range jobs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if msg := j.check(answers[i]); msg != "" {
			t.Errorf("invocation %d (%s): %s: %s", i, answers[i].RequestID, msg, answers[i].Body)
		}
	}
	pairs := 0
	for _, p := range f.emu.Snapshot().Pairs {
		if p.SourceDiskID == retryDisk {
			pairs++
		}
	}
	if pairs != 1 {
		t.Fatalf("%d pairs for %s after %d concurrent deliveries, want exactly 1", pairs, retryDisk, duplicates)
	}
	pair, _ := pairOf(f.emu, retryDisk)
	outcomes := map[string]int{}
	for _, a := range answers[:duplicates] {
		var r report
		switch {
		case a.IsError:
			outcomes["retryable error"]++
		case json.Unmarshal(a.Body, &r) == nil && len(r.Results) == 1:
			outcomes[r.Results[0].Outcome]++
			if r.Results[0].ReplicaPairID != pair.ReplicaPairID {
				t.Errorf("%s reports pair %q, but the one pair is %s", a.RequestID, r.Results[0].ReplicaPairID, pair.ReplicaPairID)
			}
		}
	}
	t.Logf("%d concurrent deliveries of one event: %v", duplicates, outcomes)
	// After the race, a redelivery settles on the pair.
	r := decodeReport(t, f.invoke(t, fixture(t, "tagresources-retry.json"), good, 1))
	if len(r.Results) != 1 || r.Results[0].Outcome != "already_paired" {
		t.Errorf("after the race: %+v, want already_paired", r.Results)
	}
	checkRuntimeQuiet(t, f)
}
