package bench_test

import (
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/cloud/alibaba"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// A sweep of a few hundred disks through the real adapters, against an emulator that throttles,
// resets connections and drops answers after acting, ends with every disk paired exactly once:
// with its own secondary, started and marked, and no other pair. Retryable failures are left to
// the next sweep, as the timer would; a few sweeps at most are needed. Not timed.
func TestSweepUnderFaultsPairsEachDiskOnce(t *testing.T) {
	t.Parallel()
	n := 300
	if testing.Short() {
		n = 60
	}
	st := sweepWorld(n)
	st.Faults = emulator.Faults{ThrottlePercent: 10, ResetPercent: 5, LostResponsePercent: 3, Seed: 7}
	srv := emutest.Start(t, st)
	pool := newPool(t, srv, 0, alibaba.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond})
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
		n, sweeps, c.Total(), float64(c.Total())/float64(n), c.Errors)
	if c.Errors["Throttling.User"] == 0 {
		t.Error("no call was throttled: the faults did not apply")
	}

	// Level-triggered: once everything is paired, a sweep only lists.
	srv.SetFaults(emulator.Faults{})
	before := srv.Calls().Calls
	results, err := e.Sweep(withTimeout(t, time.Minute), []string{src})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Outcome != pairing.AlreadyPaired {
			t.Errorf("steady-state sweep: %s %s/%s: %s", r.DiskID, r.Outcome, r.Reason, r.Message)
		}
	}
	calls := map[string]int{}
	for action, v := range srv.Calls().Calls {
		if d := v - before[action]; d > 0 {
			calls[action] = d
		}
	}
	for action := range calls {
		if action != "ecs/DescribeDisks" && action != "ebs/DescribeDiskReplicaPairs" {
			t.Errorf("steady-state sweep called %s", action)
		}
	}
	t.Logf("steady-state sweep of %d paired disks: %v", n, calls)
}

// A sweep cut by its deadline, through the real adapters: every disk it listed and did not
// finish is reported retryable; the next sweep pairs the rest, paying changing calls only for
// them, and every disk ends paired exactly once. Not timed: how many disks the first sweep
// gets done does not matter, only that it was cut.
func TestSweepResumesAfterDeadline(t *testing.T) {
	t.Parallel()
	const n = 200
	st := sweepWorld(n)
	st.Faults = emulator.Faults{LatencyMs: 3, Seed: 3} // >= 9 ms a disk, 4 at a time: >= 450 ms in all
	srv := emutest.Start(t, st)
	pool := newPool(t, srv, 0, alibaba.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond})
	e := pairing.New(pool.Client(emulatorCreds()), engineOptions(4))

	results, err := e.Sweep(withTimeout(t, 200*time.Millisecond), []string{src})
	if err != nil && !cloud.IsRetryable(err) {
		t.Fatalf("first sweep: %v, want nil or a retryable listing error", err)
	}
	paired := map[string]bool{}
	for _, r := range results {
		switch {
		case r.Outcome == pairing.Paired:
			paired[r.DiskID] = true
		case r.Outcome == pairing.Failed && r.Retryable:
		default:
			t.Errorf("first sweep: %s %s/%s: %s", r.DiskID, r.Outcome, r.Reason, r.Message)
		}
	}
	if len(paired) == n {
		t.Fatal("the first sweep paired every disk: the deadline did not cut it")
	}
	firstErr := err
	before := srv.Calls().Calls
	results, err = e.Sweep(withTimeout(t, time.Minute), []string{src})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Outcome != pairing.Paired && r.Outcome != pairing.AlreadyPaired {
			t.Errorf("second sweep: %s %s/%s: %s", r.DiskID, r.Outcome, r.Reason, r.Message)
		}
	}
	after := srv.Calls().Calls
	changing := 0
	for _, a := range []string{"ebs/CreateDiskReplicaPair", "ebs/StartDiskReplicaPair", "ecs/TagResources"} {
		changing += after[a] - before[a]
	}
	left := n - len(paired)
	if changing > 3*left {
		t.Errorf("second sweep: %d changing calls for the %d disks left, want at most %d", changing, left, 3*left)
	}
	if problems := pairCheck(srv.Snapshot(), n); len(problems) > 0 {
		t.Fatalf("%d problems, first: %s", len(problems), problems[0])
	}
	t.Logf("first sweep paired %d of %d (listing error: %v); the second paired the %d left with %d changing calls",
		len(paired), n, firstErr, left, changing)
}
