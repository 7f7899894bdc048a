// Package cloud is the engine's narrow view of ECS and EBS: the few calls it needs, the
// records it reads, and the errors it must tell apart. Adapters over the real SDK live here too.
package cloud

import "context"

// Disk is what the engine needs to know about an ECS disk.
type Disk struct {
	ID               string
	Name             string
	RegionID         string
	ZoneID           string
	Category         string // cloud_essd, cloud_auto, cloud_essd_entry, ...
	PerformanceLevel string // PL0..PL3 for cloud_essd
	Size             int    // GiB
	Type             string // system | data
	Status           string // In_use, Available, Creating, Attaching, ...
	InstanceID       string
	Encrypted        bool
	ChargeType       string
	Tags             map[string]string
}

// Pair is a replica pair of either API family.
type Pair struct {
	ID                  string
	Name                string
	Status              string // EBS: created, initial_syncing, normal, ...; legacy: inactive, active, ...
	SourceDiskID        string
	SourceRegionID      string
	SourceZoneID        string
	DestinationDiskID   string
	DestinationRegionID string
	DestinationZoneID   string
}

// CreateDiskInput describes an empty secondary disk to create.
type CreateDiskInput struct {
	RegionID         string
	ZoneID           string
	Category         string
	PerformanceLevel string
	Size             int
	Name             string
	Description      string
	Tags             map[string]string
	ClientToken      string
}

// CreatePairInput describes a replica pair to create. RegionID is the primary disk's region.
type CreatePairInput struct {
	RegionID            string
	DiskID              string
	SourceZoneID        string
	DestinationRegionID string
	DestinationZoneID   string
	DestinationDiskID   string
	Name                string
	Description         string
	ChargeType          string // POSTPAY | PREPAY
	Bandwidth           int    // Kbit/s; 0 leaves it unset
	Period              int    // months, PREPAY only (sent with PeriodUnit=Month); 0 leaves it unset
	RPO                 int    // seconds
	ClientToken         string
}

// API is everything the pairing engine asks of the cloud. Implementations are safe for
// concurrent use, retry what is retryable within the context's deadline, and return *Error.
type API interface {
	// DescribeDisks returns those of ids that exist in region (unknown IDs are left out).
	DescribeDisks(ctx context.Context, region string, ids []string) ([]Disk, error)
	// InstanceDisks lists the disks of an instance.
	InstanceDisks(ctx context.Context, region, instanceID string) ([]Disk, error)
	// DisksByTag lists the disks in region carrying tag key (with that value, when value is not
	// empty), one page at a time, calling fn with each page.
	DisksByTag(ctx context.Context, region, key, value string, fn func([]Disk) error) error
	// CreateDisk creates a disk and returns its ID; the same ClientToken returns the same disk.
	CreateDisk(ctx context.Context, in CreateDiskInput) (string, error)
	// TagDisks sets tags on disks, overwriting existing values of the same keys.
	TagDisks(ctx context.Context, region string, ids []string, tags map[string]string) error
	// ListPairs lists every replica pair whose primary or secondary disk is in region.
	ListPairs(ctx context.Context, region string) ([]Pair, error)
	// PairsByID returns those of ids (at most MaxPairIDs) that are replica pairs whose primary
	// disk is in region, in one request where it can; unknown IDs are left out. Only the EBS
	// family can filter by pair ID: the legacy family answers an *Error with Code
	// CodeUnsupported (and errors.Is(err, errors.ErrUnsupported)) without sending anything.
	PairsByID(ctx context.Context, region string, ids []string) ([]Pair, error)
	// CreatePair creates a replica pair and returns its ID.
	CreatePair(ctx context.Context, in CreatePairInput) (string, error)
	// StartPair starts replication of a pair that is created (EBS) or inactive (legacy).
	StartPair(ctx context.Context, region, pairID, clientToken string) error
	// ReplicationZones lists, by region, the zones where async replication is available (EBS
	// DescribeRegions with ResourceType=ear, sent in region). The legacy family answers an
	// *Error with Code CodeUnsupported without sending anything.
	ReplicationZones(ctx context.Context, region string) (map[string][]string, error)
}

// Actions lists, as RAM action names, every OpenAPI action the adapters in this package can call,
// for both API families. policy.json grants exactly these.
func Actions() []string {
	return []string{
		"ecs:DescribeDisks",
		"ecs:CreateDisk",
		"ecs:TagResources",
		"ebs:CreateDiskReplicaPair",
		"ebs:StartDiskReplicaPair",
		"ebs:DescribeDiskReplicaPairs",
		"ebs:DescribeRegions", // which zones support async replication, to explain a refusal
		// The legacy 2014-05-26 family, used when ABSR_API=ecs.
		"ecs:CreateDiskReplicaPair",
		"ecs:StartDiskReplicaPair",
		"ecs:DescribeDiskReplicaPairs",
	}
}
