package emutest_test

import (
	"net"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

func TestBuildersMakeAValidWorld(t *testing.T) {
	primary := emutest.Disk("d-bp1p", "cn-hangzhou-h", emutest.OptIn(), emutest.Attached("i-bp1a"),
		emutest.Spec("cloud_essd", "PL2", 500), emutest.Named("db"), emutest.Encrypted())
	secondary := emutest.Secondary(primary, "d-uf6s", "cn-shanghai-b", emutest.BackRef(primary.DiskID))
	st := emutest.World(primary, secondary,
		emutest.Disk("d-bp1sys", "cn-hangzhou-h", emutest.System("i-bp1a")),
		emutest.Disk("d-bp1new", "cn-hangzhou-h", emutest.ReadyAfter(100), emutest.VisibleAfter(50), emutest.Status("Available")))
	st.Pairs = []emulator.Pair{emutest.LegacyPair("rp-1", primary, secondary, "active")}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	if secondary.RegionID != "cn-shanghai" || secondary.Size != 500 || secondary.PerformanceLevel != "PL2" ||
		secondary.Tags["dr:primary-disk"] != "d-bp1p" || secondary.Status != "Available" {
		t.Fatalf("secondary = %+v", secondary)
	}
	if primary.Status != "In_use" || primary.Tags["dr"] != "enabled" || !primary.Encrypted || primary.DiskName != "db" {
		t.Fatalf("primary = %+v", primary)
	}
	if st.Pairs[0].API != "ecs" || st.Pairs[0].DestinationRegionID != "cn-shanghai" {
		t.Fatalf("pair = %+v", st.Pairs[0])
	}
	for zone, region := range map[string]string{"cn-hangzhou-h": "cn-hangzhou", "ap-southeast-1a": "ap-southeast-1",
		"cn-hongkong-b": "cn-hongkong", "us-west-1b": "us-west-1", "cn-wulanchabu-a": "cn-wulanchabu"} {
		if got := emutest.RegionOf(zone); got != region {
			t.Errorf("RegionOf(%s) = %s, want %s", zone, got, region)
		}
		if err := emutest.World(emutest.Disk("d-x", zone)).Validate(); err != nil {
			t.Errorf("a disk in %s: %v", zone, err)
		}
	}
}

func TestStartServesAndCleansUp(t *testing.T) {
	var addr string
	t.Run("inner", func(t *testing.T) {
		srv := emutest.Start(t, nil)
		addr = srv.Addr()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.Close()
		if srv.URL() != "http://"+addr {
			t.Fatalf("URL %s, Addr %s", srv.URL(), addr)
		}
	})
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Fatal("the server outlived its test")
	}
}

// ChangingCalls counts what changes the world and not what only reads it.
func TestChangingCalls(t *testing.T) {
	srv := emutest.Start(t, emutest.World(emutest.Disk("d-bp1p", "cn-hangzhou-h")))
	c, err := ecs.NewClientWithOptions("cn-hangzhou", sdk.NewConfig(),
		credentials.NewStsTokenCredential(emutest.AccessKeyID, emutest.AccessKeySecret, emutest.SecurityToken))
	if err != nil {
		t.Fatal(err)
	}
	c.Domain = srv.Addr()
	describe := ecs.CreateDescribeDisksRequest()
	describe.RegionId = "cn-hangzhou"
	if _, err := c.DescribeDisks(describe); err != nil {
		t.Fatal(err)
	}
	if n := emutest.ChangingCalls(srv); n != 0 {
		t.Fatalf("%d changing calls after a DescribeDisks, want 0", n)
	}
	tag := ecs.CreateTagResourcesRequest()
	tag.RegionId, tag.ResourceType = "cn-hangzhou", "disk"
	tag.ResourceId = &[]string{"d-bp1p"}
	tag.Tag = &[]ecs.TagResourcesTag{{Key: "team", Value: "db"}}
	for range 2 {
		if _, err := c.TagResources(tag); err != nil {
			t.Fatal(err)
		}
	}
	if n := emutest.ChangingCalls(srv); n != 2 {
		t.Fatalf("%d changing calls after two TagResources, want 2", n)
	}
}
