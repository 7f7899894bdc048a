package pairing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// Replica groups (Options.ReplicaGroups = GroupsByInstance): the opted-in disks of one instance
// whose secondaries are in one zone are protected as one replica group, so that all their pairs
// share one recovery point. The per-disk flow creates each pair as usual but leaves starting it
// to the group phase (joinGroupLater); once a region's disks are done, formGroups finds or
// creates each instance's group, waits for the new pairs to be `created`, adds them and starts
// the group once. Everything is read back from the cloud, so a crash between any two steps is
// finished by the next event or sweep.

// ABSR_REPLICA_GROUPS values.
const (
	GroupsOff        = "off"
	GroupsByInstance = "instance"
)

// MaxGroupPairs is how many pairs one replica group holds (AddDiskReplicaPair).
const MaxGroupPairs = 17

// ReasonGroupBusy: the instance's group cannot take the disk's pair now (it is in its first
// full copy, which cannot be stopped); a later delivery or sweep adds it.
const ReasonGroupBusy = "group_busy"

// Group statuses the group phase acts on.
var (
	groupAddable   = []string{"created", "stopped"}
	groupStoppable = []string{"manual_syncing", "syncing", "normal", "stop_failed", "stopping"}
)

// GroupName is the name of an instance's replica group.
func GroupName(instanceID string) string { return sanitizeName("absr-" + instanceID) }

// groupToken identifies "the replica group of this instance": concurrent deliveries create one.
func groupToken(region, instanceID string) string { return token("absr-g-", region, instanceID) }

// addToken identifies "add this pair to this group".
func addToken(groupID, pairID string) string { return token("absr-a-", groupID, pairID) }

// groupStartToken and groupStopToken identify one start (or stop) of a group with exactly these
// pairs: the next membership change is a new start, not a replay of the last one.
func groupStartToken(groupID string, pairIDs []string) string {
	return token("absr-gs-", append([]string{groupID}, slices.Sorted(slices.Values(pairIDs))...)...)
}

func groupStopToken(groupID string, pairIDs []string) string {
	return token("absr-gt-", append([]string{groupID}, slices.Sorted(slices.Values(pairIDs))...)...)
}

func validGroupMode(m string) bool { return m == "" || m == GroupsOff || m == GroupsByInstance }

// direction is where a pair replicates: a pair joins only a group of the same direction.
type direction struct{ srcZone, dstRegion, dstZone string }

func (d direction) String() string {
	return fmt.Sprintf("%s -> %s/%s", d.srcZone, d.dstRegion, d.dstZone)
}

// member is one opted-in disk the group phase looks at.
type member struct {
	it       *item
	instance string
	dir      direction
	pair     cloud.Pair // ID "" in a dry run for a pair not created yet
	planned  bool       // dry run: the pair does not exist yet
	alone    string     // why it stays out of the group (set when it cannot join)
}

// groupBook collects the members the per-disk flow registered, by region and instance, and runs
// each instance's group phase: in a sweep as soon as every listed disk of the instance is done
// and a later page has come (so the instance's disks are all listed, when the listing keeps an
// instance's disks together), overlapping the other disks' work; otherwise, and for whatever is
// left, when the region's disks are done (formGroups).
type groupBook struct {
	mu       sync.Mutex
	members  map[groupKey][]*member
	alone    map[string][]*member // by region: notes only
	pending  map[groupKey]int     // sweep: listed disks of the instance not worked yet
	lastPage map[groupKey]int     // sweep: the page that listed the instance's last disk
	page     map[string]int       // sweep: pages listed so far, by region
	launched map[groupKey]bool
	jobs     sync.WaitGroup
	slots    chan struct{} // bounds the group phases running at once
	launch   func(groupKey, []*member)
}

type groupKey struct{ region, instance string }

func (b *groupBook) init() {
	if b.members == nil {
		b.members, b.alone = map[groupKey][]*member{}, map[string][]*member{}
		b.pending, b.lastPage, b.page = map[groupKey]int{}, map[groupKey]int{}, map[string]int{}
		b.launched = map[groupKey]bool{}
	}
}

func (b *groupBook) add(region string, m *member) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	if m.alone != "" {
		b.alone[region] = append(b.alone[region], m)
		return
	}
	k := groupKey{region, m.instance}
	b.members[k] = append(b.members[k], m)
}

// listed counts a sweep page's attached disks; instances last seen on an earlier page are now
// complete and start once their disks are worked.
func (b *groupBook) listed(region string, items []*item) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	b.page[region]++
	page := b.page[region]
	for _, it := range items {
		if it.disk != nil && it.disk.InstanceID != "" {
			k := groupKey{region, it.disk.InstanceID}
			b.pending[k]++
			b.lastPage[k] = page
		}
	}
	for k, last := range b.lastPage {
		if k.region == region && last < page && b.pending[k] == 0 {
			b.startLocked(k)
		}
	}
}

// listingDone marks the region's listing complete: every instance starts once its disks are worked.
func (b *groupBook) listingDone(region string) { b.listed(region, nil) }

// worked counts a sweep disk done.
func (b *groupBook) worked(it *item) {
	if it.disk == nil || it.disk.InstanceID == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	k := groupKey{it.region, it.disk.InstanceID}
	if _, counted := b.pending[k]; !counted {
		return
	}
	if b.pending[k]--; b.pending[k] == 0 && b.lastPage[k] < b.page[k.region] {
		b.startLocked(k)
	}
}

func (b *groupBook) startLocked(k groupKey) {
	if b.launched[k] || len(b.members[k]) == 0 || b.launch == nil {
		return
	}
	b.launched[k] = true
	ms := b.members[k]
	delete(b.members, k)
	b.jobs.Add(1)
	go func() {
		defer b.jobs.Done()
		b.slots <- struct{}{}
		defer func() { <-b.slots }()
		b.launch(k, ms)
	}()
}

// finish starts the region's remaining group phases and waits for all of them.
func (b *groupBook) finish(region string) []*member {
	b.mu.Lock()
	b.init()
	for k := range b.members {
		if k.region == region {
			b.startLocked(k)
		}
	}
	alone := b.alone[region]
	delete(b.alone, region)
	b.mu.Unlock()
	b.jobs.Wait()
	return alone
}

func (r *run) grouping() bool { return r.opts.ReplicaGroups == GroupsByInstance }

// joinGroupLater is the per-disk flow's hook once d's pair p exists: it reports whether starting
// the pair is left to the group phase. That is so for an attached disk whose pair was never
// started (or is in a group already, which only its group may start). A pair running alone stays
// so, and an unattached disk is paired alone; the group phase adds the reason to their message.
func (r *run) joinGroupLater(it *item, d cloud.Disk, p cloud.Pair) bool {
	return r.addMember(it, d, p, false)
}

// planGroupMember is the dry run's hook for a pair the disk would get: it reports whether the
// pair would go into the instance's group (then the per-disk plan does not start it).
func (r *run) planGroupMember(it *item, d cloud.Disk, plan secondaryPlan) bool {
	zone := ""
	switch {
	case plan.disk != nil:
		zone = plan.disk.ZoneID
	case plan.create != nil:
		zone = plan.create.ZoneID
	}
	return r.addMember(it, d, cloud.Pair{SourceZoneID: d.ZoneID, DestinationRegionID: plan.region,
		DestinationZoneID: zone, Status: "created"}, true)
}

func (r *run) addMember(it *item, d cloud.Disk, p cloud.Pair, planned bool) bool {
	if !r.grouping() {
		return false
	}
	m := &member{it: it, instance: d.InstanceID, pair: p, planned: planned,
		dir: direction{cmp.Or(p.SourceZoneID, d.ZoneID), p.DestinationRegionID, p.DestinationZoneID}}
	switch {
	case d.InstanceID == "":
		m.alone = "not attached to an instance: paired alone"
	case p.ReplicaGroupID == "" && slices.Contains(replicating, p.Status):
		m.alone = "its pair already runs alone: left alone (joining the instance's group would mean stopping it)"
	case p.ReplicaGroupID == "" && !slices.Contains(startable, p.Status):
		m.alone = fmt.Sprintf("its pair is %s: not added to the instance's group", p.Status)
	}
	r.groups.add(d.RegionID, m)
	return m.alone == ""
}

// formGroups finishes the group phase of one region, after its per-disk work: the instances not
// started yet run now (at most Concurrency at once), and formGroups returns when all are done.
func (r *run) formGroups(ctx context.Context, region string) {
	if !r.grouping() {
		return
	}
	r.groups.mu.Lock()
	if r.groups.launch == nil {
		r.groups.slots = make(chan struct{}, r.opts.Concurrency)
		r.groups.launch = func(k groupKey, ms []*member) { r.runGroup(ctx, k, ms) }
	}
	r.groups.mu.Unlock()
	for _, m := range r.groups.finish(region) {
		note(m, m.alone)
	}
}

// startGroups lets a sweep start instances' group phases while its other disks are worked.
func (r *run) startGroups(ctx context.Context) {
	if !r.grouping() {
		return
	}
	r.groups.mu.Lock()
	defer r.groups.mu.Unlock()
	if r.groups.launch == nil {
		r.groups.slots = make(chan struct{}, r.opts.Concurrency)
		r.groups.launch = func(k groupKey, ms []*member) { r.runGroup(ctx, k, ms) }
	}
}

// runGroup is one instance's group phase.
func (r *run) runGroup(ctx context.Context, k groupKey, members []*member) {
	slices.SortFunc(members, func(a, b *member) int { return strings.Compare(a.it.diskID, b.it.diskID) })
	defer func() {
		if v := recover(); v != nil {
			for _, m := range members {
				m.it.res = m.it.panicked(v)
			}
		}
	}()
	tctx, requestIDs := traceCalls(ctx)
	(&groupJob{r: r, region: k.region, instance: k.instance, members: members}).run(tctx)
	ids := requestIDs()
	for _, m := range members {
		m.it.res.RequestIDs = append(m.it.res.RequestIDs, ids...)
	}
}

func note(m *member, msg string) {
	if m.it.res.Message == "" {
		m.it.res.Message = msg
		return
	}
	m.it.res.Message += "; " + msg
}
