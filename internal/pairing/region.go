package pairing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// pairRegion handles an event's disks and instances in one region.
func (r *run) pairRegion(w window, region string, items []*item, instances []instanceTarget) (out []*item) {
	ctx := w.admit // reading and waiting until the disks can start
	out = items
	defer func() {
		if v := recover(); v != nil {
			failUnprocessed(out, v)
		}
	}()
	byID := map[string]*item{}
	for _, it := range items {
		byID[it.diskID] = it
	}
	// Expand instances concurrently: each may wait for a new instance's disks to show.
	expanded := make([][]*item, len(instances))
	var wg sync.WaitGroup
	for i, in := range instances {
		wg.Go(func() { expanded[i] = r.expandInstance(ctx, in) })
	}
	wg.Wait()
	for _, its := range expanded {
		for _, it := range its {
			if it.diskID == "" { // the instance's own result
				items = append(items, it)
				continue
			}
			if known := byID[it.diskID]; known != nil {
				if known.disk == nil { // named explicitly too: the listing is a fresh read
					known.disk, known.instance = it.disk, it.instance
					known.readIDs = append(known.readIDs, it.readIDs...)
				}
				continue
			}
			byID[it.diskID] = it
			items = append(items, it)
		}
	}

	out = items
	p := r.newPool(w)
	defer p.close() // before the recover above: workers finish, and none outlives the call
	rd := &reader{r: r, region: region, pool: p}
	rd.offer(ctx, items)
	rd.drain(ctx)
	p.close()
	r.formGroups(w.work, region)
	return items
}

// errListingStopped ends a sweep's listing whose pages are no longer taken (after a panic).
var errListingStopped = errors.New("listing stopped")

// sweepRegion lists the opted-in disks of one region, page by page, and pairs them. The
// listing runs in its own goroutine, at most a page ahead of the workers: pairing starts with
// the first page, workers with disks to do never wait for a slow page, and a sweep stopped
// by its deadline has not paid for pages it would not reach.
func (r *run) sweepRegion(w window, region string) (items []*item, err error) {
	ctx := w.admit
	p := r.newPool(w)
	rd := &reader{r: r, region: region, pool: p}
	pages := make(chan []*item, 1)
	stop := make(chan struct{})   // closed when no more pages will be taken
	listed := make(chan struct{}) // closed when the lister is done with listing and listErr
	var listing []*item           // written by the lister until it closes pages
	var listErr error
	go func() {
		defer close(listed)
		defer close(pages)
		defer func() {
			if v := recover(); v != nil {
				listErr = fmt.Errorf("internal error (panic): %s", cloud.Sanitize(fmt.Sprint(v)))
			}
		}()
		seen := map[string]bool{}
		listErr = r.api.DisksByTag(ctx, region, r.opts.OptInKey, r.opts.OptInValue, func(page []cloud.Disk) error {
			fresh := make([]*item, 0, len(page))
			for _, d := range page {
				if d.ID == "" || seen[d.ID] {
					continue
				}
				seen[d.ID] = true
				it := newItem(d.ID, region, false, [2]int{len(listing)})
				d.RegionID = cmp.Or(d.RegionID, region)
				it.disk = &d
				listing = append(listing, it)
				fresh = append(fresh, it)
			}
			select {
			case pages <- fresh:
				return nil
			case <-ctx.Done(): // listed but not started: reported deadline_exceeded
				return ctx.Err()
			case <-stop:
				return errListingStopped
			}
		})
	}()
	defer func() {
		close(stop)
		<-listed
		p.close() // workers finish, and none outlives the call
		items = listing
		if v := recover(); v != nil {
			failUnprocessed(items, v)
			err = fmt.Errorf("sweep %s: internal error (panic): %s", region, cloud.Sanitize(fmt.Sprint(v)))
		}
	}()
	r.startGroups(w.work)
	for fresh := range pages {
		if r.grouping() {
			r.groups.listed(region, fresh)
		}
		rd.offer(ctx, fresh)
	}
	if r.grouping() {
		r.groups.listingDone(region)
	}
	rd.drain(ctx)
	p.close()
	r.formGroups(w.work, region)
	switch err = listErr; {
	case err == nil:
	case errors.Is(err, context.DeadlineExceeded):
		err = fmt.Errorf("sweep %s: stopped before the deadline after listing %d disks tagged %s=%s; "+
			"the next sweep continues with the rest: %w", region, len(listing), r.opts.OptInKey, r.opts.OptInValue, err)
	default:
		err = fmt.Errorf("sweep %s: listing disks tagged %s=%s: %w", region, r.opts.OptInKey, r.opts.OptInValue, err)
	}
	return listing, err
}

// expandInstance lists an instance's disks as items; a new instance's disks may take a
// moment to show, so an empty list is retried, bounded. When no disks come, the instance
// gets a result of its own (an item without a disk ID).
func (r *run) expandInstance(ctx context.Context, in instanceTarget) (out []*item) {
	self := newItem("", in.region, in.created, [2]int{in.order, -1})
	self.instance = in.id
	defer func() {
		if v := recover(); v != nil {
			self.res, self.done = self.panicked(v), true
			out = []*item{self}
		}
	}()
	if in.region == "" {
		self.finish(self.result(Failed, ReasonInvalidTarget, "no region given for instance "+in.id))
		return []*item{self}
	}
	pace := r.pace()
	for {
		tctx, requestIDs := traceCalls(ctx)
		disks, err := r.api.InstanceDisks(tctx, in.region, in.id)
		self.readIDs = append(self.readIDs, requestIDs()...)
		notFound := err != nil && cloud.KindOf(err) == cloud.KindNotFound
		switch {
		case err != nil && !(in.created && notFound):
			self.finish(self.fail(ctx, err, "listing the instance's disks"))
			return []*item{self}
		case len(disks) > 0:
			items := make([]*item, 0, len(disks))
			for i, d := range disks {
				it := newItem(d.ID, in.region, in.created, [2]int{in.order, 1_000_000 + i})
				d.RegionID = cmp.Or(d.RegionID, in.region)
				it.instance, it.disk, it.start = in.id, &d, self.start
				it.readIDs = slices.Clone(self.readIDs)
				items = append(items, it)
			}
			return items
		case !in.created:
			self.finish(self.result(Skipped, ReasonNoDisks, "the instance has no disks (or does not exist)"))
			return []*item{self}
		}
		if !pace.wait(ctx) {
			res := self.result(Failed, ReasonInstanceDisksMissing,
				fmt.Sprintf("the new instance's disks did not show within %s", time.Since(self.start).Round(time.Millisecond)))
			res.Retryable = true
			self.finish(res)
			return []*item{self}
		}
	}
}
