package bench_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/cloud/alibaba"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

const (
	src     = "cn-hangzhou"
	srcZone = "cn-hangzhou-h"
	dst     = "cn-shanghai"
	dstZone = "cn-shanghai-b"
)

var disksFlag = flag.Int("disks", 0, "disks in BenchmarkSweep (default: $ABSR_BENCH_DISKS, else 1000)")

// envInt reads a positive integer knob: the flag when set, else the environment, else def.
func envInt(tb testing.TB, flagValue int, env string, def int) int {
	if flagValue > 0 {
		return flagValue
	}
	if v := os.Getenv(env); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			tb.Fatalf("%s=%q: want a positive integer", env, v)
		}
		return n
	}
	return def
}

func envFloat(tb testing.TB, env string, def float64) float64 {
	if v := os.Getenv(env); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			tb.Fatalf("%s=%q: want a non-negative number", env, v)
		}
		return f
	}
	return def
}

// primaryID and secondaryID name disk i of a sweep world.
func primaryID(i int) string   { return fmt.Sprintf("d-bp1sweep%06d", i) }
func secondaryID(i int) string { return fmt.Sprintf("d-uf6sweep%06d", i) }

// sweepWorld: n opted-in, attached primaries in src, each with an Available secondary in dst
// that names it in dr:primary-disk, plus a few disks the sweep must leave alone.
func sweepWorld(n int) *emulator.State {
	disks := make([]emulator.Disk, 0, 2*n+2)
	for i := range n {
		p := emutest.Disk(primaryID(i), srcZone, emutest.OptIn(), emutest.Attached(fmt.Sprintf("i-bp1web%04d", i/4)))
		disks = append(disks, p, emutest.Secondary(p, secondaryID(i), dstZone, emutest.BackRef(p.DiskID)))
	}
	disks = append(disks,
		emutest.Disk("d-bp1notoptedin", srcZone, emutest.Tags("dr", "disabled")),
		emutest.Disk("d-uf6orphan", dstZone, emutest.BackRef("d-bp1deletedlongago")))
	return emutest.World(disks...)
}

func engineOptions(concurrency int) pairing.Options {
	o := pairing.DefaultOptions()
	o.Routes = map[string]pairing.Route{src: {Region: dst, Zone: dstZone}}
	o.Concurrency = concurrency
	return o
}

// newPool points a alibaba.Pool at srv.
func newPool(tb testing.TB, srv *emulator.Server, maxQPS float64, retry alibaba.RetryPolicy) *alibaba.Pool {
	tb.Helper()
	o := alibaba.DefaultOptions()
	o.ECSEndpoint, o.EBSEndpoint = srv.URL(), srv.URL()
	o.MaxQPS = maxQPS
	if retry.MaxAttempts > 0 {
		o.Retry = retry
	}
	pool, err := alibaba.NewPool(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

func emulatorCreds() cloud.Credentials {
	return cloud.Credentials{AccessKeyID: emutest.AccessKeyID, AccessKeySecret: emutest.AccessKeySecret,
		SecurityToken: emutest.SecurityToken}
}

// totalCalls sums the emulator's request counters.

// pairCheck verifies the emulator's world after sweeps of sweepWorld(n): every primary is the
// source of exactly one pair, with its own back-referenced secondary, started, and the primary
// carries the pair's ID; no other pair exists.
func pairCheck(st emulator.State, n int) []string {
	var problems []string
	bySource := map[string][]emulator.Pair{}
	for _, p := range st.Pairs {
		bySource[p.SourceDiskID] = append(bySource[p.SourceDiskID], p)
	}
	tags := map[string]map[string]string{}
	for _, d := range st.Disks {
		tags[d.DiskID] = d.Tags
	}
	for i := range n {
		id := primaryID(i)
		ps := bySource[id]
		switch {
		case len(ps) != 1:
			problems = append(problems, fmt.Sprintf("%s is the source of %d pairs", id, len(ps)))
		case ps[0].DestinationDiskID != secondaryID(i):
			problems = append(problems, fmt.Sprintf("%s paired with %s, want %s", id, ps[0].DestinationDiskID, secondaryID(i)))
		case ps[0].Status != "initial_syncing" && ps[0].Status != "normal":
			problems = append(problems, fmt.Sprintf("%s: pair %s is %s, not started", id, ps[0].ReplicaPairID, ps[0].Status))
		case tags[id][pairing.TagReplicaPair] != ps[0].ReplicaPairID:
			problems = append(problems, fmt.Sprintf("%s tagged %s=%q, want %s", id, pairing.TagReplicaPair,
				tags[id][pairing.TagReplicaPair], ps[0].ReplicaPairID))
		}
	}
	if len(st.Pairs) != n {
		problems = append(problems, fmt.Sprintf("%d pairs in the world, want %d", len(st.Pairs), n))
	}
	return problems
}

// memSampler records the peak of the Go runtime's memory while it runs: live heap objects and
// everything the runtime has mapped (heap, stacks, runtime structures: what RSS roughly is).
type memSampler struct {
	stop     chan struct{}
	done     sync.WaitGroup
	peakHeap uint64
	peakAll  uint64
	baseHeap uint64
}

var memMetrics = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes"}

func startMemSampler(every time.Duration) *memSampler {
	m := &memSampler{stop: make(chan struct{})}
	samples := make([]metrics.Sample, len(memMetrics))
	for i, name := range memMetrics {
		samples[i].Name = name
	}
	read := func() {
		metrics.Read(samples)
		m.peakHeap = max(m.peakHeap, samples[0].Value.Uint64())
		// total includes released (returned to the OS) memory; subtract it.
		m.peakAll = max(m.peakAll, samples[1].Value.Uint64()-samples[2].Value.Uint64())
	}
	read()
	m.baseHeap = m.peakHeap
	m.done.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				read()
				return
			case <-t.C:
				read()
			}
		}
	})
	return m
}

// base is the live heap when sampling started (after a GC: the emulator's world and the
// test's own state, before the measured work).
func (m *memSampler) base() float64 { return float64(m.baseHeap) / (1 << 20) }

// Stop ends sampling and returns the peaks in MiB.
func (m *memSampler) Stop() (heapMiB, totalMiB float64) {
	close(m.stop)
	m.done.Wait()
	return float64(m.peakHeap) / (1 << 20), float64(m.peakAll) / (1 << 20)
}

// cloudRetryDefault: the production retry policy (the zero value means the defaults).
func cloudRetryDefault() alibaba.RetryPolicy { return alibaba.RetryPolicy{} }

func withTimeout(tb testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	tb.Cleanup(cancel)
	return ctx
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}
