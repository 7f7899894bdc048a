package intake

import (
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/absr-autopair/absr-autopair/internal/valid"
)

// Event sources and the record types behind them.
const (
	sourceECS         = "acs.ecs"
	sourceTag         = "acs.tag"         // UNCONFIRMED: how Tag service records reach EventBridge
	sourceActionTrail = "acs.actiontrail" // ActionTrail's own source: every service, data.serviceName says which
	sourceConfig      = "acs.config"
	sourceResourceMgr = "acs.resourcemanager" // Config notifications of a multi-account aggregator

	typeDiskRef     = "acs::ecs::disk"
	typeInstanceRef = "acs::ecs::instance"
)

type service int

const (
	serviceNone service = iota
	serviceECS
	serviceTag
)

// add decodes one CloudEvent and records the targets or the reason it asks for nothing.
func (b *builder) add(env object) {
	ev := Event{ID: clip(env.str("id")), Source: clip(env.str("source")), Type: clip(env.str("type")), Time: clip(env.str("time"))}
	data, dataOK := env.obj("data")
	ev.Name = clip(data.str("eventName"))
	if ev.Name == "" {
		ev.Name = ev.Type[strings.LastIndexByte(ev.Type, ':')+1:]
	}
	b.events = append(b.events, ev)

	if ev.ID != "" {
		key := ev.Source + "\x00" + ev.ID
		if b.seenEvents[key] {
			b.ignore(ev, ReasonDuplicateEvent, "the same source and id appeared earlier in this payload")
			return
		}
		if b.seenEvents == nil {
			b.seenEvents = map[string]bool{}
		}
		b.seenEvents[key] = true
	}

	if (ev.Source == sourceConfig || ev.Source == sourceResourceMgr) &&
		strings.HasSuffix(ev.Type, ":Config:ConfigurationItemChangeNotification") {
		b.configChange(ev, env, data, dataOK)
		return
	}
	svc := serviceNone
	switch {
	case ev.Source == sourceECS && isActionTrailType(ev.Type):
		svc = serviceECS
	case ev.Source == sourceTag: // type UNCONFIRMED: the record's eventName and parameters decide
		svc = serviceTag
	case ev.Source == sourceActionTrail && isActionTrailType(ev.Type):
		switch strings.ToLower(data.str("serviceName")) {
		case "ecs":
			svc = serviceECS
		case "tag":
			svc = serviceTag
		default:
			b.ignore(ev, ReasonOtherSource, "an ActionTrail record of service "+sample([]string{data.str("serviceName")}))
			return
		}
	}
	switch {
	case svc != serviceNone:
		b.actionTrail(ev, env, data, dataOK, svc)
	case ev.Source == sourceECS || ev.Source == sourceConfig || ev.Source == sourceResourceMgr || ev.Source == sourceActionTrail:
		b.ignore(ev, ReasonUnsupportedType, "type "+sample([]string{ev.Type}))
	default:
		b.ignore(ev, ReasonOtherSource, "source "+sample([]string{ev.Source}))
	}
}

// isActionTrailType matches <product>:ActionTrail:ApiCall, ConsoleOperation and
// AliyunServiceEvent (calls made by Alibaba Cloud services, such as auto scaling).
func isActionTrailType(t string) bool {
	_, kind, ok := strings.Cut(t, ":ActionTrail:")
	return ok && (kind == "ApiCall" || kind == "ConsoleOperation" || kind == "AliyunServiceEvent")
}

// actionTrail handles one ActionTrail record of an ECS or Tag service call.
func (b *builder) actionTrail(ev Event, env, rec object, ok bool, svc service) {
	if !ok {
		b.ignore(ev, ReasonMalformed, "data is not an ActionTrail record (a JSON object)")
		return
	}
	if rec.str("eventName") == "" {
		b.ignore(ev, ReasonMalformed, "the ActionTrail record has no eventName")
		return
	}
	if code := rec.str("errorCode"); code != "" {
		b.ignore(ev, ReasonFailedCall, "the call failed with errorCode "+sample([]string{code}))
		return
	}
	params, _ := rec.obj("requestParameters")
	region := firstRegion(rec.str("acsRegion"), params.str("RegionId"), env.str("aliyunregionid"))

	// Disk IDs come from referencedResources first, for every event name: ActionTrail marks
	// requestParameters optional, and EventBridge's own sample record has none.
	refs := references(rec)
	tagging := ev.Name == "TagResources" || ev.Name == "AddTags" && svc == serviceECS
	switch {
	case tagging && len(refs[typeDiskRef]) > 0 && len(listParam(params, "ResourceARN")) == 0: // ARNs carry each disk's region
		b.emit(ev, region, refs[typeDiskRef], nil, tagParams(params), false, nil)
	case tagging && len(params) == 0:
		// Neither a referenced disk nor parameters: say what it does name, if anything.
		b.emit(ev, region, nil, nil, nil, false, otherRefs(refs))
	case ev.Name == "TagResources":
		b.tagResources(ev, region, params)
	case svc != serviceECS:
		b.ignore(ev, ReasonUnsupportedEvent, "eventName "+sample([]string{ev.Name}))
	case ev.Name == "CreateDisk":
		resp, _ := rec.obj("responseElements")
		disks := nonEmpty(append([]string{resp.str("DiskId")}, refs[typeDiskRef]...))
		b.emit(ev, region, disks, nil, flatTags(params), true, otherRefs(refs))
	case ev.Name == "RunInstances" || ev.Name == "CreateInstance" || ev.Name == "Create":
		resp, _ := rec.obj("responseElements")
		// What the call returned first (the instances it created), then what the record references.
		var instances []string
		if sets, ok := resp.raw("InstanceIdSets"); ok {
			if wrapped, isObj := asObject(sets); isObj {
				sets, _ = wrapped.raw("InstanceIdSet")
			}
			instances = stringList(sets)
		}
		instances = nonEmpty(append(append(instances, resp.str("InstanceId")), refs[typeInstanceRef]...))
		b.emit(ev, region, refs[typeDiskRef], instances, flatTags(params), true, otherRefs(refs))
	case ev.Name == "AddTags":
		if rt := params.str("ResourceType"); rt != "" && !strings.EqualFold(rt, "disk") {
			b.ignore(ev, ReasonNotADisk, "ResourceType "+sample([]string{rt}))
			return
		}
		ids, _ := params.raw("ResourceId")
		b.emit(ev, region, stringList(ids), nil, flatTags(params), false, nil)
	default:
		b.ignore(ev, ReasonUnsupportedEvent, "eventName "+sample([]string{ev.Name}))
	}
}

// tagResources handles ECS TagResources (ResourceType, ResourceId.N) and Tag service
// TagResources (ResourceARN.N, possibly of several regions). Whatever tags it sets, the disks
// are examined: the opt-in tag is configuration, and a tag such as dr:secondary-disk can
// unblock a disk that was already opted in. The re-read decides; TagHint tells what was set.
func (b *builder) tagResources(ev Event, region string, params object) {
	tags := tagParams(params)

	type group struct {
		region string
		ids    []string
	}
	var groups []group
	groupAt := map[string]int{}
	addTo := func(r, id string) {
		if i, ok := groupAt[r]; ok {
			groups[i].ids = append(groups[i].ids, id)
			return
		}
		groupAt[r] = len(groups)
		groups = append(groups, group{region: r, ids: []string{id}})
	}
	var notDisk, bad []string

	ids := listParam(params, "ResourceId")
	if rt := params.str("ResourceType"); rt != "" && !strings.EqualFold(rt, "disk") {
		for _, id := range ids {
			notDisk = append(notDisk, strings.ToLower(rt)+"/"+id)
		}
	} else {
		for _, id := range ids {
			addTo(region, id)
		}
	}
	for _, s := range listParam(params, "ResourceARN") {
		a, ok := parseARN(s)
		switch {
		case !ok:
			bad = append(bad, s)
		case a.service != "ecs" || a.resourceType != "disk":
			notDisk = append(notDisk, a.resourceType+"/"+a.id)
		default:
			addTo(firstRegion(a.region, region), a.id)
		}
	}

	named := false
	for _, g := range groups {
		disks, invalid := splitIDs(g.ids, valid.DiskID)
		bad = append(bad, invalid...)
		if len(disks) > 0 {
			named = true
			b.target(Target{Event: ev, Region: g.region, DiskIDs: disks, TagHint: maps.Clone(tags)})
		}
	}
	switch {
	case !named && len(notDisk) > 0:
		b.ignore(ev, ReasonNotADisk, "tags other resources: "+sample(notDisk))
		if len(bad) > 0 {
			b.ignore(ev, ReasonInvalidID, "not disk IDs or ARNs: "+sample(bad))
		}
	case !named && len(bad) > 0:
		b.ignore(ev, ReasonInvalidID, "not disk IDs or ARNs: "+sample(bad))
	case !named:
		b.ignore(ev, ReasonNoResourceID, "the record names no resource (ResourceId.N or ResourceARN.N)")
	default:
		if len(notDisk) > 0 {
			b.ignore(ev, ReasonNotADisk, "also tags other resources: "+sample(notDisk))
		}
		if len(bad) > 0 {
			b.ignore(ev, ReasonInvalidID, "not disk IDs or ARNs: "+sample(bad))
		}
	}
}

// tagParams is what a tagging call sets: ECS Tag.N.Key/Value and the Tag service's Tags (a
// JSON string), nil when neither is there.
func tagParams(params object) map[string]string {
	tags := flatTags(params)
	if raw, ok := params.raw("Tags"); ok {
		for k, v := range tagsFrom(raw) {
			if tags == nil {
				tags = map[string]string{}
			}
			tags[k] = v
		}
	}
	return tags
}

// emit records a target of the well-formed IDs among disks and instances, and why the rest
// was left out. others lists referenced resources of other types, for the not_a_disk detail.
func (b *builder) emit(ev Event, region string, disks, instances []string, tags map[string]string, created bool, others []string) {
	goodDisks, badDisks := splitIDs(disks, valid.DiskID)
	goodInstances, badInstances := splitIDs(instances, valid.InstanceID)
	bad := append(badDisks, badInstances...)
	if len(goodDisks) == 0 && len(goodInstances) == 0 {
		switch {
		case len(bad) > 0:
			b.ignore(ev, ReasonInvalidID, "not disk or instance IDs: "+sample(bad))
		case len(others) > 0:
			b.ignore(ev, ReasonNotADisk, "names only other resources: "+sample(others))
		default:
			b.ignore(ev, ReasonNoResourceID, "the record names no disk or instance; the reconcile sweep will find it")
		}
		return
	}
	b.target(Target{Event: ev, Region: region, DiskIDs: goodDisks, InstanceIDs: goodInstances, TagHint: tags, Created: created})
	if len(bad) > 0 {
		b.ignore(ev, ReasonInvalidID, "not disk or instance IDs: "+sample(bad))
	}
}

// configChange handles a Cloud Config resource change notification: the disk's ID, region and
// tags as Config captured them. Only disks are of interest; instances change too often.
func (b *builder) configChange(ev Event, env, data object, ok bool) {
	if !ok {
		b.ignore(ev, ReasonMalformed, "data is not a configuration item (a JSON object)")
		return
	}
	item := data
	if inner, ok := data.obj("configurationItem"); ok { // the shape Config delivers to MNS
		item = inner
	}
	rtype, id := item.str("resourceType"), item.str("resourceId")
	switch {
	case rtype != "" && !strings.EqualFold(rtype, "ACS::ECS::Disk"):
		b.ignore(ev, ReasonNotADisk, "resourceType "+sample([]string{rtype}))
		return
	case id == "":
		b.ignore(ev, ReasonNoResourceID, "the notification has no resourceId")
		return
	case !valid.DiskID(id) && rtype == "" && !strings.HasPrefix(id, "d-"):
		b.ignore(ev, ReasonNotADisk, "resourceId "+sample([]string{id}))
		return
	case !valid.DiskID(id):
		b.ignore(ev, ReasonInvalidID, "resourceId "+sample([]string{id}))
		return
	case configDeleted(data) || configDeleted(item):
		b.ignore(ev, ReasonResourceDeleted, "disk "+id+" was deleted")
		return
	}
	conf, _ := item.obj("configuration")
	var tags map[string]string
	if raw, ok := conf.raw("Tags"); ok {
		tags = tagsFrom(raw)
	}
	if tags == nil {
		if raw, ok := item.raw("tags"); ok {
			tags = tagsFrom(raw)
		}
	}
	region := firstRegion(item.str("regionId"), conf.str("RegionId"), env.str("aliyunregionid"))
	b.target(Target{Event: ev, Region: region, DiskIDs: []string{id}, TagHint: tags})
}

// configDeleted recognises a deletion notice, best effort: the exact markers Config uses on
// EventBridge are not documented, so any of changeType DELETE or an eventName about deletion.
func configDeleted(o object) bool {
	change := o.str("changeType")
	if diff, ok := o.obj("configurationItemDiff"); ok && change == "" {
		change = diff.str("changeType")
	}
	if strings.EqualFold(change, "DELETE") || strings.EqualFold(change, "DELETED") {
		return true
	}
	return strings.Contains(strings.ToLower(o.str("eventName")), "delete")
}

// references reads referencedResources {"ACS::ECS::Disk":[...], ...} (type keys lowercased),
// or, when the record has none, resourceType/resourceName, where IDs of one type are joined
// by "," and types by ";".
func references(rec object) map[string][]string {
	out := map[string][]string{}
	if refs, ok := rec.obj("referencedResources"); ok {
		for _, k := range slices.Sorted(maps.Keys(refs)) {
			if ids := stringList(refs[k]); len(ids) > 0 {
				lk := strings.ToLower(k)
				out[lk] = append(out[lk], ids...)
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	types := strings.Split(rec.str("resourceType"), ";")
	names := strings.Split(rec.str("resourceName"), ";")
	if len(types) != len(names) {
		return out
	}
	for i, t := range types {
		lt := strings.ToLower(strings.TrimSpace(t))
		if lt == "" {
			continue
		}
		for id := range strings.SplitSeq(names[i], ",") {
			if id = strings.TrimSpace(id); id != "" {
				out[lt] = append(out[lt], id)
			}
		}
	}
	return out
}

// otherRefs lists referenced resources that are neither disks nor instances, sorted by type.
func otherRefs(refs map[string][]string) []string {
	var out []string
	for t, ids := range refs {
		if t == typeDiskRef || t == typeInstanceRef {
			continue
		}
		for _, id := range ids {
			out = append(out, t+"/"+id)
		}
	}
	slices.Sort(out)
	return out
}

// listParam reads an RPC list parameter: Name.1, Name.2, ... and Name itself (a single value,
// a JSON array, or a JSON array in a string), in that order.
func listParam(params object, name string) []string {
	var out []string
	for _, p := range params.indexed(name, "") {
		if s, ok := scalar(p.value); ok && strings.TrimSpace(s) != "" {
			out = append(out, strings.TrimSpace(s))
		}
	}
	if raw, ok := params.raw(name); ok {
		out = append(out, stringList(raw)...)
	}
	return out
}

// splitIDs keeps the well-formed IDs once each, in order, and returns the others.
func splitIDs(ids []string, valid func(string) bool) (good, bad []string) {
	var seen uniq
	for _, id := range ids {
		switch {
		case !valid(id):
			bad = append(bad, id)
		case seen.add(id):
			good = append(good, id)
		}
	}
	return good, bad
}

// uniq remembers strings: a scan while few (no allocation for the usual one or two IDs), a map
// once many, so a payload of a hundred thousand IDs stays linear.
type uniq struct {
	list []string
	set  map[string]bool
}

// add reports whether s is new, and remembers it.
func (u *uniq) add(s string) bool {
	if u.set != nil {
		if u.set[s] {
			return false
		}
		u.set[s] = true
		return true
	}
	for _, v := range u.list {
		if v == s {
			return false
		}
	}
	u.list = append(u.list, s)
	if len(u.list) > 16 {
		u.set = make(map[string]bool, 2*len(u.list))
		for _, v := range u.list {
			u.set[v] = true
		}
	}
	return true
}

func nonEmpty(list []string) []string {
	return slices.DeleteFunc(list, func(s string) bool { return s == "" })
}

// maxEventField bounds the envelope strings copied into Event: they go to every log line and
// the report, and real ones are short.
const maxEventField = 256

// clip cuts s to maxEventField bytes on a rune boundary.
func clip(s string) string {
	if len(s) <= maxEventField {
		return s
	}
	cut := maxEventField
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
