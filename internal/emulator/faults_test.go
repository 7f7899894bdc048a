package emulator_test

import (
	"errors"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ebs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

// wantTransportError asserts the SDK saw no answer at all (a reset or closed connection).
func wantTransportError(t testing.TB, err error) {
	t.Helper()
	var se *sdkerrors.ServerError
	if err == nil || errors.As(err, &se) {
		t.Fatalf("want a transport error, got %v", err)
	}
}

func TestInjectedFaultsChangeNothing(t *testing.T) {
	cases := []struct {
		name   string
		faults emulator.Faults
		status int
		code   string
	}{
		{"throttled", emulator.Faults{ThrottlePercent: 100}, 400, "Throttling.User"},
		{"unavailable", emulator.Faults{UnavailablePercent: 100}, 503, "ServiceUnavailable"},
		{"reset", emulator.Faults{ResetPercent: 100}, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := emutest.Start(t, basicWorld())
			srv.SetFaults(tc.faults)
			c := newEBS(t, srv, hz)
			req := createReq()
			req.ClientToken = "fault-token"
			_, err := c.CreateDiskReplicaPair(req)
			if tc.code == "" {
				wantTransportError(t, err)
			} else {
				wantCode(t, err, tc.status, tc.code)
			}
			if n := len(srv.Snapshot().Pairs); n != 0 {
				t.Fatalf("a %s call created %d pairs", tc.name, n)
			}
			calls := srv.Calls()
			if calls.Calls["ebs/CreateDiskReplicaPair"] != 1 {
				t.Fatalf("calls = %v: a faulted request still counts", calls.Calls)
			}
			if tc.code != "" && calls.Errors[tc.code] != 1 {
				t.Fatalf("errors = %v", calls.Errors)
			}
			// The same token afterwards creates the pair: nothing was recorded.
			srv.SetFaults(emulator.Faults{})
			_, err = c.CreateDiskReplicaPair(req)
			must(t, err)
		})
	}
}

// A lost answer applies the change; only the ClientToken retry recovers the pair ID.
func TestLostResponseAppliesTheChange(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	c := newEBS(t, srv, hz)
	srv.SetFaults(emulator.Faults{LostResponsePercent: 100})
	req := createReq()
	req.ClientToken = "lost-token"
	_, err := c.CreateDiskReplicaPair(req)
	wantTransportError(t, err)
	pairs := srv.Snapshot().Pairs
	if len(pairs) != 1 {
		t.Fatalf("lost answer: %d pairs, want the change applied", len(pairs))
	}
	srv.SetFaults(emulator.Faults{})
	retry, err := c.CreateDiskReplicaPair(req)
	must(t, err)
	if retry.ReplicaPairId != pairs[0].ReplicaPairID {
		t.Fatalf("retry answered %s, the lost create made %s", retry.ReplicaPairId, pairs[0].ReplicaPairID)
	}
	// Without the token the retry is refused: the disk is already paired.
	_, err = c.CreateDiskReplicaPair(createReq())
	wantCode(t, err, 403, "OperationDenied")
}

func TestLatencyDelaysTheAnswer(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	srv.SetFaults(emulator.Faults{LatencyMs: 60})
	c := newECS(t, srv, hz)
	start := time.Now()
	must(t, describeOne(c))
	if el := time.Since(start); el < 60*time.Millisecond {
		t.Fatalf("answered after %v, latency 60 ms", el)
	}
}

// qpsPerAction is a token bucket per action and region with burst = rate (at least 1).
func TestQPSPerActionIsPerActionAndRegion(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	srv.SetFaults(emulator.Faults{QPSPerAction: 0.01}) // one token per 100 s
	hzECS, shECS, hzEBS := newECS(t, srv, hz), newECS(t, srv, sh), newEBS(t, srv, hz)
	must(t, describeOne(hzECS))
	wantCode(t, describeOne(hzECS), 400, "Throttling.User")
	// Another region and another action have their own buckets.
	must(t, describeIn(shECS, sh))
	describePairs(t, hzEBS, hz, nil)
	srv.Advance(101 * time.Second)
	must(t, describeOne(hzECS))
	wantCode(t, describeOne(hzECS), 400, "Throttling.User")
	calls := srv.Calls()
	if calls.Calls["ecs/DescribeDisks"] != 5 || calls.Errors["Throttling.User"] != 2 {
		t.Fatalf("calls %v errors %v", calls.Calls, calls.Errors)
	}
}

func describeIn(c *ecs.Client, region string) error {
	req := ecs.CreateDescribeDisksRequest()
	req.RegionId = region
	_, err := c.DescribeDisks(req)
	return err
}

// Faults are drawn from the seeded generator: the same seed gives the same outcomes.
func TestFaultSeedRepeats(t *testing.T) {
	outcomes := func(seed int64) []string {
		srv := emutest.Start(t, basicWorld())
		srv.SetFaults(emulator.Faults{ThrottlePercent: 30, UnavailablePercent: 30, Seed: seed})
		c := newEBS(t, srv, hz)
		var out []string
		for range 30 {
			_, err := c.DescribeDiskReplicaPairs(func() *ebs.DescribeDiskReplicaPairsRequest {
				r := ebs.CreateDescribeDiskReplicaPairsRequest()
				r.RegionId = hz
				return r
			}())
			var se *sdkerrors.ServerError
			switch {
			case err == nil:
				out = append(out, "ok")
			case errors.As(err, &se):
				out = append(out, se.ErrorCode())
			default:
				t.Fatal(err)
			}
		}
		return out
	}
	a, b, other := outcomes(7), outcomes(7), outcomes(8)
	kinds := map[string]bool{}
	for i := range a {
		kinds[a[i]] = true
		if a[i] != b[i] {
			t.Fatalf("seed 7 run twice differs at %d: %v vs %v", i, a, b)
		}
	}
	if len(kinds) != 3 {
		t.Fatalf("30 calls at 30%%/30%% gave only %v", kinds)
	}
	same := true
	for i := range a {
		same = same && a[i] == other[i]
	}
	if same {
		t.Fatal("seeds 7 and 8 gave identical outcomes")
	}
}
