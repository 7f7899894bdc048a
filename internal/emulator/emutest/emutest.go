// Package emutest starts the emulator for tests and builds small test worlds.
//
//	primary := emutest.Disk("d-bp1primary", "cn-hangzhou-h", emutest.OptIn(), emutest.Attached("i-bp1a"))
//	secondary := emutest.Secondary(primary, "d-uf6secondary", "cn-shanghai-b", emutest.BackRef(primary.DiskID))
//	srv := emutest.Start(t, emutest.World(primary, secondary))
//	// point an SDK client at srv.Addr() with emutest.AccessKeyID / AccessKeySecret / SecurityToken
package emutest

import (
	"slices"
	"strings"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
)

// The credentials a World-built server accepts (the emulator's defaults).
const (
	AccessKeyID     = emulator.DefaultAccessKeyID
	AccessKeySecret = emulator.DefaultAccessKeySecret
	SecurityToken   = emulator.DefaultSecurityToken
)

// Start serves st (nil: an empty world) on 127.0.0.1:0 and closes the server when the test ends.
func Start(t testing.TB, st *emulator.State) *emulator.Server {
	t.Helper()
	srv, err := emulator.New(st)
	if err != nil {
		t.Fatalf("emutest: %v", err)
	}
	if _, err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("emutest: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("emutest: closing the emulator: %v", err)
		}
	})
	return srv
}

// World is a state holding these disks (add pairs with st.Pairs = append(...)).
func World(disks ...emulator.Disk) *emulator.State {
	return &emulator.State{AccountID: emulator.DefaultAccountID, Disks: disks}
}

// DiskOption adjusts a disk built by Disk or Secondary.
type DiskOption func(*emulator.Disk)

// Disk is an unattached, untagged cloud_essd PL1 100 GiB data disk in zone (its region is
// RegionOf(zone)).
func Disk(id, zone string, opts ...DiskOption) emulator.Disk {
	d := emulator.Disk{DiskID: id, RegionID: RegionOf(zone), ZoneID: zone, Category: "cloud_essd",
		PerformanceLevel: "PL1", Size: 100, Type: "data", Status: "Available"}
	for _, o := range opts {
		o(&d)
	}
	return d
}

// Secondary is an Available disk with primary's category, performance level and size.
func Secondary(primary emulator.Disk, id, zone string, opts ...DiskOption) emulator.Disk {
	d := Disk(id, zone, Spec(primary.Category, primary.PerformanceLevel, primary.Size))
	for _, o := range opts {
		o(&d)
	}
	return d
}

// RegionOf is the region of a zone ID: cn-hangzhou-h -> cn-hangzhou, ap-southeast-1a ->
// ap-southeast-1.
func RegionOf(zone string) string {
	if n := len(zone); n >= 2 && zone[n-1] >= 'a' && zone[n-1] <= 'z' && zone[n-2] >= '0' && zone[n-2] <= '9' {
		return zone[:n-1]
	}
	if i := strings.LastIndexByte(zone, '-'); i > 0 {
		return zone[:i]
	}
	return zone
}

// Spec sets category, performance level ("" for cloud_auto and the like) and size in GiB.
func Spec(category, performanceLevel string, sizeGiB int) DiskOption {
	return func(d *emulator.Disk) {
		d.Category, d.PerformanceLevel, d.Size = category, performanceLevel, sizeGiB
	}
}

// Attached attaches the disk to an instance (status In_use).
func Attached(instanceID string) DiskOption {
	return func(d *emulator.Disk) { d.InstanceID, d.Status = instanceID, "In_use" }
}

// System makes the disk the system disk of an instance.
func System(instanceID string) DiskOption {
	return func(d *emulator.Disk) { d.InstanceID, d.Status, d.Type = instanceID, "In_use", "system" }
}

// Tags adds tags given as key, value, key, value...
func Tags(kv ...string) DiskOption {
	return func(d *emulator.Disk) {
		if d.Tags == nil {
			d.Tags = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			d.Tags[kv[i]] = kv[i+1]
		}
	}
}

// OptIn tags the disk dr=enabled.
func OptIn() DiskOption { return Tags("dr", "enabled") }

// BackRef tags a secondary dr:primary-disk=<primaryID>.
func BackRef(primaryID string) DiskOption { return Tags("dr:primary-disk", primaryID) }

// Named sets the disk name.
func Named(name string) DiskOption { return func(d *emulator.Disk) { d.DiskName = name } }

// Status sets the settled status.
func Status(status string) DiskOption { return func(d *emulator.Disk) { d.Status = status } }

// Encrypted marks the disk encrypted.
func Encrypted() DiskOption { return func(d *emulator.Disk) { d.Encrypted = true } }

// ReadyAfter keeps the disk Creating for ms milliseconds after the server starts.
func ReadyAfter(ms int64) DiskOption { return func(d *emulator.Disk) { d.ReadyAfterMs = ms } }

// VisibleAfter hides the disk for ms milliseconds after the server starts.
func VisibleAfter(ms int64) DiskOption { return func(d *emulator.Disk) { d.VisibleAfterMs = ms } }

// Pair is an EBS replica pair between two disks of the world.
func Pair(id string, primary, secondary emulator.Disk, status string) emulator.Pair {
	return emulator.Pair{ReplicaPairID: id, SourceDiskID: primary.DiskID, SourceRegionID: primary.RegionID,
		SourceZoneID: primary.ZoneID, DestinationDiskID: secondary.DiskID, DestinationRegionID: secondary.RegionID,
		DestinationZoneID: secondary.ZoneID, Status: status}
}

// LegacyPair is a pair of the ECS 2014-05-26 family (status inactive, active, ...).
func LegacyPair(id string, primary, secondary emulator.Disk, status string) emulator.Pair {
	p := Pair(id, primary, secondary, status)
	p.API = emulator.APILegacy
	return p
}

// ChangingCalls is how many calls srv has answered that create, tag, pair or start something:
// CreateDisk, TagResources, both API families' CreateDiskReplicaPair and StartDiskReplicaPair, and
// the replica group actions that change something.
func ChangingCalls(srv *emulator.Server) int {
	n := 0
	for action, c := range srv.Calls().Calls {
		switch action {
		case "ecs/CreateDisk", "ecs/TagResources", "ebs/CreateDiskReplicaPair", "ebs/StartDiskReplicaPair",
			"ecs/CreateDiskReplicaPair", "ecs/StartDiskReplicaPair",
			"ebs/CreateDiskReplicaGroup", "ebs/AddDiskReplicaPair", "ebs/RemoveDiskReplicaPair",
			"ebs/StartDiskReplicaGroup", "ebs/StopDiskReplicaGroup", "ebs/DeleteDiskReplicaGroup":
			n += c
		}
	}
	return n
}

// Timeless is st without what moves with the clock alone: the delays still to run, which shrink,
// and the recovery points of normal pairs that do not pin theirs, which follow now (Unix
// seconds). Two snapshots of a world nothing has changed are equal once timeless, however far
// apart they were taken.
func Timeless(st emulator.State) emulator.State {
	st.Disks, st.Pairs = slices.Clone(st.Disks), slices.Clone(st.Pairs)
	for i := range st.Disks {
		st.Disks[i].VisibleAfterMs, st.Disks[i].ReadyAfterMs = 0, 0
	}
	for i, p := range st.Pairs {
		if p.Status == "normal" && !p.PinRecoveryPoint {
			st.Pairs[i].LastRecoverPoint = 0
		}
	}
	return st
}
