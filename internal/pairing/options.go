package pairing

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Tags the engine reads and writes (see design.md, "Tags on disks").
const (
	TagSecondaryDisk   = "dr:secondary-disk"   // on a primary: the secondary to pair with
	TagSecondaryRegion = "dr:secondary-region" // on a primary: the secondary's region
	TagPrimaryDisk     = "dr:primary-disk"     // on a secondary: back-reference to its primary
	TagReplicaPair     = "dr:replica-pair"     // on a primary: written after success
	// TagAttempt, on a primary: raised after the API refused to create its pair or secondary, so
	// that the next attempt sends new ClientTokens (names.go).
	TagAttempt = "dr:attempt"
)

// Defaults applied by New to zero-valued options.
const (
	DefaultOptInKey         = "dr"
	DefaultOptInValue       = "enabled"
	DefaultPairNameTemplate = "absr-{diskId}"
	DefaultChargeType       = "POSTPAY"
	DefaultRPO              = 900
	DefaultPeriod           = 1 // month, for PREPAY pairs
	DefaultConcurrency      = 8
	DefaultDiskWait         = 20 * time.Second
	DefaultPollInterval     = 500 * time.Millisecond
	DefaultDeadlineMargin   = 2 * time.Second
	// DefaultMaxRecoveryPointAge: a recovery point older than twice the 900 s RPO is lagging.
	DefaultMaxRecoveryPointAge = 1800 * time.Second

	// MaxConcurrency caps Options.Concurrency; more parallel disks per region only buys throttling.
	MaxConcurrency = 64
)

// Periods are the months CreateDiskReplicaPair accepts as Period for a PREPAY pair.
var Periods = []int{1, 2, 3, 6, 12, 24, 36, 60}

// DefaultOptions is the documented default policy. Start from it: New cannot tell an unset
// bool from false, so it only fills in zero-valued strings, numbers and durations.
func DefaultOptions() Options {
	return Options{
		OptInKey:         DefaultOptInKey,
		OptInValue:       DefaultOptInValue,
		Start:            true,
		MarkPrimary:      true,
		PairNameTemplate: DefaultPairNameTemplate,
		ChargeType:       DefaultChargeType,
		RPO:              DefaultRPO,
		Concurrency:      DefaultConcurrency,
		DiskWait:         DefaultDiskWait,
		PollInterval:     DefaultPollInterval,
		DeadlineMargin:   DefaultDeadlineMargin,

		MaxRecoveryPointAge: DefaultMaxRecoveryPointAge,
	}
}

// withDefaults fills zero-valued fields with their defaults and normalizes spelling.
func (o Options) withDefaults() Options {
	if o.OptInKey == "" && o.OptInValue == "" {
		o.OptInKey, o.OptInValue = DefaultOptInKey, DefaultOptInValue
	}
	if o.PairNameTemplate == "" {
		o.PairNameTemplate = DefaultPairNameTemplate
	}
	o.ChargeType = strings.ToUpper(strings.TrimSpace(o.ChargeType))
	if o.ChargeType == "" {
		o.ChargeType = DefaultChargeType
	}
	if o.RPO == 0 {
		o.RPO = DefaultRPO
	}
	if o.Period == 0 && o.ChargeType == "PREPAY" {
		o.Period = DefaultPeriod
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.DiskWait == 0 {
		o.DiskWait = DefaultDiskWait
	}
	if o.PollInterval == 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.DeadlineMargin == 0 {
		o.DeadlineMargin = DefaultDeadlineMargin
	}
	if o.MaxRecoveryPointAge == 0 {
		o.MaxRecoveryPointAge = DefaultMaxRecoveryPointAge
	}
	return o
}

// Validate reports every problem with o (after defaults are applied), naming the field.
func (o Options) Validate() error {
	o = o.withDefaults()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if o.OptInKey == "" || o.OptInValue == "" {
		bad("OptInKey and OptInValue must both be set (got %q=%q)", o.OptInKey, o.OptInValue)
	}
	for src, r := range o.Routes {
		switch {
		case src == "":
			bad("Routes: empty source region")
		case r.Region == "":
			bad("Routes[%s]: empty destination region", src)
		case r.Region == src && r.Zone == "":
			// Another zone of the same region is a valid destination; the region alone is not.
			bad("Routes[%s]: a destination in the source region needs a zone (another zone than the primary's)", src)
		}
	}
	for primary, ref := range o.Pairs {
		switch {
		case primary == "":
			bad("Pairs: empty primary disk ID")
		case ref.DiskID == "":
			bad("Pairs[%s]: empty secondary disk ID", primary)
		case ref.DiskID == primary:
			bad("Pairs[%s]: a disk cannot be its own secondary", primary)
		}
	}
	for _, p := range placeholders(o.PairNameTemplate) {
		if p != "{diskId}" && p != "{diskName}" {
			bad("PairNameTemplate %q: unknown placeholder %s (known: {diskId}, {diskName})", o.PairNameTemplate, p)
		}
	}
	switch o.ChargeType {
	case "POSTPAY", "PREPAY":
	default:
		bad("ChargeType %q: must be POSTPAY or PREPAY", o.ChargeType)
	}
	if o.Bandwidth < 0 {
		bad("Bandwidth %d: must not be negative", o.Bandwidth)
	}
	if o.Bandwidth != 0 && o.ChargeType == "POSTPAY" {
		bad("Bandwidth %d: cannot be set with ChargeType POSTPAY", o.Bandwidth)
	}
	if o.ChargeType == "POSTPAY" && o.Period != 0 {
		bad("Period %d: only a PREPAY pair is bought for a period", o.Period)
	}
	if o.ChargeType == "PREPAY" && !slices.Contains(Periods, o.Period) {
		bad("Period %d: must be one of 1, 2, 3, 6, 12, 24, 36, 60 (months)", o.Period)
	}
	if o.RPO < 0 {
		bad("RPO %d: must be positive", o.RPO)
	}
	if o.Concurrency < 1 || o.Concurrency > MaxConcurrency {
		bad("Concurrency %d: must be between 1 and %d", o.Concurrency, MaxConcurrency)
	}
	if !validGroupMode(o.ReplicaGroups) {
		bad("ReplicaGroups %q: must be %s or %s", o.ReplicaGroups, GroupsOff, GroupsByInstance)
	}
	if o.DiskWait < 0 || o.PollInterval < 0 || o.DeadlineMargin < 0 {
		bad("DiskWait, PollInterval and DeadlineMargin must not be negative")
	}
	if o.MaxRecoveryPointAge < time.Second {
		bad("MaxRecoveryPointAge %s: must be at least one second", o.MaxRecoveryPointAge)
	}
	return errors.Join(errs...)
}

// placeholders returns the {...} spans of a name template (innermost braces, no nesting), in
// order: "{a}-{b}" gives {a} and {b}; "{{x}" gives {x}.
func placeholders(template string) []string {
	var out []string
	for rest := template; ; {
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return out
		}
		if start := strings.LastIndexByte(rest[:end], '{'); start >= 0 {
			out = append(out, rest[start:end+1])
		}
		rest = rest[end+1:]
	}
}
