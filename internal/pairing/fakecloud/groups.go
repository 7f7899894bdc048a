package fakecloud

import (
	"context"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// The fake models single pairs only: replica groups are tested against the emulator (through
// the real SDK adapter). Every group call answers as the legacy family does, unsupported.

func groupsUnsupported(action string) error {
	return &cloud.Error{Action: "ebs:" + action, Kind: cloud.KindUnsupported,
		Message: "fakecloud has no replica groups"}
}

func (c *Cloud) ListGroups(context.Context, string) ([]cloud.Group, error) {
	return nil, groupsUnsupported("DescribeDiskReplicaGroups")
}

func (c *Cloud) GroupsByID(context.Context, string, []string) ([]cloud.Group, error) {
	return nil, groupsUnsupported("DescribeDiskReplicaGroups")
}

func (c *Cloud) CreateGroup(context.Context, cloud.CreateGroupInput) (string, error) {
	return "", groupsUnsupported("CreateDiskReplicaGroup")
}

func (c *Cloud) AddPairToGroup(context.Context, string, string, string, string) error {
	return groupsUnsupported("AddDiskReplicaPair")
}

func (c *Cloud) StartGroup(context.Context, string, string, string) error {
	return groupsUnsupported("StartDiskReplicaGroup")
}

func (c *Cloud) StopGroup(context.Context, string, string, string) error {
	return groupsUnsupported("StopDiskReplicaGroup")
}
