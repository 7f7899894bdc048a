// Package eventpattern evaluates EventBridge event patterns against events, so the rules in
// s.yaml can be tested against the sample events without a cloud account.
//
// It models what s.yaml's rules use, as EventBridge documents it: exact string values and the
// exists operator; patterns nest like the event; the keys of an object all have to match (AND),
// the values in a key's array are alternatives (OR); an event array matches when one of its
// elements does; everything is case-sensitive. Any other value or operator (numbers, prefix,
// anything-but, numeric, cidr, ...) is refused when the pattern is compiled, so a rule that
// starts using one fails its test until it is modelled here, rather than being checked wrongly.
package eventpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
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

// condition is one alternative of a leaf: an exact string, or {"exists": bool}.
type condition struct {
	exists *bool  // the exists operator; nil for an exact value
	value  string // the exact value
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

// MatchValue reports whether an event, decoded from JSON, matches.
func (p *Pattern) MatchValue(event map[string]any) bool {
	return p.root.match(event, true)
}

// decode reads exactly one JSON value.
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
		return condition{value: x}, nil
	case map[string]any:
		if len(x) != 1 {
			return condition{}, fmt.Errorf("an operator object has exactly one key, found %d", len(x))
		}
		for op, arg := range x {
			if op != "exists" {
				return condition{}, fmt.Errorf("operator %q is not modelled (s.yaml's rules use exact strings and exists)", op)
			}
			b, ok := arg.(bool)
			if !ok {
				return condition{}, fmt.Errorf("exists takes true or false, found %s", typeName(arg))
			}
			return condition{exists: &b}, nil
		}
	}
	return condition{}, fmt.Errorf("%s is not modelled: s.yaml's rules match exact strings and exists", typeName(v))
}

func (o *object) match(v any, present bool) bool {
	if arr, ok := v.([]any); ok && present {
		return slices.ContainsFunc(arr, func(el any) bool { return o.match(el, true) })
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
		switch {
		case c.exists != nil:
			if *c.exists == present {
				return true
			}
		case !present:
		case v == c.value:
			return true
		default:
			if arr, ok := v.([]any); ok && slices.Contains(arr, any(c.value)) {
				return true
			}
		}
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
