package emulator

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// params are a request's parameters, query and form body merged (first value wins).
type params map[string]string

func (p params) get(name string) string { return p[name] }

// present reports a parameter with a non-empty value; the SDK never sends empty ones.
func (p params) present(name string) bool { return p[name] != "" }

// require returns the first absent mandatory parameter as a MissingParameter error.
func (p params) require(names ...string) *apiError {
	for _, n := range names {
		if !p.present(n) {
			return missingParam(n)
		}
	}
	return nil
}

// intParam parses an optional integer within [lo, hi]; def when absent.
func (p params) intParam(name string, def, lo, hi int) (int, *apiError) {
	raw, ok := p[name]
	if !ok || raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, invalidParam(name, "%q is not an integer", raw)
	}
	if n < lo || n > hi {
		return 0, invalidParam(name, "%d is outside %d-%d", n, lo, hi)
	}
	return n, nil
}

func (p params) boolParam(name string) (bool, *apiError) {
	switch strings.ToLower(p[name]) {
	case "":
		return false, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalidParam(name, "%q is not true or false", p[name])
}

// indexed collects NAME.N (or NAME.N.SUFFIX with suffix) values by N, sorted by N.
// It returns the largest N found so callers can check the documented bound.
func (p params) indexed(name, suffix string) (map[int]string, []int, *apiError) {
	prefix := name + "."
	vals := map[int]string{}
	for k, v := range p {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		rest := k[len(prefix):]
		idx := rest
		if suffix != "" {
			var ok bool
			idx, ok = strings.CutSuffix(rest, "."+suffix)
			if !ok {
				continue
			}
		} else if strings.Contains(rest, ".") {
			continue
		}
		n, err := strconv.Atoi(idx)
		if err != nil || n < 1 {
			return nil, nil, invalidParam(k, "the index %q is not a positive integer", idx)
		}
		vals[n] = v
	}
	order := make([]int, 0, len(vals))
	for n := range vals {
		order = append(order, n)
	}
	sort.Ints(order)
	return vals, order, nil
}

// list returns NAME.N values in order of N (ResourceId.N, TagKey.N).
func (p params) list(name string, max int, tooMany *apiError) ([]string, *apiError) {
	vals, order, aerr := p.indexed(name, "")
	if aerr != nil {
		return nil, aerr
	}
	out := make([]string, 0, len(order))
	for _, n := range order {
		if n > max {
			return nil, tooMany
		}
		if vals[n] != "" {
			out = append(out, vals[n])
		}
	}
	return out, nil
}

// tag is one Tag.N.Key / Tag.N.Value parameter pair. HasValue is false when Tag.N.Value is absent
// or empty (the SDK drops empty values), which filters mean "any value".
type tag struct {
	Key, Value string
	HasValue   bool
}

// tags parses Tag.N.Key/Tag.N.Value (N 1..max). A value without its key is malformed.
func (p params) tags(name string, max int) ([]tag, *apiError) {
	keys, korder, aerr := p.indexed(name, "Key")
	if aerr != nil {
		return nil, aerr
	}
	values, vorder, aerr := p.indexed(name, "Value")
	if aerr != nil {
		return nil, aerr
	}
	for _, n := range vorder {
		if _, ok := keys[n]; !ok {
			return nil, badRequest("InvalidTagKey.Malformed", "The specified %s.%d.Key is not supplied but %s.%d.Value is.", name, n, name, n)
		}
	}
	out := make([]tag, 0, len(korder))
	for _, n := range korder {
		if n > max {
			return nil, badRequest("InvalidTagCount", "The number of %s.N exceeds %d.", name, max)
		}
		if keys[n] == "" {
			return nil, badRequest("InvalidTagKey.Malformed", "The specified %s.%d.Key is empty.", name, n)
		}
		v, ok := values[n]
		out = append(out, tag{Key: keys[n], Value: v, HasValue: ok && v != ""})
	}
	return out, nil
}

// validTagKey applies the ECS tag key rules. The emulator keeps its own copy of the tag rules
// (the function's is package valid) on purpose: an independent reading of the documents checks
// the function's, instead of agreeing with it by construction.
func validTagKey(k string) bool {
	lk := strings.ToLower(k)
	return k != "" && utf8.RuneCountInString(k) <= 128 && !strings.HasPrefix(lk, "aliyun") &&
		!strings.HasPrefix(lk, "acs:") && !strings.Contains(lk, "http://") && !strings.Contains(lk, "https://")
}

// validTagValue applies the ECS tag value rules (empty is allowed; aliyun is allowed in values).
func validTagValue(v string) bool {
	lv := strings.ToLower(v)
	return utf8.RuneCountInString(v) <= 128 && !strings.HasPrefix(lv, "acs:") &&
		!strings.Contains(lv, "http://") && !strings.Contains(lv, "https://")
}

// tagsToWrite parses Tag.N (N 1..20) of a request that writes tags (CreateDisk, TagResources,
// CreateDiskReplicaPair): each key and value must be valid, and no key may repeat.
func (p params) tagsToWrite() ([]tag, *apiError) {
	tags, aerr := p.tags("Tag", 20)
	if aerr != nil {
		return nil, aerr
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if !validTagKey(t.Key) {
			return nil, badRequest("InvalidTagKey.Malformed",
				"The specified Tag.N.Key %q is not valid: up to 128 characters, not starting with aliyun or acs:, without http:// or https://.", t.Key)
		}
		if !validTagValue(t.Value) {
			return nil, badRequest("InvalidTagValue.Malformed",
				"The specified Tag.N.Value %q is not valid: up to 128 characters, not starting with acs:, without http:// or https://.", t.Value)
		}
		if seen[t.Key] {
			return nil, badRequest("InvalidTagKey.Duplicated", "The tag key %q is specified more than once.", t.Key)
		}
		seen[t.Key] = true
	}
	return tags, nil
}

// tagMap is the tag map of a new resource: nil without tags.
func tagMap(tags []tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

// validName applies the ECS/EBS rule for DiskName and PairName: 2-128 characters, starting with
// a letter, then letters, digits, periods, colons, underscores and hyphens.
func validName(s string) bool {
	if n := utf8.RuneCountInString(s); n < 2 || n > 128 {
		return false
	}
	if ls := strings.ToLower(s); strings.HasPrefix(ls, "http://") || strings.HasPrefix(ls, "https://") {
		return false
	}
	for i, c := range s {
		letter := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c > 0x7f && isCJK(c)
		if i == 0 {
			if !letter {
				return false
			}
			continue
		}
		if !letter && !(c >= '0' && c <= '9') && !strings.ContainsRune(".:_-", c) {
			return false
		}
	}
	return true
}

func isCJK(c rune) bool { return c >= 0x4e00 && c <= 0x9fff }

// validDescription: 2-256 characters, not starting with http:// or https://.
func validDescription(s string) bool {
	n := utf8.RuneCountInString(s)
	ls := strings.ToLower(s)
	return n >= 2 && n <= 256 && !strings.HasPrefix(ls, "http://") && !strings.HasPrefix(ls, "https://")
}

func validClientToken(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
