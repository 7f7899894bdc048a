package pairing

// Creating and starting a new pair: its ClientToken and generations, the read that believes a
// create only when its pair exists, refusals and what explains them, and the start.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// statusAfterStart is the status a successful StartDiskReplicaPair moves a pair in status to:
// initial_syncing (EBS, from created or stopped) or active (the legacy family, from inactive).
// The function reports it without reading the pair again.
func statusAfterStart(status string) string {
	if status == "inactive" || status == "paused" {
		return "active"
	}
	return "initial_syncing"
}

// maxGenerations bounds how many stale replayed answers one disk follows in one invocation.
const maxGenerations = 3

// createToken is the ClientToken of the create that pairs d with s. A primary still marked
// with a pair (dr:replica-pair) is past that pair's generation: the mark names a pair that is
// not d's live pair, or the create would not be sent, so the token is the one a replayed
// answer naming that pair would lead to (nextToken). It is also what keeps a token fresh after
// an event's create was refused because the disk was paired already (see refusedPair): that
// refusal, which a service may remember for the token, is never met again once the pair the
// mark names is gone.
func createToken(d, s cloud.Disk) string {
	return pastMark(d, pairToken(d.RegionID, d.ID, s.RegionID, s.ID, attemptOf(d)))
}

// secondaryCreateToken is the ClientToken of the CreateDisk that buys d's secondary. A secondary
// is bought only for a primary in no pair with no disk tagged back to it, so a primary still
// marked with a pair has lost that pair and the secondary bought for it: like createToken, the
// token moves past the mark's generation. The create then buys the replacement at once, instead
// of replaying the deleted disk's ID and waiting out DiskWait for a disk that never shows.
func secondaryCreateToken(d cloud.Disk) string {
	return pastMark(d, secondaryToken(d.RegionID, d.ID, attemptOf(d)))
}

// pastMark is token t moved past the generation of the pair d is marked with, if any.
func pastMark(d cloud.Disk, t string) string {
	if mark := d.Tags[TagReplicaPair]; mark != "" {
		return nextToken(t, mark)
	}
	return t
}

// createPair creates, starts and marks the pair. Every call carries a token derived from the
// change itself, so a retry or a duplicate delivery converges on the same pair. The ID the API
// answers is believed only when that pair exists now: a token's replayed answer may name a pair
// deleted since, and then the next generation's token asks for a new one (see names.go).
//
// For an event, the create is also the check that the disk is not paired already (one pair per
// disk; see listsPairs): a refusal is explained from the current pairs (refusedPair).
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
		ClientToken:         createToken(d, s),
	}
	with := func(res Result) Result {
		res.SecondaryDiskID, res.SecondaryRegionID = s.ID, s.RegionID
		return res
	}
	var stale []string // pair IDs replayed for earlier generations' tokens, gone now
	var pair cloud.Pair
	for {
		id, err := r.api.CreatePair(ctx, in)
		if err != nil {
			return r.refusedPair(ctx, it, d, s, in, err)
		}
		if id == "" {
			return with(it.result(Failed, ReasonAPIError, "CreateDiskReplicaPair answered without a pair ID"))
		}
		// Read the pair by ID (waiting while it is creating, when it is to be started): the
		// health fields come from this read too.
		p, err := r.awaitCreated(ctx, d.RegionID, id, o.Start)
		var gone *errPairGone
		if !errors.As(err, &gone) {
			if err != nil {
				failed := with(it.fail(ctx, err, fmt.Sprintf("pair %s created; reading it", id)))
				failed.ReplicaPairID = id
				return failed
			}
			pair = p
			break
		}
		stale = append(stale, id)
		if len(stale) >= maxGenerations {
			res := with(it.result(Failed, ReasonAPIError, fmt.Sprintf(
				"CreateDiskReplicaPair kept answering pairs that do not exist (%s)", strings.Join(stale, ", "))))
			res.Retryable = true
			return res
		}
		in.ClientToken = nextToken(in.ClientToken, id)
	}
	pairID := pair.ID
	if pair.Status != "creating" && pair.Status != "created" && pair.Status != "inactive" {
		// A token's answer for a pair an earlier attempt made and started: that pair is
		// completed (already_paired when it runs), not counted as made now.
		return r.complete(ctx, it, d, pair)
	}
	done := []string{fmt.Sprintf("paired with %s in %s (secondary from %s) as %s", s.ID, s.RegionID, source, pairID)}
	if len(stale) > 0 {
		done = append(done, fmt.Sprintf("the pair a ClientToken replayed no longer exists (%s)", strings.Join(stale, ", ")))
	}
	res := with(it.result(Paired, "", ""))
	res.ReplicaPairID = pairID
	// The pair as read, with the disks' places filled in (the legacy family's is not read).
	pair.SourceDiskID, pair.SourceRegionID, pair.SourceZoneID = d.ID, d.RegionID, d.ZoneID
	pair.DestinationDiskID, pair.DestinationRegionID, pair.DestinationZoneID = s.ID, s.RegionID, s.ZoneID
	grouped := r.joinGroupLater(it, d, pair) // then the group phase starts it
	if o.Start && !grouped {
		if err := r.startPair(ctx, d.RegionID, pairID, pair.Status); err != nil {
			failed := with(it.fail(ctx, err, fmt.Sprintf("pair %s created; starting it", pairID)))
			failed.Retryable = failed.Retryable || pairNotReady(err) // still settling: a retry starts it
			failed.ReplicaPairID = pairID
			return r.withHealth(failed, pair)
		}
		res.Started = true
		pair.Status = statusAfterStart(pair.Status)
		done = append(done, "started")
	}
	if o.MarkPrimary {
		if err := r.mark(ctx, d, pairID); err != nil {
			failed := with(it.fail(ctx, err, fmt.Sprintf("pair %s created; marking the primary", pairID)))
			failed.ReplicaPairID, failed.Started = pairID, res.Started
			return r.withHealth(failed, pair)
		}
		done = append(done, "primary marked")
	}
	res.Message = strings.Join(done, "; ")
	return r.withHealth(res, pair)
}

// refusedPair decides a CreateDiskReplicaPair that failed, from the current pairs (read again,
// past the invocation's cached listings; see explainCreate):
//   - the primary is in a pair: a concurrent delivery, an earlier attempt whose answer was lost
//     (the legacy API has no ClientToken and refuses a second pair), or, for an event, whose
//     create is the check, a pair made in the console: that pair is finished, as a later
//     delivery would, and reported (already_paired when it runs). This is the one-pair-per-disk
//     rule answering, not a refusal of the change: the attempt is not raised, and the refused
//     token is not met again, because the next create for this primary is sent only once that
//     pair is gone, and the mark complete writes moves the token on (createToken);
//   - the primary is the secondary of a pair: is_secondary, likewise;
//   - the secondary is in another pair: a refusal of this change whose cause an operator may
//     fix, so the primary's attempt is raised (raiseAttempt);
//   - nothing explains it: the refusal stands, named as explainRefusal can, and raises the
//     primary's attempt.
//
// When the re-read fails, nothing is known and the result is retryable.
func (r *run) refusedPair(ctx context.Context, it *item, d, s cloud.Disk, in cloud.CreatePairInput, err error) Result {
	with := func(res Result) Result {
		res.SecondaryDiskID, res.SecondaryRegionID = s.ID, s.RegionID
		return res
	}
	explained, ok, readErr := r.explainCreate(ctx, it, d, s)
	if ok {
		return explained
	}
	res := with(explainRefusal(it.fail(ctx, err, fmt.Sprintf("creating the pair with %s in %s", in.DestinationDiskID, in.DestinationRegionID)), d, in, err))
	res.Retryable = res.Retryable || pairNotReady(err) // a disk in transition since it was read
	if res.Reason == ReasonAPIError && readErr == nil {
		// Refused for a reason the function did not know: a zone without async replication?
		for _, z := range []struct{ region, zone, role string }{{d.RegionID, d.ZoneID, "the primary is in"}, {in.DestinationRegionID, in.DestinationZoneID, "the secondary is in"}} {
			if zr := r.checkZone(ctx, it, d, z.region, z.zone, z.role, true); zr != nil {
				zr.Message += "; the API said: " + err.Error() + r.raiseAttempt(ctx, d)
				return with(*zr)
			}
		}
	}
	if readErr != nil {
		res.Retryable = true
		res.Message += fmt.Sprintf("; re-reading the pairs failed too (%v), so another delivery may have paired it: retry", readErr)
		return res
	}
	if !res.Retryable {
		res.Message += r.raiseAttempt(ctx, d)
	}
	return res
}

// explainCreate explains a refused CreateDiskReplicaPair from the current pairs: the primary is
// in a pair now (completed), it is the secondary of one, or the secondary is in another pair
// (the attempt is raised: see refusedPair). The primary's region is listed first; the
// secondary's only when it is another region and the first did not explain the refusal. It
// returns the listing's error when a region could not be read.
func (r *run) explainCreate(ctx context.Context, it *item, d, s cloud.Disk) (Result, bool, error) {
	regions := []string{d.RegionID}
	if s.RegionID != d.RegionID {
		regions = append(regions, s.RegionID)
	}
	for _, region := range regions {
		if err := ctx.Err(); err != nil {
			return Result{}, false, err
		}
		pairs, err := r.api.ListPairs(ctx, region)
		if err != nil {
			return Result{}, false, err
		}
		find := func(match func(cloud.Pair) bool) (cloud.Pair, bool) {
			i := slices.IndexFunc(pairs, func(p cloud.Pair) bool { return p.Status != pairDeleted && match(p) })
			if i < 0 {
				return cloud.Pair{}, false
			}
			return pairs[i], true
		}
		if p, ok := find(func(p cloud.Pair) bool { return p.SourceDiskID == d.ID }); ok {
			return r.complete(ctx, it, d, p), true, nil
		}
		if p, ok := find(func(p cloud.Pair) bool { return p.DestinationDiskID == d.ID }); ok {
			return isSecondaryOf(it, p), true, nil
		}
		if p, ok := find(func(p cloud.Pair) bool { return p.SourceDiskID == s.ID || p.DestinationDiskID == s.ID }); ok {
			res := it.result(Failed, ReasonSecondaryInPair, fmt.Sprintf("secondary %s is already in pair %s (%s -> %s)",
				s.ID, p.ID, p.SourceDiskID, p.DestinationDiskID))
			res.SecondaryDiskID, res.SecondaryRegionID = s.ID, s.RegionID
			res.Message += r.raiseAttempt(ctx, d)
			return res, true, nil
		}
	}
	return Result{}, false, nil
}

// attemptOf is the primary's attempt: its dr:attempt tag, "" when it has none.
func attemptOf(d cloud.Disk) string { return d.Tags[TagAttempt] }

// raiseAttempt tags the primary with the next attempt after the API refused to create its pair
// or secondary, so that the next delivery sends new ClientTokens: a service may answer a
// refused token with the same refusal after its cause is fixed. Concurrent deliveries refused
// at one attempt all write the same next one. It returns a note for the message.
func (r *run) raiseAttempt(ctx context.Context, d cloud.Disk) string {
	n, _ := strconv.Atoi(attemptOf(d))
	next := strconv.Itoa(max(n, 0) + 1)
	if ctx.Err() != nil {
		return ""
	}
	if err := r.api.TagDisks(ctx, d.RegionID, []string{d.ID}, map[string]string{TagAttempt: next}); err != nil {
		return fmt.Sprintf("; tagging the primary %s=%s for the next attempt failed: %v", TagAttempt, next, err)
	}
	return fmt.Sprintf("; the primary is tagged %s=%s, so the next attempt uses new ClientTokens", TagAttempt, next)
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
// that match accepts, and the listing's error.
func (r *run) currentPair(ctx context.Context, region string, match func(cloud.Pair) bool) (cloud.Pair, bool, error) {
	if err := ctx.Err(); err != nil {
		return cloud.Pair{}, false, err
	}
	pairs, err := r.api.ListPairs(ctx, region)
	if err != nil {
		return cloud.Pair{}, false, err
	}
	for _, p := range pairs {
		if p.Status != pairDeleted && match(p) {
			return p, true, nil
		}
	}
	return cloud.Pair{}, false, nil
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
			_, ok, _ := r.currentPair(ctx, region, started)
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
		if _, err := r.awaitCreated(ctx, region, pairID, true); err != nil {
			return err
		}
	}
	pace := r.pace()
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
		if !pace.wait(ctx) {
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

// errPairGone: a pair the API named is not there when read by ID (a ClientToken's replayed
// answer naming a pair deleted since).
type errPairGone struct{ pairID string }

func (e *errPairGone) Error() string { return fmt.Sprintf("pair %s does not exist", e.pairID) }

// awaitCreated reads pair pairID by ID and, when wait, waits bounded (DiskWait, within the
// deadline, with backoff) while it is `creating`, and returns the pair read. A pair that is not
// listed is gone (errPairGone): an answer is believed only when what it names exists. The
// legacy family cannot read a pair by ID and has no creating status: its new pair is returned
// inactive, and Start's own refusal is what tells.
func (r *run) awaitCreated(ctx context.Context, region, pairID string, wait bool) (cloud.Pair, error) {
	begin := time.Now()
	var last cloud.Pair
	_, err := r.pollPairs(ctx, region, []string{pairID}, func(got map[string]cloud.Pair) (bool, error) {
		p, ok := got[pairID]
		if !ok || p.Status == pairDeleted {
			return false, &errPairGone{pairID: pairID}
		}
		last = p
		return !wait || p.Status != "creating", nil
	})
	switch {
	case errors.Is(err, errors.ErrUnsupported):
		return cloud.Pair{ID: pairID, Status: "inactive", SourceRegionID: region}, nil
	case errors.Is(err, errWaitOver):
		return cloud.Pair{}, &errPairCreating{pairID: pairID, waited: time.Since(begin)}
	case err != nil:
		return cloud.Pair{}, err
	}
	return last, nil
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

// waitPairs reads pairs ids (primaries in region) until every one satisfies ok, with backoff
// bounded like every other wait, and returns their last records.
func (r *run) waitPairs(ctx context.Context, region string, ids []string, ok func(cloud.Pair) bool) (map[string]cloud.Pair, error) {
	var waiting []string
	got, err := r.pollPairs(ctx, region, ids, func(got map[string]cloud.Pair) (bool, error) {
		waiting = waiting[:0]
		for _, id := range ids {
			if p, found := got[id]; !found || !ok(p) {
				waiting = append(waiting, fmt.Sprintf("%s (%s)", id, cmp.Or(p.Status, "not found")))
			}
		}
		return len(waiting) == 0, nil
	})
	if errors.Is(err, errWaitOver) {
		return got, fmt.Errorf("pairs not ready in time: %s", strings.Join(waiting, ", "))
	}
	return got, err
}

// errWaitOver: pollPairs' wait ran out (DiskWait, or the work deadline) before done said so.
var errWaitOver = errors.New("the wait ran out")

// pollPairs is the one loop that waits on pairs: it reads pairs ids (primaries in region) by ID
// until done reports true or an error, with backoff bounded like every other wait (errWaitOver
// when that runs out), and returns the last records read.
func (r *run) pollPairs(ctx context.Context, region string, ids []string, done func(map[string]cloud.Pair) (bool, error)) (map[string]cloud.Pair, error) {
	pace := r.pace()
	for {
		got, err := r.pairsByID(ctx, region, ids)
		if err != nil {
			return nil, err
		}
		if ok, err := done(got); ok || err != nil {
			return got, err
		}
		if !pace.wait(ctx) {
			return got, errWaitOver
		}
	}
}
