package pairing

import (
	"context"
	"slices"
	"sync"
	"time"

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
	pairs       map[string]*lazy[*pairIndex]
	backrefs    map[string]*lazy[map[string][]cloud.Disk]
	secondaries map[string]*cloud.Disk     // region + "/" + ID -> record; nil: known not to exist
	claims      map[string]string          // secondary ID -> the primary it was chosen for
	zones       *lazy[map[string][]string] // zones with async replication, by region (read at most once)
}

type lazy[T any] struct {
	once sync.Once
	v    T
	err  error
}

func (e *Engine) newRun(ctx context.Context, sweep bool) *run {
	r := &run{api: e.api, opts: e.opts, sweep: sweep,
		pairs:       map[string]*lazy[*pairIndex]{},
		backrefs:    map[string]*lazy[map[string][]cloud.Disk]{},
		secondaries: map[string]*cloud.Disk{},
		claims:      map[string]string{},
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

// backoff paces a bounded wait: PollInterval first, doubling up to 8 times PollInterval, until
// the limit waitLimit gave when the backoff was made.
type backoff struct {
	limit       time.Time
	delay, ceil time.Duration
}

func (r *run) backoff() *backoff {
	return &backoff{limit: r.waitLimit(), delay: r.opts.PollInterval, ceil: 8 * r.opts.PollInterval}
}

// wait sleeps the next delay, cut short at the limit. It reports false without sleeping once
// the limit has come, and false when ctx ends first.
func (b *backoff) wait(ctx context.Context) bool {
	wait := min(b.delay, time.Until(b.limit))
	if wait <= 0 || !sleep(ctx, wait) {
		return false
	}
	b.delay = min(2*b.delay, b.ceil)
	return true
}

// sleep waits d, or reports false when ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// pool runs up to Concurrency disks of one region at once.
type pool struct {
	in    chan *item
	admit context.Context
	wg    sync.WaitGroup
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

func (p *pool) close() {
	close(p.in)
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
}
