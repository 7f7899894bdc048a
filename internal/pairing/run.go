package pairing

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/backoff"
	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// run is one invocation: the caches it shares between its disks. It dies with the call.
type run struct {
	api      cloud.API
	opts     Options
	deadline time.Time // of the work context; zero when there is none
	// sweep: find back-referenced secondaries with one listing per destination region
	// (many disks) rather than one filtered query per disk (an event's few).
	sweep bool

	mu          sync.Mutex
	pairs       map[string]func() (*pairIndex, error)              // region -> its pair listing, read once (shared)
	backrefs    map[string]func() (map[string][]cloud.Disk, error) // sweeps: region -> its back-referenced disks by primary, read once
	secondaries map[string]*cloud.Disk                             // region + "/" + ID -> record; nil: known not to exist
	claims      map[string]string                                  // secondary ID -> the primary it was chosen for
	zones       func() (map[string][]string, error)                // zones with async replication, by region (read at most once)
	// mappedPrimaries: secondary disk ID -> the primaries the mapping file names it for.
	mappedPrimaries map[string][]string
	groups          groupBook                                // replica groups: the disks the group phase takes over
	groupLists      map[string]func() ([]cloud.Group, error) // replica groups by region, listed once

	byIDOnce sync.Once
	noByID   bool // the API family cannot read pairs by ID (the legacy one); see listsPairs
}

func (e *Engine) newRun(ctx context.Context, sweep bool) *run {
	r := &run{api: e.api, opts: e.opts, sweep: sweep,
		pairs:       map[string]func() (*pairIndex, error){},
		backrefs:    map[string]func() (map[string][]cloud.Disk, error){},
		secondaries: map[string]*cloud.Disk{},
		claims:      map[string]string{},
	}
	r.mappedPrimaries = map[string][]string{}
	for primary, ref := range e.opts.Pairs {
		r.mappedPrimaries[ref.DiskID] = append(r.mappedPrimaries[ref.DiskID], primary)
	}
	r.deadline, _ = ctx.Deadline()
	return r
}

// waitLimit is when waiting that starts now must give up: DiskWait, or the work deadline.
func (r *run) waitLimit() time.Time {
	limit := time.Now().Add(r.opts.DiskWait)
	if !r.deadline.IsZero() && r.deadline.Before(limit) {
		limit = r.deadline
	}
	return limit
}

// pacer paces a bounded wait: PollInterval first, doubling up to 8 times PollInterval, until
// limit (for a pacer from r.pace, what waitLimit gave when it was made).
type pacer struct {
	limit time.Time
	first time.Duration
	waits int
}

func (r *run) pace() *pacer {
	return &pacer{limit: r.waitLimit(), first: r.opts.PollInterval}
}

// wait sleeps the next delay, cut short at the limit. It reports false without sleeping once
// the limit has come, and false when ctx ends first.
func (p *pacer) wait(ctx context.Context) bool {
	d := min(backoff.Delay(p.first, 8*p.first, p.waits+1), time.Until(p.limit))
	if d <= 0 || backoff.Sleep(ctx, d) != nil {
		return false
	}
	p.waits++
	return true
}

// pool runs up to Concurrency disks of one region at once.
type pool struct {
	in     chan *item
	admit  context.Context
	wg     sync.WaitGroup
	closed sync.Once
}

func (r *run) newPool(w window) *pool {
	p := &pool{in: make(chan *item), admit: w.admit}
	for range r.opts.Concurrency {
		p.wg.Go(func() {
			for it := range p.in {
				if w.admit.Err() == nil { // a disk taken as admission closed is left for later
					r.work(w.work, it)
				}
			}
		})
	}
	return p
}

// send hands it to a worker, or reports false when admission closed first.
func (p *pool) send(it *item) bool {
	if p.admit.Err() != nil {
		return false
	}
	select {
	case p.in <- it:
		return true
	case <-p.admit.Done():
		return false
	}
}

// close lets the workers finish; it may be called more than once.
func (p *pool) close() {
	p.closed.Do(func() { close(p.in) })
	p.wg.Wait()
}

// work processes one ready disk; a disk reached after the deadline keeps deadline_exceeded.
func (r *run) work(ctx context.Context, it *item) {
	if ctx.Err() != nil {
		return
	}
	it.processed = true
	defer func() {
		if v := recover(); v != nil {
			it.res = it.panicked(v)
		}
	}()
	tctx, requestIDs := traceCalls(ctx)
	res := r.process(tctx, it)
	res.RequestIDs = append(slices.Clip(it.readIDs), requestIDs()...)
	res.Duration = time.Since(it.start)
	it.res = res
	if r.sweep && r.grouping() {
		r.groups.worked(it) // the instance's group phase may start now
	}
}
