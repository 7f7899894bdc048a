// Package backoff paces waits and retries: the delays of an exponential backoff, and a sleep that
// ends with its context. The engine (waiting for disks and pairs to settle) and the SDK adapter
// (retrying throttled or failed calls) share it.
package backoff

import (
	"context"
	"time"
)

// Delay returns the n-th delay (n from 1) of an exponential backoff: first, doubled for each
// later n, capped at limit. A first that is not positive gives limit. It cannot overflow.
func Delay(first, limit time.Duration, n int) time.Duration {
	if first <= 0 {
		return limit
	}
	d := first
	for i := 1; i < n && d < limit; i++ {
		if d > limit/2 {
			return limit
		}
		d *= 2
	}
	return min(d, limit)
}

// Sleep waits d, or until ctx ends. It returns ctx.Err() when ctx ended first, and nil when d has
// passed; a d that is not positive returns ctx.Err() at once.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
