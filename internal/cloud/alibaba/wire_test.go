package alibaba

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

// wire is the emulator behind a recording, fault-injecting HTTP front, for adapter tests: the
// emulator (the one model of the cloud) answers, and the front records every request with its
// answer, counts connections, and lets a test replace an answer with one the emulator would
// never give (a body missing a field, a repeated NextToken) or with a transport fault.
type wire struct {
	t   testing.TB
	srv *httptest.Server
	emu *emulator.Server

	mu        sync.Mutex
	calls     []wireCall
	intercept func(c wireCall, n int) *wireAnswer // n counts requests of c.Action so far, from 1

	conns atomic.Int64 // TCP connections accepted
}

type wireCall struct {
	Action, Version string
	Query           url.Values
	Answer          []byte // the body answered; nil for a dropped or hung request
}

// nextToken is the NextToken of the call's answer.
func (c wireCall) nextToken() string {
	var a struct{ NextToken string }
	_ = json.Unmarshal(c.Answer, &a)
	return a.NextToken
}

// wireAnswer replaces the emulator's answer. fault: "lost" answers nothing after acting,
// "reset" resets the connection before acting, "hang" waits for the client to give up.
type wireAnswer struct {
	status int
	body   any
	fault  string
	act    bool // with fault "lost": let the emulator act first
}

// The credentials the wire's emulator accepts: testCreds (with an STS token) and plainCreds (an
// AccessKey pair without one).
var (
	testCreds  = cloud.Credentials{AccessKeyID: testAKID, AccessKeySecret: testSecret, SecurityToken: testToken}
	plainCreds = cloud.Credentials{AccessKeyID: "LTAI5tPlainKeyId", AccessKeySecret: "Plain/Secret+Value=="}
)

// newWire serves the world st (nil: empty) behind the front, for testCreds and plainCreds.
func newWire(t testing.TB, st *emulator.State) *wire {
	t.Helper()
	if st == nil {
		st = emutest.World()
	}
	st.Credentials = append(st.Credentials,
		emulator.Credential{AccessKeyID: testAKID, AccessKeySecret: testSecret, SecurityToken: testToken},
		emulator.Credential{AccessKeyID: plainCreds.AccessKeyID, AccessKeySecret: plainCreds.AccessKeySecret})
	emu, err := emulator.New(st)
	if err != nil {
		t.Fatal(err)
	}
	w := &wire{t: t, emu: emu}
	w.srv = httptest.NewUnstartedServer(http.HandlerFunc(w.serve))
	w.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			w.conns.Add(1)
		}
	}
	w.srv.Start()
	t.Cleanup(w.srv.Close)
	return w
}

func (w *wire) url() string { return w.srv.URL }

func (w *wire) pool(t testing.TB, api string, mutate ...func(*Options)) *Pool {
	t.Helper()
	opts := Options{API: api, ECSEndpoint: w.url(), EBSEndpoint: w.url(), MaxQPS: 0,
		Retry: RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond}}
	return newTestPool(t, opts, mutate...)
}

// newTestPool is a Pool with opts after every mutate, closed when the test ends.
func newTestPool(t testing.TB, opts Options, mutate ...func(*Options)) *Pool {
	t.Helper()
	for _, m := range mutate {
		m(&opts)
	}
	p, err := NewPool(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// checkActionsObserved fails the test unless the actions observed (keys "ecs:CreateDisk" and so
// on) are exactly Actions().
func checkActionsObserved(t *testing.T, observed map[string]bool) {
	t.Helper()
	got := slices.Sorted(maps.Keys(observed))
	want := slices.Sorted(slices.Values(Actions()))
	if !slices.Equal(got, want) {
		t.Fatalf("observed %v\nActions() says %v", got, want)
	}
}

// Calls are the requests the front received, in order.
func (w *wire) Calls() []wireCall {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]wireCall(nil), w.calls...)
}

func (w *wire) callsOf(action string) []wireCall {
	var out []wireCall
	for _, c := range w.Calls() {
		if c.Action == action {
			out = append(out, c)
		}
	}
	return out
}

// resetCalls forgets the requests received so far.
func (w *wire) resetCalls() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = nil
}

func (w *wire) setIntercept(fn func(c wireCall, n int) *wireAnswer) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.intercept = fn
}

// disk is the emulator's current record of a disk.
func (w *wire) disk(id string) (emulator.Disk, bool) {
	for _, d := range w.emu.Snapshot().Disks {
		if d.DiskID == id {
			return d, true
		}
	}
	return emulator.Disk{}, false
}

// pairs is the number of pairs in the emulator's world.
func (w *wire) pairs() int { return len(w.emu.Snapshot().Pairs) }

var wireRequestSeq atomic.Int64

// apiError is an error answer in the ECS shape.
func apiError(status int, code, message string) *wireAnswer {
	return &wireAnswer{status: status, body: map[string]any{"Code": code, "Message": message,
		"RequestId": fmt.Sprintf("ERR-%d", wireRequestSeq.Add(1)), "HostId": "wire", "Recommend": ""}}
}

func (w *wire) serve(rw http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		w.t.Errorf("wire: %v", err)
		return
	}
	q := r.Form
	w.mu.Lock()
	w.calls = append(w.calls, wireCall{Action: q.Get("Action"), Version: q.Get("Version"), Query: q})
	i := len(w.calls) - 1
	n := 0
	for _, c := range w.calls {
		if c.Action == q.Get("Action") {
			n++
		}
	}
	intercept := w.intercept
	call := w.calls[i]
	w.mu.Unlock()

	var ans *wireAnswer
	if intercept != nil {
		ans = intercept(call, n)
	}
	rec := httptest.NewRecorder()
	switch {
	case ans == nil:
		w.emu.ServeHTTP(rec, r)
	case ans.fault == "reset":
		w.hijack(rw, true)
		return
	case ans.fault == "lost":
		if ans.act {
			w.emu.ServeHTTP(rec, r)
		}
		w.hijack(rw, false)
		return
	case ans.fault == "hang":
		<-r.Context().Done()
		return
	default:
		rec.Header().Set("Content-Type", "application/json")
		rec.WriteHeader(ans.status)
		if err := json.NewEncoder(rec).Encode(ans.body); err != nil {
			w.t.Errorf("wire: encode: %v", err)
		}
	}
	w.mu.Lock()
	w.calls[i].Answer = bytes.Clone(rec.Body.Bytes())
	w.mu.Unlock()
	maps.Copy(rw.Header(), rec.Header())
	rw.WriteHeader(rec.Code)
	_, _ = rw.Write(rec.Body.Bytes())
}

func (w *wire) hijack(rw http.ResponseWriter, reset bool) {
	conn, _, err := rw.(http.Hijacker).Hijack()
	if err != nil {
		w.t.Errorf("hijack: %v", err)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

// loadFixture reads a JSON fixture from testdata.
func loadFixture(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}
