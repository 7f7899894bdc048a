package pairing

import (
	"context"
	"errors"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// Reasons: short machine-readable codes for skipped and failed results.
const (
	// Skipped: nothing to do by policy.
	ReasonNotOptedIn          = "not_opted_in"
	ReasonUnsupportedCategory = "unsupported_category"
	ReasonIsSecondary         = "is_secondary"
	ReasonNoSecondary         = "no_secondary"
	ReasonNoRoute             = "no_route"
	ReasonNoDisks             = "no_disks" // an instance that is not new has no disks
	// A system or encrypted primary: skipped before anything is bought for it (no secondary
	// named), failed when the API refused its pair.
	ReasonUnsupportedPrimary = "unsupported_primary"

	// Failed: the disk cannot be read, the secondary is unusable, or the configuration
	// cannot be followed.
	ReasonDiskNotFound         = "disk_not_found"
	ReasonDiskNotReady         = "disk_not_ready"
	ReasonInstanceDisksMissing = "instance_disks_not_found"
	ReasonSecondaryNotFound    = "secondary_not_found"
	ReasonSecondaryNotReady    = "secondary_not_ready"
	ReasonSecondaryMismatch    = "secondary_mismatch"
	ReasonSecondarySameZone    = "secondary_same_zone" // the secondary is the primary, or in its zone
	ReasonSecondaryAttached    = "secondary_attached"
	ReasonSecondaryInPair      = "secondary_in_pair"
	ReasonSecondaryIsPrimary   = "secondary_is_primary" // the secondary is opted in, or a primary by its tags, marks or the mapping file
	ReasonNoRouteZone          = "no_route_zone"
	ReasonZoneUnsupported      = "zone_unsupported" // a zone of the pair does not offer async replication
	ReasonInvalidTarget        = "invalid_target"
	ReasonInvalidOptions       = "invalid_options"
	ReasonInternalError        = "internal_error" // a bug: the disk's handling panicked
	ReasonPairCreating         = "pair_creating"  // the new pair was still creating when the wait ended (retryable)

	// Failed: from the cloud's answer.
	ReasonThrottled           = "throttled"
	ReasonPermissionDenied    = "permission_denied"
	ReasonQuotaExceeded       = "quota_exceeded"
	ReasonInsufficientBalance = "insufficient_balance"
	ReasonInvalidStatus       = "invalid_status"
	ReasonNotFound            = "resource_not_found"
	ReasonIdempotencyConflict = "idempotency_conflict"
	ReasonUnavailable         = "service_unavailable"
	ReasonNetwork             = "network_error"
	ReasonCredentials         = "no_credentials"
	ReasonDeadlineExceeded    = "deadline_exceeded"
	ReasonCanceled            = "canceled"
	ReasonAPIError            = "api_error"
	ReasonChargeTypeRefused   = "charge_type_refused" // the API refused the pair's ChargeType (see ABSR_CHARGE_TYPE)
)

// classify turns a cloud error into a reason and whether a later delivery may succeed.
// ctx is the work context: when it is done, whatever the error says, the disk ran out of time.
func classify(ctx context.Context, err error) (reason string, retryable bool) {
	var creating *errPairCreating
	switch {
	case errors.As(err, &creating):
		return ReasonPairCreating, true
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) || cutByDeadline(ctx, err):
		return ReasonDeadlineExceeded, true
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		return ReasonCanceled, true
	}
	return reasonFor(err), cloud.IsRetryable(err)
}

// cutByDeadline tells whether err is an attempt timed out at the context's deadline. The SDK
// takes no context: the adapter gives each attempt an HTTP client timeout of the time left, and
// that timer may fire a moment before the context reports it is done.
func cutByDeadline(ctx context.Context, err error) bool {
	deadline, ok := ctx.Deadline()
	return ok && cloud.KindOf(err) == cloud.KindTimeout && time.Until(deadline) < deadlineSlack
}

// deadlineSlack absorbs the scheduling gap between the two timers.
const deadlineSlack = 5 * time.Millisecond

// reasonFor names the reason of a cloud error by its kind; a kind without one is api_error.
func reasonFor(err error) string {
	switch cloud.KindOf(err) {
	case cloud.KindThrottled:
		return ReasonThrottled
	case cloud.KindDenied:
		return ReasonPermissionDenied
	case cloud.KindQuotaExceeded:
		return ReasonQuotaExceeded
	case cloud.KindInsufficientBalance:
		return ReasonInsufficientBalance
	case cloud.KindSecondaryAttached:
		return ReasonSecondaryAttached
	case cloud.KindInvalidStatus:
		return ReasonInvalidStatus
	case cloud.KindCredentials:
		return ReasonCredentials
	case cloud.KindNotFound:
		return ReasonNotFound
	case cloud.KindIdempotencyConflict:
		return ReasonIdempotencyConflict
	case cloud.KindUnavailable:
		return ReasonUnavailable
	case cloud.KindTimeout, cloud.KindTransport:
		return ReasonNetwork
	case cloud.KindDeadline:
		return ReasonDeadlineExceeded
	case cloud.KindCanceled:
		return ReasonCanceled
	}
	return ReasonAPIError
}

// pairNotReady tells whether a StartPair error means "the pair (or a disk) is still settling":
// a just-created pair is `creating` for a while and refuses to start.
func pairNotReady(err error) bool {
	return cloud.KindOf(err) == cloud.KindInvalidStatus
}

// traceCalls returns a context whose cloud calls record their request IDs, and a function
// returning them.
func traceCalls(ctx context.Context) (context.Context, func() []string) {
	ctx, trace := cloud.WithTrace(ctx)
	return ctx, trace.RequestIDs
}
