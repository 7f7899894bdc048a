package cloud

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		kind Kind
		retr bool
	}{
		{"nil", nil, KindUnknown, false},
		{"foreign", errors.New("other"), KindUnknown, false},
		{"bare deadline", context.DeadlineExceeded, KindDeadline, true},
		{"bare cancel", context.Canceled, KindCanceled, false},
		{"own", &Error{Kind: KindThrottled, Code: "Throttling.User", Retryable: true}, KindThrottled, true},
		{"own, wrapped", fmt.Errorf("pairing d-1: %w", &Error{Kind: KindNotFound, Code: "InvalidDiskId.NotFound"}), KindNotFound, false},
	} {
		if got := KindOf(tc.err); got != tc.kind {
			t.Errorf("%s: KindOf = %q, want %q", tc.name, got, tc.kind)
		}
		if got := IsRetryable(tc.err); got != tc.retr {
			t.Errorf("%s: IsRetryable = %v, want %v", tc.name, got, tc.retr)
		}
	}
}

// errors.Is finds the context errors and errors.ErrUnsupported through an Error by its Kind, and
// nothing else: whatever the adapter classified stays unreachable.
func TestErrorUnwrapsOnlyByKind(t *testing.T) {
	for _, tc := range []struct {
		kind Kind
		want error
	}{
		{KindDeadline, context.DeadlineExceeded},
		{KindCanceled, context.Canceled},
		{KindUnsupported, errors.ErrUnsupported},
		{KindTransport, nil},
		{KindUnknown, nil},
	} {
		e := &Error{Kind: tc.kind, Code: "X"}
		if got := errors.Unwrap(e); got != tc.want {
			t.Errorf("Kind %q unwraps to %v, want %v", tc.kind, got, tc.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Action: "ebs:CreateDiskReplicaPair", Kind: KindQuotaExceeded, Code: "OperationDenied.QuotaExceed",
		Message: "The quota is exceeded.", HTTPStatus: 403, RequestID: "REQ-1"}
	want := "ebs:CreateDiskReplicaPair: OperationDenied.QuotaExceed: The quota is exceeded. (HTTP 403, RequestId REQ-1)"
	if e.Error() != want {
		t.Fatalf("Error() = %q, want %q", e.Error(), want)
	}
}
