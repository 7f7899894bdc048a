package pairing_test

import (
	"context"
	"errors"
	"fmt"
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

// Replica groups against the emulator, through the real SDK adapter.

const groupInstance = "i-bp1db"

// instanceWorld: instance i-bp1db with a system disk (not opted in) and n opted-in data disks
// d-bp1g<i>, each with a back-referenced secondary in zone(i).
func instanceWorld(n int, zone func(i int) string) (*emulator.State, []string) {
	st := emutest.World(emutest.Disk("d-bp1gsys", srcZone, emutest.System(groupInstance), emutest.Spec("cloud_essd", "PL0", 40)))
	var ids []string
	for i := range n {
		id := fmt.Sprintf("d-bp1g%02d", i)
		d := emutest.Disk(id, srcZone, emutest.OptIn(), emutest.Attached(groupInstance))
		st.Disks = append(st.Disks, d, emutest.Secondary(d, fmt.Sprintf("d-uf6g%02d", i), zone(i), emutest.BackRef(id)))
		ids = append(ids, id)
	}
	return st, ids
}

func oneZone(int) string { return dstZone }

func groupOptions() pairing.Options {
	o := testOptions()
	o.ReplicaGroups = pairing.GroupsByInstance
	o.PollInterval = 5 * time.Millisecond
	o.DiskWait = 5 * time.Second
	return o
}

func newInstance() []pairing.Target {
	return []pairing.Target{{Region: src, InstanceIDs: []string{groupInstance}, Created: true}}
}

func groupsOf(srv *emulator.Server) []emulator.Group { return srv.Snapshot().Groups }

// checkOneGroup: the instance's disks are in one group named absr-<instance>, every pair in it,
// and alone pairs (not of the instance) were started alone.
func checkOneGroup(t *testing.T, srv *emulator.Server, ids []string, alone ...int) emulator.Group {
	t.Helper()
	groups := groupsOf(srv)
	if len(groups) != 1 {
		t.Fatalf("%d groups, want 1: %+v", len(groups), groups)
	}
	g := groups[0]
	if g.GroupName != "absr-"+groupInstance || len(g.PairIDs) != len(ids) {
		t.Fatalf("group %+v, want absr-%s with %d pairs", g, groupInstance, len(ids))
	}
	pairs := map[string]emulator.Pair{}
	for _, p := range srv.Snapshot().Pairs {
		pairs[p.SourceDiskID] = p
	}
	for _, id := range ids {
		if p, ok := pairs[id]; !ok || p.ReplicaGroupID != g.ReplicaGroupID {
			t.Fatalf("disk %s: pair %+v is not in group %s", id, p, g.ReplicaGroupID)
		}
	}
	if n := srv.Calls().Calls["ebs/StartDiskReplicaPair"]; n != len(alone) {
		t.Fatalf("%d pairs started alone", n)
	}
	return g
}

func byDisk(results []pairing.Result) map[string]pairing.Result {
	out := map[string]pairing.Result{}
	for _, r := range results {
		out[r.DiskID] = r
	}
	return out
}

func TestGroupNewInstance(t *testing.T) {
	st, ids := instanceWorld(2, oneZone)
	srv := emutest.Start(t, st)
	e := pairing.New(emulatorAPI(t, srv, alibaba.APIEBS, 6), groupOptions())
	results := byDisk(e.Pair(withTimeout(t, 30*time.Second), newInstance()))
	g := checkOneGroup(t, srv, ids)
	if g.Status != "initial_syncing" && g.Status != "normal" {
		t.Fatalf("group %s after the event", g.Status)
	}
	for _, id := range ids {
		r := results[id]
		if r.Outcome != pairing.Paired || !r.Started || r.ReplicaGroupID != g.ReplicaGroupID || !strings.Contains(r.Message, "group started") {
			t.Errorf("%s: %+v", id, r)
		}
	}
	if r := results["d-bp1gsys"]; r.Outcome != pairing.Skipped || r.ReplicaGroupID != "" {
		t.Errorf("system disk: %+v", r)
	}
	calls := srv.Calls().Calls
	for action, want := range map[string]int{"ebs/CreateDiskReplicaGroup": 1, "ebs/AddDiskReplicaPair": 2,
		"ebs/StartDiskReplicaGroup": 1, "ebs/CreateDiskReplicaPair": 2, "ebs/StopDiskReplicaGroup": 0} {
		if calls[action] != want {
			t.Errorf("%s: %d calls, want %d", action, calls[action], want)
		}
	}

	// Again: nothing to do.
	before := emutest.ChangingCalls(srv)
	again := byDisk(e.Pair(withTimeout(t, 30*time.Second), newInstance()))
	for _, id := range ids {
		if r := again[id]; r.Outcome != pairing.AlreadyPaired || r.ReplicaGroupID != g.ReplicaGroupID || !r.Started {
			t.Errorf("second delivery %s: %+v", id, r)
		}
	}
	if n := emutest.ChangingCalls(srv) - before; n != 0 {
		t.Errorf("second delivery made %d changing calls", n)
	}
}

func TestGroupConcurrentDeliveries(t *testing.T) {
	st, ids := instanceWorld(2, oneZone)
	srv := emutest.Start(t, st)
	api := emulatorAPI(t, srv, alibaba.APIEBS, 8)
	var wg sync.WaitGroup
	results := make([][]pairing.Result, 10)
	for i := range results {
		wg.Go(func() {
			results[i] = pairing.New(api, groupOptions()).Pair(withTimeout(t, 30*time.Second), newInstance())
		})
	}
	wg.Wait()
	g := checkOneGroup(t, srv, ids)
	for i, rs := range results {
		for _, r := range rs {
			if r.DiskID != "d-bp1gsys" && (r.Outcome == pairing.Failed || !r.Started || r.ReplicaGroupID != g.ReplicaGroupID) {
				t.Errorf("delivery %d, %s: %+v", i, r.DiskID, r)
			}
		}
	}
	if g.Status != "initial_syncing" && g.Status != "normal" {
		t.Fatalf("group %s", g.Status)
	}
}

// crashingAPI passes calls through until the n-th call of action, which it makes and then
// "crashes": that call and every later one answer errCrashed, as if the process died.
type crashingAPI struct {
	cloud.API
	mu      sync.Mutex
	action  string
	n, seen int
	crashed bool
}

var errCrashed = errors.New("crashed")

func (c *crashingAPI) gate(action string, call func() error) error {
	c.mu.Lock()
	if c.crashed {
		c.mu.Unlock()
		return errCrashed
	}
	crash := false
	if action == c.action {
		c.seen++
		crash = c.seen == c.n
	}
	c.mu.Unlock()
	err := call()
	if crash {
		c.mu.Lock()
		c.crashed = true
		c.mu.Unlock()
		return errCrashed
	}
	return err
}

func (c *crashingAPI) CreatePair(ctx context.Context, in cloud.CreatePairInput) (id string, err error) {
	err = c.gate("CreatePair", func() error { id, err = c.API.CreatePair(ctx, in); return err })
	return id, err
}

func (c *crashingAPI) CreateGroup(ctx context.Context, in cloud.CreateGroupInput) (id string, err error) {
	err = c.gate("CreateGroup", func() error { id, err = c.API.CreateGroup(ctx, in); return err })
	return id, err
}

func (c *crashingAPI) AddPairToGroup(ctx context.Context, region, g, p, tok string) error {
	return c.gate("AddPairToGroup", func() error { return c.API.AddPairToGroup(ctx, region, g, p, tok) })
}

func (c *crashingAPI) StartGroup(ctx context.Context, region, g, tok string) error {
	return c.gate("StartGroup", func() error { return c.API.StartGroup(ctx, region, g, tok) })
}

func (c *crashingAPI) TagDisks(ctx context.Context, region string, ids []string, tags map[string]string) error {
	return c.gate("TagDisks", func() error { return c.API.TagDisks(ctx, region, ids, tags) })
}

// TestGroupCrashAfterEachStep: a delivery that dies right after any changing call is finished
// by the next delivery, and by the sweep.
func TestGroupCrashAfterEachStep(t *testing.T) {
	t.Parallel()
	steps := []struct {
		action string
		n      int
	}{{"CreatePair", 1}, {"TagDisks", 1}, {"CreatePair", 2}, {"TagDisks", 2}, {"CreateGroup", 1},
		{"AddPairToGroup", 1}, {"AddPairToGroup", 2}, {"StartGroup", 1}}
	for _, healer := range []string{"event", "sweep"} {
		for _, step := range steps {
			t.Run(fmt.Sprintf("%s/%s#%d", healer, step.action, step.n), func(t *testing.T) {
				st, ids := instanceWorld(2, oneZone)
				srv := emutest.Start(t, st)
				api := emulatorAPI(t, srv, alibaba.APIEBS, 6)
				o := groupOptions()
				o.Concurrency = 1 // one order of calls, so #n is the same step every run
				crash := &crashingAPI{API: api, action: step.action, n: step.n}
				pairing.New(crash, o).Pair(withTimeout(t, 30*time.Second), newInstance())
				if !crash.crashed {
					t.Fatalf("never reached %s #%d", step.action, step.n)
				}
				e := pairing.New(api, o)
				var results []pairing.Result
				if healer == "event" {
					results = e.Pair(withTimeout(t, 30*time.Second), newInstance())
				} else {
					var err error
					results, err = e.Sweep(withTimeout(t, 30*time.Second), []string{src})
					if err != nil {
						t.Fatal(err)
					}
				}
				g := checkOneGroup(t, srv, ids)
				if g.Status != "initial_syncing" && g.Status != "normal" {
					t.Fatalf("group %s after healing", g.Status)
				}
				got := byDisk(results)
				for _, id := range ids {
					if r := got[id]; r.Outcome == pairing.Failed || !r.Started || r.ReplicaGroupID != g.ReplicaGroupID {
						t.Errorf("%s healed: %+v", id, r)
					}
				}
			})
		}
	}
}

func TestGroupLaterDisk(t *testing.T) {
	st, ids := instanceWorld(3, oneZone)
	st.Disks[5].Tags = map[string]string{"dr": "later"} // d-bp1g02 not opted in yet
	srv := emutest.Start(t, st)
	api := emulatorAPI(t, srv, alibaba.APIEBS, 6)
	e := pairing.New(api, groupOptions())
	e.Pair(withTimeout(t, 30*time.Second), newInstance())
	checkOneGroup(t, srv, ids[:2])

	// Opted in while the group is in its first full copy, which cannot be stopped: it waits.
	ctx := withTimeout(t, 30*time.Second)
	if err := api.TagDisks(ctx, src, ids[2:], map[string]string{"dr": "enabled"}); err != nil {
		t.Fatal(err)
	}
	busy := e.Pair(ctx, []pairing.Target{{Region: src, DiskIDs: ids[2:]}})
	if r := busy[0]; r.Outcome != pairing.Failed || r.Reason != pairing.ReasonGroupBusy || !r.Retryable || r.ReplicaPairID == "" {
		t.Fatalf("while the group syncs: %+v", r)
	}

	srv.Advance(time.Second) // the group is normal now
	joined := e.Pair(ctx, []pairing.Target{{Region: src, DiskIDs: ids[2:]}})
	g := checkOneGroup(t, srv, ids)
	if r := joined[0]; r.Outcome != pairing.Paired || !r.Started || r.ReplicaGroupID != g.ReplicaGroupID ||
		!strings.Contains(r.Message, "group stopped to add the pair") {
		t.Fatalf("joined: %+v", r)
	}
	calls := srv.Calls().Calls
	if calls["ebs/StopDiskReplicaGroup"] != 1 || calls["ebs/StartDiskReplicaGroup"] != 2 {
		t.Fatalf("stop %d, start %d", calls["ebs/StopDiskReplicaGroup"], calls["ebs/StartDiskReplicaGroup"])
	}
	if g.Status != "initial_syncing" {
		t.Fatalf("group %s after the join", g.Status)
	}
}

func TestGroupAlone(t *testing.T) {
	cases := []struct {
		name  string
		n     int
		zone  func(int) string
		wantN int // groups
		why   string
	}{
		{"18 disks", 18, oneZone, 0, "a replica group holds at most 17"},
		{"two zones", 2, func(i int) string { return []string{dstZone, "cn-shanghai-e"}[i] }, 0, "secondaries are in 2 zones"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, ids := instanceWorld(tc.n, tc.zone)
			srv := emutest.Start(t, st)
			results := byDisk(pairing.New(emulatorAPI(t, srv, alibaba.APIEBS, 6), groupOptions()).
				Pair(withTimeout(t, 60*time.Second), newInstance()))
			if n := len(groupsOf(srv)); n != tc.wantN {
				t.Fatalf("%d groups", n)
			}
			for _, id := range ids {
				r := results[id]
				if r.Outcome != pairing.Paired || !r.Started || r.ReplicaGroupID != "" || !strings.Contains(r.Message, tc.why) ||
					!strings.Contains(r.Message, "started alone") {
					t.Errorf("%s: %+v", id, r)
				}
			}
		})
	}
}

func TestGroupRunningPairAndUnattachedDisk(t *testing.T) {
	st, ids := instanceWorld(2, oneZone)
	st.Pairs = append(st.Pairs, emutest.Pair("pair-running", st.Disks[1], st.Disks[2], "normal"))
	loose := emutest.Disk("d-bp1loose", srcZone, emutest.OptIn())
	st.Disks = append(st.Disks, loose, emutest.Secondary(loose, "d-uf6loose", dstZone, emutest.BackRef(loose.DiskID)))
	srv := emutest.Start(t, st)
	results := byDisk(pairing.New(emulatorAPI(t, srv, alibaba.APIEBS, 6), groupOptions()).
		Pair(withTimeout(t, 30*time.Second), []pairing.Target{{Region: src, InstanceIDs: []string{groupInstance}}, {Region: src, DiskIDs: []string{"d-bp1loose"}}}))
	g := checkOneGroup(t, srv, ids[1:], 1)
	if r := results[ids[0]]; r.ReplicaPairID != "pair-running" || r.ReplicaGroupID != "" || !strings.Contains(r.Message, "already runs alone") {
		t.Errorf("running pair: %+v", r)
	}
	if r := results[ids[1]]; r.ReplicaGroupID != g.ReplicaGroupID || !r.Started {
		t.Errorf("new pair: %+v", r)
	}
	if r := results["d-bp1loose"]; r.Outcome != pairing.Paired || !r.Started || r.ReplicaGroupID != "" || !strings.Contains(r.Message, "not attached to an instance") {
		t.Errorf("unattached: %+v", r)
	}
}

func TestGroupDryRun(t *testing.T) {
	st, ids := instanceWorld(2, oneZone)
	srv := emutest.Start(t, st)
	o := groupOptions()
	o.DryRun = true
	results := byDisk(pairing.New(emulatorAPI(t, srv, alibaba.APIEBS, 6), o).Pair(withTimeout(t, 30*time.Second), newInstance()))
	for _, id := range ids {
		r := results[id]
		if r.Outcome != pairing.Planned || !strings.Contains(r.Message, "would create replica group absr-"+groupInstance) ||
			strings.Contains(r.Message, "start the pair") {
			t.Errorf("%s: %+v", id, r)
		}
	}
	if n := emutest.ChangingCalls(srv); n != 0 {
		t.Fatalf("dry run made %d changing calls", n)
	}
}
