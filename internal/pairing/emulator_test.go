package pairing_test

import (
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/cloud/alibaba"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// The engine over the real SDK adapters, against the emulator: both API families, every
// secondary path, a disk that shows late, request IDs, a second run and a sweep.

func emulatorWorld() (*emulator.State, []string) {
	tagged := emutest.Disk("d-bp1tag", srcZone, emutest.OptIn(), emutest.Attached("i-bp1web"),
		emutest.Tags(pairing.TagSecondaryDisk, "d-uf6tag"))
	back := emutest.Disk("d-bp1back", srcZone, emutest.OptIn(), emutest.Attached("i-bp1web"))
	auto := emutest.Disk("d-bp1auto", srcZone, emutest.OptIn(), emutest.Spec("cloud_auto", "", 40))
	late := emutest.Disk("d-bp1late", srcZone, emutest.OptIn(), emutest.VisibleAfter(300), emutest.ReadyAfter(600))
	off := emutest.Disk("d-bp1off", srcZone, emutest.Tags("dr", "later"))
	st := emutest.World(tagged, back, auto, late, off,
		emutest.Secondary(tagged, "d-uf6tag", dstZone),
		emutest.Secondary(back, "d-uf6back", dstZone, emutest.BackRef(back.DiskID)),
		emutest.Secondary(late, "d-uf6late", dstZone, emutest.BackRef(late.DiskID)),
	)
	return st, []string{"d-bp1tag", "d-bp1back", "d-bp1auto", "d-bp1late", "d-bp1off"}
}

func emulatorAPI(t *testing.T, srv *emulator.Server, family string, attempts int) cloud.API {
	t.Helper()
	o := alibaba.DefaultOptions()
	o.API, o.ECSEndpoint, o.EBSEndpoint = family, srv.URL(), srv.URL()
	o.MaxQPS = 0
	o.Retry = alibaba.RetryPolicy{MaxAttempts: attempts, BaseDelay: 5 * time.Millisecond, MaxDelay: 50 * time.Millisecond}
	pool, err := alibaba.NewPool(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool.Client(cloud.Credentials{AccessKeyID: emutest.AccessKeyID,
		AccessKeySecret: emutest.AccessKeySecret, SecurityToken: emutest.SecurityToken})
}

func TestAgainstEmulator(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts the emulator")
	}
	for _, family := range []string{alibaba.APIEBS, alibaba.APIECS} {
		t.Run(family, func(t *testing.T) {
			st, ids := emulatorWorld()
			srv := emutest.Start(t, st)
			o := testOptions()
			o.AutoCreateSecondary = true
			o.PollInterval = 20 * time.Millisecond
			o.DiskWait = 5 * time.Second
			e := pairing.New(emulatorAPI(t, srv, family, 6), o)
			ctx := withTimeout(t, 30*time.Second)

			results := e.Pair(ctx, []pairing.Target{
				{Region: src, DiskIDs: ids[:3]},
				{Region: src, DiskIDs: ids[3:4], Created: true},
				{Region: src, DiskIDs: ids[4:]},
			})
			want := map[string]string{"d-bp1tag": "d-uf6tag", "d-bp1back": "d-uf6back", "d-bp1late": "d-uf6late"}
			for _, r := range results {
				if r.DiskID == "d-bp1off" {
					if r.Outcome != pairing.Skipped || r.Reason != pairing.ReasonNotOptedIn {
						t.Errorf("d-bp1off: %s/%s", r.Outcome, r.Reason)
					}
					continue
				}
				if r.Outcome != pairing.Paired || !r.Started || r.ReplicaPairID == "" {
					t.Errorf("%s: %s/%s started=%v %s", r.DiskID, r.Outcome, r.Reason, r.Started, r.Message)
					continue
				}
				if s, ok := want[r.DiskID]; ok && r.SecondaryDiskID != s {
					t.Errorf("%s paired with %s, want %s", r.DiskID, r.SecondaryDiskID, s)
				}
				if len(r.RequestIDs) < 4 {
					t.Errorf("%s: request IDs %v, want those of its read, create, start and tag", r.DiskID, r.RequestIDs)
				}
			}
			if len(results) != len(ids) {
				t.Fatalf("%d results for %d disks", len(results), len(ids))
			}

			snap := srv.Snapshot()
			tags := map[string]map[string]string{}
			for _, d := range snap.Disks {
				tags[d.DiskID] = d.Tags
			}
			paired := map[string]string{}
			for _, p := range snap.Pairs {
				if p.SourceDiskID == "" || paired[p.SourceDiskID] != "" {
					t.Errorf("duplicate or empty pair %+v", p)
				}
				paired[p.SourceDiskID] = p.ReplicaPairID
				if tags[p.SourceDiskID][pairing.TagReplicaPair] != p.ReplicaPairID {
					t.Errorf("primary %s tags %v, want %s=%s", p.SourceDiskID, tags[p.SourceDiskID], pairing.TagReplicaPair, p.ReplicaPairID)
				}
				if p.Status == "created" || p.Status == "inactive" {
					t.Errorf("pair %s not started: %s", p.ReplicaPairID, p.Status)
				}
			}
			if len(paired) != 4 {
				t.Errorf("%d pairs in the emulator, want 4", len(paired))
			}

			// Nothing left to do: a second event and a sweep change nothing.
			before := emutest.ChangingCalls(srv)
			if before == 0 {
				t.Errorf("no changing call counted for the first run, which paired 4 disks")
			}
			for _, r := range e.Pair(ctx, []pairing.Target{{Region: src, DiskIDs: ids}}) {
				if r.DiskID != "d-bp1off" && r.Outcome != pairing.AlreadyPaired {
					t.Errorf("second run %s: %s/%s %s", r.DiskID, r.Outcome, r.Reason, r.Message)
				}
			}
			swept, err := e.Sweep(ctx, []string{src})
			if err != nil {
				t.Fatal(err)
			}
			if len(swept) != 4 {
				t.Errorf("sweep found %d opted-in disks, want 4", len(swept))
			}
			for _, r := range swept {
				if r.Outcome != pairing.AlreadyPaired {
					t.Errorf("sweep %s: %s/%s %s", r.DiskID, r.Outcome, r.Reason, r.Message)
				}
			}
			if n := emutest.ChangingCalls(srv) - before; n != 0 {
				t.Errorf("second run and sweep made %d changing calls", n)
			}
			t.Logf("%s: emulator calls %v", family, srv.Calls().Calls)
		})
	}
}

// With throttling, unavailability and lost responses injected, repeated deliveries converge:
// every disk ends in exactly one started pair, and no disk is created twice.
func TestAgainstFaultyEmulator(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts the emulator")
	}
	st, ids := emulatorWorld()
	st.Faults = emulator.Faults{ThrottlePercent: 15, UnavailablePercent: 10, LostResponsePercent: 20, Seed: 7}
	srv := emutest.Start(t, st)
	o := testOptions()
	o.AutoCreateSecondary = true
	o.PollInterval = 20 * time.Millisecond
	o.DiskWait = 5 * time.Second
	// Few adapter retries: the engine's repeated deliveries must converge.
	e := pairing.New(emulatorAPI(t, srv, alibaba.APIEBS, 3), o)
	ctx := withTimeout(t, 60*time.Second)

	var results []pairing.Result
	attempt := 0
	for attempt = 1; attempt <= 30; attempt++ {
		results = e.Pair(ctx, []pairing.Target{{Region: src, DiskIDs: ids, Created: true}})
		retry := false
		for _, r := range results {
			retry = retry || r.Retryable
		}
		if !retry {
			break
		}
	}
	for _, r := range results {
		if r.DiskID != "d-bp1off" && r.Outcome != pairing.Paired && r.Outcome != pairing.AlreadyPaired {
			t.Errorf("after %d deliveries %s: %s/%s %s", attempt, r.DiskID, r.Outcome, r.Reason, r.Message)
		}
	}
	snap := srv.Snapshot()
	if len(snap.Pairs) != 4 {
		t.Errorf("%d pairs, want 4: %+v", len(snap.Pairs), snap.Pairs)
	}
	created := 0
	for _, d := range snap.Disks {
		if d.Tags[pairing.TagPrimaryDisk] == "d-bp1auto" {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d secondaries created for d-bp1auto, want 1", created)
	}
	t.Logf("converged after %d deliveries; emulator calls %v errors %v", attempt, srv.Calls().Calls, srv.Calls().Errors)
}
