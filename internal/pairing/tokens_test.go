package pairing_test

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/cloud/alibaba"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// Issue 15: an answer replayed for a ClientToken is believed only when what it names exists now.

func pairExists(srv *emulator.Server, id string) bool {
	for _, p := range srv.Snapshot().Pairs {
		if p.ReplicaPairID == id {
			return true
		}
	}
	return false
}

// pairsOf counts the pairs whose primary is diskID.
func pairsOf(srv *emulator.Server, diskID string) int {
	n := 0
	for _, p := range srv.Snapshot().Pairs {
		if p.SourceDiskID == diskID {
			n++
		}
	}
	return n
}

// backRefs lists the disks tagged back to primary.
func backRefs(srv *emulator.Server, primary string) []string {
	var out []string
	for _, d := range srv.Snapshot().Disks {
		if d.Tags[pairing.TagPrimaryDisk] == primary {
			out = append(out, d.DiskID)
		}
	}
	return out
}

func wantPairedWithLivePair(t *testing.T, srv *emulator.Server, what string, r pairing.Result) {
	t.Helper()
	if r.Outcome != pairing.Paired || !r.Started || r.ReplicaPairID == "" {
		t.Fatalf("%s: %s/%s started=%v pair=%q %s", what, r.Outcome, r.Reason, r.Started, r.ReplicaPairID, r.Message)
	}
	if !pairExists(srv, r.ReplicaPairID) {
		t.Fatalf("%s: reported paired with %s, which does not exist (%s)", what, r.ReplicaPairID, r.Message)
	}
}

func TestDeletedPairIsReplacedAndReportedWithItsRealID(t *testing.T) {
	for _, remember := range []bool{false, true} {
		st := fidelityWorld()
		st.Faults.TokenRemembersFailures = remember
		srv := emutest.Start(t, st)
		o := testOptions()
		first := pairOnEmulator(t, srv, o)[0]
		wantPairedWithLivePair(t, srv, "first delivery", first)

		emutest.StopAndDeletePair(t, srv, src, first.ReplicaPairID)
		again := pairOnEmulator(t, srv, o)[0]
		wantPairedWithLivePair(t, srv, "after the pair was deleted", again)
		if again.ReplicaPairID == first.ReplicaPairID {
			t.Fatalf("the deleted pair %s was reported again", first.ReplicaPairID)
		}
		if got := snapshotTags(srv, "d-bp1primary")[pairing.TagReplicaPair]; got != again.ReplicaPairID {
			t.Errorf("primary marked %s=%s, want the new pair %s", pairing.TagReplicaPair, got, again.ReplicaPairID)
		}
		// Deleted once more: each generation's token is new, so a third pair comes.
		emutest.StopAndDeletePair(t, srv, src, again.ReplicaPairID)
		third := pairOnEmulator(t, srv, o)[0]
		wantPairedWithLivePair(t, srv, "after the second pair was deleted", third)
		if third.ReplicaPairID == again.ReplicaPairID || third.ReplicaPairID == first.ReplicaPairID {
			t.Fatalf("third pair %s repeats an earlier one", third.ReplicaPairID)
		}
		if n := pairsOf(srv, "d-bp1primary"); n != 1 {
			t.Fatalf("%d pairs for the primary, want 1", n)
		}
	}
}

func snapshotTags(srv *emulator.Server, id string) map[string]string {
	for _, d := range srv.Snapshot().Disks {
		if d.DiskID == id {
			return d.Tags
		}
	}
	return nil
}

// autoWorld: an opted-in primary with no secondary; auto-create on.
func autoWorld() (*emulator.State, pairing.Options) {
	p := emutest.Disk("d-bp1primary", srcZone, emutest.OptIn(), emutest.Attached("i-bp1web"))
	o := testOptions()
	o.AutoCreateSecondary = true
	o.PollInterval, o.DiskWait = 10*time.Millisecond, 300*time.Millisecond
	return emutest.World(p), o
}

// A deleted auto-created secondary is replaced. A primary marked with its (deleted) pair moves
// its CreateDisk token past the mark: one CreateDisk buys the replacement, with no wait for the
// deleted disk's replayed ID. Unmarked, the replayed ID is waited for (DiskWait) and then the
// next generation's token buys it.
func TestDeletedAutoCreatedSecondaryIsReplaced(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mark            bool
		wantCreateDisks int // in the invocation after the deletion
	}{
		{mark: true, wantCreateDisks: 1},
		{mark: false, wantCreateDisks: 2},
	} {
		t.Run(fmt.Sprintf("mark=%v", tc.mark), func(t *testing.T) {
			st, o := autoWorld()
			o.MarkPrimary = tc.mark
			srv := emutest.Start(t, st)
			first := pairOnEmulator(t, srv, o)[0]
			wantPairedWithLivePair(t, srv, "first delivery", first)

			emutest.StopAndDeletePair(t, srv, src, first.ReplicaPairID)
			emutest.DeleteDisk(t, srv, dst, first.SecondaryDiskID)
			before := srv.Calls().Calls["ecs/CreateDisk"]
			again := pairOnEmulator(t, srv, o)[0]
			wantPairedWithLivePair(t, srv, "after the pair and its secondary were deleted", again)
			if again.SecondaryDiskID == first.SecondaryDiskID || again.SecondaryDiskID == "" {
				t.Fatalf("secondary %q reported, the deleted one was %s (%s)", again.SecondaryDiskID, first.SecondaryDiskID, again.Message)
			}
			if refs := backRefs(srv, "d-bp1primary"); len(refs) != 1 || refs[0] != again.SecondaryDiskID {
				t.Fatalf("auto-created secondaries now %v, want just %s", refs, again.SecondaryDiskID)
			}
			if n := srv.Calls().Calls["ecs/CreateDisk"] - before; n != tc.wantCreateDisks {
				t.Errorf("%d CreateDisk calls to replace the deleted secondary, want %d", n, tc.wantCreateDisks)
			}
		})
	}
}

func TestConcurrentDeliveriesAfterDeletionConverge(t *testing.T) {
	st, o := autoWorld()
	srv := emutest.Start(t, st)
	first := pairOnEmulator(t, srv, o)[0]
	wantPairedWithLivePair(t, srv, "first delivery", first)
	emutest.StopAndDeletePair(t, srv, src, first.ReplicaPairID)
	emutest.DeleteDisk(t, srv, dst, first.SecondaryDiskID)

	api := emulatorAPI(t, srv, alibaba.APIEBS, 3)
	results := make([]pairing.Result, 10)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			ctx := withTimeout(t, 20*time.Second)
			results[i] = pairing.New(api, o).Pair(ctx, []pairing.Target{{Region: src, DiskIDs: []string{"d-bp1primary"}}})[0]
		})
	}
	wg.Wait()
	if n := pairsOf(srv, "d-bp1primary"); n != 1 {
		t.Fatalf("%d pairs for the primary after 10 concurrent deliveries, want 1", n)
	}
	refs := backRefs(srv, "d-bp1primary")
	if len(refs) != 1 {
		t.Fatalf("auto-created secondaries %v after 10 concurrent deliveries, want one", refs)
	}
	for i, r := range results {
		if r.Outcome == pairing.Failed && !r.Retryable {
			t.Errorf("delivery %d: %s/%s %s", i, r.Outcome, r.Reason, r.Message)
		}
		if r.ReplicaPairID != "" && !pairExists(srv, r.ReplicaPairID) {
			t.Errorf("delivery %d reports pair %s, which does not exist", i, r.ReplicaPairID)
		}
	}
}

// A refusal (4xx) must not poison the token of the attempt after its cause is fixed, whether
// or not the service remembers refused tokens.
func TestRefusalDoesNotPoisonTheNextAttempt(t *testing.T) {
	for _, remember := range []bool{false, true} {
		st := fidelityWorld()
		st.Faults.TokenRemembersFailures = remember
		st.Faults.PostpayRefused = true
		srv := emutest.Start(t, st)
		o := testOptions()
		refused := pairOnEmulator(t, srv, o)[0]
		if refused.Outcome != pairing.Failed || refused.Reason != pairing.ReasonChargeTypeRefused {
			t.Fatalf("remember=%v: %s/%s %s", remember, refused.Outcome, refused.Reason, refused.Message)
		}
		f := srv.Faults()
		f.PostpayRefused = false // the site starts selling pay-as-you-go pairs
		srv.SetFaults(f)
		r := pairOnEmulator(t, srv, o)[0]
		wantPairedWithLivePair(t, srv, "after the cause was fixed (remember="+map[bool]string{false: "off", true: "on"}[remember]+")", r)
	}
}

// Two deployments whose routes name different zones (mid-rollout) deliver the same events at
// once: each primary still gets one auto-created secondary, not one per configuration.
func TestOneAutoCreatedSecondaryWhateverTheRoutes(t *testing.T) {
	t.Parallel()
	var disks []emulator.Disk
	var ids []string
	for _, id := range []string{"d-bp1a", "d-bp1b", "d-bp1c", "d-bp1d"} {
		disks = append(disks, emutest.Disk(id, srcZone, emutest.OptIn(), emutest.Attached("i-bp1web")))
		ids = append(ids, id)
	}
	st := emutest.World(disks...)
	st.Faults.LatencyMs = 40 // both deployments look for a secondary before either has bought one
	srv := emutest.Start(t, st)
	api := emulatorAPI(t, srv, alibaba.APIEBS, 3)
	var wg sync.WaitGroup
	results := make([][]pairing.Result, 2)
	for i, zone := range []string{dstZone, "cn-shanghai-e"} {
		o := testOptions()
		o.AutoCreateSecondary = true
		o.PollInterval, o.DiskWait = 10*time.Millisecond, 2*time.Second
		o.Routes = map[string]pairing.Route{src: {Region: dst, Zone: zone}}
		wg.Go(func() {
			results[i] = pairing.New(api, o).Pair(withTimeout(t, 20*time.Second), []pairing.Target{{Region: src, DiskIDs: ids}})
		})
	}
	wg.Wait()
	for _, id := range ids {
		if refs := backRefs(srv, id); len(refs) != 1 {
			t.Errorf("%s: auto-created secondaries %v, want one", id, refs)
		}
		if n := pairsOf(srv, id); n != 1 {
			t.Errorf("%s: %d pairs, want 1", id, n)
		}
	}
	if n := srv.Calls().Calls["ecs/CreateDisk"]; n > 8 {
		t.Errorf("%d CreateDisk calls", n)
	}
	noted := 0
	for _, rs := range results {
		for _, r := range rs {
			if r.ReplicaPairID != "" && !pairExists(srv, r.ReplicaPairID) {
				t.Errorf("%s reports pair %s, which does not exist", r.DiskID, r.ReplicaPairID)
			}
			if strings.Contains(r.Message, "no second disk was bought") {
				noted++
			}
		}
	}
	if noted == 0 { // both looked before either bought: the second's create was refused, and it says so
		t.Error("no result reports that the other deployment's secondary was used")
	}
}

// Issue 15 item 5: a primary in a settling status is waited for like Creating, then retryable.
func TestSettlingPrimaryIsWaitedForAndRetryable(t *testing.T) {
	t.Parallel()
	for _, status := range []string{"Attaching", "Detaching", "ReIniting"} {
		srv := emutest.Start(t, fidelityWorld(emutest.Status(status), func(d *emulator.Disk) { d.InstanceID = "" }))
		o := testOptions()
		o.PollInterval, o.DiskWait = 10*time.Millisecond, 100*time.Millisecond
		r := pairOnEmulator(t, srv, o)[0]
		if r.Outcome != pairing.Failed || r.Reason != pairing.ReasonDiskNotReady || !r.Retryable {
			t.Errorf("%s: %s/%s retryable=%v %s, want disk_not_ready, retryable", status, r.Outcome, r.Reason, r.Retryable, r.Message)
		}
		if n := srv.Calls().Calls["ebs/CreateDiskReplicaPair"]; n != 0 {
			t.Errorf("%s: %d creates sent for a settling primary", status, n)
		}
	}
}

// Issue 15 item 6: a disk that is itself a primary is never used as a secondary, and a disk the
// mapping names as a secondary is never paired as a primary; both sides are reported and
// nothing is created.
func TestPrimariesAreNeverUsedAsSecondaries(t *testing.T) {
	a := emutest.Disk("d-bp1a", srcZone, emutest.OptIn(), emutest.Tags(pairing.TagSecondaryDisk, "d-uf6b"))
	b := emutest.Disk("d-uf6b", dstZone, emutest.OptIn(), emutest.Tags(pairing.TagSecondaryDisk, "d-bp1a", pairing.TagSecondaryRegion, src))
	p := emutest.Disk("d-bp1p", srcZone, emutest.OptIn())
	s := emutest.Disk("d-uf6s", dstZone, emutest.OptIn()) // named by the mapping, and opted in too
	m := emutest.Disk("d-bp1m", srcZone, emutest.OptIn(), emutest.Tags(pairing.TagSecondaryDisk, "d-uf6marked"))
	marked := emutest.Disk("d-uf6marked", dstZone, emutest.Tags(pairing.TagReplicaPair, "pair-cn-elsewhere"))
	srv := emutest.Start(t, emutest.World(a, b, p, s, m, marked))
	o := testOptions()
	o.AutoCreateSecondary = true
	o.Routes[dst] = pairing.Route{Region: src, Zone: srcZone}
	o.Pairs = map[string]pairing.SecondaryRef{"d-bp1p": {DiskID: "d-uf6s"}}
	api := emulatorAPI(t, srv, alibaba.APIEBS, 3)
	results, err := pairing.New(api, o).Sweep(withTimeout(t, 20*time.Second), []string{src, dst})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"d-bp1a": pairing.ReasonSecondaryIsPrimary, "d-uf6b": pairing.ReasonSecondaryIsPrimary,
		"d-bp1p": pairing.ReasonSecondaryIsPrimary, "d-uf6s": pairing.ReasonIsSecondary,
		"d-bp1m": pairing.ReasonSecondaryIsPrimary,
	}
	for _, r := range results {
		if w, ok := want[r.DiskID]; ok && (r.Reason != w || r.Outcome == pairing.Paired) {
			t.Errorf("%s: %s/%s %s, want %s", r.DiskID, r.Outcome, r.Reason, r.Message, w)
		}
		delete(want, r.DiskID)
	}
	if len(want) > 0 {
		t.Errorf("no results for %v", want)
	}
	calls := srv.Calls().Calls
	if n := calls["ebs/CreateDiskReplicaPair"] + calls["ecs/CreateDisk"]; n != 0 {
		t.Errorf("%d creates sent", n)
	}
}

// Issue 15 item 2: an endpoint that refuses connections (restarting, or a name not resolving
// yet) ends as a retryable network_error through the real SDK, so the event is redelivered.
func TestRefusedConnectionsEndRetryable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	o := alibaba.DefaultOptions()
	o.ECSEndpoint, o.EBSEndpoint, o.MaxQPS = "http://"+addr, "http://"+addr, 0
	o.Retry = alibaba.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}
	pool, err := alibaba.NewPool(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	api := pool.Client(cloud.Credentials{AccessKeyID: emutest.AccessKeyID, AccessKeySecret: emutest.AccessKeySecret})
	r := pairing.New(api, testOptions()).Pair(withTimeout(t, 10*time.Second), []pairing.Target{disksIn(src, "d-bp1primary")})[0]
	if r.Outcome != pairing.Failed || r.Reason != pairing.ReasonNetwork || !r.Retryable {
		t.Fatalf("%s/%s retryable=%v %s, want a retryable network_error", r.Outcome, r.Reason, r.Retryable, r.Message)
	}
}

// An event's create is its check that the disk is not paired already (one pair per disk). When
// the disk is paired (a pair made in the console: unmarked), the create's refusal is that rule
// answering, not a refusal of the change: the pair is completed (already_paired, marked) and no
// dr:attempt is raised. Nor is the refused token met again, even by a service that remembers
// refusals: after the pair is deleted, the next delivery's token is moved on by the mark
// (createToken), and it pairs the disk at once instead of failing once on the old refusal.
func TestAlreadyPairedRefusalPoisonsNothing(t *testing.T) {
	for _, remember := range []bool{false, true} {
		name := map[bool]string{false: "remember off", true: "remember on"}[remember]
		st := fidelityWorld()
		st.Pairs = append(st.Pairs, emutest.Pair("pair-console", st.Disks[0], st.Disks[1], "normal"))
		st.Faults.TokenRemembersFailures = remember
		srv := emutest.Start(t, st)
		o := testOptions()

		r := pairOnEmulator(t, srv, o)[0]
		if r.Outcome != pairing.AlreadyPaired || r.ReplicaPairID != "pair-console" || r.Health != pairing.HealthOK {
			t.Fatalf("%s: %s/%s pair=%q health=%q %s, want already_paired with pair-console", name, r.Outcome, r.Reason, r.ReplicaPairID, r.Health, r.Message)
		}
		if n := srv.Calls().Calls["ebs/CreateDiskReplicaPair"]; n != 1 {
			t.Fatalf("%s: %d creates, want the one that asked (an event's create is its check)", name, n)
		}
		tags := snapshotTags(srv, "d-bp1primary")
		if tags[pairing.TagReplicaPair] != "pair-console" {
			t.Errorf("%s: primary marked %q, want pair-console", name, tags[pairing.TagReplicaPair])
		}
		if a, ok := tags[pairing.TagAttempt]; ok {
			t.Errorf("%s: %s=%s raised for a disk that was only paired already", name, pairing.TagAttempt, a)
		}

		emutest.StopAndDeletePair(t, srv, src, "pair-console")
		again := pairOnEmulator(t, srv, o)[0]
		wantPairedWithLivePair(t, srv, name+": after the console's pair was deleted", again)
		if n := pairsOf(srv, "d-bp1primary"); n != 1 {
			t.Fatalf("%s: %d pairs for the primary, want 1", name, n)
		}
		if a, ok := snapshotTags(srv, "d-bp1primary")[pairing.TagAttempt]; ok {
			t.Errorf("%s: %s=%s raised", name, pairing.TagAttempt, a)
		}
	}
}

// A create refused because the secondary is in another pair is a refusal of this change, which
// an operator can fix: the primary's attempt is raised, so that once the other pair is gone the
// next delivery pairs the disk, whether or not the service remembers the refused token.
func TestSecondaryInPairRefusalRaisesTheAttempt(t *testing.T) {
	for _, remember := range []bool{false, true} {
		name := map[bool]string{false: "remember off", true: "remember on"}[remember]
		st := fidelityWorld()
		other := emutest.Disk("d-bp1other", srcZone)
		st.Disks = append(st.Disks, other)
		st.Pairs = append(st.Pairs, emutest.Pair("pair-other", other, st.Disks[1], "normal"))
		st.Faults.TokenRemembersFailures = remember
		srv := emutest.Start(t, st)
		o := testOptions()

		r := pairOnEmulator(t, srv, o)[0]
		if r.Outcome != pairing.Failed || r.Reason != pairing.ReasonSecondaryInPair || r.Retryable {
			t.Fatalf("%s: %s/%s retryable=%v %s, want secondary_in_pair", name, r.Outcome, r.Reason, r.Retryable, r.Message)
		}
		if got := snapshotTags(srv, "d-bp1primary")[pairing.TagAttempt]; got != "1" {
			t.Fatalf("%s: %s=%q, want 1 after the refusal", name, pairing.TagAttempt, got)
		}

		emutest.StopAndDeletePair(t, srv, src, "pair-other")
		again := pairOnEmulator(t, srv, o)[0]
		wantPairedWithLivePair(t, srv, name+": after the other pair was deleted", again)
	}
}
