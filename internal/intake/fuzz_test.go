package intake

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/valid"
)

// FuzzDecode checks properties that hold for any payload: Decode returns (no panic, no hang),
// errors say something and wrap ErrUndecodable, results hold only well-formed IDs, each disk
// once, known reasons, and the same input always decodes the same way.
//
//	go test -run='^$' -fuzz=FuzzDecode -fuzztime=5m -parallel=1 ./internal/intake
func FuzzDecode(f *testing.F) {
	for _, pattern := range []string{filepath.Join("testdata", "*.json"), filepath.Join(eventsDir, "*.json")} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			if !isSamplePayload(filepath.Base(file)) {
				continue
			}
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`{"diskIds":"d-bp1a, d-bp1b,d-bp1a","regionId":null}`))
	f.Add([]byte(`[{"source":"acs.ecs","type":"ecs:ActionTrail:ApiCall","data":{"eventName":"TagResources","requestParameters":{"ResourceId.999999999":"d-x","Tag.1.Key":"dr"}}}]`))

	f.Fuzz(func(t *testing.T, payload []byte) {
		req, err := decodeWithin(t, payload, 10*time.Second)
		if err != nil {
			if err.Error() == "" || !errors.Is(err, ErrUndecodable) {
				t.Fatalf("error %q: empty or not wrapping ErrUndecodable", err)
			}
			if !reflect.DeepEqual(req, Request{}) {
				t.Fatalf("error %v with a non-empty Request", err)
			}
			return
		}
		checkWellFormed(t, req)
		again, err := Decode(payload)
		if err != nil || !reflect.DeepEqual(req, again) {
			t.Fatalf("decoding twice differs:\n%s\n%s (err %v)", dump(req), dump(again), err)
		}
	})
}

// decodeWithin runs Decode with a watchdog: far above any real decode time, it only turns a
// hang into a failure instead of a stuck fuzzer.
func decodeWithin(t *testing.T, payload []byte, limit time.Duration) (Request, error) {
	type result struct {
		req Request
		err error
	}
	done := make(chan result, 1)
	go func() {
		req, err := Decode(payload)
		done <- result{req, err}
	}()
	select {
	case r := <-done:
		return r.req, r.err
	case <-time.After(limit):
		t.Fatalf("Decode did not return within %v on a %d-byte payload", limit, len(payload))
		return Request{}, nil
	}
}

func allEvents(req Request) []Event {
	evs := []Event{req.Event}
	for _, tg := range req.Targets {
		evs = append(evs, tg.Event)
	}
	for _, ig := range req.Ignored {
		evs = append(evs, ig.Event)
	}
	return evs
}

var knownReasons = map[string]bool{
	ReasonFailedCall: true, ReasonNotADisk: true, ReasonOtherSource: true, ReasonUnsupportedType: true,
	ReasonUnsupportedEvent: true, ReasonNoResourceID: true, ReasonInvalidID: true, ReasonMalformed: true,
	ReasonDuplicateEvent: true, ReasonDuplicateResource: true, ReasonResourceDeleted: true,
}

func checkWellFormed(t *testing.T, req Request) {
	t.Helper()
	for _, ev := range allEvents(req) {
		for _, field := range []string{ev.ID, ev.Source, ev.Type, ev.Name, ev.Time} {
			// Envelope strings are clipped; the timer's id joins two clipped ones.
			if len(field) > 2*maxEventField+1 {
				t.Fatalf("event field of %d bytes", len(field))
			}
		}
	}
	if req.Sweep != nil {
		if len(req.Targets) > 0 || len(req.Ignored) > 0 || req.Events != 0 {
			t.Fatalf("a sweep with events: %s", dump(req))
		}
		seen := map[string]bool{}
		for _, r := range req.Sweep.Regions {
			if !valid.RegionID(r) || seen[r] {
				t.Fatalf("sweep region %q malformed or repeated", r)
			}
			seen[r] = true
		}
		if req.Sweep.Regions != nil && len(req.Sweep.Regions) == 0 {
			t.Fatalf("sweep with an empty, non-nil region list")
		}
		return
	}
	if len(req.Targets) == 0 && len(req.Ignored) == 0 {
		t.Fatalf("a request that asks for nothing and explains nothing: %s", dump(req))
	}
	if req.Event.Source != SourceDirect && req.Events == 0 {
		t.Fatalf("events decoded but Events is 0: %s", dump(req))
	}
	disks, instances := map[string]bool{}, map[string]bool{}
	for _, tg := range req.Targets {
		if len(tg.DiskIDs) == 0 && len(tg.InstanceIDs) == 0 {
			t.Fatalf("empty target: %+v", tg)
		}
		if tg.Region != "" && !valid.RegionID(tg.Region) {
			t.Fatalf("malformed region %q", tg.Region)
		}
		if tg.Event.Source == "" {
			t.Fatalf("target without a source: %+v", tg)
		}
		for _, id := range tg.DiskIDs {
			if !valid.DiskID(id) || disks[id] {
				t.Fatalf("disk ID %q malformed or repeated", id)
			}
			disks[id] = true
		}
		for _, id := range tg.InstanceIDs {
			if !valid.InstanceID(id) || instances[id] {
				t.Fatalf("instance ID %q malformed or repeated", id)
			}
			instances[id] = true
		}
		if tg.TagHint != nil && len(tg.TagHint) == 0 {
			t.Fatalf("empty non-nil TagHint")
		}
	}
	for _, ig := range req.Ignored {
		if !knownReasons[ig.Reason] || ig.Detail == "" {
			t.Fatalf("ignored with reason %q, detail %q", ig.Reason, ig.Detail)
		}
	}
}

// TestWellFormedFixtures runs the fuzz properties over every fixture, so `go test` alone
// keeps them true for the known shapes.
func TestWellFormedFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	if len(files) < 50 {
		t.Fatalf("only %d fixtures found", len(files))
	}
	for _, file := range files {
		req, err := Decode(readFixture(t, filepath.Base(file)))
		if err == nil {
			checkWellFormed(t, req)
		}
	}
}
