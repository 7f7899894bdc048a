package emulator

import (
	"maps"
	"slices"
	"sort"
	"strings"
)

// maxTagsPerDisk is the ECS limit of user tags on one resource.
const maxTagsPerDisk = 20

// tagTargets checks RegionId, ResourceType (disk only) and ResourceId.N (1..50) and resolves the
// disks; with mustExist, an unknown disk fails the whole request. It also reports whether any
// ResourceId.N was given.
func (s *Server) tagTargets(c *call, mustExist bool) ([]*diskRec, bool, *apiError) {
	if aerr := c.p.require("RegionId", "ResourceType"); aerr != nil {
		return nil, false, aerr
	}
	if aerr := s.checkRegion("RegionId", c.region); aerr != nil {
		return nil, false, aerr
	}
	if rt := c.p.get("ResourceType"); !strings.EqualFold(rt, "disk") {
		return nil, false, badRequest("InvalidResourceType.NotFound",
			"The specified ResourceType %q is not supported by the emulator (it models disks only).", rt)
	}
	ids, aerr := c.p.list("ResourceId", 50, invalidParam("ResourceId.N", "at most 50 resource IDs"))
	if aerr != nil {
		return nil, false, aerr
	}
	if mustExist && len(ids) == 0 {
		return nil, false, missingParam("ResourceId.1")
	}
	var disks, missing = []*diskRec{}, []string{}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if d := s.lookupDisk(id, c.region, c.now); d != nil {
			disks = append(disks, d)
		} else {
			missing = append(missing, id)
		}
	}
	if mustExist && len(missing) > 0 {
		return nil, true, notFound("InvalidResourceId.NotFound", "The specified ResourceIds %s are not found in our records.", strings.Join(missing, ","))
	}
	return disks, len(ids) > 0, nil
}

// tagResources is ECS TagResources for disks: all or nothing, existing keys overwritten.
func (s *Server) tagResources(c *call) (map[string]any, *apiError) {
	disks, _, aerr := s.tagTargets(c, true)
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := c.p.tagsToWrite()
	if aerr != nil {
		return nil, aerr
	}
	if len(tags) == 0 {
		return nil, missingParam("Tag.1.Key")
	}
	for _, d := range disks {
		n := len(d.Tags)
		for _, t := range tags {
			if _, ok := d.Tags[t.Key]; !ok {
				n++
			}
		}
		if n > maxTagsPerDisk {
			return nil, badRequest("InvalidTagCount", "Disk %s would have %d tags; at most %d are allowed.", d.DiskID, n, maxTagsPerDisk)
		}
	}
	for _, d := range disks {
		if d.Tags == nil {
			d.Tags = map[string]string{}
		}
		for _, t := range tags {
			d.Tags[t.Key] = t.Value
		}
	}
	return map[string]any{}, nil
}

// untagResources is ECS UntagResources: TagKey.N removes those keys; All=true without TagKey.N
// removes every tag; neither removes nothing.
func (s *Server) untagResources(c *call) (map[string]any, *apiError) {
	disks, _, aerr := s.tagTargets(c, true)
	if aerr != nil {
		return nil, aerr
	}
	keys, aerr := c.p.list("TagKey", 20, badRequest("InvalidTagCount", "At most 20 TagKey.N are allowed."))
	if aerr != nil {
		return nil, aerr
	}
	all, aerr := c.p.boolParam("All")
	if aerr != nil {
		return nil, aerr
	}
	for _, d := range disks {
		switch {
		case len(keys) > 0:
			for _, k := range keys {
				delete(d.Tags, k)
			}
		case all:
			d.Tags = nil
		}
		if len(d.Tags) == 0 {
			d.Tags = nil
		}
	}
	return map[string]any{}, nil
}

const listTagPageSize = 50

// listTagResources is ECS ListTagResources for disks: one entry per disk and tag; ResourceId.N
// and Tag.N (a disk must carry all of them) narrow the disks; unknown IDs are left out.
func (s *Server) listTagResources(c *call) (map[string]any, *apiError) {
	disks, idsGiven, aerr := s.tagTargets(c, false)
	if aerr != nil {
		return nil, aerr
	}
	if c.p.present("TagFilter.1.TagKey") {
		return nil, invalidParam("TagFilter.N", "not supported by the emulator; use Tag.N")
	}
	filter, aerr := c.p.tags("Tag", 20)
	if aerr != nil {
		return nil, aerr
	}
	if !idsGiven {
		disks = s.regionDisks[c.region]
	} else {
		sort.Slice(disks, func(i, j int) bool { return disks[i].seq < disks[j].seq })
	}
	var entries []map[string]string
	for _, d := range disks {
		if !d.visible(c.now) || !hasTags(d.Tags, filter) {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(d.Tags)) {
			entries = append(entries, map[string]string{
				"ResourceId": d.DiskID, "ResourceType": "disk", "TagKey": k, "TagValue": d.Tags[k]})
		}
	}
	start, end, next, aerr := tokenWindow(c.p, len(entries), listTagPageSize)
	if aerr != nil {
		return nil, aerr
	}
	page := entries[start:end]
	if page == nil {
		page = []map[string]string{}
	}
	return map[string]any{"TagResources": map[string]any{"TagResource": page}, "NextToken": next}, nil
}
