package pairing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

const statusAvailable = "Available"

// supportedCategory: ABSR replicates ESSD and ESSD AutoPL disks only.
func supportedCategory(c string) bool { return c == "cloud_essd" || c == "cloud_auto" }

// Pair statuses (EBS and legacy) the engine acts on.
var (
	// startable: a pair that exists but was never started; starting it completes an earlier run.
	// (stopped/paused are left alone: someone stopped them on purpose.)
	startable = []string{"created", "creating", "inactive"}
	// settling: a disk status that will pass by itself.
	settling = []string{statusCreating, "Detaching", "ReIniting"}
	// replicating: the pair is started.
	replicating = []string{"initial_syncing", "manual_syncing", "syncing", "normal", "active", "starting"}
)

func (r *run) optedIn(d cloud.Disk) bool {
	v, ok := d.Tags[r.opts.OptInKey]
	return ok && v == r.opts.OptInValue
}

// process takes one visible, ready disk through eligibility, the existing-pair check,
// secondary resolution and validation, then creates, starts and marks its pair.
func (r *run) process(ctx context.Context, it *item) Result {
	d := *it.disk
	if !r.optedIn(d) {
		msg := fmt.Sprintf("no tag %s=%s", r.opts.OptInKey, r.opts.OptInValue)
		if v, ok := d.Tags[r.opts.OptInKey]; ok {
			msg = fmt.Sprintf("tag %s=%s is not the opt-in value %q", r.opts.OptInKey, v, r.opts.OptInValue)
		}
		return it.result(Skipped, ReasonNotOptedIn, msg)
	}
	if !supportedCategory(d.Category) {
		return it.result(Skipped, ReasonUnsupportedCategory,
			fmt.Sprintf("category %s cannot be replicated (ABSR supports cloud_essd and cloud_auto)", d.Category))
	}

	if it.confirmed != nil { // confirmed by ID: no listing needed
		return r.complete(ctx, it, d, *it.confirmed)
	}
	idx, err := r.pairsIn(ctx, d.RegionID)
	if err != nil {
		return it.fail(ctx, err, "listing replica pairs in "+d.RegionID)
	}
	if p, ok := idx.bySource[d.ID]; ok {
		return r.complete(ctx, it, d, p)
	}
	if p, ok := idx.byDest[d.ID]; ok {
		res := it.result(Skipped, ReasonIsSecondary,
			fmt.Sprintf("disk is the secondary of pair %s (primary %s in %s)", p.ID, p.SourceDiskID, p.SourceRegionID))
		res.ReplicaPairID = p.ID
		return res
	}
	if primary := d.Tags[TagPrimaryDisk]; primary != "" {
		return it.result(Skipped, ReasonIsSecondary,
			fmt.Sprintf("disk is tagged %s=%s: it is meant to be that disk's secondary", TagPrimaryDisk, primary))
	}

	plan, res := r.resolveSecondary(ctx, it, d)
	if res != nil {
		return *res
	}
	if plan.disk != nil {
		res, existing := r.validate(ctx, it, d, *plan.disk)
		if existing != nil {
			// Paired since this disk's own listing was read: a concurrent delivery got there first.
			return r.complete(ctx, it, d, *existing)
		}
		if res != nil {
			return *res
		}
	}
	if r.opts.DryRun {
		res := it.result(Planned, "", plan.describe(r.opts))
		res.SecondaryDiskID, res.SecondaryRegionID = plan.id(), plan.region
		return res
	}
	if plan.create != nil {
		sec, res := r.createSecondary(ctx, it, d, *plan.create)
		if res != nil {
			return *res
		}
		res, existing := r.validate(ctx, it, d, *sec)
		if existing != nil {
			return r.complete(ctx, it, d, *existing)
		}
		if res != nil {
			return *res
		}
		plan.disk = sec
	}
	return r.createPair(ctx, it, d, *plan.disk, plan.source)
}

// complete finishes what an earlier attempt left of the primary's existing pair: start it,
// mark the primary. With nothing left to do the disk is already_paired.
func (r *run) complete(ctx context.Context, it *item, d cloud.Disk, p cloud.Pair) Result {
	needStart := r.opts.Start && slices.Contains(startable, p.Status)
	needMark := r.opts.MarkPrimary && d.Tags[TagReplicaPair] != p.ID
	base := func(o Outcome, reason, msg string) Result {
		res := it.result(o, reason, msg)
		res.SecondaryDiskID, res.SecondaryRegionID, res.ReplicaPairID = p.DestinationDiskID, p.DestinationRegionID, p.ID
		res.Started = slices.Contains(replicating, p.Status)
		return res
	}
	if !needStart && !needMark {
		msg := fmt.Sprintf("pair %s with %s in %s is %s", p.ID, p.DestinationDiskID, p.DestinationRegionID, p.Status)
		if strings.HasSuffix(p.Status, "_failed") || p.Status == "invalid" {
			msg += "; it needs an operator"
		}
		return base(AlreadyPaired, "", msg)
	}
	var todo []string
	if needStart {
		todo = append(todo, "start it")
	}
	if needMark {
		todo = append(todo, fmt.Sprintf("tag the primary %s=%s", TagReplicaPair, p.ID))
	}
	if r.opts.DryRun {
		return base(Planned, "", fmt.Sprintf("pair %s exists (%s); would %s", p.ID, p.Status, strings.Join(todo, " and ")))
	}
	res := base(Paired, "", fmt.Sprintf("completed an earlier attempt on pair %s: %s", p.ID, strings.Join(todo, ", ")))
	if needStart {
		if err := r.startPair(ctx, d.RegionID, p.ID, p.Status); err != nil {
			failed := it.fail(ctx, err, "starting existing pair "+p.ID)
			failed.Retryable = failed.Retryable || pairNotReady(err) // still settling: a retry starts it
			failed.SecondaryDiskID, failed.SecondaryRegionID, failed.ReplicaPairID = res.SecondaryDiskID, res.SecondaryRegionID, p.ID
			return failed
		}
		res.Started = true
	}
	if needMark {
		if err := r.mark(ctx, d, p.ID); err != nil {
			failed := it.fail(ctx, err, fmt.Sprintf("pair %s is in place; marking the primary", p.ID))
			failed.SecondaryDiskID, failed.SecondaryRegionID, failed.ReplicaPairID, failed.Started = res.SecondaryDiskID, res.SecondaryRegionID, p.ID, res.Started
			return failed
		}
	}
	return res
}

// createPair creates, starts and marks the pair. Every call carries a token derived from the
// change itself, so a retry or a duplicate delivery converges on the same pair.
func (r *run) createPair(ctx context.Context, it *item, d, s cloud.Disk, source string) Result {
	o := r.opts
	in := cloud.CreatePairInput{
		RegionID:            d.RegionID,
		DiskID:              d.ID,
		SourceZoneID:        d.ZoneID,
		DestinationRegionID: s.RegionID,
		DestinationZoneID:   s.ZoneID,
		DestinationDiskID:   s.ID,
		Name:                PairName(o.PairNameTemplate, d),
		Description:         fmt.Sprintf("absr-autopair: %s (%s) -> %s (%s)", d.ID, d.RegionID, s.ID, s.RegionID),
		ChargeType:          o.ChargeType,
		Bandwidth:           o.Bandwidth,
		Period:              o.Period,
		RPO:                 o.RPO,
		ClientToken:         pairToken(d.RegionID, d.ID, s.RegionID, s.ID),
	}
	with := func(res Result) Result {
		res.SecondaryDiskID, res.SecondaryRegionID = s.ID, s.RegionID
		return res
	}
	pairID, err := r.api.CreatePair(ctx, in)
	if err != nil {
		// A concurrent delivery of the same event, or an earlier attempt whose answer was lost,
		// may have created the pair meanwhile (the legacy API has no ClientToken and refuses a
		// second pair): when the primary is in a pair now, finish that one, as a later delivery would.
		if p, ok := r.currentPair(ctx, d.RegionID, func(p cloud.Pair) bool { return p.SourceDiskID == d.ID }); ok {
			return r.complete(ctx, it, d, p)
		}
		res := explainRefusal(it.fail(ctx, err, fmt.Sprintf("creating the pair with %s in %s", s.ID, s.RegionID)), d, in, err)
		if res.Reason == ReasonAPIError {
			// Refused for a reason the function did not know: a zone without async replication?
			for _, z := range []struct{ region, zone, role string }{{d.RegionID, d.ZoneID, "the primary is in"}, {s.RegionID, s.ZoneID, "the secondary is in"}} {
				if zr := r.checkZone(ctx, it, d, z.region, z.zone, z.role, true); zr != nil {
					zr.Message += "; the API said: " + err.Error()
					return with(*zr)
				}
			}
		}
		return with(res)
	}
	if pairID == "" {
		return with(it.result(Failed, ReasonAPIError, "CreateDiskReplicaPair answered without a pair ID"))
	}
	done := []string{fmt.Sprintf("paired with %s in %s (secondary from %s) as %s", s.ID, s.RegionID, source, pairID)}
	res := with(it.result(Paired, "", ""))
	res.ReplicaPairID = pairID
	if o.Start {
		if err := r.startPair(ctx, d.RegionID, pairID, "creating"); err != nil { // a new pair is creating first
			failed := with(it.fail(ctx, err, fmt.Sprintf("pair %s created; starting it", pairID)))
			failed.Retryable = failed.Retryable || pairNotReady(err) // still settling: a retry starts it
			failed.ReplicaPairID = pairID
			return failed
		}
		res.Started = true
		done = append(done, "started")
	}
	if o.MarkPrimary {
		if err := r.mark(ctx, d, pairID); err != nil {
			failed := with(it.fail(ctx, err, fmt.Sprintf("pair %s created; marking the primary", pairID)))
			failed.ReplicaPairID, failed.Started = pairID, res.Started
			return failed
		}
		done = append(done, "primary marked")
	}
	res.Message = strings.Join(done, "; ")
	return res
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
	l := r.zones
	if l == nil {
		l = &lazy[map[string][]string]{}
		r.zones = l
	}
	r.mu.Unlock()
	l.once.Do(func() { l.v, l.err = r.api.ReplicationZones(ctx, region) })
	return l.v, l.err == nil
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

// explainRefusal names what the operator can change when CreateDiskReplicaPair refused
// something the function could not know in advance: a ChargeType the site does not sell (the
// international site's description mentions subscription billing only), or a primary of a
// kind the service does not replicate. Retryable failures are left as they are.
func explainRefusal(res Result, d cloud.Disk, in cloud.CreatePairInput, err error) Result {
	if res.Retryable || res.Reason == ReasonDeadlineExceeded || res.Reason == ReasonCanceled {
		return res
	}
	switch {
	case in.ChargeType == "POSTPAY" && cloud.KindOf(err) == cloud.KindChargeTypeRefused:
		res.Reason = ReasonChargeTypeRefused
		res.Message = "the API refused a pay-as-you-go (POSTPAY) pair; where only subscription is sold (the international site), " +
			"set ABSR_CHARGE_TYPE=PREPAY and ABSR_PERIOD (months, default 1): " + res.Message
	case mayBeRefused(d) != "" && (res.Reason == ReasonAPIError || res.Reason == ReasonPermissionDenied):
		res.Reason = ReasonUnsupportedPrimary
		res.Message = fmt.Sprintf("the API refused the primary, which is %s (the console guide allows unencrypted data disks only): %s",
			mayBeRefused(d), res.Message)
	}
	return res
}

// currentPair re-lists region, past the invocation's cached listing, and returns the first pair
// that match accepts.
func (r *run) currentPair(ctx context.Context, region string, match func(cloud.Pair) bool) (cloud.Pair, bool) {
	if ctx.Err() != nil {
		return cloud.Pair{}, false
	}
	pairs, err := r.api.ListPairs(ctx, region)
	if err != nil {
		return cloud.Pair{}, false
	}
	for _, p := range pairs {
		if p.Status != pairDeleted && match(p) {
			return p, true
		}
	}
	return cloud.Pair{}, false
}

// replicatingNow tells whether pair pairID, whose primary is in region, is started: one lookup
// by ID, or the region's listing in the legacy family, which cannot look pairs up by ID.
func (r *run) replicatingNow(ctx context.Context, region, pairID string) bool {
	started := func(p cloud.Pair) bool { return p.ID == pairID && slices.Contains(replicating, p.Status) }
	if ctx.Err() != nil {
		return false
	}
	pairs, err := r.api.PairsByID(ctx, region, []string{pairID})
	if err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			_, ok := r.currentPair(ctx, region, started)
			return ok
		}
		return false
	}
	return slices.ContainsFunc(pairs, started)
}

// startPair starts a pair. A pair just created is `creating` for a while and the API accepts
// Start only from `created` (or `stopped`): wait for that first, reading the pair by ID. A
// refusal for the pair's status is still retried with backoff, bounded like every other wait.
// status is what the caller last knew of the pair (a pair just created: creating).
func (r *run) startPair(ctx context.Context, region, pairID, status string) error {
	if status == "creating" {
		if err := r.awaitCreated(ctx, region, pairID); err != nil {
			return err
		}
	}
	b := r.backoff()
	for {
		err := r.api.StartPair(ctx, region, pairID, startToken(pairID))
		if err == nil || !pairNotReady(err) {
			return err
		}
		// Refused for its status: a concurrent delivery may have started it already (the legacy
		// start takes no ClientToken and refuses an active pair).
		if r.replicatingNow(ctx, region, pairID) {
			return nil
		}
		if !b.wait(ctx) {
			return err
		}
	}
}

// errPairCreating: the pair was still `creating` when the wait for it ended. Nothing is wrong;
// the next delivery or sweep finds the pair and starts it.
type errPairCreating struct {
	pairID string
	waited time.Duration
}

func (e *errPairCreating) Error() string {
	return fmt.Sprintf("pair %s is still creating after %s; the next delivery or sweep starts it", e.pairID, e.waited.Round(time.Millisecond))
}

// awaitCreated waits, bounded (DiskWait, within the deadline, with backoff), while pair pairID
// is `creating`, reading it by ID. The legacy family cannot read a pair by ID and has no
// creating status: there, Start's own refusal is what tells.
func (r *run) awaitCreated(ctx context.Context, region, pairID string) error {
	b := r.backoff()
	begin := time.Now()
	for {
		pairs, err := r.api.PairsByID(ctx, region, []string{pairID})
		if err != nil {
			// The legacy family cannot read by ID; a failed read tells nothing. Either way the
			// start is tried, and its refusal for the pair's status is retried.
			return nil
		}
		status := "creating" // not listed yet: as good as creating
		for _, p := range pairs {
			if p.ID == pairID {
				status = p.Status
			}
		}
		if status != "creating" {
			return nil
		}
		if !b.wait(ctx) {
			return &errPairCreating{pairID: pairID, waited: time.Since(begin)}
		}
	}
}

func (r *run) mark(ctx context.Context, d cloud.Disk, pairID string) error {
	return r.api.TagDisks(ctx, d.RegionID, []string{d.ID}, map[string]string{TagReplicaPair: pairID})
}

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
		Name:        SanitizeName("absr-secondary-" + d.ID),
		Description: fmt.Sprintf("ABSR secondary of %s (%s), created by absr-autopair", d.ID, d.RegionID),
		Tags:        map[string]string{TagPrimaryDisk: d.ID},
	}
	if d.Category == "cloud_essd" {
		in.PerformanceLevel = d.PerformanceLevel
	}
	in.ClientToken = secondaryToken(d.RegionID, d.ID, in)
	return secondaryPlan{create: &in, region: route.Region, source: "auto-create"}, nil
}

// pickBackref chooses among back-referenced disks: Available ones only, those matching the
// primary's spec first, then by ID so the choice is stable.
func pickBackref(found []cloud.Disk, d cloud.Disk) *cloud.Disk {
	var avail []cloud.Disk
	for _, s := range found {
		if s.Status == statusAvailable && s.ID != d.ID {
			avail = append(avail, s)
		}
	}
	if len(avail) == 0 {
		return nil
	}
	slices.SortFunc(avail, func(a, b cloud.Disk) int {
		am, bm := len(specDiffs(d, a)) == 0, len(specDiffs(d, b)) == 0
		if am != bm {
			if am {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return &avail[0]
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
	if other, ok := r.claim(s.ID, d.ID); !ok {
		return fail(ReasonSecondaryInPair, fmt.Sprintf("secondary %s was chosen for %s in this invocation", s.ID, other), false)
	}
	return nil, nil
}

// createSecondary creates an empty secondary like the primary and waits, bounded, until it
// can be read and is no longer Creating.
func (r *run) createSecondary(ctx context.Context, it *item, d cloud.Disk, in cloud.CreateDiskInput) (*cloud.Disk, *Result) {
	id, err := r.api.CreateDisk(ctx, in)
	if err != nil {
		res := it.fail(ctx, err, fmt.Sprintf("creating a secondary in %s (%s)", in.RegionID, in.ZoneID))
		res.SecondaryRegionID = in.RegionID
		return nil, &res
	}
	notReady := func(msg string) (*cloud.Disk, *Result) {
		res := it.result(Failed, ReasonSecondaryNotReady, msg)
		res.SecondaryDiskID, res.SecondaryRegionID, res.Retryable = id, in.RegionID, true
		return nil, &res
	}
	if id == "" {
		return notReady("CreateDisk answered without a disk ID")
	}
	b := r.backoff()
	for {
		disks, err := r.api.DescribeDisks(ctx, in.RegionID, []string{id})
		if err != nil {
			res := it.fail(ctx, err, fmt.Sprintf("reading the new secondary %s", id))
			res.SecondaryDiskID, res.SecondaryRegionID = id, in.RegionID
			return nil, &res
		}
		for _, s := range disks {
			if s.ID == id && s.Status != statusCreating {
				s.RegionID = cmp.Or(s.RegionID, in.RegionID)
				return &s, nil
			}
		}
		if !b.wait(ctx) {
			return notReady(fmt.Sprintf("new secondary %s is not visible and ready yet", id))
		}
	}
}
