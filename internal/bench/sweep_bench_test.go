package bench_test

import (
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// Flow control of the benchmark's emulated API: every action in every region answers at most
// qpsPerAction calls per second (burst the same), after latencyMs.
const (
	benchQPSPerAction = 40
	benchLatencyMs    = 50
)

// Client settings, tuned for the emulated limit (see docs/benchmarks.md):
//   - MaxQPS 39: the client's limiter (burst 39) stays a token behind the emulator's bucket
//     (burst 40) from the first call and falls one more behind every second, which absorbs the
//     few milliseconds by which request arrival jitters. At 40 a run saw 2 throttled answers
//     (each costs a call and a backoff); at 38 none, 2.6% slower.
//   - Concurrency 16: a disk is three calls in a row (create, start, tag), about 3 x 55 ms
//     without waiting; 40 disks/s then needs about 7 disks in flight. 16 leaves room for
//     jitter and retries without piling many disks up in the limiters' queues (which a deadline
//     would cut).
const (
	defaultBenchMaxQPS      = 39
	defaultBenchConcurrency = 16
)

// BenchmarkSweep: one reconcile sweep of n opted-in disks in one region, each with a
// back-referenced secondary in another region, through the real engine and cloud adapters
// against the in-process emulator with 50 ms latency and 40 calls/s per action and region.
//
// Knobs: -args -disks=N or ABSR_BENCH_DISKS (default 1000), ABSR_BENCH_MAXQPS,
// ABSR_BENCH_CONCURRENCY, ABSR_BENCH_GROUPS=instance (replica groups on); ABSR_BENCH_HEAPPROFILE=FILE writes a heap profile as the sweep
// returns, with its results and the emulator's world still live.
func BenchmarkSweep(b *testing.B) {
	n := envInt(b, *disksFlag, "ABSR_BENCH_DISKS", 1000)
	maxQPS := envFloat(b, "ABSR_BENCH_MAXQPS", defaultBenchMaxQPS)
	concurrency := envInt(b, 0, "ABSR_BENCH_CONCURRENCY", defaultBenchConcurrency)
	floor := time.Duration(float64(n) / benchQPSPerAction * float64(time.Second))

	var wall time.Duration
	var calls, throttled, failed, paired, runs int
	var peakHeap, peakAll, baseHeap float64
	for b.Loop() {
		b.StopTimer()
		st := sweepWorld(n)
		st.Faults = emulator.Faults{LatencyMs: benchLatencyMs, QPSPerAction: benchQPSPerAction, Seed: 1}
		srv := emutest.Start(b, st)
		pool := newPool(b, srv, maxQPS, cloudRetryDefault())
		o := engineOptions(concurrency)
		o.ReplicaGroups = os.Getenv("ABSR_BENCH_GROUPS") // instance: four disks per instance, one group each
		e := pairing.New(pool.Client(emulatorCreds()), o)
		ctx := withTimeout(b, 10*time.Minute)
		runtime.GC()
		mem := startMemSampler(5 * time.Millisecond)
		baseHeap += mem.base()
		b.StartTimer()

		start := time.Now()
		results, err := e.Sweep(ctx, []string{src})
		wall += time.Since(start)

		b.StopTimer()
		h, a := mem.Stop()
		writeHeapProfile(b, results)
		peakHeap, peakAll = max(peakHeap, h), max(peakAll, a)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range results {
			switch r.Outcome {
			case pairing.Paired:
				paired++
			case pairing.Failed:
				failed++
				if failed <= 5 {
					b.Logf("failed: %s %s: %s", r.DiskID, r.Reason, r.Message)
				}
			}
		}
		snap := srv.Snapshot()
		if problems := pairCheck(snap, n); len(problems) > 0 {
			b.Errorf("%d problems, first: %s", len(problems), problems[0])
		}
		if o.ReplicaGroups == pairing.GroupsByInstance {
			grouped := 0
			for _, p := range snap.Pairs {
				if p.ReplicaGroupID != "" {
					grouped++
				}
			}
			if want := (n + 3) / 4; len(snap.Groups) != want || grouped != n {
				b.Errorf("%d groups holding %d pairs, want %d groups holding %d", len(snap.Groups), grouped, want, n)
			}
		}
		c := srv.Calls()
		calls += c.Total()
		throttled += c.Errors["Throttling.User"]
		runs++
		b.Logf("n=%d maxQPS=%g concurrency=%d: wall %s, calls %v, errors %v", n, maxQPS, concurrency,
			time.Since(start).Round(time.Millisecond), c.Calls, c.Errors)
		if err := srv.Close(); err != nil {
			b.Error(err)
		}
		b.StartTimer()
	}
	avgWall := wall / time.Duration(runs)
	b.ReportMetric(avgWall.Seconds(), "wall-s")
	b.ReportMetric(avgWall.Seconds()/floor.Seconds(), "floor-ratio")
	b.ReportMetric(float64(calls)/float64(runs*n), "calls/disk")
	b.ReportMetric(float64(throttled)/float64(runs), "throttled")
	b.ReportMetric(float64(failed)/float64(runs), "failed")
	b.ReportMetric(float64(paired)/float64(runs), "paired")
	b.ReportMetric(peakHeap, "peak-heap-MiB")
	b.ReportMetric(peakAll, "peak-mem-MiB")
	b.ReportMetric(baseHeap/float64(runs), "emu-heap-MiB")
}

// writeHeapProfile writes $ABSR_BENCH_HEAPPROFILE, if set, after a GC; keep is kept alive
// until then.
func writeHeapProfile(b *testing.B, keep any) {
	path := os.Getenv("ABSR_BENCH_HEAPPROFILE")
	if path == "" {
		return
	}
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
	runtime.KeepAlive(keep)
}
