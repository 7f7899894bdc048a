package emulator

import (
	"slices"
	"strings"
)

// ebsDescribeRegions is EBS DescribeRegions: the regions and zones where a feature is available.
// For ResourceType ear (async replication, the default) those are the zones of the state's disks
// that unsupportedZones does not name; the emulator knows of no zone for lens or dbsc.
func (s *Server) ebsDescribeRegions(c *call) (map[string]any, *apiError) {
	rt := c.p.get("ResourceType")
	switch rt {
	case "", "ear":
	case "lens", "dbsc":
		return map[string]any{"Regions": []any{}}, nil
	default:
		return nil, invalidParam("ResourceType", "%q is not ear, lens or dbsc", rt)
	}
	type zone struct {
		ZoneID        string   `json:"ZoneId"`
		LocalName     string   `json:"LocalName"`
		ResourceTypes []string `json:"ResourceTypes"`
	}
	type region struct {
		RegionID       string `json:"RegionId"`
		LocalName      string `json:"LocalName"`
		RegionEndpoint string `json:"RegionEndpoint"`
		Zones          []zone `json:"Zones"`
	}
	zones := map[string][]string{}
	for _, d := range s.diskOrder {
		if s.unsupportedZone(d.ZoneID) || slices.Contains(zones[d.RegionID], d.ZoneID) {
			continue
		}
		zones[d.RegionID] = append(zones[d.RegionID], d.ZoneID)
	}
	var ids []string
	for r := range zones {
		ids = append(ids, r)
	}
	slices.Sort(ids)
	out := []region{}
	for _, r := range ids {
		// RegionId is where the request is sent; the answer lists every region, as the service does.
		zs := zones[r]
		slices.Sort(zs)
		rec := region{RegionID: r, LocalName: r, RegionEndpoint: "ebs." + r + ".aliyuncs.com"}
		for _, z := range zs {
			rec.Zones = append(rec.Zones, zone{ZoneID: z, LocalName: strings.ToUpper(z), ResourceTypes: []string{"ear"}})
		}
		out = append(out, rec)
	}
	return map[string]any{"Regions": out}, nil
}
