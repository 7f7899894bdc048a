package config

import (
	"strings"

	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// DefaultReplicaGroups: pairs stand alone unless the operator asks for groups.
const DefaultReplicaGroups = pairing.GroupsOff

// replicaGroups reads ABSR_REPLICA_GROUPS: off (default) or instance. Replica groups exist in
// the EBS API only, so instance with ABSR_API=ecs is an error.
func (r *reader) replicaGroups(api string) string {
	v, ok := r.get(EnvReplicaGroups)
	if !ok {
		return DefaultReplicaGroups
	}
	switch mode := strings.ToLower(v); mode {
	case pairing.GroupsOff:
		return mode
	case pairing.GroupsByInstance:
		if api == "ecs" {
			r.fail(EnvReplicaGroups, v, "replica groups exist in the EBS 2021-07-30 API only; set %s=ebs (the default) or %s=off", EnvAPI, EnvReplicaGroups)
			return DefaultReplicaGroups
		}
		return mode
	}
	r.fail(EnvReplicaGroups, v, "expected off or instance (one replica group per instance)")
	return DefaultReplicaGroups
}
