package alibaba

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/valid"
)

// Limits of the ECS 2014-05-26 API.
const (
	describeDisksMaxIDs     = 100 // DiskIds per DescribeDisks call
	describeDisksMaxResults = 100 // MaxResults per DescribeDisks page
	tagResourcesMaxIDs      = 50  // ResourceId.N per TagResources call
	tagResourcesMaxTags     = 20  // Tag.N per TagResources call
	clientTokenMaxLen       = 64
)

var (
	opDescribeDisks = operation{family: "ecs", name: "DescribeDisks", repeatable: true}
	opCreateDisk    = operation{family: "ecs", name: "CreateDisk"}
	opTagResources  = operation{family: "ecs", name: "TagResources", repeatable: true}
)

func (c *client) DescribeDisks(ctx context.Context, region string, ids []string) ([]cloud.Disk, error) {
	ids = uniqueIDs(ids)
	var out []cloud.Disk
	for start := 0; start < len(ids); start += describeDisksMaxIDs {
		batch, _ := json.Marshal(ids[start:min(start+describeDisksMaxIDs, len(ids))]) // a []string cannot fail to marshal
		err := c.describeDisks(ctx, region, func(r *ecs.DescribeDisksRequest) { r.DiskIds = string(batch) },
			func(page []cloud.Disk) error { out = append(out, page...); return nil })
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *client) InstanceDisks(ctx context.Context, region, instanceID string) ([]cloud.Disk, error) {
	if strings.TrimSpace(instanceID) == "" {
		return nil, inputError(opDescribeDisks.action(), "instance ID is empty")
	}
	var out []cloud.Disk
	err := c.describeDisks(ctx, region, func(r *ecs.DescribeDisksRequest) { r.InstanceId = instanceID },
		func(page []cloud.Disk) error { out = append(out, page...); return nil })
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *client) DisksByTag(ctx context.Context, region, key, value string, fn func([]cloud.Disk) error) error {
	if key == "" {
		return inputError(opDescribeDisks.action(), "tag key is empty")
	}
	if fn == nil {
		return inputError(opDescribeDisks.action(), "no page callback")
	}
	tag := []ecs.DescribeDisksTag{{Key: key, Value: value}}
	return c.describeDisks(ctx, region, func(r *ecs.DescribeDisksRequest) { r.Tag = &tag }, fn)
}

// describeDisks pages through DescribeDisks with MaxResults/NextToken, calling fn with every
// non-empty page. filter sets the selection on each page's request.
func (c *client) describeDisks(ctx context.Context, region string, filter func(*ecs.DescribeDisksRequest), fn func([]cloud.Disk) error) error {
	return eachPage(opDescribeDisks.action(), func(token string) (string, string, error) {
		resp, err := invoke(ctx, c, opDescribeDisks, region, func() requests.AcsRequest {
			r := ecs.CreateDescribeDisksRequest()
			r.RegionId = region
			r.MaxResults = requests.NewInteger(describeDisksMaxResults)
			r.NextToken = token
			filter(r)
			return r
		}, ecs.CreateDescribeDisksResponse, func(r *ecs.DescribeDisksResponse) string { return r.RequestId })
		if err != nil {
			return "", "", err
		}
		if len(resp.Disks.Disk) > 0 {
			page := make([]cloud.Disk, 0, len(resp.Disks.Disk))
			for _, d := range resp.Disks.Disk {
				page = append(page, diskFromECS(d))
			}
			if err := fn(page); err != nil {
				return "", "", err
			}
		}
		return resp.NextToken, resp.RequestId, nil
	})
}

func diskFromECS(d ecs.Disk) cloud.Disk {
	out := cloud.Disk{
		ID:               d.DiskId,
		Name:             d.DiskName,
		RegionID:         d.RegionId,
		ZoneID:           d.ZoneId,
		Category:         d.Category,
		PerformanceLevel: d.PerformanceLevel,
		Size:             d.Size,
		Type:             d.Type,
		Status:           d.Status,
		InstanceID:       d.InstanceId,
		Encrypted:        d.Encrypted,
		ChargeType:       d.DiskChargeType,
	}
	if len(d.Tags.Tag) > 0 {
		out.Tags = make(map[string]string, len(d.Tags.Tag))
		for _, t := range d.Tags.Tag {
			// The V1 SDK fills TagKey/TagValue; Key/Value only as a fallback.
			k, v := t.TagKey, t.TagValue
			if k == "" {
				k, v = t.Key, t.Value
			}
			if k != "" {
				out.Tags[k] = v
			}
		}
	}
	return out
}

func (c *client) CreateDisk(ctx context.Context, in cloud.CreateDiskInput) (string, error) {
	op := opCreateDisk
	op.repeatable = in.ClientToken != ""
	action := op.action()
	switch {
	case in.ZoneID == "":
		return "", inputError(action, "zone ID is empty")
	case in.Category == "":
		return "", inputError(action, "disk category is empty")
	case in.Size <= 0:
		return "", inputError(action, "disk size %d GiB is not positive", in.Size)
	}
	if e := checkClientToken(action, in.ClientToken); e != nil {
		return "", e
	}
	keys, e := checkTags(action, in.Tags)
	if e != nil {
		return "", e
	}
	resp, err := invoke(ctx, c, op, in.RegionID, func() requests.AcsRequest {
		r := ecs.CreateCreateDiskRequest()
		r.RegionId = in.RegionID
		r.ZoneId = in.ZoneID
		r.DiskCategory = in.Category
		r.PerformanceLevel = in.PerformanceLevel
		r.Size = requests.NewInteger(in.Size)
		r.DiskName = in.Name
		r.Description = in.Description
		r.ClientToken = in.ClientToken
		if len(keys) > 0 {
			tags := make([]ecs.CreateDiskTag, 0, len(keys))
			for _, k := range keys {
				tags = append(tags, ecs.CreateDiskTag{Key: k, Value: in.Tags[k]})
			}
			r.Tag = &tags
		}
		return r
	}, ecs.CreateCreateDiskResponse, func(r *ecs.CreateDiskResponse) string { return r.RequestId })
	if err != nil {
		return "", err
	}
	if resp.DiskId == "" {
		return "", missingField(action, "DiskId", resp.RequestId)
	}
	return resp.DiskId, nil
}

func (c *client) TagDisks(ctx context.Context, region string, ids []string, tags map[string]string) error {
	action := opTagResources.action()
	keys, e := checkTags(action, tags)
	switch {
	case e != nil:
		return e
	case len(keys) == 0:
		return inputError(action, "no tags to set")
	case len(keys) > tagResourcesMaxTags:
		return inputError(action, "%d tags: at most %d per call", len(keys), tagResourcesMaxTags)
	}
	list := make([]ecs.TagResourcesTag, 0, len(keys))
	for _, k := range keys {
		list = append(list, ecs.TagResourcesTag{Key: k, Value: tags[k]})
	}
	ids = uniqueIDs(ids)
	for start := 0; start < len(ids); start += tagResourcesMaxIDs {
		batch := ids[start:min(start+tagResourcesMaxIDs, len(ids))]
		_, err := invoke(ctx, c, opTagResources, region, func() requests.AcsRequest {
			// A fresh request per attempt; it may share the two lists, which the SDK only reads.
			r := ecs.CreateTagResourcesRequest()
			r.RegionId = region
			r.ResourceType = "disk"
			r.ResourceId = &batch
			r.Tag = &list
			return r
		}, ecs.CreateTagResourcesResponse, func(r *ecs.TagResourcesResponse) string { return r.RequestId })
		if err != nil {
			return err
		}
	}
	return nil
}

// uniqueIDs drops empty and repeated IDs, keeping the first occurrence's order.
func uniqueIDs(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out
}

// checkTags applies the ECS tag rules and returns the keys sorted, so requests are deterministic.
func checkTags(action string, tags map[string]string) ([]string, *cloud.Error) {
	keys := make([]string, 0, len(tags))
	for k, v := range tags {
		err := valid.TagKey(k)
		if err == nil {
			err = valid.TagValue(v)
		}
		if err != nil {
			return nil, inputError(action, "%v", err)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, nil
}

func checkClientToken(action, token string) *cloud.Error {
	if len(token) > clientTokenMaxLen {
		return inputError(action, "ClientToken is %d characters long: at most %d", len(token), clientTokenMaxLen)
	}
	for i := 0; i < len(token); i++ {
		if token[i] < 0x21 || token[i] > 0x7e {
			return inputError(action, "ClientToken must be printable ASCII without spaces")
		}
	}
	return nil
}
