// Package bench holds the project's measurements: the reconcile sweep against the emulator
// under flow control, the function's cold start and per-invocation overhead under the FC
// runtime stand-in (compared with a bare net/http runtime loop), and decoding and single-event
// latency. Everything lives in _test.go files; run it with
//
//	go test -run '^$' -bench . ./internal/bench/
//
// BenchmarkSweep sweeps ABSR_BENCH_DISKS (default 1000) disks; -args -disks=N overrides it.
// The tests of this package (go test ./internal/bench/) check correctness at scale, untimed.
package bench
