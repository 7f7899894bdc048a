package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The expected Requests below are written by hand from the fixtures in testdata/, not
// captured from Decode's output.

const (
	tFix    = "2026-11-27T10:00:00Z"
	apiCall = "ecs:ActionTrail:ApiCall"
	console = "ecs:ActionTrail:ConsoleOperation"
	cfgType = "config:Config:ConfigurationItemChangeNotification"
	tagType = "tag:ActionTrail:ApiCall"
)

func ecsEv(id, name string) Event {
	return Event{ID: id, Source: "acs.ecs", Type: apiCall, Name: name, Time: tFix}
}

func tags(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// one builds the Request of a single event.
func one(ev Event, targets []Target, ignored ...Ignored) Request {
	return Request{Event: ev, Events: 1, Targets: targets, Ignored: ignored}
}

// ignoredOnly builds the Request of a single event that asks for nothing.
func ignoredOnly(ev Event, reason, detail string) Request {
	return one(ev, nil, Ignored{Event: ev, Reason: reason, Detail: detail})
}

func TestDecodeFixtures(t *testing.T) {
	cdResp := Event{ID: "ev-cd-resp", Source: "acs.ecs", Type: apiCall, Name: "CreateDisk", Time: "2026-11-27T18:00:00+08:00"}
	cdRefs := Event{ID: "ev-cd-refs", Source: "acs.ecs", Type: apiCall, Name: "CreateDisk", Time: "2026-11-27T10:00:00.179PRC"}
	atCD := Event{ID: "ev-at-cd", Source: "acs.actiontrail", Type: "actiontrail:ActionTrail:ApiCall", Name: "CreateDisk", Time: tFix}
	atVpc := Event{ID: "ev-at-vpc", Source: "acs.actiontrail", Type: "actiontrail:ActionTrail:ApiCall", Name: "CreateVpc", Time: tFix}
	conDisk := Event{ID: "ev-con-disk", Source: "acs.ecs", Type: console, Name: "Create", Time: tFix}
	conSG := Event{ID: "ev-con-sg", Source: "acs.ecs", Type: console, Name: "Create", Time: tFix}
	conStr := Event{ID: "ev-con-str", Source: "acs.ecs", Type: console, Name: "Create", Time: tFix}
	tagMulti := Event{ID: "ev-tag-multi", Source: "acs.tag", Type: tagType, Name: "TagResources", Time: tFix}
	tagInst := Event{ID: "ev-tag-inst", Source: "acs.tag", Type: tagType, Name: "TagResources", Time: tFix}
	tagUntag := Event{ID: "ev-tag-untag", Source: "acs.tag", Type: tagType, Name: "UntagResources", Time: tFix}
	tagOther := Event{ID: "ev-tag-other-type", Source: "acs.tag", Type: "tag:Tag:TagResources", Name: "TagResources", Time: tFix}
	cfgDisk := Event{ID: "ev-cfg-disk", Source: "acs.config", Type: cfgType, Name: "ConfigurationItemChangeNotification", Time: tFix}
	cfg := func(id string) Event {
		return Event{ID: id, Source: "acs.config", Type: cfgType, Name: "ConfigurationItemChangeNotification", Time: tFix}
	}
	oss := Event{ID: "ev-oss", Source: "acs.oss", Type: "oss:ObjectCreated:PutObject", Name: "ObjectCreated:PutObject", Time: tFix}
	timer := func(name, at string) Event {
		return Event{ID: name + "@" + at, Source: SourceTimer, Type: TypeTimer, Name: name, Time: at}
	}
	direct := Event{Source: SourceDirect, Type: TypeDirect}

	tests := []struct {
		file string
		want Request
	}{
		// ECS ActionTrail: CreateDisk, with the disk ID and region wherever the record keeps them.
		{"createdisk-response-only.json", one(cdResp, []Target{{Event: cdResp, Region: "cn-hangzhou",
			DiskIDs: []string{"d-bp1resp0001"}, TagHint: tags("dr", "enabled"), Created: true}})},
		{"createdisk-refs-only.json", one(cdRefs, []Target{{Event: cdRefs, Region: "cn-beijing",
			DiskIDs: []string{"d-2zerefs0001"}, Created: true}})},
		{"createdisk-resourcename.json", one(ecsEv("ev-cd-rn", "CreateDisk"), []Target{{Event: ecsEv("ev-cd-rn", "CreateDisk"),
			Region: "cn-hangzhou", DiskIDs: []string{"d-bp1rname0001"}, Created: true}})},
		{"createdisk-both-sources.json", one(ecsEv("ev-cd-both", "CreateDisk"), []Target{{Event: ecsEv("ev-cd-both", "CreateDisk"),
			Region: "cn-hangzhou", DiskIDs: []string{"d-bp1both0001"}, TagHint: tags("app", "db"), Created: true}})},
		{"createdisk-no-id.json", ignoredOnly(ecsEv("ev-cd-noid", "CreateDisk"), ReasonNoResourceID,
			"the record names no disk or instance; the reconcile sweep will find it")},
		{"createdisk-failed.json", ignoredOnly(ecsEv("ev-cd-fail", "CreateDisk"), ReasonFailedCall,
			`the call failed with errorCode "InvalidDiskSize.TooSmall"`)},
		{"createdisk-masked-id.json", ignoredOnly(ecsEv("ev-cd-mask", "CreateDisk"), ReasonInvalidID,
			`not disk or instance IDs: "d-bp1****"`)},
		{"createdisk-via-actiontrail-source.json", one(atCD, []Target{{Event: atCD, Region: "cn-hangzhou",
			DiskIDs: []string{"d-bp1generic0001"}, Created: true}})},
		{"actiontrail-source-other-service.json", ignoredOnly(atVpc, ReasonOtherSource, `an ActionTrail record of service "Vpc"`)},

		// Instances: RunInstances, CreateInstance, console Create.
		{"runinstances-two.json", one(ecsEv("ev-ri-2", "RunInstances"), []Target{{Event: ecsEv("ev-ri-2", "RunInstances"),
			Region: "cn-hangzhou", InstanceIDs: []string{"i-bp1run0001", "i-bp1run0002", "i-bp1run0003"},
			TagHint: tags("dr", "enabled"), Created: true}})},
		{"createinstance.json", one(ecsEv("ev-ci", "CreateInstance"), []Target{{Event: ecsEv("ev-ci", "CreateInstance"),
			Region: "cn-hangzhou", InstanceIDs: []string{"i-bp1create0001"}, Created: true}})},
		{"runinstances-no-ids.json", ignoredOnly(ecsEv("ev-ri-none", "RunInstances"), ReasonNoResourceID,
			"the record names no disk or instance; the reconcile sweep will find it")},
		{"console-create-disk.json", one(conDisk, []Target{{Event: conDisk, Region: "cn-hangzhou",
			DiskIDs: []string{"d-bp1console0001"}, Created: true}})},
		{"console-create-security-group.json", ignoredOnly(conSG, ReasonNotADisk,
			`names only other resources: "acs::ecs::securitygroup/sg-bp1console0001"`)},
		{"console-create-params-string.json", one(conStr, []Target{{Event: conStr, Region: "cn-hangzhou",
			DiskIDs: []string{"d-bp1str0001", "d-bp1str0002"}, InstanceIDs: []string{"i-bp1str0001"},
			TagHint: tags("dr", "enabled"), Created: true}})},

		// ECS TagResources and AddTags.
		{"tagresources-numbers-order.json", one(ecsEv("ev-tr-num", "TagResources"),
			[]Target{{Event: ecsEv("ev-tr-num", "TagResources"), Region: "cn-hangzhou",
				DiskIDs: []string{"d-bp1one", "d-bp1two", "d-bp1ten"},
				TagHint: tags("cost", "42", "dr", "enabled", "flag", "true")}},
			Ignored{Event: ecsEv("ev-tr-num", "TagResources"), Reason: ReasonInvalidID, Detail: `not disk IDs or ARNs: "not-a-disk"`})},
		{"tagresources-lists.json", one(ecsEv("ev-tr-list", "TagResources"), []Target{{Event: ecsEv("ev-tr-list", "TagResources"),
			Region: "cn-hangzhou", DiskIDs: []string{"d-bp1list0001", "d-bp1list0002"}, TagHint: tags("dr", "enabled", "env", "prod")}})},
		{"tagresources-no-type.json", one(ecsEv("ev-tr-notype", "TagResources"),
			[]Target{{Event: ecsEv("ev-tr-notype", "TagResources"), Region: "cn-hangzhou",
				DiskIDs: []string{"d-bp1notype0001"}, TagHint: tags("dr", "enabled")}},
			Ignored{Event: ecsEv("ev-tr-notype", "TagResources"), Reason: ReasonInvalidID, Detail: `not disk IDs or ARNs: "i-bp1notype0001"`})},
		{"tagresources-no-resource.json", ignoredOnly(ecsEv("ev-tr-none", "TagResources"), ReasonNoResourceID,
			"the record names no resource (ResourceId.N or ResourceARN.N)")},
		{"tagresources-all-invalid.json", ignoredOnly(ecsEv("ev-tr-bad", "TagResources"), ReasonInvalidID,
			`not disk IDs or ARNs: "d-bp1****", "d-../../etc"`)},
		{"tagresources-other-tags.json", one(ecsEv("ev-tr-other", "TagResources"), []Target{{Event: ecsEv("ev-tr-other", "TagResources"),
			Region: "cn-hangzhou", DiskIDs: []string{"d-bp1other0001"}, TagHint: tags("dr:secondary-disk", "d-uf6second0001")}})},
		{"tagresources-bad-region.json", one(ecsEv("ev-tr-region", "TagResources"), []Target{{Event: ecsEv("ev-tr-region", "TagResources"),
			Region: "", DiskIDs: []string{"d-bp1region0001"}}})},
		// Tag events without requestParameters (ActionTrail marks them optional; EventBridge's own
		// sample has none): disk IDs from referencedResources, for API and console tagging alike.
		{"tagresources-refs-only.json", one(ecsEv("ev-tr-refs", "TagResources"), []Target{{Event: ecsEv("ev-tr-refs", "TagResources"),
			Region: "cn-hangzhou", DiskIDs: []string{"d-bp1refs0001", "d-bp1refs0002"}}})},
		{"console-tagresources-refs-only.json", one(Event{ID: "ev-con-tag", Source: "acs.ecs", Type: console, Name: "TagResources", Time: tFix},
			[]Target{{Event: Event{ID: "ev-con-tag", Source: "acs.ecs", Type: console, Name: "TagResources", Time: tFix},
				Region: "cn-hangzhou", DiskIDs: []string{"d-bp1console0001"}}})},
		{"addtags-refs-only.json", one(ecsEv("ev-at-refs", "AddTags"), []Target{{Event: ecsEv("ev-at-refs", "AddTags"),
			Region: "cn-hangzhou", DiskIDs: []string{"d-bp1addrefs0001"}}})},
		{"tagresources-refs-and-params.json", one(ecsEv("ev-tr-both", "TagResources"), []Target{{Event: ecsEv("ev-tr-both", "TagResources"),
			Region: "cn-hangzhou", DiskIDs: []string{"d-bp1both0001"}, TagHint: tags("dr", "enabled")}})},
		{"addtags-instance.json", ignoredOnly(ecsEv("ev-at-inst", "AddTags"), ReasonNotADisk, `ResourceType "instance"`)},
		{"data-as-string.json", one(ecsEv("ev-data-str", "TagResources"), []Target{{Event: ecsEv("ev-data-str", "TagResources"),
			Region: "cn-hangzhou", DiskIDs: []string{"d-bp1datastr0001"}}})},
		{"bom-event.json", one(ecsEv("ev-bom", "TagResources"), []Target{{Event: ecsEv("ev-bom", "TagResources"),
			Region: "cn-hangzhou", DiskIDs: []string{"d-bp1bom0001"}, TagHint: tags("dr", "enabled")}})},

		// Recognised, asks for nothing.
		{"deletedisk.json", ignoredOnly(ecsEv("ev-del", "DeleteDisk"), ReasonUnsupportedEvent, `eventName "DeleteDisk"`)},
		{"ecs-non-actiontrail-type.json", ignoredOnly(Event{ID: "ev-sys", Source: "acs.ecs", Type: "ecs:Disk:DiskOperationCompleted",
			Name: "DiskOperationCompleted", Time: tFix}, ReasonUnsupportedType, `type "ecs:Disk:DiskOperationCompleted"`)},
		{"other-source.json", ignoredOnly(oss, ReasonOtherSource, `source "acs.oss"`)},
		{"data-not-object.json", ignoredOnly(ecsEv("ev-bad-data", "ApiCall"), ReasonMalformed, "data is not an ActionTrail record (a JSON object)")},
		{"record-no-eventname.json", ignoredOnly(ecsEv("ev-no-name", "ApiCall"), ReasonMalformed, "the ActionTrail record has no eventName")},

		// Tag service.
		{"tagservice-multi-region.json", one(tagMulti,
			[]Target{
				{Event: tagMulti, Region: "cn-hangzhou", DiskIDs: []string{"d-bp1arn0001", "d-bp1arn0004"}, TagHint: tags("dr", "enabled", "owner", "ops")},
				{Event: tagMulti, Region: "cn-beijing", DiskIDs: []string{"d-2zearn0002"}, TagHint: tags("dr", "enabled", "owner", "ops")},
			},
			Ignored{Event: tagMulti, Reason: ReasonNotADisk, Detail: `also tags other resources: "instance/i-bp1arn0003"`},
			Ignored{Event: tagMulti, Reason: ReasonInvalidID, Detail: `not disk IDs or ARNs: "arn:aws:ec2:us-east-1:1:volume/vol-1"`})},
		{"tagservice-instances-only.json", ignoredOnly(tagInst, ReasonNotADisk, `tags other resources: "instance/i-bp1arn0009"`)},
		{"tagservice-untag.json", ignoredOnly(tagUntag, ReasonUnsupportedEvent, `eventName "UntagResources"`)},
		{"tagservice-unconfirmed-type.json", one(tagOther, []Target{{Event: tagOther, Region: "cn-shenzhen",
			DiskIDs: []string{"d-wz9arn0001"}, TagHint: tags("dr", "enabled")}})},

		// Cloud Config.
		{"config-disk.json", one(cfgDisk, []Target{{Event: cfgDisk, Region: "cn-hangzhou",
			DiskIDs: []string{"d-bp1config0001"}, TagHint: tags("dr", "enabled")}})},
		{"config-instance.json", ignoredOnly(cfg("ev-cfg-inst"), ReasonNotADisk, `resourceType "ACS::ECS::Instance"`)},
		{"config-deleted.json", ignoredOnly(cfg("ev-cfg-del"), ReasonResourceDeleted, "disk d-bp1config0002 was deleted")},
		{"config-mns-shape.json", one(Event{ID: "ev-cfg-mns", Source: "acs.config", Type: cfgType, Name: "ResourceChange", Time: tFix},
			[]Target{{Event: Event{ID: "ev-cfg-mns", Source: "acs.config", Type: cfgType, Name: "ResourceChange", Time: tFix},
				Region: "cn-shanghai", DiskIDs: []string{"d-uf6config0003"}, TagHint: tags("dr", "enabled")}})},
		{"config-no-resource.json", ignoredOnly(cfg("ev-cfg-none"), ReasonNoResourceID, "the notification has no resourceId")},
		{"config-data-null.json", ignoredOnly(cfg("ev-cfg-null"), ReasonMalformed, "data is not a configuration item (a JSON object)")},
		{"config-other-type.json", ignoredOnly(Event{ID: "ev-cfg-nc", Source: "acs.config", Type: "config:Config:NonCompliantNotification",
			Name: "NonCompliantNotification", Time: tFix}, ReasonUnsupportedType, `type "config:Config:NonCompliantNotification"`)},

		// Batches: strings and objects, repeats removed, Created carried to the first mention.
		{"batch-mixed.json", Request{
			Event:  Event{ID: "ev-b-1+4", Source: "mixed", Type: "mixed", Name: NameBatch, Time: tFix},
			Events: 5,
			Targets: []Target{
				{Event: ecsEv("ev-b-1", "TagResources"), Region: "cn-hangzhou", DiskIDs: []string{"d-bp1batch0001"},
					TagHint: tags("dr", "enabled"), Created: true},
				{Event: ecsEv("ev-b-2", "TagResources"), Region: "cn-hangzhou", DiskIDs: []string{"d-bp1batch0002"},
					TagHint: tags("dr", "enabled")},
			},
			Ignored: []Ignored{
				{Event: oss, Reason: ReasonOtherSource, Detail: `source "acs.oss"`},
				{Event: ecsEv("ev-b-1", "TagResources"), Reason: ReasonDuplicateEvent, Detail: "the same source and id appeared earlier in this payload"},
				{Event: ecsEv("ev-b-cd", "CreateDisk"), Reason: ReasonDuplicateResource, Detail: "every resource it names is named earlier in this payload"},
			},
		}},
		{"batch-one.json", one(ecsEv("ev-b-only", "TagResources"), []Target{{Event: ecsEv("ev-b-only", "TagResources"),
			Region: "cn-hangzhou", DiskIDs: []string{"d-bp1batch0009"}, TagHint: tags("dr", "enabled")}})},
		{"batch-sources-mixed.json", Request{
			Event:  Event{ID: "ev-b-m1+1", Source: "mixed", Type: "mixed", Name: NameBatch, Time: tFix},
			Events: 2,
			Targets: []Target{
				{Event: ecsEv("ev-b-m1", "TagResources"), Region: "cn-hangzhou", DiskIDs: []string{"d-bp1mixed0001"}, TagHint: tags("dr", "enabled")},
				{Event: cfgDisk, Region: "cn-hangzhou", DiskIDs: []string{"d-bp1config0001"}, TagHint: tags("dr", "enabled")},
			},
		}},

		// Timer.
		{"timer-empty-payload.json", Request{Event: timer("sweep", "2026-11-27T10:30:00Z"),
			Sweep: &Sweep{TriggerName: "sweep", TriggerTime: "2026-11-27T10:30:00Z"}}},
		{"timer-no-payload.json", Request{Event: timer("sweep", "2026-11-27T10:30:00Z"),
			Sweep: &Sweep{TriggerName: "sweep", TriggerTime: "2026-11-27T10:30:00Z"}}},
		{"timer-object-payload.json", Request{Event: timer("sweep", "2026-11-27T10:30:00+08:00"),
			Sweep: &Sweep{TriggerName: "sweep", TriggerTime: "2026-11-27T10:30:00+08:00",
				Regions: []string{"cn-hangzhou", "cn-beijing"}, Cursor: "page-3"}}},

		// Direct.
		{"direct-comma-string.json", Request{Event: direct, Targets: []Target{{Event: direct,
			DiskIDs: []string{"d-bp1comma0001", "d-bp1comma0002"}}}}},
		{"direct-instances.json", Request{Event: direct, Targets: []Target{{Event: direct,
			DiskIDs: []string{"d-bp1direct0001"}, InstanceIDs: []string{"i-bp1direct0001"}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got, err := Decode(readFixture(t, tc.file))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Decode mismatch\n got: %s\nwant: %s", dump(got), dump(tc.want))
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string // substrings of the error text
	}{
		{"empty.json", []string{"payload is empty", "expected one of"}},
		{"whitespace.json", []string{"payload is empty"}},
		{"null.json", []string{"a JSON null is not an accepted payload", "direct request"}},
		{"number.json", []string{"a JSON number is not an accepted payload"}},
		{"string.json", []string{"a JSON string is not an accepted payload"}},
		{"invalid.json", []string{"payload is not valid JSON", "expected one of"}},
		{"not-json.json", []string{"payload is not JSON", "FC timer event"}},
		{"empty-array.json", []string{"the array holds no events"}},
		{"array-of-numbers.json", []string{"array element 0: a JSON number", "every element must be a CloudEvent"}},
		{"array-string-not-json.json", []string{"array element 0: a string that does not hold a JSON object"}},
		{"array-string-array.json", []string{"array element 0: a string that does not hold a JSON object"}},
		{"array-non-event.json", []string{"array element 0: an object that is not a CloudEvent"}},
		{"array-nested-array.json", []string{"array element 0: a JSON array"}},
		{"unknown-object.json", []string{"none of the fields that identify a payload", "expected one of"}},
		{"empty-object.json", []string{"none of the fields that identify a payload"}},
		{"timer-bad-region.json", []string{`timer payload: not region IDs: "Mars"`}},
		{"timer-unknown-field.json", []string{`timer payload has unknown or repeated field "region"`, `"regions"`}},
		{"timer-bad-json.json", []string{"is not a JSON object", "configured regions"}},
		{"timer-empty-regions.json", []string{`"regions" is empty`}},
		{"timer-nameless.json", []string{"triggerName and triggerTime are both empty"}},
		{"direct-bad-id.json", []string{`diskIds: not disk IDs (d-...): "vol-123", "d-"`}},
		{"direct-bad-instance.json", []string{`instanceIds: not instance IDs (i-...): "d-bp1ok0001"`}},
		{"direct-unknown-field.json", []string{`unknown or repeated field "region"`, `"regionId"`}},
		{"direct-repeated-field.json", []string{`unknown or repeated field "diskIds"`}},
		{"direct-same-key-twice.json", []string{`field "diskIds" is given twice`}},
		{"timer-same-key-twice.json", []string{`timer payload: field "regions" is given twice`}},
		{"direct-bad-region.json", []string{`regionId "hangzhou" is not a region ID`}},
		{"direct-empty.json", []string{"direct request names no disks"}},
		{"direct-ids-object.json", []string{`direct request: diskIds must be a list of IDs such as ["d-..."]`}},
		{"direct-ids-number.json", []string{"direct request: diskIds[1] is not a string"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got, err := Decode(readFixture(t, tc.file))
			checkDecodeError(t, got, err, tc.want...)
		})
	}
}

func TestDecodeLimits(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	deepObject := `{"id":"x","source":"acs.ecs","type":"` + apiCall + `","data":` +
		strings.Repeat(`{"a":`, MaxDepth) + `1` + strings.Repeat("}", MaxDepth) + "}"
	deepInString, _ := json.Marshal([]string{deepObject})
	big := append([]byte(`{"diskIds":["d-bp1big"],"regionId":"cn-hangzhou","pad":"`),
		bytes.Repeat([]byte("x"), MaxPayloadBytes)...)
	big = append(big, `"}`...)
	million := strings.Repeat("[", 1_000_000)

	tests := []struct {
		name    string
		payload []byte
		want    string
	}{
		{"array nested too deep", []byte(deep), "JSON nests deeper than 64 levels"},
		{"object nested too deep", []byte(deepObject), "JSON nests deeper than 64 levels"},
		{"too deep inside an escaped event", deepInString, "array element 0: a string that is not a valid JSON object (JSON nests deeper than 64 levels)"},
		{"a million brackets", []byte(million), "JSON nests deeper than 64 levels"},
		{"over the size limit", big, "over the 6291456-byte limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.payload)
			checkDecodeError(t, got, err, tc.want)
		})
	}

	// Exactly at the depth limit is fine.
	atLimit := `{"diskIds":["d-bp1depth"],"regionId":"cn-hangzhou"}`
	if _, err := Decode([]byte(atLimit)); err != nil {
		t.Fatalf("shallow payload: %v", err)
	}
	ok := `[` + strings.Repeat(`[`, MaxDepth-1) + strings.Repeat(`]`, MaxDepth-1) + `]`
	if err := checkDepth([]byte(ok)); err != nil {
		t.Errorf("depth %d refused: %v", MaxDepth, err)
	}
	// Brackets inside strings (escaped quotes included) do not count.
	quoted := `{"a":"` + strings.Repeat(`[\"{`, 500) + `"}`
	if err := checkDepth([]byte(quoted)); err != nil {
		t.Errorf("brackets in a string counted: %v", err)
	}
}

func checkDecodeError(t *testing.T, got Request, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Decode succeeded, want an error; got %s", dump(got))
	}
	if !errors.Is(err, ErrUndecodable) {
		t.Errorf("error %q does not wrap ErrUndecodable", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if !reflect.DeepEqual(got, Request{}) {
		t.Errorf("an error came with a non-empty Request: %s", dump(got))
	}
}

// TestTargetsOwnTheirTags: targets of one event must not share a TagHint map, so a handler
// that edits one cannot change another.
func TestTargetsOwnTheirTags(t *testing.T) {
	req, err := Decode(readFixture(t, "tagservice-multi-region.json"))
	if err != nil || len(req.Targets) != 2 {
		t.Fatalf("Decode: %v, %d targets", err, len(req.Targets))
	}
	req.Targets[0].TagHint["dr"] = "changed"
	if req.Targets[1].TagHint["dr"] != "enabled" {
		t.Errorf("targets share their TagHint map")
	}
}

// TestClipsEventFields: envelope strings are user data echoed in every log line; a huge one is
// cut short on a rune boundary instead of copied whole.
func TestClipsEventFields(t *testing.T) {
	longID := strings.Repeat("x", maxEventField-1) + "事件" + strings.Repeat("y", 10_000)
	payload, _ := json.Marshal(map[string]any{
		"id": longID, "source": "acs.ecs", "type": apiCall,
		"data": map[string]any{"eventName": "DeleteDisk"},
	})
	req, err := Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Repeat("x", maxEventField-1)
	if req.Event.ID != want || req.Ignored[0].Event.ID != want {
		t.Errorf("ID clipped to %d bytes (%q...), want the %d bytes before the cut rune", len(req.Event.ID), req.Event.ID[:8], len(want))
	}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func dump(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}
