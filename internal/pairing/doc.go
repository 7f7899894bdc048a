// Package pairing is the engine: from a disk ID to a started, marked replica pair.
//
// It depends only on cloud.API. Engine.Pair handles the disks (and instances) an event
// names; Engine.Sweep lists every opted-in disk of some regions and handles them all. Each
// region runs on its own (a slow region never holds back another), with at most
// Options.Concurrency disks in progress at once.
//
// A sweep of a region lists its opted-in disks by tag, 100 a page, in a goroutine that runs
// at most a page ahead of the workers, so pairing starts with the first page. It lists the
// pairs of each region it touches once, and the back-referenced secondaries of each
// destination region once (one paged listing of dr:primary-disk), so a disk that needs a new
// pair costs its three changing calls, the new pair's read by ID before its start, and a
// share of the listings: about 4.03 calls a disk for 1,000 disks (see internal/bench). Health
// (health.go) comes from the same listing. Engine.Status is a sweep in dry-run mode.
//
// For each disk, in order:
//
//  1. Read it: one batched DescribeDisks per region (a listing that already returned the
//     disk counts). A disk not visible, or still settling (Creating, Attaching, Detaching,
//     ReIniting), is re-read with backoff until
//     Options.DiskWait or the deadline; only disks the event created are waited for when
//     not visible at all (others are disk_not_found at once, not retryable).
//  2. Eligibility: the opt-in tag exactly, else skipped not_opted_in; cloud_essd or
//     cloud_auto, else skipped unsupported_category.
//  3. Existing pairs: the primary of a pair has it completed (paired when this invocation
//     starts it, created/creating/inactive; already_paired when it runs, also when only the
//     mark is added) with the pair's health; the secondary of a pair, or a disk tagged
//     dr:primary-disk, is skipped is_secondary, and so is a disk the mapping file names
//     as a secondary. Sweeps, dry runs and the legacy family read
//     one listing per region per invocation, shared. An event reads a disk tagged
//     dr:replica-pair=<id> by that ID (one call per 100 such disks of a region): a live pair
//     with this disk as its primary is completed; for any other disk an event lists no pairs:
//     step 7's create is the check (listsPairs), and a listing only explains a refused create,
//     or a disk that steps 4-5 cannot pair, or comes before buying a secondary.
//  4. The secondary, first match wins: mapping file; dr:secondary-disk tag (region from
//     dr:secondary-region, else the route's); a disk in the route's region tagged
//     dr:primary-disk=<primary> (Available ones first; one that is not is reported, never
//     replaced); a new disk when AutoCreateSecondary (needs a zone in the route:
//     no_route_zone otherwise); else skipped no_secondary (no_route without a region).
//  5. Validation: secondary_not_found, secondary_mismatch, secondary_same_zone,
//     secondary_attached, secondary_not_ready, secondary_in_pair (the destination region's
//     pair listing where step 3 lists, else the create's refusal; and secondaries already
//     chosen in this invocation), secondary_is_primary (opted in, marked dr:replica-pair,
//     naming a secondary, or a primary in the mapping file).
//  6. DryRun stops here with planned: no changing call at all.
//  7. CreatePair, StartPair, TagDisks(dr:replica-pair), each with a ClientToken derived from
//     the change, so retries and duplicate deliveries converge on one pair. An answer is
//     believed only when what it names exists (a new pair is read by ID, a new disk until it
//     shows); a replayed answer naming something deleted since seeds the next generation's
//     token (names.go), and so does a dr:replica-pair mark naming a pair that is gone. A
//     refused create tags the primary dr:attempt=<n+1>, part of the next tokens, so a service
//     that remembers refused tokens cannot keep refusing a fixed cause; a refusal that is the
//     one-pair-per-disk rule answering for a disk paired already (an event's create-as-check)
//     is not one: the pair is completed, and the mark moves the next token on.
//
// Nothing is remembered between invocations: a later run finds what an interrupted one
// left in the cloud and completes it. Calls stop a margin before the context's deadline
// (Options.DeadlineMargin, at most 10% of the time left); listing, reading and starting
// disks stop one margin earlier still, so that the disks in progress can finish rather than
// be cut between creating and starting a pair. Disks not finished are failed
// deadline_exceeded, retryable; a sweep's listing cut short is an error wrapping
// context.DeadlineExceeded; no goroutine outlives the call. The next sweep pays no changing
// call for what this one did and continues with the rest.
package pairing
