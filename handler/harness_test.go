package handler_test

// The end-to-end harness: a payload goes through handler.Handle, the pairing engine and the real
// SDK adapters (signed HTTP requests) to the emulator, observed through a thin HTTP wrapper that
// records every request's signature and can move the emulator clock after the first read.
// Identifiers carry an e2e prefix so that other test files of this package cannot collide.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/config"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// e2eEmulator serves an emulator.Server through a wrapper that sees every request.
type e2eEmulator struct {
	*emulator.Server
	http *httptest.Server

	mu         sync.Mutex
	signatures []string // every Signature parameter sent
	actions    []string // "Action" of every request, in order
	// advanceOnFirstRead, when set, moves the emulator clock forward right after the first
	// DescribeDisks has been answered (before the client receives the answer): that read saw
	// the world as seeded, every later one sees the delays elapsed. This makes "the engine
	// waited" deterministic without sleeping.
	advanceOnFirstRead time.Duration
	advanced           bool
}

func e2eStartEmulator(t testing.TB, st *emulator.State) *e2eEmulator {
	t.Helper()
	srv, err := emulator.New(st)
	if err != nil {
		t.Fatalf("emulator: %v", err)
	}
	e := &e2eEmulator{Server: srv}
	e.http = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.http.Close)
	return e
}

func (e *e2eEmulator) URL() string { return e.http.URL }

func (e *e2eEmulator) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	params := r.URL.Query()
	if form, err := url.ParseQuery(string(body)); err == nil {
		for k, v := range form {
			params[k] = append(params[k], v...)
		}
	}
	action := params.Get("Action")
	e.mu.Lock()
	if sig := params.Get("Signature"); sig != "" {
		e.signatures = append(e.signatures, sig)
	}
	e.actions = append(e.actions, action)
	e.mu.Unlock()

	e.mu.Lock()
	advance := action == "DescribeDisks" && e.advanceOnFirstRead > 0 && !e.advanced
	e.advanced = e.advanced || advance
	e.mu.Unlock()
	if !advance {
		e.Server.ServeHTTP(w, r) // directly: dropped answers need the real connection
		return
	}
	// Hold the answer until the clock has moved, so the client cannot read again before.
	rec := httptest.NewRecorder()
	e.Server.ServeHTTP(rec, r)
	e.Server.Advance(e.advanceOnFirstRead)
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func (e *e2eEmulator) setAdvanceOnFirstRead(d time.Duration) {
	e.mu.Lock()
	e.advanceOnFirstRead, e.advanced = d, false
	e.mu.Unlock()
}

func (e *e2eEmulator) sentSignatures() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.signatures)
}

// e2eEnv is the environment every case starts from: a route with a zone, and the emulator's
// address for both endpoints.
func e2eEnv(emulatorURL string) map[string]string {
	return map[string]string{
		config.EnvRoutes:      "cn-hangzhou=cn-shanghai/cn-shanghai-b",
		config.EnvECSEndpoint: emulatorURL,
		config.EnvEBSEndpoint: emulatorURL,
	}
}

// e2eConfig builds the configuration as the function does, through config.FromEnv, from a map
// instead of the process environment (so tests run in parallel). Only the engine's wait timing,
// which no variable sets, is shortened.
func e2eConfig(t testing.TB, env map[string]string) config.Config {
	t.Helper()
	cfg, err := config.FromEnv(func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	})
	if err != nil {
		t.Fatalf("configuration: %v", err)
	}
	cfg.Pairing.PollInterval = 5 * time.Millisecond
	cfg.Pairing.DiskWait = 10 * time.Second
	return cfg
}

// e2eCredentials are the emulator's test credentials.
func e2eCredentials() cloud.Credentials {
	return cloud.Credentials{AccessKeyID: emulator.DefaultAccessKeyID,
		AccessKeySecret: emulator.DefaultAccessKeySecret, SecurityToken: emulator.DefaultSecurityToken}
}

// e2eRun is one invocation's outcome and what it left behind.
type e2eRun struct {
	report *handler.Report
	err    error
	log    *handler.TestLog
	calls  map[string]int // the emulator calls this invocation made, by product/Action
}

// e2eInvoke runs one invocation through a Handler built by handler.Setup.
func e2eInvoke(t testing.TB, emu *e2eEmulator, cfg config.Config, creds cloud.CredentialSource, inv handler.Invocation, payload []byte) e2eRun {
	return e2eInvokeWithin(t, emu, cfg, creds, inv, payload, 30*time.Second)
}

func e2eInvokeWithin(t testing.TB, emu *e2eEmulator, cfg config.Config, creds cloud.CredentialSource, inv handler.Invocation, payload []byte, timeout time.Duration) e2eRun {
	t.Helper()
	log := &handler.TestLog{}
	h, closePool, err := handler.Setup(cfg, creds, slog.New(slog.NewJSONHandler(log, nil)), "cn-hangzhou")
	if err != nil {
		t.Fatalf("handler.Setup: %v", err)
	}
	defer closePool()
	before := emu.Calls().Calls
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	report, err := h.Handle(ctx, inv, payload)
	return e2eRun{report: report, err: err, log: log, calls: e2eDiff(before, emu.Calls().Calls)}
}

func e2eDiff(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// e2eReadOnly tells whether an action changes nothing: Describe* and List* only.
func e2eReadOnly(key string) bool {
	_, action, _ := strings.Cut(key, "/")
	return strings.HasPrefix(action, "Describe") || strings.HasPrefix(action, "List")
}

// e2eSecretForms are the ways a secret value could appear in text: as is, and URL-escaped.
func e2eSecretForms(secrets ...string) []string {
	var out []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		out = append(out, s, url.QueryEscape(s), url.PathEscape(s))
	}
	return out
}

// e2eCheckNoSecrets fails when the report, the error or the log holds a secret, a security
// token or a request signature.
func e2eCheckNoSecrets(t testing.TB, run e2eRun, secrets []string) {
	t.Helper()
	reportJSON, _ := json.Marshal(run.report)
	errText := ""
	if run.err != nil {
		errText = run.err.Error()
	}
	for name, text := range map[string]string{"report": string(reportJSON), "error": errText, "log": run.log.String()} {
		for _, s := range e2eSecretForms(secrets...) {
			if strings.Contains(text, s) {
				t.Errorf("the %s contains a secret (%.6s...): %s", name, s, text)
			}
		}
	}
}

// e2eCheckReport checks what holds for every decoded invocation: the summary counts the
// results, reasons are given exactly for skipped and failed, and the log has one "disk" line
// per result carrying the report's values.
func e2eCheckReport(t testing.TB, run e2eRun, requestID string) {
	t.Helper()
	r := run.report
	if r == nil {
		t.Fatalf("no report (error %v)", run.err)
	}
	var want handler.Summary
	for _, res := range r.Results {
		switch res.Outcome {
		case pairing.Paired:
			want.Paired++
		case pairing.Planned:
			want.Planned++
		case pairing.AlreadyPaired:
			want.AlreadyPaired++
		case pairing.Skipped:
			want.Skipped++
		case pairing.Failed:
			want.Failed++
		default:
			t.Errorf("%s: unknown outcome %q", res.DiskID, res.Outcome)
		}
		switch res.Health {
		case pairing.HealthOK:
			want.Healthy++
		case pairing.HealthLagging:
			want.Lagging++
		case pairing.HealthUnhealthy:
			want.Unhealthy++
		case "":
			if res.PairStatus != "" || res.RecoveryPointAgeSeconds != nil {
				t.Errorf("%s: pair status %q and recovery point age without a health", res.DiskID, res.PairStatus)
			}
		default:
			t.Errorf("%s: unknown health %q", res.DiskID, res.Health)
		}
		needsReason := res.Outcome == pairing.Skipped || res.Outcome == pairing.Failed
		if needsReason != (res.Reason != "") {
			t.Errorf("%s: outcome %s with reason %q", res.DiskID, res.Outcome, res.Reason)
		}
		if res.Message == "" {
			t.Errorf("%s: empty message", res.DiskID)
		}
		if res.Retryable && res.Outcome != pairing.Failed {
			t.Errorf("%s: retryable %s", res.DiskID, res.Outcome)
		}
	}
	if r.Summary != want {
		t.Errorf("summary %+v, results count %+v", r.Summary, want)
	}
	if r.DryRun && want.Paired > 0 {
		t.Errorf("a dry run paired %d disks", want.Paired)
	}

	var diskLines []map[string]any
	for _, line := range run.log.Lines(t) {
		if line["fcRequestId"] != requestID {
			t.Errorf("log line without fcRequestId %q: %v", requestID, line)
		}
		if line["msg"] == "disk" {
			diskLines = append(diskLines, line)
		}
	}
	if len(diskLines) != len(r.Results) {
		t.Fatalf("%d disk log lines for %d results:\n%s", len(diskLines), len(r.Results), run.log.String())
	}
	for i, res := range r.Results {
		line := diskLines[i]
		for key, want := range map[string]any{
			"diskId": res.DiskID, "regionId": res.RegionID, "outcome": string(res.Outcome),
			"reason": res.Reason, "replicaPairId": res.ReplicaPairID, "secondaryDiskId": res.SecondaryDiskID,
			"secondaryRegionId": res.SecondaryRegionID, "started": res.Started, "retryable": res.Retryable,
			"dryRun": r.DryRun,
		} {
			if line[key] != want {
				t.Errorf("disk log line %d %s=%v, report says %v", i, key, line[key], want)
			}
		}
		for _, key := range []string{"eventId", "requestIds", "durationMs"} {
			if _, ok := line[key]; !ok {
				t.Errorf("disk log line %d has no %s: %v", i, key, line)
			}
		}
		// A sweep reads disks through its listing, whose request IDs are not attributed to them;
		// a call that got no answer has no request ID.
		unanswered := res.Reason == pairing.ReasonNetwork || res.Reason == pairing.ReasonDeadlineExceeded
		if ids, _ := line["requestIds"].([]any); len(ids) == 0 && r.Event.Source != "fc.timer" && !unanswered {
			t.Errorf("disk log line %d: no request IDs although the disk was read: %v", i, line)
		}
	}
}

// e2eCheckWorld checks that the report agrees with the emulator: a pair the report names
// exists between the disks it names.
func e2eCheckWorld(t testing.TB, r *handler.Report, st emulator.State) {
	t.Helper()
	pairs := map[string]emulator.Pair{}
	for _, p := range st.Pairs {
		pairs[p.ReplicaPairID] = p
	}
	for _, res := range r.Results {
		if res.ReplicaPairID == "" || (res.Outcome != pairing.Paired && res.Outcome != pairing.AlreadyPaired) {
			continue
		}
		p, ok := pairs[res.ReplicaPairID]
		if !ok {
			t.Errorf("%s: pair %s is not in the emulator", res.DiskID, res.ReplicaPairID)
			continue
		}
		if p.SourceDiskID != res.DiskID || p.DestinationDiskID != res.SecondaryDiskID ||
			p.SourceRegionID != res.RegionID || p.DestinationRegionID != res.SecondaryRegionID {
			t.Errorf("%s: report says %s -> %s (%s), the emulator's pair %s is %s -> %s (%s)", res.DiskID,
				res.DiskID, res.SecondaryDiskID, res.SecondaryRegionID, p.ReplicaPairID,
				p.SourceDiskID, p.DestinationDiskID, p.DestinationRegionID)
		}
	}
}

// ---- fixtures ----

// e2eCase is one file of testdata/cases: a world, a payload and what each delivery of it
// must produce.
type e2eCase struct {
	Doc     string            `json:"doc"`
	Env     map[string]string `json:"env"`     // on top of e2eEnv
	Payload string            `json:"payload"` // a file of testdata/payloads
	// World is the emulator state, in the state file format of the design.
	World      json.RawMessage `json:"world"`
	Deliveries []e2eDelivery   `json:"deliveries"`
}

// e2eDelivery is one invocation of the case's payload (or another) against the same world.
type e2eDelivery struct {
	Env     map[string]string `json:"env"`     // on top of the case's
	Payload string            `json:"payload"` // default: the case's
	// Credentials replace the emulator's test credentials; Via says how they arrive:
	// "invocation" (FC's context) or "source" (the Handler's own source, as in local runs).
	Credentials *e2eCreds `json:"credentials"`
	Via         string    `json:"via"`
	// AdvanceOnFirstReadMs moves the emulator clock after the first DescribeDisks answer.
	AdvanceOnFirstReadMs int64 `json:"advanceOnFirstReadMs"`
	// DiskWaitMs bounds the engine's wait for a disk (default 10 s).
	DiskWaitMs int64 `json:"diskWaitMs"`
	// TimeoutMs is the invocation's deadline (default 30 s).
	TimeoutMs int64   `json:"timeoutMs"`
	Want      e2eWant `json:"want"`
}

type e2eCreds struct {
	AccessKeyID     string `json:"accessKeyId"`
	AccessKeySecret string `json:"accessKeySecret"`
	SecurityToken   string `json:"securityToken"`
}

// e2eWant is what one delivery must produce. Values in results, pairs and new disks are
// compared as JSON; a few strings are patterns: "*" is any non-empty value, "~text" a string
// containing text, "@new0" the ID of the first disk created by the run, "@pair:<diskId>" the
// replicaPairId reported for that disk.
type e2eWant struct {
	// Error: "" (none), "retryable" (wraps ErrRetryable), "payload" (wraps ErrPayload: no report),
	// "other" (wraps neither; the report is returned).
	Error         string           `json:"error"`
	ErrorContains []string         `json:"errorContains"`
	Event         map[string]any   `json:"event"`
	DryRun        bool             `json:"dryRun"`
	Results       []map[string]any `json:"results"` // in order, exactly these disks
	Summary       *handler.Summary `json:"summary"`
	Ignored       []map[string]any `json:"ignored"`
	// Pairs: every pair in the world after the delivery (any order); nil: not checked.
	Pairs []map[string]any `json:"pairs"`
	// NewDisks: every disk in the world that the seed did not have; nil: not checked.
	NewDisks []map[string]any `json:"newDisks"`
	// Tags: disk -> tag -> value; null means the tag must be absent.
	Tags map[string]map[string]*string `json:"tags"`
	// Calls: exactly these emulator calls (product/Action -> count) in this delivery.
	Calls map[string]int `json:"calls"`
	// MinCalls: at least these.
	MinCalls map[string]int `json:"minCalls"`
	// ReadOnly: only Describe* and List* calls in this delivery.
	ReadOnly bool `json:"readOnly"`
}

func e2eLoadCase(t testing.TB, path string) e2eCase {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c e2eCase
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(c.Deliveries) == 0 {
		t.Fatalf("%s: no deliveries", path)
	}
	return c
}

func e2ePayload(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "payloads", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// e2eRunCase plays a case: every delivery against one emulated world, checking after each.
func e2eRunCase(t *testing.T, c e2eCase) {
	seed, err := emulator.ParseState(c.World)
	if err != nil {
		t.Fatalf("world: %v", err)
	}
	seeded := map[string]bool{}
	for _, d := range seed.Disks {
		seeded[d.DiskID] = true
	}
	emu := e2eStartEmulator(t, seed)
	for i, d := range c.Deliveries {
		t.Logf("delivery %d", i+1)
		env := e2eEnv(emu.URL())
		maps.Copy(env, c.Env)
		maps.Copy(env, d.Env)
		cfg := e2eConfig(t, env)
		if d.DiskWaitMs > 0 {
			cfg.Pairing.DiskWait = time.Duration(d.DiskWaitMs) * time.Millisecond
		}
		emu.setAdvanceOnFirstRead(time.Duration(d.AdvanceOnFirstReadMs) * time.Millisecond)

		creds := e2eCredentials()
		if len(seed.Credentials) > 0 {
			c := seed.Credentials[0]
			creds = cloud.Credentials{AccessKeyID: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken}
		}
		if d.Credentials != nil {
			creds = cloud.Credentials{AccessKeyID: d.Credentials.AccessKeyID,
				AccessKeySecret: d.Credentials.AccessKeySecret, SecurityToken: d.Credentials.SecurityToken}
		}
		inv := handler.Invocation{RequestID: fmt.Sprintf("req-%d", i+1)}
		var source cloud.CredentialSource = creds
		if d.Via == "invocation" {
			inv.Credentials = &creds
			source = cloud.Credentials{} // nothing usable: the invocation's must be used
		}
		payloadName := cmp.Or(d.Payload, c.Payload)
		timeout := 30 * time.Second
		if d.TimeoutMs > 0 {
			timeout = time.Duration(d.TimeoutMs) * time.Millisecond
		}
		run := e2eInvokeWithin(t, emu, cfg, source, inv, e2ePayload(t, payloadName), timeout)
		snap := emu.Snapshot()

		e2eCheckNoSecrets(t, run, append([]string{creds.AccessKeySecret, creds.SecurityToken}, emu.sentSignatures()...))
		e2eCheckDelivery(t, d.Want, run, inv.RequestID, snap, seeded)
		if t.Failed() {
			reportJSON, _ := json.MarshalIndent(run.report, "", "  ")
			t.Fatalf("delivery %d of %s: error %v\nreport %s\ncalls %v\nlog:\n%s", i+1, payloadName, run.err, reportJSON, run.calls, run.log.String())
		}
	}
}

func e2eCheckDelivery(t *testing.T, want e2eWant, run e2eRun, requestID string, snap emulator.State, seeded map[string]bool) {
	t.Helper()
	switch want.Error {
	case "":
		if run.err != nil {
			t.Errorf("error %v, want none", run.err)
		}
	case "retryable":
		if !errors.Is(run.err, handler.ErrRetryable) {
			t.Errorf("error %v, want one wrapping ErrRetryable", run.err)
		}
	case "payload":
		if !errors.Is(run.err, handler.ErrPayload) || run.report != nil {
			t.Errorf("error %v (report %v), want one wrapping ErrPayload and no report", run.err, run.report != nil)
		}
	case "other":
		if run.err == nil || errors.Is(run.err, handler.ErrRetryable) || errors.Is(run.err, handler.ErrPayload) {
			t.Errorf("error %v, want one wrapping neither ErrRetryable nor ErrPayload", run.err)
		}
	default:
		t.Fatalf("want.error %q: use \"\", \"retryable\", \"payload\" or \"other\"", want.Error)
	}
	for _, s := range want.ErrorContains {
		if run.err == nil || !strings.Contains(run.err.Error(), s) {
			t.Errorf("error %v, want it to mention %q", run.err, s)
		}
	}
	if want.Calls != nil && !reflect.DeepEqual(want.Calls, run.calls) {
		t.Errorf("emulator calls %v, want exactly %v", run.calls, want.Calls)
	}
	for action, n := range want.MinCalls {
		if run.calls[action] < n {
			t.Errorf("%d %s calls, want at least %d (all: %v)", run.calls[action], action, n, run.calls)
		}
	}
	if want.ReadOnly {
		for action := range run.calls {
			if !e2eReadOnly(action) {
				t.Errorf("changing call %s in a read-only run: %v", action, run.calls)
			}
		}
	}
	if want.Error == "payload" {
		if len(run.calls) != 0 {
			t.Errorf("emulator calls %v for a payload not accepted", run.calls)
		}
		return
	}
	e2eCheckReport(t, run, requestID)
	if t.Failed() {
		return
	}
	r := run.report
	e2eCheckWorld(t, r, snap)

	var newDisks []map[string]any
	for _, d := range snap.Disks {
		if !seeded[d.DiskID] {
			newDisks = append(newDisks, e2eJSON(d))
		}
	}
	pairOf := map[string]string{}
	for _, res := range r.Results {
		pairOf[res.DiskID] = res.ReplicaPairID
	}
	tokens := func(s string) (string, bool) {
		switch {
		case strings.HasPrefix(s, "@new"):
			n, err := strconv.Atoi(strings.TrimPrefix(s, "@new"))
			if err != nil || n >= len(newDisks) {
				return "", false
			}
			id, _ := newDisks[n]["diskId"].(string)
			return id, true
		case strings.HasPrefix(s, "@pair:"):
			id, ok := pairOf[strings.TrimPrefix(s, "@pair:")]
			return id, ok && id != ""
		}
		return s, true
	}
	m := e2eMatcher{resolve: tokens}

	if r.DryRun != want.DryRun {
		t.Errorf("dryRun %v, want %v", r.DryRun, want.DryRun)
	}
	if want.Event != nil {
		m.match(t, "event", want.Event, e2eJSON(r.Event))
	}
	if want.Summary != nil && r.Summary != *want.Summary {
		// A case that counts no health at all leaves the health counts to e2eCheckReport, which
		// checks them against the results' health.
		got := r.Summary
		if w := *want.Summary; w.Healthy == 0 && w.Lagging == 0 && w.Unhealthy == 0 {
			got.Healthy, got.Lagging, got.Unhealthy = 0, 0, 0
		}
		if got != *want.Summary {
			t.Errorf("summary %+v, want %+v", r.Summary, *want.Summary)
		}
	}
	if len(r.Results) != len(want.Results) {
		t.Errorf("%d results, want %d", len(r.Results), len(want.Results))
	} else {
		for i, res := range r.Results {
			m.match(t, fmt.Sprintf("results[%d]", i), want.Results[i], e2eJSON(res))
		}
	}
	if want.Ignored != nil || len(r.Ignored) > 0 {
		if len(r.Ignored) != len(want.Ignored) {
			t.Errorf("%d ignored events, want %d: %+v", len(r.Ignored), len(want.Ignored), r.Ignored)
		} else {
			for i, ig := range r.Ignored {
				m.match(t, fmt.Sprintf("ignored[%d]", i), want.Ignored[i], e2eJSON(ig))
			}
		}
	}
	if want.Pairs != nil {
		var got []map[string]any
		for _, p := range snap.Pairs {
			got = append(got, e2eJSON(p))
		}
		m.matchSet(t, "pairs", want.Pairs, got)
	}
	if want.NewDisks != nil {
		m.matchSet(t, "new disks", want.NewDisks, newDisks)
	}
	if want.Tags != nil {
		tags := map[string]map[string]string{}
		for _, d := range snap.Disks {
			tags[d.DiskID] = d.Tags
		}
		for disk, kv := range want.Tags {
			got, exists := tags[disk]
			if !exists {
				t.Errorf("tags of %s: no such disk", disk)
				continue
			}
			for k, v := range kv {
				gv, has := got[k]
				switch {
				case v == nil && has:
					t.Errorf("disk %s has tag %s=%s, want none", disk, k, gv)
				case v != nil:
					wv, ok := tokens(*v)
					if !ok || !has || (wv != "*" && gv != wv) || (wv == "*" && gv == "") {
						t.Errorf("disk %s tag %s=%q (present %v), want %q", disk, k, gv, has, *v)
					}
				}
			}
		}
	}
}

// e2eJSON is v as its JSON object.
func e2eJSON(v any) map[string]any {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		panic(err)
	}
	return m
}

type e2eMatcher struct {
	resolve func(string) (string, bool)
}

// ok tells whether got has every key of want with a matching value.
func (m e2eMatcher) ok(want, got map[string]any) []string {
	var diffs []string
	keys := slices.Sorted(maps.Keys(want))
	for _, k := range keys {
		w := want[k]
		g, has := got[k]
		if ws, isString := w.(string); isString {
			if ws == "*" {
				if !has || g == "" || g == nil || g == false || g == 0.0 {
					diffs = append(diffs, fmt.Sprintf("%s=%v, want a value", k, g))
				}
				continue
			}
			if sub, ok := strings.CutPrefix(ws, "~"); ok {
				if gs, _ := g.(string); !strings.Contains(gs, sub) {
					diffs = append(diffs, fmt.Sprintf("%s=%q, want it to contain %q", k, g, sub))
				}
				continue
			}
			resolved, ok := m.resolve(ws)
			if !ok || g != resolved {
				diffs = append(diffs, fmt.Sprintf("%s=%v, want %v", k, g, ws))
			}
			continue
		}
		if wm, isMap := w.(map[string]any); isMap {
			gm, _ := g.(map[string]any)
			for _, d := range m.ok(wm, gm) {
				diffs = append(diffs, k+"."+d)
			}
			continue
		}
		if !reflect.DeepEqual(w, g) {
			diffs = append(diffs, fmt.Sprintf("%s=%v, want %v", k, g, w))
		}
	}
	return diffs
}

func (m e2eMatcher) match(t testing.TB, what string, want, got map[string]any) {
	t.Helper()
	if diffs := m.ok(want, got); len(diffs) > 0 {
		t.Errorf("%s: %s\n  got %v", what, strings.Join(diffs, "; "), got)
	}
}

// matchSet pairs each wanted object with a distinct got object (any order); counts must agree.
func (m e2eMatcher) matchSet(t testing.TB, what string, want, got []map[string]any) {
	t.Helper()
	if len(want) != len(got) {
		t.Errorf("%s: %d, want %d: %v", what, len(got), len(want), got)
		return
	}
	used := make([]bool, len(got))
	for _, w := range want {
		found := false
		for j, g := range got {
			if !used[j] && len(m.ok(w, g)) == 0 {
				used[j], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("%s: nothing matches %v in %v", what, w, got)
		}
	}
}

// e2eCaseFiles lists testdata/cases/*.json, sorted.
func e2eCaseFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "cases", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases in testdata/cases: %v", err)
	}
	sort.Strings(files)
	return files
}
