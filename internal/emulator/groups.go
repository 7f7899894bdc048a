package emulator

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Replica groups ("replication pair-consistent groups", EBS 2021-07-30): pairs that replicate in
// the same direction share one recovery point and are started and stopped together.

// MaxGroupPairs is how many pairs one replica group holds at most (AddDiskReplicaPair).
const MaxGroupPairs = 17

// Group is a replica group in the state file.
type Group struct {
	ReplicaGroupID      string            `json:"replicaGroupId"`
	GroupName           string            `json:"groupName,omitempty"`
	Description         string            `json:"description,omitempty"`
	SourceRegionID      string            `json:"sourceRegionId"`
	SourceZoneID        string            `json:"sourceZoneId"`
	DestinationRegionID string            `json:"destinationRegionId"`
	DestinationZoneID   string            `json:"destinationZoneId"`
	Status              string            `json:"status"`
	RPO                 int               `json:"rpo,omitempty"`
	Bandwidth           int               `json:"bandwidth,omitempty"`
	PairIDs             []string          `json:"pairIds"`
	Tags                map[string]string `json:"tags,omitempty"`
}

type groupRec struct {
	Group
	settleAt time.Time
	settleTo string
}

// Group statuses an action accepts (the API reference's usage notes).
var (
	groupAddable    = words{"created", "stopped"}            // AddDiskReplicaPair: group and pair
	groupRemovable  = words{"created", "stopped", "invalid"} // RemoveDiskReplicaPair
	groupStartable  = words{"created", "syncing", "normal", "stopped"}
	groupOneShot    = words{"created", "manual_syncing", "stopped"}
	groupStoppable  = words{"manual_syncing", "syncing", "normal", "stopping", "stop_failed", "stopped"}
	groupDeletable  = words{"created", "create_failed", "stopped", "failovered", "deleting", "delete_failed", "invalid"}
	groupBandwidths = words{"10240", "20480", "51200", "102400"}
)

// normalizeGroups checks the state's groups against its pairs and sets each member pair's
// replicaGroupId: a pair is in at most one group, replicates in the group's direction, and a
// group holds at most MaxGroupPairs pairs.
func normalizeGroups(groups []Group, pairs []Pair) error {
	byID := map[string]*Pair{}
	for i := range pairs {
		byID[pairs[i].ReplicaPairID] = &pairs[i]
	}
	member := map[string]string{}
	seen := map[string]bool{}
	for i := range groups {
		g := &groups[i]
		name := fmt.Sprintf("groups[%d]", i)
		if g.ReplicaGroupID != "" {
			name = "group " + g.ReplicaGroupID
		}
		switch {
		case g.ReplicaGroupID == "":
			return fmt.Errorf("emulator state: %s: replicaGroupId is required", name)
		case seen[g.ReplicaGroupID]:
			return fmt.Errorf("emulator state: %s: duplicate replicaGroupId", name)
		case g.SourceRegionID == "" || g.SourceZoneID == "" || g.DestinationRegionID == "" || g.DestinationZoneID == "":
			return fmt.Errorf("emulator state: %s: sourceRegionId, sourceZoneId, destinationRegionId and destinationZoneId are required", name)
		case !zoneInRegion(g.SourceZoneID, g.SourceRegionID) || !zoneInRegion(g.DestinationZoneID, g.DestinationRegionID):
			return fmt.Errorf("emulator state: %s: a zone is not in its region", name)
		case len(g.PairIDs) > MaxGroupPairs:
			return fmt.Errorf("emulator state: %s: %d pairs; a group holds at most %d", name, len(g.PairIDs), MaxGroupPairs)
		}
		seen[g.ReplicaGroupID] = true
		if g.Status == "" {
			g.Status = "created"
		}
		if !ebsStatuses.has(g.Status) {
			return fmt.Errorf("emulator state: %s: status %q is not a replica group status", name, g.Status)
		}
		if g.RPO == 0 {
			g.RPO = 900
		}
		if g.GroupName == "" {
			g.GroupName = g.ReplicaGroupID
		}
		if g.PairIDs == nil {
			g.PairIDs = []string{}
		}
		for _, id := range g.PairIDs {
			p := byID[id]
			switch {
			case p == nil || p.API != APIEBS:
				return fmt.Errorf("emulator state: %s: pair %s is not an EBS pair of the state", name, id)
			case member[id] != "":
				return fmt.Errorf("emulator state: %s: pair %s is already in group %s", name, id, member[id])
			case p.ReplicaGroupID != "" && p.ReplicaGroupID != g.ReplicaGroupID:
				return fmt.Errorf("emulator state: %s: pair %s names group %s", name, id, p.ReplicaGroupID)
			case p.SourceRegionID != g.SourceRegionID || p.SourceZoneID != g.SourceZoneID ||
				p.DestinationRegionID != g.DestinationRegionID || p.DestinationZoneID != g.DestinationZoneID:
				return fmt.Errorf("emulator state: %s: pair %s replicates in another direction than the group", name, id)
			}
			member[id] = g.ReplicaGroupID
			p.ReplicaGroupID = g.ReplicaGroupID
		}
	}
	for _, p := range pairs {
		if p.ReplicaGroupID != "" && member[p.ReplicaPairID] != p.ReplicaGroupID {
			return fmt.Errorf("emulator state: pair %s: replicaGroupId %s is not a group listing it", p.ReplicaPairID, p.ReplicaGroupID)
		}
	}
	return nil
}

func (s *Server) addGroup(g *groupRec) {
	s.groups[g.ReplicaGroupID] = g
	s.groupOrder = append(s.groupOrder, g)
}

func (s *Server) removeGroup(g *groupRec) {
	delete(s.groups, g.ReplicaGroupID)
	if i := slices.Index(s.groupOrder, g); i >= 0 {
		s.groupOrder = slices.Delete(s.groupOrder, i, i+1)
	}
}

func (s *Server) newGroupID() string {
	for {
		if id := s.randomID("pg-", 17); s.groups[id] == nil {
			return id
		}
	}
}

// setGroupStatus gives a group and every pair in it a status as of now: a group's pairs are
// started and stopped with it. The transient statuses settle as a pair's do.
func (s *Server) setGroupStatus(g *groupRec, status string, now time.Time) {
	g.Status = status
	g.settleAt, g.settleTo = settling(status, now)
	for _, id := range g.PairIDs {
		if p := s.pairs[id]; p != nil {
			p.setStatus(status, now)
		}
	}
}

func (s *Server) settleGroup(g *groupRec, now time.Time) {
	if !g.settleAt.IsZero() && !now.Before(g.settleAt) {
		g.Status, g.settleAt, g.settleTo = g.settleTo, time.Time{}, ""
	}
}

func groupNotFound(id, region string) *apiError {
	return notFound("NoSuchResource", "The specified resource does not exist: replica group %s in %s.", id, region)
}

func groupStatusDenied(g *groupRec, op string) *apiError {
	return forbidden("OperationDenied.InvalidStatus", "The replica group %s is %s; %s is not allowed in this status.", g.ReplicaGroupID, g.Status, op)
}

// groupedPairDenied refuses a pair action on a pair that is in a group: its group starts and
// stops it.
func groupedPairDenied(p *pairRec, op string) *apiError {
	return forbidden("OperationDenied", "The replica pair %s is in replica group %s; %s is not allowed on a pair of a group (use the group's action).",
		p.ReplicaPairID, p.ReplicaGroupID, op)
}

// findGroup finds a group whose primary site is in the call's region.
func (s *Server) findGroup(c *call) (*groupRec, *apiError) {
	id := c.p.get("ReplicaGroupId")
	g := s.groups[id]
	if g == nil || g.SourceRegionID != c.region {
		return nil, groupNotFound(id, c.region)
	}
	s.settleGroup(g, c.now)
	return g, nil
}

// ebsCreateGroup is CreateDiskReplicaGroup: RegionId is the primary site's region. A new group
// is created at once and empty.
func (s *Server) ebsCreateGroup(c *call) (map[string]any, *apiError) {
	if aerr := c.p.require("RegionId", "SourceZoneId", "DestinationRegionId", "DestinationZoneId"); aerr != nil {
		return nil, aerr
	}
	for _, n := range []string{"DestinationUid", "DestinationCloudId"} {
		if c.p.present(n) {
			return nil, invalidParam(n, "cross-account and cross-cloud groups are not supported by the emulator")
		}
	}
	src, dst := c.p.get("SourceZoneId"), c.p.get("DestinationZoneId")
	dstRegion := c.p.get("DestinationRegionId")
	if aerr := s.checkRegion("RegionId", c.region); aerr != nil {
		return nil, aerr
	}
	if aerr := s.checkRegion("DestinationRegionId", dstRegion); aerr != nil {
		return nil, aerr
	}
	if !zoneInRegion(src, c.region) {
		return nil, invalidParam("SourceZoneId", "%q is not a zone of %s", src, c.region)
	}
	if !zoneInRegion(dst, dstRegion) {
		return nil, invalidParam("DestinationZoneId", "%q is not a zone of %s", dst, dstRegion)
	}
	if src == dst {
		return nil, forbidden("OperationDenied", "The primary and secondary site are the same zone %s.", src)
	}
	if c.p.present("RPO") && c.p.get("RPO") != "900" {
		return nil, invalidParam("RPO", "%q; only 900 seconds is supported", c.p.get("RPO"))
	}
	bandwidth := 0
	if c.p.present("Bandwidth") {
		if !groupBandwidths.has(c.p.get("Bandwidth")) {
			return nil, invalidParam("Bandwidth", "%q is not 10240, 20480, 51200 or 102400", c.p.get("Bandwidth"))
		}
		bandwidth, _ = strconv.Atoi(c.p.get("Bandwidth"))
	}
	name, desc := c.p.get("GroupName"), c.p.get("Description")
	if name != "" && !validName(name) {
		return nil, invalidParam("GroupName", "2-128 characters, starting with a letter, then letters, digits, '.', ':', '_' or '-'")
	}
	if desc != "" && !validDescription(desc) {
		return nil, invalidParam("Description", "2-256 characters, not starting with http:// or https://")
	}
	tags, aerr := c.p.tagsToWrite()
	if aerr != nil {
		return nil, aerr
	}
	g := &groupRec{Group: Group{ReplicaGroupID: s.newGroupID(), GroupName: name, Description: desc,
		SourceRegionID: c.region, SourceZoneID: src, DestinationRegionID: dstRegion, DestinationZoneID: dst,
		Status: "created", RPO: 900, Bandwidth: bandwidth, PairIDs: []string{}, Tags: tagMap(tags)}}
	if g.GroupName == "" {
		g.GroupName = g.ReplicaGroupID
	}
	s.addGroup(g)
	return map[string]any{"ReplicaGroupId": g.ReplicaGroupID}, nil
}

// ebsAddPair is AddDiskReplicaPair: same direction, group and pair created or stopped, at most
// MaxGroupPairs pairs; the group's RPO replaces the pair's.
func (s *Server) ebsAddPair(c *call) (map[string]any, *apiError) {
	if aerr := c.p.require("RegionId", "ReplicaGroupId", "ReplicaPairId"); aerr != nil {
		return nil, aerr
	}
	g, aerr := s.findGroup(c)
	if aerr != nil {
		return nil, aerr
	}
	p, aerr := s.findPair(c, pairFamily{}, c.p.get("ReplicaPairId"), false)
	if aerr != nil {
		return nil, aerr
	}
	switch {
	case p.ReplicaGroupID != "":
		return nil, forbidden("OperationDenied", "The replica pair %s is already in replica group %s.", p.ReplicaPairID, p.ReplicaGroupID)
	case p.SourceRegionID != g.SourceRegionID || p.SourceZoneID != g.SourceZoneID ||
		p.DestinationRegionID != g.DestinationRegionID || p.DestinationZoneID != g.DestinationZoneID:
		return nil, forbidden("OperationDenied",
			"The replica pair %s (%s -> %s) does not replicate in the direction of replica group %s (%s -> %s).",
			p.ReplicaPairID, join(p.SourceRegionID, p.SourceZoneID), join(p.DestinationRegionID, p.DestinationZoneID),
			g.ReplicaGroupID, join(g.SourceRegionID, g.SourceZoneID), join(g.DestinationRegionID, g.DestinationZoneID))
	case !groupAddable.has(g.Status):
		return nil, groupStatusDenied(g, "AddDiskReplicaPair")
	case !groupAddable.has(p.Status):
		return nil, pairStatusDenied(p, "AddDiskReplicaPair")
	case len(g.PairIDs) >= MaxGroupPairs:
		return nil, forbidden("OperationDenied", "The replica group %s holds %d replica pairs already; at most %d are allowed.",
			g.ReplicaGroupID, len(g.PairIDs), MaxGroupPairs)
	}
	g.PairIDs = append(g.PairIDs, p.ReplicaPairID)
	p.ReplicaGroupID, p.RPO = g.ReplicaGroupID, g.RPO
	return map[string]any{}, nil
}

// ebsRemovePair is RemoveDiskReplicaPair: the group must be created, stopped or invalid; the
// pair leaves the group and is not deleted.
func (s *Server) ebsRemovePair(c *call) (map[string]any, *apiError) {
	if aerr := c.p.require("RegionId", "ReplicaGroupId", "ReplicaPairId"); aerr != nil {
		return nil, aerr
	}
	g, aerr := s.findGroup(c)
	if aerr != nil {
		return nil, aerr
	}
	id := c.p.get("ReplicaPairId")
	i := slices.Index(g.PairIDs, id)
	if i < 0 {
		return nil, notFound("NoSuchResource", "The specified resource does not exist: replica pair %s in replica group %s.", id, g.ReplicaGroupID)
	}
	if !groupRemovable.has(g.Status) {
		return nil, groupStatusDenied(g, "RemoveDiskReplicaPair")
	}
	g.PairIDs = slices.Delete(g.PairIDs, i, i+1)
	if p := s.pairs[id]; p != nil {
		p.ReplicaGroupID = ""
	}
	return map[string]any{}, nil
}

// ebsStartGroup is StartDiskReplicaGroup: every pair of the group starts with it. From created
// or stopped the group (and its pairs) goes initial_syncing, then normal; a group already
// syncing or normal stays so. OneShot=true: created, manual_syncing or stopped -> manual_syncing.
func (s *Server) ebsStartGroup(c *call) (map[string]any, *apiError) {
	if aerr := c.p.require("RegionId", "ReplicaGroupId"); aerr != nil {
		return nil, aerr
	}
	oneShot, aerr := c.p.boolParam("OneShot")
	if aerr != nil {
		return nil, aerr
	}
	g, aerr := s.findGroup(c)
	if aerr != nil {
		return nil, aerr
	}
	allowed, to := groupStartable, "initial_syncing"
	if oneShot {
		allowed, to = groupOneShot, "manual_syncing"
	}
	if !allowed.has(g.Status) {
		return nil, groupStatusDenied(g, "StartDiskReplicaGroup")
	}
	if g.Status == "syncing" || g.Status == "normal" {
		return map[string]any{}, nil
	}
	for _, id := range g.PairIDs {
		p := s.pairs[id]
		if p == nil {
			continue
		}
		if dst := s.disks[p.DestinationDiskID]; dst != nil && (dst.InstanceID != "" || dst.Status == "In_use") {
			return nil, standbyAttached(dst)
		}
	}
	s.setGroupStatus(g, to, c.now)
	return map[string]any{}, nil
}

// ebsStopGroup is StopDiskReplicaGroup: the group and its pairs are stopped at once.
func (s *Server) ebsStopGroup(c *call) (map[string]any, *apiError) {
	if aerr := c.p.require("RegionId", "ReplicaGroupId"); aerr != nil {
		return nil, aerr
	}
	g, aerr := s.findGroup(c)
	if aerr != nil {
		return nil, aerr
	}
	if !groupStoppable.has(g.Status) {
		return nil, groupStatusDenied(g, "StopDiskReplicaGroup")
	}
	s.setGroupStatus(g, "stopped", c.now)
	return map[string]any{}, nil
}

// ebsDeleteGroup is DeleteDiskReplicaGroup: only an empty group, in one of the documented
// statuses, is deleted.
func (s *Server) ebsDeleteGroup(c *call) (map[string]any, *apiError) {
	if aerr := c.p.require("RegionId", "ReplicaGroupId"); aerr != nil {
		return nil, aerr
	}
	g, aerr := s.findGroup(c)
	if aerr != nil {
		return nil, aerr
	}
	if len(g.PairIDs) > 0 {
		return nil, forbidden("OperationDenied", "The replica group %s still holds replica pairs %s; remove them first.",
			g.ReplicaGroupID, strings.Join(g.PairIDs, ","))
	}
	if !groupDeletable.has(g.Status) {
		return nil, groupStatusDenied(g, "DeleteDiskReplicaGroup")
	}
	s.removeGroup(g)
	return map[string]any{}, nil
}

// groupRecord is a group as DescribeDiskReplicaGroups answers it.
type groupRecord struct {
	ReplicaGroupID      string    `json:"ReplicaGroupId"`
	GroupName           string    `json:"GroupName"`
	Description         string    `json:"Description"`
	Status              string    `json:"Status"`
	SourceRegionID      string    `json:"SourceRegionId"`
	SourceZoneID        string    `json:"SourceZoneId"`
	DestinationRegionID string    `json:"DestinationRegionId"`
	DestinationZoneID   string    `json:"DestinationZoneId"`
	PrimaryRegion       string    `json:"PrimaryRegion"`
	PrimaryZone         string    `json:"PrimaryZone"`
	StandbyRegion       string    `json:"StandbyRegion"`
	StandbyZone         string    `json:"StandbyZone"`
	RPO                 int       `json:"RPO"`
	Bandwidth           int       `json:"Bandwidth"`
	Site                string    `json:"Site"`
	PairNumber          int       `json:"PairNumber"`
	PairIDs             []string  `json:"PairIds"`
	LastRecoverPoint    int64     `json:"LastRecoverPoint"`
	Tags                []tagJSON `json:"Tags"`
}

// ebsDescribeGroups is DescribeDiskReplicaGroups: GroupIds (a comma list of at most 100), Site
// production (default: the primary site in RegionId) or backup, Tag.N, and either paging style.
func (s *Server) ebsDescribeGroups(c *call) (map[string]any, *apiError) {
	if aerr := c.p.require("RegionId"); aerr != nil {
		return nil, aerr
	}
	if aerr := s.checkRegion("RegionId", c.region); aerr != nil {
		return nil, aerr
	}
	var ids map[string]bool
	if c.p.present("GroupIds") {
		ids = map[string]bool{}
		for _, id := range strings.Split(c.p.get("GroupIds"), ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids[id] = true
			}
		}
		if len(ids) > 100 {
			return nil, invalidParam("GroupIds", "%d IDs; at most 100 are allowed", len(ids))
		}
	}
	site, aerr := siteParam(c.p, "production")
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := c.p.tags("Tag", 20)
	if aerr != nil {
		return nil, aerr
	}
	var list []*groupRec
	for _, g := range s.groupOrder {
		region := g.SourceRegionID
		if site == "backup" {
			region = g.DestinationRegionID
		}
		if region != c.region || ids != nil && !ids[g.ReplicaGroupID] || !hasTags(g.Tags, tags) {
			continue
		}
		s.settleGroup(g, c.now)
		list = append(list, g)
	}
	pg, aerr := paginate(c.p, len(list), pairPagingLimits)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]groupRecord, 0, pg.end-pg.start)
	for _, g := range list[pg.start:pg.end] {
		out = append(out, groupRecord{
			ReplicaGroupID: g.ReplicaGroupID, GroupName: g.GroupName, Description: g.Description, Status: g.Status,
			SourceRegionID: g.SourceRegionID, SourceZoneID: g.SourceZoneID,
			DestinationRegionID: g.DestinationRegionID, DestinationZoneID: g.DestinationZoneID,
			PrimaryRegion: g.SourceRegionID, PrimaryZone: g.SourceZoneID,
			StandbyRegion: g.DestinationRegionID, StandbyZone: g.DestinationZoneID,
			RPO: g.RPO, Bandwidth: g.Bandwidth, Site: site, PairNumber: len(g.PairIDs),
			PairIDs: slices.Clone(g.PairIDs), Tags: tagList(g.Tags),
		})
	}
	return map[string]any{"ReplicaGroups": out, "TotalCount": len(list), "PageNumber": pg.number,
		"PageSize": pg.size, "NextToken": pg.nextToken}, nil
}
