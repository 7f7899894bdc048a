package emulator_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

func describeOne(c *ecs.Client) error {
	req := ecs.CreateDescribeDisksRequest()
	req.RegionId = hz
	req.DiskIds = `["d-bp1primary"]`
	_, err := c.DescribeDisks(req)
	return err
}

func TestDefaultCredentialsAreAccepted(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	creds := srv.Credentials()
	if len(creds) != 1 || creds[0] != (emulator.Credential{AccessKeyID: "emulator-ak", AccessKeySecret: "emulator-secret", SecurityToken: "emulator-token"}) {
		t.Fatalf("default credentials = %+v", creds)
	}
	must(t, describeOne(newECS(t, srv, hz)))
}

func TestAuthenticationFailures(t *testing.T) {
	st := basicWorld()
	st.Credentials = []emulator.Credential{
		{AccessKeyID: "LTAIpermanent", AccessKeySecret: "perm-secret"},
		{AccessKeyID: "STS.temporary", AccessKeySecret: "sts-secret", SecurityToken: "sts-token"},
	}
	srv := emutest.Start(t, st)
	cases := []struct {
		name   string
		cred   *credentials.StsTokenCredential
		ak     *credentials.AccessKeyCredential
		status int
		code   string
	}{
		{name: "permanent key", ak: credentials.NewAccessKeyCredential("LTAIpermanent", "perm-secret")},
		{name: "sts key with its token", cred: credentials.NewStsTokenCredential("STS.temporary", "sts-secret", "sts-token")},
		{name: "defaults no longer accepted", cred: credentials.NewStsTokenCredential("emulator-ak", "emulator-secret", "emulator-token"),
			status: 404, code: "InvalidAccessKeyId.NotFound"},
		{name: "unknown key", ak: credentials.NewAccessKeyCredential("LTAIunknown", "perm-secret"), status: 404, code: "InvalidAccessKeyId.NotFound"},
		{name: "wrong secret", ak: credentials.NewAccessKeyCredential("LTAIpermanent", "wrong"), status: 400, code: "SignatureDoesNotMatch"},
		{name: "sts token mismatch", cred: credentials.NewStsTokenCredential("STS.temporary", "sts-secret", "other-token"),
			status: 400, code: "InvalidSecurityToken.MismatchWithAccessKey"},
		{name: "sts token missing", ak: credentials.NewAccessKeyCredential("STS.temporary", "sts-secret"), status: 400, code: "MissingSecurityToken"},
		{name: "token on a permanent key", cred: credentials.NewStsTokenCredential("LTAIpermanent", "perm-secret", "sts-token"),
			status: 400, code: "InvalidSecurityToken.Malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var c *ecs.Client
			if tc.cred != nil {
				c = newECS(t, srv, hz, withCred(tc.cred))
			} else {
				c = newECS(t, srv, hz, withCred(tc.ak))
			}
			err := describeOne(c)
			if tc.code == "" {
				must(t, err)
				return
			}
			wantCode(t, err, tc.status, tc.code)
		})
	}
	calls := srv.Calls()
	if calls.Calls["ecs/DescribeDisks"] != 2 {
		t.Errorf("calls = %v, want only the 2 authenticated requests counted", calls.Calls)
	}
	for code, n := range map[string]int{"InvalidAccessKeyId.NotFound": 2, "SignatureDoesNotMatch": 1,
		"InvalidSecurityToken.MismatchWithAccessKey": 1, "MissingSecurityToken": 1, "InvalidSecurityToken.Malformed": 1} {
		if calls.Errors[code] != n {
			t.Errorf("errors[%s] = %d, want %d (all %v)", code, calls.Errors[code], n, calls.Errors)
		}
	}
}

// A wrong secret yields a server string to sign identical to the SDK's own, which the SDK turns
// into its "check your AccessKeySecret" recommendation: the emulator's canonicalization matches.
func TestWrongSecretEchoesTheSDKsStringToSign(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	c := newECS(t, srv, hz, withCred(credentials.NewStsTokenCredential(emutest.AccessKeyID, "not-the-secret", emutest.SecurityToken)))
	req := ecs.CreateDescribeDisksRequest()
	req.RegionId = hz
	req.DiskIds = `["d-bp1primary", "d-with space*and~tilde"]`
	req.Tag = &[]ecs.DescribeDisksTag{{Key: "dr:primary-disk", Value: "a/b+c=d&e"}}
	_, err := c.DescribeDisks(req)
	se := wantCode(t, err, 400, "SignatureDoesNotMatch")
	if !strings.Contains(se.Message(), "server string to sign is:POST&%2F&") {
		t.Fatalf("message does not echo the string to sign: %s", se.Message())
	}
	if se.Recommend() != "InvalidAccessKeySecret: Please check you AccessKeySecret" {
		t.Fatalf("server and SDK strings to sign differ; recommend = %q", se.Recommend())
	}
}

func TestRequestsAlteredAfterSigningAreRejected(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	cases := []struct {
		name   string
		edit   func(q url.Values)
		status int
		code   string
	}{
		{"changed parameter", func(q url.Values) { q.Set("DiskIds", `["d-uf6secondary"]`) }, 400, "SignatureDoesNotMatch"},
		{"added parameter", func(q url.Values) { q.Set("InstanceId", "i-bp1one") }, 400, "SignatureDoesNotMatch"},
		{"removed parameter", func(q url.Values) { q.Del("DiskIds") }, 400, "SignatureDoesNotMatch"},
		{"changed signature", func(q url.Values) { q.Set("Signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=") }, 400, "SignatureDoesNotMatch"},
		{"no signature", func(q url.Values) { q.Del("Signature") }, 400, "MissingSignature"},
		{"no nonce", func(q url.Values) { q.Del("SignatureNonce") }, 400, "MissingSignatureNonce"},
		{"no timestamp", func(q url.Values) { q.Del("Timestamp") }, 400, "MissingTimestamp"},
		{"no access key", func(q url.Values) { q.Del("AccessKeyId") }, 400, "MissingAccessKeyId"},
		{"bad timestamp", func(q url.Values) { q.Set("Timestamp", "yesterday") }, 400, "InvalidTimeStamp.Format"},
		{"other method", func(q url.Values) { q.Set("SignatureMethod", "HMAC-SHA256") }, 400, "InvalidSignatureMethod"},
		{"unknown version", func(q url.Values) { q.Set("Version", "2099-01-01") }, 400, "InvalidVersion"},
		{"unknown action", func(q url.Values) { q.Set("Action", "DeleteEverything") }, 404, "InvalidAction.NotFound"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newECS(t, srv, hz, withTransport(rewriteQuery{edit: tc.edit}))
			wantCode(t, describeOne(c), tc.status, tc.code)
		})
	}
	if n := srv.Calls().Calls["ecs/DescribeDisks"]; n != 0 {
		t.Fatalf("%d rejected requests were counted as calls", n)
	}
}

// replayTwice sends each request twice (same nonce, same signature) and answers the second.
type replayTwice struct{}

func (replayTwice) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
	}
	first := req.Clone(req.Context())
	first.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := http.DefaultTransport.RoundTrip(first)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, &url.Error{Op: "first", URL: "", Err: io.ErrUnexpectedEOF}
	}
	second := req.Clone(req.Context())
	second.Body = io.NopCloser(bytes.NewReader(body))
	return http.DefaultTransport.RoundTrip(second)
}

func TestReplayedNonceIsRejected(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	wantCode(t, describeOne(newECS(t, srv, hz, withTransport(replayTwice{}))), 400, "SignatureNonceUsed")
	if n := srv.Calls().Calls["ecs/DescribeDisks"]; n != 1 {
		t.Fatalf("calls = %d, want 1 (the replay is not authenticated)", n)
	}
}

func TestTimestampOutsideFifteenMinutesIsExpired(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	c := newECS(t, srv, hz)
	srv.Advance(14 * time.Minute)
	must(t, describeOne(c))
	srv.Advance(2 * time.Minute)
	wantCode(t, describeOne(c), 400, "InvalidTimeStamp.Expired")
}

// The string to sign uses the request's own method: GET (CommonRequest's default) and POST
// with the parameters in a form body both verify.
func TestGETAndPOSTFormBodiesVerify(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	c := newECS(t, srv, hz)
	for _, method := range []string{requests.GET, requests.POST} {
		req := requests.NewCommonRequest()
		req.Method = method
		req.Product, req.Version, req.ApiName = "Ecs", emulator.VersionECS, "DescribeDisks"
		req.RegionId = hz
		if method == requests.POST {
			req.FormParams["DiskIds"] = `["d-bp1primary"]`
		} else {
			req.QueryParams["DiskIds"] = `["d-bp1primary"]`
		}
		resp, err := c.ProcessCommonRequest(req)
		must(t, err)
		if !strings.Contains(resp.GetHttpContentString(), `"DiskId":"d-bp1primary"`) {
			t.Fatalf("%s: %s", method, resp.GetHttpContentString())
		}
	}
}

func TestErrorBodyHasTheServicesFields(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	resp, err := http.Get("http://" + srv.Addr() + "/?Action=DescribeDisks&Version=2014-05-26")
	must(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, f := range []string{`"RequestId":"`, `"HostId":"ecs.aliyuncs.com"`, `"Code":"MissingAccessKeyId"`, `"Message":"`, `"Recommend":"`} {
		if !bytes.Contains(body, []byte(f)) {
			t.Errorf("error body lacks %s: %s", f, body)
		}
	}
	if resp.StatusCode != 400 {
		t.Errorf("status %d", resp.StatusCode)
	}
}
