package alibaba

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

func serverError(status int, code, message string) error {
	body := fmt.Sprintf(`{"RequestId":"REQ-1","HostId":"ecs.aliyuncs.com","Code":%q,"Message":%q,"Recommend":"https://api.aliyun.com/troubleshoot"}`, code, message)
	return sdkerrors.NewServerError(status, body, "")
}

// signedURL is what the SDK puts into transport errors: the whole signed query.
const signedURL = "https://ecs.cn-hangzhou.aliyuncs.com/?AccessKeyId=LTAI5tTestKeyId&Action=DescribeDisks" +
	"&SecurityToken=CAIS%2BtestToken%2F%3D%3D&Signature=abcDEF%2Bsig%3D&SignatureMethod=HMAC-SHA1"

func transportError(inner error) error {
	return &url.Error{Op: "Post", URL: signedURL, Err: inner}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		code      string
		status    int
		retryable bool
		kind      cloud.Kind
	}{
		{"throttling as 400", serverError(400, "Throttling", "Request was denied due to request throttling."), "Throttling", 400, true, cloud.KindThrottled},
		{"user throttling as 429", serverError(429, "Throttling.User", "flow control"), "Throttling.User", 429, true, cloud.KindThrottled},
		{"api throttling as 403", serverError(403, "Throttling.Api", "flow control"), "Throttling.Api", 403, true, cloud.KindThrottled},
		{"limited request", serverError(429, "BLOCK.LimitedRequest", "blocked"), "BLOCK.LimitedRequest", 429, true, cloud.KindThrottled},
		{"service unavailable", serverError(503, "ServiceUnavailable", "try later"), "ServiceUnavailable", 503, true, cloud.KindUnavailable},
		{"service unavailable variant", serverError(503, "ServiceUnavailable.Busy", "busy"), "ServiceUnavailable.Busy", 503, true, cloud.KindUnavailable},
		{"internal error", serverError(500, "InternalError", "oops"), "InternalError", 500, true, cloud.KindUnavailable},
		{"request timeout", serverError(504, "RequestTimeout", "slow"), "RequestTimeout", 504, true, cloud.KindUnavailable},
		{"last token processing as 403", serverError(403, "LastTokenProcessing", "in flight"), "LastTokenProcessing", 403, true, cloud.KindUnknown},
		{"idempotent processing", serverError(403, "IdempotentProcessing", "in flight"), "IdempotentProcessing", 403, true, cloud.KindUnknown},
		{"operation conflict", serverError(409, "OperationConflict", "busy"), "OperationConflict", 409, true, cloud.KindUnknown},
		{"unknown 5xx code", serverError(502, "UnknownError", "x"), "UnknownError", 502, true, cloud.KindUnknown},
		{"non-JSON 502", sdkerrors.NewServerError(502, "<html>Bad Gateway</html>", ""), "HTTP502", 502, true, cloud.KindUnavailable},
		{"quota", serverError(403, "OperationDenied.QuotaExceed", "quota"), "OperationDenied.QuotaExceed", 403, false, cloud.KindQuotaExceeded},
		{"forbidden", serverError(403, "Forbidden.RAM", "no permission"), "Forbidden.RAM", 403, false, cloud.KindDenied},
		{"standby attached", serverError(400, "OperationDenied.StandbyDeviceAttached", "attached"), "OperationDenied.StandbyDeviceAttached", 400, false, cloud.KindSecondaryAttached},
		{"idempotent mismatch", serverError(400, "IdempotentParameterMismatch", "mismatch"), "IdempotentParameterMismatch", 400, false, cloud.KindIdempotencyConflict},
		{"not found", serverError(404, "InvalidDiskId.NotFound", "no disk"), "InvalidDiskId.NotFound", 404, false, cloud.KindNotFound},
		{"bad key", serverError(404, "InvalidAccessKeyId.NotFound", "no key"), "InvalidAccessKeyId.NotFound", 404, false, cloud.KindCredentials},
		{"signature", serverError(400, "SignatureDoesNotMatch", "bad signature"), "SignatureDoesNotMatch", 400, false, cloud.KindCredentials},
		{"reset", transportError(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), codeConnectionReset, 0, true, cloud.KindTransport},
		{"EOF", transportError(io.EOF), codeConnectionReset, 0, true, cloud.KindTransport},
		{"unexpected EOF", transportError(io.ErrUnexpectedEOF), codeConnectionReset, 0, true, cloud.KindTransport},
		{"net timeout", transportError(timeoutErr{}), codeTimeout, 0, true, cloud.KindTimeout},
		// Transient network failures (issue 15): retryable.
		{"refused", transportError(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), codeConnectionRefused, 0, true, cloud.KindTransport},
		{"dns no such host", transportError(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "ebs.xx.aliyuncs.com", IsNotFound: true}}), codeDNS, 0, true, cloud.KindTransport},
		{"dns temporary", transportError(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "server misbehaving", Name: "ecs.cn-hangzhou.aliyuncs.com", IsTemporary: true}}), codeDNS, 0, true, cloud.KindTransport},
		{"network unreachable", transportError(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ENETUNREACH)}), codeUnreachable, 0, true, cloud.KindTransport},
		{"host unreachable", transportError(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}), codeUnreachable, 0, true, cloud.KindTransport},
		{"tls alert", transportError(&net.OpError{Op: "remote error", Err: tls.AlertError(80)}), codeTLS, 0, true, cloud.KindTransport},
		{"tls alert as text", transportError(errors.New("remote error: tls: handshake failure")), codeTLS, 0, true, cloud.KindTransport},
		{"http2 goaway", transportError(errors.New("http2: server sent GOAWAY and closed the connection; LastStreamID=1, ErrCode=NO_ERROR, debug=\"\"")), codeConnectionReset, 0, true, cloud.KindTransport},
		{"non-JSON 429 from a gateway", sdkerrors.NewServerError(429, "<html>Too Many Requests</html>", ""), "HTTP429", 429, true, cloud.KindThrottled},
		{"untrusted certificate", transportError(&tls.CertificateVerificationError{Err: errors.New("x509: certificate signed by unknown authority")}), codeTransport, 0, false, cloud.KindTransport},
		{"sdk timeout", sdkerrors.NewClientError(sdkerrors.TimeoutErrorCode, "timed out", transportError(timeoutErr{})), sdkerrors.TimeoutErrorCode, 0, true, cloud.KindTimeout},
		{"sdk endpoint", sdkerrors.NewClientError(sdkerrors.CanNotResolveEndpointErrorCode, "no endpoint", nil), sdkerrors.CanNotResolveEndpointErrorCode, 0, false, cloud.KindUnknown},
		{"rejected throttling", serverError(400, "Rejected.Throttling", "slow down"), "Rejected.Throttling", 400, true, cloud.KindThrottled},
		{"missing STS token", serverError(400, "MissingSecurityToken", "no token"), "MissingSecurityToken", 400, false, cloud.KindCredentials},
		{"invalid status", serverError(403, "OperationDenied.InvalidStatus", "creating"), "OperationDenied.InvalidStatus", 403, false, cloud.KindInvalidStatus},
		{"incorrect disk status", serverError(403, "IncorrectDiskStatus", "creating"), "IncorrectDiskStatus", 403, false, cloud.KindInvalidStatus},
		{"no such resource", serverError(404, "NoSuchResource", "gone"), "NoSuchResource", 404, false, cloud.KindNotFound},
		{"balance", serverError(403, "InvalidAccountStatus.NotEnoughBalance", "pay"), "InvalidAccountStatus.NotEnoughBalance", 403, false, cloud.KindInsufficientBalance},
		{"no permission", serverError(403, "NoPermission", "denied"), "NoPermission", 403, false, cloud.KindDenied},
		{"operation denied", serverError(403, "OperationDenied", "no"), "OperationDenied", 403, false, cloud.KindUnknown},
		{"charge type refused", serverError(400, "InvalidParameter.ChargeType", "POSTPAY is not supported"), "InvalidParameter.ChargeType", 400, false, cloud.KindChargeTypeRefused},
		{"pay-as-you-go refused", serverError(400, "InvalidParameter", "Postpaid billing is not available"), "InvalidParameter", 400, false, cloud.KindChargeTypeRefused},
		{"sdk client error wrapping reset", sdkerrors.NewClientError("SDK.ClientError", "x", transportError(io.EOF)), "SDK.ClientError", 0, true, cloud.KindTransport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := classify("ecs:DescribeDisks", tt.err, nil)
			if e.Code != tt.code || e.HTTPStatus != tt.status || e.Retryable != tt.retryable || e.Kind != tt.kind {
				t.Fatalf("classify = code %q status %d retryable %v kind %q, want %q %d %v %q (%s)",
					e.Code, e.HTTPStatus, e.Retryable, e.Kind, tt.code, tt.status, tt.retryable, tt.kind, e)
			}
			wrapped := fmt.Errorf("pairing d-1: %w", e)
			if cloud.KindOf(wrapped) != tt.kind || cloud.IsRetryable(wrapped) != tt.retryable {
				t.Fatalf("cloud.KindOf/IsRetryable do not see through wrapping: %q %v", cloud.KindOf(wrapped), cloud.IsRetryable(wrapped))
			}
			assertNoCredentials(t, e.Error())
		})
	}
}

func TestServerErrorFields(t *testing.T) {
	e := classify("ebs:CreateDiskReplicaPair", serverError(403, "OperationDenied.QuotaExceed", "The quota is exceeded."), nil)
	if e.RequestID != "REQ-1" || e.Message != "The quota is exceeded." || e.Action != "ebs:CreateDiskReplicaPair" {
		t.Fatalf("fields not carried over: %+v", e)
	}
	want := "ebs:CreateDiskReplicaPair: OperationDenied.QuotaExceed: The quota is exceeded. (HTTP 403, RequestId REQ-1)"
	if e.Error() != want {
		t.Fatalf("Error() = %q, want %q", e.Error(), want)
	}
}

func TestTransportErrorKeepsHostDropsQuery(t *testing.T) {
	e := classify("ecs:DescribeDisks", transportError(io.EOF), []string{"CAIS+testToken/=="})
	if !strings.Contains(e.Message, "https://ecs.cn-hangzhou.aliyuncs.com") {
		t.Fatalf("message lost the host: %q", e.Message)
	}
	if strings.Contains(e.Message, "?") || strings.Contains(e.Message, "Action=") {
		t.Fatalf("message kept the query: %q", e.Message)
	}
	if errors.Unwrap(e) != nil {
		t.Fatalf("a transport error must not be reachable through Unwrap")
	}
}

func TestLongMessagesAreTruncated(t *testing.T) {
	e := classify("ecs:DescribeDisks", sdkerrors.NewServerError(502, strings.Repeat("é", 2000), ""), nil)
	if len(e.Message) > maxMessageLen+3 {
		t.Fatalf("message is %d bytes", len(e.Message))
	}
	if !strings.HasSuffix(e.Message, "...") || !utf8Valid(e.Message) {
		t.Fatalf("bad truncation: %q", e.Message[len(e.Message)-10:])
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func TestContextErrors(t *testing.T) {
	d := contextError("ecs:CreateDisk", context.DeadlineExceeded)
	if d.Code != codeDeadlineExceeded || d.Kind != cloud.KindDeadline || !d.Retryable || !errors.Is(d, context.DeadlineExceeded) {
		t.Fatalf("deadline: %+v", d)
	}
	c := contextError("ecs:CreateDisk", context.Canceled)
	if c.Code != codeCanceled || c.Kind != cloud.KindCanceled || c.Retryable || !errors.Is(c, context.Canceled) {
		t.Fatalf("canceled: %+v", c)
	}
}
