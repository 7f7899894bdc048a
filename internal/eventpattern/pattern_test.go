package eventpattern

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	const ecsEvent = `{"source":"acs.ecs","type":"ecs:ActionTrail:ApiCall","id":"1",
		"data":{"eventName":"TagResources","acsRegion":"cn-hangzhou","eventRW":"Write",
		"requestParameters":{"ResourceType":"disk","Tag.1.Key":"dr","Tag.1.Value":"enabled"},
		"sourceIpAddress":"10.1.2.3","count":5,"ratio":0.5,"dryRun":false,"note":null,
		"resources":["d-1","d-2"],"items":[{"k":"a","v":1},{"k":"b","v":2}]}}`
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
		{"prefix", `{"type":[{"prefix":"ecs:ActionTrail:"}]}`, true},
		{"prefix miss", `{"type":[{"prefix":"oss:"}]}`, false},
		{"suffix", `{"type":[{"suffix":":ApiCall"}]}`, true},
		{"suffix miss", `{"type":[{"suffix":":Console"}]}`, false},
		{"contains", `{"type":[{"contains":"ActionTrail"}]}`, true},
		{"contains miss", `{"type":[{"contains":"actiontrail"}]}`, false},
		{"contains on a number", `{"data":{"count":[{"contains":"5"}]}}`, false},
		{"anything-but value", `{"data":{"eventName":[{"anything-but":"CreateDisk"}]}}`, true},
		{"anything-but same value", `{"data":{"eventName":[{"anything-but":"TagResources"}]}}`, false},
		{"anything-but list", `{"data":{"eventName":[{"anything-but":["CreateDisk","TagResources"]}]}}`, false},
		{"anything-but number", `{"data":{"count":[{"anything-but":[4,6]}]}}`, true},
		{"anything-but same number", `{"data":{"count":[{"anything-but":5}]}}`, false},
		{"anything-but prefix", `{"data":{"eventName":[{"anything-but":{"prefix":"Create"}}]}}`, true},
		{"anything-but prefix hit", `{"data":{"eventName":[{"anything-but":{"prefix":"Tag"}}]}}`, false},
		{"anything-but suffix hit", `{"data":{"eventName":[{"anything-but":{"suffix":"Resources"}}]}}`, false},
		{"anything-but missing field", `{"data":{"errorCode":[{"anything-but":"x"}]}}`, false},
		{"exists false on missing", `{"data":{"errorCode":[{"exists":false}]}}`, true},
		{"exists false on present", `{"data":{"eventName":[{"exists":false}]}}`, false},
		{"exists true on present", `{"data":{"eventName":[{"exists":true}]}}`, true},
		{"exists true on missing", `{"data":{"errorCode":[{"exists":true}]}}`, false},
		{"exists true on null", `{"data":{"note":[{"exists":true}]}}`, true},
		{"exists false under missing parent", `{"detail":{"errorCode":[{"exists":false}]}}`, true},
		{"exists true under missing parent", `{"detail":{"errorCode":[{"exists":true}]}}`, false},
		{"numeric exact", `{"data":{"count":[5]}}`, true},
		{"numeric exact as float", `{"data":{"count":[5.0]}}`, true},
		{"number is not a string", `{"data":{"count":["5"]}}`, false},
		{"string is not a number", `{"data":{"eventRW":[{"numeric":[">",0]}]}}`, false},
		{"numeric range", `{"data":{"count":[{"numeric":[">",0,"<=",5]}]}}`, true},
		{"numeric range miss", `{"data":{"count":[{"numeric":[">",5,"<",10]}]}}`, false},
		{"numeric equals", `{"data":{"ratio":[{"numeric":["=",0.5]}]}}`, true},
		{"numeric >=", `{"data":{"count":[{"numeric":[">=",5]}]}}`, true},
		{"numeric <", `{"data":{"count":[{"numeric":["<",5]}]}}`, false},
		{"bool", `{"data":{"dryRun":[false]}}`, true},
		{"bool other", `{"data":{"dryRun":[true]}}`, false},
		{"null", `{"data":{"note":[null]}}`, true},
		{"null does not match missing", `{"data":{"errorCode":[null]}}`, false},
		{"cidr", `{"data":{"sourceIpAddress":[{"cidr":"10.1.0.0/16"}]}}`, true},
		{"cidr miss", `{"data":{"sourceIpAddress":[{"cidr":"10.2.0.0/16"}]}}`, false},
		{"array value OR", `{"data":{"resources":["d-2"]}}`, true},
		{"array value miss", `{"data":{"resources":["d-3"]}}`, false},
		{"array prefix", `{"data":{"resources":[{"prefix":"d-"}]}}`, true},
		{"array of objects", `{"data":{"items":{"k":["b"],"v":[2]}}}`, true},
		{"array of objects, no single element", `{"data":{"items":{"k":["a"],"v":[2]}}}`, false},
		{"exact and operator OR", `{"data":{"eventName":["CreateDisk",{"prefix":"Tag"}]}}`, true},
		{"keys with dots are keys", `{"data":{"requestParameters":{"Tag.1.Key":["dr"]}}}`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile([]byte(tc.pattern))
			if err != nil {
				t.Fatalf("Compile(%s): %v", tc.pattern, err)
			}
			got, err := p.Match([]byte(ecsEvent))
			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if got != tc.want {
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
		{`{"data":{"x":[["a"]]}}`, "pattern: data.x[0]: expected a value or an operator object, found an array"},
		{`{"x":[{"prefix":1}]}`, "pattern: x[0]: prefix takes a string, found a number"},
		{`{"x":[{"exists":"yes"}]}`, "pattern: x[0]: exists takes true or false, found a string"},
		{`{"x":[{"equals":"a"}]}`, `pattern: x[0]: unknown operator "equals"`},
		{`{"x":[{"prefix":"a","suffix":"b"}]}`, "pattern: x[0]: an operator object has exactly one key, found 2"},
		{`{"x":[{"numeric":[">"]}]}`, "pattern: x[0]: numeric takes one or two comparisons"},
		{`{"x":[{"numeric":["!=",1]}]}`, "pattern: x[0]: numeric: != is not one of"},
		{`{"x":[{"numeric":["<",5,">",1]}]}`, "pattern: x[0]: numeric: a range is a lower bound then an upper bound"},
		{`{"x":[{"numeric":[">","1"]}]}`, "pattern: x[0]: numeric: > needs a number, found a string"},
		{`{"x":[{"cidr":"10.0.0.0/33"}]}`, `pattern: x[0]: cidr: "10.0.0.0/33" is not an IP prefix`},
		{`{"x":[{"anything-but":[]}]}`, "pattern: x[0]: anything-but: empty array"},
		{`{"x":[{"anything-but":{"wildcard":"a*"}}]}`, `anything-but: expected {"prefix": string} or {"suffix": string}, found key "wildcard"`},
		{`{"x":[{"anything-but":[true]}]}`, "anything-but takes strings or numbers, found a boolean"},
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

func TestMatchRejectsNonObjectEvents(t *testing.T) {
	p := MustCompile(`{"source":["acs.ecs"]}`)
	for _, ev := range []string{`[{"source":"acs.ecs"}]`, `"acs.ecs"`, `{`, ``} {
		if ok, err := p.Match([]byte(ev)); err == nil || ok {
			t.Errorf("Match(%q) = %v, %v; want an error", ev, ok, err)
		}
	}
}

func TestMatchValueAcceptsFloat64(t *testing.T) {
	p := MustCompile(`{"n":[{"numeric":[">",1]}]}`)
	if !p.MatchValue(map[string]any{"n": 2.0}) || p.MatchValue(map[string]any{"n": 1.0}) {
		t.Error("MatchValue does not compare float64 numbers")
	}
}

func FuzzMatch(f *testing.F) {
	f.Add(`{"source":["acs.ecs"],"data":{"errorCode":[{"exists":false}]}}`, `{"source":"acs.ecs","data":{}}`)
	f.Add(`{"a":[{"numeric":[">",0,"<=",5]},{"cidr":"::/0"}]}`, `{"a":[1,"::1",{"b":2}]}`)
	f.Fuzz(func(t *testing.T, pattern, event string) {
		p, err := Compile([]byte(pattern))
		if err != nil {
			return
		}
		_, _ = p.Match([]byte(event)) // must not panic
	})
}
