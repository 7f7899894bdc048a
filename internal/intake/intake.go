// Package intake turns one Function Compute invocation payload into what the function should
// look at: disks and instances named by events, a reconcile sweep, or a direct request.
//
// Alibaba Cloud emits no "disk created" or "tag changed" event. The signals are ActionTrail
// records of ECS calls (CreateDisk, RunInstances, CreateInstance, console Create,
// TagResources, AddTags) delivered by EventBridge as CloudEvents 1.0, Tag service TagResources
// records, Cloud Config change notifications, an FC timer and direct calls. Decode accepts all
// of them (see Decode). An event is a hint, never the truth: the function re-reads every disk
// before acting, so intake forwards what an event names and leaves judgement to the engine.
//
// Only the standard library, and package valid's ID rules, are used.
package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Limits on what Decode reads. FC itself caps synchronous payloads; these caps also hold for a
// payload handed to the CLI, and bound memory and time for any input.
const (
	// MaxPayloadBytes is the largest payload accepted: 6 MiB, the classic FC synchronous
	// invocation limit, far above any event EventBridge delivers.
	MaxPayloadBytes = 6 << 20
	// MaxDepth is the deepest JSON nesting accepted; real events nest about 5 levels.
	MaxDepth = 64
)

// ErrUndecodable is wrapped by every error Decode returns: the payload is none of the accepted
// shapes (or breaks a limit), so nothing should be called and retrying will not help.
var ErrUndecodable = errors.New("undecodable payload")

var errTooDeep = errors.New("JSON nests deeper than " + strconv.Itoa(MaxDepth) + " levels")

const acceptedShapes = `expected one of: a CloudEvent object from EventBridge ({"specversion","id","source","type","data"}); ` +
	`a JSON array of CloudEvents, as objects or as JSON strings; ` +
	`an FC timer event {"triggerTime","triggerName","payload"}; ` +
	`or a direct request {"diskIds":["d-..."],"regionId":"cn-hangzhou"} (also "instanceIds")`

func errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUndecodable, fmt.Sprintf(format, args...))
}

// Event identifies what asked for the work, for logs and the report's "event" field.
type Event struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	Type   string `json:"type"`
	Name   string `json:"name"`           // ActionTrail eventName, timer trigger name, ...
	Time   string `json:"time,omitempty"` // as the event wrote it: formats vary, never parsed
}

// Sources and types of the payloads that are not CloudEvents.
const (
	SourceTimer  = "fc.timer"
	TypeTimer    = "fc:Timer:Reconcile"
	SourceDirect = "direct"
	TypeDirect   = "absr:Direct:Request"
	NameBatch    = "batch"
)

// Target is a set of resources one event names in one region.
type Target struct {
	Event Event // the event that named them
	// Region is the resources' region; "" when the payload does not say (a direct request
	// without regionId): the handler uses the function's own region.
	Region string
	// DiskIDs are disks to examine; well-formed, unique within the Request, in event order.
	DiskIDs []string
	// InstanceIDs are instances whose disks to list and examine.
	InstanceIDs []string
	// TagHint holds the tags the event says were set (e.g. dr=enabled); nil if none. It is a
	// hint for logs and early filtering: the disk's current tags decide.
	TagHint map[string]string
	// Created is set when the event created the resources: they may not be visible (or may
	// still be Creating) for a short while, so "not found" deserves a retry.
	Created bool
}

// Sweep is a reconcile request from the timer trigger.
type Sweep struct {
	TriggerName string
	TriggerTime string   // as FC wrote it
	Regions     []string // nil: the configured regions (ABSR_SOURCE_REGIONS)
	Cursor      string   // opaque continuation of an earlier sweep; "" to start over
}

// Ignored is an event that was recognised but asks for nothing: never an error.
type Ignored struct {
	Event  Event
	Reason string // one of the Reason* constants
	Detail string // for people: what exactly, with user-supplied values quoted and cut short
}

// Reasons an event is ignored.
const (
	// ReasonFailedCall: the recorded call failed (the record carries errorCode).
	ReasonFailedCall = "failed_call"
	// ReasonNotADisk: the event concerns another kind of resource (instance tags, a bucket...).
	ReasonNotADisk = "not_a_disk"
	// ReasonOtherSource: an event source this function does not handle.
	ReasonOtherSource = "other_source"
	// ReasonUnsupportedType: a handled source, but an event type that cannot opt a disk in.
	ReasonUnsupportedType = "unsupported_type"
	// ReasonUnsupportedEvent: an ActionTrail record of another call (DeleteDisk, ResizeDisk...).
	ReasonUnsupportedEvent = "unsupported_event"
	// ReasonNoResourceID: a handled call whose record names no disk or instance; the reconcile
	// sweep covers such disks.
	ReasonNoResourceID = "no_resource_id"
	// ReasonInvalidID: names that are not well-formed disk or instance IDs (also reported
	// beside a Target when only some of an event's names were bad).
	ReasonInvalidID = "invalid_id"
	// ReasonMalformed: a CloudEvent whose data is not the record its type promises.
	ReasonMalformed = "malformed_event"
	// ReasonDuplicateEvent: the same source and id appeared earlier in this payload.
	ReasonDuplicateEvent = "duplicate_event"
	// ReasonDuplicateResource: every resource the event names was named earlier in this payload.
	ReasonDuplicateResource = "duplicate_resource"
	// ReasonResourceDeleted: a Cloud Config notification that the disk was deleted.
	ReasonResourceDeleted = "resource_deleted"
)

// Request is one decoded invocation. Exactly one of these holds: Sweep != nil (timer), or
// Targets and Ignored describe the events (either may be empty when the other is not).
type Request struct {
	// Event is the only event; for a batch of several, a summary: the first event's id with
	// "+<n-1>", the common source and type (or "mixed"), and the name "batch".
	Event   Event
	Events  int // CloudEvents in the payload (0 for timer and direct requests)
	Targets []Target
	Sweep   *Sweep
	Ignored []Ignored
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Decode reads one invocation payload. Accepted shapes:
//
//   - one CloudEvent: acs.ecs ActionTrail ApiCall/ConsoleOperation records (also via source
//     acs.actiontrail) of CreateDisk, RunInstances, CreateInstance, Create, TagResources and
//     AddTags; Tag service TagResources (source acs.tag, ResourceARN.N and a Tags JSON string);
//     Cloud Config ConfigurationItemChangeNotification for ACS::ECS::Disk;
//   - a JSON array of CloudEvents, each an object or a JSON string holding one;
//   - an FC timer event {"triggerTime","triggerName","payload"} (see Sweep; the payload string
//     may be {"regions":["cn-hangzhou"],"cursor":"..."}, anything else means the configured
//     regions);
//   - a direct request {"diskIds":[...],"instanceIds":[...],"regionId":"..."}.
//
// A CloudEvent that is recognised but asks for nothing (failed call, other resource or source)
// lands in Ignored with a reason, never in an error. Anything else, a payload over
// MaxPayloadBytes or nested deeper than MaxDepth, is an error wrapping ErrUndecodable whose
// text names the accepted shapes.
func Decode(payload []byte) (Request, error) {
	if len(payload) > MaxPayloadBytes {
		return Request{}, errorf("payload is %d bytes, over the %d-byte limit", len(payload), MaxPayloadBytes)
	}
	body := bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(payload), utf8BOM))
	if len(body) == 0 {
		return Request{}, errorf("payload is empty; %s", acceptedShapes)
	}
	if err := checkDepth(body); err != nil {
		return Request{}, errorf("%v", err)
	}
	switch body[0] {
	case '{':
		o, err := decodeObject(body)
		if err != nil {
			return Request{}, errorf("payload is not valid JSON (%v); %s", err, acceptedShapes)
		}
		if !isCloudEvent(o) {
			// Direct requests and timer events are written by hand: a key given twice would
			// silently lose the first value.
			if k, dup := duplicateKey(body); dup {
				return Request{}, errorf("field %q is given twice", clip(k))
			}
		}
		return decodeTopObject(o)
	case '[':
		return decodeArray(body)
	default:
		if !json.Valid(body) {
			return Request{}, errorf("payload is not JSON; %s", acceptedShapes)
		}
		return Request{}, errorf("a JSON %s is not an accepted payload; %s", jsonKind(body[0]), acceptedShapes)
	}
}

func jsonKind(first byte) string {
	switch first {
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case '[':
		return "array"
	case '{':
		return "object"
	default:
		return "number"
	}
}

func isCloudEvent(o object) bool {
	return o.has("specversion") || (o.has("source") && o.has("type"))
}

func decodeTopObject(o object) (Request, error) {
	switch {
	case isCloudEvent(o):
		var b builder
		b.add(o)
		return b.request(), nil
	case o.has("triggerTime") || o.has("triggerName"):
		return decodeTimer(o)
	case o.has("diskIds") || o.has("instanceIds"):
		return decodeDirect(o)
	default:
		return Request{}, errorf("the JSON object has none of the fields that identify a payload "+
			"(specversion, or source and type; triggerTime/triggerName; diskIds/instanceIds); %s", acceptedShapes)
	}
}

func decodeArray(body []byte) (Request, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(body, &elems); err != nil {
		return Request{}, errorf("payload is not valid JSON (%v); %s", err, acceptedShapes)
	}
	if len(elems) == 0 {
		return Request{}, errorf("the array holds no events; %s", acceptedShapes)
	}
	var b builder
	for i, e := range elems {
		o, err := arrayElement(e)
		if err != nil {
			return Request{}, errorf("array element %d: %v; every element must be a CloudEvent, as an object or a JSON string holding one", i, err)
		}
		b.add(o)
	}
	return b.request(), nil
}

// arrayElement decodes one element of a batch: a CloudEvent object, or a JSON string holding
// one (event-streaming delivery escapes each event into a string).
func arrayElement(e json.RawMessage) (object, error) {
	e = bytes.TrimSpace(e)
	if len(e) > 0 && e[0] == '"' {
		var s string
		if err := json.Unmarshal(e, &s); err != nil {
			return nil, err
		}
		e = bytes.TrimSpace([]byte(s))
		if len(e) == 0 {
			return nil, errors.New("an empty string")
		}
		if e[0] != '{' {
			return nil, errors.New("a string that does not hold a JSON object")
		}
		o, err := decodeUnquoted(e)
		if err != nil {
			return nil, fmt.Errorf("a string that is not a valid JSON object (%v)", err)
		}
		if !isCloudEvent(o) {
			return nil, errors.New("an object that is not a CloudEvent (no specversion, source or type)")
		}
		return o, nil
	}
	if len(e) == 0 {
		return nil, errors.New("nothing")
	}
	if e[0] != '{' {
		return nil, fmt.Errorf("a JSON %s", jsonKind(e[0]))
	}
	o, err := decodeObject(e)
	if err != nil {
		return nil, err
	}
	if !isCloudEvent(o) {
		return nil, errors.New("an object that is not a CloudEvent (no specversion, source or type)")
	}
	return o, nil
}

// builder accumulates the targets and ignored events of one payload, removing repeats: an
// event seen before (same source and id) and resources named before.
type builder struct {
	req        Request
	events     []Event
	seenEvents map[string]bool
	diskAt     map[string]int // disk ID -> index of the target that holds it
	instanceAt map[string]int
}

func (b *builder) ignore(ev Event, reason, detail string) {
	b.req.Ignored = append(b.req.Ignored, Ignored{Event: ev, Reason: reason, Detail: detail})
}

// target adds t, minus the resources already named earlier in the payload. A repeat of a
// created resource marks the earlier target Created too (it may still be invisible).
func (b *builder) target(t Target) {
	if b.diskAt == nil {
		b.diskAt, b.instanceAt = map[string]int{}, map[string]int{}
	}
	idx := len(b.req.Targets)
	keep := func(ids []string, at map[string]int) []string {
		var out []string
		for _, id := range ids {
			if prev, ok := at[id]; ok {
				if t.Created {
					b.req.Targets[prev].Created = true
				}
				continue
			}
			at[id] = idx
			out = append(out, id)
		}
		return out
	}
	t.DiskIDs = keep(t.DiskIDs, b.diskAt)
	t.InstanceIDs = keep(t.InstanceIDs, b.instanceAt)
	if len(t.DiskIDs) == 0 && len(t.InstanceIDs) == 0 {
		b.ignore(t.Event, ReasonDuplicateResource, "every resource it names is named earlier in this payload")
		return
	}
	b.req.Targets = append(b.req.Targets, t)
}

func (b *builder) request() Request {
	b.req.Events = len(b.events)
	switch len(b.events) {
	case 0:
	case 1:
		b.req.Event = b.events[0]
	default:
		first := b.events[0]
		sum := Event{ID: first.ID + "+" + strconv.Itoa(len(b.events)-1), Source: first.Source, Type: first.Type, Name: NameBatch, Time: first.Time}
		for _, ev := range b.events[1:] {
			if ev.Source != sum.Source {
				sum.Source = "mixed"
			}
			if ev.Type != sum.Type {
				sum.Type = "mixed"
			}
		}
		b.req.Event = sum
	}
	return b.req
}
