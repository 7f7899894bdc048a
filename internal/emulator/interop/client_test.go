package interop_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"sort"
	"strings"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

const (
	hz, hzZone = "cn-hangzhou", "cn-hangzhou-h"
	sh, shZone = "cn-shanghai", "cn-shanghai-b"
)

// world: an opted-in primary in Hangzhou, two matching candidate secondaries in Shanghai and an
// untagged disk.
func world() *emulator.State {
	primary := emutest.Disk("d-bp1primary", hzZone, emutest.OptIn(), emutest.Attached("i-bp1one"))
	return emutest.World(primary,
		emutest.Disk("d-bp1plain", hzZone),
		emutest.Secondary(primary, "d-uf6secondary", shZone),
		emutest.Secondary(primary, "d-uf6other", shZone),
	)
}

// cred is the access key a test client signs with.
type cred struct{ id, secret, token string }

var defaultCred = cred{emutest.AccessKeyID, emutest.AccessKeySecret, emutest.SecurityToken}

// newClient is the Go V2 generic client pointed at the emulator over plain HTTP. hc, when not
// nil, sends its requests (to tamper with them after signing).
func newClient(t *testing.T, srv *emulator.Server, c cred, hc dara.HttpClient) *openapi.Client {
	t.Helper()
	cfg := &openapi.Config{AccessKeyId: tea.String(c.id), AccessKeySecret: tea.String(c.secret),
		Endpoint: tea.String(srv.Addr()), Protocol: tea.String("http"), RegionId: tea.String(hz)}
	if c.token != "" {
		cfg.SecurityToken = tea.String(c.token)
	}
	cfg.HttpClient = hc
	client, err := openapi.NewClient(cfg)
	if err != nil {
		t.Fatalf("openapi client: %v", err)
	}
	return client
}

// rpc is one RPC-style action called through CallApi.
type rpc struct {
	action, version string
	method          string            // POST (the SDKs' choice) unless set
	query           map[string]string // URL query
	body            map[string]any    // request body, sent as bodyType
	bodyType        string            // formData (default) or json
}

func (r rpc) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", r.method, r.version, r.action)
	if len(r.query) > 0 {
		fmt.Fprintf(&b, " query=%s", compact(r.query))
	}
	if r.body != nil {
		fmt.Fprintf(&b, " %s body=%s", r.bodyType, compact(r.body))
	}
	return b.String()
}

func call(t *testing.T, c *openapi.Client, r rpc) (map[string]any, error) {
	t.Helper()
	if r.method == "" {
		r.method = "POST"
	}
	if r.bodyType == "" {
		r.bodyType = "formData"
	}
	params := &openapi.Params{Action: tea.String(r.action), Version: tea.String(r.version),
		Protocol: tea.String("HTTP"), Pathname: tea.String("/"), Method: tea.String(r.method),
		AuthType: tea.String("AK"), Style: tea.String("RPC"), ReqBodyType: tea.String(r.bodyType),
		BodyType: tea.String("json")}
	req := &openapi.OpenApiRequest{Query: map[string]*string{}}
	for k, v := range r.query {
		req.Query[k] = tea.String(v)
	}
	if r.body != nil {
		req.Body = r.body
	}
	resp, err := c.CallApi(params, req, &dara.RuntimeOptions{})
	if err != nil {
		status, code, msg := sdkError(t, err)
		t.Logf("%s\n    -> %d %s: %s", r, status, code, msg)
		return nil, err
	}
	body, _ := resp["body"].(map[string]any)
	t.Logf("%s\n    -> %v %s", r, resp["statusCode"], summary(body))
	return body, nil
}

// summary is an answer for the log, with each disk of a DescribeDisks answer cut to its ID.
func summary(answer map[string]any) string {
	disks, ok := answer["Disks"].(map[string]any)
	if !ok {
		return compact(answer)
	}
	short := map[string]any{}
	for k, v := range answer {
		short[k] = v
	}
	list, _ := disks["Disk"].([]any)
	ids := make([]string, 0, len(list))
	for _, d := range list {
		m, _ := d.(map[string]any)
		id, _ := m["DiskId"].(string)
		ids = append(ids, id)
	}
	short["Disks"] = map[string]any{"Disk": fmt.Sprintf("%d disks: %s", len(ids), strings.Join(ids, ", "))}
	return compact(short)
}

// sdkError is the HTTP status, code and message of the client's error for a refused call.
func sdkError(t *testing.T, err error) (int, string, string) {
	t.Helper()
	var se *tea.SDKError
	if !errors.As(err, &se) {
		t.Fatalf("not an SDK error: %T %v", err, err)
	}
	return tea.IntValue(se.StatusCode), tea.StringValue(se.Code), tea.StringValue(se.Message)
}

func wantRefused(t *testing.T, err error, status int, code string) string {
	t.Helper()
	if err == nil {
		t.Fatalf("want %d %s, the call succeeded", status, code)
	}
	gotStatus, gotCode, msg := sdkError(t, err)
	if gotStatus != status || gotCode != code {
		t.Fatalf("want %d %s, got %d %s: %s", status, code, gotStatus, gotCode, msg)
	}
	return msg
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// diskIDs are the DiskId values of a DescribeDisks answer, sorted.
func diskIDs(t *testing.T, answer map[string]any) []string {
	t.Helper()
	disks, _ := answer["Disks"].(map[string]any)
	list, _ := disks["Disk"].([]any)
	var ids []string
	for _, d := range list {
		m, _ := d.(map[string]any)
		id, _ := m["DiskId"].(string)
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func wantIDs(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("disks %v, want %v", got, want)
	}
}

func describeDisks(query map[string]string) rpc {
	return rpc{action: "DescribeDisks", version: emulator.VersionECS, query: query}
}

func createPair(secondary string) rpc {
	return rpc{action: "CreateDiskReplicaPair", version: emulator.VersionEBS,
		query: map[string]string{"RegionId": hz},
		body: map[string]any{"DiskId": "d-bp1primary", "SourceZoneId": hzZone, "DestinationRegionId": sh,
			"DestinationZoneId": shZone, "DestinationDiskId": secondary, "PairName": "interop-pair",
			"Tag": []map[string]any{{"Key": "team", "Value": "interop"}}}}
}

// The Go V2 generic client (signature V3) reads disks with parameters in the query, a form body
// and a JSON body, GET and POST; creates and starts a pair; is refused a second pair for the
// paired disk; and is refused with a wrong secret.
func TestGoV2ClientCallsECSAndEBS(t *testing.T) {
	srv := emutest.Start(t, world())
	c := newClient(t, srv, defaultCred, nil)
	optedIn := []map[string]any{{"Key": "dr", "Value": "enabled"}}

	got, err := call(t, c, describeDisks(map[string]string{"RegionId": hz, "DiskIds": `["d-bp1primary","d-bp1plain"]`}))
	must(t, err)
	wantIDs(t, diskIDs(t, got), "d-bp1plain", "d-bp1primary")

	get := describeDisks(map[string]string{"RegionId": sh})
	get.method = "GET"
	got, err = call(t, c, get)
	must(t, err)
	wantIDs(t, diskIDs(t, got), "d-uf6other", "d-uf6secondary")

	for _, bodyType := range []string{"formData", "json"} {
		r := describeDisks(map[string]string{"RegionId": hz})
		r.body, r.bodyType = map[string]any{"Tag": optedIn, "PageSize": 50}, bodyType
		got, err = call(t, c, r)
		must(t, err)
		wantIDs(t, diskIDs(t, got), "d-bp1primary")
	}

	created, err := call(t, c, createPair("d-uf6secondary"))
	must(t, err)
	pairID, _ := created["ReplicaPairId"].(string)
	if !strings.HasPrefix(pairID, "pair-") {
		t.Fatalf("ReplicaPairId = %q", pairID)
	}
	_, err = call(t, c, rpc{action: "StartDiskReplicaPair", version: emulator.VersionEBS,
		query: map[string]string{"RegionId": hz, "ReplicaPairId": pairID}})
	must(t, err)
	described, err := call(t, c, rpc{action: "DescribeDiskReplicaPairs", version: emulator.VersionEBS,
		query: map[string]string{"RegionId": hz, "PairIds": pairID}})
	must(t, err)
	pairs, _ := described["ReplicaPairs"].([]any)
	if len(pairs) != 1 {
		t.Fatalf("ReplicaPairs = %v", described["ReplicaPairs"])
	}
	if p, _ := pairs[0].(map[string]any); p["Status"] != "initial_syncing" || p["DestinationDiskId"] != "d-uf6secondary" {
		t.Fatalf("pair after start = %v", p)
	}

	_, err = call(t, c, createPair("d-uf6other"))
	wantRefused(t, err, 403, "OperationDenied")

	wrong := newClient(t, srv, cred{emutest.AccessKeyID, "not-the-secret", emutest.SecurityToken}, nil)
	_, err = call(t, wrong, describeDisks(map[string]string{"RegionId": hz}))
	msg := wantRefused(t, err, 400, "SignatureDoesNotMatch")
	if !strings.Contains(msg, "server string to sign is:ACS3-HMAC-SHA256\n") {
		t.Errorf("message does not echo the V3 string to sign: %s", msg)
	}

	snap := srv.Snapshot()
	if len(snap.Pairs) != 1 || snap.Pairs[0].ReplicaPairID != pairID || snap.Pairs[0].Tags["team"] != "interop" {
		t.Fatalf("pairs in the world = %+v, want only %s tagged team=interop", snap.Pairs, pairID)
	}
	calls := srv.Calls()
	for action, n := range map[string]int{"ecs/DescribeDisks": 4, "ebs/CreateDiskReplicaPair": 2,
		"ebs/StartDiskReplicaPair": 1, "ebs/DescribeDiskReplicaPairs": 1} {
		if calls.Calls[action] != n {
			t.Errorf("calls[%s] = %d, want %d (all %v)", action, calls.Calls[action], n, calls.Calls)
		}
	}
}

// sender is a dara.HttpClient that edits each request after the client signed it, then sends it.
type sender func(t *testing.T, r *http.Request)

type editingClient struct {
	t    *testing.T
	edit sender
}

func (c editingClient) Call(req *http.Request, _ *http.Transport) (*http.Response, error) {
	// The client sets its headers under lower-case keys; give them their canonical form so the
	// edits below can use Header.Get/Set/Del.
	for k, v := range req.Header {
		if ck := textproto.CanonicalMIMEHeaderKey(k); ck != k {
			delete(req.Header, k)
			req.Header[ck] = v
		}
	}
	c.edit(c.t, req)
	return http.DefaultTransport.RoundTrip(req)
}

func setBody(r *http.Request, body string) {
	r.Body = io.NopCloser(strings.NewReader(body))
	r.ContentLength = int64(len(body))
}

func readBody(t *testing.T, r *http.Request) string {
	t.Helper()
	if r.Body == nil {
		return ""
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("reading the signed body: %v", err)
	}
	return string(b)
}

func editAuthorization(r *http.Request, from, to string) {
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), from, to, 1))
}

// Every part of a signed V3 request is covered: a query, body or header changed after signing,
// or a missing, unsigned or malformed piece, is refused and never reaches the action.
func TestV3RequestsAlteredAfterSigningAreRefused(t *testing.T) {
	srv := emutest.Start(t, world())
	signed := rpc{action: "DescribeDisks", version: emulator.VersionECS,
		query: map[string]string{"RegionId": hz, "DiskIds": `["d-bp1primary"]`},
		body:  map[string]any{"PageSize": 10}}
	cases := []struct {
		name   string
		edit   sender
		status int
		code   string
	}{
		{"query value changed", func(t *testing.T, r *http.Request) {
			q := r.URL.Query()
			q.Set("DiskIds", `["d-bp1plain"]`)
			r.URL.RawQuery = q.Encode()
		}, 400, "SignatureDoesNotMatch"},
		{"query parameter added", func(t *testing.T, r *http.Request) { r.URL.RawQuery += "&InstanceId=i-bp1one" }, 400, "SignatureDoesNotMatch"},
		{"query parameter removed", func(t *testing.T, r *http.Request) {
			q := r.URL.Query()
			q.Del("DiskIds")
			r.URL.RawQuery = q.Encode()
		}, 400, "SignatureDoesNotMatch"},
		{"body value changed", func(t *testing.T, r *http.Request) {
			setBody(r, strings.Replace(readBody(t, r), "PageSize=10", "PageSize=20", 1))
		}, 400, "SignatureDoesNotMatch"},
		{"body changed and x-acs-content-sha256 recomputed", func(t *testing.T, r *http.Request) {
			body := strings.Replace(readBody(t, r), "PageSize=10", "PageSize=20", 1)
			setBody(r, body)
			r.Header.Set("x-acs-content-sha256", sha256Hex(body))
		}, 400, "SignatureDoesNotMatch"},
		{"body parameter added", func(t *testing.T, r *http.Request) { setBody(r, readBody(t, r)+"&InstanceId=i-bp1one") }, 400, "SignatureDoesNotMatch"},
		{"header x-acs-action changed", func(t *testing.T, r *http.Request) { r.Header.Set("x-acs-action", "CreateDisk") }, 400, "SignatureDoesNotMatch"},
		{"header x-acs-date changed", func(t *testing.T, r *http.Request) {
			signedAt, err := time.Parse("2006-01-02T15:04:05Z", r.Header.Get("x-acs-date"))
			if err != nil {
				t.Fatalf("x-acs-date: %v", err)
			}
			r.Header.Set("x-acs-date", signedAt.Add(time.Second).Format("2006-01-02T15:04:05Z"))
		}, 400, "SignatureDoesNotMatch"},
		{"header x-acs-security-token changed", func(t *testing.T, r *http.Request) { r.Header.Set("x-acs-security-token", "other-token") }, 400, "SignatureDoesNotMatch"},
		{"header content-type changed", func(t *testing.T, r *http.Request) {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		}, 400, "SignatureDoesNotMatch"},
		{"host changed", func(t *testing.T, r *http.Request) { r.Host = "ecs.cn-hangzhou.aliyuncs.com" }, 400, "SignatureDoesNotMatch"},
		{"signature changed", func(t *testing.T, r *http.Request) {
			a := r.Header.Get("Authorization")
			last := a[len(a)-1:]
			flip := map[string]string{"0": "1"}[last]
			if flip == "" {
				flip = "0"
			}
			r.Header.Set("Authorization", a[:len(a)-1]+flip)
		}, 400, "SignatureDoesNotMatch"},
		{"no Authorization", func(t *testing.T, r *http.Request) { r.Header.Del("Authorization") }, 400, "IncompleteSignature"},
		{"Authorization without Signature", func(t *testing.T, r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:strings.Index(a, ",Signature=")])
		}, 400, "IncompleteSignature"},
		{"other algorithm", func(t *testing.T, r *http.Request) { editAuthorization(r, "ACS3-HMAC-SHA256", "ACS3-HMAC-SM3") }, 400, "InvalidSignatureMethod"},
		{"required header missing: x-acs-signature-nonce", func(t *testing.T, r *http.Request) {
			r.Header.Del("x-acs-signature-nonce")
			editAuthorization(r, ";x-acs-signature-nonce", "")
		}, 400, "IncompleteSignature"},
		{"signed header missing: x-acs-security-token", func(t *testing.T, r *http.Request) { r.Header.Del("x-acs-security-token") }, 400, "IncompleteSignature"},
		{"required header unsigned: x-acs-date", func(t *testing.T, r *http.Request) { editAuthorization(r, ";x-acs-date", "") }, 400, "IncompleteSignature"},
		{"unsigned x-acs header added", func(t *testing.T, r *http.Request) { r.Header.Set("x-acs-resourcegroup-id", "rg-1") }, 400, "IncompleteSignature"},
		{"body not a JSON object", func(t *testing.T, r *http.Request) {
			r.Header.Set("Content-Type", "application/json")
			setBody(r, `["PageSize", 10]`)
		}, 400, "InvalidParameter"},
		{"body of another content type", func(t *testing.T, r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, 400, "InvalidParameter"},
		{"no x-acs-action", func(t *testing.T, r *http.Request) { r.Header.Del("x-acs-action") }, 400, "MissingParameter"},
		{"x-acs-date not ISO 8601", func(t *testing.T, r *http.Request) { r.Header.Set("x-acs-date", "yesterday") }, 400, "InvalidTimeStamp.Format"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, srv, defaultCred, editingClient{t: t, edit: tc.edit})
			_, err := call(t, c, signed)
			wantRefused(t, err, tc.status, tc.code)
		})
	}
	if n := srv.Calls().Total(); n != 0 {
		t.Fatalf("%d refused requests were counted as calls: %v", n, srv.Calls().Calls)
	}
	// The same request, untouched, is accepted.
	_, err := call(t, newClient(t, srv, defaultCred, editingClient{t: t, edit: func(*testing.T, *http.Request) {}}), signed)
	must(t, err)
}

// The credential rules of V1 hold for V3: unknown key, wrong secret, STS token missing, wrong,
// or sent with a permanent key.
func TestV3CredentialFailures(t *testing.T) {
	st := world()
	st.Credentials = []emulator.Credential{
		{AccessKeyID: "LTAIpermanent", AccessKeySecret: "perm-secret"},
		{AccessKeyID: "STS.temporary", AccessKeySecret: "sts-secret", SecurityToken: "sts-token"},
	}
	srv := emutest.Start(t, st)
	cases := []struct {
		name   string
		cred   cred
		status int
		code   string
	}{
		{"permanent key", cred{"LTAIpermanent", "perm-secret", ""}, 0, ""},
		{"sts key with its token", cred{"STS.temporary", "sts-secret", "sts-token"}, 0, ""},
		{"unknown key", cred{"LTAIunknown", "perm-secret", ""}, 404, "InvalidAccessKeyId.NotFound"},
		{"wrong secret", cred{"LTAIpermanent", "wrong", ""}, 400, "SignatureDoesNotMatch"},
		{"sts token missing", cred{"STS.temporary", "sts-secret", ""}, 400, "MissingSecurityToken"},
		{"sts token wrong", cred{"STS.temporary", "sts-secret", "other-token"}, 400, "InvalidSecurityToken.MismatchWithAccessKey"},
		{"token on a permanent key", cred{"LTAIpermanent", "perm-secret", "sts-token"}, 400, "InvalidSecurityToken.Malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := call(t, newClient(t, srv, tc.cred, nil), describeDisks(map[string]string{"RegionId": hz}))
			if tc.code == "" {
				must(t, err)
				return
			}
			wantRefused(t, err, tc.status, tc.code)
		})
	}
	if n := srv.Calls().Calls["ecs/DescribeDisks"]; n != 2 {
		t.Fatalf("calls = %d, want only the 2 authenticated requests counted", n)
	}
}

// replaying sends each signed request twice and answers with the second answer.
type replaying struct{ t *testing.T }

func (c replaying) Call(req *http.Request, _ *http.Transport) (*http.Response, error) {
	body := readBody(c.t, req)
	first := req.Clone(req.Context())
	first.Body = io.NopCloser(strings.NewReader(body))
	resp, err := http.DefaultTransport.RoundTrip(first)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the first send was refused: %d", resp.StatusCode)
	}
	second := req.Clone(req.Context())
	second.Body = io.NopCloser(bytes.NewReader([]byte(body)))
	return http.DefaultTransport.RoundTrip(second)
}

func TestV3ReplayedNonceIsRefused(t *testing.T) {
	srv := emutest.Start(t, world())
	_, err := call(t, newClient(t, srv, defaultCred, replaying{t}), describeDisks(map[string]string{"RegionId": hz}))
	wantRefused(t, err, 400, "SignatureNonceUsed")
	if n := srv.Calls().Calls["ecs/DescribeDisks"]; n != 1 {
		t.Fatalf("calls = %d, want 1 (the replay is not authenticated)", n)
	}
}

func TestV3DateOutsideFifteenMinutesIsExpired(t *testing.T) {
	srv := emutest.Start(t, world())
	c := newClient(t, srv, defaultCred, nil)
	srv.Advance(14 * time.Minute)
	_, err := call(t, c, describeDisks(map[string]string{"RegionId": hz}))
	must(t, err)
	srv.Advance(2 * time.Minute)
	_, err = call(t, c, describeDisks(map[string]string{"RegionId": hz}))
	wantRefused(t, err, 400, "InvalidTimeStamp.Expired")
}

// ClientToken idempotency spans signature versions: the parameters, not the signing, make the
// request, so a V3 retry of a V3 create with the same token replays the first answer.
func TestV3ClientTokenReplaysTheFirstAnswer(t *testing.T) {
	srv := emutest.Start(t, world())
	c := newClient(t, srv, defaultCred, nil)
	r := createPair("d-uf6secondary")
	r.body["ClientToken"] = "interop-token-1"
	first, err := call(t, c, r)
	must(t, err)
	again, err := call(t, c, r)
	must(t, err)
	if first["ReplicaPairId"] != again["ReplicaPairId"] || len(srv.Snapshot().Pairs) != 1 {
		t.Fatalf("retry answered %v after %v; pairs %d", again, first, len(srv.Snapshot().Pairs))
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
