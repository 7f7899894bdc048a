package pairing

import "time"

// Route is the default destination of disks in one source region.
type Route struct {
	Region string
	Zone   string // optional: the secondary's zone for auto-created disks
}

// SecondaryRef names a secondary disk chosen by the operator.
type SecondaryRef struct {
	DiskID string
	Region string
}

// Options is the engine's policy, built from configuration.
type Options struct {
	OptInKey            string                  // "dr"
	OptInValue          string                  // "enabled"
	Routes              map[string]Route        // source region -> destination
	Pairs               map[string]SecondaryRef // mapping file: primary disk ID -> secondary
	AutoCreateSecondary bool
	Start               bool
	MarkPrimary         bool
	DryRun              bool
	PairNameTemplate    string // "absr-{diskId}"; {diskId} and {diskName}
	ChargeType          string // POSTPAY | PREPAY
	Bandwidth           int    // Kbit/s, 0 = unset
	Period              int    // months a PREPAY pair is bought for (1, 2, 3, 6, 12, 24, 36, 60); 0 = DefaultPeriod
	RPO                 int    // seconds
	Concurrency         int    // disks handled at once, per region
	ReplicaGroups       string // GroupsOff ("" too) or GroupsByInstance: one replica group per instance

	// Timing. Zero means the default (see DefaultOptions).
	DiskWait       time.Duration // longest wait for a disk (or an instance's disks) to show and be ready
	PollInterval   time.Duration // first backoff step while waiting; doubles up to 8x
	DeadlineMargin time.Duration // kept free before the context deadline; at most 10% of what remains

	// MaxRecoveryPointAge: a pair whose newest recovery point is older is lagging.
	MaxRecoveryPointAge time.Duration
}

// Outcome is what happened to one disk.
type Outcome string

const (
	Paired        Outcome = "paired"
	Planned       Outcome = "planned"
	AlreadyPaired Outcome = "already_paired"
	Skipped       Outcome = "skipped"
	Failed        Outcome = "failed"
)

// Result is one disk's line in the report.
type Result struct {
	DiskID            string  `json:"diskId"`
	RegionID          string  `json:"regionId"`
	Outcome           Outcome `json:"outcome"`
	Reason            string  `json:"reason"`
	Message           string  `json:"message"`
	SecondaryDiskID   string  `json:"secondaryDiskId"`
	SecondaryRegionID string  `json:"secondaryRegionId"`
	ReplicaPairID     string  `json:"replicaPairId"`
	ReplicaGroupID    string  `json:"replicaGroupId,omitempty"`
	Started           bool    `json:"started"`
	Retryable         bool    `json:"retryable"`
	// InstanceID is set for disks found through an instance, and for an instance whose disks
	// could not be listed (then DiskID is empty).
	InstanceID string `json:"instanceId,omitempty"`

	// Health of the disk's pair, for a disk that is the primary of one (see health.go); empty
	// (null for the age) for every other disk.
	PairStatus string `json:"pairStatus"` // the API's status string
	// RecoveryPointAgeSeconds is now minus the pair's LastRecoverPoint; null when the API gives none.
	RecoveryPointAgeSeconds *int64 `json:"recoveryPointAgeSeconds"`
	Health                  Health `json:"health"`
	// StatusMessage is the API's StatusMessage for the pair (why it is invalid or create_failed).
	StatusMessage string `json:"statusMessage,omitempty"`

	// For the log line, not the report.
	RequestIDs []string      `json:"-"`
	Duration   time.Duration `json:"-"`
}
