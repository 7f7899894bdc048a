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
// tight loop, and the log does not grow with every poll. (The bound is loose on purpose: the
// SDK's loop polled thousands of times in the same time, once per round trip.)
func TestFailingRuntimeAPIIsPolledWithBackoff(t *testing.T) {
	var polls atomic.Int64
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		polls.Add(1)
		http.Error(w, "runtime API restarting", http.StatusBadGateway)
	}))
	t.Cleanup(broken.Close)
	f := launchFunction(t, emutest.World(), "FC_RUNTIME_API="+strings.TrimPrefix(broken.URL, "http://"))
	time.Sleep(2 * time.Second)
	n := polls.Load()
	lines := strings.Count(f.stderr.String(), "\n")
	if n == 0 || n > 40 {
		t.Errorf("%d polls of a failing runtime API in 2 s, want a few (backoff)", n)
	}
	if lines > 12 {
		t.Errorf("%d lines logged for %d failed polls, want a handful:\n%s", lines, n, tail(f.stderr.String(), 2000))
	}
	t.Logf("%d polls, %d log lines in 2 s", n, lines)
}

// An invocation whose runtime API sends no deadline header is answered, under a default deadline.
func TestInvocationWithoutDeadlineHeaderIsAnswered(t *testing.T) {
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
