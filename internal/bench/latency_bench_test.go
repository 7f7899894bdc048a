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
func eventHandler(b *testing.B, srv *emulator.Server) *handler.Handler {
	cfg := config.Config{Pairing: engineOptions(pairing.DefaultConcurrency), API: "ebs",
		ECSEndpoint: srv.URL(), EBSEndpoint: srv.URL()}
	pool := newPool(b, srv, 0, cloudRetryDefault())
	return handler.New(cfg, pool, emulatorCreds(), slog.New(slog.NewJSONHandler(io.Discard, nil)), src)
}

// BenchmarkSingleEvent: one TagResources event naming one opted-in disk whose secondary is
// back-referenced, through handler.Handle (decode, engine, adapters, report, log line)
// against the emulator without faults or latency: every op pairs a new disk. The emulator
// runs in-process, so its work is in the time too.
//
// The engine reads the region's whole pair listing for every event about a disk not yet paired
// (one page of 500 per site), so the cost grows with the pairs already there: "fleet-0" starts
// from no pair (at most 50 made by the benchmark itself), "fleet-5000" from 5,000 pairs in the
// region.
func BenchmarkSingleEvent(b *testing.B) {
	for _, fleet := range []int{0, 5000} {
		b.Run(fmt.Sprintf("fleet-%d", fleet), func(b *testing.B) { benchmarkSingleEvent(b, fleet) })
	}
}

func benchmarkSingleEvent(b *testing.B, fleet int) {
	const fresh = 50 // unpaired disks per emulator; a new one when they are used up
	template := readEvent(b, oneDiskEventFile)
	var srv *emulator.Server
	var h *handler.Handler
	used := fresh
	var calls, ops int
	collect := func() {
		if srv != nil {
			calls += srv.Calls().Total()
			srv.Close() //nolint:errcheck // done with it
		}
	}
	for b.Loop() {
		if used == fresh {
			b.StopTimer()
			collect()
			srv = emutest.Start(b, pairedWorld(fresh, fleet))
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
		if err != nil || len(report.Results) != 1 || report.Results[0].Outcome != pairing.Paired {
			b.Fatalf("Handle: %v %+v", err, report)
		}
	}
	b.StopTimer()
	collect()
	b.ReportMetric(float64(calls)/float64(ops), "calls/op")
}

// pairedWorld is sweepWorld(n) plus paired more primaries, each already in a started pair with
// its secondary.
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

// BenchmarkSingleEventAlreadyPaired: the same event again for a disk that is paired: what a
// duplicate delivery costs.
func BenchmarkSingleEventAlreadyPaired(b *testing.B) {
	benchmarkDuplicate(b, sweepWorld(1))
}

// BenchmarkSingleEventAlreadyPairedFleet5000: the duplicate delivery of
// BenchmarkSingleEventAlreadyPaired in a region that holds 5,000 more pairs. The disk carries
// its mark (dr:replica-pair), so the event reads its pair by ID instead of the region's listing.
func BenchmarkSingleEventAlreadyPairedFleet5000(b *testing.B) {
	benchmarkDuplicate(b, pairedWorld(1, 5000))
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
