package pairing

import (
	"context"
	"regexp"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

func TestTokens(t *testing.T) {
	ascii := regexp.MustCompile(`^[\x21-\x7e]{1,64}$`)
	a := pairToken("cn-hangzhou", "d-1", "cn-shanghai", "d-2")
	for _, tok := range []string{a, startToken("pair-1"),
		secondaryToken("cn-hangzhou", "d-1", cloud.CreateDiskInput{RegionID: "cn-shanghai", Size: 20})} {
		if !ascii.MatchString(tok) {
			t.Errorf("token %q is not 1-64 printable ASCII", tok)
		}
	}
	if a != pairToken("cn-hangzhou", "d-1", "cn-shanghai", "d-2") {
		t.Error("pair token is not deterministic")
	}
	for _, other := range []string{
		pairToken("cn-hangzhou", "d-1", "cn-shanghai", "d-3"),
		pairToken("cn-hangzhou", "d-1", "cn-beijing", "d-2"),
		pairToken("cn-hangzhou", "d-9", "cn-shanghai", "d-2"),
		pairToken("cn-hangzhou", "d-1c", "n-shanghai", "d-2"), // field boundaries matter
	} {
		if other == a {
			t.Errorf("different changes share token %s", a)
		}
	}
}

func TestReasonForCode(t *testing.T) {
	for code, want := range map[string]string{
		"Throttling.User":                       ReasonThrottled,
		"Throttling":                            ReasonThrottled,
		"BLOCK.LimitedRequest":                  ReasonThrottled,
		"Forbidden.RAM":                         ReasonPermissionDenied,
		"NoPermission":                          ReasonPermissionDenied,
		"OperationDenied.QuotaExceed":           ReasonQuotaExceeded,
		"InvalidAccountStatus.NotEnoughBalance": ReasonInsufficientBalance,
		"OperationDenied.StandbyDeviceAttached": ReasonSecondaryAttached,
		"OperationDenied.InvalidStatus":         ReasonInvalidStatus,
		"IncorrectDiskStatus":                   ReasonInvalidStatus,
		"NoSuchResource":                        ReasonNotFound,
		"InvalidDiskId.NotFound":                ReasonNotFound,
		"InvalidAccessKeyId.NotFound":           ReasonCredentials,
		"IdempotentParameterMismatch":           ReasonIdempotencyConflict,
		"ServiceUnavailable":                    ReasonUnavailable,
		"InternalError":                         ReasonUnavailable,
		"HTTP502":                               ReasonUnavailable,
		cloud.CodeTimeout:                       ReasonNetwork,
		cloud.CodeCredentials:                   ReasonCredentials,
		"OperationDenied":                       ReasonAPIError,
		"":                                      ReasonAPIError,
	} {
		if got := reasonForCode(code); got != want {
			t.Errorf("reasonForCode(%q) = %s, want %s", code, got, want)
		}
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
	if r, retry := classify(live, &cloud.Error{Code: "Throttling.User", Retryable: true}); r != ReasonThrottled || !retry {
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
