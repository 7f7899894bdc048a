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

// secondaryPlan is the chosen secondary: an existing disk, or one to create.
type secondaryPlan struct {
	disk   *cloud.Disk
	create *cloud.CreateDiskInput
	region string
	source string // how it was found, for the message
}

func (p secondaryPlan) id() string {
	if p.disk != nil {
		return p.disk.ID
	}
	return ""
}

func (p secondaryPlan) describe(o Options) string {
	var what string
	if p.create != nil {
		c := p.create
		what = fmt.Sprintf("would create a %s %s %d GiB secondary in %s (%s) and pair with it",
			c.Category, c.PerformanceLevel, c.Size, c.RegionID, c.ZoneID)
	} else {
		what = fmt.Sprintf("would pair with %s in %s (secondary from %s)", p.disk.ID, p.region, p.source)
	}
	if o.Start {
		what += ", start the pair"
	}
	if o.MarkPrimary {
		what += ", mark the primary"
	}
	return what
}

// resolveSecondary picks the secondary, first match wins: mapping file, tag, a back-referenced
// Available disk in the route's region, a disk to create; else the disk is skipped.
func (r *run) resolveSecondary(ctx context.Context, it *item, d cloud.Disk) (secondaryPlan, *Result) {
	skip := func(reason, msg string) (secondaryPlan, *Result) {
		res := it.result(Skipped, reason, msg)
		return secondaryPlan{}, &res
	}
	if ref, source, ok := r.explicitSecondary(d); ok {
		if ref.Region == "" {
			return skip(ReasonNoRoute, fmt.Sprintf("secondary %s (from %s) has no region: tag %s or a route for %s is needed",
				ref.DiskID, source, TagSecondaryRegion, d.RegionID))
		}
		return r.namedSecondary(ctx, it, ref, source)
	}

	route, ok := r.opts.Routes[d.RegionID]
	if !ok {
		return skip(ReasonNoRoute, fmt.Sprintf("no secondary named and no route for region %s", d.RegionID))
	}
	found, err := r.backrefCandidates(ctx, route.Region, d.ID)
	if err != nil {
		res := it.fail(ctx, err, fmt.Sprintf("looking for disks tagged %s=%s in %s", TagPrimaryDisk, d.ID, route.Region))
		return secondaryPlan{}, &res
	}
	if sec := pickBackref(found, d); sec != nil {
		if sec.RegionID == "" {
			sec.RegionID = route.Region
		}
		return secondaryPlan{disk: sec, region: route.Region, source: "tag " + TagPrimaryDisk}, nil
	}
	if !r.opts.AutoCreateSecondary {
		return skip(ReasonNoSecondary, fmt.Sprintf("no secondary named, none tagged %s=%s in %s, and auto-create is off",
			TagPrimaryDisk, d.ID, route.Region))
	}
	if why := mayBeRefused(d); why != "" {
		// Spend nothing before the pair is known to be acceptable: the console guide says the
		// primary must be an unencrypted data disk (other docs disagree), and a secondary bought
		// for a refused pair would be billed for nothing.
		return skip(ReasonUnsupportedPrimary, fmt.Sprintf("the primary is %s: async replication may refuse it (the console guide "+
			"allows unencrypted data disks only), so no secondary is created for it; name one (mapping file or tag %s) to try",
			why, TagSecondaryDisk))
	}
	return r.secondaryToCreate(ctx, it, d, route)
}

// namedSecondary reads the secondary the mapping file or a tag names (ref, its region known).
func (r *run) namedSecondary(ctx context.Context, it *item, ref SecondaryRef, source string) (secondaryPlan, *Result) {
	sec, err := r.secondaryDisk(ctx, ref.Region, ref.DiskID)
	if err != nil {
		res := it.fail(ctx, err, fmt.Sprintf("reading secondary %s in %s", ref.DiskID, ref.Region))
		res.SecondaryDiskID, res.SecondaryRegionID = ref.DiskID, ref.Region
		return secondaryPlan{}, &res
	}
	if sec == nil {
		res := it.result(Failed, ReasonSecondaryNotFound,
			fmt.Sprintf("secondary %s (from %s) not found in %s", ref.DiskID, source, ref.Region))
		res.SecondaryDiskID, res.SecondaryRegionID = ref.DiskID, ref.Region
		return secondaryPlan{}, &res
	}
	if sec.RegionID == "" {
		sec.RegionID = ref.Region
	}
	return secondaryPlan{disk: sec, region: ref.Region, source: source}, nil
}

// secondaryToCreate plans an empty secondary like d in the route's zone, which must be given
// and offer async replication.
func (r *run) secondaryToCreate(ctx context.Context, it *item, d cloud.Disk, route Route) (secondaryPlan, *Result) {
	if route.Zone != "" {
		if res := r.checkZone(ctx, it, d, route.Region, route.Zone, fmt.Sprintf("the route of %s names", d.RegionID), false); res != nil {
			return secondaryPlan{}, res
		}
	}
	if route.Zone == "" {
		res := it.result(Failed, ReasonNoRouteZone, fmt.Sprintf(
			"auto-create needs a zone in the route of %s (e.g. ABSR_ROUTES=%s=%s/<zone>)", d.RegionID, d.RegionID, route.Region))
		return secondaryPlan{}, &res
	}
	in := cloud.CreateDiskInput{
		RegionID:    route.Region,
		ZoneID:      route.Zone,
		Category:    d.Category,
		Size:        d.Size,
		Name:        sanitizeName("absr-secondary-" + d.ID),
		Description: fmt.Sprintf("ABSR secondary of %s (%s), created by absr-autopair", d.ID, d.RegionID),
		Tags:        map[string]string{TagPrimaryDisk: d.ID},
	}
	if d.Category == "cloud_essd" {
		in.PerformanceLevel = d.PerformanceLevel
	}
	in.ClientToken = secondaryCreateToken(d)
	return secondaryPlan{create: &in, region: route.Region, source: "auto-create"}, nil
}

// explicitSecondary is the secondary named for d by the mapping file or by its tags. The
// region falls back to the route's; it is empty when there is neither.
func (r *run) explicitSecondary(d cloud.Disk) (ref SecondaryRef, source string, ok bool) {
	route := r.opts.Routes[d.RegionID]
	if ref, ok := r.opts.Pairs[d.ID]; ok {
		return SecondaryRef{DiskID: ref.DiskID, Region: cmp.Or(ref.Region, route.Region)}, "mapping file", true
	}
	if id := d.Tags[TagSecondaryDisk]; id != "" {
		return SecondaryRef{DiskID: id, Region: cmp.Or(d.Tags[TagSecondaryRegion], route.Region)}, "tag " + TagSecondaryDisk, true
	}
	return SecondaryRef{}, "", false
}

// pickBackref chooses among back-referenced disks: Available ones first, those matching the
// primary's spec first, then by ID so the choice is stable. A disk that is not Available is
// still chosen over none, so that validate reports it (settling: retry; attached: an operator)
// instead of a second secondary being bought for the primary.
func pickBackref(found []cloud.Disk, d cloud.Disk) *cloud.Disk {
	var cands []cloud.Disk
	for _, s := range found {
		if s.ID != d.ID {
			cands = append(cands, s)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	rank := func(s cloud.Disk) int {
		switch {
		case s.Status == statusAvailable && len(specDiffs(d, s)) == 0:
			return 0
		case s.Status == statusAvailable:
			return 1
		}
		return 2
	}
	slices.SortFunc(cands, func(a, b cloud.Disk) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a.ID, b.ID))
	})
	return &cands[0]
}

// mayBeRefused says why the API may refuse d as a primary ("" when it should not).
func mayBeRefused(d cloud.Disk) string {
	switch {
	case d.Type == "system" && d.Encrypted:
		return "an encrypted system disk"
	case d.Type == "system":
		return "a system disk"
	case d.Encrypted:
		return "encrypted"
	}
	return ""
}

// checkZone fails the disk with zone_unsupported when EBS DescribeRegions (ResourceType=ear)
// does not list zone among the zones of region that offer async replication. It returns nil when
// the zone is listed, and when the answer is unknown (the legacy family, a failed call): the
// pair's own refusal then speaks for itself. A region the answer leaves out entirely counts only
// with regionMustBeListed (explaining a refusal): before anything is bought, only a zone missing
// from a listed region blocks. The answer is read once per invocation.
func (r *run) checkZone(ctx context.Context, it *item, d cloud.Disk, region, zone, what string, regionMustBeListed bool) *Result {
	zones, ok := r.replicationZones(ctx, d.RegionID)
	if _, listed := zones[region]; !ok || slices.Contains(zones[region], zone) || !listed && !regionMustBeListed {
		return nil
	}
	listed := strings.Join(zones[region], ", ")
	if listed == "" {
		listed = "none"
	}
	res := it.result(Failed, ReasonZoneUnsupported, fmt.Sprintf(
		"%s zone %s (%s), where async replication is not available: EBS DescribeRegions (ResourceType=ear) lists %s for %s; "+
			"nothing was bought there. Choose a listed zone (ABSR_ROUTES, the mapping file or the secondary's tags)",
		what, zone, region, listed, region))
	return &res
}

// replicationZones is ReplicationZones, asked once per invocation (sent in the primary's region).
func (r *run) replicationZones(ctx context.Context, region string) (map[string][]string, bool) {
	r.mu.Lock()
	if r.zones == nil {
		r.zones = sync.OnceValues(func() (map[string][]string, error) { return r.api.ReplicationZones(ctx, region) })
	}
	zones := r.zones
	r.mu.Unlock()
	v, err := zones()
	return v, err == nil
}

// validate checks the secondary against the ABSR rules, in the order the report explains
// them best: same spec, other region, unattached, in no pair. When the secondary turns out
// to be in a pair with this very primary, it returns that pair instead.
func (r *run) validate(ctx context.Context, it *item, d, s cloud.Disk) (*Result, *cloud.Pair) {
	fail := func(reason, msg string, retryable bool) (*Result, *cloud.Pair) {
		res := it.result(Failed, reason, msg)
		res.SecondaryDiskID, res.SecondaryRegionID, res.Retryable = s.ID, s.RegionID, retryable
		return &res, nil
	}
	if diffs := specDiffs(d, s); len(diffs) > 0 {
		return fail(ReasonSecondaryMismatch, fmt.Sprintf("secondary %s differs from the primary: %s", s.ID, strings.Join(diffs, "; ")), false)
	}
	// Another region, or another zone of the primary's region: the same disk or zone never works.
	switch {
	case s.ID == d.ID:
		return fail(ReasonSecondarySameZone, fmt.Sprintf("secondary %s is the primary itself", s.ID), false)
	case s.RegionID == d.RegionID && s.ZoneID == d.ZoneID:
		return fail(ReasonSecondarySameZone, fmt.Sprintf("secondary %s is in the primary's zone %s; it must be in another zone or region", s.ID, s.ZoneID), false)
	}
	if s.InstanceID != "" || s.Status == "In_use" || s.Status == "Attaching" {
		return fail(ReasonSecondaryAttached, fmt.Sprintf("secondary %s is attached to %s", s.ID, cmp.Or(s.InstanceID, "an instance")), false)
	}
	if slices.Contains(settling, s.Status) {
		return fail(ReasonSecondaryNotReady, fmt.Sprintf("secondary %s is still %s", s.ID, s.Status), true)
	}
	if r.listsPairs(ctx) { // an event's CreateDiskReplicaPair checks this itself (explainCreate)
		idx, err := r.pairsIn(ctx, s.RegionID)
		if err != nil {
			res := it.fail(ctx, err, "listing replica pairs in "+s.RegionID)
			res.SecondaryDiskID, res.SecondaryRegionID = s.ID, s.RegionID
			return &res, nil
		}
		for _, p := range []cloud.Pair{idx.bySource[s.ID], idx.byDest[s.ID]} {
			if p.SourceDiskID == d.ID && p.DestinationDiskID == s.ID {
				return nil, &p
			}
			if p.ID != "" {
				return fail(ReasonSecondaryInPair, fmt.Sprintf("secondary %s is already in pair %s (%s -> %s)",
					s.ID, p.ID, p.SourceDiskID, p.DestinationDiskID), false)
			}
		}
	}
	if why := r.primaryRole(s); why != "" {
		return fail(ReasonSecondaryIsPrimary, fmt.Sprintf("secondary %s is itself a primary (%s): a pair would overwrite it; "+
			"nothing was created", s.ID, why), false)
	}
	if other, ok := r.claim(s.ID, d.ID); !ok {
		return fail(ReasonSecondaryInPair, fmt.Sprintf("secondary %s was chosen for %s in this invocation", s.ID, other), false)
	}
	return nil, nil
}

// specDiffs lists how s differs from d in what ABSR requires equal. The performance level
// matters for cloud_essd only (AutoPL disks have none to match).
func specDiffs(d, s cloud.Disk) []string {
	var diffs []string
	if s.Category != d.Category {
		diffs = append(diffs, fmt.Sprintf("category %s, primary %s", s.Category, d.Category))
	}
	if d.Category == "cloud_essd" && s.Category == d.Category && s.PerformanceLevel != d.PerformanceLevel {
		diffs = append(diffs, fmt.Sprintf("performance level %s, primary %s", s.PerformanceLevel, d.PerformanceLevel))
	}
	if s.Size != d.Size {
		diffs = append(diffs, fmt.Sprintf("size %d GiB, primary %d GiB", s.Size, d.Size))
	}
	return diffs
}

// mappedPrimary is the primary whose secondary the mapping file says disk id is ("" for none).
func (r *run) mappedPrimary(id string) string {
	primaries := slices.Clone(r.mappedPrimaries[id])
	slices.Sort(primaries)
	return strings.Join(primaries, ", ")
}

// primaryRole says why disk s is a primary ("" when it is not one): it is opted in, marked as
// the primary of a pair, names a secondary of its own, or is a primary in the mapping file.
// Such a disk is never used as a secondary, whatever names it: a pair overwrites its
// secondary, and two opted-in disks naming each other would otherwise pair either way round.
func (r *run) primaryRole(s cloud.Disk) string {
	var why []string
	if r.optedIn(s) {
		why = append(why, fmt.Sprintf("opted in with %s=%s", r.opts.OptInKey, r.opts.OptInValue))
	}
	if p := s.Tags[TagReplicaPair]; p != "" {
		why = append(why, fmt.Sprintf("marked %s=%s", TagReplicaPair, p))
	}
	if sec := s.Tags[TagSecondaryDisk]; sec != "" {
		why = append(why, fmt.Sprintf("tagged %s=%s", TagSecondaryDisk, sec))
	}
	if ref, ok := r.opts.Pairs[s.ID]; ok {
		why = append(why, "the mapping file pairs it with "+ref.DiskID)
	}
	return strings.Join(why, "; ")
}

// createSecondary creates an empty secondary like the primary and waits, bounded, until it
// can be read and is no longer Creating. A disk ID the API answers that never shows within the
// wait is a token's replayed answer naming a disk deleted since: the next generation's token
// buys its replacement, the same one for every delivery that saw the same stale answer.
func (r *run) createSecondary(ctx context.Context, it *item, d cloud.Disk, in cloud.CreateDiskInput) (*cloud.Disk, *Result) {
	var stale []string
	for {
		id, err := r.api.CreateDisk(ctx, in)
		if err != nil {
			return r.refusedSecondary(ctx, it, d, in, err)
		}
		if id == "" {
			res := it.result(Failed, ReasonSecondaryNotReady, "CreateDisk answered without a disk ID")
			res.SecondaryRegionID, res.Retryable = in.RegionID, true
			return nil, &res
		}
		sec, res := r.awaitSecondary(ctx, it, in.RegionID, id)
		if sec != nil || res != nil {
			return sec, res
		}
		stale = append(stale, id)
		if len(stale) >= maxGenerations || ctx.Err() != nil {
			res := it.result(Failed, ReasonSecondaryNotReady, fmt.Sprintf(
				"CreateDisk answered disks that do not show (%s)", strings.Join(stale, ", ")))
			res.SecondaryRegionID, res.Retryable = in.RegionID, true
			return nil, &res
		}
		in.ClientToken = nextToken(in.ClientToken, id)
	}
}

// awaitSecondary waits, bounded, for the new disk id to be readable and no longer Creating. It
// returns nil, nil when the disk never showed.
func (r *run) awaitSecondary(ctx context.Context, it *item, region, id string) (*cloud.Disk, *Result) {
	pace := r.pace()
	seen := false
	for {
		disks, err := r.api.DescribeDisks(ctx, region, []string{id})
		if err != nil {
			res := it.fail(ctx, err, fmt.Sprintf("reading the new secondary %s", id))
			res.SecondaryDiskID, res.SecondaryRegionID = id, region
			return nil, &res
		}
		for _, s := range disks {
			if s.ID != id {
				continue
			}
			seen = true
			if s.Status != statusCreating {
				s.RegionID = cmp.Or(s.RegionID, region)
				return &s, nil
			}
		}
		if !pace.wait(ctx) {
			if !seen && ctx.Err() == nil {
				return nil, nil
			}
			res := it.result(Failed, ReasonSecondaryNotReady, fmt.Sprintf("new secondary %s is not visible and ready yet", id))
			res.SecondaryDiskID, res.SecondaryRegionID, res.Retryable = id, region, true
			return nil, &res
		}
	}
}

// refusedSecondary decides a CreateDisk that failed. Another delivery, or another deployment
// whose route names another zone (the token is the same, the parameters are not:
// IdempotentParameterMismatch), may have created the primary's secondary: when a disk tagged back
// to the primary is there now, that one is used. When the re-read fails the result is
// retryable. Otherwise the refusal stands, and raises the primary's attempt.
func (r *run) refusedSecondary(ctx context.Context, it *item, d cloud.Disk, in cloud.CreateDiskInput, err error) (*cloud.Disk, *Result) {
	res := it.fail(ctx, err, fmt.Sprintf("creating a secondary in %s (%s)", in.RegionID, in.ZoneID))
	res.SecondaryRegionID = in.RegionID
	if ctx.Err() != nil {
		return nil, &res
	}
	var found []cloud.Disk
	readErr := r.api.DisksByTag(ctx, in.RegionID, TagPrimaryDisk, d.ID, func(page []cloud.Disk) error {
		for _, s := range page {
			if s.Tags[TagPrimaryDisk] == d.ID {
				found = append(found, s)
			}
		}
		return nil
	})
	if readErr == nil {
		if sec := pickBackref(found, d); sec != nil {
			sec.RegionID = cmp.Or(sec.RegionID, in.RegionID)
			return sec, nil
		}
	}
	switch {
	case readErr != nil:
		res.Retryable = true
		res.Message += fmt.Sprintf("; looking for a secondary another delivery created failed too (%v): retry", readErr)
	case !res.Retryable:
		if res.Reason == ReasonIdempotencyConflict {
			res.Message = "another attempt asked for this primary's secondary with other parameters (a route naming another zone?): " + res.Message
		}
		res.Message += r.raiseAttempt(ctx, d)
	}
	return nil, &res
}
