package fcruntime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/absr-autopair/absr-autopair/internal/fcstub"
)

// logRecorder collects Logf lines.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) logf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, a...))
}

func (l *logRecorder) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// A runtime API whose /next keeps failing is polled with exponential backoff, capped, and the
// log grows with the logarithm of the failures; once it answers again the backoff resets.
func TestFailingNextBacksOff(t *testing.T) {
	var polls atomic.Int64
	const failing = 200
	stub := startStub(t)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/next") && polls.Add(1) <= failing {
			http.Error(w, "runtime API restarting", http.StatusBadGateway)
			return
		}
		proxy(w, r, stub.Addr())
	}))
	t.Cleanup(front.Close)

	var waits []time.Duration
	var mu sync.Mutex
	logs := &logRecorder{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := Options{API: strings.TrimPrefix(front.URL, "http://"), Logf: logs.logf, Out: io.Discard,
		Sleep: func(ctx context.Context, d time.Duration) error { // no real waiting: record it
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
			return ctx.Err()
		}}
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, o, func(ctx context.Context, payload []byte) (any, error) {
			return map[string]string{"echo": string(payload)}, nil
		})
	}()
	a, err := stub.Invoke(t.Context(), fcstub.Invocation{Payload: []byte("hi")})
	if err != nil {
		t.Fatal(err)
	}
	if string(a.Body) != `{"echo":"hi"}` || a.IsError {
		t.Fatalf("answer %s error=%v", a.Body, a.IsError)
	}
	cancel()
	<-done

	mu.Lock()
	defer mu.Unlock()
	if len(waits) != failing {
		t.Fatalf("%d waits for %d failed polls", len(waits), failing)
	}
	for i, w := range waits {
		want := min(MinBackoff<<min(i, 20), MaxBackoff)
		if w != want {
			t.Fatalf("wait %d is %s, want %s (doubling from %s, capped at %s)", i, w, want, MinBackoff, MaxBackoff)
		}
	}
	lines := logs.all()
	// 200 failures: logged at 1, 2, 4, ..., 128, and once when polling works again.
	if len(lines) != 9 || !strings.Contains(lines[len(lines)-1], "works again after 200") {
		t.Fatalf("%d log lines for %d failures, want 9:\n%s", len(lines), failing, strings.Join(lines, "\n"))
	}
}

// proxy forwards r to the stub (the failing front hands over once the outage is over).
func proxy(w http.ResponseWriter, r *http.Request, addr string) {
	req, _ := http.NewRequestWithContext(r.Context(), r.Method, "http://"+addr+r.URL.Path, r.Body)
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body) //nolint:errcheck
}

// An invocation without a deadline header gets the function timeout FC announces, or the
// default; the handler sees FC's context either way, and the answer is posted.
func TestInvocationWithoutDeadlineGetsOne(t *testing.T) {
	stub := startStub(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type seen struct {
		left   time.Duration
		region string
	}
	got := make(chan seen, 2)
	logs := &logRecorder{}
	go Serve(ctx, Options{API: stub.Addr(), Logf: logs.logf, Out: io.Discard}, func(ctx context.Context, _ []byte) (any, error) { //nolint:errcheck
		d, ok := ctx.Deadline()
		if !ok {
			return nil, errors.New("no deadline")
		}
		fcc, _ := fccontext.FromContext(ctx)
		got <- seen{time.Until(d), fcc.Region}
		return "ok", nil
	})
	for _, tc := range []struct {
		inv      fcstub.Invocation
		min, max time.Duration
	}{
		{fcstub.Invocation{Timeout: 30 * time.Second, NoDeadline: true, Region: "cn-hangzhou"}, 25 * time.Second, 30 * time.Second},
		{fcstub.Invocation{Timeout: 30 * time.Second, NoDeadline: true, NoTimeout: true, Region: "cn-hangzhou"}, DefaultTimeout - 5*time.Second, DefaultTimeout},
	} {
		a, err := stub.Invoke(t.Context(), tc.inv)
		if err != nil {
			t.Fatal(err)
		}
		if a.IsError || string(a.Body) != `"ok"` {
			t.Fatalf("answer %s error=%v", a.Body, a.IsError)
		}
		s := <-got
		if s.left < tc.min || s.left > tc.max || s.region != "cn-hangzhou" {
			t.Errorf("%+v: deadline in %s, region %q; want between %s and %s", tc.inv, s.left, s.region, tc.min, tc.max)
		}
	}
	if n := len(logs.all()); n != 2 {
		t.Errorf("%d notes for 2 invocations without a deadline: %v", n, logs.all())
	}
}

// An error is posted as FC's error body.
func TestErrorsArePostedAsErrors(t *testing.T) {
	stub := startStub(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Serve(ctx, Options{API: stub.Addr(), Out: io.Discard}, func(context.Context, []byte) (any, error) { //nolint:errcheck
		return nil, errors.New("retryable: 1 disk failed")
	})
	a, err := stub.Invoke(t.Context(), fcstub.Invocation{})
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	if err := json.Unmarshal(a.Body, &body); err != nil || !a.IsError || body["errorMessage"] != "retryable: 1 disk failed" {
		t.Fatalf("answer %s error=%v", a.Body, a.IsError)
	}
}

// startStub starts an FC runtime API stand-in for the test's life.
func startStub(t *testing.T) *fcstub.Server {
	t.Helper()
	stub, err := fcstub.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stub.Close() })
	return stub
}
