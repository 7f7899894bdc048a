package pairing

import (
	"context"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// A read timed out by the HTTP client's timer set to the time left is the deadline, even when
// the context has not reported it yet; a timeout with time to spare is a network error.
func TestClassifyTimeoutAtDeadline(t *testing.T) {
	timeout := &cloud.Error{Action: "ecs:DescribeDisks", Kind: cloud.KindTimeout, Code: "Client.Timeout", Retryable: true}

	// The deadline is now: the context's timer may not have fired yet.
	atDeadline, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Millisecond))
	defer cancel()
	if reason, retryable := classify(atDeadline, timeout); reason != ReasonDeadlineExceeded || !retryable {
		t.Errorf("timeout at the deadline: %s retryable=%v, want %s retryable", reason, retryable, ReasonDeadlineExceeded)
	}

	early, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if reason, retryable := classify(early, timeout); reason != ReasonNetwork || !retryable {
		t.Errorf("timeout a minute before the deadline: %s retryable=%v, want %s retryable", reason, retryable, ReasonNetwork)
	}
	if reason, _ := classify(context.Background(), timeout); reason != ReasonNetwork {
		t.Errorf("timeout without a deadline: %s, want %s", reason, ReasonNetwork)
	}
}
