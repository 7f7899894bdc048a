package eventpattern

import (
	"strings"
	"testing"
)

func decodeEvent(t testing.TB, s string) map[string]any {
	t.Helper()
	v, err := decode([]byte(s))
	if err != nil {
		t.Fatalf("event %s: %v", s, err)
	}
	return v.(map[string]any)
}

func TestMatch(t *testing.T) {
	const ecsEvent = `{"source":"acs.ecs","type":"ecs:ActionTrail:ApiCall","id":"1",
		"data":{"eventName":"TagResources","acsRegion":"cn-hangzhou","eventRW":"Write",
		"requestParameters":{"ResourceType":"disk","Tag.1.Key":"dr","Tag.1.Value":"enabled"},
		"count":5,"note":null,
		"resources":["d-1","d-2"],"items":[{"k":"a","v":"1"},{"k":"b","v":"2"}]}}`
	event := decodeEvent(t, ecsEvent)
	cases := []struct {
		name    string
		pattern string
		want    bool
	}{
		{"exact string", `{"source":["acs.ecs"]}`, true},
		{"exact string other", `{"source":["acs.oss"]}`, false},
		{"case-sensitive", `{"source":["ACS.ECS"]}`, false},
		{"values OR", `{"source":["acs.oss","acs.ecs"]}`, true},
		{"keys AND, one fails", `{"source":["acs.ecs"],"type":["ecs:ActionTrail:ConsoleOperation"]}`, false},
		{"keys AND, all hold", `{"source":["acs.ecs"],"type":["ecs:ActionTrail:ApiCall"]}`, true},
		{"nested", `{"data":{"eventName":["TagResources"]}}`, true},
		{"nested twice", `{"data":{"requestParameters":{"ResourceType":["disk"]}}}`, true},
		{"nested other", `{"data":{"requestParameters":{"ResourceType":["instance"]}}}`, false},
		{"nested on a string", `{"source":{"x":["y"]}}`, false},
		{"missing field", `{"data":{"errorCode":["Forbidden"]}}`, false},
		{"a string is not a number", `{"data":{"count":["5"]}}`, false},
		{"a string is not null", `{"data":{"note":["null"]}}`, false},
		{"exists false on missing", `{"data":{"errorCode":[{"exists":false}]}}`, true},
		{"exists false on present", `{"data":{"eventName":[{"exists":false}]}}`, false},
		{"exists true on present", `{"data":{"eventName":[{"exists":true}]}}`, true},
		{"exists true on missing", `{"data":{"errorCode":[{"exists":true}]}}`, false},
		{"exists true on null", `{"data":{"note":[{"exists":true}]}}`, true},
		{"exists false under missing parent", `{"detail":{"errorCode":[{"exists":false}]}}`, true},
		{"exists true under missing parent", `{"detail":{"errorCode":[{"exists":true}]}}`, false},
		{"exact value or missing (s.yaml's ResourceType)", `{"data":{"requestParameters":{"ResourceType":["disk",{"exists":false}]}}}`, true},
		{"exact value or missing, neither", `{"data":{"requestParameters":{"ResourceType":["instance",{"exists":false}]}}}`, false},
		{"array value OR", `{"data":{"resources":["d-2"]}}`, true},
		{"array value miss", `{"data":{"resources":["d-3"]}}`, false},
		{"array of objects", `{"data":{"items":{"k":["b"],"v":["2"]}}}`, true},
		{"array of objects, no single element", `{"data":{"items":{"k":["a"],"v":["2"]}}}`, false},
		{"keys with dots are keys", `{"data":{"requestParameters":{"Tag.1.Key":["dr"]}}}`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile([]byte(tc.pattern))
			if err != nil {
				t.Fatalf("Compile(%s): %v", tc.pattern, err)
			}
			if got := p.MatchValue(event); got != tc.want {
				t.Errorf("pattern %s matched = %v, want %v", tc.pattern, got, tc.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct{ pattern, want string }{
		{`[]`, "pattern: expected a JSON object"},
		{`{}`, "pattern: empty object"},
		{`{"source":"acs.ecs"}`, "pattern: source: expected an array of values or an object, found a string"},
		{`{"source":[]}`, "pattern: source: empty array"},
		{`{"data":{}}`, "pattern: data: empty object"},
		{`{"data":{"x":[["a"]]}}`, "pattern: data.x[0]: an array is not modelled"},
		{`{"x":[5]}`, "pattern: x[0]: a number is not modelled"},
		{`{"x":[true]}`, "pattern: x[0]: a boolean is not modelled"},
		{`{"x":[null]}`, "pattern: x[0]: null is not modelled"},
		{`{"x":[{"exists":"yes"}]}`, "pattern: x[0]: exists takes true or false, found a string"},
		{`{"x":[{"prefix":"a"}]}`, `pattern: x[0]: operator "prefix" is not modelled`},
		{`{"x":[{"anything-but":"a"}]}`, `pattern: x[0]: operator "anything-but" is not modelled`},
		{`{"x":[{"prefix":"a","suffix":"b"}]}`, "pattern: x[0]: an operator object has exactly one key, found 2"},
		{`{"x":["a"]} {"y":["b"]}`, "pattern: more than one JSON value"},
		{`{"x":["a"]`, "pattern: unexpected EOF"},
	}
	for _, tc := range cases {
		_, err := Compile([]byte(tc.pattern))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compile(%s) error = %v, want it to contain %q", tc.pattern, err, tc.want)
		}
	}
}

func FuzzMatch(f *testing.F) {
	f.Add(`{"source":["acs.ecs"],"data":{"errorCode":[{"exists":false}]}}`, `{"source":"acs.ecs","data":{}}`)
	f.Add(`{"a":["x",{"exists":true}],"b":{"c":["y"]}}`, `{"a":[1,"x",{"b":2}],"b":[{"c":"y"},{}]}`)
	f.Fuzz(func(t *testing.T, pattern, event string) {
		p, err := Compile([]byte(pattern))
		if err != nil {
			return
		}
		v, err := decode([]byte(event))
		if m, ok := v.(map[string]any); err == nil && ok {
			_ = p.MatchValue(m) // must not panic
		}
	})
}
