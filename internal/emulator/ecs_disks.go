package emulator

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// checkRegion rejects a region ID the emulator does not know (neither a public region nor the
// region of a disk in the state).
func (s *Server) checkRegion(name, region string) *apiError {
	if !s.regions[region] {
		return notFound("InvalidRegionId.NotFound", "The specified %s %q does not exist.", name, region)
	}
	return nil
}

var describeDisksLimits = pagingLimits{maxPageSize: 100, minMaxResults: 1, maxMaxResults: 500}

// describeDisks is ECS DescribeDisks: filters, then PageNumber/PageSize or NextToken/MaxResults.
func (s *Server) describeDisks(c *call) (map[string]any, *apiError) {
	if aerr := c.p.require("RegionId"); aerr != nil {
		return nil, aerr
	}
	if aerr := s.checkRegion("RegionId", c.region); aerr != nil {
		return nil, aerr
	}
	var candidates []*diskRec
	if c.p.present("DiskIds") {
		var ids []string
		if err := json.Unmarshal([]byte(c.p.get("DiskIds")), &ids); err != nil {
			return nil, badRequest("InvalidDiskIds.Malformed", "The specified parameter DiskIds is not a JSON array of disk IDs.")
		}
		if len(ids) > 100 {
			return nil, badRequest("InvalidDiskIds.Malformed", "The specified parameter DiskIds has %d IDs; at most 100 are allowed.", len(ids))
		}
		seen := map[string]bool{}
		for _, id := range ids {
			if d := s.disks[id]; d != nil && !seen[id] && d.RegionID == c.region {
				seen[id] = true
				candidates = append(candidates, d)
			}
		}
		sort.Slice(candidates, func(i, j int) bool { return candidates[i].seq < candidates[j].seq })
	} else {
		candidates = s.regionDisks[c.region]
	}
	tags, aerr := c.p.tags("Tag", 20)
	if aerr != nil {
		return nil, aerr
	}
	all := func(v string) bool { return v == "" || strings.EqualFold(v, "all") }
	instance, zone, category := c.p.get("InstanceId"), c.p.get("ZoneId"), c.p.get("Category")
	status, diskType, name := c.p.get("Status"), c.p.get("DiskType"), c.p.get("DiskName")
	matched := make([]*diskRec, 0, len(candidates))
	for _, d := range candidates {
		switch {
		case !d.visible(c.now),
			instance != "" && d.InstanceID != instance,
			zone != "" && d.ZoneID != zone,
			!all(category) && d.Category != category,
			!all(status) && d.status(c.now) != status,
			!all(diskType) && d.Type != diskType,
			name != "" && d.DiskName != name,
			!hasTags(d.Tags, tags):
			continue
		}
		matched = append(matched, d)
	}
	pg, aerr := paginate(c.p, len(matched), describeDisksLimits)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]diskRecord, 0, pg.end-pg.start)
	for _, d := range matched[pg.start:pg.end] {
		out = append(out, diskJSON(d, c))
	}
	return map[string]any{
		"Disks":      map[string]any{"Disk": out},
		"TotalCount": len(matched),
		"PageNumber": pg.number,
		"PageSize":   pg.size,
		"NextToken":  pg.nextToken,
	}, nil
}

// hasTags reports whether tags include every filter tag (any value when the filter has none).
func hasTags(have map[string]string, want []tag) bool {
	for _, t := range want {
		v, ok := have[t.Key]
		if !ok || t.HasValue && v != t.Value {
			return false
		}
	}
	return true
}

// diskRecord is a disk as DescribeDisks answers it (the SDK's ecs.Disk field names).
type diskRecord struct {
	DiskID             string   `json:"DiskId"`
	DiskName           string   `json:"DiskName"`
	Description        string   `json:"Description"`
	RegionID           string   `json:"RegionId"`
	ZoneID             string   `json:"ZoneId"`
	Category           string   `json:"Category"`
	PerformanceLevel   string   `json:"PerformanceLevel"`
	Size               int      `json:"Size"`
	Type               string   `json:"Type"`
	Status             string   `json:"Status"`
	InstanceID         string   `json:"InstanceId"`
	Device             string   `json:"Device"`
	AttachedTime       string   `json:"AttachedTime"`
	Encrypted          bool     `json:"Encrypted"`
	DiskChargeType     string   `json:"DiskChargeType"`
	CreationTime       string   `json:"CreationTime"`
	Portable           bool     `json:"Portable"`
	DeleteWithInstance bool     `json:"DeleteWithInstance"`
	MultiAttach        string   `json:"MultiAttach"`
	ResourceGroupID    string   `json:"ResourceGroupId"`
	Tags               tagsJSON `json:"Tags"`
}

type tagsJSON struct {
	Tag []tagJSON `json:"Tag"`
}

type tagJSON struct {
	TagKey   string `json:"TagKey"`
	TagValue string `json:"TagValue"`
}

func tagList(tags map[string]string) []tagJSON {
	out := make([]tagJSON, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, tagJSON{TagKey: k, TagValue: tags[k]})
	}
	return out
}

func diskJSON(d *diskRec, c *call) diskRecord {
	device, attachedTime := "", ""
	if d.InstanceID != "" {
		device, attachedTime = "/dev/xvdb", d.CreationTime
		if d.Type == "system" {
			device = "/dev/xvda"
		}
	}
	return diskRecord{
		DiskID: d.DiskID, DiskName: d.DiskName, Description: d.Description, RegionID: d.RegionID, ZoneID: d.ZoneID,
		Category: d.Category, PerformanceLevel: d.PerformanceLevel, Size: d.Size, Type: d.Type, Status: d.status(c.now),
		InstanceID: d.InstanceID, Device: device, AttachedTime: attachedTime, Encrypted: d.Encrypted,
		DiskChargeType: d.ChargeType, CreationTime: d.CreationTime, Portable: d.Type == "data",
		DeleteWithInstance: d.Type == "system", MultiAttach: "Disabled", Tags: tagsJSON{Tag: tagList(d.Tags)},
	}
}

var creatableCategories = words{"cloud", "cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto", "cloud_essd_entry"}

// createDisk is ECS CreateDisk for pay-as-you-go data disks: Available at once (or In_use when
// InstanceId attaches it to an instance the emulator knows).
func (s *Server) createDisk(c *call) (map[string]any, *apiError) {
	if aerr := c.p.require("RegionId"); aerr != nil {
		return nil, aerr
	}
	if aerr := s.checkRegion("RegionId", c.region); aerr != nil {
		return nil, aerr
	}
	if c.p.present("SnapshotId") {
		return nil, notFound("InvalidSnapshotId.NotFound", "The specified snapshot %q does not exist.", c.p.get("SnapshotId"))
	}
	zone, instance := c.p.get("ZoneId"), c.p.get("InstanceId")
	if instance != "" {
		var inst *diskRec
		for _, d := range s.regionDisks[c.region] {
			if d.InstanceID == instance && d.visible(c.now) {
				inst = d
				break
			}
		}
		if inst == nil {
			return nil, notFound("InvalidInstanceId.NotFound", "The specified instance %q does not exist.", instance)
		}
		if zone != "" && zone != inst.ZoneID {
			return nil, invalidParam("ZoneId", "instance %s is in zone %s", instance, inst.ZoneID)
		}
		zone = inst.ZoneID
	}
	if zone == "" {
		return nil, missingParam("ZoneId")
	}
	if !zoneInRegion(zone, c.region) {
		return nil, notFound("InvalidZoneId.NotFound", "The specified zone %q does not exist in region %s.", zone, c.region)
	}
	category := c.p.get("DiskCategory")
	if category == "" {
		category = "cloud" // the documented default
	}
	if !creatableCategories.has(category) {
		return nil, badRequest("InvalidDiskCategory.ValueNotSupported", "The specified DiskCategory %q is not supported.", category)
	}
	pl := ""
	if category == "cloud_essd" {
		pl = c.p.get("PerformanceLevel")
		if pl == "" {
			pl = "PL1"
		}
		if !essdLevels.has(pl) {
			return nil, badRequest("InvalidPerformanceLevel.Malformed", "The specified PerformanceLevel %q is not PL0, PL1, PL2 or PL3.", pl)
		}
	}
	if !c.p.present("Size") {
		return nil, missingParam("Size")
	}
	size, err := strconv.Atoi(c.p.get("Size"))
	lo, hi, _ := sizeRange(category, pl)
	if err != nil || size < lo || size > hi {
		return nil, badRequest("InvalidDiskSize.ValueNotSupported",
			"The specified Size %q is not valid for %s %s: %d-%d GiB.", c.p.get("Size"), category, pl, lo, hi)
	}
	name, desc := c.p.get("DiskName"), c.p.get("Description")
	if name != "" && !validName(name) {
		return nil, badRequest("InvalidDiskName.Malformed",
			"The specified DiskName is not valid: 2-128 characters, starting with a letter, then letters, digits, '.', ':', '_' or '-'.")
	}
	if desc != "" && !validDescription(desc) {
		return nil, badRequest("InvalidDescription.Malformed", "The specified Description is not valid: 2-256 characters, not starting with http:// or https://.")
	}
	tags, aerr := c.p.tagsToWrite()
	if aerr != nil {
		return nil, aerr
	}
	encrypted, aerr := c.p.boolParam("Encrypted")
	if aerr != nil {
		return nil, aerr
	}
	d := &diskRec{Disk: Disk{
		DiskID: s.newDiskID(c.region), DiskName: name, Description: desc, RegionID: c.region, ZoneID: zone,
		Category: category, PerformanceLevel: pl, Size: size, Type: "data", Status: "Available",
		InstanceID: instance, Encrypted: encrypted, ChargeType: "PostPaid", CreationTime: c.now.UTC().Format(isoSecond),
	}, visibleAt: c.now, readyAt: c.now}
	if instance != "" {
		d.Status = "In_use"
	}
	d.Tags = tagMap(tags)
	s.addDisk(d)
	return map[string]any{"DiskId": d.DiskID, "OrderId": ""}, nil
}

// deleteDisk is ECS DeleteDisk: it releases an unattached (Available) pay-as-you-go data disk.
// A disk that does not exist (in RegionId) is ignored, as documented. A disk in a replica pair
// of either family cannot be released while the pair exists (403 IncorrectDiskStatus, the
// documented code for a status that does not allow the operation).
func (s *Server) deleteDisk(c *call) (map[string]any, *apiError) {
	if aerr := c.p.require("DiskId"); aerr != nil {
		return nil, aerr
	}
	if c.region != "" {
		if aerr := s.checkRegion("RegionId", c.region); aerr != nil {
			return nil, aerr
		}
	}
	d := s.disks[c.p.get("DiskId")]
	if d == nil || !d.visible(c.now) || c.region != "" && d.RegionID != c.region {
		return map[string]any{}, nil
	}
	switch st := d.status(c.now); {
	case d.Type == "system":
		return nil, forbidden("IncorrectDiskStatus", "The current disk status does not support this operation: disk %s is a system disk.", d.DiskID)
	case st != "Available" || d.InstanceID != "":
		return nil, forbidden("IncorrectDiskStatus", "The current disk status does not support this operation: disk %s is %s.", d.DiskID, st)
	case d.ChargeType != "PostPaid":
		return nil, forbidden("IncorrectDiskStatus", "The current disk status does not support this operation: disk %s is subscription (PrePaid).", d.DiskID)
	}
	if pid, ok := s.diskPair[d.DiskID]; ok {
		return nil, forbidden("IncorrectDiskStatus",
			"The current disk status does not support this operation: disk %s is in replica pair %s; delete the pair first.", d.DiskID, pid)
	}
	s.removeDisk(d)
	return map[string]any{}, nil
}
