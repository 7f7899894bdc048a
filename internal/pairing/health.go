package pairing

import (
	"context"
	"slices"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// Health is how well a pair protects its primary (design.md, "Pair health").
type Health string

const (
	HealthOK        Health = "ok"
	HealthLagging   Health = "lagging"   // the newest recovery point is older than MaxRecoveryPointAge
	HealthUnhealthy Health = "unhealthy" // the pair does not replicate and will not by itself
)

// UnhealthyStatuses are the pair statuses that mean replication has stopped or failed and needs
// an operator. The function never restarts, deletes or re-targets such a pair on its own.
var UnhealthyStatuses = []string{
	"stopped", "stop_failed", "invalid", "create_failed", "failovered", "failover_failed",
	"reprotect_failed", "delete_failed", "deleting", "deleted",
}

// PairHealth judges p at now: unhealthy by its status, else lagging when its newest recovery
// point is older than maxAge, else ok. A pair with no recovery point yet (just started, or the
// legacy family, which reports none) is judged by its status alone. It also returns the
// recovery point's age in whole seconds, nil when there is none.
func PairHealth(p cloud.Pair, now time.Time, maxAge time.Duration) (Health, *int64) {
	var age *int64
	if !p.LastRecoverPoint.IsZero() {
		secs := int64(max(now.Sub(p.LastRecoverPoint), 0) / time.Second)
		age = &secs
	}
	switch {
	case slices.Contains(UnhealthyStatuses, p.Status):
		return HealthUnhealthy, age
	case age != nil && time.Duration(*age)*time.Second > maxAge:
		return HealthLagging, age
	}
	return HealthOK, age
}

// withHealth fills res's health fields from p, res's disk being p's primary.
func (r *run) withHealth(res Result, p cloud.Pair) Result {
	res.PairStatus, res.StatusMessage, res.ReplicaGroupID = p.Status, p.StatusMessage, p.ReplicaGroupID
	res.Health, res.RecoveryPointAgeSeconds = PairHealth(p, time.Now(), r.opts.MaxRecoveryPointAge)
	return res
}

// Status reports, without changing anything, the protection of every disk carrying the opt-in
// tag in regions: the sweep in dry-run mode, so that it reads exactly what a sweep would (one
// listing of each region's pairs serves every disk's health) and says what a sweep would do for
// the disks it would change. Results are sorted by region and disk ID, as Sweep's.
func (e *Engine) Status(ctx context.Context, regions []string) ([]Result, error) {
	readOnly := *e
	readOnly.opts.DryRun = true
	return readOnly.Sweep(ctx, regions)
}
