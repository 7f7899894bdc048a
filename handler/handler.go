// Package handler is the function's face to Function Compute and to the command line: it decodes
// a payload, runs the pairing engine, logs one line per disk and builds the report. It holds no
// pairing logic of its own.
package handler

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/cloud/alibaba"
	"github.com/absr-autopair/absr-autopair/internal/config"
	"github.com/absr-autopair/absr-autopair/internal/intake"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// ErrPayload is wrapped by the error Handle returns for a payload it cannot decode.
var ErrPayload = errors.New("payload not accepted")

// ErrRetryable is wrapped by the error Handle returns when some work failed in a way a later
// delivery of the same event may fix; Function Compute's async retry then delivers it again.
var ErrRetryable = errors.New("retryable failures remain")

// Handler serves invocations. One Handler serves a whole process; it is safe for concurrent use.
type Handler struct {
	cfg    config.Config
	pool   *alibaba.Pool
	creds  cloud.CredentialSource // when the invocation brings none (local runs)
	log    *slog.Logger
	region string // the function's own region, for payloads that name none

	// wrapAPI, when set (tests only), wraps each invocation's cloud API: the seam for injecting
	// failures, such as panics, above the SDK adapters.
	wrapAPI func(cloud.API) cloud.API
}

// New builds a Handler. creds serves invocations that carry no credentials of their own;
// region is the function's region (FC_REGION), used when a payload names none.
func New(cfg config.Config, pool *alibaba.Pool, creds cloud.CredentialSource, log *slog.Logger, region string) *Handler {
	return &Handler{cfg: cfg, pool: pool, creds: creds, log: log, region: region}
}

// Invocation is what the runtime says about one call.
type Invocation struct {
	RequestID   string
	Credentials *cloud.Credentials // nil: use the Handler's source
	Region      string             // the function's region as the runtime reports it
}

// Handle runs one invocation. The report is always returned when the payload was decoded; the
// error wraps ErrPayload (nothing was done) or ErrRetryable (the report says what failed), or
// neither when a sweep's listing failed for good and no disk failed retryably. No log line,
// report or error carries the invocation's credentials.
func (h *Handler) Handle(ctx context.Context, inv Invocation, payload []byte) (*Report, error) {
	return h.handleSanitized(ctx, inv, payload, h.sanitizerOf(inv))
}

// handleSanitized is Handle with the invocation's Sanitizer already prepared.
func (h *Handler) handleSanitized(ctx context.Context, inv Invocation, payload []byte, z *cloud.Sanitizer) (*Report, error) {
	report, err := h.handle(ctx, inv, payload, h.invocationLogger(z))
	if report != nil {
		report.redact(z)
	}
	return report, redactError(err, z)
}

func (h *Handler) handle(ctx context.Context, inv Invocation, payload []byte, log *slog.Logger) (*Report, error) {
	start := time.Now()
	log = log.With("fcRequestId", inv.RequestID)
	req, err := intake.Decode(payload)
	if err != nil {
		log.Error("payload not accepted", "error", err.Error())
		return nil, fmt.Errorf("%w: %w", ErrPayload, err)
	}
	report := &Report{Event: eventInfo(req.Event), DryRun: h.cfg.Pairing.DryRun}
	for _, ig := range req.Ignored {
		report.Ignored = append(report.Ignored, IgnoredEvent{Event: eventInfo(ig.Event), Reason: ig.Reason})
		log.Info("event ignored", "eventId", ig.Event.ID, "eventSource", ig.Event.Source,
			"eventName", ig.Event.Name, "reason", ig.Reason, "detail", ig.Detail)
	}
	region := cmp.Or(inv.Region, h.region)
	ctx, trace := cloud.WithTrace(ctx)
	engine := pairing.New(h.api(inv), h.cfg.Pairing)

	var runErr error
	events := map[string]intake.Event{} // disk or instance ID -> the event that named it
	if req.Sweep != nil {
		regions := h.sweepRegions(req.Sweep.Regions, region)
		if len(regions) == 0 {
			err := fmt.Errorf("%w: no regions to scan: the payload names none, %s is empty and the function's region is unknown "+
				"(set %s, or %s for local runs; Function Compute sets it)", ErrPayload, config.EnvSourceRegions, config.EnvSourceRegions, config.EnvFCRegion)
			log.Error("no regions to scan", "error", err.Error())
			return nil, err
		}
		report.Results, runErr = engine.Sweep(ctx, regions)
	} else {
		targets, err := h.targets(req.Targets, region, report, events)
		if err != nil {
			log.Error("payload names no region and the function's region is unknown", "error", err.Error())
			return nil, err
		}
		report.Results = engine.Pair(ctx, targets)
	}
	if report.Results == nil {
		report.Results = []pairing.Result{}
	}
	report.Summary = summarize(report.Results)
	for _, r := range report.Results {
		ev, ok := events[r.DiskID]
		if !ok {
			ev, ok = events[r.InstanceID]
		}
		if !ok {
			ev = req.Event
		}
		logResult(log, ev, r, report.DryRun)
	}
	return report, h.finish(log, req.Event, report, runErr, trace.Calls(), start)
}

// api is the cloud API for one invocation: with the invocation's own credentials when it
// brings them, else the Handler's.
func (h *Handler) api(inv Invocation) cloud.API {
	var creds cloud.CredentialSource = h.creds
	if inv.Credentials != nil && inv.Credentials.AccessKeyID != "" {
		creds = *inv.Credentials
	}
	api := h.pool.Client(creds)
	if h.wrapAPI != nil {
		api = h.wrapAPI(api)
	}
	return api
}

// sweepRegions are the regions a sweep covers: the payload's, else ABSR_SOURCE_REGIONS, else
// the function's own region.
func (h *Handler) sweepRegions(fromPayload []string, region string) []string {
	switch {
	case len(fromPayload) > 0:
		return fromPayload
	case len(h.cfg.SourceRegions) > 0:
		return h.cfg.SourceRegions
	case region != "":
		return []string{region}
	}
	return nil
}

// targets turns the payload's targets into the engine's, leaving out the function's own
// tagging (reported as ignored) and noting which event named each disk and instance.
func (h *Handler) targets(in []intake.Target, region string, report *Report, events map[string]intake.Event) ([]pairing.Target, error) {
	targets := make([]pairing.Target, 0, len(in))
	for _, t := range in {
		if ownMark(t) {
			// The function's own mark on a primary comes back as a tagging event: nothing to do.
			report.Ignored = append(report.Ignored, IgnoredEvent{Event: eventInfo(t.Event), Reason: "own_mark"})
			continue
		}
		r := cmp.Or(t.Region, region)
		if r == "" {
			return nil, fmt.Errorf("%w: the payload names no region (regionId) and the function's region is unknown (set %s)", ErrPayload, config.EnvFCRegion)
		}
		targets = append(targets, pairing.Target{Region: r, DiskIDs: t.DiskIDs, InstanceIDs: t.InstanceIDs, Created: t.Created})
		for _, id := range t.DiskIDs {
			events[id] = t.Event
		}
		for _, id := range t.InstanceIDs {
			events[id] = t.Event
		}
	}
	return targets, nil
}

// finish logs the invocation's summary line and returns its error: one wrapping ErrRetryable
// when a later delivery may do better, runErr as it is otherwise.
func (h *Handler) finish(log *slog.Logger, ev intake.Event, report *Report, runErr error, calls int, start time.Time) error {
	retryable := report.Retryable()
	attrs := []any{
		"eventId", ev.ID, "eventSource", ev.Source, "eventName", ev.Name,
		"disks", len(report.Results), "paired", report.Summary.Paired, "planned", report.Summary.Planned,
		"alreadyPaired", report.Summary.AlreadyPaired, "skipped", report.Summary.Skipped,
		"failed", report.Summary.Failed, "healthy", report.Summary.Healthy, "lagging", report.Summary.Lagging,
		"unhealthy", report.Summary.Unhealthy, "retryable", retryable, "apiCalls", calls,
		"durationMs", time.Since(start).Milliseconds(), "goroutines", runtime.NumGoroutine(),
	}
	if runErr != nil {
		attrs = append(attrs, "error", runErr.Error())
		log.Error("invocation done", attrs...)
		if retryable > 0 || cloud.IsRetryable(runErr) || errors.Is(runErr, context.DeadlineExceeded) {
			return fmt.Errorf("%w: %w", ErrRetryable, runErr)
		}
		return runErr
	}
	log.Info("invocation done", attrs...)
	if retryable > 0 {
		return fmt.Errorf("%w: %d of %d disks failed retryably (paired %d, failed %d)",
			ErrRetryable, retryable, len(report.Results), report.Summary.Paired, report.Summary.Failed)
	}
	return nil
}

func logResult(log *slog.Logger, ev intake.Event, r pairing.Result, dryRun bool) {
	// A failed disk and a pair that is lagging or unhealthy are WARN lines: what an SLS alert
	// watches (README, "Alerts").
	level := slog.LevelInfo
	if r.Outcome == pairing.Failed || r.Health == pairing.HealthLagging || r.Health == pairing.HealthUnhealthy {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("eventId", ev.ID), slog.String("eventSource", ev.Source), slog.String("eventName", ev.Name),
		slog.String("diskId", r.DiskID), slog.String("regionId", r.RegionID),
		slog.String("outcome", string(r.Outcome)), slog.String("reason", r.Reason),
		slog.String("message", r.Message), slog.String("replicaPairId", r.ReplicaPairID),
		slog.String("secondaryDiskId", r.SecondaryDiskID), slog.String("secondaryRegionId", r.SecondaryRegionID),
		slog.Bool("started", r.Started), slog.Bool("retryable", r.Retryable), slog.Bool("dryRun", dryRun),
		slog.Any("requestIds", nonNil(r.RequestIDs)), slog.Int64("durationMs", r.Duration.Milliseconds()),
	}
	if r.InstanceID != "" {
		attrs = append(attrs, slog.String("instanceId", r.InstanceID))
	}
	if r.ReplicaGroupID != "" {
		attrs = append(attrs, slog.String("replicaGroupId", r.ReplicaGroupID))
	}
	if r.Health != "" {
		attrs = append(attrs, slog.String("health", string(r.Health)), slog.String("pairStatus", r.PairStatus),
			slog.String("statusMessage", r.StatusMessage))
		if r.RecoveryPointAgeSeconds != nil {
			attrs = append(attrs, slog.Int64("recoveryPointAgeSeconds", *r.RecoveryPointAgeSeconds))
		}
	}
	log.LogAttrs(context.Background(), level, "disk", attrs...)
}

// ownMark reports whether a target comes from a tagging event that set only the tags the function
// itself writes on a primary: its pair mark, and the attempt it raises after a refusal (which
// must not bring the refused disk straight back).
func ownMark(t intake.Target) bool {
	if len(t.TagHint) == 0 || len(t.InstanceIDs) > 0 {
		return false
	}
	for k := range t.TagHint {
		if k != pairing.TagReplicaPair && k != pairing.TagAttempt {
			return false
		}
	}
	return true
}

func eventInfo(e intake.Event) EventInfo {
	return EventInfo{ID: e.ID, Source: e.Source, Type: e.Type, Name: e.Name}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// MarshalReport renders a report as the function's response body.
func MarshalReport(r *Report) ([]byte, error) { return json.Marshal(r) }

// Status reports the protection of every opted-in disk of regions (the configured source
// regions, else the function's own, when none are given) without changing anything: the report
// of a dry-run sweep, logged like one. The error is the sweep's (a region that could not be
// listed), sanitized.
func (h *Handler) Status(ctx context.Context, regions []string) (*Report, error) {
	z := h.sanitizerOf(Invocation{})
	log := h.invocationLogger(z).With("fcRequestId", "status")
	if len(regions) == 0 {
		regions = h.cfg.SourceRegions
	}
	if len(regions) == 0 && h.region != "" {
		regions = []string{h.region}
	}
	ctx, trace := cloud.WithTrace(ctx)
	api := h.api(Invocation{})
	ev := intake.Event{Source: "absr-autopair", Type: "absr:Status", Name: "status"}
	report := &Report{Event: eventInfo(ev), DryRun: true}
	results, err := pairing.New(api, h.cfg.Pairing).Status(ctx, regions)
	report.Results = results
	if report.Results == nil {
		report.Results = []pairing.Result{}
	}
	report.Summary = summarize(report.Results)
	for _, r := range report.Results {
		logResult(log, ev, r, true)
	}
	attrs := []any{"regions", regions, "disks", len(report.Results), "healthy", report.Summary.Healthy,
		"lagging", report.Summary.Lagging, "unhealthy", report.Summary.Unhealthy, "apiCalls", trace.Calls()}
	if err != nil {
		log.Error("status done", append(attrs, "error", err.Error())...)
	} else {
		log.Info("status done", attrs...)
	}
	report.redact(z)
	return report, redactError(err, z)
}
