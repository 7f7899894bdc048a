// Over 450 lines: both API families' replica pair actions, which share their rules.

package emulator

import (
	"slices"
	"strconv"
	"strings"
)

// pairFamily gives the codes each API family answers with for the same rule.
type pairFamily struct {
	legacy bool
}

func (f pairFamily) diskNotFound(id, region string) *apiError {
	if f.legacy {
		return notFound("InvalidDiskId.NotFound", "The specified disk does not exist: %s in %s.", id, region)
	}
	return notFound("NoSuchResource", "The specified resource does not exist: disk %s in %s.", id, region)
}

func (f pairFamily) diskStatus(d *diskRec, status string) *apiError {
	if f.legacy {
		return forbidden("IncorrectDiskStatus", "The operation is not supported in this status: disk %s is %s.", d.DiskID, status)
	}
	return forbidden("OperationDenied.InvalidStatus", "The operation is not supported in this status: disk %s is %s.", d.DiskID, status)
}

// rule is a violated ABSR rule about the disks' kind, region or specification.
func (f pairFamily) rule(format string, args ...any) *apiError {
	if f.legacy {
		return badRequest("InvalidParamter", format, args...) // sic, as documented
	}
	return forbidden("OperationDenied", format, args...)
}

func (f pairFamily) pairNotFound(id, region string) *apiError {
	if f.legacy {
		return notFound("InvalidReplicaPairId.NotFound", "The specified replica pair %s does not exist in %s.", id, region)
	}
	return notFound("NoSuchResource", "The specified resource does not exist: replica pair %s in %s.", id, region)
}

func pairStatusDenied(p *pairRec, op string) *apiError {
	return forbidden("OperationDenied.InvalidStatus", "The replica pair %s is %s; %s is not allowed in this status.", p.ReplicaPairID, p.Status, op)
}

func standbyAttached(d *diskRec) *apiError {
	return badRequest("OperationDenied.StandbyDeviceAttached",
		"The secondary disk %s is attached to instance %s; detach it before starting replication.", d.DiskID, d.InstanceID)
}

var replicableCategories = words{"cloud_essd", "cloud_auto"}

// pairSpec is what a create request names.
type pairSpec struct {
	region, diskID, srcZone       string
	dstRegion, dstDiskID, dstZone string
}

// checkPairRules enforces the ABSR rules for a new pair of either family: both disks exist where
// named (and not hidden), are not in transition, differ, live in different regions, are of a
// replicable category with equal category, performance level and size, and neither is in a pair
// of either family.
func (s *Server) checkPairRules(c *call, f pairFamily, spec pairSpec) (*diskRec, *diskRec, *apiError) {
	if aerr := s.checkRegion("RegionId", spec.region); aerr != nil {
		return nil, nil, aerr
	}
	if aerr := s.checkRegion("DestinationRegionId", spec.dstRegion); aerr != nil {
		return nil, nil, aerr
	}
	src := s.lookupDisk(spec.diskID, spec.region, c.now)
	if src == nil || spec.srcZone != "" && src.ZoneID != spec.srcZone {
		return nil, nil, f.diskNotFound(spec.diskID, join(spec.region, spec.srcZone))
	}
	dst := s.lookupDisk(spec.dstDiskID, spec.dstRegion, c.now)
	if dst == nil || spec.dstZone != "" && dst.ZoneID != spec.dstZone {
		return nil, nil, f.diskNotFound(spec.dstDiskID, join(spec.dstRegion, spec.dstZone))
	}
	for _, d := range []*diskRec{src, dst} {
		if st := d.status(c.now); st != "In_use" && st != "Available" {
			return nil, nil, f.diskStatus(d, st)
		}
	}
	switch {
	case src == dst:
		return nil, nil, f.rule("The primary and secondary disk are the same disk %s.", src.DiskID)
	case src.ZoneID == dst.ZoneID:
		// Another zone of the same region is allowed (newer guides, the console, terraform's example).
		return nil, nil, f.rule("The secondary disk %s must be in another zone or region than the primary disk %s (both in zone %s).", dst.DiskID, src.DiskID, src.ZoneID)
	case s.unsupportedZone(src.ZoneID) || s.unsupportedZone(dst.ZoneID):
		zone := src.ZoneID
		if !s.unsupportedZone(zone) {
			zone = dst.ZoneID
		}
		return nil, nil, f.rule("The zone %s does not support async replication (see DescribeRegions with ResourceType=ear).", zone)
	case !replicableCategories.has(src.Category):
		return nil, nil, f.rule("The disk category %s of disk %s does not support async replication (cloud_essd and cloud_auto do).", src.Category, src.DiskID)
	case src.Category != dst.Category || src.PerformanceLevel != dst.PerformanceLevel || src.Size != dst.Size:
		return nil, nil, f.rule("The secondary disk %s (%s %s %d GiB) does not match the primary disk %s (%s %s %d GiB): category, performance level and size must be equal.",
			dst.DiskID, dst.Category, dst.PerformanceLevel, dst.Size, src.DiskID, src.Category, src.PerformanceLevel, src.Size)
	case f.legacy && src.Type != "data":
		return nil, nil, f.rule("The primary disk %s is a %s disk; only data disks can be replicated.", src.DiskID, src.Type)
	case f.legacy && src.ChargeType != "PostPaid":
		return nil, nil, f.rule("The primary disk %s is %s; only pay-as-you-go disks can be replicated.", src.DiskID, src.ChargeType)
	case s.faults.StrictPrimary && src.Type != "data":
		return nil, nil, f.rule("The primary disk %s is a %s disk; only unencrypted data disks can be replicated.", src.DiskID, src.Type)
	case s.faults.StrictPrimary && src.Encrypted:
		return nil, nil, f.rule("The primary disk %s is encrypted; only unencrypted data disks can be replicated.", src.DiskID)
	}
	for _, d := range []*diskRec{src, dst} {
		if pid, ok := s.diskPair[d.DiskID]; ok {
			return nil, nil, forbidden("OperationDenied", "The disk %s is already in replica pair %s; a disk can be in one pair only.", d.DiskID, pid)
		}
	}
	return src, dst, nil
}

func join(region, zone string) string {
	if zone == "" {
		return region
	}
	return region + "/" + zone
}

// findPair finds a pair of one family whose primary is in region, or (eitherRegion) whose
// primary or secondary is: EBS Start and Stop accept the region of either disk, Delete only the
// primary's.
func (s *Server) findPair(c *call, f pairFamily, id string, eitherRegion bool) (*pairRec, *apiError) {
	p := s.pairs[id]
	if p == nil || (p.API == APILegacy) != f.legacy ||
		p.SourceRegionID != c.region && !(eitherRegion && p.DestinationRegionID == c.region) {
		return nil, f.pairNotFound(id, c.region)
	}
	s.settle(p, c.now)
	return p, nil
}

// startPair moves a pair to its started status after checking the secondary is detached.
func (s *Server) startPair(c *call, p *pairRec, to string) *apiError {
	if dst := s.disks[p.DestinationDiskID]; dst != nil && (dst.InstanceID != "" || dst.Status == "In_use") {
		return standbyAttached(dst)
	}
	p.setStatus(to, c.now)
	return nil
}

// pairIDs parses PairIds: a comma-separated list of at most 100 IDs.
func pairIDs(p params) (map[string]bool, *apiError) {
	if !p.present("PairIds") {
		return nil, nil
	}
	ids := map[string]bool{}
	for _, id := range strings.Split(p.get("PairIds"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids[id] = true
		}
	}
	if len(ids) > 100 {
		return nil, invalidParam("PairIds", "%d IDs; at most 100 are allowed", len(ids))
	}
	return ids, nil
}

// listPairs filters one family's pairs by PairIds and Site. site "" matches either end.
func (s *Server) listPairs(c *call, legacy bool, ids map[string]bool, site string, tags []tag) []*pairRec {
	var out []*pairRec
	for _, p := range s.pairOrder {
		if (p.API == APILegacy) != legacy || ids != nil && !ids[p.ReplicaPairID] || !hasTags(p.Tags, tags) {
			continue
		}
		switch site {
		case "production":
			if p.SourceRegionID != c.region {
				continue
			}
		case "backup":
			if p.DestinationRegionID != c.region {
				continue
			}
		default:
			if p.SourceRegionID != c.region && p.DestinationRegionID != c.region {
				continue
			}
		}
		s.settle(p, c.now)
		out = append(out, p)
	}
	return out
}

func siteParam(p params, def string) (string, *apiError) {
	site := p.get("Site")
	switch site {
	case "":
		return def, nil
	case "production", "backup":
		return site, nil
	}
	return "", invalidParam("Site", "%q is not production or backup", site)
}

var pairPagingLimits = pagingLimits{maxPageSize: 100, minMaxResults: 1, maxMaxResults: 500}

// pairRecord is a pair with the EBS field names (SourceRegion, not SourceRegionId). The legacy
// fields are set only in legacy Describe answers.
type pairRecord struct {
	PairID              string    `json:"PairId,omitempty"`
	ReplicaPairID       string    `json:"ReplicaPairId"`
	PairName            string    `json:"PairName"`
	Description         string    `json:"Description"`
	Status              string    `json:"Status"`
	StatusMessage       string    `json:"StatusMessage"`
	SourceRegion        string    `json:"SourceRegion"`
	SourceRegionID      string    `json:"SourceRegionId,omitempty"`
	SourceZoneID        string    `json:"SourceZoneId"`
	SourceDiskID        string    `json:"SourceDiskId"`
	DestinationRegion   string    `json:"DestinationRegion"`
	DestinationRegionID string    `json:"DestinationRegionId,omitempty"`
	DestinationZoneID   string    `json:"DestinationZoneId"`
	DestinationDiskID   string    `json:"DestinationDiskId"`
	RPO                 int       `json:"RPO"`
	Bandwidth           int       `json:"Bandwidth"`
	ChargeType          string    `json:"ChargeType"`
	CreateTime          int64     `json:"CreateTime"`
	Site                string    `json:"Site"`
	PrimaryRegion       string    `json:"PrimaryRegion"`
	PrimaryZone         string    `json:"PrimaryZone"`
	StandbyRegion       string    `json:"StandbyRegion"`
	StandbyZone         string    `json:"StandbyZone"`
	ReplicaGroupID      string    `json:"ReplicaGroupId"`
	ResourceGroupID     string    `json:"ResourceGroupId"`
	LastRecoverPoint    int64     `json:"LastRecoverPoint"`
	Tags                []tagJSON `json:"Tags"`
}

func pairJSON(p *pairRec, site string) pairRecord {
	if site == "" {
		site = "production"
	}
	return pairRecord{
		ReplicaPairID: p.ReplicaPairID, PairName: p.PairName, Description: p.Description, Status: p.Status,
		StatusMessage: p.StatusMessage, LastRecoverPoint: p.LastRecoverPoint,
		SourceRegion: p.SourceRegionID, SourceZoneID: p.SourceZoneID, SourceDiskID: p.SourceDiskID,
		DestinationRegion: p.DestinationRegionID, DestinationZoneID: p.DestinationZoneID, DestinationDiskID: p.DestinationDiskID,
		RPO: p.RPO, Bandwidth: p.Bandwidth, ChargeType: p.ChargeType, CreateTime: p.CreateTime, Site: site,
		PrimaryRegion: p.SourceRegionID, PrimaryZone: p.SourceZoneID, StandbyRegion: p.DestinationRegionID,
		StandbyZone: p.DestinationZoneID, ReplicaGroupID: p.ReplicaGroupID, Tags: tagList(p.Tags),
	}
}

// ebsCreatePair is EBS CreateDiskReplicaPair.
func (s *Server) ebsCreatePair(c *call) (map[string]any, *apiError) {
	if aerr := c.p.require("RegionId", "DiskId", "SourceZoneId", "DestinationRegionId", "DestinationZoneId", "DestinationDiskId"); aerr != nil {
		return nil, aerr
	}
	for _, n := range []string{"DestinationUid", "DestinationCloudId"} {
		if c.p.present(n) {
			return nil, invalidParam(n, "cross-account and cross-cloud pairs are not supported by the emulator")
		}
	}
	charge := c.p.get("ChargeType")
	if charge == "" {
		charge = "POSTPAY"
	}
	if charge != "POSTPAY" && charge != "PREPAY" {
		return nil, invalidParam("ChargeType", "%q is not POSTPAY or PREPAY", charge)
	}
	if c.p.present("RPO") && c.p.get("RPO") != "900" {
		return nil, invalidParam("RPO", "%q; only 900 seconds is supported", c.p.get("RPO"))
	}
	bandwidth := 0
	if c.p.present("Bandwidth") {
		if charge == "POSTPAY" {
			return nil, invalidParam("Bandwidth", "it cannot be set when ChargeType is POSTPAY")
		}
		switch c.p.get("Bandwidth") {
		case "10240", "20480", "51200", "102400":
			bandwidth, _ = strconv.Atoi(c.p.get("Bandwidth"))
		default:
			return nil, invalidParam("Bandwidth", "%q is not 10240, 20480, 51200 or 102400", c.p.get("Bandwidth"))
		}
	} else if charge == "PREPAY" {
		bandwidth = 10240
	}
	if charge == "PREPAY" {
		if !c.p.present("Period") {
			return nil, missingParam("Period")
		}
		switch c.p.get("Period") {
		case "1", "2", "3", "6", "12", "24", "36", "60":
		default:
			return nil, invalidParam("Period", "%q is not 1, 2, 3, 6, 12, 24, 36 or 60", c.p.get("Period"))
		}
		if u := c.p.get("PeriodUnit"); u != "" && u != "Month" {
			return nil, invalidParam("PeriodUnit", "%q; only Month is supported", u)
		}
	}
	if charge == "POSTPAY" && s.faults.PostpayRefused {
		return nil, badRequest("InvalidParameter.ChargeType",
			"The specified ChargeType POSTPAY is not supported for async replication here; use PREPAY (subscription) with a Period.")
	}
	name, desc := c.p.get("PairName"), c.p.get("Description")
	if name != "" && !validName(name) {
		return nil, invalidParam("PairName", "2-128 characters, starting with a letter, then letters, digits, '.', ':', '_' or '-'")
	}
	if desc != "" && !validDescription(desc) {
		return nil, invalidParam("Description", "2-256 characters, not starting with http:// or https://")
	}
	tags, aerr := c.p.tagsToWrite()
	if aerr != nil {
		return nil, aerr
	}
	spec := pairSpec{region: c.region, diskID: c.p.get("DiskId"), srcZone: c.p.get("SourceZoneId"),
		dstRegion: c.p.get("DestinationRegionId"), dstDiskID: c.p.get("DestinationDiskId"), dstZone: c.p.get("DestinationZoneId")}
	src, dst, aerr := s.checkPairRules(c, pairFamily{}, spec)
	if aerr != nil {
		return nil, aerr
	}
	p := &pairRec{Pair: Pair{
		ReplicaPairID: s.newPairID(false), API: APIEBS, PairName: name, Description: desc,
		SourceDiskID: src.DiskID, SourceRegionID: src.RegionID, SourceZoneID: src.ZoneID,
		DestinationDiskID: dst.DiskID, DestinationRegionID: dst.RegionID, DestinationZoneID: dst.ZoneID,
		RPO: 900, Bandwidth: bandwidth, ChargeType: charge, CreateTime: c.now.Unix(),
	}}
	if p.PairName == "" {
		p.PairName = p.ReplicaPairID
	}
	p.Tags = tagMap(tags)
	s.setPairStatus(p, "creating", c.now)
	s.addPair(p)
	return map[string]any{"ReplicaPairId": p.ReplicaPairID, "OrderId": s.newOrderID()}, nil
}

// ebsStartPair is EBS StartDiskReplicaPair: created or stopped -> initial_syncing, which reads
// normal one second (emulator clock) later; OneShot=true -> manual_syncing, then stopped.
func (s *Server) ebsStartPair(c *call) (map[string]any, *apiError) {
	if aerr := c.p.require("RegionId", "ReplicaPairId"); aerr != nil {
		return nil, aerr
	}
	oneShot, aerr := c.p.boolParam("OneShot")
	if aerr != nil {
		return nil, aerr
	}
	p, aerr := s.findPair(c, pairFamily{}, c.p.get("ReplicaPairId"), true)
	if aerr != nil {
		return nil, aerr
	}
	if p.ReplicaGroupID != "" {
		return nil, groupedPairDenied(p, "StartDiskReplicaPair")
	}
	if p.Status != "created" && p.Status != "stopped" {
		return nil, pairStatusDenied(p, "StartDiskReplicaPair")
	}
	to := "initial_syncing"
	if oneShot {
		to = "manual_syncing"
	}
	if aerr := s.startPair(c, p, to); aerr != nil {
		return nil, aerr
	}
	return map[string]any{}, nil
}

// ebsStopPair is EBS StopDiskReplicaPair: a replicating pair -> stopped at once.
func (s *Server) ebsStopPair(c *call) (map[string]any, *apiError) {
	if aerr := c.p.require("RegionId", "ReplicaPairId"); aerr != nil {
		return nil, aerr
	}
	p, aerr := s.findPair(c, pairFamily{}, c.p.get("ReplicaPairId"), true)
	if aerr != nil {
		return nil, aerr
	}
	if p.ReplicaGroupID != "" {
		return nil, groupedPairDenied(p, "StopDiskReplicaPair")
	}
	switch p.Status { // the statuses the API reference allows
	case "initial_syncing", "syncing", "normal", "manual_syncing":
		p.setStatus("stopped", c.now)
		return map[string]any{}, nil
	}
	return nil, pairStatusDenied(p, "StopDiskReplicaPair")
}

// ebsDeletePair is EBS DeleteDiskReplicaPair, sent in the primary's region: a stopped, invalid
// or failovered pair (the statuses the API reference allows) is removed, and its disks are free
// again.
func (s *Server) ebsDeletePair(c *call) (map[string]any, *apiError) {
	if aerr := c.p.require("RegionId", "ReplicaPairId"); aerr != nil {
		return nil, aerr
	}
	p, aerr := s.findPair(c, pairFamily{}, c.p.get("ReplicaPairId"), false)
	if aerr != nil {
		return nil, aerr
	}
	if p.ReplicaGroupID != "" {
		return nil, groupedPairDenied(p, "DeleteDiskReplicaPair")
	}
	switch p.Status {
	case "stopped", "invalid", "failovered":
		s.removePair(p)
		return map[string]any{}, nil
	}
	return nil, pairStatusDenied(p, "DeleteDiskReplicaPair")
}

// describePairsFilter reads what both families' DescribeDiskReplicaPairs filter on: the region,
// the pair IDs and the site (defaultSite when absent).
func (s *Server) describePairsFilter(c *call, defaultSite string) (ids map[string]bool, site string, aerr *apiError) {
	if aerr := s.checkRegion("RegionId", c.region); aerr != nil {
		return nil, "", aerr
	}
	if ids, aerr = pairIDs(c.p); aerr != nil {
		return nil, "", aerr
	}
	if site, aerr = siteParam(c.p, defaultSite); aerr != nil {
		return nil, "", aerr
	}
	return ids, site, nil
}

// ebsDescribePairs is EBS DescribeDiskReplicaPairs: Site production (default) lists pairs whose
// primary is in RegionId, backup those whose secondary is; flat "ReplicaPairs".
func (s *Server) ebsDescribePairs(c *call) (map[string]any, *apiError) {
	if aerr := c.p.require("RegionId"); aerr != nil {
		return nil, aerr
	}
	ids, site, aerr := s.describePairsFilter(c, "production")
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := c.p.tags("Tag", 20)
	if aerr != nil {
		return nil, aerr
	}
	list := s.listPairs(c, false, ids, site, tags)
	if c.p.present("ReplicaGroupId") {
		list = slices.DeleteFunc(list, func(p *pairRec) bool { return p.ReplicaGroupID != c.p.get("ReplicaGroupId") })
	}
	pg, aerr := paginate(c.p, len(list), pairPagingLimits)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]pairRecord, 0, pg.end-pg.start)
	for _, p := range list[pg.start:pg.end] {
		out = append(out, pairJSON(p, site))
	}
	return map[string]any{"ReplicaPairs": out, "TotalCount": len(list), "PageNumber": pg.number,
		"PageSize": pg.size, "NextToken": pg.nextToken}, nil
}

// legacyCreatePair is ECS 2014-05-26 CreateDiskReplicaPair, exactly as the seed document
// describes: five required parameters, answer {"RequestId","PairId"}; the pair is inactive.
func (s *Server) legacyCreatePair(c *call) (map[string]any, *apiError) {
	for _, n := range []string{"RegionId", "DiskId", "DestinationRegionId", "DestinationDiskId", "PairName"} {
		if !c.p.present(n) {
			return nil, badRequest("IncompleteParamter", "Some fields can not be null in this request: %s.", n)
		}
	}
	f := pairFamily{legacy: true}
	name, desc := c.p.get("PairName"), c.p.get("Description")
	if !validName(name) {
		return nil, f.rule("The specified PairName is not valid: 2-128 characters, starting with a letter, then letters, digits, '.', ':', '_' or '-'.")
	}
	if desc != "" && !validDescription(desc) {
		return nil, f.rule("The specified Description is not valid: 2-256 characters, not starting with http:// or https://.")
	}
	spec := pairSpec{region: c.region, diskID: c.p.get("DiskId"),
		dstRegion: c.p.get("DestinationRegionId"), dstDiskID: c.p.get("DestinationDiskId")}
	src, dst, aerr := s.checkPairRules(c, f, spec)
	if aerr != nil {
		return nil, aerr
	}
	p := &pairRec{Pair: Pair{
		ReplicaPairID: s.newPairID(true), API: APILegacy, PairName: name, Description: desc,
		SourceDiskID: src.DiskID, SourceRegionID: src.RegionID, SourceZoneID: src.ZoneID,
		DestinationDiskID: dst.DiskID, DestinationRegionID: dst.RegionID, DestinationZoneID: dst.ZoneID,
		Status: "inactive", RPO: 900, ChargeType: "POSTPAY", CreateTime: c.now.Unix(),
	}}
	s.addPair(p)
	return map[string]any{"PairId": p.ReplicaPairID}, nil
}

// legacyStartPair is ECS 2014-05-26 StartDiskReplicaPair{RegionId, ReplicaPairId}: inactive or
// paused -> active. PairId is accepted as an alias of ReplicaPairId.
func (s *Server) legacyStartPair(c *call) (map[string]any, *apiError) {
	id := c.p.get("ReplicaPairId")
	if id == "" {
		id = c.p.get("PairId")
	}
	if !c.p.present("RegionId") || id == "" {
		return nil, badRequest("IncompleteParamter", "Some fields can not be null in this request: RegionId and ReplicaPairId.")
	}
	p, aerr := s.findPair(c, pairFamily{legacy: true}, id, false)
	if aerr != nil {
		return nil, aerr
	}
	if p.Status != "inactive" && p.Status != "paused" {
		return nil, pairStatusDenied(p, "StartDiskReplicaPair")
	}
	if aerr := s.startPair(c, p, "active"); aerr != nil {
		return nil, aerr
	}
	return map[string]any{}, nil
}

// legacyDescribePairs is ECS 2014-05-26 DescribeDiskReplicaPairs{RegionId, MaxResults,
// NextToken}: pairs with either disk in RegionId (Site narrows it as in EBS), wrapped
// "DiskReplicaPairs":{"DiskReplicaPair":[...]}. The record field names of this preview API are
// not documented: each record carries the EBS names plus PairId, SourceRegionId and
// DestinationRegionId, so a client reading either spelling works.
func (s *Server) legacyDescribePairs(c *call) (map[string]any, *apiError) {
	if !c.p.present("RegionId") {
		return nil, badRequest("IncompleteParamter", "Some fields can not be null in this request: RegionId.")
	}
	ids, site, aerr := s.describePairsFilter(c, "")
	if aerr != nil {
		return nil, aerr
	}
	list := s.listPairs(c, true, ids, site, nil)
	pg, aerr := paginate(c.p, len(list), pairPagingLimits)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]pairRecord, 0, pg.end-pg.start)
	for _, p := range list[pg.start:pg.end] {
		recSite := site
		if recSite == "" && p.SourceRegionID != c.region {
			recSite = "backup"
		}
		rec := pairJSON(p, recSite)
		rec.PairID, rec.SourceRegionID, rec.DestinationRegionID = p.ReplicaPairID, p.SourceRegionID, p.DestinationRegionID
		out = append(out, rec)
	}
	return map[string]any{"DiskReplicaPairs": map[string]any{"DiskReplicaPair": out},
		"TotalCount": len(list), "PageNumber": pg.number, "PageSize": pg.size, "NextToken": pg.nextToken}, nil
}
