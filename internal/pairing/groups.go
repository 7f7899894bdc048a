package pairing

import (
	"cmp"
	"context"
	"errors"
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

// groupJob is one instance's group phase.
type groupJob struct {
	r        *run
	region   string
	instance string
	members  []*member
	group    *cloud.Group
}

func (g *groupJob) name() string { return GroupName(g.instance) }

func (g *groupJob) run(ctx context.Context) {
	var free, grouped []*member
	for _, m := range g.members {
		if m.pair.ReplicaGroupID == "" {
			free = append(free, m)
		} else {
			grouped = append(grouped, m)
		}
	}
	if err := g.find(ctx, grouped); err != nil {
		g.failAll(ctx, g.members, err, "looking for replica group "+g.name())
		return
	}
	for _, m := range grouped {
		if g.group == nil || m.pair.ReplicaGroupID != g.group.ID {
			m.it.res.ReplicaGroupID = m.pair.ReplicaGroupID
			note(m, fmt.Sprintf("its pair is in replica group %s, not the instance's group %s: left as it is", m.pair.ReplicaGroupID, g.name()))
		}
	}
	if g.group == nil {
		if len(free) == 0 {
			return
		}
		dirs := map[direction]bool{}
		for _, m := range free {
			dirs[m.dir] = true
		}
		switch {
		case len(dirs) > 1:
			var ds []string
			for d := range dirs {
				ds = append(ds, d.String())
			}
			slices.Sort(ds)
			g.startAlone(ctx, free, fmt.Sprintf("the instance's secondaries are in %d zones (%s) and a replica group replicates to one: paired alone",
				len(dirs), strings.Join(ds, ", ")))
			return
		case len(free) > MaxGroupPairs:
			g.startAlone(ctx, free, fmt.Sprintf("the instance has %d disks to protect and a replica group holds at most %d: paired alone",
				len(free), MaxGroupPairs))
			return
		}
		if g.r.opts.DryRun {
			for _, m := range free {
				g.plan(m, fmt.Sprintf("would create replica group %s (%s), add the pair, then start the group once", g.name(), free[0].dir))
			}
			return
		}
		if err := g.create(ctx, free[0].dir); err != nil {
			g.failAll(ctx, free, err, "creating replica group "+g.name())
			return
		}
	}
	mine := slices.DeleteFunc(slices.Clone(grouped), func(m *member) bool { return m.pair.ReplicaGroupID != g.group.ID })
	dir := direction{g.group.SourceZoneID, g.group.DestinationRegionID, g.group.DestinationZoneID}
	var join []*member
	room := MaxGroupPairs - len(g.group.PairIDs)
	for _, m := range free {
		switch {
		case m.dir != dir:
			g.startAlone(ctx, []*member{m}, fmt.Sprintf("its secondary replicates %s, the instance's group %s (%s) %s: paired alone",
				m.dir, g.name(), g.group.ID, dir))
		case room <= 0:
			g.startAlone(ctx, []*member{m}, fmt.Sprintf("the instance's group %s (%s) holds %d pairs already, the most a group can: paired alone",
				g.name(), g.group.ID, MaxGroupPairs))
		default:
			room--
			join = append(join, m)
		}
	}
	g.join(ctx, join, mine)
}

// find looks the instance's group up: by the ID its pairs name, else by name among the region's
// groups.
func (g *groupJob) find(ctx context.Context, grouped []*member) error {
	groups, err := g.r.groupsIn(ctx, g.region)
	if err != nil {
		return err
	}
	return g.pick(groups, grouped)
}

// groupsIn lists the region's replica groups once per invocation (groups of other instances do
// not change what this one finds; a create refused because of a concurrent one lists again).
func (r *run) groupsIn(ctx context.Context, region string) ([]cloud.Group, error) {
	r.mu.Lock()
	if r.groupLists == nil {
		r.groupLists = map[string]func() ([]cloud.Group, error){}
	}
	list := r.groupLists[region]
	if list == nil {
		list = sync.OnceValues(func() ([]cloud.Group, error) { return r.api.ListGroups(ctx, region) })
		r.groupLists[region] = list
	}
	r.mu.Unlock()
	return list()
}

// pick chooses the instance's group among groups.
func (g *groupJob) pick(groups []cloud.Group, grouped []*member) error {
	var named []cloud.Group
	for _, gr := range groups {
		if gr.Name == g.name() && gr.Status != "deleted" && gr.Status != "deleting" {
			named = append(named, gr)
		}
	}
	if len(named) == 0 {
		return nil
	}
	// Two groups of the same name (made by hand): the one holding this instance's pairs wins,
	// else the lowest ID, so every delivery chooses the same.
	slices.SortFunc(named, func(a, b cloud.Group) int { return strings.Compare(a.ID, b.ID) })
	g.group = &named[0]
	for _, m := range grouped {
		for i := range named {
			if named[i].ID == m.pair.ReplicaGroupID {
				g.group = &named[i]
				return nil
			}
		}
	}
	return nil
}

// create creates the instance's group; a concurrent delivery's create has the same token and
// gets the same group. The group is read back: a replayed answer counts only when the group
// exists now.
func (g *groupJob) create(ctx context.Context, dir direction) error {
	o := g.r.opts
	id, err := g.r.api.CreateGroup(ctx, cloud.CreateGroupInput{RegionID: g.region, SourceZoneID: dir.srcZone,
		DestinationRegionID: dir.dstRegion, DestinationZoneID: dir.dstZone, Name: g.name(),
		Description: fmt.Sprintf("absr-autopair: the disks of instance %s", g.instance), RPO: o.RPO,
		ClientToken: groupToken(g.region, g.instance)})
	if err != nil {
		// A concurrent delivery with other members may have created it (other parameters, same token).
		if groups, lerr := g.r.api.ListGroups(ctx, g.region); lerr == nil && g.pick(groups, nil) == nil && g.group != nil {
			return nil
		}
		return err
	}
	gr, err := g.waitGroup(ctx, id)
	if err != nil {
		return err
	}
	g.group = gr
	return nil
}

// waitGroup reads group id until it is past creating, bounded like every other wait.
func (g *groupJob) waitGroup(ctx context.Context, id string) (*cloud.Group, error) {
	b := g.r.pace()
	for {
		groups, err := g.r.api.GroupsByID(ctx, g.region, []string{id})
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(groups, func(gr cloud.Group) bool { return gr.ID == id })
		switch {
		case i < 0:
			return nil, fmt.Errorf("replica group %s named by CreateDiskReplicaGroup does not exist (deleted since?)", id)
		case groups[i].Status != "creating":
			return &groups[i], nil
		}
		if !b.wait(ctx) {
			return nil, fmt.Errorf("replica group %s is still creating", id)
		}
	}
}

// join adds the free members' pairs to the group and starts it once. mine are the members in
// the group already; a group holding a pair that never replicated (created) is started too, which
// finishes an attempt cut short after its adds.
func (g *groupJob) join(ctx context.Context, join, mine []*member) {
	gr := g.group
	o := g.r.opts
	all := append(slices.Clone(join), mine...)
	for _, m := range all {
		m.it.res.ReplicaGroupID = gr.ID
	}
	if o.DryRun {
		g.planJoin(join, mine)
		return
	}
	added := slices.Clone(gr.PairIDs)
	waited := false
	if len(join) > 0 {
		// A concurrent delivery may have added some since this run read them. A group that
		// takes pairs now is read once, waiting for the new pairs to be created; one that must
		// be stopped first is read before it is stopped, and waited for after.
		var current map[string]cloud.Pair
		var err error
		switch {
		case slices.Contains(groupAddable, gr.Status) && !slices.ContainsFunc(join, func(m *member) bool { return !slices.Contains(groupAddable, m.pair.Status) }):
			// The per-disk flow read them created just now; a concurrent add shows as a refused add.
			waited = true
		case slices.Contains(groupAddable, gr.Status):
			current, err = g.waitCreated(ctx, join)
			waited = true
		default:
			current, err = g.r.pairsByID(ctx, g.region, pairIDsOf(join))
		}
		if err != nil {
			g.failAll(ctx, all, err, "reading the pairs to add to replica group "+g.name())
			return
		}
		join = slices.DeleteFunc(join, func(m *member) bool {
			p, ok := current[m.pair.ID]
			if !ok || p.ReplicaGroupID != gr.ID {
				return false
			}
			m.pair = p
			mine = append(mine, m)
			if !slices.Contains(added, p.ID) {
				added = append(added, p.ID)
			}
			return true
		})
	}
	if len(join) == 0 && !slices.ContainsFunc(mine, func(m *member) bool { return slices.Contains(startable, m.pair.Status) }) {
		for _, m := range mine {
			m.it.res.Started = slices.Contains(replicating, m.pair.Status)
			note(m, fmt.Sprintf("in replica group %s (%s), %s", g.name(), gr.ID, cmp.Or(m.pair.Status, gr.Status)))
		}
		return
	}
	var did []string
	if len(join) > 0 && !slices.Contains(groupAddable, gr.Status) {
		if !slices.Contains(groupStoppable, gr.Status) {
			for _, m := range join {
				res := m.it.result(Failed, ReasonGroupBusy, fmt.Sprintf(
					"replica group %s (%s) is %s and cannot be stopped to take the pair now (the docs allow stopping a group only from %s); "+
						"the pair is left created: a later delivery or the sweep adds it", g.name(), gr.ID, gr.Status, strings.Join(groupStoppable, ", ")))
				g.keep(m, &res)
				res.Retryable = true
				m.it.res = res
			}
			all = mine
			join = nil
			if !slices.ContainsFunc(mine, func(m *member) bool { return slices.Contains(startable, m.pair.Status) }) {
				return
			}
		} else {
			if err := g.r.api.StopGroup(ctx, g.region, gr.ID, groupStopToken(gr.ID, gr.PairIDs)); err != nil {
				g.failAll(ctx, all, err, fmt.Sprintf("stopping replica group %s (%s) to add a pair", g.name(), gr.ID))
				return
			}
			did = append(did, "group stopped to add the pair")
		}
	}
	if len(join) > 0 && !waited {
		if _, err := g.waitCreated(ctx, join); err != nil {
			g.failAll(ctx, join, err, "waiting for the new pairs to be created")
			return
		}
	}
	for _, m := range join {
		if err := g.r.api.AddPairToGroup(ctx, g.region, gr.ID, m.pair.ID, addToken(gr.ID, m.pair.ID)); err != nil {
			if !g.inGroupNow(ctx, m.pair.ID) { // a concurrent delivery may have added it
				g.failAll(ctx, []*member{m}, err, fmt.Sprintf("adding pair %s to replica group %s (%s)", m.pair.ID, g.name(), gr.ID))
				continue
			}
		}
		if !slices.Contains(added, m.pair.ID) {
			added = append(added, m.pair.ID)
		}
		note(m, fmt.Sprintf("added to replica group %s (%s)", g.name(), gr.ID))
		m.it.res.Outcome = Paired
	}
	if !o.Start {
		return
	}
	if err := g.r.api.StartGroup(ctx, g.region, gr.ID, groupStartToken(gr.ID, added)); err != nil && !g.replicatingNow(ctx) {
		g.failAll(ctx, all, err, fmt.Sprintf("starting replica group %s (%s)", g.name(), gr.ID))
		return
	}
	did = append(did, "group started")
	for _, m := range all {
		if m.it.res.Outcome == Failed {
			continue
		}
		if !slices.Contains(join, m) {
			note(m, fmt.Sprintf("in replica group %s (%s)", g.name(), gr.ID))
		}
		note(m, strings.Join(did, ", "))
		m.it.res.Outcome, m.it.res.Started = Paired, true
	}
}

// planJoin is join in a dry run: what it would do, and no call.
func (g *groupJob) planJoin(join, mine []*member) {
	gr := g.group
	if len(join) == 0 && !slices.ContainsFunc(mine, func(m *member) bool { return slices.Contains(startable, m.pair.Status) }) {
		for _, m := range mine {
			m.it.res.Started = slices.Contains(replicating, m.pair.Status)
			note(m, fmt.Sprintf("in replica group %s (%s), %s", g.name(), gr.ID, gr.Status))
		}
		return
	}
	for _, m := range join {
		g.plan(m, fmt.Sprintf("would add the pair to replica group %s (%s, %s)%s", g.name(), gr.ID, gr.Status, g.startPlan(gr)))
	}
	for _, m := range mine {
		g.plan(m, fmt.Sprintf("in replica group %s (%s, %s)%s", g.name(), gr.ID, gr.Status, g.startPlan(gr)))
	}
}

func pairIDsOf(ms []*member) []string {
	ids := make([]string, 0, len(ms))
	for _, m := range ms {
		ids = append(ids, m.pair.ID)
	}
	return ids
}

// pairsByID reads pairs ids (primaries in region) by ID, in batches.
func (r *run) pairsByID(ctx context.Context, region string, ids []string) (map[string]cloud.Pair, error) {
	got := map[string]cloud.Pair{}
	for batch := range slices.Chunk(ids, cloud.MaxPairIDs) {
		pairs, err := r.api.PairsByID(ctx, region, batch)
		if err != nil {
			return nil, err
		}
		for _, p := range pairs {
			got[p.ID] = p
		}
	}
	return got, nil
}

func (g *groupJob) startPlan(gr *cloud.Group) string {
	if !g.r.opts.Start {
		return ""
	}
	if !slices.Contains(groupAddable, gr.Status) {
		return fmt.Sprintf(", stop the group (%s) and start it again", gr.Status)
	}
	return ", then start the group once"
}

// waitCreated waits, bounded, until every pair of ms is created (or stopped), or in the group
// already: a new pair is creating for a while, and AddDiskReplicaPair takes created or stopped
// pairs only. It returns the pairs' current records.
func (g *groupJob) waitCreated(ctx context.Context, ms []*member) (map[string]cloud.Pair, error) {
	return g.r.waitPairs(ctx, g.region, pairIDsOf(ms), func(p cloud.Pair) bool {
		return p.ReplicaGroupID == g.group.ID || p.ReplicaGroupID == "" && slices.Contains(groupAddable, p.Status)
	})
}

// waitPairs reads pairs ids (primaries in region) until every one satisfies ok, with backoff
// bounded like every other wait, and returns their last records.
func (r *run) waitPairs(ctx context.Context, region string, ids []string, ok func(cloud.Pair) bool) (map[string]cloud.Pair, error) {
	b := r.pace()
	for {
		got, err := r.pairsByID(ctx, region, ids)
		if err != nil {
			return nil, err
		}
		var waiting []string
		for _, id := range ids {
			if p, found := got[id]; !found || !ok(p) {
				waiting = append(waiting, fmt.Sprintf("%s (%s)", id, cmp.Or(p.Status, "not found")))
			}
		}
		if len(waiting) == 0 {
			return got, nil
		}
		if !b.wait(ctx) {
			return got, fmt.Errorf("pairs not ready in time: %s", strings.Join(waiting, ", "))
		}
	}
}

func (g *groupJob) inGroupNow(ctx context.Context, pairID string) bool {
	pairs, err := g.r.api.PairsByID(ctx, g.region, []string{pairID})
	return err == nil && slices.ContainsFunc(pairs, func(p cloud.Pair) bool { return p.ID == pairID && p.ReplicaGroupID == g.group.ID })
}

func (g *groupJob) replicatingNow(ctx context.Context) bool {
	groups, err := g.r.api.GroupsByID(ctx, g.region, []string{g.group.ID})
	return err == nil && slices.ContainsFunc(groups, func(gr cloud.Group) bool { return slices.Contains(replicating, gr.Status) })
}

// startAlone starts the pairs of ms on their own, saying why they are not grouped.
func (g *groupJob) startAlone(ctx context.Context, ms []*member, why string) {
	for _, m := range ms {
		if g.r.opts.DryRun {
			msg := why
			if g.r.opts.Start {
				msg = "would start the pair alone: " + why
			}
			note(m, msg)
			continue
		}
		if !g.r.opts.Start {
			note(m, why)
			continue
		}
		if err := g.r.startPair(ctx, g.region, m.pair.ID, m.pair.Status); err != nil {
			g.failAll(ctx, []*member{m}, err, fmt.Sprintf("starting pair %s (%s)", m.pair.ID, why))
			continue
		}
		note(m, "started alone: "+why)
		m.it.res.Outcome, m.it.res.Started = Paired, true
	}
}

func (g *groupJob) plan(m *member, msg string) {
	note(m, msg)
	if m.it.res.Outcome == AlreadyPaired {
		m.it.res.Outcome = Planned
	}
}

// keep carries the pair's fields of the member's result so far into res.
func (g *groupJob) keep(m *member, res *Result) {
	prev := m.it.res
	res.SecondaryDiskID, res.SecondaryRegionID, res.ReplicaPairID = prev.SecondaryDiskID, prev.SecondaryRegionID, prev.ReplicaPairID
	res.ReplicaGroupID, res.RequestIDs, res.Duration = prev.ReplicaGroupID, prev.RequestIDs, prev.Duration
	if res.Message != "" && prev.Message != "" {
		res.Message = prev.Message + "; " + res.Message
	}
}

func (g *groupJob) failAll(ctx context.Context, ms []*member, err error, what string) {
	for _, m := range ms {
		res := m.it.fail(ctx, err, what)
		var ce *cloud.Error
		if !errors.As(err, &ce) {
			res.Retryable = true // our own wait ran out or the group vanished: a later delivery retries
		}
		g.keep(m, &res)
		m.it.res = res
	}
}
