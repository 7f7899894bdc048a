package cloud

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Kind is what an Error means to the engine, whatever the service called it. The adapter sets it
// from the service's error code (or the failure that kept an answer from arriving), so the engine
// maps kinds to its reasons and never reads a provider's error codes.
type Kind string

const (
	KindUnknown             Kind = ""                     // none of the below
	KindThrottled           Kind = "throttled"            // flow control: slow down and retry
	KindUnavailable         Kind = "unavailable"          // the service failed (5xx, InternalError, ServiceUnavailable, ...)
	KindNotFound            Kind = "not_found"            // a resource the call names does not exist
	KindDenied              Kind = "denied"               // the caller lacks the permission (RAM)
	KindQuotaExceeded       Kind = "quota_exceeded"       // a quota of the account is used up
	KindInsufficientBalance Kind = "insufficient_balance" // the account cannot pay
	KindInvalidStatus       Kind = "invalid_status"       // a resource is not in a state that allows the call (yet)
	KindSecondaryAttached   Kind = "secondary_attached"   // a pair cannot start: its secondary disk is attached
	KindIdempotencyConflict Kind = "idempotency_conflict" // a ClientToken came back with other parameters
	KindChargeTypeRefused   Kind = "charge_type_refused"  // the service does not sell the charge type asked for (here)
	KindCredentials         Kind = "credentials"          // credentials missing, unusable or refused
	KindInvalidInput        Kind = "invalid_input"        // the adapter refused the arguments; nothing was sent
	KindInvalidResponse     Kind = "invalid_response"     // the service answered 2xx without what the call needs
	KindTimeout             Kind = "timeout"              // connect or read timeout of one attempt
	KindTransport           Kind = "transport"            // connection refused or reset, DNS, TLS, proxy, ...
	KindDeadline            Kind = "deadline"             // the context's deadline came first (errors.Is context.DeadlineExceeded)
	KindCanceled            Kind = "canceled"             // the context was canceled (errors.Is context.Canceled)
	KindUnsupported         Kind = "unsupported"          // the configured API family has no such call (errors.Is errors.ErrUnsupported)
)

// Error is the one error type implementations of API return. Every string in it has been
// sanitized.
type Error struct {
	Action     string // RAM-style action, e.g. "ebs:CreateDiskReplicaPair"
	Kind       Kind
	Code       string // the service's error code, or the adapter's name for a local failure: for people, not for decisions
	Message    string
	RequestID  string
	HTTPStatus int  // 0 when no response was received
	Retryable  bool // a later attempt may succeed (throttling, unavailability, lost connections)
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Action != "" {
		b.WriteString(e.Action)
		b.WriteString(": ")
	}
	b.WriteString(e.Code)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	var details []string
	if e.HTTPStatus != 0 {
		details = append(details, fmt.Sprintf("HTTP %d", e.HTTPStatus))
	}
	if e.RequestID != "" {
		details = append(details, "RequestId "+e.RequestID)
	}
	if len(details) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(details, ", "))
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap exposes context.DeadlineExceeded, context.Canceled or errors.ErrUnsupported, by Kind,
// and nothing else: the SDK's errors carry request URLs with credentials and must not be reachable.
func (e *Error) Unwrap() error {
	switch e.Kind {
	case KindDeadline:
		return context.DeadlineExceeded
	case KindCanceled:
		return context.Canceled
	case KindUnsupported:
		return errors.ErrUnsupported
	}
	return nil
}

// KindOf returns the Kind of err: an *Error's own, KindDeadline or KindCanceled for the context
// errors, KindUnknown for nil and anything else.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return KindDeadline
	case errors.Is(err, context.Canceled):
		return KindCanceled
	}
	return KindUnknown
}

// IsRetryable reports whether a later attempt of the same call may succeed.
func IsRetryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable
	}
	return errors.Is(err, context.DeadlineExceeded)
}
