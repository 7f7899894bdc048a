// Over 450 lines: the state file's schema and its validation, type by type, read best together.

package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// State is the emulator's world: the state file, the body of GET /_emulator/state, and what
// Snapshot returns. The json tags are the state file format of the design; keep them.
type State struct {
	AccountID   string       `json:"accountId"`
	Credentials []Credential `json:"credentials,omitempty"`
	Disks       []Disk       `json:"disks"`
	Pairs       []Pair       `json:"pairs"`
	Groups      []Group      `json:"groups,omitempty"`
	Faults      Faults       `json:"faults"`
	// UnsupportedZones are zones of the state's disks that EBS DescribeRegions (ResourceType=ear)
	// leaves out: async replication is not available there, and CreateDiskReplicaPair refuses
	// them. Every other zone of a disk in the state supports it.
	UnsupportedZones []string `json:"unsupportedZones,omitempty"`
}

// Credential is an access key the emulator accepts. A credential with a SecurityToken is an STS
// credential: requests signed with it must carry exactly that token.
type Credential struct {
	AccessKeyID     string `json:"accessKeyId"`
	AccessKeySecret string `json:"accessKeySecret"`
	SecurityToken   string `json:"securityToken,omitempty"`
}

// Disk is an ECS disk. Status is the disk's settled status; while ReadyAfterMs has not elapsed
// every action sees it as Creating, and while VisibleAfterMs has not elapsed no action sees it.
type Disk struct {
	DiskID           string            `json:"diskId"`
	DiskName         string            `json:"diskName,omitempty"`
	Description      string            `json:"description,omitempty"`
	RegionID         string            `json:"regionId"`
	ZoneID           string            `json:"zoneId"`
	Category         string            `json:"category"`
	PerformanceLevel string            `json:"performanceLevel,omitempty"`
	Size             int               `json:"size"`
	Type             string            `json:"type"`
	Status           string            `json:"status"`
	InstanceID       string            `json:"instanceId,omitempty"`
	Encrypted        bool              `json:"encrypted"`
	ChargeType       string            `json:"chargeType,omitempty"`   // PostPaid (default) | PrePaid
	CreationTime     string            `json:"creationTime,omitempty"` // 2006-01-02T15:04:05Z
	Tags             map[string]string `json:"tags,omitempty"`
	VisibleAfterMs   int64             `json:"visibleAfterMs"`
	ReadyAfterMs     int64             `json:"readyAfterMs"`
}

// Pair is a replica pair of either API family. API is "ecs" for pairs of the legacy 2014-05-26
// actions (their ReplicaPairID is the returned PairId); empty (or "ebs") for EBS 2021-07-30.
type Pair struct {
	ReplicaPairID       string            `json:"replicaPairId"`
	API                 string            `json:"api,omitempty"`
	PairName            string            `json:"pairName,omitempty"`
	Description         string            `json:"description,omitempty"`
	SourceDiskID        string            `json:"sourceDiskId"`
	SourceRegionID      string            `json:"sourceRegionId"`
	SourceZoneID        string            `json:"sourceZoneId,omitempty"`
	DestinationDiskID   string            `json:"destinationDiskId"`
	DestinationRegionID string            `json:"destinationRegionId"`
	DestinationZoneID   string            `json:"destinationZoneId,omitempty"`
	Status              string            `json:"status"`
	RPO                 int               `json:"rpo,omitempty"`
	Bandwidth           int               `json:"bandwidth,omitempty"`
	ChargeType          string            `json:"chargeType,omitempty"` // POSTPAY | PREPAY
	CreateTime          int64             `json:"createTime,omitempty"` // Unix seconds, as the API answers
	Tags                map[string]string `json:"tags,omitempty"`
	// StatusMessage is the API's StatusMessage (why a pair is invalid or create_failed, e.g.
	// DeviceSizeChanged).
	StatusMessage string `json:"statusMessage,omitempty"`
	// LastRecoverPoint is the newest recovery point, Unix seconds (0: none yet). The emulator
	// advances it to now whenever it reads a normal pair, unless PinRecoveryPoint holds it.
	LastRecoverPoint int64  `json:"lastRecoverPoint,omitempty"`
	PinRecoveryPoint bool   `json:"pinRecoveryPoint,omitempty"`
	ReplicaGroupID   string `json:"replicaGroupId,omitempty"` // set from the group listing the pair
}

// Faults are injected failures and flow control. Percentages are 0-100.
type Faults struct {
	LatencyMs           int64   `json:"latencyMs"`
	ThrottlePercent     float64 `json:"throttlePercent"`
	UnavailablePercent  float64 `json:"unavailablePercent"`
	ResetPercent        float64 `json:"resetPercent"`
	LostResponsePercent float64 `json:"lostResponsePercent"`
	QPSPerAction        float64 `json:"qpsPerAction"`
	Seed                int64   `json:"seed"`
	// ThrottleCode is the code throttlePercent answers with (default Throttling.User); the
	// services also answer e.g. Throttling.Api or Rejected.Throttling.
	ThrottleCode string `json:"throttleCode,omitempty"`
	// PairCreatingMs keeps a new EBS pair creating for that long before it is created.
	PairCreatingMs int64 `json:"pairCreatingMs,omitempty"`
	// TokenTTLSeconds is how long a ClientToken is remembered (0: for the emulator's life).
	TokenTTLSeconds int64 `json:"tokenTtlSeconds,omitempty"`
	// TokenRemembersFailures: a token whose request was refused with a 4xx keeps answering that
	// refusal (the conservative reading of the ECS idempotence doc). Off: a refused request's
	// token is not remembered.
	TokenRemembersFailures bool `json:"tokenRemembersFailures,omitempty"`
	// StrictPrimary refuses system and encrypted primaries, as the console guide says
	// (the API reference does not; which one the service follows is unconfirmed).
	StrictPrimary bool `json:"strictPrimary,omitempty"`
	// PostpayRefused refuses ChargeType=POSTPAY pairs, as the international site's description
	// (subscription billing only) may mean.
	PostpayRefused bool `json:"postpayRefused,omitempty"`
}

// The credentials accepted when the state names none. They are test values, never real ones.
const (
	DefaultAccessKeyID     = "emulator-ak"
	DefaultAccessKeySecret = "emulator-secret"
	DefaultSecurityToken   = "emulator-token"
	// DefaultAccountID is used when the state has no accountId.
	DefaultAccountID = "1234567890123456"
)

// The API family values of Pair.API.
const (
	APIEBS    = ""
	APILegacy = "ecs"
)

// Disk and pair vocabularies.
var (
	diskStatuses = words{"In_use", "Available", "Attaching", "Detaching", "Creating", "ReIniting"}
	diskTypes    = words{"system", "data"}
	essdLevels   = words{"PL0", "PL1", "PL2", "PL3"}
	ebsStatuses  = words{"invalid", "creating", "created", "create_failed", "initial_syncing",
		"manual_syncing", "syncing", "normal", "stopping", "stopped", "stop_failed", "failovering",
		"failovered", "failover_failed", "reprotecting", "reprotect_failed", "deleting",
		"delete_failed", "deleted"}
	legacyStatuses = words{"inactive", "active", "paused", "pausing", "starting", "deleting"}
)

// words is a short fixed vocabulary. A slice literal, unlike a map, is laid out by the compiler
// and costs nothing at package initialisation (this package is linked into the function, so
// that runs on every cold start); the lists are short enough to scan.
type words []string

func (w words) has(s string) bool { return slices.Contains(w, s) }

// LoadState reads and validates a state file.
func LoadState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("emulator state: %w", err)
	}
	st, err := ParseState(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// ParseState decodes and validates a state document. Unknown fields are errors (a misspelt field
// would otherwise be ignored silently). Defaults are filled in: type data, status In_use for a
// disk with an instance and Available otherwise, PL1 for cloud_essd without a performance level,
// zones of pairs from their disks, created (EBS) or inactive (legacy) for a pair without status.
func ParseState(data []byte) (*State, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var st State
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("emulator state: invalid JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("emulator state: trailing data after the JSON object")
	}
	if err := st.normalize(); err != nil {
		return nil, err
	}
	return &st, nil
}

// Validate checks a state built in Go (ParseState does this for files) and fills the same
// defaults. It is what New calls on a copy of its argument.
func (st *State) Validate() error { return st.normalize() }

func (st *State) normalize() error {
	if st.AccountID == "" {
		st.AccountID = DefaultAccountID
	}
	seenKeys := map[string]bool{}
	for i := range st.Credentials {
		c := &st.Credentials[i]
		if c.AccessKeyID == "" || c.AccessKeySecret == "" {
			return fmt.Errorf("emulator state: credentials[%d]: accessKeyId and accessKeySecret are required", i)
		}
		if seenKeys[c.AccessKeyID] {
			return fmt.Errorf("emulator state: credentials[%d]: duplicate accessKeyId", i)
		}
		seenKeys[c.AccessKeyID] = true
	}
	disks := make(map[string]*Disk, len(st.Disks))
	for i := range st.Disks {
		d := &st.Disks[i]
		if err := normalizeDisk(d); err != nil {
			if d.DiskID == "" {
				return fmt.Errorf("emulator state: disks[%d]: %w", i, err)
			}
			return fmt.Errorf("emulator state: disk %s: %w", d.DiskID, err)
		}
		if disks[d.DiskID] != nil {
			return fmt.Errorf("emulator state: disk %s: duplicate diskId", d.DiskID)
		}
		disks[d.DiskID] = d
	}
	pairs := map[string]bool{}
	pairOf := map[string]string{}
	for i := range st.Pairs {
		p := &st.Pairs[i]
		name := fmt.Sprintf("pairs[%d]", i)
		if p.ReplicaPairID != "" {
			name = "pair " + p.ReplicaPairID
		}
		if err := normalizePair(p, disks); err != nil {
			return fmt.Errorf("emulator state: %s: %w", name, err)
		}
		if pairs[p.ReplicaPairID] {
			return fmt.Errorf("emulator state: %s: duplicate replicaPairId", name)
		}
		pairs[p.ReplicaPairID] = true
		for _, id := range []string{p.SourceDiskID, p.DestinationDiskID} {
			if other, ok := pairOf[id]; ok {
				return fmt.Errorf("emulator state: %s: disk %s is already in pair %s (a disk is in at most one pair)", name, id, other)
			}
			pairOf[id] = p.ReplicaPairID
		}
	}
	if err := normalizeGroups(st.Groups, st.Pairs); err != nil {
		return err
	}
	if err := st.Faults.validate(); err != nil {
		return fmt.Errorf("emulator state: faults: %w", err)
	}
	for _, z := range st.UnsupportedZones {
		if z == "" {
			return fmt.Errorf("emulator state: unsupportedZones: empty zone ID")
		}
	}
	return nil
}

func normalizeDisk(d *Disk) error {
	switch {
	case d.DiskID == "":
		return fmt.Errorf("diskId is required")
	case !strings.HasPrefix(d.DiskID, "d-"):
		return fmt.Errorf("diskId %q must start with d-", d.DiskID)
	case d.RegionID == "":
		return fmt.Errorf("regionId is required")
	case d.ZoneID == "":
		return fmt.Errorf("zoneId is required")
	case !zoneInRegion(d.ZoneID, d.RegionID):
		return fmt.Errorf("zoneId %q is not a zone of regionId %q", d.ZoneID, d.RegionID)
	case d.Category == "":
		return fmt.Errorf("category is required")
	case d.Size <= 0:
		return fmt.Errorf("size must be a positive number of GiB, got %d", d.Size)
	case d.VisibleAfterMs < 0:
		return fmt.Errorf("visibleAfterMs must not be negative")
	case d.ReadyAfterMs < 0:
		return fmt.Errorf("readyAfterMs must not be negative")
	}
	if d.Type == "" {
		d.Type = "data"
	}
	if !diskTypes.has(d.Type) {
		return fmt.Errorf("type %q is not system or data", d.Type)
	}
	if d.Status == "" {
		d.Status = "Available"
		if d.InstanceID != "" {
			d.Status = "In_use"
		}
	}
	if !diskStatuses.has(d.Status) {
		return fmt.Errorf("status %q is not one of In_use, Available, Attaching, Detaching, Creating, ReIniting", d.Status)
	}
	if d.Status == "In_use" && d.InstanceID == "" {
		return fmt.Errorf("status In_use needs an instanceId")
	}
	if d.Status == "Available" && d.InstanceID != "" {
		return fmt.Errorf("status Available contradicts instanceId %s", d.InstanceID)
	}
	if d.Type == "system" && d.InstanceID == "" {
		return fmt.Errorf("a system disk needs an instanceId")
	}
	if d.Category == "cloud_essd" {
		if d.PerformanceLevel == "" {
			d.PerformanceLevel = "PL1"
		}
		if !essdLevels.has(d.PerformanceLevel) {
			return fmt.Errorf("performanceLevel %q is not PL0, PL1, PL2 or PL3", d.PerformanceLevel)
		}
	}
	if lo, hi, ok := sizeRange(d.Category, d.PerformanceLevel); ok && (d.Size < lo || d.Size > hi) {
		return fmt.Errorf("size %d GiB is outside %d-%d GiB for %s %s", d.Size, lo, hi, d.Category, d.PerformanceLevel)
	}
	if d.ChargeType == "" {
		d.ChargeType = "PostPaid"
	}
	if d.ChargeType != "PostPaid" && d.ChargeType != "PrePaid" {
		return fmt.Errorf("chargeType %q is not PostPaid or PrePaid", d.ChargeType)
	}
	for k := range d.Tags {
		if k == "" {
			return fmt.Errorf("tags: empty tag key")
		}
	}
	return nil
}

func normalizePair(p *Pair, disks map[string]*Disk) error {
	if p.ReplicaPairID == "" {
		return fmt.Errorf("replicaPairId is required")
	}
	switch p.API {
	case "", "ebs":
		p.API = APIEBS
		if p.Status == "" {
			p.Status = "created"
		}
		if !ebsStatuses.has(p.Status) {
			return fmt.Errorf("status %q is not an EBS pair status", p.Status)
		}
	case APILegacy:
		if p.Status == "" {
			p.Status = "inactive"
		}
		if !legacyStatuses.has(p.Status) {
			return fmt.Errorf("status %q is not a legacy (api ecs) pair status", p.Status)
		}
	default:
		return fmt.Errorf("api %q is not ebs or ecs", p.API)
	}
	src, dst := disks[p.SourceDiskID], disks[p.DestinationDiskID]
	switch {
	case p.SourceDiskID == "" || p.DestinationDiskID == "":
		return fmt.Errorf("sourceDiskId and destinationDiskId are required")
	case p.SourceDiskID == p.DestinationDiskID:
		return fmt.Errorf("sourceDiskId and destinationDiskId are the same disk")
	case src == nil:
		return fmt.Errorf("sourceDiskId %s is not a disk of the state", p.SourceDiskID)
	case dst == nil:
		return fmt.Errorf("destinationDiskId %s is not a disk of the state", p.DestinationDiskID)
	}
	if p.SourceRegionID == "" {
		p.SourceRegionID = src.RegionID
	}
	if p.DestinationRegionID == "" {
		p.DestinationRegionID = dst.RegionID
	}
	if p.SourceRegionID != src.RegionID {
		return fmt.Errorf("sourceRegionId %s differs from the region %s of disk %s", p.SourceRegionID, src.RegionID, src.DiskID)
	}
	if p.DestinationRegionID != dst.RegionID {
		return fmt.Errorf("destinationRegionId %s differs from the region %s of disk %s", p.DestinationRegionID, dst.RegionID, dst.DiskID)
	}
	if p.SourceZoneID == "" {
		p.SourceZoneID = src.ZoneID
	}
	if p.DestinationZoneID == "" {
		p.DestinationZoneID = dst.ZoneID
	}
	if p.RPO == 0 {
		p.RPO = 900
	}
	if p.ChargeType == "" {
		p.ChargeType = "POSTPAY"
	}
	if p.PairName == "" {
		p.PairName = p.ReplicaPairID
	}
	if p.LastRecoverPoint < 0 || p.CreateTime < 0 {
		return fmt.Errorf("lastRecoverPoint and createTime must not be negative")
	}
	return nil
}

func (f Faults) validate() error {
	for _, pc := range []struct {
		name string
		v    float64
	}{
		{"throttlePercent", f.ThrottlePercent},
		{"unavailablePercent", f.UnavailablePercent},
		{"resetPercent", f.ResetPercent},
		{"lostResponsePercent", f.LostResponsePercent},
	} {
		if pc.v < 0 || pc.v > 100 {
			return fmt.Errorf("%s must be within 0-100, got %v", pc.name, pc.v)
		}
	}
	if f.LatencyMs < 0 {
		return fmt.Errorf("latencyMs must not be negative")
	}
	if f.QPSPerAction < 0 {
		return fmt.Errorf("qpsPerAction must not be negative")
	}
	if f.PairCreatingMs < 0 || f.TokenTTLSeconds < 0 {
		return fmt.Errorf("pairCreatingMs and tokenTtlSeconds must not be negative")
	}
	if f.ThrottleCode != "" && !strings.Contains(f.ThrottleCode, "Throttling") && !strings.HasSuffix(f.ThrottleCode, "LimitedRequest") {
		return fmt.Errorf("throttleCode %q is not a throttling code (one containing Throttling or ending in LimitedRequest)", f.ThrottleCode)
	}
	return nil
}

// zoneInRegion reports whether a zone ID names a zone of region: cn-hangzhou-h of cn-hangzhou,
// ap-southeast-1a of ap-southeast-1.
func zoneInRegion(zone, region string) bool {
	rest, ok := strings.CutPrefix(zone, region)
	if !ok || rest == "" {
		return false
	}
	if rest[0] == '-' {
		rest = rest[1:]
	} else if last := region[len(region)-1]; last < '0' || last > '9' {
		return false
	}
	if rest == "" {
		return false
	}
	for _, c := range rest {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// sizeRange is the size range in GiB CreateDisk accepts for a category and performance level.
func sizeRange(category, pl string) (lo, hi int, ok bool) {
	switch category {
	case "cloud_essd":
		switch pl {
		case "PL0":
			return 1, 65536, true
		case "PL1":
			return 20, 65536, true
		case "PL2":
			return 461, 65536, true
		case "PL3":
			return 1261, 65536, true
		}
	case "cloud_auto":
		return 1, 65536, true
	case "cloud_essd_entry":
		return 10, 32768, true
	case "cloud_efficiency", "cloud_ssd":
		return 20, 32768, true
	case "cloud":
		return 5, 2000, true
	}
	return 0, 0, false
}

// cloneTags copies a tag map; an empty one becomes nil (no "tags" in the state file).
func cloneTags(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}
