package pairing_test

import (
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud/alibaba"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// The engine through the real SDK adapters against an emulator that follows the documented
// rules of issue 14 (platform-facts.md section 1, "Corrections and additions").

// fidelityWorld: an opted-in primary in src and a back-referenced secondary in dst.
func fidelityWorld(opts ...emutest.DiskOption) *emulator.State {
	p := emutest.Disk("d-bp1primary", srcZone, append([]emutest.DiskOption{emutest.OptIn(), emutest.Attached("i-bp1web")}, opts...)...)
	return emutest.World(p, emutest.Secondary(p, "d-uf6secondary", dstZone, emutest.BackRef(p.DiskID)))
}

func pairOnEmulator(t *testing.T, srv *emulator.Server, o pairing.Options, ids ...string) []pairing.Result {
	t.Helper()
	if len(ids) == 0 {
		ids = []string{"d-bp1primary"}
	}
	ctx := withTimeout(t, 20*time.Second)
	return pairing.New(emulatorAPI(t, srv, alibaba.APIEBS, 3), o).Pair(ctx, []pairing.Target{{Region: src, DiskIDs: ids}})
}

func TestPrepayPairIsBoughtForAPeriod(t *testing.T) {
	for _, period := range []int{0, 12} { // 0: the default, one month
		srv := emutest.Start(t, fidelityWorld())
		o := testOptions()
		o.ChargeType = "PREPAY"
		setPeriod(&o, period)
		res := pairOnEmulator(t, srv, o)
		if r := res[0]; r.Outcome != pairing.Paired || !r.Started {
			t.Fatalf("PREPAY, period %d: %s/%s %s", period, r.Outcome, r.Reason, r.Message)
		}
		if p := srv.Snapshot().Pairs[0]; p.ChargeType != "PREPAY" {
			t.Fatalf("pair = %+v", p)
		}
	}
}

func TestNewPairIsStartedOnceCreated(t *testing.T) {
	t.Parallel()
	st := fidelityWorld()
	st.Faults.PairCreatingMs = 150 // emulator clock = wall clock here
	srv := emutest.Start(t, st)
	o := testOptions()
	o.PollInterval, o.DiskWait = 20*time.Millisecond, 5*time.Second
	res := pairOnEmulator(t, srv, o)
	if r := res[0]; r.Outcome != pairing.Paired || !r.Started {
		t.Fatalf("%s/%s %s", r.Outcome, r.Reason, r.Message)
	}
	calls := srv.Calls()
	if n := calls.Calls["ebs/StartDiskReplicaPair"]; n != 1 {
		t.Errorf("StartDiskReplicaPair sent %d times, want once, after the pair is created", n)
	}
	if n := calls.Errors["OperationDenied.InvalidStatus"]; n != 0 {
		t.Errorf("%d starts refused for the pair's status: the engine did not wait for created", n)
	}
}

func TestPairStillCreatingAtTheDeadlineIsFinishedLater(t *testing.T) {
	t.Parallel()
	st := fidelityWorld()
	st.Faults.PairCreatingMs = 60_000
	srv := emutest.Start(t, st)
	o := testOptions()
	o.PollInterval, o.DiskWait = 10*time.Millisecond, 200*time.Millisecond
	r := pairOnEmulator(t, srv, o)[0]
	if r.Outcome != pairing.Failed || r.Reason != pairing.ReasonPairCreating || !r.Retryable || r.ReplicaPairID == "" {
		t.Fatalf("still creating: %s/%s retryable=%v pair=%q %s", r.Outcome, r.Reason, r.Retryable, r.ReplicaPairID, r.Message)
	}
	if n := srv.Calls().Calls["ebs/StartDiskReplicaPair"]; n != 0 {
		t.Errorf("StartDiskReplicaPair sent %d times to a creating pair", n)
	}
	srv.Advance(time.Minute)
	again := pairOnEmulator(t, srv, o)[0]
	if again.Outcome != pairing.Paired || !again.Started || again.ReplicaPairID != r.ReplicaPairID {
		t.Fatalf("next delivery: %s/%s started=%v pair=%s %s", again.Outcome, again.Reason, again.Started, again.ReplicaPairID, again.Message)
	}
}

func TestSecondaryInAnotherZoneOfTheSameRegion(t *testing.T) {
	p := emutest.Disk("d-bp1primary", srcZone, emutest.OptIn(), emutest.Attached("i-bp1web"))
	otherZone := emutest.Secondary(p, "d-bp1otherzone", "cn-hangzhou-i", emutest.BackRef(p.DiskID))
	sameZone := emutest.Secondary(p, "d-bp1samezone", srcZone)
	q := emutest.Disk("d-bp1second", srcZone, emutest.OptIn(), emutest.Tags(pairing.TagSecondaryDisk, sameZone.DiskID))
	srv := emutest.Start(t, emutest.World(p, otherZone, sameZone, q))
	o := testOptions()
	o.Routes = map[string]pairing.Route{src: {Region: src, Zone: "cn-hangzhou-i"}} // same region, other zone
	if err := o.Validate(); err != nil {
		t.Fatalf("a route to another zone of the same region is refused: %v", err)
	}
	res := pairOnEmulator(t, srv, o, p.DiskID, q.DiskID)
	if r := res[0]; r.Outcome != pairing.Paired || r.SecondaryDiskID != otherZone.DiskID || r.SecondaryRegionID != src {
		t.Errorf("other zone: %s/%s %s", r.Outcome, r.Reason, r.Message)
	}
	if r := res[1]; r.Outcome != pairing.Failed || r.Reason != pairing.ReasonSecondarySameZone || !containsAll(r.Message, sameZone.DiskID, srcZone) {
		t.Errorf("same zone: %s/%s %s", r.Outcome, r.Reason, r.Message)
	}
	bad := testOptions()
	bad.Routes = map[string]pairing.Route{src: {Region: src}}
	if err := bad.Validate(); err == nil || !containsAll(err.Error(), "zone") {
		t.Errorf("a same-region route without a zone: %v, want an error asking for the zone", err)
	}
}

func TestPrimariesTheAPIMayRefuse(t *testing.T) {
	for _, strict := range []bool{false, true} {
		enc := emutest.Disk("d-bp1encrypted", srcZone, emutest.OptIn(), emutest.Encrypted())
		sys := emutest.Disk("d-bp1system", srcZone, emutest.OptIn(), emutest.System("i-bp1web"))
		st := emutest.World(enc, sys, emutest.Secondary(sys, "d-uf6sys", dstZone, emutest.BackRef(sys.DiskID)))
		st.Faults.StrictPrimary = strict
		srv := emutest.Start(t, st)
		o := testOptions()
		o.AutoCreateSecondary = true
		res := pairOnEmulator(t, srv, o, enc.DiskID, sys.DiskID)
		// Encrypted, no secondary named: nothing is bought for it, strict or not.
		if r := res[0]; r.Outcome != pairing.Skipped || r.Reason != pairing.ReasonUnsupportedPrimary || !containsAll(r.Message, "encrypted") {
			t.Errorf("strict=%v encrypted: %s/%s %s", strict, r.Outcome, r.Reason, r.Message)
		}
		if n := srv.Calls().Calls["ecs/CreateDisk"]; n != 0 {
			t.Errorf("strict=%v: %d secondaries bought for a primary the API may refuse", strict, n)
		}
		// System disk with a secondary already there: the API decides, and its refusal is explained.
		r := res[1]
		if !strict && (r.Outcome != pairing.Paired || !r.Started) {
			t.Errorf("system disk, lenient API: %s/%s %s", r.Outcome, r.Reason, r.Message)
		}
		if strict && (r.Outcome != pairing.Failed || r.Reason != pairing.ReasonUnsupportedPrimary || r.Retryable || !containsAll(r.Message, "system")) {
			t.Errorf("system disk, strict API: %s/%s retryable=%v %s", r.Outcome, r.Reason, r.Retryable, r.Message)
		}
	}
}

func TestPostpayRefusedPointsAtTheChargeType(t *testing.T) {
	st := fidelityWorld()
	st.Faults.PostpayRefused = true
	srv := emutest.Start(t, st)
	r := pairOnEmulator(t, srv, testOptions())[0]
	if r.Outcome != pairing.Failed || r.Reason != pairing.ReasonChargeTypeRefused || r.Retryable ||
		!containsAll(r.Message, "ABSR_CHARGE_TYPE=PREPAY", "ABSR_PERIOD") {
		t.Fatalf("%s/%s retryable=%v %s", r.Outcome, r.Reason, r.Retryable, r.Message)
	}
}

func TestRouteToAZoneWithoutReplicationIsExplained(t *testing.T) {
	const noABSR = "cn-shanghai-l"
	p := emutest.Disk("d-bp1primary", srcZone, emutest.OptIn())
	q := emutest.Disk("d-bp1named", srcZone, emutest.OptIn(), emutest.Tags(pairing.TagSecondaryDisk, "d-uf6inl"))
	st := emutest.World(p, q, emutest.Secondary(q, "d-uf6inl", noABSR), emutest.Disk("d-uf6other", dstZone))
	st.UnsupportedZones = []string{noABSR}
	srv := emutest.Start(t, st)
	o := testOptions()
	o.Routes = map[string]pairing.Route{src: {Region: dst, Zone: noABSR}}
	o.AutoCreateSecondary = true
	res := pairOnEmulator(t, srv, o, p.DiskID, q.DiskID)
	for _, r := range res {
		if r.Outcome != pairing.Failed || r.Reason != pairing.ReasonZoneUnsupported || r.Retryable || !containsAll(r.Message, noABSR, "DescribeRegions") {
			t.Errorf("%s: %s/%s retryable=%v %s", r.DiskID, r.Outcome, r.Reason, r.Retryable, r.Message)
		}
	}
	if n := srv.Calls().Calls["ecs/CreateDisk"]; n != 0 {
		t.Errorf("%d secondaries bought in a zone without async replication", n)
	}
}

func TestThrottlingCodesAreThrottling(t *testing.T) {
	for _, code := range []string{"Throttling.User", "Throttling.Api", "Rejected.Throttling"} {
		st := fidelityWorld()
		st.Faults.ThrottlePercent, st.Faults.ThrottleCode = 100, code
		srv := emutest.Start(t, st)
		r := pairOnEmulator(t, srv, testOptions())[0]
		if r.Outcome != pairing.Failed || r.Reason != pairing.ReasonThrottled || !r.Retryable {
			t.Errorf("%s: %s/%s retryable=%v %s", code, r.Outcome, r.Reason, r.Retryable, r.Message)
		}
	}
}
