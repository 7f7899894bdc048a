package handler

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/config"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
	"github.com/absr-autopair/absr-autopair/internal/pairing/fakecloud"
)

// listingRefused refuses, for good, to list the disks of one region.
type listingRefused struct {
	*fakecloud.Cloud
	region string
}

func (a listingRefused) DisksByTag(ctx context.Context, region, key, value string, fn func([]cloud.Disk) error) error {
	if region == a.region {
		return &cloud.Error{Action: "ecs:DescribeDisks", Kind: cloud.KindDenied, Code: "Forbidden.RAM", Message: "no permission", HTTPStatus: 403}
	}
	return a.Cloud.DisksByTag(ctx, region, key, value, fn)
}

// A sweep whose one region cannot be listed (not retryable) while another region has a disk that
// failed retryably: the error still says retryable, as the report does.
func TestSweepErrorWithRetryableDisks(t *testing.T) {
	t.Parallel()
	c := fakecloud.New()
	c.AddDisk(cloud.Disk{ID: "d-p", RegionID: "cn-hangzhou", ZoneID: "cn-hangzhou-h", Category: "cloud_essd",
		PerformanceLevel: "PL1", Size: 100, Status: "In_use", InstanceID: "i-1",
		Tags: map[string]string{"dr": "enabled", pairing.TagSecondaryDisk: "d-s"}})
	c.AddDisk(cloud.Disk{ID: "d-s", RegionID: "cn-shanghai", ZoneID: "cn-shanghai-b", Category: "cloud_essd",
		PerformanceLevel: "PL1", Size: 100, Status: "Available"})
	c.Fail(fakecloud.CreatePair, &cloud.Error{Kind: cloud.KindThrottled, Code: "Throttling.User", Retryable: true, HTTPStatus: 400}, -1)

	cfg := config.Config{Pairing: pairing.DefaultOptions(), SourceRegions: []string{"cn-hangzhou", "cn-beijing"}}
	cfg.Pairing.Routes = map[string]pairing.Route{"cn-hangzhou": {Region: "cn-shanghai"}}
	h, closePool, err := Setup(cfg, cloud.Credentials{AccessKeyID: "ak-test", AccessKeySecret: "secret-test"},
		slog.New(slog.NewJSONHandler(io.Discard, nil)), "cn-hangzhou")
	if err != nil {
		t.Fatal(err)
	}
	defer closePool()
	h.wrapAPI = func(cloud.API) cloud.API { return listingRefused{c, "cn-beijing"} }

	report, err := h.Handle(context.Background(), Invocation{RequestID: "t"}, []byte(`{"triggerTime":"2026-01-01T00:00:00Z","triggerName":"reconcile","payload":""}`))
	if report == nil || report.Retryable() != 1 {
		t.Fatalf("report %+v, want one retryable failure", report)
	}
	if !errors.Is(err, ErrRetryable) {
		t.Errorf("error %v, want one wrapping ErrRetryable", err)
	}
}
