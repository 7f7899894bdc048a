package alibaba

// End-to-end tests of the adapters against the ECS/EBS OpenAPI emulator (signature checks, STS,
// nonces, ABSR rules, ClientToken idempotency, injected faults).

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

var emuCreds = cloud.Credentials{AccessKeyID: emutest.AccessKeyID, AccessKeySecret: emutest.AccessKeySecret, SecurityToken: emutest.SecurityToken}

// errorLog collects every error an end-to-end test saw, to check none leaks a credential.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) add(err error) error {
	if err != nil {
		l.mu.Lock()
		l.errs = append(l.errs, err)
		l.mu.Unlock()
	}
	return err
}

func (l *errorLog) check(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range l.errs {
		assertNoCredentials(t, err.Error())
		assertNoCredentials(t, fmt.Sprintf("%+v %#v", err, err))
	}
}

func emuPool(t *testing.T, srv *emulator.Server, api string, mutate ...func(*Options)) *Pool {
	t.Helper()
	opts := Options{API: api, ECSEndpoint: srv.URL(), EBSEndpoint: srv.URL(),
		Retry: RetryPolicy{MaxAttempts: 8, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}}
	return newTestPool(t, opts, mutate...)
}

func emuCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// pairFlow runs what the engine does for one primary: read it, create the secondary, pair,
// start, tag. It returns the pair ID.
func pairFlow(ctx context.Context, t *testing.T, api cloud.API, primaryID, token string) string {
	t.Helper()
	disks, err := api.DescribeDisks(ctx, "cn-hangzhou", []string{primaryID})
	if err != nil || len(disks) != 1 {
		t.Fatalf("DescribeDisks: %v %v", disks, err)
	}
	p := disks[0]
	secondary, err := api.CreateDisk(ctx, cloud.CreateDiskInput{RegionID: "cn-shanghai", ZoneID: "cn-shanghai-b", Category: p.Category,
		PerformanceLevel: p.PerformanceLevel, Size: p.Size, Name: "absr-" + p.ID, ClientToken: token + "-disk",
		Tags: map[string]string{"dr:primary-disk": p.ID}})
	if err != nil {
		t.Fatalf("CreateDisk: %v", err)
	}
	pairID, err := api.CreatePair(ctx, cloud.CreatePairInput{RegionID: p.RegionID, DiskID: p.ID, SourceZoneID: p.ZoneID,
		DestinationRegionID: "cn-shanghai", DestinationZoneID: "cn-shanghai-b", DestinationDiskID: secondary,
		Name: "absr-" + p.ID, Description: "created by absr-autopair", RPO: 900, ClientToken: token + "-pair"})
	if err != nil {
		t.Fatalf("CreatePair: %v", err)
	}
	if err := api.StartPair(ctx, p.RegionID, pairID, token+"-start"); err != nil {
		t.Fatalf("StartPair: %v", err)
	}
	if err := api.TagDisks(ctx, p.RegionID, []string{p.ID}, map[string]string{"dr": "paired", "dr:pair": pairID}); err != nil {
		t.Fatalf("TagDisks: %v", err)
	}
	return pairID
}

func TestEmulatorEveryMethod(t *testing.T) {
	t.Parallel()
	for _, family := range []string{APIEBS, APIECS} {
		t.Run(family, func(t *testing.T) {
			primary := emutest.Disk("d-bp1primary", "cn-hangzhou-h", emutest.OptIn(), emutest.Attached("i-bp1a"))
			system := emutest.Disk("d-bp1system", "cn-hangzhou-h", emutest.System("i-bp1a"))
			srv := emutest.Start(t, emutest.World(primary, system))
			api := emuPool(t, srv, family).Client(emuCreds)
			ctx, trace := cloud.WithTrace(emuCtx(t))

			byInstance, err := api.InstanceDisks(ctx, "cn-hangzhou", "i-bp1a")
			if err != nil || len(byInstance) != 2 {
				t.Fatalf("InstanceDisks: %v %v", byInstance, err)
			}
			var tagged []string
			err = api.DisksByTag(ctx, "cn-hangzhou", "dr", "enabled", func(page []cloud.Disk) error {
				for _, d := range page {
					tagged = append(tagged, d.ID)
				}
				return nil
			})
			if err != nil || !reflect.DeepEqual(tagged, []string{"d-bp1primary"}) {
				t.Fatalf("DisksByTag: %v %v", tagged, err)
			}
			pairID := pairFlow(ctx, t, api, "d-bp1primary", "tok-"+family)

			for _, region := range []string{"cn-hangzhou", "cn-shanghai"} {
				pairs, err := api.ListPairs(ctx, region)
				if err != nil || len(pairs) != 1 || pairs[0].ID != pairID {
					t.Fatalf("ListPairs(%s): %+v %v", region, pairs, err)
				}
				p := pairs[0]
				if p.SourceDiskID != "d-bp1primary" || p.SourceRegionID != "cn-hangzhou" || p.SourceZoneID != "cn-hangzhou-h" ||
					p.DestinationRegionID != "cn-shanghai" || p.DestinationZoneID != "cn-shanghai-b" || p.DestinationDiskID == "" {
					t.Fatalf("pair %+v", p)
				}
				wantStatus := map[string][]string{APIEBS: {"initial_syncing", "normal"}, APIECS: {"active"}}[family]
				if !contains(wantStatus, p.Status) {
					t.Fatalf("status %q, want one of %v", p.Status, wantStatus)
				}
			}
			got, err := api.DescribeDisks(ctx, "cn-hangzhou", []string{"d-bp1primary"})
			if err != nil || got[0].Tags["dr"] != "paired" || got[0].Tags["dr:pair"] != pairID {
				t.Fatalf("tags after TagDisks: %+v %v", got, err)
			}
			if len(trace.RequestIDs()) != trace.Calls() {
				t.Fatalf("every answered call has a RequestId: %d of %d", len(trace.RequestIDs()), trace.Calls())
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestEmulatorActionsMatchActions(t *testing.T) {
	observed := map[string]bool{}
	for _, family := range []string{APIEBS, APIECS} {
		primary := emutest.Disk("d-bp1primary", "cn-hangzhou-h", emutest.OptIn(), emutest.Attached("i-bp1a"))
		srv := emutest.Start(t, emutest.World(primary))
		api := emuPool(t, srv, family).Client(emuCreds)
		ctx := emuCtx(t)
		if _, err := api.InstanceDisks(ctx, "cn-hangzhou", "i-bp1a"); err != nil {
			t.Fatal(err)
		}
		if err := api.DisksByTag(ctx, "cn-hangzhou", "dr", "", func([]cloud.Disk) error { return nil }); err != nil {
			t.Fatal(err)
		}
		pairFlow(ctx, t, api, "d-bp1primary", "tok")
		if _, err := api.ListPairs(ctx, "cn-hangzhou"); err != nil {
			t.Fatal(err)
		}
		zones, err := api.ReplicationZones(ctx, "cn-hangzhou")
		switch {
		case family == APIECS && codeOf(err) != codeUnsupported:
			t.Errorf("legacy ReplicationZones: %v, want %s", err, codeUnsupported)
		case family == APIEBS && (err != nil || !contains(zones["cn-hangzhou"], "cn-hangzhou-h")):
			t.Errorf("ReplicationZones = %v, %v; want cn-hangzhou-h listed", zones, err)
		}
		for key := range srv.Calls().Calls {
			observed[strings.Replace(key, "/", ":", 1)] = true
		}
	}
	observeGroupActions(t, observed)
	checkActionsObserved(t, observed)
}

func TestEmulatorPagingDisks(t *testing.T) {
	t.Parallel()
	var disks []emulator.Disk
	var ids []string
	for i := range 260 {
		id := fmt.Sprintf("d-bp1many%04d", i)
		ids = append(ids, id)
		opts := []emutest.DiskOption{emutest.Attached("i-bp1big")}
		if i%10 != 9 {
			opts = append(opts, emutest.OptIn())
		}
		disks = append(disks, emutest.Disk(id, "cn-hangzhou-h", opts...))
	}
	srv := emutest.Start(t, emutest.World(disks...))
	api := emuPool(t, srv, APIEBS).Client(emuCreds)
	ctx := emuCtx(t)

	got, err := api.DescribeDisks(ctx, "cn-hangzhou", append(ids, "d-bp1missing"))
	if err != nil || len(got) != 260 {
		t.Fatalf("DescribeDisks: %d %v", len(got), err)
	}
	if n := srv.Calls().Calls["ecs/DescribeDisks"]; n != 3 {
		t.Fatalf("%d DescribeDisks calls for 261 IDs, want 3", n)
	}
	byInstance, err := api.InstanceDisks(ctx, "cn-hangzhou", "i-bp1big")
	if err != nil || len(byInstance) != 260 || !uniqueDiskIDs(byInstance) {
		t.Fatalf("InstanceDisks: %d %v", len(byInstance), err)
	}
	var pages []int
	var tagged []cloud.Disk
	err = api.DisksByTag(ctx, "cn-hangzhou", "dr", "enabled", func(page []cloud.Disk) error {
		pages = append(pages, len(page))
		tagged = append(tagged, page...)
		return nil
	})
	if err != nil || !reflect.DeepEqual(pages, []int{100, 100, 34}) || !uniqueDiskIDs(tagged) {
		t.Fatalf("DisksByTag pages %v: %v", pages, err)
	}
}

func uniqueDiskIDs(disks []cloud.Disk) bool {
	seen := map[string]bool{}
	for _, d := range disks {
		if seen[d.ID] {
			return false
		}
		seen[d.ID] = true
	}
	return true
}

// addPairs adds n replica pairs to st, each with its two disks: primaries d-<prefix>pNNNN in
// srcZone, secondaries d-<prefix>sNNNN in dstZone, pairs pair-<prefix>NNNN (normal) or, of the
// legacy family, rp-<prefix>NNNN (active).
func addPairs(st *emulator.State, n int, prefix, srcZone, dstZone string, legacy bool) {
	for i := range n {
		p := emutest.Disk(fmt.Sprintf("d-%sp%04d", prefix, i), srcZone)
		s := emutest.Disk(fmt.Sprintf("d-%ss%04d", prefix, i), dstZone)
		st.Disks = append(st.Disks, p, s)
		if legacy {
			st.Pairs = append(st.Pairs, emutest.LegacyPair(fmt.Sprintf("rp-%s%04d", prefix, i), p, s, "active"))
		} else {
			st.Pairs = append(st.Pairs, emutest.Pair(fmt.Sprintf("pair-%s%04d", prefix, i), p, s, "normal"))
		}
	}
}

func TestEmulatorPagingPairs(t *testing.T) {
	t.Parallel()
	st := emutest.World()
	addPairs(st, 1100, "out", "cn-hangzhou-h", "cn-shanghai-b", false) // primary here
	addPairs(st, 420, "in", "cn-beijing-h", "cn-hangzhou-i", false)    // secondary here
	addPairs(st, 30, "far", "cn-beijing-h", "cn-shanghai-b", false)    // neither
	addPairs(st, 560, "lg", "cn-hangzhou-h", "cn-shanghai-b", true)
	srv := emutest.Start(t, st)
	ctx := emuCtx(t)

	ebsPairs, err := emuPool(t, srv, APIEBS).Client(emuCreds).ListPairs(ctx, "cn-hangzhou")
	if err != nil || len(ebsPairs) != 1520 || !uniquePairIDs(ebsPairs) {
		t.Fatalf("EBS ListPairs: %d %v", len(ebsPairs), err)
	}
	if n := srv.Calls().Calls["ebs/DescribeDiskReplicaPairs"]; n != 3+1 {
		t.Fatalf("%d EBS list calls, want 3 production pages + 1 backup page", n)
	}
	legacyPairs, err := emuPool(t, srv, APIECS).Client(emuCreds).ListPairs(ctx, "cn-hangzhou")
	if err != nil || len(legacyPairs) != 560 || !uniquePairIDs(legacyPairs) {
		t.Fatalf("legacy ListPairs: %d %v", len(legacyPairs), err)
	}
	for _, p := range legacyPairs {
		if !strings.HasPrefix(p.ID, "rp-lg") || p.SourceRegionID != "cn-hangzhou" || p.DestinationRegionID != "cn-shanghai" {
			t.Fatalf("legacy pair %+v", p)
		}
	}
}

func uniquePairIDs(pairs []cloud.Pair) bool {
	seen := map[string]bool{}
	for _, p := range pairs {
		if seen[p.ID] {
			return false
		}
		seen[p.ID] = true
	}
	return true
}

// faultWorld has n opted-in primaries in cn-hangzhou.
func faultWorld(n int) *emulator.State {
	var disks []emulator.Disk
	for i := range n {
		disks = append(disks, emutest.Disk(fmt.Sprintf("d-bp1prim%03d", i), "cn-hangzhou-h", emutest.OptIn()))
	}
	return emutest.World(disks...)
}

func TestEmulatorRetriesUnderFaults(t *testing.T) {
	t.Parallel()
	faults := []struct {
		name string
		f    emulator.Faults
	}{
		{"throttling", emulator.Faults{ThrottlePercent: 40, Seed: 11}},
		{"unavailable", emulator.Faults{UnavailablePercent: 40, Seed: 12}},
		{"reset", emulator.Faults{ResetPercent: 30, Seed: 13}},
		{"lost response", emulator.Faults{LostResponsePercent: 30, Seed: 14}},
		{"everything", emulator.Faults{ThrottlePercent: 15, UnavailablePercent: 10, ResetPercent: 10, LostResponsePercent: 15, Seed: 15}},
	}
	for _, family := range []string{APIEBS, APIECS} {
		for _, fc := range faults {
			t.Run(family+"/"+fc.name, func(t *testing.T) {
				ambiguous := fc.f.ResetPercent > 0 || fc.f.LostResponsePercent > 0
				if family == APIECS && ambiguous {
					legacyUnderAmbiguousFaults(t, fc.f)
					return
				}
				const n = 6
				srv := emutest.Start(t, faultWorld(n))
				srv.SetFaults(fc.f)
				var errs errorLog
				api := emuPool(t, srv, family).Client(emuCreds)
				ctx, trace := cloud.WithTrace(emuCtx(t))
				for i := range n {
					id := fmt.Sprintf("d-bp1prim%03d", i)
					pairFlow(ctx, t, api, id, fmt.Sprintf("tok-%s-%d", strings.ReplaceAll(fc.name, " ", ""), i))
				}
				srv.SetFaults(emulator.Faults{})
				pairs, err := api.ListPairs(ctx, "cn-hangzhou")
				if errs.add(err) != nil {
					t.Fatal(err)
				}
				snap := srv.Snapshot()
				if len(pairs) != n || len(snap.Pairs) != n || len(snap.Disks) != 2*n {
					t.Fatalf("%d pairs listed, %d pairs and %d disks in the world: want %d, %d, %d (exactly one of each per primary)",
						len(pairs), len(snap.Pairs), len(snap.Disks), n, n, 2*n)
				}
				faulted := 0
				for _, a := range trace.Attempts() {
					if a.Code != "" {
						faulted++
					}
				}
				counts := srv.Calls()
				if faulted == 0 {
					t.Fatalf("no fault was injected (calls %v): the test proves nothing", counts.Calls)
				}
				t.Logf("%d attempts, %d failed and retried; emulator errors %v", trace.Calls(), faulted, counts.Errors)
				errs.check(t)
			})
		}
	}
}

// legacyUnderAmbiguousFaults: the legacy create and start take no ClientToken, so the adapter
// does not repeat them after a reset or a lost answer; it returns a retryable error and the
// caller re-lists before trying again (what the engine does). The outcome must still be exactly
// one started pair per primary.
func legacyUnderAmbiguousFaults(t *testing.T, faults emulator.Faults) {
	const n = 6
	srv := emutest.Start(t, faultWorld(n))
	srv.SetFaults(faults)
	var errs errorLog
	api := emuPool(t, srv, APIECS).Client(emuCreds)
	ctx, trace := cloud.WithTrace(emuCtx(t))
	ambiguous := 0
	for i := range n {
		id := fmt.Sprintf("d-bp1prim%03d", i)
		secondary, err := api.CreateDisk(ctx, cloud.CreateDiskInput{RegionID: "cn-shanghai", ZoneID: "cn-shanghai-b", Category: "cloud_essd",
			PerformanceLevel: "PL1", Size: 100, ClientToken: "tok-disk-" + id})
		if errs.add(err) != nil {
			t.Fatalf("CreateDisk (repeatable) under faults: %v", err)
		}
		done := false
		for attempt := 0; attempt < 20 && !done; attempt++ {
			pairs, err := api.ListPairs(ctx, "cn-hangzhou")
			if errs.add(err) != nil {
				t.Fatalf("ListPairs (repeatable) under faults: %v", err)
			}
			var mine *cloud.Pair
			for k := range pairs {
				if pairs[k].SourceDiskID == id {
					mine = &pairs[k]
				}
			}
			switch {
			case mine == nil:
				_, err = api.CreatePair(ctx, cloud.CreatePairInput{RegionID: "cn-hangzhou", DiskID: id, DestinationRegionID: "cn-shanghai",
					DestinationDiskID: secondary, Name: "absr-" + id})
			case mine.Status == "inactive":
				err = api.StartPair(ctx, "cn-hangzhou", mine.ID, "")
			default:
				done = true
			}
			if errs.add(err) != nil {
				if !cloud.IsRetryable(err) {
					t.Fatalf("ambiguous failure reported as permanent: %v", err)
				}
				ambiguous++
			}
		}
		if !done {
			t.Fatalf("%s never paired", id)
		}
	}
	srv.SetFaults(emulator.Faults{})
	snap := srv.Snapshot()
	if len(snap.Pairs) != n {
		t.Fatalf("%d pairs for %d primaries", len(snap.Pairs), n)
	}
	for _, p := range snap.Pairs {
		if p.Status != "active" {
			t.Fatalf("pair %s is %s", p.ReplicaPairID, p.Status)
		}
	}
	if ambiguous == 0 {
		t.Fatal("no create or start failed ambiguously: the test proves nothing")
	}
	t.Logf("%d attempts, %d ambiguous create/start failures handed back", trace.Calls(), ambiguous)
	errs.check(t)
}

func TestEmulatorLostCreateWithoutTokenIsNotRepeated(t *testing.T) {
	srv := emutest.Start(t, faultWorld(1))
	srv.SetFaults(emulator.Faults{LostResponsePercent: 100})
	api := emuPool(t, srv, APIECS).Client(emuCreds)
	_, err := api.CreateDisk(emuCtx(t), cloud.CreateDiskInput{RegionID: "cn-shanghai", ZoneID: "cn-shanghai-b", Category: "cloud_essd",
		PerformanceLevel: "PL1", Size: 100})
	if codeOf(err) != codeConnectionReset || !cloud.IsRetryable(err) {
		t.Fatalf("err %v", err)
	}
	if n := srv.Calls().Calls["ecs/CreateDisk"]; n != 1 {
		t.Fatalf("%d CreateDisk calls without ClientToken after a lost answer, want 1", n)
	}
	assertNoCredentials(t, err.Error())
}

func TestEmulatorDeadline(t *testing.T) {
	t.Parallel()
	srv := emutest.Start(t, faultWorld(1))
	srv.SetFaults(emulator.Faults{LatencyMs: 60_000})
	api := emuPool(t, srv, APIEBS, func(o *Options) { o.RequestTimeout = 10 * time.Minute }).Client(emuCreds)
	checkEndsAtDeadline(t, 400*time.Millisecond, 50*time.Second, func(ctx context.Context) error {
		_, err := api.DescribeDisks(ctx, "cn-hangzhou", []string{"d-bp1prim000"})
		return err
	})
	if n := srv.Calls().Calls["ecs/DescribeDisks"]; n != 1 {
		t.Fatalf("%d calls: nothing may start after the deadline", n)
	}
}

func TestEmulatorCredentials(t *testing.T) {
	st := faultWorld(1)
	st.Credentials = []emulator.Credential{
		{AccessKeyID: testAKID, AccessKeySecret: testSecret, SecurityToken: testToken},
		{AccessKeyID: "LTAI5tPlainKey", AccessKeySecret: "plain-secret-value"},
	}
	srv := emutest.Start(t, st)
	p := emuPool(t, srv, APIEBS)
	ctx := emuCtx(t)
	var errs errorLog

	// The STS token reaches the server: the emulator refuses this key without exactly that token.
	if _, err := p.Client(cloud.Credentials{AccessKeyID: testAKID, AccessKeySecret: testSecret, SecurityToken: testToken}).ListPairs(ctx, "cn-hangzhou"); errs.add(err) != nil {
		t.Fatalf("STS credentials: %v", err)
	}
	if _, err := p.Client(cloud.Credentials{AccessKeyID: "LTAI5tPlainKey", AccessKeySecret: "plain-secret-value"}).ListPairs(ctx, "cn-hangzhou"); errs.add(err) != nil {
		t.Fatalf("AK credentials: %v", err)
	}
	cases := []struct {
		creds cloud.Credentials
		code  string
	}{
		{cloud.Credentials{AccessKeyID: testAKID, AccessKeySecret: testSecret}, "MissingSecurityToken"},
		{cloud.Credentials{AccessKeyID: testAKID, AccessKeySecret: testSecret, SecurityToken: "CAIS+other/token=="}, "InvalidSecurityToken.MismatchWithAccessKey"},
		{cloud.Credentials{AccessKeyID: testAKID, AccessKeySecret: "Wrong/Secret+Value", SecurityToken: testToken}, "SignatureDoesNotMatch"},
		{cloud.Credentials{AccessKeyID: "LTAI5tUnknownKey", AccessKeySecret: testSecret}, "InvalidAccessKeyId.NotFound"},
		{cloud.Credentials{AccessKeyID: "LTAI5tPlainKey", AccessKeySecret: "plain-secret-value", SecurityToken: testToken}, "InvalidSecurityToken.Malformed"},
	}
	for _, c := range cases {
		_, err := p.Client(c.creds).DescribeDisks(ctx, "cn-hangzhou", []string{"d-bp1prim000"})
		errs.add(err)
		if codeOf(err) != c.code || cloud.IsRetryable(err) {
			t.Errorf("%v: got %v, want %s", c.creds, err, c.code)
			continue
		}
		for _, secret := range []string{c.creds.AccessKeySecret, c.creds.SecurityToken, "plain-secret-value"} {
			if secret != "" && strings.Contains(err.Error(), secret) {
				t.Fatalf("secret in %q", err)
			}
		}
	}
	errs.check(t)
}

// TestEmulatorRateLimit: a burst of concurrent calls larger than the emulator's flow control
// allows (5 calls/s, burst 5) is throttled without our limiter (retries absorb it) and never with
// it (4 calls/s, burst 4, stricter than the emulator's): the limiter makes the concurrent calls
// wait their turn. Each half has its own emulator and runs beside the other.
func TestEmulatorRateLimit(t *testing.T) {
	// Not parallel with other tests: the unlimited calls must outrun the emulator's flow control
	// (7 calls arriving within 0.4 s), which a machine busy with other tests could keep them from.
	const (
		emulatorQPS = 5 // burst 5
		burst       = emulatorQPS + 2
	)
	// burstOf makes n calls at once and returns their first error.
	burstOf := func(api cloud.API, n int) error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { _, errs[i] = api.DescribeDisks(emuCtx(t), "cn-hangzhou", []string{"d-bp1prim000"}) })
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	start := func(t *testing.T) *emulator.Server {
		srv := emutest.Start(t, faultWorld(1))
		srv.SetFaults(emulator.Faults{QPSPerAction: emulatorQPS})
		return srv
	}
	t.Run("without our limiter the burst is throttled", func(t *testing.T) {
		t.Parallel()
		srv := start(t)
		unlimited := emuPool(t, srv, APIEBS, func(o *Options) {
			o.Retry = RetryPolicy{MaxAttempts: 10, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
		}).Client(emuCreds)
		if err := burstOf(unlimited, burst); err != nil {
			t.Fatal(err)
		}
		if n := srv.Calls().Errors["Throttling.User"]; n == 0 {
			t.Fatal("no throttling without the limiter: the comparison proves nothing")
		}
	})
	t.Run("our limiter keeps the burst within the flow control", func(t *testing.T) {
		t.Parallel()
		srv := start(t)
		limited := emuPool(t, srv, APIEBS, func(o *Options) { o.MaxQPS = emulatorQPS - 1 }).Client(emuCreds)
		if err := burstOf(limited, burst); err != nil {
			t.Fatal(err)
		}
		if n := srv.Calls().Errors["Throttling.User"]; n != 0 {
			t.Fatalf("%d throttling answers with the limiter on", n)
		}
		if n := srv.Calls().Calls["ecs/DescribeDisks"]; n != burst {
			t.Fatalf("%d DescribeDisks calls reached the emulator, want %d (one per call)", n, burst)
		}
	})
}

func TestEmulatorNoGrowthAcrossInvocations(t *testing.T) {
	srv := emutest.Start(t, faultWorld(1))
	p := emuPool(t, srv, APIEBS)
	invoke := func(i int) {
		api := p.Client(cloud.Credentials{AccessKeyID: emutest.AccessKeyID, AccessKeySecret: emutest.AccessKeySecret, SecurityToken: emutest.SecurityToken})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := api.DescribeDisks(ctx, "cn-hangzhou", []string{"d-bp1prim000"}); err != nil {
			t.Fatal(err)
		}
		if _, err := api.ListPairs(ctx, "cn-hangzhou"); err != nil {
			t.Fatal(err)
		}
	}
	invoke(0)
	before := runtime.NumGoroutine()
	for i := 1; i <= 100; i++ {
		invoke(i)
	}
	if after := settledGoroutines(before); after > before {
		t.Fatalf("goroutines grew from %d to %d over 100 invocations", before, after)
	}
}
