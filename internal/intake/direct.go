package intake

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/absr-autopair/absr-autopair/internal/valid"
)

// The payloads that are not CloudEvents: the FC timer's reconcile request and direct invocations.

// decodeTimer reads an FC timer event. Its payload (a string, as s.yaml configures it; an
// object is tolerated) is the sweep's contract: {"regions":[...],"cursor":"..."}. A payload
// that is empty or does not start with "{" means "the configured regions"; one that does must
// follow the contract exactly, so a typo cannot silently sweep the wrong regions.
func decodeTimer(o object) (Request, error) {
	// Fields other than these three are tolerated: FC may add some.
	sw := &Sweep{TriggerName: clip(o.str("triggerName")), TriggerTime: clip(o.str("triggerTime"))}
	if sw.TriggerName == "" && sw.TriggerTime == "" {
		return Request{}, errorf("timer event: triggerName and triggerTime are both empty; %s", acceptedShapes)
	}
	var contract []byte
	decode := decodeObject
	if raw, ok := o.raw("payload"); ok {
		raw = bytes.TrimSpace(raw)
		switch {
		case len(raw) > 0 && raw[0] == '{':
			contract = raw
		case len(raw) > 0 && raw[0] == '"':
			s, _ := scalar(raw)
			if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") {
				contract, decode = []byte(t), decodeUnquoted
			}
		}
	}
	if contract != nil {
		p, err := decode(contract)
		if err != nil {
			return Request{}, errorf(`timer payload starts with "{" but is not a JSON object (%v); expected {"regions":["cn-hangzhou"],"cursor":"..."}, or a plain string for the configured regions`, err)
		}
		if k, dup := duplicateKey(contract); dup {
			return Request{}, errorf("timer payload: field %q is given twice", clip(k))
		}
		if k, ok := strictFields(p, "regions", "cursor"); !ok {
			return Request{}, errorf(`timer payload has unknown or repeated field %s; accepted: "regions" (list of region IDs), "cursor" (string)`, sample([]string{k}))
		}
		if raw, ok := p.raw("regions"); ok && !isNull(raw) {
			regions := stringList(raw)
			var bad []string
			sw.Regions, bad = splitIDs(regions, valid.RegionID)
			if len(bad) > 0 {
				return Request{}, errorf("timer payload: not region IDs: %s", sample(bad))
			}
			if len(sw.Regions) == 0 {
				return Request{}, errorf(`timer payload: "regions" is empty; leave it out to sweep the configured regions`)
			}
		}
		if raw, ok := p.raw("cursor"); ok && !isNull(raw) {
			c, isScalar := scalar(raw)
			if !isScalar {
				return Request{}, errorf(`timer payload: "cursor" must be a string`)
			}
			sw.Cursor = c
		}
	}
	ev := Event{ID: sw.TriggerName + "@" + sw.TriggerTime, Source: SourceTimer, Type: TypeTimer, Name: sw.TriggerName, Time: sw.TriggerTime}
	return Request{Event: ev, Sweep: sw}, nil
}

// decodeDirect reads {"diskIds":[...],"instanceIds":[...],"regionId":"..."}. People write these
// by hand, so unlike events they are strict: unknown fields and malformed IDs are errors.
func decodeDirect(o object) (Request, error) {
	if k, ok := strictFields(o, "diskIds", "instanceIds", "regionId"); !ok {
		return Request{}, errorf(`direct request has unknown or repeated field %s; accepted: "diskIds", "instanceIds", "regionId"`, sample([]string{k}))
	}
	t := Target{Event: Event{Source: SourceDirect, Type: TypeDirect}}
	if raw, ok := o.raw("regionId"); ok && !isNull(raw) && string(bytes.TrimSpace(raw)) != `""` {
		r, _ := scalar(raw)
		if !valid.RegionID(r) {
			return Request{}, errorf("direct request: regionId %s is not a region ID such as cn-hangzhou", sample([]string{r}))
		}
		t.Region = r
	}
	var err error
	if t.DiskIDs, err = directIDs(o, "diskIds", "disk", valid.DiskID); err != nil {
		return Request{}, err
	}
	if t.InstanceIDs, err = directIDs(o, "instanceIds", "instance", valid.InstanceID); err != nil {
		return Request{}, err
	}
	if len(t.DiskIDs) == 0 && len(t.InstanceIDs) == 0 {
		return Request{}, errorf(`direct request names no disks: give "diskIds":["d-..."] or "instanceIds":["i-..."]`)
	}
	return Request{Event: t.Event, Targets: []Target{t}}, nil
}

// strictFields checks that o has only the given fields, each once whatever its case (lookups
// ignore case, so "DiskIds" beside "diskIds" would silently drop one). It returns the first
// offending key in sort order.
func strictFields(o object, fields ...string) (string, bool) {
	seen := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(o)) {
		lk := strings.ToLower(k)
		if seen[lk] || !slices.ContainsFunc(fields, func(f string) bool { return strings.EqualFold(f, k) }) {
			return k, false
		}
		seen[lk] = true
	}
	return "", true
}

func directIDs(o object, field, kind string, valid func(string) bool) ([]string, error) {
	raw, ok := o.raw(field)
	if !ok || isNull(raw) {
		return nil, nil
	}
	switch trimmed := bytes.TrimSpace(raw); trimmed[0] {
	case '"': // "d-1,d-2" is tolerated
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, errorf("direct request: %s: %v", field, err)
		}
		for i, it := range items {
			if it = bytes.TrimSpace(it); len(it) == 0 || it[0] != '"' {
				return nil, errorf("direct request: %s[%d] is not a string", field, i)
			}
		}
	default:
		return nil, errorf(`direct request: %s must be a list of IDs such as ["%s-..."]`, field, kind[:1])
	}
	ids, bad := splitIDs(stringList(raw), valid)
	if len(bad) > 0 {
		prefix := kind[:1] + "-"
		return nil, errorf("direct request: %s: not %s IDs (%s...): %s", field, kind, prefix, sample(bad))
	}
	return ids, nil
}
