package pairing_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
	"github.com/absr-autopair/absr-autopair/internal/pairing/fakecloud"
)

// The health of one pair: every status design.md lists as unhealthy, the recovery point's age
// against the limit, and a pair without a recovery point.
func TestPairHealth(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	maxAge := 1800 * time.Second
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	type want struct {
		health pairing.Health
		age    int64 // -1: none
	}
	cases := []struct {
		name  string
		pair  cloud.Pair
		want  want
		shown string
	}{
		{"normal, fresh", cloud.Pair{Status: "normal", LastRecoverPoint: ago(10 * time.Second)}, want{pairing.HealthOK, 10}, ""},
		{"normal, exactly the limit", cloud.Pair{Status: "normal", LastRecoverPoint: ago(maxAge)}, want{pairing.HealthOK, 1800}, ""},
		{"normal, a second past the limit", cloud.Pair{Status: "normal", LastRecoverPoint: ago(maxAge + time.Second)}, want{pairing.HealthLagging, 1801}, ""},
		{"syncing, hours behind", cloud.Pair{Status: "syncing", LastRecoverPoint: ago(5 * time.Hour)}, want{pairing.HealthLagging, 5 * 3600}, ""},
		{"initial_syncing, no recovery point yet", cloud.Pair{Status: "initial_syncing"}, want{pairing.HealthOK, -1}, ""},
		{"legacy active, no recovery point reported", cloud.Pair{Status: "active"}, want{pairing.HealthOK, -1}, ""},
		{"recovery point in the future (clock skew)", cloud.Pair{Status: "normal", LastRecoverPoint: now.Add(time.Minute)}, want{pairing.HealthOK, 0}, ""},
		{"stopped and behind: unhealthy wins", cloud.Pair{Status: "stopped", LastRecoverPoint: ago(3 * time.Hour)}, want{pairing.HealthUnhealthy, 3 * 3600}, ""},
	}
	for _, status := range []string{"stopped", "stop_failed", "invalid", "create_failed", "failovered", "failover_failed",
		"reprotect_failed", "delete_failed", "deleting", "deleted"} {
		cases = append(cases, struct {
			name  string
			pair  cloud.Pair
			want  want
			shown string
		}{"status " + status, cloud.Pair{Status: status, LastRecoverPoint: ago(time.Minute)}, want{pairing.HealthUnhealthy, 60}, ""})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			health, age := pairing.PairHealth(tc.pair, now, maxAge)
			gotAge := int64(-1)
			if age != nil {
				gotAge = *age
			}
			if health != tc.want.health || gotAge != tc.want.age {
				t.Errorf("health %s, age %d; want %s, %d", health, gotAge, tc.want.health, tc.want.age)
			}
		})
	}
	if len(pairing.UnhealthyStatuses) != 10 {
		t.Errorf("%d unhealthy statuses, design.md lists 10: %v", len(pairing.UnhealthyStatuses), pairing.UnhealthyStatuses)
	}
}

// Every result of a disk that is the primary of a pair carries the pair's health, in events
// (the pair confirmed by the ID its mark names) and in sweeps (the region's one listing), and no
// call is added for it.
func TestHealthInResults(t *testing.T) {
	old := time.Now().Add(-2 * time.Hour)
	fresh := time.Now().Add(-time.Minute)
	cases := []struct {
		status  string
		message string
		point   time.Time
		health  pairing.Health
	}{
		{"normal", "", fresh, pairing.HealthOK},
		{"normal", "", old, pairing.HealthLagging},
		{"syncing", "", old, pairing.HealthLagging},
		{"stopped", "", fresh, pairing.HealthUnhealthy},
		{"invalid", "DeviceSizeChanged", old, pairing.HealthUnhealthy},
		{"create_failed", "PostPayOrderCeaseService", time.Time{}, pairing.HealthUnhealthy},
		{"failovered", "", old, pairing.HealthUnhealthy},
		{"stop_failed", "", old, pairing.HealthUnhealthy},
	}
	for _, sweep := range []bool{false, true} {
		for _, tc := range cases {
			name := tc.status + "/" + string(tc.health)
			if sweep {
				name = "sweep/" + name
			}
			t.Run(name, func(t *testing.T) {
				c := fakecloud.New()
				c.AddDisk(primary("d-p", pairing.TagReplicaPair, "pair-1"))
				c.AddDisk(secondary("d-s"))
				c.AddPair(cloud.Pair{ID: "pair-1", Status: tc.status, StatusMessage: tc.message, LastRecoverPoint: tc.point,
					SourceDiskID: "d-p", SourceRegionID: src, DestinationDiskID: "d-s", DestinationRegionID: dst})
				e := pairing.New(c, testOptions())
				var res pairing.Result
				if sweep {
					results, err := e.Sweep(context.Background(), []string{src})
					if err != nil || len(results) != 1 {
						t.Fatalf("sweep: %v %+v", err, results)
					}
					res = results[0]
				} else {
					res = pairOne(t, c, testOptions(), disksIn(src, "d-p"))
				}
				if res.Outcome != pairing.AlreadyPaired || res.Health != tc.health || res.PairStatus != tc.status ||
					res.StatusMessage != tc.message {
					t.Errorf("%s/%s health %q status %q message %q (%s); want already_paired, %s, %s, %q",
						res.Outcome, res.Reason, res.Health, res.PairStatus, res.StatusMessage, res.Message, tc.health, tc.status, tc.message)
				}
				switch age := res.RecoveryPointAgeSeconds; {
				case tc.point.IsZero() && age != nil:
					t.Errorf("recovery point age %d, want null (the API gave none)", *age)
				case !tc.point.IsZero() && (age == nil || *age < int64(time.Since(tc.point)/time.Second)-5 || *age > int64(time.Since(tc.point)/time.Second)):
					t.Errorf("recovery point age %v, want about %s", age, time.Since(tc.point).Round(time.Second))
				}
				if unhealthy := tc.health == pairing.HealthUnhealthy; unhealthy != strings.Contains(res.Message, "needs an operator") {
					t.Errorf("message %q: an operator is needed = %v", res.Message, unhealthy)
				}
				if tc.message != "" && !strings.Contains(res.Message, tc.message) {
					t.Errorf("message %q does not carry the status message %q", res.Message, tc.message)
				}
				if changingCalls(c) != 0 {
					t.Errorf("changing calls for an unhealthy pair (never restarted, deleted or re-targeted): %s", fakecloud.SortedCalls(c.Calls()))
				}
				// Health costs nothing: the event's one lookup by ID, or the sweep's one listing.
				if sweep && (c.Count(fakecloud.ListPairs) != 1 || c.Count(fakecloud.PairsByID) != 0) {
					t.Errorf("sweep pair reads: %s, want one listing", fakecloud.SortedCalls(c.Calls()))
				}
				if !sweep && (c.Count(fakecloud.PairsByID) != 1 || c.Count(fakecloud.ListPairs) != 0) {
					t.Errorf("event pair reads: %s, want one lookup by ID", fakecloud.SortedCalls(c.Calls()))
				}
			})
		}
	}
}

// Only disks that are the primary of a pair have a health; a lower MaxRecoveryPointAge makes a
// fresher pair lagging.
func TestHealthOnlyForPrimaries(t *testing.T) {
	c := fakecloud.New()
	c.AddDisk(primary("d-p", pairing.TagReplicaPair, "pair-1"))
	c.AddDisk(primary("d-free")) // no secondary anywhere: skipped
	c.AddDisk(secondary("d-s", "dr", "enabled"))
	c.AddPair(cloud.Pair{ID: "pair-1", Status: "normal", LastRecoverPoint: time.Now().Add(-20 * time.Minute),
		SourceDiskID: "d-p", SourceRegionID: src, DestinationDiskID: "d-s", DestinationRegionID: dst})
	o := testOptions()
	o.MaxRecoveryPointAge = 15 * time.Minute
	results := pairing.New(c, o).Pair(context.Background(), []pairing.Target{disksIn(src, "d-p", "d-free"), disksIn(dst, "d-s")})
	got := map[string]pairing.Result{}
	for _, r := range results {
		got[r.DiskID] = r
	}
	if r := got["d-p"]; r.Health != pairing.HealthLagging {
		t.Errorf("d-p: health %q (%s), want lagging past a 15 min limit", r.Health, r.Message)
	}
	for _, id := range []string{"d-free", "d-s"} {
		if r := got[id]; r.Health != "" || r.PairStatus != "" || r.RecoveryPointAgeSeconds != nil {
			t.Errorf("%s (%s/%s): health %q status %q age %v, want none", id, r.Outcome, r.Reason, r.Health, r.PairStatus, r.RecoveryPointAgeSeconds)
		}
	}
}

// paired means this invocation created or started the pair. A running pair is already_paired,
// also when only the mark was added, and also in a dry run; a pair never started is paired by
// the invocation that starts it (planned in a dry run).
func TestAlreadyPairedMeansNothingButTheMark(t *testing.T) {
	running := cloud.Pair{ID: "pair-1", Status: "normal", LastRecoverPoint: time.Now(),
		SourceDiskID: "d-p", SourceRegionID: src, DestinationDiskID: "d-s", DestinationRegionID: dst}
	created := running
	created.Status, created.LastRecoverPoint = "created", time.Time{}
	cases := []struct {
		name     string
		pair     cloud.Pair
		marked   bool
		dryRun   bool
		want     pairing.Outcome
		msg      string
		changing []string // the changing calls made, sorted
	}{
		{"running, marked", running, true, false, pairing.AlreadyPaired, "is normal", nil},
		{"running, mark missing (made in the console)", running, false, false, pairing.AlreadyPaired, "was not marked",
			[]string{fakecloud.CreatePair, fakecloud.TagDisks}}, // the refused create is the check
		{"running, mark missing, dry run", running, false, true, pairing.AlreadyPaired, "would tag the primary", nil},
		{"running, marked, dry run", running, true, true, pairing.AlreadyPaired, "is normal", nil},
		{"never started, marked", created, true, false, pairing.Paired, "started existing pair", []string{fakecloud.StartPair}},
		{"never started, unmarked", created, false, false, pairing.Paired, "started existing pair",
			[]string{fakecloud.CreatePair, fakecloud.StartPair, fakecloud.TagDisks}},
		{"never started, dry run", created, false, true, pairing.Planned, "would start it", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := fakecloud.New()
			var kv []string
			if tc.marked {
				kv = []string{pairing.TagReplicaPair, tc.pair.ID}
			}
			c.AddDisk(primary("d-p", append(kv, pairing.TagSecondaryDisk, "d-s")...))
			c.AddDisk(secondary("d-s"))
			c.AddPair(tc.pair)
			o := testOptions()
			o.DryRun = tc.dryRun
			res := pairOne(t, c, o, disksIn(src, "d-p"))
			if res.Outcome != tc.want || !strings.Contains(res.Message, tc.msg) {
				t.Errorf("%s/%s %q, want %s mentioning %q", res.Outcome, res.Reason, res.Message, tc.want, tc.msg)
			}
			if res.ReplicaPairID != tc.pair.ID || res.Health != pairing.HealthOK {
				t.Errorf("pair %q health %q, want %s ok", res.ReplicaPairID, res.Health, tc.pair.ID)
			}
			var changing []string
			for _, m := range fakecloud.Changing {
				if c.Count(m) > 0 {
					changing = append(changing, m)
				}
			}
			slices.Sort(changing)
			if !slices.Equal(changing, tc.changing) {
				t.Errorf("changing calls %v, want %v (%s)", changing, tc.changing, fakecloud.SortedCalls(c.Calls()))
			}
			if n := len(c.Pairs()); n != 1 {
				t.Errorf("%d pairs, want 1", n)
			}
		})
	}
}
