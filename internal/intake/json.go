package intake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// object is a decoded JSON object whose values are decoded on demand. Lookups are tolerant
// of key case, because hand-written events and console records are not consistent about it.
type object map[string]json.RawMessage

// decodeObject decodes b, which must be a JSON object. It does not check depth: b must have
// passed checkDepth already, or be a value inside text that did (a part is never deeper than
// the whole). Text unquoted from a JSON string is new text and must be checked first.
func decodeObject(b []byte) (object, error) {
	var o object
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, err
	}
	if o == nil { // the literal null
		return nil, fmt.Errorf("null is not an object")
	}
	return o, nil
}

// decodeUnquoted decodes b, a JSON object unquoted from a JSON string, after the depth check
// that such text has not had.
func decodeUnquoted(b []byte) (object, error) {
	if err := checkDepth(b); err != nil {
		return nil, err
	}
	return decodeObject(b)
}

// asObject returns raw as an object: a JSON object, or a JSON string that holds one (records
// whose nested documents were serialised into strings). Anything else gives ok=false.
func asObject(raw json.RawMessage) (object, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, false
		}
		raw = bytes.TrimSpace([]byte(s))
		if checkDepth(raw) != nil { // unquoted text was not part of the checked input
			return nil, false
		}
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	o, err := decodeObject(raw)
	return o, err == nil
}

// raw returns the value of key: an exact match, else the case-insensitive match whose key
// sorts first (so the choice does not depend on map order).
func (o object) raw(key string) (json.RawMessage, bool) {
	if v, ok := o[key]; ok {
		return v, true
	}
	best := ""
	found := false
	for k := range o {
		if strings.EqualFold(k, key) && (!found || k < best) {
			best, found = k, true
		}
	}
	if !found {
		return nil, false
	}
	return o[best], true
}

func (o object) has(key string) bool {
	v, ok := o.raw(key)
	return ok && !isNull(v)
}

// str returns the scalar value of key as a string ("" when absent, null or not a scalar).
func (o object) str(key string) string {
	v, ok := o.raw(key)
	if !ok {
		return ""
	}
	s, _ := scalar(v)
	return s
}

// obj returns the object value of key (see asObject).
func (o object) obj(key string) (object, bool) {
	v, ok := o.raw(key)
	if !ok {
		return nil, false
	}
	return asObject(v)
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// scalar renders a JSON scalar as a string: strings as they are, numbers as written,
// booleans as true/false. null, objects and arrays give ok=false.
func scalar(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case '"':
		if len(raw) >= 2 && raw[len(raw)-1] == '"' && plainASCII(raw[1:len(raw)-1]) {
			return string(raw[1 : len(raw)-1]), true
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return s, true
	case 't':
		return "true", true
	case 'f':
		return "false", true
	case 'n', '{', '[':
		return "", false
	default: // a number, already validated by the decoder that produced raw
		return string(raw), true
	}
}

// plainASCII reports whether a JSON string body needs no unescaping.
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c == '"' || c < 0x20 || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// stringList reads a list of IDs given as a JSON array of scalars, a JSON string holding such
// an array, a comma-separated string, or a single scalar. Empty items are dropped.
func stringList(raw json.RawMessage) []string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	if raw[0] == '[' {
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			if s, ok := scalar(it); ok && strings.TrimSpace(s) != "" {
				out = append(out, strings.TrimSpace(s))
			}
		}
		return out
	}
	s, ok := scalar(raw)
	if !ok {
		return nil
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") {
		if checkDepth([]byte(s)) != nil {
			return nil
		}
		return stringList(json.RawMessage(s))
	}
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// indexedParam is one flat RPC parameter such as ResourceId.3 or Tag.2.Key.
type indexedParam struct {
	n     int
	key   string
	value json.RawMessage
}

// indexed returns the parameters named prefix.N or prefix.N.suffix (suffix may be empty),
// compared without case, ordered by N; of two spellings of one N the first key in sort
// order wins. This is how ActionTrail records RPC lists (ResourceId.1, Tag.1.Key).
func (o object) indexed(prefix, suffix string) []indexedParam {
	var out []indexedParam
	for k, v := range o {
		if len(k) <= len(prefix)+1 || !strings.EqualFold(k[:len(prefix)], prefix) || k[len(prefix)] != '.' {
			continue
		}
		rest := k[len(prefix)+1:]
		num, tail, hasTail := strings.Cut(rest, ".")
		if hasTail != (suffix != "") || (hasTail && !strings.EqualFold(tail, suffix)) {
			continue
		}
		n, ok := smallIndex(num)
		if !ok {
			continue
		}
		out = append(out, indexedParam{n: n, key: k, value: v})
	}
	slices.SortFunc(out, func(a, b indexedParam) int {
		if a.n != b.n {
			return a.n - b.n
		}
		return strings.Compare(a.key, b.key)
	})
	return slices.CompactFunc(out, func(a, b indexedParam) bool { return a.n == b.n })
}

// smallIndex parses the N of a flat parameter: 1 to 9 decimal digits.
func smallIndex(s string) (int, bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// flatTags reads Tag.N.Key / Tag.N.Value parameters, and a Tag parameter holding a list of
// {Key, Value} objects (as some recorders write it). Keys without a value get "".
func flatTags(params object) map[string]string {
	tags := map[string]string{}
	values := map[int]string{}
	for _, p := range params.indexed("Tag", "Value") {
		values[p.n], _ = scalar(p.value)
	}
	for _, p := range params.indexed("Tag", "Key") {
		if k, ok := scalar(p.value); ok && k != "" {
			tags[k] = values[p.n]
		}
	}
	if v, ok := params.raw("Tag"); ok {
		addTags(tags, v, false)
	}
	if len(tags) == 0 {
		return nil
	}
	return tags
}

// tagsFrom reads tags in any of the shapes the services use: a {"key":"value"} map (the Tag
// service), a list of {Key,Value} or {TagKey,TagValue} objects, DescribeDisks' {"Tag":[...]}
// wrapper, or a JSON string holding one of those. nil when there are none.
func tagsFrom(raw json.RawMessage) map[string]string {
	tags := map[string]string{}
	addTags(tags, raw, true)
	if len(tags) == 0 {
		return nil
	}
	return tags
}

func addTags(tags map[string]string, raw json.RawMessage, allowMap bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return
	}
	if raw[0] == '"' { // serialised once; never twice
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return
		}
		inner := bytes.TrimSpace([]byte(s))
		if len(inner) == 0 || (inner[0] != '{' && inner[0] != '[') || checkDepth(inner) != nil {
			return
		}
		raw = inner
	}
	switch raw[0] {
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return
		}
		for _, it := range items {
			o, ok := asObject(it)
			if !ok {
				continue
			}
			k := o.str("Key")
			v := o.str("Value")
			if k == "" {
				k, v = o.str("TagKey"), o.str("TagValue")
			}
			if k != "" {
				tags[k] = v
			}
		}
	case '{':
		var o object
		if json.Unmarshal(raw, &o) != nil {
			return
		}
		if len(o) == 1 {
			if inner, ok := o.raw("Tag"); ok && bytes.HasPrefix(bytes.TrimSpace(inner), []byte("[")) {
				addTags(tags, inner, false)
				return
			}
		}
		if !allowMap {
			return
		}
		for k, v := range o {
			if s, ok := scalar(v); ok && k != "" {
				tags[k] = s
			}
		}
	}
}

// checkDepth refuses JSON nested deeper than MaxDepth before any decoder sees it, so a
// payload of a million brackets costs one linear scan. Malformed input is left to the decoder.
func checkDepth(b []byte) error {
	depth := 0
	inString, escaped := false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > MaxDepth {
				return errTooDeep
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

// duplicateKey reports the first key that appears twice at the top level of the JSON object b
// (encoding/json keeps the last value silently).
func duplicateKey(b []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", false
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", false
		}
		k, _ := t.(string)
		if seen[k] {
			return k, true
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", false
		}
	}
	return "", false
}
