package pairing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

const (
	describeBatch  = 100 // DescribeDisks takes at most 100 IDs
	statusCreating = "Creating"
)

// primarySettling: statuses of a disk that pass by themselves and in which the API refuses to
// pair it; a primary in one is waited for (bounded), then left to a retry.
var primarySettling = []string{statusCreating, "Attaching", "Detaching", "ReIniting"}

// reader brings one region's disks to the pool once each is visible and not settling:
// records come from one batched DescribeDisks (or from a listing that already read them);
// disks not there yet are re-read together, with backoff, until they are or their wait ends.
type reader struct {
	r       *run
	region  string
	pool    *pool
	pending []*item
}

// offer reads the items that have no record yet and dispatches those that are ready.
func (rd *reader) offer(ctx context.Context, items []*item) {
	var unread []*item
	for _, it := range items {
		if !it.done && it.disk == nil {
			unread = append(unread, it)
		}
	}
	rd.describe(ctx, unread)
	rd.sort(ctx, items)
}

// drain re-reads the pending items until each is ready or has waited long enough.
func (rd *reader) drain(ctx context.Context) {
	pace := &pacer{first: rd.r.opts.PollInterval}
	for len(rd.pending) > 0 {
		now := time.Now()
		var keep []*item
		next := time.Time{}
		for _, it := range rd.pending {
			if !now.Before(it.waitUntil) {
				rd.giveUp(it)
				continue
			}
			keep = append(keep, it)
			if next.IsZero() || it.waitUntil.Before(next) {
				next = it.waitUntil
			}
		}
		rd.pending = nil
		if len(keep) == 0 {
			return
		}
		pace.limit = next // the first wait to end: that item is given up once it has
		if !pace.wait(ctx) && ctx.Err() != nil {
			return // the deadline came: they keep deadline_exceeded
		}
		rd.describe(ctx, keep)
		rd.sort(ctx, keep)
	}
}

// sort dispatches ready items, decides the hopeless ones and keeps the rest pending.
func (rd *reader) sort(ctx context.Context, items []*item) {
	var ready []*item
	for _, it := range items {
		switch {
		case it.done:
		case it.disk != nil && !slices.Contains(primarySettling, it.disk.Status):
			ready = append(ready, it)
		case it.disk == nil && !it.created:
			// Not new, not there: deleted, or a wrong ID. Waiting would not help.
			it.finish(it.result(Failed, ReasonDiskNotFound,
				fmt.Sprintf("disk %s not found in region %s", it.diskID, it.region)))
		default:
			if it.waitUntil.IsZero() {
				it.waitUntil = rd.r.waitLimit()
			}
			rd.pending = append(rd.pending, it)
		}
	}
	rd.dispatch(ctx, ready)
}

// giveUp fails an item that stayed invisible or Creating for its whole wait. Retryable:
// it exists (or should, being new), so a later delivery will find it ready.
func (rd *reader) giveUp(it *item) {
	var res Result
	if it.disk == nil {
		res = it.result(Failed, ReasonDiskNotFound,
			fmt.Sprintf("new disk %s not visible in region %s after waiting %s", it.diskID, it.region, time.Since(it.start).Round(time.Millisecond)))
	} else {
		res = it.result(Failed, ReasonDiskNotReady,
			fmt.Sprintf("disk still %s after waiting %s", it.disk.Status, time.Since(it.start).Round(time.Millisecond)))
	}
	res.Retryable = true
	it.finish(res)
}

func (rd *reader) dispatch(ctx context.Context, ready []*item) {
	if len(ready) == 0 {
		return
	}
	eligible := rd.r.eligible(ready)
	rd.r.prefetchMarkedPairs(ctx, rd.region, eligible)
	rd.r.prefetchSecondaries(ctx, rd.region, eligible)
	for _, it := range ready {
		if !rd.pool.send(it) {
			return // the rest keep deadline_exceeded
		}
	}
}

// describe refreshes the records of items (batched); a read error decides them.
func (rd *reader) describe(ctx context.Context, items []*item) {
	for batch := range slices.Chunk(items, describeBatch) {
		ids := make([]string, len(batch))
		for i, it := range batch {
			ids[i] = it.diskID
		}
		tctx, requestIDs := traceCalls(ctx)
		disks, err := rd.r.api.DescribeDisks(tctx, rd.region, ids)
		traced := requestIDs()
		found := map[string]cloud.Disk{}
		for _, d := range disks {
			found[d.ID] = d
		}
		for _, it := range batch {
			it.readIDs = append(it.readIDs, traced...)
			if err != nil {
				it.finish(it.fail(ctx, err, "reading the disk"))
				continue
			}
			if d, ok := found[it.diskID]; ok {
				d.RegionID = cmp.Or(d.RegionID, rd.region)
				it.disk = &d
			} else {
				it.disk = nil
			}
		}
	}
}
