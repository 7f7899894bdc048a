package status

import (
	"strings"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

func age(s int64) *int64 { return &s }

func TestOfSortAndSummary(t *testing.T) {
	results := []pairing.Result{
		{DiskID: "d-a", RegionID: "r1", Outcome: pairing.AlreadyPaired, Started: true, Health: pairing.HealthOK, RecoveryPointAgeSeconds: age(30)},
		{DiskID: "d-b", RegionID: "r1", Outcome: pairing.Planned},
		{DiskID: "d-c", RegionID: "r1", Outcome: pairing.AlreadyPaired, Started: true, Health: pairing.HealthLagging, RecoveryPointAgeSeconds: age(7200)},
		{DiskID: "d-d", RegionID: "r1", Outcome: pairing.AlreadyPaired, Health: pairing.HealthUnhealthy, PairStatus: "stopped"},
		{DiskID: "d-e", RegionID: "r0", Outcome: pairing.AlreadyPaired, Health: pairing.HealthOK, PairStatus: "created"}, // never started
		{DiskID: "d-f", RegionID: "r1", Outcome: pairing.Failed, Reason: pairing.ReasonThrottled},
	}
	var order []string
	for _, r := range Sorted(results) {
		order = append(order, string(Of(r))+":"+r.DiskID)
	}
	want := "unhealthy:d-d lagging:d-c unprotected:d-e unprotected:d-b unprotected:d-f protected:d-a"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("order %s\nwant  %s", got, want)
	}
	s := Summarize(results)
	if s != (Summary{OptedIn: 6, Protected: 1, Lagging: 1, Unhealthy: 1, Unprotected: 3}) || s.OK() {
		t.Errorf("summary %+v ok=%v", s, s.OK())
	}
	if !Summarize(results[:1]).OK() || !Summarize(nil).OK() {
		t.Error("all protected (or none opted in) is OK")
	}
}

func TestAge(t *testing.T) {
	for _, tc := range []struct {
		in   *int64
		want string
	}{{nil, "-"}, {age(0), "0s"}, {age(59), "59s"}, {age(61), "1m01s"}, {age(3*3600 + 125), "3h02m"}, {age(50 * 3600), "2d02h"}} {
		if got := Age(tc.in); got != tc.want {
			t.Errorf("Age(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWriteTable(t *testing.T) {
	var b strings.Builder
	err := WriteTable(&b, []pairing.Result{
		{DiskID: "d-bad", RegionID: "r1", ReplicaPairID: "pair-1", SecondaryDiskID: "d-s", SecondaryRegionID: "r2",
			Outcome: pairing.AlreadyPaired, Health: pairing.HealthUnhealthy, PairStatus: "invalid", StatusMessage: "DeviceSizeChanged"},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"STATE", "RECOVERY POINT AGE", "d-bad", "pair-1", "d-s (r2)", "invalid (DeviceSizeChanged)",
		"1 opted in, 0 protected and healthy, 0 lagging, 1 unhealthy, 0 unprotected"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
