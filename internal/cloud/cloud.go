// Package cloud is the port between the engine and ECS/EBS: the few calls the engine needs (API),
// the records it reads, the errors it must tell apart (Error and its Kind), the trace of the
// requests sent, and the sanitizer that keeps credentials out of every string. It imports no SDK:
// the adapter over the Alibaba Cloud SDK is package alibaba beside it, and the engine's tests
// use the in-memory fakecloud.
package cloud

import (
	"context"
	"time"
)

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
	ReplicaGroupID      string // EBS: the replica group the pair is in, or ""
	// StatusMessage says why a pair is invalid or create_failed (e.g. DeviceSizeChanged).
	StatusMessage string
	// LastRecoverPoint is the time of the pair's newest recovery point; zero when the API
	// gives none (not started yet, or the legacy family, which does not report it).
	LastRecoverPoint time.Time
}

// Group is an EBS replica group: pairs of one direction that share one recovery point.
type Group struct {
	ID                  string
	Name                string
	Status              string // the pair statuses: created, initial_syncing, normal, stopped, ...
	SourceRegionID      string
	SourceZoneID        string
	DestinationRegionID string
	DestinationZoneID   string
	PairIDs             []string
}

// CreateGroupInput describes a replica group to create. RegionID is the primary site's region.
type CreateGroupInput struct {
	RegionID            string
	SourceZoneID        string
	DestinationRegionID string
	DestinationZoneID   string
	Name                string
	Description         string
	RPO                 int // seconds; 0 leaves it unset
	ClientToken         string
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

// MaxPairIDs is how many pair IDs one PairsByID call takes: EBS DescribeDiskReplicaPairs
// accepts PairIds, a comma list of at most 100.
const MaxPairIDs = 100

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
	// family can filter by pair ID: the legacy family answers an *Error of KindUnsupported
	// (errors.Is(err, errors.ErrUnsupported)) without sending anything.
	PairsByID(ctx context.Context, region string, ids []string) ([]Pair, error)
	// CreatePair creates a replica pair and returns its ID.
	CreatePair(ctx context.Context, in CreatePairInput) (string, error)
	// StartPair starts replication of a pair that is created (EBS) or inactive (legacy).
	StartPair(ctx context.Context, region, pairID, clientToken string) error
	// ReplicationZones lists, by region, the zones where async replication is available (EBS
	// DescribeRegions with ResourceType=ear, sent in region). The legacy family answers an
	// *Error of KindUnsupported without sending anything.
	ReplicationZones(ctx context.Context, region string) (map[string][]string, error)

	// Replica groups exist in the EBS family only: the legacy family answers an *Error of
	// KindUnsupported (errors.Is(err, errors.ErrUnsupported)) without sending anything.
	// region is always the primary site's.

	// ListGroups lists the replica groups whose primary site is in region.
	ListGroups(ctx context.Context, region string) ([]Group, error)
	// GroupsByID returns those of ids (at most MaxPairIDs) that are groups of region.
	GroupsByID(ctx context.Context, region string, ids []string) ([]Group, error)
	// CreateGroup creates an empty replica group and returns its ID.
	CreateGroup(ctx context.Context, in CreateGroupInput) (string, error)
	// AddPairToGroup adds a pair (created or stopped) to a group (created or stopped).
	AddPairToGroup(ctx context.Context, region, groupID, pairID, clientToken string) error
	// StartGroup starts replication of every pair of a group.
	StartGroup(ctx context.Context, region, groupID, clientToken string) error
	// StopGroup stops replication of every pair of a group.
	StopGroup(ctx context.Context, region, groupID, clientToken string) error
}
