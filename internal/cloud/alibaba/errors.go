package alibaba

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// Codes this package gives to failures that never got an answer from the service, for people
// reading cloud.Error.Code; decisions go by cloud.Error.Kind. Service codes (Throttling.User,
// OperationDenied, ...) are passed through unchanged.
const (
	codeInvalidInput      = "Client.InvalidInput"      // the caller's arguments were unusable; nothing was sent
	codeInvalidResponse   = "Client.InvalidResponse"   // the service answered 2xx without a field we need
	codeCredentials       = "Client.Credentials"       // no usable credentials
	codeTimeout           = "Client.Timeout"           // connect or read timeout
	codeConnectionReset   = "Client.ConnectionReset"   // connection reset or closed mid-request
	codeConnectionRefused = "Client.ConnectionRefused" // nothing listens at the endpoint
	codeDNS               = "Client.DNS"               // the endpoint's name did not resolve (temporarily, or not yet after a deploy); nothing was sent
	codeUnreachable       = "Client.Unreachable"       // no route to the network or host; nothing was sent
	codeTLS               = "Client.TLS"               // the peer (often a gateway) answered a TLS alert
	codeTransport         = "Client.Transport"         // other transport failure (a certificate not trusted, a proxy, ...)
	codeDeadlineExceeded  = "Client.DeadlineExceeded"  // the context's deadline came before an answer, or left no time for (another) attempt
	codeCanceled          = "Client.Canceled"          // the context was canceled
	codeUnsupported       = "Client.Unsupported"       // the configured API family has no such call; nothing was sent
)

// maxMessageLen bounds messages copied from responses: a proxy in the path may answer with a
// whole HTML page.
const maxMessageLen = 512

// kindForCode says what an Alibaba Cloud error code (platform-facts.md section 3) means. The
// order matters: InvalidAccessKeyId.NotFound is a credentials problem, not a missing resource.
func kindForCode(code string) cloud.Kind {
	has := func(prefixes ...string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(code, p) {
				return true
			}
		}
		return false
	}
	switch {
	case code == "":
		return cloud.KindUnknown
	case strings.Contains(code, "Throttling") || strings.HasSuffix(code, ".LimitedRequest") || code == "HTTP429":
		// Throttling, Throttling.User, Throttling.Api, Rejected.Throttling, ...; a gateway's bare 429
		return cloud.KindThrottled
	case has("Forbidden", "NoPermission") || code == "OperationDenied.NoPermission":
		return cloud.KindDenied
	case strings.Contains(code, "QuotaExceed"):
		return cloud.KindQuotaExceeded
	case has("InvalidAccountStatus"):
		return cloud.KindInsufficientBalance
	case code == "OperationDenied.StandbyDeviceAttached":
		return cloud.KindSecondaryAttached
	case code == "OperationDenied.InvalidStatus" || has("IncorrectDiskStatus", "IncorrectStatus", "InvalidStatus"):
		return cloud.KindInvalidStatus
	case has("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidSecurityToken", "MissingSecurityToken"):
		// Missing, malformed, expired or mismatched keys and STS tokens.
		return cloud.KindCredentials
	case code == "NoSuchResource" || strings.HasSuffix(code, ".NotFound"):
		return cloud.KindNotFound
	case code == "IdempotentParameterMismatch":
		return cloud.KindIdempotencyConflict
	case has("ServiceUnavailable", "InternalError", "RequestTimeout", "HTTP5"):
		return cloud.KindUnavailable
	}
	return cloud.KindUnknown
}

// refusesChargeType tells whether an error of no known kind is about the pair's charge type
// (InvalidParameter.ChargeType, or a message on pay-as-you-go billing): the international site
// sells subscriptions only.
func refusesChargeType(code, message string) bool {
	text := strings.ToLower(code + " " + message)
	return strings.Contains(text, "chargetype") || strings.Contains(text, "postpay") || strings.Contains(text, "postpaid")
}

// retryableCode reports whether a service error code means "try again later". Throttling arrives
// as 400, 403 or 429, so the code decides, not the HTTP status.
func retryableCode(code string) bool {
	switch code {
	case "InternalError", "RequestTimeout", "LastTokenProcessing", "IdempotentProcessing",
		"OperationConflict", "LimitedRequest":
		return true
	}
	return strings.Contains(code, "Throttling") ||
		strings.HasSuffix(code, ".LimitedRequest") ||
		strings.HasPrefix(code, "ServiceUnavailable") ||
		strings.HasPrefix(code, "InternalError.")
}

// classify turns whatever the SDK returned into a sanitized *cloud.Error. secrets are the literal
// values (access key secret, security token, ...) to scrub from every string.
func classify(action string, err error, secrets []string) *cloud.Error {
	if err == nil {
		return nil
	}
	var own *cloud.Error
	if errors.As(err, &own) {
		return own
	}
	out := &cloud.Error{Action: action}
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
		out.Kind = kindForCode(out.Code)
		if out.Kind == cloud.KindUnknown && refusesChargeType(out.Code, out.Message) {
			out.Kind = cloud.KindChargeTypeRefused
		}
		// 429 is flow control whatever the body says (a gateway's is often not JSON at all).
		out.Retryable = retryableCode(out.Code) || out.HTTPStatus >= 500 || out.HTTPStatus == 429
	case errors.As(err, &clientErr):
		out.Code = clientErr.ErrorCode()
		out.Message = clientErr.Message()
		if origin := clientErr.OriginError(); origin != nil {
			t := classifyTransport(origin)
			out.Message += ": " + t.Message
			out.Kind, out.Retryable = t.Kind, t.Retryable
		}
		if out.Code == sdkerrors.TimeoutErrorCode {
			out.Kind, out.Retryable = cloud.KindTimeout, true
		}
	default:
		t := classifyTransport(err)
		out.Kind, out.Code, out.Message, out.Retryable = t.Kind, t.Code, t.Message, t.Retryable
	}
	z := cloud.NewSanitizer(secrets...)
	out.Message = truncate(z.Sanitize(out.Message), maxMessageLen)
	out.RequestID = z.Sanitize(out.RequestID)
	return out
}

// classifyTransport names a failure of the HTTP exchange itself. The message keeps the
// operation and host of a *url.Error but never its query, where the signature lives.
func classifyTransport(err error) *cloud.Error {
	out := &cloud.Error{Kind: cloud.KindTransport, Code: codeTransport}
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
	var dnsErr *net.DNSError
	var alert tls.AlertError
	// Transient failures of the network are retryable: connection refused (an endpoint
	// restarting), DNS (temporary failures, and "no such host" for a while after a deploy),
	// unreachable networks and hosts, TLS alerts from a gateway, HTTP/2 GOAWAY. A certificate
	// the client does not trust is not: it will not change by itself.
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		out.Kind, out.Code, out.Retryable = cloud.KindTimeout, codeTimeout, true
	case errors.As(err, &dnsErr):
		out.Code, out.Retryable = codeDNS, true
	case errors.Is(err, syscall.ECONNREFUSED):
		out.Code, out.Retryable = codeConnectionRefused, true
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		out.Code, out.Retryable = codeUnreachable, true
	case errors.As(err, &alert), strings.Contains(msg, "remote error: tls:"):
		out.Code, out.Retryable = codeTLS, true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		strings.Contains(msg, "server closed idle connection"),
		strings.Contains(msg, "connection reset by peer"),
		strings.Contains(msg, "GOAWAY"): // net/http's bundled HTTP/2 error types are unexported
		out.Code, out.Retryable = codeConnectionReset, true
	}
	return out
}

// neverSent reports whether e is a failure that kept the request from reaching the service
// (nothing listening, a name that did not resolve, no route): repeating it cannot act twice.
func neverSent(e *cloud.Error) bool {
	switch e.Code {
	case codeConnectionRefused, codeDNS, codeUnreachable:
		return true
	}
	return false
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

func inputError(action, format string, args ...any) *cloud.Error {
	return &cloud.Error{Action: action, Kind: cloud.KindInvalidInput, Code: codeInvalidInput, Message: fmt.Sprintf(format, args...)}
}

func contextError(action string, err error) *cloud.Error {
	if errors.Is(err, context.Canceled) {
		return &cloud.Error{Action: action, Kind: cloud.KindCanceled, Code: codeCanceled, Message: "context canceled"}
	}
	return &cloud.Error{Action: action, Kind: cloud.KindDeadline, Code: codeDeadlineExceeded, Retryable: true,
		Message: "no time left before the deadline"}
}

func missingField(action, field, requestID string) *cloud.Error {
	return &cloud.Error{Action: action, Kind: cloud.KindInvalidResponse, Code: codeInvalidResponse, RequestID: requestID,
		Message: "the response has no " + field}
}
