package cloud

import (
	"context"
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
	}{
		{"throttling as 400", serverError(400, "Throttling", "Request was denied due to request throttling."), "Throttling", 400, true},
		{"user throttling as 429", serverError(429, "Throttling.User", "flow control"), "Throttling.User", 429, true},
		{"api throttling as 403", serverError(403, "Throttling.Api", "flow control"), "Throttling.Api", 403, true},
		{"limited request", serverError(429, "BLOCK.LimitedRequest", "blocked"), "BLOCK.LimitedRequest", 429, true},
		{"service unavailable", serverError(503, "ServiceUnavailable", "try later"), "ServiceUnavailable", 503, true},
		{"service unavailable variant", serverError(503, "ServiceUnavailable.Busy", "busy"), "ServiceUnavailable.Busy", 503, true},
		{"internal error", serverError(500, "InternalError", "oops"), "InternalError", 500, true},
		{"request timeout", serverError(504, "RequestTimeout", "slow"), "RequestTimeout", 504, true},
		{"last token processing as 403", serverError(403, "LastTokenProcessing", "in flight"), "LastTokenProcessing", 403, true},
		{"idempotent processing", serverError(403, "IdempotentProcessing", "in flight"), "IdempotentProcessing", 403, true},
		{"operation conflict", serverError(409, "OperationConflict", "busy"), "OperationConflict", 409, true},
		{"unknown 5xx code", serverError(502, "UnknownError", "x"), "UnknownError", 502, true},
		{"non-JSON 502", sdkerrors.NewServerError(502, "<html>Bad Gateway</html>", ""), "HTTP502", 502, true},
		{"quota", serverError(403, "OperationDenied.QuotaExceed", "quota"), "OperationDenied.QuotaExceed", 403, false},
		{"forbidden", serverError(403, "Forbidden.RAM", "no permission"), "Forbidden.RAM", 403, false},
		{"standby attached", serverError(400, "OperationDenied.StandbyDeviceAttached", "attached"), "OperationDenied.StandbyDeviceAttached", 400, false},
		{"idempotent mismatch", serverError(400, "IdempotentParameterMismatch", "mismatch"), "IdempotentParameterMismatch", 400, false},
		{"not found", serverError(404, "InvalidDiskId.NotFound", "no disk"), "InvalidDiskId.NotFound", 404, false},
		{"bad key", serverError(404, "InvalidAccessKeyId.NotFound", "no key"), "InvalidAccessKeyId.NotFound", 404, false},
		{"signature", serverError(400, "SignatureDoesNotMatch", "bad signature"), "SignatureDoesNotMatch", 400, false},
		{"reset", transportError(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), CodeConnectionReset, 0, true},
		{"EOF", transportError(io.EOF), CodeConnectionReset, 0, true},
		{"unexpected EOF", transportError(io.ErrUnexpectedEOF), CodeConnectionReset, 0, true},
		{"net timeout", transportError(timeoutErr{}), CodeTimeout, 0, true},
		{"refused", transportError(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), CodeConnectionRefused, 0, false},
		{"dns", transportError(&net.DNSError{Err: "no such host", Name: "ebs.xx.aliyuncs.com", IsNotFound: true}), CodeTransport, 0, false},
		{"sdk timeout", sdkerrors.NewClientError(sdkerrors.TimeoutErrorCode, "timed out", transportError(timeoutErr{})), sdkerrors.TimeoutErrorCode, 0, true},
		{"sdk endpoint", sdkerrors.NewClientError(sdkerrors.CanNotResolveEndpointErrorCode, "no endpoint", nil), sdkerrors.CanNotResolveEndpointErrorCode, 0, false},
		{"sdk client error wrapping reset", sdkerrors.NewClientError("SDK.ClientError", "x", transportError(io.EOF)), "SDK.ClientError", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := classify("ecs:DescribeDisks", tt.err, nil)
			if e.Code != tt.code || e.HTTPStatus != tt.status || e.Retryable != tt.retryable {
				t.Fatalf("classify = code %q status %d retryable %v, want %q %d %v (%s)",
					e.Code, e.HTTPStatus, e.Retryable, tt.code, tt.status, tt.retryable, e)
			}
			if Code(e) != tt.code || IsRetryable(e) != tt.retryable {
				t.Fatalf("Code/IsRetryable disagree with the fields: %q %v", Code(e), IsRetryable(e))
			}
			wrapped := fmt.Errorf("pairing d-1: %w", e)
			if Code(wrapped) != tt.code || IsRetryable(wrapped) != tt.retryable {
				t.Fatalf("Code/IsRetryable do not see through wrapping")
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
	if d.Code != CodeDeadlineExceeded || !d.Retryable || !errors.Is(d, context.DeadlineExceeded) {
		t.Fatalf("deadline: %+v", d)
	}
	c := contextError("ecs:CreateDisk", context.Canceled)
	if c.Code != CodeCanceled || c.Retryable || !errors.Is(c, context.Canceled) {
		t.Fatalf("canceled: %+v", c)
	}
	if Code(context.DeadlineExceeded) != CodeDeadlineExceeded || !IsRetryable(context.DeadlineExceeded) {
		t.Fatalf("bare context errors are not classified")
	}
	if Code(errors.New("other")) != "" || IsRetryable(errors.New("other")) || Code(nil) != "" {
		t.Fatalf("foreign errors must have no code and not be retryable")
	}
}
