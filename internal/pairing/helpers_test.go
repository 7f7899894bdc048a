package pairing_test

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"testing/synctest"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
	"github.com/absr-autopair/absr-autopair/internal/pairing/fakecloud"
)

const (
	src     = "cn-hangzhou"
	srcZone = "cn-hangzhou-h"
	dst     = "cn-shanghai"
	dstZone = "cn-shanghai-b"
	other   = "cn-beijing"
)

// primary is an opted-in, attached 100 GiB ESSD PL1 data disk in src; extra tags are k, v pairs.
func primary(id string, kv ...string) cloud.Disk {
	d := cloud.Disk{ID: id, Name: "data-" + id, RegionID: src, ZoneID: srcZone, Category: "cloud_essd",
		PerformanceLevel: "PL1", Size: 100, Type: "data", Status: "In_use", InstanceID: "i-web",
		ChargeType: "PostPaid", Tags: map[string]string{"dr": "enabled"}}
	for i := 0; i+1 < len(kv); i += 2 {
		d.Tags[kv[i]] = kv[i+1]
	}
	return d
}

// secondary is an empty, unattached disk matching primary's spec in dst.
func secondary(id string, kv ...string) cloud.Disk {
	d := cloud.Disk{ID: id, RegionID: dst, ZoneID: dstZone, Category: "cloud_essd", PerformanceLevel: "PL1",
		Size: 100, Type: "data", Status: "Available", Tags: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		d.Tags[kv[i]] = kv[i+1]
	}
	return d
}

// testOptions: the defaults, a route src -> dst (with zone), fast polling, short waits.
func testOptions() pairing.Options {
	o := pairing.DefaultOptions()
	o.Routes = map[string]pairing.Route{src: {Region: dst, Zone: dstZone}}
	o.PollInterval = time.Millisecond
	o.DiskWait = 300 * time.Millisecond
	return o
}

func pairOne(t *testing.T, c *fakecloud.Cloud, o pairing.Options, target pairing.Target) pairing.Result {
	t.Helper()
	res := pairing.New(c, o).Pair(context.Background(), []pairing.Target{target})
	if len(res) != 1 {
		t.Fatalf("got %d results, want 1: %+v", len(res), res)
	}
	return res[0]
}

func disksIn(region string, ids ...string) pairing.Target {
	return pairing.Target{Region: region, DiskIDs: ids}
}

func changingCalls(c *fakecloud.Cloud) int { return c.Count(fakecloud.Changing...) }

func tagsOf(t *testing.T, c *fakecloud.Cloud, id string) map[string]string {
	t.Helper()
	d, ok := c.Disk(id)
	if !ok {
		t.Fatalf("disk %s missing from the fake", id)
	}
	return maps.Clone(d.Tags)
}

func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// addBackReferenced adds n opted-in primaries d-p000, d-p001... in src, each with a secondary
// <id>-s in dst tagged back to it, and returns the primaries' IDs.
func addBackReferenced(c *fakecloud.Cloud, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("d-p%03d", i)
		c.AddDisk(primary(ids[i]))
		c.AddDisk(secondary(ids[i]+"-s", pairing.TagPrimaryDisk, ids[i]))
	}
	return ids
}

// bubble runs a test in a synctest bubble: its timers, sleeps and context deadlines use the
// bubble's fake clock, which jumps ahead whenever every goroutine in it is waiting. For the
// fakecloud tests only: the bubble has no network.
func bubble(f func(t *testing.T)) func(t *testing.T) {
	return func(t *testing.T) { synctest.Test(t, f) }
}
