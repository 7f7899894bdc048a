package cloudtest_test

import (
	"maps"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/cloud/alibaba"
	"github.com/absr-autopair/absr-autopair/internal/cloud/cloudtest"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/pairing/fakecloud"
)

// The reference: the SDK adapter, signing real requests to the emulator, in both API families.
func TestContractAdapterOverEmulator(t *testing.T) {
	for _, family := range []string{cloudtest.EBS, cloudtest.ECS} {
		t.Run(family, func(t *testing.T) {
			cloudtest.Run(t, family, func(t *testing.T, w cloudtest.World) cloud.API {
				srv := emutest.Start(t, emulatorState(family, w))
				o := alibaba.DefaultOptions()
				o.API, o.ECSEndpoint, o.EBSEndpoint, o.MaxQPS = family, srv.URL(), srv.URL(), 0
				o.Retry = alibaba.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}
				pool, err := alibaba.NewPool(o)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(pool.Close)
				return pool.Client(cloud.Credentials{AccessKeyID: emutest.AccessKeyID,
					AccessKeySecret: emutest.AccessKeySecret, SecurityToken: emutest.SecurityToken})
			})
		})
	}
}

// The in-memory fake the engine's fast tests use models the EBS family.
func TestContractFakecloud(t *testing.T) {
	cloudtest.Run(t, cloudtest.EBS, func(t *testing.T, w cloudtest.World) cloud.API {
		c := fakecloud.New()
		c.UnsupportedZones = w.UnsupportedZones
		for _, d := range w.Disks {
			c.AddDisk(d)
		}
		for _, p := range w.Pairs {
			c.AddPair(p)
		}
		return c
	})
}

func emulatorState(family string, w cloudtest.World) *emulator.State {
	st := emutest.World()
	st.UnsupportedZones = w.UnsupportedZones
	for _, d := range w.Disks {
		st.Disks = append(st.Disks, emulator.Disk{DiskID: d.ID, DiskName: d.Name, RegionID: d.RegionID, ZoneID: d.ZoneID,
			Category: d.Category, PerformanceLevel: d.PerformanceLevel, Size: d.Size, Type: d.Type, Status: d.Status,
			InstanceID: d.InstanceID, Encrypted: d.Encrypted, ChargeType: d.ChargeType, Tags: maps.Clone(d.Tags)})
	}
	for _, p := range w.Pairs {
		api := emulator.APIEBS
		if family == cloudtest.ECS {
			api = emulator.APILegacy
		}
		st.Pairs = append(st.Pairs, emulator.Pair{ReplicaPairID: p.ID, API: api, PairName: p.Name, Status: p.Status,
			SourceDiskID: p.SourceDiskID, SourceRegionID: p.SourceRegionID, SourceZoneID: p.SourceZoneID,
			DestinationDiskID: p.DestinationDiskID, DestinationRegionID: p.DestinationRegionID, DestinationZoneID: p.DestinationZoneID})
	}
	return st
}
