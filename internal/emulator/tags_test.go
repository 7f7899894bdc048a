package emulator_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

func tagReq(ids []string, kv ...string) *ecs.TagResourcesRequest {
	req := ecs.CreateTagResourcesRequest()
	req.RegionId, req.ResourceType, req.ResourceId = hz, "disk", &ids
	var tags []ecs.TagResourcesTag
	for i := 0; i+1 < len(kv); i += 2 {
		tags = append(tags, ecs.TagResourcesTag{Key: kv[i], Value: kv[i+1]})
	}
	req.Tag = &tags
	return req
}

func TestTagResourcesOverwritesAndUntagRemoves(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	c := newECS(t, srv, hz)
	_, err := c.TagResources(tagReq([]string{"d-bp1primary", "d-bp1auto"}, "dr:replica-pair", "pair-1", "dr", "paused", "empty", ""))
	must(t, err)
	got := describeIDs(t, c, hz, "d-bp1primary", "d-bp1auto")
	if tags := diskTags(got["d-bp1primary"]); tags["dr"] != "paused" || tags["dr:replica-pair"] != "pair-1" || tags["empty"] != "" || len(tags) != 3 {
		t.Fatalf("primary tags = %v", tags)
	}
	if tags := diskTags(got["d-bp1auto"]); tags["team"] != "db" || tags["dr"] != "paused" || len(tags) != 4 {
		t.Fatalf("auto tags = %v", tags)
	}

	un := ecs.CreateUntagResourcesRequest()
	un.RegionId, un.ResourceType, un.ResourceId = hz, "disk", &[]string{"d-bp1primary", "d-bp1auto"}
	un.TagKey = &[]string{"dr", "not-there"}
	_, err = c.UntagResources(un)
	must(t, err)
	got = describeIDs(t, c, hz, "d-bp1primary", "d-bp1auto")
	if tags := diskTags(got["d-bp1primary"]); len(tags) != 2 || tags["dr:replica-pair"] != "pair-1" {
		t.Fatalf("primary tags after untag = %v", tags)
	}
	// A fresh request: the SDK keeps a reused request's old parameters.
	un = ecs.CreateUntagResourcesRequest()
	un.RegionId, un.ResourceType, un.ResourceId = hz, "disk", &[]string{"d-bp1primary", "d-bp1auto"}
	un.All = requests.NewBoolean(true)
	_, err = c.UntagResources(un)
	must(t, err)
	if tags := diskTags(describeIDs(t, c, hz, "d-bp1auto")["d-bp1auto"]); len(tags) != 0 {
		t.Fatalf("All=true left %v", tags)
	}
	un = ecs.CreateUntagResourcesRequest()
	un.RegionId, un.ResourceType, un.ResourceId = hz, "disk", &[]string{"d-bp1nothere"}
	un.TagKey = &[]string{"x"}
	_, err = c.UntagResources(un)
	wantCode(t, err, 404, "InvalidResourceId.NotFound")
}

func TestTagResourcesRejections(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	c := newECS(t, srv, hz)
	fifty1 := make([]string, 51)
	for i := range fifty1 {
		fifty1[i] = "d-bp1primary"
	}
	var twentyOne []string
	for i := range 21 {
		twentyOne = append(twentyOne, fmt.Sprintf("k%d", i), "v")
	}
	var nineteen []string // d-bp1auto has 2 tags already
	for i := range 19 {
		nineteen = append(nineteen, fmt.Sprintf("k%d", i), "v")
	}
	cases := []struct {
		name   string
		req    *ecs.TagResourcesRequest
		status int
		code   string
	}{
		{"unknown disk fails all", tagReq([]string{"d-bp1primary", "d-bp1nothere"}, "x", "y"), 404, "InvalidResourceId.NotFound"},
		{"disk of another region", tagReq([]string{"d-uf6secondary"}, "x", "y"), 404, "InvalidResourceId.NotFound"},
		{"51 resources", tagReq(fifty1, "x", "y"), 400, "InvalidParameter"},
		{"21 tags", tagReq([]string{"d-bp1primary"}, twentyOne...), 400, "InvalidTagCount"},
		{"more than 20 on the disk", tagReq([]string{"d-bp1auto"}, nineteen...), 400, "InvalidTagCount"},
		{"key starting with aliyun", tagReq([]string{"d-bp1primary"}, "aliyun-owner", "x"), 400, "InvalidTagKey.Malformed"},
		{"key starting with acs:", tagReq([]string{"d-bp1primary"}, "acs:rm", "x"), 400, "InvalidTagKey.Malformed"},
		{"key with http://", tagReq([]string{"d-bp1primary"}, "see-http://x", "x"), 400, "InvalidTagKey.Malformed"},
		{"value with https://", tagReq([]string{"d-bp1primary"}, "k", "https://x"), 400, "InvalidTagValue.Malformed"},
		{"129-character key", tagReq([]string{"d-bp1primary"}, strings.Repeat("k", 129), "x"), 400, "InvalidTagKey.Malformed"},
		{"duplicate key", tagReq([]string{"d-bp1primary"}, "k", "1", "k", "2"), 400, "InvalidTagKey.Duplicated"},
		{"no tags", tagReq([]string{"d-bp1primary"}), 400, "MissingParameter"},
		{"no resources", tagReq(nil, "x", "y"), 400, "MissingParameter"},
	}
	instance := tagReq([]string{"i-bp1one"}, "x", "y")
	instance.ResourceType = "instance"
	cases = append(cases, struct {
		name   string
		req    *ecs.TagResourcesRequest
		status int
		code   string
	}{"instances are not modelled", instance, 400, "InvalidResourceType.NotFound"})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.TagResources(tc.req)
			wantCode(t, err, tc.status, tc.code)
		})
	}
	if tags := snapshotDisk(t, srv, "d-bp1primary").Tags; len(tags) != 1 || tags["dr"] != "enabled" {
		t.Fatalf("rejected requests changed tags: %v", tags)
	}
	if tags := snapshotDisk(t, srv, "d-bp1auto").Tags; len(tags) != 2 {
		t.Fatalf("rejected requests changed tags: %v", tags)
	}
}

func TestListTagResources(t *testing.T) {
	srv := emutest.Start(t, pagedWorld(60))
	c := newECS(t, srv, hz)
	list := func(edit func(r *ecs.ListTagResourcesRequest)) *ecs.ListTagResourcesResponse {
		req := ecs.CreateListTagResourcesRequest()
		req.RegionId, req.ResourceType = hz, "disk"
		edit(req)
		resp, err := c.ListTagResources(req)
		must(t, err)
		return resp
	}
	resp := list(func(r *ecs.ListTagResourcesRequest) {
		r.ResourceId = &[]string{"d-bp1page0002", "d-bp1page0001", "d-bp1nothere"}
	})
	if got := resp.TagResources.TagResource; len(got) != 1 || got[0] != (ecs.TagResource{ResourceId: "d-bp1page0002", ResourceType: "disk", TagKey: "dr", TagValue: "enabled"}) {
		t.Fatalf("by resource: %+v", got)
	}
	// 30 opted-in disks: 30 entries, in pages of 50 entries at most.
	var all []ecs.TagResource
	token := ""
	for range 5 {
		resp := list(func(r *ecs.ListTagResourcesRequest) {
			r.Tag, r.NextToken = &[]ecs.ListTagResourcesTag{{Key: "dr", Value: "enabled"}}, token
		})
		all = append(all, resp.TagResources.TagResource...)
		if token = resp.NextToken; token == "" {
			break
		}
	}
	if len(all) != 30 || all[29].ResourceId != "d-bp1page0058" {
		t.Fatalf("by tag: %d entries", len(all))
	}
	// Tag more so the listing needs two pages.
	for i := 0; i < 60; i += 2 {
		_, err := c.TagResources(tagReq([]string{fmt.Sprintf("d-bp1page%04d", i)}, "team", "db"))
		must(t, err)
	}
	first := list(func(r *ecs.ListTagResourcesRequest) { r.Tag = &[]ecs.ListTagResourcesTag{{Key: "dr"}} })
	if len(first.TagResources.TagResource) != 50 || first.NextToken == "" {
		t.Fatalf("first page: %d entries, token %q", len(first.TagResources.TagResource), first.NextToken)
	}
	second := list(func(r *ecs.ListTagResourcesRequest) {
		r.Tag, r.NextToken = &[]ecs.ListTagResourcesTag{{Key: "dr"}}, first.NextToken
	})
	if len(second.TagResources.TagResource) != 10 || second.NextToken != "" {
		t.Fatalf("second page: %d entries, token %q", len(second.TagResources.TagResource), second.NextToken)
	}
}
