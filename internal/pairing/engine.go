package pairing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// Target is what one event names in one region: disks, and instances whose disks to pair.
type Target struct {
	Region      string
	DiskIDs     []string
	InstanceIDs []string
	// Created: the event created these resources, so they may not be visible or ready yet.
	Created bool
}

// Engine pairs disks. It keeps no state between calls: every decision is made from the
// cloud's current state, which is what lets a later invocation heal an interrupted one.
// It is safe for concurrent use.
type Engine struct {
	api  cloud.API
	opts Options
	err  error // the options are unusable: every disk fails with invalid_options
}

// New returns an engine calling api with opts, zero-valued fields set to their defaults
// (see DefaultOptions; bools are taken as given). Invalid options do not panic: Err reports
// them, Pair fails every disk with invalid_options and Sweep returns the error.
func New(api cloud.API, opts Options) *Engine {
	opts = opts.withDefaults()
	err := opts.Validate()
	if api == nil {
		err = errors.Join(err, errors.New("pairing: no cloud API"))
	}
	if err != nil {
		err = fmt.Errorf("pairing: invalid options: %w", err)
	}
	return &Engine{api: api, opts: opts, err: err}
}

// Options returns the normalized options the engine runs with.
func (e *Engine) Options() Options { return e.opts }

// Err reports why the options are unusable, or nil.
func (e *Engine) Err() error { return e.err }

// Pair pairs the disks the targets name, and the disks of the instances they name. Every
// disk ID appears exactly once in the results, in the order first named; an instance whose
// disks cannot be listed gets one result with its InstanceID and no DiskID. Pair returns
// before ctx's deadline (minus a margin), failing unfinished disks with deadline_exceeded.
func (e *Engine) Pair(ctx context.Context, targets []Target) []Result {
	items, instances := planTargets(targets)
	if e.err != nil {
		return invalidResults(items, instances, e.err)
	}
	w := e.newWindow(ctx)
	defer w.cancel()
	r := e.newRun(w.work, false)

	regions := map[string]*regionJob{}
	var order []string
	job := func(region string) *regionJob {
		if regions[region] == nil {
			regions[region] = &regionJob{region: region}
			order = append(order, region)
		}
		return regions[region]
	}
	var out []*item
	for _, it := range items {
		if it.done {
			out = append(out, it)
			continue
		}
		j := job(it.region)
		j.items = append(j.items, it)
	}
	for _, in := range instances {
		j := job(in.region)
		j.instances = append(j.instances, in)
	}

	var wg sync.WaitGroup
	for _, region := range order {
		j := regions[region]
		wg.Go(func() { j.items = r.pairRegion(w, j.region, j.items, j.instances) })
	}
	wg.Wait()
	for _, region := range order {
		out = append(out, regions[region].items...)
	}
	slices.SortStableFunc(out, func(a, b *item) int {
		return cmp.Or(cmp.Compare(a.order[0], b.order[0]), cmp.Compare(a.order[1], b.order[1]))
	})
	return collect(out)
}

// Sweep pairs every disk carrying the opt-in tag in the given regions. Regions run
// concurrently and independently; a region whose listing fails contributes what it listed
// and its error (joined with the others').
//
// Near the deadline the sweep stops cleanly: it stops listing and starting disks, lets the
// disks in progress finish, and reports every listed disk it did not finish as
// deadline_exceeded (retryable). A listing cut short is an error wrapping
// context.DeadlineExceeded. Nothing else is remembered: the next sweep lists again, finds the
// disks this one paired already paired (no changing call) and continues with the rest.
func (e *Engine) Sweep(ctx context.Context, regions []string) ([]Result, error) {
	if e.err != nil {
		return nil, e.err
	}
	regions, err := sweepRegions(regions)
	if err != nil {
		return nil, err
	}
	w := e.newWindow(ctx)
	defer w.cancel()
	r := e.newRun(w.work, true)

	items := make([][]*item, len(regions))
	errs := make([]error, len(regions))
	var wg sync.WaitGroup
	for i, region := range regions {
		wg.Go(func() { items[i], errs[i] = r.sweepRegion(w, region) })
	}
	wg.Wait()
	var results []Result
	for _, its := range items {
		results = append(results, collect(its)...)
	}
	slices.SortStableFunc(results, func(a, b Result) int {
		return cmp.Or(strings.Compare(a.RegionID, b.RegionID), strings.Compare(a.DiskID, b.DiskID))
	})
	return results, errors.Join(errs...)
}

func sweepRegions(regions []string) ([]string, error) {
	var out []string
	for _, r := range regions {
		r = strings.TrimSpace(r)
		if r == "" {
			return nil, errors.New("pairing: sweep: empty region name")
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("pairing: sweep: no regions to scan")
	}
	return out, nil
}

// window is when an invocation may work. Calls end with work, a margin before the
// invocation's deadline, so that results can still be reported. Disks are listed, read and
// started only while admit lasts, one more margin earlier, so that the disks in progress
// can finish their calls instead of being cut between creating a pair and starting it.
type window struct {
	work, admit context.Context
	cancel      context.CancelFunc
}

// newWindow derives the window from ctx's deadline: the margin is DeadlineMargin, but at
// most 10% of the time that remains. Without a deadline both last as long as ctx.
func (e *Engine) newWindow(ctx context.Context) window {
	deadline, ok := ctx.Deadline()
	if !ok {
		work, cancel := context.WithCancel(ctx)
		return window{work: work, admit: work, cancel: cancel}
	}
	margin := max(min(e.opts.DeadlineMargin, time.Until(deadline)/10), 0)
	work, cancelWork := context.WithDeadline(ctx, deadline.Add(-margin))
	admit, cancelAdmit := context.WithDeadline(work, deadline.Add(-2*margin))
	return window{work: work, admit: admit, cancel: func() { cancelAdmit(); cancelWork() }}
}

// item is one disk (or one instance that yielded none) on its way through an invocation.
// Its result starts as deadline_exceeded and is overwritten by whoever decides it; exactly
// one goroutine writes it, before the invocation's WaitGroup is done.
type item struct {
	order     [2]int // position in the report: (first target naming it, index within)
	diskID    string
	region    string
	instance  string
	created   bool
	disk      *cloud.Disk // the current record, once read; RegionID filled in when the API left it out
	waitUntil time.Time   // while not visible or not ready: when to give up
	readIDs   []string    // request IDs of the reads that found it
	confirmed *cloud.Pair // events: the live pair its dr:replica-pair tag names, confirmed by ID (prefetchMarkedPairs)
	start     time.Time   // when the invocation first knew of it; Duration counts from here
	done      bool        // res is final before processing
	processed bool        // a worker wrote res (read only after the pool is closed)
	res       Result
}

func newItem(diskID, region string, created bool, order [2]int) *item {
	it := &item{diskID: diskID, region: region, created: created, order: order, start: time.Now()}
	it.res = it.result(Failed, ReasonDeadlineExceeded,
		"not finished before the invocation's deadline; a retry continues from the cloud's state")
	it.res.Retryable = true
	return it
}

func (it *item) result(o Outcome, reason, msg string) Result {
	return Result{DiskID: it.diskID, RegionID: it.region, InstanceID: it.instance,
		Outcome: o, Reason: reason, Message: msg}
}

// fail is the result of a cloud error met while doing what.
func (it *item) fail(ctx context.Context, err error, what string) Result {
	reason, retryable := classify(ctx, err)
	res := it.result(Failed, reason, what+": "+err.Error())
	res.Retryable = retryable
	return res
}

// finish decides the item's result without processing it.
func (it *item) finish(res Result) {
	res.RequestIDs = append(res.RequestIDs, it.readIDs...)
	res.Duration = time.Since(it.start)
	it.res, it.done = res, true
}

func collect(items []*item) []Result {
	out := make([]Result, 0, len(items))
	for _, it := range items {
		out = append(out, it.res)
	}
	return out
}

type instanceTarget struct {
	id      string
	region  string
	created bool
	order   int
}

type regionJob struct {
	region    string
	items     []*item
	instances []instanceTarget
}

// planTargets flattens the targets into one item per distinct disk ID (the first naming
// wins its region; Created if any naming says so) and the instances to expand.
func planTargets(targets []Target) ([]*item, []instanceTarget) {
	var items []*item
	byID := map[string]*item{}
	var instances []instanceTarget
	seenInstance := map[string]bool{}
	for ti, t := range targets {
		region := strings.TrimSpace(t.Region)
		for di, id := range t.DiskIDs {
			id = strings.TrimSpace(id)
			if id == "" {
				continue
			}
			if it := byID[id]; it != nil {
				it.created = it.created || t.Created
				continue
			}
			it := newItem(id, region, t.Created, [2]int{ti, di})
			if region == "" {
				it.finish(it.result(Failed, ReasonInvalidTarget, "no region given for disk "+id))
			}
			byID[id] = it
			items = append(items, it)
		}
		for _, id := range t.InstanceIDs {
			id = strings.TrimSpace(id)
			if id == "" || seenInstance[region+"/"+id] {
				continue
			}
			seenInstance[region+"/"+id] = true
			instances = append(instances, instanceTarget{id: id, region: region, created: t.Created, order: ti})
		}
	}
	return items, instances
}

func invalidResults(items []*item, instances []instanceTarget, err error) []Result {
	var out []Result
	for _, it := range items {
		out = append(out, it.result(Failed, ReasonInvalidOptions, err.Error()))
	}
	for _, in := range instances {
		it := &item{instance: in.id, region: in.region}
		out = append(out, it.result(Failed, ReasonInvalidOptions, err.Error()))
	}
	return out
}

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

// panicked is the result of a disk whose handling panicked. A panic on a goroutine cannot be
// recovered anywhere else, and would end the process with every invocation it serves; here it
// fails one disk (retryably: a later delivery re-reads everything). The value may quote a request
// URL, so it is sanitized.
func (it *item) panicked(v any) Result {
	res := it.result(Failed, ReasonInternalError, "internal error (panic): "+cloud.Sanitize(fmt.Sprint(v)))
	res.Retryable = true
	res.Duration = time.Since(it.start)
	return res
}

// failUnprocessed fails, after a panic in the goroutine that read and dispatched them, the items
// no worker got to. Call it once the region's pool is closed.
func failUnprocessed(items []*item, v any) {
	for _, it := range items {
		if !it.done && !it.processed {
			it.res, it.done = it.panicked(v), true
		}
	}
}

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
	for fresh := range pages {
		rd.offer(ctx, fresh)
	}
	rd.drain(ctx)
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
	b := r.backoff()
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
		if !b.wait(ctx) {
			res := self.result(Failed, ReasonInstanceDisksMissing,
				fmt.Sprintf("the new instance's disks did not show within %s", time.Since(self.start).Round(time.Millisecond)))
			res.Retryable = true
			self.finish(res)
			return []*item{self}
		}
	}
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
