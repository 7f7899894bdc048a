package handler

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/intake"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// BenchmarkLogResult: one disk's log line through the redacting handler, with an invocation's
// three credential values (a sweep logs one per disk).
func BenchmarkLogResult(b *testing.B) {
	inv := Invocation{Credentials: &cloud.Credentials{AccessKeyID: "STS.NUexampleAccessKeyId",
		AccessKeySecret: "exampleSecret/with+chars=", SecurityToken: "CAIS+example/security=token"}}
	h := &Handler{log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	log := h.invocationLogger(h.sanitizerOf(inv))
	ev := intake.Event{ID: "e-1", Source: "acs.ecs", Name: "TagResources"}
	r := pairing.Result{DiskID: "d-bp1examplediskid", RegionID: "cn-hangzhou", Outcome: pairing.Paired,
		Message:         "paired with d-uf6examplesecondary in cn-shanghai (secondary from tag dr:secondary-disk) as pair-example; started; primary marked",
		SecondaryDiskID: "d-uf6examplesecondary", SecondaryRegionID: "cn-shanghai", ReplicaPairID: "pair-example",
		Started: true, RequestIDs: []string{"5E7A6C2B-0000-4A4A-9E9E-000000000001", "5E7A6C2B-0000-4A4A-9E9E-000000000002"},
		Duration: 120 * time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		logResult(log, ev, r, false)
	}
}
