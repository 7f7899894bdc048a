package alibaba

import (
	"context"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ebs"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

var opEBSDescribeRegions = operation{family: "ebs", name: "DescribeRegions", repeatable: true}

// ReplicationZones asks EBS DescribeRegions (ResourceType=ear) which zones support async
// replication, by region. The request is sent in region; the answer lists every region. The
// legacy family has no such call: KindUnsupported, nothing sent.
func (c *client) ReplicationZones(ctx context.Context, region string) (map[string][]string, error) {
	if c.legacy {
		return nil, &cloud.Error{Action: opEBSDescribeRegions.action(), Kind: cloud.KindUnsupported, Code: codeUnsupported,
			Message: "the 2014-05-26 API family does not list the zones that support async replication"}
	}
	resp, err := invoke(ctx, c, opEBSDescribeRegions, region, func() requests.AcsRequest {
		r := ebs.CreateDescribeRegionsRequest()
		r.RegionId = region
		r.ResourceType = "ear"
		return r
	}, ebs.CreateDescribeRegionsResponse, func(r *ebs.DescribeRegionsResponse) string { return r.RequestId })
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, r := range resp.Regions {
		for _, z := range r.Zones {
			if z.ZoneId != "" {
				out[r.RegionId] = append(out[r.RegionId], z.ZoneId)
			}
		}
	}
	return out, nil
}
