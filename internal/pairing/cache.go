package pairing

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// pairIndex is one region's replica pairs, by the disks they hold.
type pairIndex struct {
	bySource map[string]cloud.Pair
	byDest   map[string]cloud.Pair
}

// A deleted pair no longer holds its disks.
const pairDeleted = "deleted"

// pairsIn lists region's pairs once per invocation, however many disks ask and when.
func (r *run) pairsIn(ctx context.Context, region string) (*pairIndex, error) {
	return shared(&r.mu, r.pairs, region, func() (*pairIndex, error) {
		pairs, err := r.api.ListPairs(ctx, region)
		if err != nil {
			return nil, err
		}
		idx := &pairIndex{bySource: map[string]cloud.Pair{}, byDest: map[string]cloud.Pair{}}
		for _, p := range pairs {
			if p.Status == pairDeleted {
				continue
			}
			idx.bySource[p.SourceDiskID] = p
			idx.byDest[p.DestinationDiskID] = p
		}
		return idx, nil
	})
}

// backrefCandidates lists the disks in region tagged dr:primary-disk=primary. A sweep reads
// every back-reference of the region once; an event asks for its disk's alone.
func (r *run) backrefCandidates(ctx context.Context, region, primary string) ([]cloud.Disk, error) {
	if !r.sweep {
		var out []cloud.Disk
		err := r.api.DisksByTag(ctx, region, TagPrimaryDisk, primary, func(page []cloud.Disk) error {
			for _, d := range page {
				if d.Tags[TagPrimaryDisk] == primary {
					out = append(out, d)
				}
			}
			return nil
		})
		return out, err
	}
	index, err := shared(&r.mu, r.backrefs, region, func() (map[string][]cloud.Disk, error) {
		index := map[string][]cloud.Disk{}
		err := r.api.DisksByTag(ctx, region, TagPrimaryDisk, "", func(page []cloud.Disk) error {
			for _, d := range page {
				if p := d.Tags[TagPrimaryDisk]; p != "" {
					index[p] = append(index[p], d)
				}
			}
			return nil
		})
		return index, err
	})
	return index[primary], err
}

// shared returns what compute returns, calling it once for key however many goroutines ask (the
// first caller's context serves them all). Should compute panic, every caller panics with the same
// value, and each fails the disk it was handling.
func shared[V any](mu *sync.Mutex, calls map[string]func() (V, error), key string, compute func() (V, error)) (V, error) {
	mu.Lock()
	call := calls[key]
	if call == nil {
		call = sync.OnceValues(compute)
		calls[key] = call
	}
	mu.Unlock()
	return call()
}

// secondaryDisk reads a named secondary, from what prefetchSecondaries already read when it can.
// It returns nil, nil when the disk does not exist. The record is the caller's own copy: the
// cached one is shared by every disk that names the same secondary.
func (r *run) secondaryDisk(ctx context.Context, region, id string) (*cloud.Disk, error) {
	key := region + "/" + id
	r.mu.Lock()
	cached, known := r.secondaries[key]
	r.mu.Unlock()
	if known {
		if cached == nil {
			return nil, nil
		}
		d := *cached
		return &d, nil
	}
	disks, err := r.api.DescribeDisks(ctx, region, []string{id})
	if err != nil {
		return nil, err
	}
	for _, d := range disks {
		if d.ID == id {
			return &d, nil
		}
	}
	return nil, nil
}

// eligible returns the ready items that process takes past the opt-in and category checks:
// the only ones the prefetches read anything for.
func (r *run) eligible(ready []*item) []*item {
	var out []*item
	for _, it := range ready {
		if r.optedIn(*it.disk) && supportedCategory(it.disk.Category) {
			out = append(out, it)
		}
	}
	return out
}

// prefetchSecondaries reads, in batches per region, the explicitly named secondaries
// (mapping file or tag) of eligible disks that are candidates for a new pair. Errors are left
// for secondaryDisk to meet and report, disk by disk.
func (r *run) prefetchSecondaries(ctx context.Context, region string, eligible []*item) {
	type candidate struct {
		id  string
		ref SecondaryRef
	}
	var candidates []candidate
	for _, it := range eligible {
		d := *it.disk
		if d.Tags[TagPrimaryDisk] != "" || it.confirmed != nil {
			continue // a secondary, or its pair is known: no secondary to read, no listing to pay for
		}
		if ref, _, ok := r.explicitSecondary(d); ok && ref.Region != "" {
			candidates = append(candidates, candidate{d.ID, ref})
		}
	}
	if len(candidates) == 0 {
		return // no pair listing for disks that will not need one
	}
	// A run that lists pairs leaves out the secondaries of disks already paired; an event does
	// not list them (see listsPairs) and reads every named secondary in one batch.
	var idx *pairIndex
	if r.listsPairs(ctx) {
		var err error
		if idx, err = r.pairsIn(ctx, region); err != nil {
			return
		}
	}
	want := map[string][]string{}
	for _, c := range candidates {
		if idx != nil {
			if _, paired := idx.bySource[c.id]; paired {
				continue
			}
			if _, paired := idx.byDest[c.id]; paired {
				continue
			}
		}
		r.mu.Lock()
		_, known := r.secondaries[c.ref.Region+"/"+c.ref.DiskID]
		r.mu.Unlock()
		if !known && !slices.Contains(want[c.ref.Region], c.ref.DiskID) {
			want[c.ref.Region] = append(want[c.ref.Region], c.ref.DiskID)
		}
	}
	for secRegion, ids := range want {
		for batch := range slices.Chunk(ids, describeBatch) {
			disks, err := r.api.DescribeDisks(ctx, secRegion, batch)
			if err != nil {
				break
			}
			r.mu.Lock()
			for _, id := range batch {
				r.secondaries[secRegion+"/"+id] = nil
			}
			for _, d := range disks {
				if slices.Contains(batch, d.ID) {
					r.secondaries[secRegion+"/"+d.ID] = &d
				}
			}
			r.mu.Unlock()
		}
	}
}

// prefetchMarkedPairs confirms, for an event, the pairs that eligible disks' dr:replica-pair tags
// name: one DescribeDiskReplicaPairs by PairIds per 100 marked disks of the region, instead of
// the region's whole listing (pages of 500 per site) that pairsIn reads. A pair is confirmed
// when it is live and this disk, in this region, is its primary; process then completes it
// directly. Every other disk (unmarked, a stale or foreign mark, a failed lookup, the legacy
// family, which cannot filter by ID) goes the listing's way as before, so a lookup error never
// decides a disk by itself. A sweep never asks: its one listing serves every disk.
func (r *run) prefetchMarkedPairs(ctx context.Context, region string, eligible []*item) {
	if r.sweep {
		return
	}
	var marked []*item
	for _, it := range eligible {
		if it.disk.Tags[TagReplicaPair] != "" {
			marked = append(marked, it)
		}
	}
	for batch := range slices.Chunk(marked, cloud.MaxPairIDs) {
		var ids []string
		for _, it := range batch {
			if id := it.disk.Tags[TagReplicaPair]; !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		tctx, requestIDs := traceCalls(ctx)
		pairs, err := r.api.PairsByID(tctx, region, ids)
		traced := requestIDs()
		if err != nil {
			if errors.Is(err, errors.ErrUnsupported) {
				return // the legacy family: no batch will do better
			}
			continue
		}
		byID := map[string]cloud.Pair{}
		for _, p := range pairs {
			byID[p.ID] = p
		}
		for _, it := range batch { // the reader's own items, not yet handed to a worker
			it.readIDs = append(it.readIDs, traced...)
			d := it.disk
			p, ok := byID[d.Tags[TagReplicaPair]]
			if ok && p.Status != pairDeleted && p.SourceDiskID == d.ID && p.SourceRegionID == d.RegionID {
				it.confirmed = &p
			}
		}
	}
}

// claim reserves secondary for primary within this invocation, so that two primaries
// naming the same secondary do not both try it; it reports the other primary on conflict.
func (r *run) claim(secondary, primary string) (other string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, taken := r.claims[secondary]; taken && p != primary {
		return p, false
	}
	r.claims[secondary] = primary
	return "", true
}
