package alibaba

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/emulator"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// fakeCloud is a small OpenAPI server for adapter tests: it verifies signatures like the real
// services, records every request, and answers from a tiny model of disks and pairs. Tests
// override answers per call with intercept.
type fakeCloud struct {
	t   testing.TB
	srv *httptest.Server

	mu          sync.Mutex
	secrets     map[string]string // AccessKeyId -> secret
	calls       []fakeCall
	disks       []map[string]any
	ebsPairs    []map[string]any
	legacyPairs []map[string]any
	byToken     map[string]string // action+ClientToken -> created ID
	started     map[string]int
	tagged      map[string]map[string]string
	nextID      int
	intercept   func(c fakeCall, n int) *fakeAnswer // n counts calls of c.Action so far, from 1

	conns atomic.Int64 // TCP connections accepted
}

type fakeCall struct {
	Action, Version string
	Query           url.Values
}

// fakeAnswer overrides the model's answer. fault: "lost" answers nothing after acting,
// "reset" resets the connection before acting, "hang" waits for the client to give up.
type fakeAnswer struct {
	status int
	body   any
	fault  string
	act    bool // with fault "lost": act on the model first
}

func newFakeCloud(t testing.TB) *fakeCloud {
	f := &fakeCloud{
		t:       t,
		secrets: map[string]string{testAKID: testSecret},
		byToken: map[string]string{},
		started: map[string]int{},
		tagged:  map[string]map[string]string{},
	}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.conns.Add(1)
		}
	}
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCloud) url() string { return f.srv.URL }

func (f *fakeCloud) pool(t testing.TB, api string, mutate ...func(*Options)) *Pool {
	t.Helper()
	opts := Options{API: api, ECSEndpoint: f.url(), EBSEndpoint: f.url(), MaxQPS: 0,
		Retry: RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond}}
	return newTestPool(t, opts, mutate...)
}

// newTestPool is a Pool with opts after every mutate, closed when the test ends.
func newTestPool(t testing.TB, opts Options, mutate ...func(*Options)) *Pool {
	t.Helper()
	for _, m := range mutate {
		m(&opts)
	}
	p, err := NewPool(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// checkActionsObserved fails the test unless the actions observed (keys "ecs:CreateDisk" and so
// on) are exactly Actions().
func checkActionsObserved(t *testing.T, observed map[string]bool) {
	t.Helper()
	got := slices.Sorted(maps.Keys(observed))
	want := slices.Sorted(slices.Values(Actions()))
	if !slices.Equal(got, want) {
		t.Fatalf("observed %v\nActions() says %v", got, want)
	}
}

var testCreds = cloud.Credentials{AccessKeyID: testAKID, AccessKeySecret: testSecret, SecurityToken: testToken}

func (f *fakeCloud) Calls() []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeCall(nil), f.calls...)
}

func (f *fakeCloud) callsOf(action string) []fakeCall {
	var out []fakeCall
	for _, c := range f.Calls() {
		if c.Action == action {
			out = append(out, c)
		}
	}
	return out
}

var fakeRequestSeq atomic.Int64

func (f *fakeCloud) write(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(body); err != nil {
		f.t.Errorf("fake: encode: %v", err)
	}
}

func fakeError(status int, code, message string) *fakeAnswer {
	return &fakeAnswer{status: status, body: map[string]any{"Code": code, "Message": message,
		"RequestId": fmt.Sprintf("ERR-%d", fakeRequestSeq.Add(1)), "HostId": "fake", "Recommend": ""}}
}

func (f *fakeCloud) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		f.write(w, 400, fakeError(400, "InvalidParameter", err.Error()).body)
		return
	}
	q := r.Form
	call := fakeCall{Action: q.Get("Action"), Version: q.Get("Version"), Query: q}
	f.mu.Lock()
	secret, known := f.secrets[q.Get("AccessKeyId")]
	f.mu.Unlock()
	switch {
	case r.Method != http.MethodPost:
		f.write(w, 400, fakeError(400, "UnsupportedHTTPMethod", r.Method).body)
		return
	case !known:
		f.write(w, 404, fakeError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.").body)
		return
	}
	first := make(map[string]string, len(q))
	for k := range q {
		first[k] = q.Get(k)
	}
	sts := emulator.StringToSign(r.Method, first)
	if q.Get("Signature") != emulator.Sign(sts, secret) {
		// The real services echo their string to sign, which is what makes this message dangerous.
		f.write(w, 400, fakeError(400, "SignatureDoesNotMatch",
			"Specified signature is not matched with our calculation. server string to sign is:"+sts).body)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	n := 0
	for _, c := range f.calls {
		if c.Action == call.Action {
			n++
		}
	}
	intercept := f.intercept
	f.mu.Unlock()

	var ans *fakeAnswer
	if intercept != nil {
		ans = intercept(call, n)
	}
	if ans != nil {
		switch ans.fault {
		case "reset":
			f.hijack(w, true)
			return
		case "lost":
			if ans.act {
				f.answer(call)
			}
			f.hijack(w, false)
			return
		case "hang":
			<-r.Context().Done()
			return
		}
		f.write(w, ans.status, ans.body)
		return
	}
	status, body := f.answer(call)
	f.write(w, status, body)
}

func (f *fakeCloud) hijack(w http.ResponseWriter, reset bool) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		f.t.Errorf("hijack: %v", err)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

func (f *fakeCloud) id(prefix string) string {
	f.nextID++
	return fmt.Sprintf("%s-%06d", prefix, f.nextID)
}

// idForToken is what a create call answers: the ID it gave before for the same action and
// ClientToken, or a new one (isNew) when there is no such call or no token.
func (f *fakeCloud) idForToken(action, token, prefix string) (id string, isNew bool) {
	key := action + token
	if id := f.byToken[key]; id != "" && token != "" {
		return id, false
	}
	id = f.id(prefix)
	f.byToken[key] = id
	return id, true
}

// answer applies call to the model.
func (f *fakeCloud) answer(c fakeCall) (int, any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := c.Query
	reqID := fmt.Sprintf("REQ-%d", fakeRequestSeq.Add(1))
	region := q.Get("RegionId")
	switch c.Action + "@" + c.Version {
	case "DescribeDisks@2014-05-26":
		var ids map[string]bool
		if raw := q.Get("DiskIds"); raw != "" {
			var list []string
			if err := json.Unmarshal([]byte(raw), &list); err != nil || len(list) > 100 {
				e := fakeError(400, "InvalidDiskIds.Malformed", raw)
				return e.status, e.body
			}
			ids = map[string]bool{}
			for _, id := range list {
				ids[id] = true
			}
		}
		var match []any
		for _, d := range f.disks {
			if d["RegionId"] != region || (ids != nil && !ids[d["DiskId"].(string)]) ||
				(q.Get("InstanceId") != "" && d["InstanceId"] != q.Get("InstanceId")) ||
				(q.Get("Tag.1.Key") != "" && !hasTag(d, q.Get("Tag.1.Key"), q.Get("Tag.1.Value"))) {
				continue
			}
			match = append(match, d)
		}
		page, next := paginate(match, q, 10, 100)
		return 200, map[string]any{"RequestId": reqID, "TotalCount": len(match), "NextToken": next,
			"Disks": map[string]any{"Disk": page}}
	case "CreateDisk@2014-05-26":
		id, isNew := f.idForToken(c.Action, q.Get("ClientToken"), "d-new")
		if isNew {
			size, _ := strconv.Atoi(q.Get("Size"))
			disk := map[string]any{"DiskId": id, "RegionId": region, "ZoneId": q.Get("ZoneId"),
				"Category": q.Get("DiskCategory"), "PerformanceLevel": q.Get("PerformanceLevel"), "Size": size,
				"Type": "data", "Status": "Available"}
			f.disks = append(f.disks, disk)
		}
		return 200, map[string]any{"RequestId": reqID, "DiskId": id, "OrderId": ""}
	case "TagResources@2014-05-26":
		for i := 1; q.Get(fmt.Sprintf("ResourceId.%d", i)) != ""; i++ {
			id := q.Get(fmt.Sprintf("ResourceId.%d", i))
			if f.tagged[id] == nil {
				f.tagged[id] = map[string]string{}
			}
			for j := 1; q.Get(fmt.Sprintf("Tag.%d.Key", j)) != ""; j++ {
				f.tagged[id][q.Get(fmt.Sprintf("Tag.%d.Key", j))] = q.Get(fmt.Sprintf("Tag.%d.Value", j))
			}
		}
		return 200, map[string]any{"RequestId": reqID}
	case "DescribeDiskReplicaPairs@2021-07-30":
		field := map[string]string{"production": "SourceRegion", "backup": "DestinationRegion"}[q.Get("Site")]
		if field == "" {
			return 400, fakeError(400, "InvalidParameter", "Site").body
		}
		var match []any
		for _, p := range f.ebsPairs {
			if p[field] == region {
				match = append(match, p)
			}
		}
		page, next := paginate(match, q, 10, 500)
		return 200, map[string]any{"RequestId": reqID, "NextToken": next, "ReplicaPairs": page}
	case "DescribeDiskReplicaPairs@2014-05-26":
		var match []any
		for _, p := range f.legacyPairs {
			if p["SourceRegionId"] == region {
				match = append(match, p)
			}
		}
		page, next := paginate(match, q, 10, 100)
		return 200, map[string]any{"RequestId": reqID, "NextToken": next,
			"DiskReplicaPairs": map[string]any{"DiskReplicaPair": page}}
	case "CreateDiskReplicaPair@2021-07-30":
		id, isNew := f.idForToken(c.Action, q.Get("ClientToken"), "pair")
		if isNew {
			f.ebsPairs = append(f.ebsPairs, map[string]any{"ReplicaPairId": id, "Status": "created",
				"SourceDiskId": q.Get("DiskId"), "SourceRegion": region, "SourceZoneId": q.Get("SourceZoneId"),
				"DestinationDiskId": q.Get("DestinationDiskId"), "DestinationRegion": q.Get("DestinationRegionId"),
				"DestinationZoneId": q.Get("DestinationZoneId"), "PairName": q.Get("PairName")})
		}
		return 200, map[string]any{"RequestId": reqID, "ReplicaPairId": id, "OrderId": ""}
	case "CreateDiskReplicaPair@2014-05-26":
		id := f.id("pair")
		f.legacyPairs = append(f.legacyPairs, map[string]any{"PairId": id, "Status": "inactive",
			"SourceDiskId": q.Get("DiskId"), "SourceRegionId": region,
			"DestinationDiskId": q.Get("DestinationDiskId"), "DestinationRegionId": q.Get("DestinationRegionId"),
			"PairName": q.Get("PairName")})
		return 200, map[string]any{"RequestId": reqID, "PairId": id}
	case "StartDiskReplicaPair@2021-07-30", "StartDiskReplicaPair@2014-05-26":
		f.started[q.Get("ReplicaPairId")]++
		return 200, map[string]any{"RequestId": reqID}
	case "DescribeRegions@2021-07-30":
		return 200, map[string]any{"RequestId": reqID, "Regions": []any{map[string]any{"RegionId": "cn-shanghai",
			"Zones": []any{map[string]any{"ZoneId": "cn-shanghai-e", "ResourceTypes": []any{"ear"}}}}}}
	}
	return 400, fakeError(400, "InvalidAction.NotFound", c.Action+"@"+c.Version).body
}

func hasTag(d map[string]any, key, value string) bool {
	tags, _ := d["Tags"].(map[string]any)
	if tags == nil {
		return false
	}
	list, _ := tags["Tag"].([]any)
	for _, t := range list {
		m := t.(map[string]any)
		if m["TagKey"] == key && (value == "" || m["TagValue"] == value) {
			return true
		}
	}
	return false
}

// paginate serves MaxResults/NextToken pages; the token is the offset.
func paginate(items []any, q url.Values, def, max int) ([]any, string) {
	size := def
	if s := q.Get("MaxResults"); s != "" {
		size, _ = strconv.Atoi(s)
	}
	if size < 1 || size > max {
		size = max
	}
	off, _ := strconv.Atoi(q.Get("NextToken"))
	if off > len(items) {
		off = len(items)
	}
	end := min(off+size, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	page := items[off:end]
	if page == nil {
		page = []any{}
	}
	return page, next
}

func (f *fakeCloud) addDisk(d map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.disks = append(f.disks, d)
}

func (f *fakeCloud) setIntercept(fn func(c fakeCall, n int) *fakeAnswer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.intercept = fn
}

// loadFixture reads a JSON fixture from testdata.
func loadFixture(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}
