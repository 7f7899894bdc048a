package cli

import (
	"sync"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// Issue 15, end to end through the built binary: a pair deleted through the EBS API, and an
// auto-created secondary deleted through the ECS API, are replaced on the next invocation and
// reported with their new IDs; 10 concurrent deliveries then leave one pair per disk.
func TestDeletedPairsAndSecondariesAreReplacedEndToEnd(t *testing.T) {
	t.Parallel()
	a := emutest.Disk("d-bp1a", "cn-hangzhou-h", emutest.OptIn(), emutest.Attached("i-bp1web"))
	b := emutest.Disk("d-bp1b", "cn-hangzhou-h", emutest.OptIn(), emutest.Attached("i-bp1web"))
	st := emutest.World(a, b, emutest.Secondary(a, "d-uf6a", "cn-shanghai-b", emutest.BackRef(a.DiskID)))
	st.Faults.TokenRemembersFailures = true
	srv := emutest.Start(t, st)
	env := map[string]string{
		"ABSR_ECS_ENDPOINT": srv.URL(), "ABSR_EBS_ENDPOINT": srv.URL(),
		"ABSR_ROUTES":                     "cn-hangzhou=cn-shanghai/cn-shanghai-b",
		"ABSR_AUTO_CREATE_SECONDARY":      "true",
		"ABSR_MAX_QPS":                    "1000",
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     emutest.AccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": emutest.AccessKeySecret,
		"ALIBABA_CLOUD_SECURITY_TOKEN":    emutest.SecurityToken,
	}
	const event = `{"diskIds":["d-bp1a","d-bp1b"],"regionId":"cn-hangzhou"}`
	invoke := func(what string) map[string]pairing.Result {
		run := cliExec(t, env, event, "invoke", "-event", "-")
		out := map[string]pairing.Result{}
		for _, r := range run.report(t).Results {
			out[r.DiskID] = r
			t.Logf("%s: %s %s/%s pair=%s secondary=%s: %s", what, r.DiskID, r.Outcome, r.Reason, r.ReplicaPairID, r.SecondaryDiskID, r.Message)
		}
		return out
	}
	live := func(r pairing.Result) bool {
		for _, p := range srv.Snapshot().Pairs {
			if p.ReplicaPairID == r.ReplicaPairID && p.SourceDiskID == r.DiskID && p.DestinationDiskID == r.SecondaryDiskID {
				return true
			}
		}
		return false
	}
	wantLivePairs := func(what string, rs map[string]pairing.Result) {
		t.Helper()
		for _, id := range []string{"d-bp1a", "d-bp1b"} {
			r := rs[id]
			if r.Outcome != pairing.Paired || !r.Started || !live(r) {
				t.Fatalf("%s: %s %s/%s started=%v pair %s (live: %v): %s", what, id, r.Outcome, r.Reason, r.Started, r.ReplicaPairID, live(r), r.Message)
			}
		}
	}

	first := invoke("first")
	wantLivePairs("first invocation", first)

	emutest.StopAndDeletePair(t, srv, "cn-hangzhou", first["d-bp1a"].ReplicaPairID)
	emutest.StopAndDeletePair(t, srv, "cn-hangzhou", first["d-bp1b"].ReplicaPairID)
	emutest.DeleteDisk(t, srv, "cn-shanghai", first["d-bp1b"].SecondaryDiskID) // the auto-created secondary

	again := invoke("after deletion")
	wantLivePairs("after the pairs and the auto-created secondary were deleted", again)
	for _, id := range []string{"d-bp1a", "d-bp1b"} {
		if again[id].ReplicaPairID == first[id].ReplicaPairID {
			t.Errorf("%s: the deleted pair %s was reported again", id, first[id].ReplicaPairID)
		}
	}
	if again["d-bp1a"].SecondaryDiskID != "d-uf6a" {
		t.Errorf("d-bp1a: secondary %s, want its back-referenced d-uf6a again", again["d-bp1a"].SecondaryDiskID)
	}
	if s := again["d-bp1b"].SecondaryDiskID; s == first["d-bp1b"].SecondaryDiskID {
		t.Errorf("d-bp1b: the deleted secondary %s was reported again", s)
	}

	// Once more deleted, then 10 deliveries at once.
	emutest.StopAndDeletePair(t, srv, "cn-hangzhou", again["d-bp1a"].ReplicaPairID)
	emutest.StopAndDeletePair(t, srv, "cn-hangzhou", again["d-bp1b"].ReplicaPairID)
	var wg sync.WaitGroup
	results := make([]map[string]pairing.Result, 10)
	for i := range results {
		wg.Go(func() { results[i] = invoke("concurrent") })
	}
	wg.Wait()
	snap := srv.Snapshot()
	for _, id := range []string{"d-bp1a", "d-bp1b"} {
		pairs, secondaries := 0, 0
		for _, p := range snap.Pairs {
			if p.SourceDiskID == id {
				pairs++
			}
		}
		for _, d := range snap.Disks {
			if d.Tags[pairing.TagPrimaryDisk] == id {
				secondaries++
			}
		}
		if pairs != 1 || secondaries != 1 {
			t.Errorf("%s: %d pairs and %d secondaries after 10 concurrent deliveries, want 1 and 1", id, pairs, secondaries)
		}
		for i, rs := range results {
			r := rs[id]
			if r.ReplicaPairID != "" && !live(r) {
				t.Errorf("delivery %d: %s reported pair %s, which does not exist", i, id, r.ReplicaPairID)
			}
			if r.Outcome == pairing.Failed && !r.Retryable {
				t.Errorf("delivery %d: %s %s/%s %s", i, id, r.Outcome, r.Reason, r.Message)
			}
		}
	}
}
