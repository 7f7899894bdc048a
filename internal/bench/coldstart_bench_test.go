package bench_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/fcstub"
)

// The binaries under comparison, built once per test process like the deployment builds them:
// static, trimmed, stripped.
var (
	buildOnce sync.Once
	buildErr  error
	realBin   string // the function
	bareBin   string // testdata/bare: net/http and nothing else
	buildDir  string
)

func buildBinaries(b *testing.B) (real, bare string) {
	b.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "absr-bench-")
		if buildErr != nil {
			return
		}
		realBin, bareBin = filepath.Join(buildDir, "absr-autopair"), filepath.Join(buildDir, "bare")
		for _, t := range []struct{ out, pkg string }{{realBin, "../.."}, {bareBin, "./testdata/bare"}} {
			cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", t.out, t.pkg)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = &buildError{pkg: t.pkg, out: string(out), err: err}
				return
			}
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	if bin := os.Getenv("ABSR_BENCH_REAL_BINARY"); bin != "" {
		return bin, bareBin // to compare a variant, built the same way
	}
	return realBin, bareBin
}

type buildError struct {
	pkg, out string
	err      error
}

func (e *buildError) Error() string { return "go build " + e.pkg + ": " + e.err.Error() + "\n" + e.out }

// runtimeProcess is a binary serving the FC runtime stand-in.
type runtimeProcess struct {
	stub    *fcstub.Server
	cmd     *exec.Cmd
	started time.Time // just before exec
}

// startRuntime starts bin against a fresh stand-in. Its output is discarded (the real binary
// logs every invocation; writing those lines is part of its per-invocation cost either way).
func startRuntime(b *testing.B, bin string) *runtimeProcess {
	b.Helper()
	stub, err := fcstub.Start()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{"FC_RUNTIME_API=" + stub.Addr(), "FC_REGION=" + src, "PATH=" + os.Getenv("PATH")}
	p := &runtimeProcess{stub: stub, cmd: cmd, started: time.Now()}
	if err := cmd.Start(); err != nil {
		stub.Close()
		b.Fatal(err)
	}
	return p
}

// firstPoll is the time from exec to the first GET /next.
func (p *runtimeProcess) firstPoll(b *testing.B) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	at, err := p.stub.FirstPoll(ctx)
	if err != nil {
		b.Fatalf("%s never polled: %v", p.cmd.Path, err)
	}
	return at.Sub(p.started)
}

func (p *runtimeProcess) stop() {
	p.cmd.Process.Kill() //nolint:errcheck // it may be gone already
	p.cmd.Wait()         //nolint:errcheck // killed on purpose
	p.stub.Close()       //nolint:errcheck // the stand-in's own shutdown
}

// Repetitions per op of the process benchmarks.
const (
	coldStartsPerOp  = 25
	invocationsPerOp = 100
)

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkColdStart: exec to the first GET /next under the FC runtime stand-in, the function
// against a bare net/http runtime loop, alternating so that both see the same machine load.
// One op is coldStartsPerOp starts of each, so that even -benchtime 1x gives a median worth
// reading. Reports the medians and their ratio (target <= 1.2).
// ABSR_BENCH_REAL_BINARY=PATH measures that binary instead of this tree's.
func BenchmarkColdStart(b *testing.B) {
	real, bare := buildBinaries(b)
	var realTimes, bareTimes []time.Duration
	for b.Loop() {
		for range coldStartsPerOp {
			for _, bin := range []string{real, bare} {
				p := startRuntime(b, bin)
				d := p.firstPoll(b)
				p.stop()
				if bin == real {
					realTimes = append(realTimes, d)
				} else {
					bareTimes = append(bareTimes, d)
				}
			}
		}
	}
	r, bb := median(realTimes), median(bareTimes)
	b.ReportMetric(ms(r), "real-ms")
	b.ReportMetric(ms(bb), "bare-ms")
	b.ReportMetric(float64(r)/float64(bb), "ratio")
	b.ReportMetric(float64(len(realTimes)), "runs")
}

// BenchmarkInvocationOverhead: the round trip of one trivial invocation (an event about an
// instance's tags, which the function ignores without an API call) through the stand-in, the
// function against the bare loop, alternating, both processes warm. One op is one invocation
// of each, invocationsPerOp times. Reports the medians.
func BenchmarkInvocationOverhead(b *testing.B) {
	real, bare := buildBinaries(b)
	payload, err := os.ReadFile("../../events/actiontrail-not-a-disk.json")
	if err != nil {
		b.Fatal(err)
	}
	procs := []*runtimeProcess{startRuntime(b, real), startRuntime(b, bare)}
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	times := make([][]time.Duration, len(procs))
	invoke := func(i int) time.Duration {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		a, err := procs[i].stub.Invoke(ctx, fcstub.Invocation{Payload: payload, Timeout: time.Minute, Region: src,
			Credentials: fcstub.Credentials{AccessKeyID: "bench-ak", AccessKeySecret: "bench-secret", SecurityToken: "bench-token"}})
		d := time.Since(start)
		if err != nil || a.IsError {
			b.Fatalf("invocation %d: %v %s", i, err, a.Body)
		}
		return d
	}
	for i := range procs { // warm up: connections, first-use initialisation
		for range 3 {
			invoke(i)
		}
	}
	for b.Loop() {
		for range invocationsPerOp {
			for i := range procs {
				times[i] = append(times[i], invoke(i))
			}
		}
	}
	b.ReportMetric(float64(len(times[0])), "runs")
	r, bb := median(times[0]), median(times[1])
	b.ReportMetric(float64(r.Microseconds()), "real-us")
	b.ReportMetric(float64(bb.Microseconds()), "bare-us")
	b.ReportMetric(float64((r - bb).Microseconds()), "extra-us")
}
