package emulator_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ebs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

// bigWorld has n opted-in primaries in Hangzhou, each with a back-referenced secondary.
func bigWorld(n int) *emulator.State {
	disks := make([]emulator.Disk, 0, 2*n)
	for i := range n {
		p := emutest.Disk(fmt.Sprintf("d-bp1big%05d", i), hzZone, emutest.OptIn())
		disks = append(disks, p, emutest.Secondary(p, fmt.Sprintf("d-uf6big%05d", i), shZone, emutest.BackRef(p.DiskID)))
	}
	return emutest.World(disks...)
}

// 100 IDs out of 1,000 disks per call, through the SDK.
func BenchmarkDescribeDisks100IDsOf1000(b *testing.B) {
	srv := emutest.Start(b, bigWorld(500))
	c := newECS(b, srv, hz)
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprintf("d-bp1big%05d", i*5)
	}
	raw, _ := json.Marshal(ids)
	b.ResetTimer()
	for b.Loop() {
		req := ecs.CreateDescribeDisksRequest()
		req.RegionId, req.DiskIds, req.PageSize = hz, string(raw), requests.NewInteger(100)
		resp, err := c.DescribeDisks(req)
		if err != nil || len(resp.Disks.Disk) != 100 {
			b.Fatal(err)
		}
	}
}

// One reconcile-style sweep: every opted-in disk of 1,000, 100 per page (5 calls).
func BenchmarkSweepOptedInOf1000(b *testing.B) {
	srv := emutest.Start(b, bigWorld(500))
	c := newECS(b, srv, hz)
	b.ResetTimer()
	for b.Loop() {
		token, n := "", 0
		for {
			req := ecs.CreateDescribeDisksRequest()
			req.RegionId, req.MaxResults, req.NextToken = hz, requests.NewInteger(100), token
			req.Tag = &[]ecs.DescribeDisksTag{{Key: "dr", Value: "enabled"}}
			resp, err := c.DescribeDisks(req)
			if err != nil {
				b.Fatal(err)
			}
			n += len(resp.Disks.Disk)
			if token = resp.NextToken; token == "" {
				break
			}
		}
		if n != 500 {
			b.Fatalf("swept %d", n)
		}
	}
}

// Create and start one pair per iteration in a world of 1,000 disks.
func BenchmarkCreateAndStartPair(b *testing.B) {
	srv := emutest.Start(b, bigWorld(500))
	c := newEBS(b, srv, hz)
	i := 0
	for b.Loop() {
		if i == 500 {
			b.StopTimer()
			srv = emutest.Start(b, bigWorld(500))
			c = newEBS(b, srv, hz)
			i = 0
			b.StartTimer()
		}
		req := ebs.CreateCreateDiskReplicaPairRequest()
		req.RegionId, req.DiskId, req.SourceZoneId = hz, fmt.Sprintf("d-bp1big%05d", i), hzZone
		req.DestinationRegionId, req.DestinationZoneId, req.DestinationDiskId = sh, shZone, fmt.Sprintf("d-uf6big%05d", i)
		req.ClientToken = fmt.Sprintf("bench-%d", i)
		resp, err := c.CreateDiskReplicaPair(req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.StartDiskReplicaPair(startReq(resp.ReplicaPairId)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
