package handler

// Reliability through Handle, with the real SDK adapters against the emulator: faults with
// re-delivery as Function Compute's async retry does it, concurrent duplicate deliveries, healing
// after a crash, deadlines, the client-side rate limiter and malformed input.
//
// Identifiers here start with rel so that they cannot collide with other test files of the package.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/cloud/alibaba"
	"github.com/absr-autopair/absr-autopair/internal/config"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/intake"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

const (
	relSrc     = "cn-hangzhou"
	relSrcZone = "cn-hangzhou-h"
	relDst     = "cn-shanghai"
	relDstZone = "cn-shanghai-b"
	// relMaxDeliveries is the most Function Compute delivers one async event: the first delivery
	// and at most 8 retries (maxAsyncRetryAttempts is 0-8, default 3).
	relMaxDeliveries = 9
)

// relCreds are the credentials an emutest world accepts.
var relCreds = cloud.Credentials{AccessKeyID: emutest.AccessKeyID, AccessKeySecret: emutest.AccessKeySecret,
	SecurityToken: emutest.SecurityToken}

// relWorld has n opted-in primaries whose secondaries come, in turn, from the dr:secondary-disk
// tag, from a dr:primary-disk back-reference, and from auto-create.
func relWorld(n int) (*emulator.State, []string) {
	var disks []emulator.Disk
	var ids []string
	for i := range n {
		id := fmt.Sprintf("d-bp1rel%03d", i)
		secID := fmt.Sprintf("d-uf6rel%03d", i)
		p := emutest.Disk(id, relSrcZone, emutest.OptIn(), emutest.Attached(fmt.Sprintf("i-bp1rel%03d", i/4)))
		switch i % 3 {
		case 0:
			emutest.Tags(pairing.TagSecondaryDisk, secID)(&p)
			disks = append(disks, p, emutest.Secondary(p, secID, relDstZone))
		case 1:
			disks = append(disks, p, emutest.Secondary(p, secID, relDstZone, emutest.BackRef(id)))
		default:
			disks = append(disks, p) // its secondary is auto-created
		}
		ids = append(ids, id)
	}
	return emutest.World(disks...), ids
}

// relConfig is the configuration an operator would set for the worlds here, read through
// config.FromEnv; extra holds more variables as name, value, name, value...
func relConfig(t testing.TB, srv *emulator.Server, extra ...string) config.Config {
	t.Helper()
	env := map[string]string{
		config.EnvRoutes:              relSrc + "=" + relDst + "/" + relDstZone,
		config.EnvAutoCreateSecondary: "true",
		config.EnvSourceRegions:       relSrc,
		config.EnvMaxQPS:              "1000",
		config.EnvECSEndpoint:         srv.URL(),
		config.EnvEBSEndpoint:         srv.URL(),
		config.EnvMappingFile:         "",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	cfg, err := config.FromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("configuration: %v", err)
	}
	// Short waits keep the tests fast; the logic is the same as with the defaults.
	cfg.Pairing.PollInterval = 10 * time.Millisecond
	cfg.Pairing.DiskWait = 2 * time.Second
	return cfg
}

// relPoolOptions are the pool options Setup uses (testPoolOptions), with a 3 s bound on each
// attempt.
func relPoolOptions(cfg config.Config) alibaba.Options {
	o := testPoolOptions(cfg)
	o.RequestTimeout = 3 * time.Second
	return o
}

// relNewHandler builds a Handler (one function instance) with its own connection pool.
func relNewHandler(t testing.TB, cfg config.Config, o alibaba.Options, creds cloud.CredentialSource, log *slog.Logger) *Handler {
	t.Helper()
	pool, err := alibaba.NewPool(o)
	if err != nil {
		t.Fatalf("pool: %v", err)
	}
	t.Cleanup(pool.Close)
	if log == nil {
		log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	return New(cfg, pool, creds, log, relSrc)
}

// relTagEvent is the ActionTrail record of a TagResources call setting dr=enabled on disks, as
// EventBridge delivers it.
func relTagEvent(id string, disks []string) []byte {
	params := map[string]any{"RegionId": relSrc, "ResourceType": "disk", "Tag.1.Key": "dr", "Tag.1.Value": "enabled"}
	for i, d := range disks {
		params[fmt.Sprintf("ResourceId.%d", i+1)] = d
	}
	ev := map[string]any{
		"id": id, "source": "acs.ecs", "specversion": "1.0", "type": "ecs:ActionTrail:ApiCall",
		"subject": "acs:ecs:" + relSrc + ":1234567890123456:disk/" + disks[0], "time": "2026-11-27T18:12:40+08:00",
		"data": map[string]any{
			"eventId": id, "eventSource": "ecs.aliyuncs.com", "eventType": "ApiCall", "eventName": "TagResources",
			"serviceName": "Ecs", "apiVersion": "2014-05-26", "acsRegion": relSrc, "eventRW": "Write",
			"requestParameters":   params,
			"referencedResources": map[string]any{"ACS::ECS::Disk": disks},
			"resourceType":        "ACS::ECS::Disk",
		},
		"aliyunregionid": relSrc,
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return b
}

// relTimer is the timer trigger's reconcile event for the source region.
var relTimer = []byte(`{"triggerTime":"2026-11-27T11:30:00Z","triggerName":"reconcile","payload":"{\"regions\":[\"cn-hangzhou\"]}"}`)

// relDeliver delivers payload as Function Compute does an async event: again while Handle
// returns an error wrapping ErrRetryable, up to max deliveries. It returns the last report and
// error and the number of deliveries made.
func relDeliver(t testing.TB, h *Handler, payload []byte, max int) (*Report, error, int) {
	t.Helper()
	var rep *Report
	var err error
	n := 0
	for n < max {
		n++
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		rep, err = h.Handle(ctx, Invocation{RequestID: fmt.Sprintf("delivery-%d", n)}, payload)
		cancel()
		if !errors.Is(err, ErrRetryable) {
			break
		}
	}
	return rep, err, n
}

// relCheckDone fails unless every result is paired or already_paired.
func relCheckDone(t testing.TB, rep *Report, ids []string) {
	t.Helper()
	if rep == nil {
		t.Fatal("no report")
	}
	var got []string
	for _, r := range rep.Results {
		got = append(got, r.DiskID)
		if r.Outcome != pairing.Paired && r.Outcome != pairing.AlreadyPaired {
			t.Errorf("%s: %s/%s retryable=%v: %s", r.DiskID, r.Outcome, r.Reason, r.Retryable, r.Message)
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(ids))
	if !slices.Equal(got, want) {
		t.Errorf("report covers %v, want each of %v once", got, want)
	}
}

// relCheckPairedOnce checks the emulator's world: every primary is in exactly one started pair,
// is marked with it, and has at most one secondary created for it; no disk is in two pairs.
func relCheckPairedOnce(t testing.TB, srv *emulator.Server, primaries []string) {
	t.Helper()
	snap := srv.Snapshot()
	inPairs := map[string][]string{}
	for _, p := range snap.Pairs {
		inPairs[p.SourceDiskID] = append(inPairs[p.SourceDiskID], p.ReplicaPairID)
		inPairs[p.DestinationDiskID] = append(inPairs[p.DestinationDiskID], p.ReplicaPairID)
	}
	for disk, pairs := range inPairs {
		if len(pairs) > 1 {
			t.Errorf("disk %s is in %d pairs: %v", disk, len(pairs), pairs)
		}
	}
	tags := map[string]map[string]string{}
	backRefs := map[string]int{}
	for _, d := range snap.Disks {
		tags[d.DiskID] = d.Tags
		if p := d.Tags[pairing.TagPrimaryDisk]; p != "" {
			backRefs[p]++
		}
	}
	status := map[string]string{}
	for _, p := range snap.Pairs {
		status[p.ReplicaPairID] = p.Status
	}
	for _, id := range primaries {
		pairs := inPairs[id]
		if len(pairs) != 1 {
			t.Errorf("primary %s is in %d pairs, want 1", id, len(pairs))
			continue
		}
		if s := status[pairs[0]]; s == "created" || s == "creating" || s == "inactive" {
			t.Errorf("primary %s: pair %s is %s, not started", id, pairs[0], s)
		}
		if got := tags[id][pairing.TagReplicaPair]; got != pairs[0] {
			t.Errorf("primary %s is marked %s=%q, want %s", id, pairing.TagReplicaPair, got, pairs[0])
		}
		if backRefs[id] > 1 {
			t.Errorf("primary %s has %d disks tagged %s: a secondary was created twice", id, backRefs[id], pairing.TagPrimaryDisk)
		}
	}
	if n := len(snap.Pairs); n != len(primaries) {
		t.Errorf("%d pairs in the world, want %d", n, len(primaries))
	}
}

func relSkipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the emulator")
	}
}

// Lost responses, throttling, unavailability and connection resets: the event is delivered again
// while the handler says ErrRetryable, and every disk ends in exactly one started, marked pair.
func TestReliabilityFaultsConverge(t *testing.T) {
	t.Parallel()
	relSkipShort(t)
	tests := []struct {
		name   string
		api    string
		faults emulator.Faults
	}{
		{"lost responses 50%", "ebs", emulator.Faults{LostResponsePercent: 50, Seed: 11}},
		{"lost responses 50% legacy API", "ecs", emulator.Faults{LostResponsePercent: 50, Seed: 14}},
		{"throttling 40%", "ebs", emulator.Faults{ThrottlePercent: 40, Seed: 12}},
		{"unavailable 30% and resets 20%", "ebs", emulator.Faults{UnavailablePercent: 30, ResetPercent: 20, Seed: 13}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, ids := relWorld(12)
			st.Faults = tc.faults
			srv := emutest.Start(t, st)
			cfg := relConfig(t, srv, config.EnvAPI, tc.api)
			h := relNewHandler(t, cfg, relPoolOptions(cfg), relCreds, nil)

			rep, err, n := relDeliver(t, h, relTagEvent("ev-faults", ids), relMaxDeliveries)
			if err != nil {
				t.Fatalf("after %d deliveries: %v", n, err)
			}
			relCheckDone(t, rep, ids)
			relCheckPairedOnce(t, srv, ids)
			calls := srv.Calls()
			if c := calls.Errors["IdempotentParameterMismatch"]; c != 0 {
				t.Errorf("%d IdempotentParameterMismatch answers: a retry changed its parameters", c)
			}

			// The timer's sweep, faults still on, finds nothing left to do and changes nothing.
			before := len(srv.Snapshot().Pairs)
			swept, err, m := relDeliver(t, h, relTimer, relMaxDeliveries)
			if err != nil {
				t.Fatalf("sweep after %d deliveries: %v", m, err)
			}
			relCheckDone(t, swept, ids)
			if after := len(srv.Snapshot().Pairs); after != before {
				t.Errorf("the sweep changed the number of pairs from %d to %d", before, after)
			}
			relCheckPairedOnce(t, srv, ids)
			t.Logf("converged after %d deliveries (sweep %d); calls %v; errors %v", n, m, calls.Calls, calls.Errors)
		})
	}
}

// Twenty deliveries of the same event at once, spread over two function instances: one pair per
// disk, one secondary per auto-created disk, and no delivery reports a failure it cannot heal.
func TestReliabilityConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	relSkipShort(t)
	for _, api := range []string{alibaba.APIEBS, alibaba.APIECS} {
		t.Run(api, func(t *testing.T) {
			st, ids := relWorld(12)
			st.Faults.LatencyMs = 2 // spreads each call, so that the deliveries interleave
			srv := emutest.Start(t, st)
			cfg := relConfig(t, srv, config.EnvAPI, api)
			instances := []*Handler{
				relNewHandler(t, cfg, relPoolOptions(cfg), relCreds, nil),
				relNewHandler(t, cfg, relPoolOptions(cfg), relCreds, nil),
			}
			payload := relTagEvent("ev-duplicate", ids)

			const deliveries = 20
			reports := make([]*Report, deliveries)
			errs := make([]error, deliveries)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range deliveries {
				wg.Go(func() {
					<-start
					ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
					defer cancel()
					reports[i], errs[i] = instances[i%2].Handle(ctx, Invocation{RequestID: fmt.Sprintf("dup-%d", i)}, payload)
				})
			}
			close(start)
			wg.Wait()

			outcomes := map[string]int{}
			for i, rep := range reports {
				if errs[i] != nil && !errors.Is(errs[i], ErrRetryable) {
					t.Errorf("delivery %d: %v", i, errs[i])
					continue
				}
				for _, r := range rep.Results {
					outcomes[string(r.Outcome)+"/"+r.Reason]++
					if r.Outcome == pairing.Failed && !r.Retryable {
						t.Errorf("delivery %d, %s: failed for good: %s: %s", i, r.DiskID, r.Reason, r.Message)
					}
				}
				if errs[i] != nil {
					// FC delivers it again; that delivery must finish the job.
					rep, err, n := relDeliver(t, instances[i%2], payload, relMaxDeliveries-1)
					if err != nil {
						t.Errorf("delivery %d, %d retries: %v", i, n, err)
						continue
					}
					relCheckDone(t, rep, ids)
				}
			}
			relCheckPairedOnce(t, srv, ids)
			t.Logf("outcomes over %d deliveries: %v; calls %v; errors %v", deliveries, outcomes, srv.Calls().Calls, srv.Calls().Errors)
		})
	}
}

// relCrashWorld is what a process that died mid-way leaves behind: d-bp1crash0 in a pair never
// started, d-bp1crash1 in a started pair but unmarked, and d-bp1crash2 with the secondary an
// earlier attempt auto-created but no pair.
func relCrashWorld(api string) (*emulator.State, []string) {
	p0 := emutest.Disk("d-bp1crash0", relSrcZone, emutest.OptIn(), emutest.Attached("i-bp1crash"))
	p1 := emutest.Disk("d-bp1crash1", relSrcZone, emutest.OptIn(), emutest.Attached("i-bp1crash"))
	p2 := emutest.Disk("d-bp1crash2", relSrcZone, emutest.OptIn())
	s0 := emutest.Secondary(p0, "d-uf6crash0", relDstZone, emutest.BackRef(p0.DiskID))
	s1 := emutest.Secondary(p1, "d-uf6crash1", relDstZone, emutest.BackRef(p1.DiskID))
	s2 := emutest.Secondary(p2, "d-uf6crash2", relDstZone, emutest.BackRef(p2.DiskID),
		emutest.Named("absr-secondary-d-bp1crash2"))
	st := emutest.World(p0, p1, p2, s0, s1, s2)
	if api == alibaba.APIECS {
		st.Pairs = append(st.Pairs, emutest.LegacyPair("rp-crash0", p0, s0, "inactive"),
			emutest.LegacyPair("rp-crash1", p1, s1, "active"))
	} else {
		st.Pairs = append(st.Pairs, emutest.Pair("pair-cn-crash0", p0, s0, "created"),
			emutest.Pair("pair-cn-crash1", p1, s1, "normal"))
	}
	return st, []string{p0.DiskID, p1.DiskID, p2.DiskID}
}

// A pair left created, a primary left unmarked and a secondary left unpaired are completed by
// the next event, and by the next sweep, with no second pair or disk.
func TestReliabilityCrashHealing(t *testing.T) {
	t.Parallel()
	relSkipShort(t)
	for _, api := range []string{alibaba.APIEBS, alibaba.APIECS} {
		for _, via := range []string{"event", "sweep"} {
			t.Run(api+" "+via, func(t *testing.T) {
				st, ids := relCrashWorld(api)
				srv := emutest.Start(t, st)
				cfg := relConfig(t, srv, config.EnvAPI, api)
				h := relNewHandler(t, cfg, relPoolOptions(cfg), relCreds, nil)
				payload := relTagEvent("ev-after-crash", ids)
				if via == "sweep" {
					payload = relTimer
				}
				rep, err, n := relDeliver(t, h, payload, 1)
				if err != nil {
					t.Fatalf("delivery %d: %v", n, err)
				}
				relCheckDone(t, rep, ids)
				// The pair left created is started (this delivery's doing: paired); the running pair
				// only gets its mark (already_paired, saying so).
				want := map[string]struct {
					outcome pairing.Outcome
					msg     string
				}{
					"d-bp1crash0": {pairing.Paired, "started existing pair"},
					"d-bp1crash1": {pairing.AlreadyPaired, "was not marked"},
					"d-bp1crash2": {pairing.Paired, "paired with d-uf6crash2"},
				}
				for _, r := range rep.Results {
					if w := want[r.DiskID]; r.Outcome != w.outcome || !strings.Contains(r.Message, w.msg) {
						t.Errorf("%s: %s: %s, want %s mentioning %q", r.DiskID, r.Outcome, r.Message, w.outcome, w.msg)
					}
				}
				relCheckPairedOnce(t, srv, ids)
				calls := srv.Calls().Calls
				if c := calls["ecs/CreateDisk"]; c != 0 {
					t.Errorf("%d CreateDisk calls: the secondary left by the crash should have been used", c)
				}
				// A sweep (and the legacy family) lists the pairs and creates only d-bp1crash2's. An EBS
				// event lists none: each unmarked disk's create is the check, refused by the
				// one-pair-per-disk rule for the two in pairs (relCheckPairedOnce: no second pair).
				wantCreates := 1
				if api == alibaba.APIEBS && via == "event" {
					wantCreates = 3
				}
				if c := calls[api+"/CreateDiskReplicaPair"]; c != wantCreates {
					t.Errorf("%d CreateDiskReplicaPair calls, want %d", c, wantCreates)
				}
			})
		}
	}
}

// A slow cloud and a short deadline: Handle stops starting work before the deadline, returns in
// time with the unfinished disks failed retryably, and leaves no goroutine behind. A later
// delivery finishes the job.
func TestReliabilityDeadline(t *testing.T) {
	// Not parallel: whether Handle returns within its margin before the deadline depends on
	// the CPU it gets, which tests running alongside in this process would take. (The goroutine
	// checks would not need it: they tell the invocation's goroutines by their pprof labels.)
	relSkipShort(t)
	const latency = 100 * time.Millisecond
	st, ids := relWorld(12)
	st.Faults.LatencyMs = latency.Milliseconds()
	srv := emutest.Start(t, st)
	cfg := relConfig(t, srv)
	pool, err := alibaba.NewPool(relPoolOptions(cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	h := New(cfg, pool, relCreds, slog.New(slog.NewJSONHandler(io.Discard, nil)), relSrc)
	payload := relTagEvent("ev-deadline", ids)

	// The engine keeps 10% of a short deadline free (120 ms here): several times what cutting
	// the calls and reporting takes, also with -race on a busy machine.
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	deadline, _ := ctx.Deadline()
	invocation := fmt.Sprintf("%s#%p", t.Name(), t)
	var rep *Report
	var returned time.Time
	pprof.Do(ctx, pprof.Labels(relInvocationLabel, invocation), func(ctx context.Context) {
		rep, err = h.Handle(ctx, Invocation{RequestID: "deadline"}, payload)
		returned = time.Now()
	})
	if !returned.Before(deadline) {
		t.Errorf("Handle returned %s after the deadline", returned.Sub(deadline))
	}
	if !errors.Is(err, ErrRetryable) {
		t.Fatalf("error %v, want ErrRetryable", err)
	}
	// Child goroutines inherit the labels: once Handle has returned, none of the invocation's
	// runs the function's code or the SDK's (idle keep-alive connections remain, by design).
	if stacks := relGoroutines(invocation, "absr-autopair/internal/pairing.", "absr-autopair/internal/cloud",
		"alibaba-cloud-sdk-go"); stacks != "" {
		t.Errorf("goroutines of the invocation outlive it:\n%s", stacks)
	}
	calls := srv.Calls().Total()
	late := 0
	for _, r := range rep.Results {
		if r.Outcome == pairing.Failed {
			late++
			if !r.Retryable || r.Reason != pairing.ReasonDeadlineExceeded {
				t.Errorf("%s: %s retryable=%v, want deadline_exceeded, retryable: %s", r.DiskID, r.Reason, r.Retryable, r.Message)
			}
		}
	}
	if late == 0 || len(rep.Results) != len(ids) {
		t.Errorf("%d results, %d of them out of time; want %d results and some out of time", len(rep.Results), late, len(ids))
	}
	// The idle connections are the pool's; without them no goroutine of the invocation is left.
	pool.Close()
	stacks := relGoroutines(invocation)
	for wait := time.Now().Add(5 * time.Second); stacks != "" && time.Now().Before(wait); stacks = relGoroutines(invocation) {
		time.Sleep(10 * time.Millisecond)
	}
	if stacks != "" {
		t.Errorf("goroutines of the invocation left after the pool closed:\n%s", stacks)
	}
	// Nothing new reaches the cloud once Handle has returned: no connection of the invocation is
	// left to send on, and a request already sent would be counted on arrival.
	time.Sleep(latency)
	if after := srv.Calls().Total(); after != calls {
		t.Errorf("%d calls reached the emulator after Handle returned", after-calls)
	}
	t.Logf("returned %s before the deadline; %d of %d disks out of time; summary %+v",
		deadline.Sub(returned).Round(time.Millisecond), late, len(ids), rep.Summary)

	srv.SetFaults(emulator.Faults{})
	rep, err, n := relDeliver(t, h, payload, relMaxDeliveries)
	if err != nil {
		t.Fatalf("after %d more deliveries: %v", n, err)
	}
	relCheckDone(t, rep, ids)
	relCheckPairedOnce(t, srv, ids)
}

// relInvocationLabel is the pprof label key that marks an invocation's goroutines.
const relInvocationLabel = "rel-invocation"

// relGoroutines returns the goroutine profile's records (count, labels and stack) of the
// goroutines labelled relInvocationLabel=invocation whose stacks mention any of the given names
// (all of them when no names are given).
func relGoroutines(invocation string, names ...string) string {
	label := fmt.Sprintf("%q:%q", relInvocationLabel, invocation) // as the profile prints it
	var buf strings.Builder
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		return "goroutine profile: " + err.Error()
	}
	var out []string
	for _, rec := range strings.Split(buf.String(), "\n\n") {
		_, labelLine, _ := strings.Cut(rec, "\n# labels: ")
		labelLine, _, _ = strings.Cut(labelLine, "\n")
		if !strings.Contains(labelLine, label) {
			continue
		}
		if len(names) == 0 || slices.ContainsFunc(names, func(n string) bool { return strings.Contains(rec, n) }) {
			out = append(out, rec)
		}
	}
	return strings.Join(out, "\n\n")
}

// relBackRefWorld has n opted-in primaries, each with a back-referenced secondary: every disk
// takes the same steps, so the calls of one action come together.
func relBackRefWorld(n int) (*emulator.State, []string) {
	var disks []emulator.Disk
	var ids []string
	for i := range n {
		p := emutest.Disk(fmt.Sprintf("d-bp1qps%03d", i), relSrcZone, emutest.OptIn())
		disks = append(disks, p, emutest.Secondary(p, fmt.Sprintf("d-uf6qps%03d", i), relDstZone, emutest.BackRef(p.DiskID)))
		ids = append(ids, p.DiskID)
	}
	return emutest.World(disks...), ids
}

// ABSR_MAX_QPS spaces the calls of each action and region: a cloud whose flow control allows a
// little more never throttles, where an unlimited client is throttled.
func TestReliabilityRateLimit(t *testing.T) {
	t.Parallel()
	relSkipShort(t)
	// As many disks as the engine works on at once (ABSR_CONCURRENCY): after the batched read,
	// each action's calls for all the disks come together, more than the cloud's burst (its
	// rate, in calls, as the client's). An unlimited client is throttled unless a busy machine
	// spreads those calls over more than (disks-cloudQPS)/cloudQPS s (a third of a second); the
	// limited one sends clientQPS at once and the rest 1/clientQPS s apart.
	const clientQPS, cloudQPS, disks = 5, 6, 8
	for _, limited := range []bool{true, false} {
		t.Run(fmt.Sprintf("limited=%v", limited), func(t *testing.T) {
			st, ids := relBackRefWorld(disks)
			st.Faults.QPSPerAction = cloudQPS
			srv := emutest.Start(t, st)
			cfg := relConfig(t, srv, config.EnvMaxQPS, fmt.Sprint(clientQPS), config.EnvConcurrency, fmt.Sprint(disks))
			o := relPoolOptions(cfg)
			if !limited {
				o.MaxQPS = 0
			}
			h := relNewHandler(t, cfg, o, relCreds, nil)
			rep, err := h.Handle(context.Background(), Invocation{RequestID: "qps"}, relTagEvent("ev-qps", ids))
			throttled := srv.Calls().Errors["Throttling.User"]
			t.Logf("%d throttled; calls %v", throttled, srv.Calls().Calls)
			if limited {
				if err != nil {
					t.Fatalf("one delivery: %v", err)
				}
				relCheckDone(t, rep, ids)
				relCheckPairedOnce(t, srv, ids)
				if throttled != 0 {
					t.Errorf("%d calls throttled at %d calls/s per action and region, under the cloud's %d", throttled, clientQPS, cloudQPS)
				}
			} else if throttled == 0 {
				t.Errorf("an unlimited client was never throttled: the test shows nothing")
			}
		})
	}
}

// Malformed input at the function's door. Each payload is refused with an error naming what was
// wrong (wrapping ErrPayload), one log line, and no API call. The tables of malformed ABSR_*
// variables and mapping files are internal/config's TestMalformedEnvironment and
// TestParseMappingMalformed; intake's TestDecodeErrors has the decoder's own.
func TestReliabilityMalformedInput(t *testing.T) {
	t.Parallel()
	relSkipShort(t)
	shapes := "expected one of: a CloudEvent object"
	rejected := []struct {
		file string
		want []string
	}{
		{"empty.json", []string{"payload is empty", shapes}},
		{"bom-and-whitespace.json", []string{"payload is empty"}},
		{"null.json", []string{"a JSON null is not an accepted payload", shapes}},
		{"boolean.json", []string{"a JSON boolean is not an accepted payload"}},
		{"number.json", []string{"a JSON number is not an accepted payload"}},
		{"string.json", []string{"a JSON string is not an accepted payload"}},
		{"truncated.json", []string{"payload is not valid JSON (unexpected end of JSON input)", shapes}},
		{"two-objects.json", []string{"payload is not valid JSON (invalid character '{' after top-level value)"}},
		{"form-encoded.txt", []string{"payload is not JSON", "direct request"}},
		{"xml.txt", []string{"payload is not JSON"}},
		{"empty-array.json", []string{"the array holds no events"}},
		{"array-of-numbers.json", []string{"array element 0: a JSON number", "every element must be a CloudEvent"}},
		{"array-of-plain-strings.json", []string{"array element 0: a string that does not hold a JSON object"}},
		{"array-of-direct-requests.json", []string{"array element 0: an object that is not a CloudEvent"}},
		{"array-nested.json", []string{"array element 0: a JSON array"}},
		{"unknown-object.json", []string{"none of the fields that identify a payload", shapes}},
		{"empty-object.json", []string{"none of the fields that identify a payload"}},
		{"deep-nesting.json", []string{"JSON nests deeper than 64 levels"}},
		{"direct-not-disk-ids.json", []string{`diskIds: not disk IDs (d-...): "vol-0abc", "d-"`}},
		{"direct-no-disks.json", []string{"direct request names no disks"}},
		{"direct-id-not-a-string.json", []string{"diskIds[1] is not a string"}},
		{"direct-bad-region.json", []string{`regionId "Hangzhou" is not a region ID such as cn-hangzhou`}},
		{"direct-misspelt-field.json", []string{`unknown or repeated field "region"`, `accepted: "diskIds", "instanceIds", "regionId"`}},
		{"direct-disk-as-instance.json", []string{`instanceIds: not instance IDs (i-...): "d-bp1rel000"`}},
		{"invalid-utf8.json", []string{"diskIds: not disk IDs (d-...)"}},
		{"timer-payload-not-json.json", []string{`timer payload starts with "{" but is not a JSON object`}},
		{"timer-bad-region.json", []string{`timer payload: not region IDs: "Mars"`}},
		{"timer-empty-regions.json", []string{`"regions" is empty; leave it out to sweep the configured regions`}},
		{"timer-misspelt-field.json", []string{`timer payload has unknown or repeated field "region"`}},
		{"timer-nameless.json", []string{"triggerName and triggerTime are both empty"}},
		{"oversized", []string{"over the 6291456-byte limit"}},
	}
	ignored := []struct {
		file   string
		reason []string
	}{
		{"failed-call.json", []string{"failed_call"}},
		{"instance-tags.json", []string{"not_a_disk"}},
		{"deletedisk.json", []string{"unsupported_event"}},
		{"other-source.json", []string{"other_source"}},
		{"data-not-object.json", []string{"malformed_event"}},
		{"tagresources-invalid-id.json", []string{"invalid_id"}},
		{"batch-duplicate.json", []string{"failed_call", "duplicate_event"}},
	}

	srv := emutest.Start(t, nil)
	cfg := relConfig(t, srv)
	logs := &TestLog{}
	h := relNewHandler(t, cfg, relPoolOptions(cfg), relCreds, logs.debugLogger())
	read := func(t *testing.T, dir, file string) []byte {
		if file == "oversized" {
			return append(append([]byte(`{"diskIds":["d-bp1rel000"],"pad":"`), bytes.Repeat([]byte("x"), 6<<20)...), `"}`...)
		}
		b, err := os.ReadFile(filepath.Join("testdata", "reliability", dir, file))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range rejected {
		t.Run("rejected/"+tc.file, func(t *testing.T) {
			logged := len(logs.String())
			rep, err := h.Handle(context.Background(), Invocation{RequestID: tc.file}, read(t, "rejected", tc.file))
			if rep != nil || !errors.Is(err, ErrPayload) || !errors.Is(err, intake.ErrUndecodable) {
				t.Fatalf("report %v, error %v; want no report and ErrPayload", rep, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			line := logs.String()[logged:]
			if strings.Count(line, "\n") != 1 || !strings.Contains(line, `"msg":"payload not accepted"`) || !strings.Contains(line, `"level":"ERROR"`) {
				t.Errorf("log, want one error line: %s", line)
			}
		})
	}
	for _, tc := range ignored {
		t.Run("ignored/"+tc.file, func(t *testing.T) {
			rep, err := h.Handle(context.Background(), Invocation{RequestID: tc.file}, read(t, "ignored", tc.file))
			if err != nil || rep == nil {
				t.Fatalf("report %v, error %v", rep, err)
			}
			var reasons []string
			for _, ig := range rep.Ignored {
				reasons = append(reasons, ig.Reason)
			}
			if !slices.Equal(reasons, tc.reason) || len(rep.Results) != 0 {
				t.Errorf("ignored %v with %d results, want %v and none", reasons, len(rep.Results), tc.reason)
			}
		})
	}

	// What only the handler can tell: a payload or a configuration that names no region.
	noRegion := New(cfg, h.pool, relCreds, logs.debugLogger(), "")
	noRegion.cfg.SourceRegions = nil
	if _, err := noRegion.Handle(context.Background(), Invocation{}, []byte(`{"diskIds":["d-bp1rel000"]}`)); !errors.Is(err, ErrPayload) ||
		!strings.Contains(err.Error(), "names no region (regionId) and the function's region is unknown (set FC_REGION)") {
		t.Errorf("direct request without a region: %v", err)
	}
	sweep := []byte(`{"triggerTime":"2026-11-27T11:30:00Z","triggerName":"reconcile","payload":""}`)
	if _, err := noRegion.Handle(context.Background(), Invocation{}, sweep); err == nil || errors.Is(err, ErrRetryable) ||
		!strings.Contains(err.Error(), "no regions to scan") {
		t.Errorf("sweep with no region configured: %v", err)
	}

	if calls := srv.Calls().Total(); calls != 0 {
		t.Errorf("%d API calls for payloads that ask for nothing", calls)
	}
	t.Logf("%d rejected payloads, %d ignored events, 2 without a region", len(rejected), len(ignored))
}

// ClientTokens: every retry of one change, and the same change in a later delivery, carry the
// same token, and LastTokenProcessing ("that token is still being processed") is retried.
func TestReliabilityClientTokens(t *testing.T) {
	t.Parallel()
	relSkipShort(t)
	st, ids := relWorld(6)
	srv := emutest.Start(t, st)
	proxy := secStartProxy(t, srv)
	cfg := relConfig(t, srv)
	o := relPoolOptions(cfg)
	o.ECSEndpoint, o.EBSEndpoint = proxy.url, proxy.url
	h := relNewHandler(t, cfg, o, relCreds, nil)

	var mu sync.Mutex
	tokens := map[string][]string{} // action and what it changes -> the ClientToken of each request
	inFlight := `{"RequestId":"0E1F-LTP","HostId":"ebs.aliyuncs.com","Code":"LastTokenProcessing","Message":"The request with the same ClientToken is being processed."}`
	refuse := true
	proxy.setHook(func(q url.Values) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		var key string
		switch q.Get("Action") {
		case "CreateDiskReplicaPair":
			key = "pair " + q.Get("DiskId")
		case "StartDiskReplicaPair":
			key = "start " + q.Get("ReplicaPairId")
		case "CreateDisk":
			key = "disk " + q.Get("DiskName")
		default:
			return 0, ""
		}
		tokens[key] = append(tokens[key], q.Get("ClientToken"))
		// The first delivery never gets a pair created; every first CreateDisk is in flight.
		if refuse && (q.Get("Action") == "CreateDiskReplicaPair" || q.Get("Action") == "CreateDisk" && len(tokens[key]) == 1) {
			return http.StatusForbidden, inFlight
		}
		return 0, ""
	})

	rep, err := h.Handle(context.Background(), Invocation{RequestID: "first"}, relTagEvent("ev-tokens", ids))
	if !errors.Is(err, ErrRetryable) {
		t.Fatalf("first delivery: %v", err)
	}
	for _, r := range rep.Results {
		if r.Outcome != pairing.Failed || !r.Retryable || !strings.Contains(r.Message, "LastTokenProcessing") {
			t.Errorf("%s: %s/%s retryable=%v: %s", r.DiskID, r.Outcome, r.Reason, r.Retryable, r.Message)
		}
	}
	mu.Lock()
	first := map[string]int{}
	for key, ts := range tokens {
		first[key] = len(ts)
		if strings.HasPrefix(key, "pair ") && len(ts) != o.Retry.MaxAttempts {
			t.Errorf("%s: %d attempts, want %d (LastTokenProcessing is retried)", key, len(ts), o.Retry.MaxAttempts)
		}
	}
	refuse = false
	mu.Unlock()

	rep, err, n := relDeliver(t, h, relTagEvent("ev-tokens", ids), relMaxDeliveries)
	if err != nil {
		t.Fatalf("%d more deliveries: %v", n, err)
	}
	relCheckDone(t, rep, ids)
	relCheckPairedOnce(t, srv, ids)
	mu.Lock()
	defer mu.Unlock()
	for key, ts := range tokens {
		if ts[0] == "" || strings.Count(strings.Join(ts, " "), ts[0]) != len(ts) {
			t.Errorf("%s: tokens %v, want one token throughout", key, ts)
		}
		if strings.HasPrefix(key, "pair ") && len(ts) <= first[key] {
			t.Errorf("%s: no request in the later delivery", key)
		}
	}
	if len(tokens) != len(ids)+len(ids)/3+len(ids) {
		t.Errorf("changes seen: %v; want a pair and a start per disk and a disk per auto-created secondary", slices.Collect(maps.Keys(tokens)))
	}
}
