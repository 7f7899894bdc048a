package backoff

import (
	"context"
	"errors"
	"math"
	"testing"
	"testing/synctest"
	"time"
)

func TestDelay(t *testing.T) {
	const ms = time.Millisecond
	for _, tc := range []struct {
		first, limit time.Duration
		n            int
		want         time.Duration
	}{
		{200 * ms, 5 * time.Second, 1, 200 * ms},
		{200 * ms, 5 * time.Second, 2, 400 * ms},
		{200 * ms, 5 * time.Second, 5, 3200 * ms},
		{200 * ms, 5 * time.Second, 6, 5 * time.Second},
		{200 * ms, 5 * time.Second, 1000, 5 * time.Second},
		{50 * ms, 400 * ms, 4, 400 * ms}, // the engine's 8x cap
		{50 * ms, 400 * ms, 0, 50 * ms},  // before the first: the first
		{0, time.Second, 3, time.Second},
		{time.Second, math.MaxInt64, 100, math.MaxInt64}, // no overflow
		{3 * time.Second, 2 * time.Second, 1, 2 * time.Second},
	} {
		if got := Delay(tc.first, tc.limit, tc.n); got != tc.want {
			t.Errorf("Delay(%v, %v, %d) = %v, want %v", tc.first, tc.limit, tc.n, got, tc.want)
		}
	}
}

func TestSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if err := Sleep(context.Background(), time.Minute); err != nil || time.Since(start) != time.Minute {
			t.Errorf("Sleep(1m) = %v after %v", err, time.Since(start))
		}

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start = time.Now()
		if err := Sleep(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Second {
			t.Errorf("Sleep past the deadline = %v after %v", err, time.Since(start))
		}
		if err := Sleep(ctx, 0); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Sleep(0) on an ended context = %v", err)
		}
		if err := Sleep(context.Background(), -time.Second); err != nil {
			t.Errorf("Sleep(-1s) = %v", err)
		}
	})
}
