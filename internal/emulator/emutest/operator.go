package emutest

import (
	"sync"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ebs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
)

// What an operator does by hand, through the real SDK, to a world the function works on.

// clientBuild serializes building SDK clients: the SDK fills a package-level endpoint map
// lazily, without a lock, the first time a client is built.
var clientBuild sync.Mutex

// StopAndDeletePair stops pair pairID (its primary in region) and deletes it through the EBS
// API, as the documentation has an operator do.
func StopAndDeletePair(t testing.TB, srv *emulator.Server, region, pairID string) {
	t.Helper()
	clientBuild.Lock()
	c, err := ebs.NewClientWithOptions(region, sdk.NewConfig(), credentials.NewStsTokenCredential(AccessKeyID, AccessKeySecret, SecurityToken))
	clientBuild.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	c.Domain = srv.Addr()
	stop := ebs.CreateStopDiskReplicaPairRequest()
	stop.Scheme, stop.RegionId, stop.ReplicaPairId = "http", region, pairID
	if _, err := c.StopDiskReplicaPair(stop); err != nil {
		t.Fatalf("emutest: stopping %s: %v", pairID, err)
	}
	del := ebs.CreateDeleteDiskReplicaPairRequest()
	del.Scheme, del.RegionId, del.ReplicaPairId = "http", region, pairID
	if _, err := c.DeleteDiskReplicaPair(del); err != nil {
		t.Fatalf("emutest: deleting %s: %v", pairID, err)
	}
}

// DeleteDisk releases disk diskID in region through the ECS API.
func DeleteDisk(t testing.TB, srv *emulator.Server, region, diskID string) {
	t.Helper()
	clientBuild.Lock()
	c, err := ecs.NewClientWithOptions(region, sdk.NewConfig(), credentials.NewStsTokenCredential(AccessKeyID, AccessKeySecret, SecurityToken))
	clientBuild.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	c.Domain = srv.Addr()
	req := ecs.CreateDeleteDiskRequest()
	req.Scheme, req.RegionId, req.DiskId = "http", region, diskID
	if _, err := c.DeleteDisk(req); err != nil {
		t.Fatalf("emutest: deleting %s: %v", diskID, err)
	}
}
