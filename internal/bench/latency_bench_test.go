package bench_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/config"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/intake"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// oneDiskEvent is an ActionTrail TagResources event opting one disk in; templateDisk is the
// disk ID it names, replaced to name another.
const (
	oneDiskEventFile = "testdata/tagresources-one-disk.json"
	templateDisk     = "d-bp1sweep000000"
)

func readEvent(tb testing.TB, path string) []byte {
	tb.Helper()
	payload, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return payload
}

// BenchmarkDecode: intake.Decode of a typical event, one ActionTrail TagResources record.
func BenchmarkDecode(b *testing.B) {
	payload := readEvent(b, oneDiskEventFile)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		req, err := intake.Decode(payload)
		if err != nil || len(req.Targets) != 1 {
			b.Fatalf("Decode: %v, %d targets", err, len(req.Targets))
		}
	}
}

// eventHandler is the function's handler pointed at srv, configured as the benchmarks' world
// needs (route src -> dst), logging nowhere.
func eventHandler(b testing.TB, srv *emulator.Server) *handler.Handler {
	cfg := config.Config{Pairing: engineOptions(pairing.DefaultConcurrency), API: "ebs",
		ECSEndpoint: srv.URL(), EBSEndpoint: srv.URL()}
	pool := newPool(b, srv, 0, cloudRetryDefault())
	return handler.New(cfg, pool, emulatorCreds(), slog.New(slog.NewJSONHandler(io.Discard, nil)), src)
}

// fleets are the numbers of pairs already in the region in the single-event benchmarks.
var fleets = []int{0, 500, 5000}

// BenchmarkSingleEvent: one TagResources event naming one opted-in disk, through handler.Handle
// (decode, engine, adapters, report, log line) against the emulator without faults or latency,
// in a region that already holds 0, 500 or 5,000 started pairs of other disks. The emulator runs
// in-process, so its work is in the time too. calls/op is the emulator's own count.
//
//   - new: the disk is not paired; its secondary is back-referenced. Paired, started, marked.
//   - marked: the disk is paired and carries its mark (dr:replica-pair): a duplicate delivery.
//   - unmarked: the disk is in a started pair made elsewhere (the console), without the mark:
//     already_paired, the mark added. The create's refusal (one pair per disk) is the check, and
//     the primary's region's listing explains it, so this is the one case that grows with the
//     fleet.
func BenchmarkSingleEvent(b *testing.B) {
	for _, c := range []string{"new", "marked", "unmarked"} {
		for _, fleet := range fleets {
			b.Run(fmt.Sprintf("%s/fleet-%d", c, fleet), func(b *testing.B) {
				switch c {
				case "new":
					benchmarkNewPair(b, fleet)
				case "marked":
					benchmarkDuplicate(b, pairedWorld(1, fleet))
				case "unmarked":
					benchmarkUnmarked(b, fleet)
				}
			})
		}
	}
}

// benchmarkNewPair pairs a fresh disk per op: the first 50 disks of a world that also holds
// fleet started pairs.
func benchmarkNewPair(b *testing.B, fleet int) {
	benchmarkEachDisk(b, func(n int) *emulator.State { return pairedWorld(n, fleet) }, pairing.Paired)
}

// benchmarkUnmarked: each op names another of the first 50 primaries of a world where they, and
// fleet more, are in started pairs without the mark.
func benchmarkUnmarked(b *testing.B, fleet int) {
	benchmarkEachDisk(b, func(n int) *emulator.State { return pairedWorld(0, n+fleet) }, pairing.AlreadyPaired)
}

// benchmarkEachDisk sends each op's event about another disk, primaryID(0) to primaryID(49) of a
// world(50), starting a new emulator when they are used up, and wants each to end in want.
func benchmarkEachDisk(b *testing.B, world func(n int) *emulator.State, want pairing.Outcome) {
	const perWorld = 50
	template := readEvent(b, oneDiskEventFile)
	var srv *emulator.Server
	var h *handler.Handler
	used := perWorld
	var calls, ops int
	collect := func() {
		if srv != nil {
			calls += srv.Calls().Total()
			srv.Close() //nolint:errcheck // done with it
		}
	}
	for b.Loop() {
		if used == perWorld {
			b.StopTimer()
			collect()
			srv = emutest.Start(b, world(perWorld))
			h = eventHandler(b, srv)
			used = 0
			b.StartTimer()
		}
		payload := bytes.ReplaceAll(template, []byte(templateDisk), []byte(primaryID(used)))
		used++
		ops++
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		report, err := h.Handle(ctx, handler.Invocation{RequestID: "bench"}, payload)
		cancel()
		if err != nil || len(report.Results) != 1 || report.Results[0].Outcome != want {
			b.Fatalf("Handle: %v %+v, want %s", err, report, want)
		}
	}
	b.StopTimer()
	collect()
	b.ReportMetric(float64(calls)/float64(ops), "calls/op")
}

// pairedWorld is sweepWorld(n) plus paired more primaries, each already in a started pair with
// its secondary (and not marked).
func pairedWorld(n, paired int) *emulator.State {
	st := sweepWorld(n + paired)
	byID := map[string]emulator.Disk{}
	for _, d := range st.Disks {
		byID[d.DiskID] = d
	}
	for i := n; i < n+paired; i++ {
		p, s := byID[primaryID(i)], byID[secondaryID(i)]
		st.Pairs = append(st.Pairs, emutest.Pair(fmt.Sprintf("pair-bench%06d", i), p, s, "normal"))
	}
	return st
}

// benchmarkDuplicate pairs the event's disk (primaryID(0), unpaired in st) with a first
// delivery, then times deliveries of the same event and reports the API calls each costs.
func benchmarkDuplicate(b *testing.B, st *emulator.State) {
	srv := emutest.Start(b, st)
	h := eventHandler(b, srv)
	payload := readEvent(b, oneDiskEventFile)
	ctx := context.Background()
	if report, err := h.Handle(ctx, handler.Invocation{RequestID: "first"}, payload); err != nil ||
		len(report.Results) != 1 || report.Results[0].Outcome != pairing.Paired {
		b.Fatalf("first Handle: %v %+v", err, report)
	}
	before := srv.Calls().Total()
	for b.Loop() {
		report, err := h.Handle(ctx, handler.Invocation{RequestID: "again"}, payload)
		if err != nil || len(report.Results) != 1 || report.Results[0].Outcome != pairing.AlreadyPaired {
			b.Fatalf("Handle: %v %+v", err, report)
		}
	}
	b.ReportMetric(float64(srv.Calls().Total()-before)/float64(b.N), "calls/op")
}
