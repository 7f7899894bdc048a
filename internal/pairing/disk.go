package pairing

import (
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

// process takes one visible, ready disk (step 1, reading, is the reader's) through the steps
// of the package doc, in order.
func (r *run) process(ctx context.Context, it *item) Result {
	d := *it.disk
	// 2. Eligibility.
	if res, skipped := r.ineligible(it, d); skipped {
		return res
	}
	// 3. Existing pairs.
	if res, done := r.existingPair(ctx, it, d); done {
		return res
	}
	// 4. The secondary.
	plan, res := r.resolveSecondary(ctx, it, d)
	if res != nil {
		return r.unlessPaired(ctx, it, d, *res)
	}
	// 5. Validation.
	if plan.disk != nil {
		if res, done := r.checkSecondary(ctx, it, d, *plan.disk); done {
			return res
		}
	}
	// 6. A dry run stops here.
	if r.opts.DryRun {
		o := r.opts
		if r.planGroupMember(it, d, plan) {
			o.Start = false // the group phase plans the start
		}
		res := it.result(Planned, "", plan.describe(o))
		res.SecondaryDiskID, res.SecondaryRegionID = plan.id(), plan.region
		return res
	}
	// 7. Create (the secondary first, when there is none yet), start, mark.
	if plan.create != nil {
		if !r.listsPairs(ctx) {
			// Nothing is bought for a disk that is in a pair already: an event reads its region's
			// pairs here, the one path that spends money before the create answers.
			idx, err := r.pairsIn(ctx, d.RegionID)
			if err != nil {
				return it.fail(ctx, err, "listing replica pairs in "+d.RegionID+" before creating a secondary")
			}
			if p, ok := idx.bySource[d.ID]; ok {
				return r.complete(ctx, it, d, p)
			}
			if p, ok := idx.byDest[d.ID]; ok {
				return isSecondaryOf(it, p)
			}
		}
		sec, res := r.createSecondary(ctx, it, d, *plan.create)
		if res != nil {
			return *res
		}
		if sec.Tags[TagPrimaryDisk] == d.ID && sec.ZoneID != plan.create.ZoneID {
			// Bought by another deployment whose route names another zone: reported, not bought twice.
			plan.source = fmt.Sprintf("tag %s: this deployment's route names %s, another created it in %s; no second disk was bought",
				TagPrimaryDisk, plan.create.ZoneID, sec.ZoneID)
		}
		if res, done := r.checkSecondary(ctx, it, d, *sec); done {
			return res
		}
		plan.disk = sec
	}
	return r.createPair(ctx, it, d, *plan.disk, plan.source)
}

// ineligible is step 2: a disk without the opt-in tag, or of a category ABSR cannot
// replicate, is skipped.
func (r *run) ineligible(it *item, d cloud.Disk) (Result, bool) {
	if !r.optedIn(d) {
		msg := fmt.Sprintf("no tag %s=%s", r.opts.OptInKey, r.opts.OptInValue)
		if v, ok := d.Tags[r.opts.OptInKey]; ok {
			msg = fmt.Sprintf("tag %s=%s is not the opt-in value %q", r.opts.OptInKey, v, r.opts.OptInValue)
		}
		return it.result(Skipped, ReasonNotOptedIn, msg), true
	}
	if !supportedCategory(d.Category) {
		return it.result(Skipped, ReasonUnsupportedCategory,
			fmt.Sprintf("category %s cannot be replicated (ABSR supports cloud_essd and cloud_auto)", d.Category)), true
	}
	return Result{}, false
}

// existingPair is step 3: the primary of a pair has it completed; the secondary of a pair, or a
// disk tagged as one, is skipped. It reports false when the disk is in no pair.
func (r *run) existingPair(ctx context.Context, it *item, d cloud.Disk) (Result, bool) {
	if it.confirmed != nil { // confirmed by ID: no listing needed
		return r.complete(ctx, it, d, *it.confirmed), true
	}
	if r.listsPairs(ctx) { // an event's create is the check (see listsPairs)
		idx, err := r.pairsIn(ctx, d.RegionID)
		if err != nil {
			return it.fail(ctx, err, "listing replica pairs in "+d.RegionID), true
		}
		if p, ok := idx.bySource[d.ID]; ok {
			return r.complete(ctx, it, d, p), true
		}
		if p, ok := idx.byDest[d.ID]; ok {
			return isSecondaryOf(it, p), true
		}
	}
	if primary := d.Tags[TagPrimaryDisk]; primary != "" {
		return it.result(Skipped, ReasonIsSecondary,
			fmt.Sprintf("disk is tagged %s=%s: it is meant to be that disk's secondary", TagPrimaryDisk, primary)), true
	}
	if primary := r.mappedPrimary(d.ID); primary != "" {
		return it.result(Skipped, ReasonIsSecondary,
			fmt.Sprintf("the mapping file names this disk as the secondary of %s: it is not paired as a primary", primary)), true
	}
	return Result{}, false
}

// checkSecondary is step 5 for secondary s: done, with the result, when s fails validation (for
// an event, unless the disk turns out to be paired already: unlessPaired), or
// when s is in a pair with d already (paired since d's own listing was read: a concurrent
// delivery got there first), which is then completed.
func (r *run) checkSecondary(ctx context.Context, it *item, d, s cloud.Disk) (Result, bool) {
	res, existing := r.validate(ctx, it, d, s)
	switch {
	case existing != nil:
		return r.complete(ctx, it, d, *existing), true
	case res != nil:
		return r.unlessPaired(ctx, it, d, *res), true
	}
	return Result{}, false
}

// listsPairs tells how this run learns whether a disk is in a pair. A sweep lists each region's
// pairs once for all its disks, and a dry run, which cannot ask CreateDiskReplicaPair, lists
// them too. An event does not read the pairs of two regions for one disk: a marked disk is
// confirmed by ID (prefetchMarkedPairs), and for the others CreateDiskReplicaPair, which takes
// a ClientToken and refuses a disk that is in a pair already, is the check; the pairs are listed
// only to explain a refusal or a disk that cannot be paired (unlessPaired, explainCreate).
//
// The legacy family cannot read a pair by ID (its marks cannot be confirmed) and its create takes
// no ClientToken: there, events list the pairs as sweeps do.
func (r *run) listsPairs(ctx context.Context) bool {
	if r.sweep || r.opts.DryRun {
		return true
	}
	r.byIDOnce.Do(func() {
		// An empty PairsByID sends nothing: the legacy family answers errors.ErrUnsupported at once.
		_, err := r.api.PairsByID(ctx, "", nil)
		r.noByID = errors.Is(err, errors.ErrUnsupported)
	})
	return r.noByID
}

// isSecondaryOf is the result of a disk that is the secondary of pair p.
func isSecondaryOf(it *item, p cloud.Pair) Result {
	res := it.result(Skipped, ReasonIsSecondary,
		fmt.Sprintf("disk is the secondary of pair %s (primary %s in %s)", p.ID, p.SourceDiskID, p.SourceRegionID))
	res.ReplicaPairID = p.ID
	return res
}

// unlessPaired returns, for an event's disk that cannot be paired as it is (no secondary, an
// unusable one), what its region's pairs say instead when it is in one: a pair made in the
// console, say, whose secondary nothing names. A run that listed the pairs already returns res.
func (r *run) unlessPaired(ctx context.Context, it *item, d cloud.Disk, res Result) Result {
	if r.listsPairs(ctx) || res.Retryable {
		return res
	}
	idx, err := r.pairsIn(ctx, d.RegionID)
	if err != nil { // whether the disk is paired is unknown: that is the answer
		return it.fail(ctx, err, "listing replica pairs in "+d.RegionID+" (to tell whether the disk is paired)")
	}
	if p, ok := idx.bySource[d.ID]; ok {
		return r.complete(ctx, it, d, p)
	}
	if p, ok := idx.byDest[d.ID]; ok {
		return isSecondaryOf(it, p)
	}
	return res
}

// complete finishes what an earlier attempt (or someone in the console) left of the primary's
// existing pair: start it, mark the primary. Starting it is this invocation's doing, so the
// disk is paired; a pair that runs already is already_paired, also when only the mark had to
// be added, and also in a dry run.
func (r *run) complete(ctx context.Context, it *item, d cloud.Disk, p cloud.Pair) Result {
	grouped := r.joinGroupLater(it, d, p) // then the group phase starts it
	needStart := r.opts.Start && !grouped && slices.Contains(startable, p.Status)
	needMark := r.opts.MarkPrimary && d.Tags[TagReplicaPair] != p.ID
	base := func(o Outcome, reason, msg string) Result {
		res := it.result(o, reason, msg)
		res.SecondaryDiskID, res.SecondaryRegionID, res.ReplicaPairID = p.DestinationDiskID, p.DestinationRegionID, p.ID
		res.Started = slices.Contains(replicating, p.Status)
		return r.withHealth(res, p)
	}
	state := fmt.Sprintf("pair %s with %s in %s is %s", p.ID, p.DestinationDiskID, p.DestinationRegionID, p.Status)
	if p.StatusMessage != "" {
		state += " (" + p.StatusMessage + ")"
	}
	markNote := fmt.Sprintf("tag the primary %s=%s", TagReplicaPair, p.ID)
	switch {
	case !needStart && !needMark:
		res := base(AlreadyPaired, "", state)
		switch res.Health {
		case HealthUnhealthy:
			res.Message += "; it needs an operator"
		case HealthLagging:
			res.Message += fmt.Sprintf("; its newest recovery point is %s old, more than the %s allowed (ABSR_MAX_RECOVERY_POINT_AGE)",
				time.Duration(*res.RecoveryPointAgeSeconds)*time.Second, r.opts.MaxRecoveryPointAge)
		}
		return res
	case r.opts.DryRun && needStart:
		todo := "start it"
		if needMark {
			todo += " and " + markNote
		}
		return base(Planned, "", fmt.Sprintf("pair %s exists (%s); would %s", p.ID, p.Status, todo))
	case r.opts.DryRun:
		return base(AlreadyPaired, "", state+"; would "+markNote+" (the mark is missing)")
	case !needStart: // only the mark was missing
		res := base(AlreadyPaired, "", state+"; the primary was not marked, so tagged it "+TagReplicaPair+"="+p.ID)
		if err := r.mark(ctx, d, p.ID); err != nil {
			failed := it.fail(ctx, err, fmt.Sprintf("pair %s is in place; marking the primary", p.ID))
			failed.SecondaryDiskID, failed.SecondaryRegionID, failed.ReplicaPairID, failed.Started = res.SecondaryDiskID, res.SecondaryRegionID, p.ID, res.Started
			return r.withHealth(failed, p)
		}
		return res
	}
	done := []string{fmt.Sprintf("started existing pair %s with %s in %s (it was %s)", p.ID, p.DestinationDiskID, p.DestinationRegionID, p.Status)}
	res := base(Paired, "", "")
	if err := r.startPair(ctx, d.RegionID, p.ID, p.Status); err != nil {
		failed := it.fail(ctx, err, "starting existing pair "+p.ID)
		failed.Retryable = failed.Retryable || pairNotReady(err) // still settling: a retry starts it
		failed.SecondaryDiskID, failed.SecondaryRegionID, failed.ReplicaPairID = res.SecondaryDiskID, res.SecondaryRegionID, p.ID
		return r.withHealth(failed, p)
	}
	res.Started = true
	p.Status = statusAfterStart(p.Status)
	res = r.withHealth(res, p)
	if needMark {
		if err := r.mark(ctx, d, p.ID); err != nil {
			failed := it.fail(ctx, err, fmt.Sprintf("pair %s is started; marking the primary", p.ID))
			failed.SecondaryDiskID, failed.SecondaryRegionID, failed.ReplicaPairID, failed.Started = res.SecondaryDiskID, res.SecondaryRegionID, p.ID, res.Started
			return r.withHealth(failed, p)
		}
		done = append(done, "primary marked")
	}
	res.Message = strings.Join(done, "; ")
	return res
}

func (r *run) mark(ctx context.Context, d cloud.Disk, pairID string) error {
	return r.api.TagDisks(ctx, d.RegionID, []string{d.ID}, map[string]string{TagReplicaPair: pairID})
}
