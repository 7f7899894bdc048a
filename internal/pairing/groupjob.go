package pairing

// One instance's group phase (groupJob): find or create the group absr-<instanceId>, wait for the
// new pairs to be created, add them (stopping and restarting a running group when a disk joins
// later), start the group once; or pair alone, with the reason in each message.

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
