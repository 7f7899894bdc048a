package alibaba

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

// sleepRecorder replaces the Pool's sleeper: it records the waits and does not sleep.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func withSeams(p *Pool, r float64) *sleepRecorder {
	rec := &sleepRecorder{}
	p.sleep = rec.sleep
	p.rand = func() float64 { return r }
	return rec
}

// pairWorld holds the disks pairInput names, d-1 in cn-hangzhou-i and its match d-2 in
// cn-shanghai-e, and another such couple, d-3 and d-4.
func pairWorld() *emulator.State {
	d1, d3 := emutest.Disk("d-1", "cn-hangzhou-i"), emutest.Disk("d-3", "cn-hangzhou-i")
	return emutest.World(d1, emutest.Secondary(d1, "d-2", "cn-shanghai-e"), d3, emutest.Secondary(d3, "d-4", "cn-shanghai-e"))
}

var pairInput = cloud.CreatePairInput{RegionID: "cn-hangzhou", DiskID: "d-1", SourceZoneID: "cn-hangzhou-i", DestinationRegionID: "cn-shanghai",
	DestinationZoneID: "cn-shanghai-e", DestinationDiskID: "d-2", Name: "absr-d-1", ClientToken: "tok-retry"}

func TestBackoffFullJitter(t *testing.T) {
	p, err := NewPool(Options{Retry: RetryPolicy{MaxAttempts: 5, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	p.rand = func() float64 { return 0.5 }
	want := []time.Duration{50, 100, 200, 400, 500, 500}
	for i, w := range want {
		if got := p.backoff(i + 1); got != w*time.Millisecond {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w*time.Millisecond)
		}
	}
	if got := p.backoff(200); got != 500*time.Millisecond {
		t.Errorf("backoff(200) = %v: the shift must not overflow", got)
	}
	p.rand = func() float64 { return 0 }
	if got := p.backoff(3); got != 0 {
		t.Errorf("full jitter reaches 0, got %v", got)
	}
}

func TestThrottlingRetriedWithSameClientToken(t *testing.T) {
	t.Parallel()
	f := newWire(t, pairWorld())
	p := f.pool(t, APIEBS)
	rec := withSeams(p, 0.5)
	f.setIntercept(func(c wireCall, n int) *wireAnswer {
		if c.Action == "CreateDiskReplicaPair" && n <= 2 {
			return apiError(400, "Throttling.User", "Request was denied due to user flow control.")
		}
		return nil
	})
	ctx, trace := cloud.WithTrace(context.Background())
	id, err := p.Client(testCreds).CreatePair(ctx, pairInput)
	if err != nil {
		t.Fatal(err)
	}
	calls := f.callsOf("CreateDiskReplicaPair")
	if len(calls) != 3 {
		t.Fatalf("%d calls, want 3", len(calls))
	}
	nonces := map[string]bool{}
	for _, c := range calls {
		if c.Query.Get("ClientToken") != "tok-retry" {
			t.Fatalf("ClientToken changed between retries: %q", c.Query.Get("ClientToken"))
		}
		nonces[c.Query.Get("SignatureNonce")] = true
	}
	if len(nonces) != 3 {
		t.Fatal("each attempt must be signed with a new nonce")
	}
	if want := []time.Duration{500 * time.Microsecond, time.Millisecond}; !reflect.DeepEqual(rec.recorded(), want) {
		t.Fatalf("waits %v, want %v", rec.recorded(), want)
	}
	var codes []string
	for _, a := range trace.Attempts() {
		codes = append(codes, a.Code)
		if a.Action != "ebs:CreateDiskReplicaPair" || a.Region != "cn-hangzhou" || a.RequestID == "" {
			t.Fatalf("attempt %+v", a)
		}
	}
	if !reflect.DeepEqual(codes, []string{"Throttling.User", "Throttling.User", ""}) || trace.Calls() != 3 || len(trace.RequestIDs()) != 3 {
		t.Fatalf("trace %+v", trace.Attempts())
	}
	if pairs := f.emu.Snapshot().Pairs; len(pairs) != 1 || pairs[0].ReplicaPairID != id {
		t.Fatalf("pairs %+v", pairs)
	}
}

func TestLostResponseAndResetRetriedWhenRepeatable(t *testing.T) {
	t.Parallel()
	for _, fault := range []string{"lost", "reset"} {
		t.Run(fault, func(t *testing.T) {
			f := newWire(t, pairWorld())
			p := f.pool(t, APIEBS)
			withSeams(p, 0.5)
			f.setIntercept(func(c wireCall, n int) *wireAnswer {
				if n == 1 {
					return &wireAnswer{fault: fault, act: true}
				}
				return nil
			})
			api := p.Client(testCreds)
			id, err := api.CreatePair(context.Background(), pairInput)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(f.callsOf("CreateDiskReplicaPair")); n != 2 {
				t.Fatalf("%d calls", n)
			}
			if pairs := f.pairs(); pairs != 1 {
				t.Fatalf("%d pairs: the retry must reuse the ClientToken", pairs)
			}
			if err := api.StartPair(context.Background(), "cn-hangzhou", id, "tok-start"); err != nil {
				t.Fatal(err)
			}
			if _, err := api.DescribeDisks(context.Background(), "cn-hangzhou", []string{"d-1"}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAmbiguousFailuresOfNonRepeatableCallsAreNotRetried(t *testing.T) {
	for _, api := range []string{APIEBS, APIECS} {
		t.Run(api, func(t *testing.T) {
			f := newWire(t, pairWorld())
			p := f.pool(t, api)
			rec := withSeams(p, 0.5)
			f.setIntercept(func(c wireCall, n int) *wireAnswer {
				return &wireAnswer{fault: "lost", act: true}
			})
			in := pairInput
			in.ClientToken = "" // the legacy cloud.API has none; without one EBS cannot deduplicate either
			_, err := p.Client(testCreds).CreatePair(context.Background(), in)
			if codeOf(err) != codeConnectionReset || !cloud.IsRetryable(err) {
				t.Fatalf("err %v", err)
			}
			if n := len(f.callsOf("CreateDiskReplicaPair")); n != 1 || len(rec.recorded()) != 0 {
				t.Fatalf("%d calls, %d waits: an unanswered create without token must not be repeated", n, len(rec.recorded()))
			}
			// The service-side throttling answer proves nothing happened: that one is retried.
			in.DiskID, in.DestinationDiskID = "d-3", "d-4" // the lost create did pair d-1
			f.setIntercept(func(c wireCall, n int) *wireAnswer {
				if n == 2 {
					return apiError(429, "Throttling.Api", "slow down")
				}
				return nil
			})
			if _, err := p.Client(testCreds).CreatePair(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			if n := len(f.callsOf("CreateDiskReplicaPair")); n != 3 {
				t.Fatalf("%d calls", n)
			}
		})
	}
}

func TestPermanentErrorNotRetried(t *testing.T) {
	f := newWire(t, pairWorld())
	p := f.pool(t, APIEBS)
	rec := withSeams(p, 0.5)
	f.setIntercept(func(c wireCall, n int) *wireAnswer {
		return apiError(403, "OperationDenied.QuotaExceed", "quota")
	})
	_, err := p.Client(testCreds).CreatePair(context.Background(), pairInput)
	if codeOf(err) != "OperationDenied.QuotaExceed" || cloud.IsRetryable(err) {
		t.Fatalf("err %v", err)
	}
	if n := len(f.Calls()); n != 1 || len(rec.recorded()) != 0 {
		t.Fatalf("%d calls, %d waits", n, len(rec.recorded()))
	}
}

func TestRetriesStopAtMaxAttempts(t *testing.T) {
	for _, code := range []string{"ServiceUnavailable", "LastTokenProcessing", "InternalError", "OperationConflict"} {
		t.Run(code, func(t *testing.T) {
			f := newWire(t, pairWorld())
			p := f.pool(t, APIEBS)
			rec := withSeams(p, 1)
			f.setIntercept(func(c wireCall, n int) *wireAnswer { return apiError(503, code, "later") })
			_, err := p.Client(testCreds).CreatePair(context.Background(), pairInput)
			if codeOf(err) != code || !cloud.IsRetryable(err) {
				t.Fatalf("err %v", err)
			}
			if n := len(f.Calls()); n != 4 {
				t.Fatalf("%d calls, want MaxAttempts=4", n)
			}
			if want := []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond}; !reflect.DeepEqual(rec.recorded(), want) {
				t.Fatalf("waits %v", rec.recorded())
			}
		})
	}
}

func TestBackoffNeverSleepsPastDeadline(t *testing.T) {
	f := newWire(t, pairWorld())
	p := f.pool(t, APIEBS, func(o *Options) {
		o.Retry = RetryPolicy{MaxAttempts: 10, BaseDelay: time.Hour, MaxDelay: time.Hour}
	})
	rec := withSeams(p, 0.5)
	f.setIntercept(func(c wireCall, n int) *wireAnswer { return apiError(400, "Throttling", "slow") })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := p.Client(testCreds).ListPairs(ctx, "cn-hangzhou")
	if codeOf(err) != "Throttling" || !cloud.IsRetryable(err) {
		t.Fatalf("err %v", err)
	}
	if len(rec.recorded()) != 0 || len(f.Calls()) != 1 {
		t.Fatalf("slept %v with %d calls although the wait passes the deadline", rec.recorded(), len(f.Calls()))
	}
}

func TestDeadlineBoundsTheRequest(t *testing.T) {
	t.Parallel()
	f := newWire(t, pairWorld())
	// RequestTimeout far beyond the context deadline: only the deadline can end the attempt.
	p := f.pool(t, APIEBS, func(o *Options) { o.RequestTimeout = 10 * time.Minute })
	withSeams(p, 0.5)
	f.setIntercept(func(c wireCall, n int) *wireAnswer { return &wireAnswer{fault: "hang"} })
	checkEndsAtDeadline(t, 300*time.Millisecond, time.Minute, func(ctx context.Context) error {
		_, err := p.Client(testCreds).ListPairs(ctx, "cn-hangzhou")
		return err
	})
	if n := len(f.Calls()); n != 1 {
		t.Fatalf("%d calls: no attempt may start without time left", n)
	}
}

// checkEndsAtDeadline runs call with a context that expires after deadline and fails the test
// unless call returns within limit with a retryable deadline_exceeded error wrapping
// context.DeadlineExceeded and free of credentials.
func checkEndsAtDeadline(t *testing.T, deadline, limit time.Duration, call func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- call(ctx) }()
	select {
	case err := <-done:
		if codeOf(err) != codeDeadlineExceeded || !cloud.IsRetryable(err) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v", err)
		}
		assertNoCredentials(t, err.Error())
	case <-time.After(limit):
		t.Fatalf("the call outlived its context deadline of %v by more than %v", deadline, limit)
	}
}

func TestExpiredOrCanceledContextSendsNothing(t *testing.T) {
	f := newWire(t, pairWorld())
	api := f.pool(t, APIEBS).Client(testCreds)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := api.ListPairs(ctx, "cn-hangzhou"); codeOf(err) != codeCanceled {
		t.Fatalf("canceled: %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	<-ctx.Done()
	if _, err := api.ListPairs(ctx, "cn-hangzhou"); codeOf(err) != codeDeadlineExceeded || !cloud.IsRetryable(err) {
		t.Fatalf("expired: %v", err)
	}
	if len(f.Calls()) != 0 {
		t.Fatal("a request was sent without time left")
	}
}

func TestRateLimitPerActionAndRegion(t *testing.T) {
	t.Parallel()
	f := newWire(t, pairWorld())
	p := f.pool(t, APIEBS, func(o *Options) { o.MaxQPS = 0.5 }) // one token per 2 s, burst 1
	api := p.Client(testCreds)
	short := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 200*time.Millisecond)
	}
	ctx, cancel := short()
	defer cancel()
	if _, err := api.ListPairs(ctx, "cn-hangzhou"); err == nil {
		t.Fatal("ListPairs calls DescribeDiskReplicaPairs twice: the second must wait for a token")
	} else if codeOf(err) != codeDeadlineExceeded || !cloud.IsRetryable(err) {
		t.Fatalf("err %v", err)
	}
	if n := len(f.Calls()); n != 1 {
		t.Fatalf("%d calls", n)
	}
	ctx2, cancel2 := short()
	defer cancel2()
	if _, err := api.DescribeDisks(ctx2, "cn-hangzhou", []string{"d-1"}); err != nil {
		t.Fatalf("another action has its own bucket: %v", err)
	}
	ctx3, cancel3 := short()
	defer cancel3()
	if _, err := p.Client(plainCreds).DescribeDisks(ctx3, "cn-beijing", []string{"d-1"}); err != nil {
		t.Fatalf("another region has its own bucket: %v", err)
	}
	ctx4, cancel4 := short()
	defer cancel4()
	if _, err := p.Client(testCreds).DescribeDisks(ctx4, "cn-hangzhou", []string{"d-1"}); codeOf(err) != codeDeadlineExceeded {
		t.Fatalf("the bucket is shared by every client of the pool: %v", err)
	}
	if p.limiter("ecs:DescribeDisks", "cn-hangzhou") != p.limiter("ecs:DescribeDisks", "cn-hangzhou") {
		t.Fatal("limiter not reused")
	}
}
