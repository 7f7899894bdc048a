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
