package bench_test

import (
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// A sweep of a few hundred disks through the real adapters, against an emulator that throttles,
// resets connections and drops answers after acting, ends with every disk paired exactly once:
// with its own secondary, started and marked, and no other pair. Retryable failures are left to
// the next sweep, as the timer would; a few sweeps at most are needed. Not timed.
func TestSweepUnderFaultsPairsEachDiskOnce(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 60
	}
	st := sweepWorld(n)
	st.Faults = emulator.Faults{ThrottlePercent: 10, ResetPercent: 5, LostResponsePercent: 3, Seed: 7}
	srv := emutest.Start(t, st)
	pool := newPool(t, srv, 0, cloud.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond})
	e := pairing.New(pool.Client(emulatorCreds()), engineOptions(16))

	const maxSweeps = 4
	sweeps := 0
	for retryable := -1; retryable != 0; sweeps++ {
		if sweeps == maxSweeps {
			t.Fatalf("%d disks still failed retryably after %d sweeps", retryable, sweeps)
		}
		results, err := e.Sweep(withTimeout(t, time.Minute), []string{src})
		if err != nil && !cloud.IsRetryable(err) {
			t.Fatalf("sweep %d: %v", sweeps+1, err)
		}
		retryable = 0
		if err != nil {
			retryable = -1 // the listing failed: sweep again
		}
		outcomes := map[string]int{}
		for _, r := range results {
			outcomes[string(r.Outcome)+"/"+r.Reason]++
			switch {
			case r.Outcome == pairing.Paired || r.Outcome == pairing.AlreadyPaired:
			case r.Outcome == pairing.Failed && r.Retryable:
				retryable++
			default:
				t.Errorf("sweep %d: %s %s/%s: %s", sweeps+1, r.DiskID, r.Outcome, r.Reason, r.Message)
			}
		}
		t.Logf("sweep %d: %d results %v, listing error %v", sweeps+1, len(results), outcomes, err)
	}
	if problems := pairCheck(srv.Snapshot(), n); len(problems) > 0 {
		for _, p := range problems[:min(len(problems), 10)] {
			t.Error(p)
		}
		t.Fatalf("%d problems", len(problems))
	}
	c := srv.Calls()
	t.Logf("%d disks paired exactly once in %d sweeps; %d calls (%.2f per disk), errors answered %v",
		n, sweeps, totalCalls(c), float64(totalCalls(c))/float64(n), c.Errors)
	if c.Errors["Throttling.User"] == 0 {
		t.Error("no call was throttled: the faults did not apply")
	}
}
