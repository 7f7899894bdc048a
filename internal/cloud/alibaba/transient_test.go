package alibaba

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// Issue 15 item 2: transient network failures are retried inside the call, through the real
// SDK, and a failure that outlasts the retries is retryable.
func TestTransientNetworkFailuresAreRetried(t *testing.T) {
	failures := []struct {
		name string
		err  error
		// neverSent: the request cannot have reached the service, so even a create is retried.
		neverSent bool
	}{
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, true},
		{"dns temporary", &net.DNSError{Err: "server misbehaving", Name: "ecs.cn-hangzhou.aliyuncs.com", IsTemporary: true}, true},
		{"dns no such host", &net.DNSError{Err: "no such host", Name: "ecs.cn-hangzhou.aliyuncs.com", IsNotFound: true}, true},
		{"network unreachable", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ENETUNREACH)}, true},
		{"host unreachable", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}, true},
		{"tls alert", &net.OpError{Op: "remote error", Err: tls.AlertError(80)}, false},
		{"http2 goaway", errors.New("http2: server sent GOAWAY and closed the connection; LastStreamID=1, ErrCode=NO_ERROR"), false},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			f := newWire(t, pairWorld())
			p := f.pool(t, APIEBS)
			var failing atomic.Int32
			dial := p.transport.DialContext
			p.transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				if failing.Add(-1) >= 0 {
					return nil, tc.err
				}
				return dial(ctx, network, addr)
			}
			api := p.Client(testCreds)

			failing.Store(2) // two failed attempts, then the network is back
			if _, err := api.ListPairs(context.Background(), "cn-hangzhou"); err != nil {
				t.Fatalf("a read after 2 transient failures: %v", err)
			}
			failing.Store(2)
			p.transport.CloseIdleConnections()
			if _, err := api.CreatePair(context.Background(), pairInput); err != nil {
				t.Fatalf("a create with a ClientToken after 2 transient failures: %v", err)
			}
			// Without a ClientToken (the legacy family has none) a create is repeated only when
			// the failure kept the request from being sent.
			untokened := pairInput
			untokened.ClientToken, untokened.DiskID, untokened.DestinationDiskID = "", "d-3", "d-4"
			failing.Store(1)
			p.transport.CloseIdleConnections()
			_, err := api.CreatePair(context.Background(), untokened)
			if tc.neverSent && err != nil {
				t.Fatalf("a create after a failure that sent nothing: %v", err)
			}
			if !tc.neverSent && (err == nil || !cloud.IsRetryable(err)) {
				t.Fatalf("a create that may have been sent: %v, want a retryable error for the caller to decide", err)
			}

			failing.Store(1 << 20) // it does not come back within the call
			p.transport.CloseIdleConnections()
			_, err = api.ListPairs(context.Background(), "cn-hangzhou")
			if err == nil || !cloud.IsRetryable(err) {
				t.Fatalf("a lasting %s: %v, want a retryable error", tc.name, err)
			}
			assertNoCredentials(t, err.Error())
		})
	}
}

func TestNonJSON429IsThrottlingAndRetried(t *testing.T) {
	f := newWire(t, nil)
	p := f.pool(t, APIEBS)
	withSeams(p, 0.5)
	f.setIntercept(func(c wireCall, n int) *wireAnswer {
		if n <= 2 {
			return &wireAnswer{status: 429, body: "<html><body>429 Too Many Requests</body></html>"}
		}
		return nil
	})
	if _, err := p.Client(testCreds).ListPairs(context.Background(), "cn-hangzhou"); err != nil {
		t.Fatalf("after two 429s from a gateway: %v", err)
	}
	f.setIntercept(func(wireCall, int) *wireAnswer {
		return &wireAnswer{status: 429, body: "<html><body>429 Too Many Requests</body></html>"}
	})
	_, err := p.Client(testCreds).ListPairs(context.Background(), "cn-hangzhou")
	if err == nil || !cloud.IsRetryable(err) || cloud.KindOf(err) != cloud.KindThrottled {
		t.Fatalf("a lasting 429: %v, want a retryable throttling error", err)
	}
}

// Issue 15 item 7: an endpoint with a password is refused without echoing it, parsed or not.
func TestEndpointPasswordNeverEchoed(t *testing.T) {
	for _, raw := range []string{"http://admin:s3cr%zzet@127.0.0.1:9080", "http://admin:s3cr et@host:9080", "https://admin:s3cret@ecs.aliyuncs.com"} {
		_, err := NewPool(Options{EBSEndpoint: raw})
		if err == nil || strings.Contains(err.Error(), "s3cr") || strings.Contains(err.Error(), "admin") {
			t.Errorf("%q: %v", raw, err)
		}
	}
}
