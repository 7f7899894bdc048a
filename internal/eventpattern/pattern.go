// Package eventpattern evaluates EventBridge event patterns against events, so the rules in
// s.yaml can be tested against the sample events without a cloud account.
//
// Supported, as EventBridge documents them: exact values (string, number, boolean, null),
// prefix, suffix, contains, anything-but (values, or a prefix/suffix), exists, numeric comparisons and
// cidr; patterns nest like the event; the keys of an object all have to match (AND), the values
// in a key's array are alternatives (OR); an event array matches when one of its elements does;
// everything is case-sensitive. Not modelled: AWS-only operators (equals-ignore-case, wildcard,
// $or) and flattening of arrays of objects across elements (here one element must match a whole
// nested pattern).
package eventpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Pattern is a compiled event pattern.
type Pattern struct {
	root *object
}

// object is a pattern object: every field must match.
type object struct {
	fields []field
}

type field struct {
	name   string
	nested *object     // set for a nested pattern object
	conds  []condition // set for a leaf: any condition may match
}

type condKind int

const (
	exactString condKind = iota
	exactNumber
	exactBool
	exactNull
	prefix
	suffix
	contains
	anythingBut // values
	anythingButPrefix
	anythingButSuffix
	exists
	numeric
	cidr
)

type comparison struct {
	op    string
	value float64
}

type condition struct {
	kind    condKind
	str     string
	num     float64
	boolean bool
	strs    []string  // anything-but strings
	nums    []float64 // anything-but numbers
	cmps    []comparison
	prefix  netip.Prefix
}

// Compile parses a pattern (the JSON text of eventRuleFilterPattern). Errors name the path of
// the offending key.
func Compile(pattern []byte) (*Pattern, error) {
	v, err := decode(pattern)
	if err != nil {
		return nil, fmt.Errorf("pattern: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("pattern: expected a JSON object")
	}
	if len(m) == 0 {
		return nil, errors.New("pattern: empty object (it would match every event)")
	}
	root, err := compileObject(m, "")
	if err != nil {
		return nil, err
	}
	return &Pattern{root: root}, nil
}

// MustCompile is Compile for patterns known to be valid; it panics otherwise.
func MustCompile(pattern string) *Pattern {
	p, err := Compile([]byte(pattern))
	if err != nil {
		panic(err)
	}
	return p
}

// Match reports whether the event (one JSON object) matches.
func (p *Pattern) Match(event []byte) (bool, error) {
	v, err := decode(event)
	if err != nil {
		return false, fmt.Errorf("event: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return false, errors.New("event: expected a JSON object")
	}
	return p.root.match(m, true), nil
}

// MatchValue matches an event already decoded with json.Decoder.UseNumber (numbers as
// json.Number; float64 is accepted too).
func (p *Pattern) MatchValue(event map[string]any) bool {
	return p.root.match(event, true)
}

// decode reads exactly one JSON value, keeping numbers exact.
func decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}

func compileObject(m map[string]any, path string) (*object, error) {
	o := &object{}
	for _, name := range slices.Sorted(maps.Keys(m)) { // deterministic errors
		p := name
		if path != "" {
			p = path + "." + name
		}
		switch v := m[name].(type) {
		case map[string]any:
			if len(v) == 0 {
				return nil, fmt.Errorf("pattern: %s: empty object", p)
			}
			nested, err := compileObject(v, p)
			if err != nil {
				return nil, err
			}
			o.fields = append(o.fields, field{name: name, nested: nested})
		case []any:
			if len(v) == 0 {
				return nil, fmt.Errorf("pattern: %s: empty array (it would match nothing)", p)
			}
			f := field{name: name}
			for i, c := range v {
				cond, err := compileCondition(c)
				if err != nil {
					return nil, fmt.Errorf("pattern: %s[%d]: %w", p, i, err)
				}
				f.conds = append(f.conds, cond)
			}
			o.fields = append(o.fields, f)
		default:
			return nil, fmt.Errorf("pattern: %s: expected an array of values or an object, found %s", p, typeName(v))
		}
	}
	return o, nil
}

func compileCondition(v any) (condition, error) {
	switch x := v.(type) {
	case string:
		return condition{kind: exactString, str: x}, nil
	case json.Number:
		f, err := number(x)
		return condition{kind: exactNumber, num: f}, err
	case bool:
		return condition{kind: exactBool, boolean: x}, nil
	case nil:
		return condition{kind: exactNull}, nil
	case map[string]any:
		if len(x) != 1 {
			return condition{}, fmt.Errorf("an operator object has exactly one key, found %d", len(x))
		}
		for op, arg := range x {
			return compileOperator(op, arg)
		}
	}
	return condition{}, fmt.Errorf("expected a value or an operator object, found %s", typeName(v))
}

func compileOperator(op string, arg any) (condition, error) {
	switch op {
	case "prefix", "suffix", "contains":
		s, ok := arg.(string)
		if !ok {
			return condition{}, fmt.Errorf("%s takes a string, found %s", op, typeName(arg))
		}
		kind := map[string]condKind{"prefix": prefix, "suffix": suffix, "contains": contains}[op]
		return condition{kind: kind, str: s}, nil
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return condition{}, fmt.Errorf("exists takes true or false, found %s", typeName(arg))
		}
		return condition{kind: exists, boolean: b}, nil
	case "anything-but":
		return compileAnythingBut(arg)
	case "numeric":
		return compileNumeric(arg)
	case "cidr":
		s, ok := arg.(string)
		if !ok {
			return condition{}, fmt.Errorf("cidr takes a string, found %s", typeName(arg))
		}
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			return condition{}, fmt.Errorf("cidr: %q is not an IP prefix like 10.0.0.0/24", s)
		}
		return condition{kind: cidr, prefix: pfx.Masked()}, nil
	}
	return condition{}, fmt.Errorf("unknown operator %q (expected prefix, suffix, contains, anything-but, exists, numeric or cidr)", op)
}

func compileAnythingBut(arg any) (condition, error) {
	c := condition{kind: anythingBut}
	add := func(v any) error {
		switch x := v.(type) {
		case string:
			c.strs = append(c.strs, x)
		case json.Number:
			f, err := number(x)
			if err != nil {
				return err
			}
			c.nums = append(c.nums, f)
		default:
			return fmt.Errorf("anything-but takes strings or numbers, found %s", typeName(v))
		}
		return nil
	}
	switch x := arg.(type) {
	case []any:
		if len(x) == 0 {
			return condition{}, errors.New("anything-but: empty array")
		}
		for _, v := range x {
			if err := add(v); err != nil {
				return condition{}, err
			}
		}
		return c, nil
	case map[string]any:
		if len(x) != 1 {
			return condition{}, errors.New("anything-but: the object takes exactly one of prefix or suffix")
		}
		for op, v := range x {
			s, ok := v.(string)
			if !ok || (op != "prefix" && op != "suffix") {
				return condition{}, fmt.Errorf("anything-but: expected {\"prefix\": string} or {\"suffix\": string}, found key %q", op)
			}
			if op == "prefix" {
				return condition{kind: anythingButPrefix, str: s}, nil
			}
			return condition{kind: anythingButSuffix, str: s}, nil
		}
	}
	if err := add(arg); err != nil {
		return condition{}, err
	}
	return c, nil
}

var comparisonOps = map[string]bool{"=": true, "<": true, "<=": true, ">": true, ">=": true}

func compileNumeric(arg any) (condition, error) {
	list, ok := arg.([]any)
	if !ok || len(list) == 0 || len(list)%2 != 0 || len(list) > 4 {
		return condition{}, errors.New(`numeric takes one or two comparisons, like [">", 0, "<=", 5]`)
	}
	c := condition{kind: numeric}
	for i := 0; i < len(list); i += 2 {
		op, ok := list[i].(string)
		if !ok || !comparisonOps[op] {
			return condition{}, fmt.Errorf("numeric: %v is not one of =, <, <=, >, >=", list[i])
		}
		n, ok := list[i+1].(json.Number)
		if !ok {
			return condition{}, fmt.Errorf("numeric: %s needs a number, found %s", op, typeName(list[i+1]))
		}
		f, err := number(n)
		if err != nil {
			return condition{}, err
		}
		c.cmps = append(c.cmps, comparison{op: op, value: f})
	}
	if len(c.cmps) == 2 {
		lower, upper := c.cmps[0].op, c.cmps[1].op
		if (lower != ">" && lower != ">=") || (upper != "<" && upper != "<=") {
			return condition{}, errors.New(`numeric: a range is a lower bound then an upper bound, like [">", 0, "<=", 5]`)
		}
	}
	return c, nil
}

func number(n json.Number) (float64, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not a number in range", n)
	}
	return f, nil
}

// eventNumber reads an event value as a number, if it is one.
func eventNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil
	case float64:
		return x, true
	case int:
		return float64(x), true
	}
	return 0, false
}

func (o *object) match(v any, present bool) bool {
	if arr, ok := v.([]any); ok && present {
		for _, el := range arr {
			if o.match(el, true) {
				return true
			}
		}
		return false
	}
	m, isObject := v.(map[string]any)
	for _, f := range o.fields {
		var fv any
		var fpresent bool
		if isObject && present {
			fv, fpresent = m[f.name]
		}
		var ok bool
		if f.nested != nil {
			ok = f.nested.match(fv, fpresent)
		} else {
			ok = matchLeaf(f.conds, fv, fpresent)
		}
		if !ok {
			return false
		}
	}
	return true
}

func matchLeaf(conds []condition, v any, present bool) bool {
	for _, c := range conds {
		if c.kind == exists {
			if c.boolean == present {
				return true
			}
			continue
		}
		if !present {
			continue
		}
		if arr, ok := v.([]any); ok {
			for _, el := range arr {
				if c.matches(el) {
					return true
				}
			}
			continue
		}
		if c.matches(v) {
			return true
		}
	}
	return false
}

func (c condition) matches(v any) bool {
	switch c.kind {
	case exactString:
		s, ok := v.(string)
		return ok && s == c.str
	case exactNumber:
		f, ok := eventNumber(v)
		return ok && f == c.num
	case exactBool:
		b, ok := v.(bool)
		return ok && b == c.boolean
	case exactNull:
		return v == nil
	case prefix:
		s, ok := v.(string)
		return ok && strings.HasPrefix(s, c.str)
	case suffix:
		s, ok := v.(string)
		return ok && strings.HasSuffix(s, c.str)
	case contains:
		s, ok := v.(string)
		return ok && strings.Contains(s, c.str)
	case anythingBut:
		if s, ok := v.(string); ok {
			return !slices.Contains(c.strs, s)
		}
		if f, ok := eventNumber(v); ok {
			return !slices.Contains(c.nums, f)
		}
		return false
	case anythingButPrefix:
		s, ok := v.(string)
		return ok && !strings.HasPrefix(s, c.str)
	case anythingButSuffix:
		s, ok := v.(string)
		return ok && !strings.HasSuffix(s, c.str)
	case numeric:
		f, ok := eventNumber(v)
		if !ok {
			return false
		}
		for _, cmp := range c.cmps {
			if !compare(f, cmp) {
				return false
			}
		}
		return true
	case cidr:
		s, ok := v.(string)
		if !ok {
			return false
		}
		addr, err := netip.ParseAddr(s)
		return err == nil && c.prefix.Contains(addr.Unmap())
	}
	return false
}

func compare(f float64, c comparison) bool {
	switch c.op {
	case "=":
		return f == c.value
	case "<":
		return f < c.value
	case "<=":
		return f <= c.value
	case ">":
		return f > c.value
	case ">=":
		return f >= c.value
	}
	return false
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
