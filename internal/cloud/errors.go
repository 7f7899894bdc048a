package cloud

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

// Codes this package gives to failures that never got an answer from the service. Service
// codes (Throttling.User, OperationDenied, ...) are passed through unchanged.
const (
	CodeInvalidInput      = "Client.InvalidInput"      // the caller's arguments were unusable; nothing was sent
	CodeInvalidResponse   = "Client.InvalidResponse"   // the service answered 2xx without a field we need
	CodeCredentials       = "Client.Credentials"       // no usable credentials
	CodeTimeout           = "Client.Timeout"           // connect or read timeout
	CodeConnectionReset   = "Client.ConnectionReset"   // connection reset or closed mid-request
	CodeConnectionRefused = "Client.ConnectionRefused" // nothing listens at the endpoint
	CodeTransport         = "Client.Transport"         // other transport failure (DNS, TLS, proxy, ...)
	CodeDeadlineExceeded  = "Client.DeadlineExceeded"  // the context's deadline came before an answer, or left no time for (another) attempt
	CodeCanceled          = "Client.Canceled"          // the context was canceled
	CodeUnsupported       = "Client.Unsupported"       // the configured API family has no such call; nothing was sent
)

// maxMessageLen bounds messages copied from responses: a proxy in the path may answer with a
// whole HTML page.
const maxMessageLen = 512

// Error is the one error type the adapters return. Every string in it has been sanitized.
type Error struct {
	Action     string // RAM-style action, e.g. "ebs:CreateDiskReplicaPair"
	Code       string // the service's error code, or one of the Code* constants above
	Message    string
	RequestID  string
	HTTPStatus int  // 0 when no response was received
	Retryable  bool // a later attempt may succeed (throttling, unavailability, lost connections)

	cause error // only context errors and errors.ErrUnsupported, so that errors.Is works on them
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

// Unwrap exposes context.DeadlineExceeded / context.Canceled / errors.ErrUnsupported and nothing else: SDK errors
// carry request URLs with credentials and must not be reachable from outside.
func (e *Error) Unwrap() error { return e.cause }

// Code returns the error code of err: the service's code for service errors, a Code* constant for
// local failures, "" for nil or errors that did not come from this package.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return CodeDeadlineExceeded
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	}
	return ""
}

// IsRetryable reports whether a later attempt of the same call may succeed.
func IsRetryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// retryableCode reports whether a service error code means "try again later". Throttling arrives
// as 400, 403 or 429, so the code decides, not the HTTP status.
func retryableCode(code string) bool {
	switch code {
	case "InternalError", "RequestTimeout", "LastTokenProcessing", "IdempotentProcessing",
		"OperationConflict", "LimitedRequest":
		return true
	}
	return strings.HasPrefix(code, "Throttling") ||
		strings.HasSuffix(code, ".LimitedRequest") ||
		strings.HasPrefix(code, "ServiceUnavailable") ||
		strings.HasPrefix(code, "InternalError.")
}

// classify turns whatever the SDK returned into a sanitized *Error. secrets are the literal values
// (access key secret, security token, ...) to scrub from every string.
func classify(action string, err error, secrets []string) *Error {
	if err == nil {
		return nil
	}
	var own *Error
	if errors.As(err, &own) {
		return own
	}
	out := &Error{Action: action}
	var serverErr *sdkerrors.ServerError
	var clientErr *sdkerrors.ClientError
	switch {
	case errors.As(err, &serverErr):
		out.HTTPStatus = serverErr.HttpStatus()
		out.Code = serverErr.ErrorCode()
		out.RequestID = serverErr.RequestId()
		out.Message = serverErr.Message()
		if out.Code == "" {
			// Not an OpenAPI error body (a proxy, a load balancer): name it by its status.
			out.Code = fmt.Sprintf("HTTP%d", out.HTTPStatus)
		}
		out.Retryable = retryableCode(out.Code) || out.HTTPStatus >= 500
	case errors.As(err, &clientErr):
		out.Code = clientErr.ErrorCode()
		out.Message = clientErr.Message()
		if origin := clientErr.OriginError(); origin != nil {
			t := classifyTransport(origin)
			out.Message += ": " + t.Message
			out.Retryable = t.Retryable
		}
		if out.Code == sdkerrors.TimeoutErrorCode {
			out.Retryable = true
		}
	default:
		t := classifyTransport(err)
		out.Code, out.Message, out.Retryable = t.Code, t.Message, t.Retryable
	}
	z := NewSanitizer(secrets...)
	out.Message = truncate(z.Sanitize(out.Message), maxMessageLen)
	out.RequestID = z.Sanitize(out.RequestID)
	return out
}

// classifyTransport names a failure of the HTTP exchange itself. The message keeps the
// operation and host of a *url.Error but never its query, where the signature lives.
func classifyTransport(err error) *Error {
	out := &Error{Code: CodeTransport}
	msg := err.Error()
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		host := ""
		if u, perr := url.Parse(urlErr.URL); perr == nil {
			host = u.Scheme + "://" + u.Host
		}
		msg = fmt.Sprintf("%s %s: %v", urlErr.Op, host, urlErr.Err)
	}
	out.Message = msg
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		out.Code, out.Retryable = CodeTimeout, true
	case errors.Is(err, syscall.ECONNREFUSED):
		out.Code = CodeConnectionRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		strings.Contains(msg, "server closed idle connection"),
		strings.Contains(msg, "connection reset by peer"):
		out.Code, out.Retryable = CodeConnectionReset, true
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "..."
}

func inputError(action, format string, args ...any) *Error {
	return &Error{Action: action, Code: CodeInvalidInput, Message: fmt.Sprintf(format, args...)}
}

func contextError(action string, err error) *Error {
	if errors.Is(err, context.Canceled) {
		return &Error{Action: action, Code: CodeCanceled, Message: "context canceled", cause: context.Canceled}
	}
	return &Error{Action: action, Code: CodeDeadlineExceeded, Retryable: true,
		Message: "no time left before the deadline", cause: context.DeadlineExceeded}
}
