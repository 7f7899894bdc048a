package pairing

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

func TestTokens(t *testing.T) {
	ascii := regexp.MustCompile(`^[\x21-\x7e]{1,64}$`)
	a := pairToken("cn-hangzhou", "d-1", "cn-shanghai", "d-2", "")
	for _, tok := range []string{a, startToken("pair-1"), secondaryToken("cn-hangzhou", "d-1", ""),
		nextToken(a, "pair-1"), pairToken("cn-hangzhou", "d-1", "cn-shanghai", "d-2", "3")} {
		if !ascii.MatchString(tok) {
			t.Errorf("token %q is not 1-64 printable ASCII", tok)
		}
	}
	if a != pairToken("cn-hangzhou", "d-1", "cn-shanghai", "d-2", "") || nextToken(a, "pair-1") != nextToken(a, "pair-1") {
		t.Error("pair tokens are not deterministic")
	}
	seen := map[string]bool{a: true}
	for _, other := range []string{
		pairToken("cn-hangzhou", "d-1", "cn-shanghai", "d-3", ""),
		pairToken("cn-hangzhou", "d-1", "cn-beijing", "d-2", ""),
		pairToken("cn-hangzhou", "d-9", "cn-shanghai", "d-2", ""),
		pairToken("cn-hangzhou", "d-1c", "n-shanghai", "d-2", ""),  // field boundaries matter
		pairToken("cn-hangzhou", "d-1", "cn-shanghai", "d-2", "1"), // a new attempt
		nextToken(a, "pair-1"), // a new generation
		nextToken(nextToken(a, "pair-1"), "pair-2"),
		secondaryToken("cn-hangzhou", "d-1", ""),
		secondaryToken("cn-hangzhou", "d-1", "1"),
	} {
		if seen[other] {
			t.Errorf("different changes share token %s", other)
		}
		seen[other] = true
	}
}

func TestReasonForKind(t *testing.T) {
	for kind, want := range map[cloud.Kind]string{
		cloud.KindThrottled:           ReasonThrottled,
		cloud.KindDenied:              ReasonPermissionDenied,
		cloud.KindQuotaExceeded:       ReasonQuotaExceeded,
		cloud.KindInsufficientBalance: ReasonInsufficientBalance,
		cloud.KindSecondaryAttached:   ReasonSecondaryAttached,
		cloud.KindInvalidStatus:       ReasonInvalidStatus,
		cloud.KindNotFound:            ReasonNotFound,
		cloud.KindCredentials:         ReasonCredentials,
		cloud.KindIdempotencyConflict: ReasonIdempotencyConflict,
		cloud.KindUnavailable:         ReasonUnavailable,
		cloud.KindTimeout:             ReasonNetwork,
		cloud.KindTransport:           ReasonNetwork,
		cloud.KindDeadline:            ReasonDeadlineExceeded,
		cloud.KindCanceled:            ReasonCanceled,
		cloud.KindInvalidInput:        ReasonAPIError,
		cloud.KindInvalidResponse:     ReasonAPIError,
		cloud.KindUnsupported:         ReasonAPIError,
		cloud.KindUnknown:             ReasonAPIError,
	} {
		err := fmt.Errorf("wrapped: %w", &cloud.Error{Kind: kind, Code: "Whatever.TheServiceSaid"})
		if got := reasonFor(err); got != want {
			t.Errorf("reasonFor(kind %q) = %s, want %s", kind, got, want)
		}
	}
	// The code is for people: a throttling code without the kind is not throttling.
	if got := reasonFor(&cloud.Error{Code: "Throttling.User"}); got != ReasonAPIError {
		t.Errorf("reason read from the code: %s", got)
	}
	if got := reasonFor(errors.New("not from the cloud")); got != ReasonAPIError {
		t.Errorf("foreign error: %s", got)
	}
}

func TestClassifyContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	<-ctx.Done()
	if r, retry := classify(ctx, &cloud.Error{Code: "Weird"}); r != ReasonDeadlineExceeded || !retry {
		t.Errorf("after the deadline: %s %v", r, retry)
	}
	live := context.Background()
	if r, retry := classify(live, &cloud.Error{Kind: cloud.KindThrottled, Code: "Throttling.User", Retryable: true}); r != ReasonThrottled || !retry {
		t.Errorf("throttled: %s %v", r, retry)
	}
	if r, retry := classify(live, context.DeadlineExceeded); r != ReasonDeadlineExceeded || !retry {
		t.Errorf("wrapped deadline: %s %v", r, retry)
	}
}

// The secondary records an invocation caches are shared by every disk naming them: resolving one
// disk's secondary must hand it a copy, never write to the shared record (a data race when two
// workers fill in the region of a record the API answered without one).
func TestResolveSecondaryLeavesCachedRecord(t *testing.T) {
	e := New(nilAPI{}, Options{Routes: map[string]Route{"cn-hangzhou": {Region: "cn-shanghai"}}})
	r := e.newRun(context.Background(), false)
	cached := &cloud.Disk{ID: "d-s", Status: "Available"} // answered without RegionId
	r.secondaries["cn-shanghai/d-s"] = cached
	d := cloud.Disk{ID: "d-p", RegionID: "cn-hangzhou", Tags: map[string]string{TagSecondaryDisk: "d-s"}}
	plan, res := r.resolveSecondary(context.Background(), &item{diskID: "d-p", region: "cn-hangzhou"}, d)
	if res != nil || plan.disk == nil || plan.disk.RegionID != "cn-shanghai" {
		t.Fatalf("plan %+v, result %+v", plan, res)
	}
	if plan.disk == cached || cached.RegionID != "" {
		t.Errorf("the cached record was handed out and written: %+v", *cached)
	}
}

// nilAPI is a cloud.API that must not be called.
type nilAPI struct{ cloud.API }
