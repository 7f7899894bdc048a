package fctest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/fcstub"
)

// Issue 15 item 8: a runtime API whose /next keeps failing is polled with backoff, not in a
// tight loop, and the log does not grow with every poll. The window starts at the first poll, so
// a slow start does not shorten it. (The bound is loose on purpose: the SDK's loop polled
// thousands of times a second, once per round trip; the backoff of 50 ms doubling makes 5 polls
// in the first second.)
func TestFailingRuntimeAPIIsPolledWithBackoff(t *testing.T) {
	t.Parallel()
	const (
		window   = time.Second
		maxPolls = 20
	)
	var polls atomic.Int64
	firstPoll := make(chan struct{})
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if polls.Add(1) == 1 {
			close(firstPoll)
		}
		http.Error(w, "runtime API restarting", http.StatusBadGateway)
	}))
	t.Cleanup(broken.Close)
	f := launchFunction(t, emutest.World(), "FC_RUNTIME_API="+strings.TrimPrefix(broken.URL, "http://"))
	select {
	case <-firstPoll:
	case <-f.exited:
		t.Fatalf("the function exited without polling: %v\nstderr:\n%s", f.err, f.stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("the function never polled the runtime API")
	}
	time.Sleep(window)
	n := polls.Load()
	lines := strings.Count(f.stderr.String(), "\n")
	if n > maxPolls {
		t.Errorf("%d polls of a failing runtime API in %v, want a few (backoff)", n, window)
	}
	if lines > 12 {
		t.Errorf("%d lines logged for %d failed polls, want a handful:\n%s", lines, n, tail(f.stderr.String(), 2000))
	}
	t.Logf("%d polls, %d log lines in %v", n, lines, window)
}

// An invocation whose runtime API sends no deadline header is answered, under a default deadline.
func TestInvocationWithoutDeadlineHeaderIsAnswered(t *testing.T) {
	t.Parallel()
	f := startFunction(t, world())
	ctx, cancel := f.context(30 * time.Second)
	defer cancel()
	a, err := f.stub.Invoke(ctx, fcstub.Invocation{Payload: fixture(t, "tagresources-retry.json"), Timeout: 20 * time.Second,
		NoDeadline: true, Credentials: emulatorCredentials(), Region: region, AccountID: accountID, FunctionName: functionFQN})
	if err != nil {
		t.Fatalf("no answer to an invocation without a deadline header: %v\nstderr:\n%s", err, tail(f.stderr.String(), 2000))
	}
	if len(a.Body) == 0 {
		t.Fatal("empty answer")
	}
}
