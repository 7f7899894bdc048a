package pairing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

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
