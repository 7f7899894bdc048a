package bench_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/fcstub"
)

// The binaries under comparison, built once per test process like the deployment builds them
// (static, trimmed, stripped), then installed by copying: the linker writes its output through
// a shared memory mapping, and a file written that way started up to 0.4 ms slower here than
// the same bytes written with write(2), which is how FC unpacks a code package.
// ABSR_BENCH_REAL_BINARY=PATH installs that binary as the function instead of building this
// tree's (to compare a variant, built the same way).
var (
	buildOnce sync.Once
	buildErr  error
	built     binaries
	buildDir  string
)

type binaries struct {
	real string // the function
	bare string // testdata/bare: net/http and nothing else
	libs string // testdata/bare built with -tags libs: the same loop linked with the required libraries
}

func buildBinaries(b *testing.B) binaries {
	b.Helper()
	buildOnce.Do(func() { built, buildErr = build() })
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return built
}

func build() (binaries, error) {
	var err error
	if buildDir, err = os.MkdirTemp("", "absr-bench-"); err != nil {
		return binaries{}, err
	}
	bins := binaries{
		real: filepath.Join(buildDir, "absr-autopair"),
		bare: filepath.Join(buildDir, "bare"),
		libs: filepath.Join(buildDir, "libs"),
	}
	type target struct{ out, pkg, tags string }
	targets := []target{{bins.bare, "./testdata/bare", ""}, {bins.libs, "./testdata/bare", "libs"}}
	if variant := os.Getenv("ABSR_BENCH_REAL_BINARY"); variant != "" {
		if err := install(variant, bins.real); err != nil {
			return binaries{}, err
		}
	} else {
		targets = append(targets, target{bins.real, "../..", ""})
	}
	for _, t := range targets {
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-tags="+t.tags, "-o", t.out+".linked", t.pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return binaries{}, fmt.Errorf("go build %s: %w\n%s", t.pkg, err, out)
		}
		if err := install(t.out+".linked", t.out); err != nil {
			return binaries{}, err
		}
	}
	return bins, nil
}

// install writes a copy of the executable src at dst with plain writes, as unpacking does.
func install(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o755)
}

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

// BenchmarkColdStart: exec to the first GET /next under the FC runtime stand-in, for the
// function, the bare net/http runtime loop and the same loop linked with the required libraries,
// interleaved so that all three see the same machine load. One op is coldStartsPerOp starts of
// each, so that even -benchtime 1x gives a median worth reading. Reports the medians, the ratio
// function / bare (target <= 1.2), and how it splits: libs / bare is what the required libraries
// cost as published, function / libs what the function adds to them, or takes away (package
// sdkinit spares the SDK's init its timeout table, so this can be below 1).
// ABSR_BENCH_REAL_BINARY=PATH measures that binary instead of this tree's.
func BenchmarkColdStart(b *testing.B) {
	bins := buildBinaries(b)
	order := []string{bins.real, bins.bare, bins.libs}
	times := make([][]time.Duration, len(order))
	for b.Loop() {
		for range coldStartsPerOp {
			for i, bin := range order {
				p := startRuntime(b, bin)
				times[i] = append(times[i], p.firstPoll(b))
				p.stop()
			}
		}
	}
	real, bare, libs := median(times[0]), median(times[1]), median(times[2])
	b.ReportMetric(ms(real), "real-ms")
	b.ReportMetric(ms(bare), "bare-ms")
	b.ReportMetric(ms(libs), "libs-ms")
	b.ReportMetric(float64(real)/float64(bare), "ratio")
	b.ReportMetric(float64(libs)/float64(bare), "libs-ratio")
	b.ReportMetric(float64(real)/float64(libs), "own-ratio")
	b.ReportMetric(float64(len(times[0])), "runs")
}

// BenchmarkInvocationOverhead: the round trip of one trivial invocation (an event about an
// instance's tags, which the function ignores without an API call) through the stand-in, the
// function against the bare loop, alternating, both processes warm. One op is one invocation
// of each, invocationsPerOp times. Reports the medians.
func BenchmarkInvocationOverhead(b *testing.B) {
	bins := buildBinaries(b)
	payload := readEvent(b, "../../events/actiontrail-not-a-disk.json")
	procs := []*runtimeProcess{startRuntime(b, bins.real), startRuntime(b, bins.bare)}
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
