package alibaba

import (
	"context"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ebs"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

const ebsDescribeGroupsMaxResults = 100

var (
	opEBSDescribeGroups = operation{family: "ebs", name: "DescribeDiskReplicaGroups", repeatable: true}
	opEBSCreateGroup    = operation{family: "ebs", name: "CreateDiskReplicaGroup"}
	opEBSAddPair        = operation{family: "ebs", name: "AddDiskReplicaPair"}
	opEBSStartGroup     = operation{family: "ebs", name: "StartDiskReplicaGroup"}
	opEBSStopGroup      = operation{family: "ebs", name: "StopDiskReplicaGroup"}
)

// groupsUnsupported is the legacy family's answer to every group call.
func groupsUnsupported(op operation) error {
	return &cloud.Error{Action: op.action(), Kind: cloud.KindUnsupported, Code: codeUnsupported,
		Message: "replica groups exist in the EBS 2021-07-30 API only (ABSR_API=ebs)"}
}

func (c *client) ListGroups(ctx context.Context, region string) ([]cloud.Group, error) {
	if c.legacy {
		return nil, groupsUnsupported(opEBSDescribeGroups)
	}
	return c.describeGroups(ctx, region, "")
}

func (c *client) GroupsByID(ctx context.Context, region string, ids []string) ([]cloud.Group, error) {
	if c.legacy {
		return nil, groupsUnsupported(opEBSDescribeGroups)
	}
	action := opEBSDescribeGroups.action()
	switch {
	case len(ids) == 0:
		return nil, nil // an empty GroupIds would list every group
	case len(ids) > cloud.MaxPairIDs:
		return nil, inputError(action, "%d group IDs; at most %d per request", len(ids), cloud.MaxPairIDs)
	}
	for _, id := range ids {
		if id == "" || strings.ContainsAny(id, ", ") {
			return nil, inputError(action, "group ID %q is empty or contains a comma or space", id)
		}
	}
	return c.describeGroups(ctx, region, strings.Join(ids, ","))
}

// describeGroups pages through DescribeDiskReplicaGroups for the primary site in region.
func (c *client) describeGroups(ctx context.Context, region, groupIDs string) ([]cloud.Group, error) {
	var out []cloud.Group
	seen := map[string]bool{}
	op := opEBSDescribeGroups
	err := eachPage(op.action(), func(token string) (string, string, error) {
		resp, err := invoke(ctx, c, op, region, func() requests.AcsRequest {
			r := ebs.CreateDescribeDiskReplicaGroupsRequest()
			r.RegionId = region
			r.Site = "production"
			r.GroupIds = groupIDs
			r.MaxResults = requests.NewInteger(ebsDescribeGroupsMaxResults)
			r.NextToken = token
			return r
		}, ebs.CreateDescribeDiskReplicaGroupsResponse, func(r *ebs.DescribeDiskReplicaGroupsResponse) string { return r.RequestId })
		if err != nil {
			return "", "", err
		}
		for _, g := range resp.ReplicaGroups {
			if g.ReplicaGroupId == "" || seen[g.ReplicaGroupId] {
				continue
			}
			seen[g.ReplicaGroupId] = true
			out = append(out, cloud.Group{ID: g.ReplicaGroupId, Name: g.GroupName, Status: g.Status,
				SourceRegionID: g.SourceRegionId, SourceZoneID: g.SourceZoneId,
				DestinationRegionID: g.DestinationRegionId, DestinationZoneID: g.DestinationZoneId,
				PairIDs: g.PairIds})
		}
		return resp.NextToken, resp.RequestId, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *client) CreateGroup(ctx context.Context, in cloud.CreateGroupInput) (string, error) {
	op := opEBSCreateGroup
	if c.legacy {
		return "", groupsUnsupported(op)
	}
	op.repeatable = in.ClientToken != ""
	action := op.action()
	if e := checkDirection(action, in.SourceZoneID, in.DestinationRegionID, in.DestinationZoneID); e != nil {
		return "", e
	}
	if in.RPO < 0 {
		return "", inputError(action, "RPO must not be negative")
	}
	if e := checkClientToken(action, in.ClientToken); e != nil {
		return "", e
	}
	resp, err := invoke(ctx, c, op, in.RegionID, func() requests.AcsRequest {
		r := ebs.CreateCreateDiskReplicaGroupRequest()
		r.RegionId = in.RegionID
		r.SourceZoneId = in.SourceZoneID
		r.DestinationRegionId = in.DestinationRegionID
		r.DestinationZoneId = in.DestinationZoneID
		r.GroupName = in.Name
		r.Description = in.Description
		r.ClientToken = in.ClientToken
		if in.RPO > 0 {
			r.RPO = requests.NewInteger(in.RPO)
		}
		return r
	}, ebs.CreateCreateDiskReplicaGroupResponse, func(r *ebs.CreateDiskReplicaGroupResponse) string { return r.RequestId })
	if err != nil {
		return "", err
	}
	if resp.ReplicaGroupId == "" {
		return "", missingField(action, "ReplicaGroupId", resp.RequestId)
	}
	return resp.ReplicaGroupId, nil
}

// groupCall sends one group action that names a group and may carry a ClientToken.
func groupCall[R responses.AcsResponse](ctx context.Context, c *client, op operation, region, groupID, clientToken string,
	build func() requests.AcsRequest, newResponse func() R, requestID func(R) string) error {
	if c.legacy {
		return groupsUnsupported(op)
	}
	op.repeatable = clientToken != ""
	action := op.action()
	if groupID == "" {
		return inputError(action, "replica group ID is empty")
	}
	if e := checkClientToken(action, clientToken); e != nil {
		return e
	}
	_, err := invoke(ctx, c, op, region, build, newResponse, requestID)
	return err
}

func (c *client) AddPairToGroup(ctx context.Context, region, groupID, pairID, clientToken string) error {
	if pairID == "" && !c.legacy {
		return inputError(opEBSAddPair.action(), "replica pair ID is empty")
	}
	return groupCall(ctx, c, opEBSAddPair, region, groupID, clientToken, func() requests.AcsRequest {
		r := ebs.CreateAddDiskReplicaPairRequest()
		r.RegionId, r.ReplicaGroupId, r.ReplicaPairId, r.ClientToken = region, groupID, pairID, clientToken
		return r
	}, ebs.CreateAddDiskReplicaPairResponse, func(r *ebs.AddDiskReplicaPairResponse) string { return r.RequestId })
}

func (c *client) StartGroup(ctx context.Context, region, groupID, clientToken string) error {
	return groupCall(ctx, c, opEBSStartGroup, region, groupID, clientToken, func() requests.AcsRequest {
		r := ebs.CreateStartDiskReplicaGroupRequest()
		r.RegionId, r.ReplicaGroupId, r.ClientToken = region, groupID, clientToken
		return r
	}, ebs.CreateStartDiskReplicaGroupResponse, func(r *ebs.StartDiskReplicaGroupResponse) string { return r.RequestId })
}

func (c *client) StopGroup(ctx context.Context, region, groupID, clientToken string) error {
	return groupCall(ctx, c, opEBSStopGroup, region, groupID, clientToken, func() requests.AcsRequest {
		r := ebs.CreateStopDiskReplicaGroupRequest()
		r.RegionId, r.ReplicaGroupId, r.ClientToken = region, groupID, clientToken
		return r
	}, ebs.CreateStopDiskReplicaGroupResponse, func(r *ebs.StopDiskReplicaGroupResponse) string { return r.RequestId })
}
