package handler

// No output of the function carries a credential: every failure path is driven through FC (the
// entry point Function Compute calls, with the invocation's credentials in its context), and the
// report, the returned error, the logs and the process's own stdout and stderr are scanned for the
// access key secret, the security token and every signature the function sent.
//
// Identifiers here start with sec so that they cannot collide with other test files of the package.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/config"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

// Distinctive credentials: the emulator accepts the first three; the others are wrong ones a
// caller might send. Tokens carry '+', '/' and '=' so that their escaped forms matter too.
const (
	secAKID        = "LTAI5tSecretsTestKeyQ7w"
	secSecret      = "sEcReTvAlUe9fK2mXq7Lp4Zr8Vt1W"
	secToken       = "CAIS1secTOKEN+q9/Zx3Pw7Lm4Rt==" // STS tokens are long base64
	secWrongSecret = "wRoNgSeCrEt5hG7kP2sN9vQ4xYa"
	secWrongToken  = "CAIS2wrongTOKEN/k8+Hd2Jf5Vb=="
	secUnknownAKID = "LTAI5tUnknownKeyZ9x8w"
	// secFakeSignature is a signature-like value inside a panic message.
	secFakeSignature = "c2lnbmF0dXJlUGFuaWM+Lz0="
)

// secValues are the literal values no output may contain.
var secValues = []string{secSecret, secToken, secWrongSecret, secWrongToken, secFakeSignature}

// secProxy sits between the function and the emulator: it records the Signature of every
// request, and in echo mode answers as a broken gateway that echoes the request URL and a string
// to sign into an HTML error page.
type secProxy struct {
	srv *emulator.Server
	url string

	mu         sync.Mutex
	signatures []string
	echo       bool
	// hook sees every request's parameters (query and form); a status other than 0 is answered
	// with body instead of forwarding the request.
	hook func(params url.Values) (status int, body string)
}

func secStartProxy(t *testing.T, srv *emulator.Server) *secProxy {
	t.Helper()
	p := &secProxy{srv: srv}
	target, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = nil
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		// The emulator dropped the connection (reset, lost answer): drop ours too.
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		w.WriteHeader(http.StatusBadGateway)
	}
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		p.mu.Lock()
		for _, s := range append(r.URL.Query()["Signature"], form["Signature"]...) {
			p.signatures = append(p.signatures, s)
		}
		echo, hook := p.echo, p.hook
		p.mu.Unlock()
		if hook != nil {
			params := r.URL.Query()
			for k, v := range form {
				params[k] = append(params[k], v...)
			}
			if status, body := hook(params); status != 0 {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				io.WriteString(w, body)
				return
			}
		}
		if echo {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "<html><body>502 Bad Gateway: upstream failed for POST %s<br>"+
				"StringToSign: POST&%%2F&%s<br>credentials %s / %s</body></html>",
				r.URL.String(), url.QueryEscape(r.URL.RawQuery), r.URL.Query().Get("SecurityToken"), r.URL.Query().Get("AccessKeyId"))
			return
		}
		rp.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: mux, ErrorLog: nil}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	p.url = "http://" + ln.Addr().String()
	return p
}

func (p *secProxy) setEcho(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.echo = on
}

func (p *secProxy) setHook(hook func(url.Values) (int, string)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hook = hook
}

func (p *secProxy) recorded() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.signatures)
}

// secPanicAPI panics in one method with a message that carries credentials, as a panicking SDK
// might print a request.
type secPanicAPI struct {
	cloud.API
	in string // "DescribeDisks", "CreatePair", "DisksByTag"
}

var secPanicMessage = fmt.Sprintf("sdk: cannot decode the answer to POST https://ecs.cn-hangzhou.aliyuncs.com/?AccessKeyId=%s&SecurityToken=%s&Signature=%s (signed with %s, token %s)",
	secAKID, url.QueryEscape(secToken), url.QueryEscape(secFakeSignature), secSecret, secToken)

func (a secPanicAPI) DescribeDisks(ctx context.Context, region string, ids []string) ([]cloud.Disk, error) {
	if a.in == "DescribeDisks" {
		panic(secPanicMessage)
	}
	return a.API.DescribeDisks(ctx, region, ids)
}

func (a secPanicAPI) CreatePair(ctx context.Context, in cloud.CreatePairInput) (string, error) {
	if a.in == "CreatePair" {
		panic(errors.New(secPanicMessage))
	}
	return a.API.CreatePair(ctx, in)
}

func (a secPanicAPI) DisksByTag(ctx context.Context, region, key, value string, fn func([]cloud.Disk) error) error {
	if a.in == "DisksByTag" {
		panic(secPanicMessage)
	}
	return a.API.DisksByTag(ctx, region, key, value, fn)
}

// secCase is one failure path.
type secCase struct {
	name     string
	creds    cloud.Credentials
	faults   emulator.Faults
	endpoint string // "" = the recording proxy; "refused" = a closed port
	echo     bool
	panicIn  string // secPanicAPI.in, or "wrap" to panic in the invocation's own goroutine
	payload  []byte
	// check asserts that the path was really taken, from the case's output and emulator.
	check secCheck
}

// secCheck looks at one case's output: report JSON, error and log lines.
type secCheck func(t *testing.T, out string, srv *emulator.Server)

func secGood() cloud.Credentials {
	return cloud.Credentials{AccessKeyID: secAKID, AccessKeySecret: secSecret, SecurityToken: secToken}
}

// secWantReason wants a result with that reason, in the report or in the log lines.
func secWantReason(reason string) secCheck {
	return func(t *testing.T, out string, _ *emulator.Server) {
		t.Helper()
		if !strings.Contains(out, `"reason":"`+reason+`"`) {
			t.Errorf("no result with reason %s in:\n%s", reason, out)
		}
	}
}

// secWantText wants text somewhere in the output.
func secWantText(text string) secCheck {
	return func(t *testing.T, out string, _ *emulator.Server) {
		t.Helper()
		if !strings.Contains(out, text) {
			t.Errorf("no %q in:\n%s", text, out)
		}
	}
}

// secWantCode wants the emulator to have answered code.
func secWantCode(code string) secCheck {
	return func(t *testing.T, _ string, srv *emulator.Server) {
		t.Helper()
		if n := srv.Calls().Errors[code]; n == 0 {
			t.Errorf("the emulator answered no %s (errors %v)", code, srv.Calls().Errors)
		}
	}
}

func secBoth(checks ...secCheck) secCheck {
	return func(t *testing.T, out string, srv *emulator.Server) {
		t.Helper()
		for _, c := range checks {
			c(t, out, srv)
		}
	}
}

// secCapture redirects the process's stdout and stderr until the returned function is called,
// which restores them and returns what was written.
func secCapture(t *testing.T) func() string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	var buf bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&buf, r); close(done) }()
	return func() string {
		os.Stdout, os.Stderr = stdout, stderr
		w.Close()
		<-done
		r.Close()
		return buf.String()
	}
}

func TestSecretsNeverLeave(t *testing.T) {
	relSkipShort(t)
	refused := secClosedPort(t)
	cases := []secCase{
		{name: "wrong secret", creds: cloud.Credentials{AccessKeyID: secAKID, AccessKeySecret: secWrongSecret, SecurityToken: secToken},
			check: secBoth(secWantReason("no_credentials"), secWantCode("SignatureDoesNotMatch"))},
		{name: "wrong token", creds: cloud.Credentials{AccessKeyID: secAKID, AccessKeySecret: secSecret, SecurityToken: secWrongToken},
			check: secBoth(secWantReason("no_credentials"), secWantCode("InvalidSecurityToken.MismatchWithAccessKey"))},
		{name: "unknown key", creds: cloud.Credentials{AccessKeyID: secUnknownAKID, AccessKeySecret: secSecret, SecurityToken: secToken},
			check: secBoth(secWantReason("no_credentials"), secWantCode("InvalidAccessKeyId.NotFound"))},
		{name: "connection refused", creds: secGood(), endpoint: refused, check: secWantReason("network_error")},
		{name: "resets and lost answers", creds: secGood(), faults: emulator.Faults{ResetPercent: 50, LostResponsePercent: 50, Seed: 5},
			check: secWantText("Client.ConnectionReset")},
		{name: "throttling", creds: secGood(), faults: emulator.Faults{ThrottlePercent: 100, Seed: 6},
			check: secBoth(secWantReason("throttled"), secWantText("retryable failures remain"))},
		{name: "gateway echoing the request", creds: secGood(), echo: true, check: secWantText("HTTP502")},
		{name: "panic in a disk's worker", creds: secGood(), panicIn: "CreatePair", check: secWantReason("internal_error")},
		{name: "panic while reading disks", creds: secGood(), panicIn: "DescribeDisks", check: secWantReason("internal_error")},
		{name: "panic in a sweep's listing", creds: secGood(), panicIn: "DisksByTag", payload: relTimer, check: secWantText("internal error")},
		{name: "panic in the invocation", creds: secGood(), panicIn: "wrap", check: secWantText("internal error")},
		{name: "undecodable payload", creds: secGood(), payload: []byte(`{"diskIds":"` + secToken + `"`), check: secWantText("not valid JSON")},
		{name: "payload naming a credential", creds: secGood(),
			payload: []byte(`{"diskIds":["d-bp1ok","` + secSecret + `"],"regionId":"cn-hangzhou"}`), check: secWantText("not disk IDs")},
	}

	var all strings.Builder // every byte the function produced
	var signatures []string
	restore := secCapture(t)
	for _, tc := range cases {
		st, ids := relWorld(3)
		st.Credentials = []emulator.Credential{{AccessKeyID: secAKID, AccessKeySecret: secSecret, SecurityToken: secToken}}
		st.Faults = tc.faults
		srv := emutest.Start(t, st)
		proxy := secStartProxy(t, srv)
		proxy.setEcho(tc.echo)
		cfg := relConfig(t, srv)
		o := relPoolOptions(cfg)
		o.ECSEndpoint, o.EBSEndpoint = proxy.url, proxy.url
		if tc.endpoint != "" {
			o.ECSEndpoint, o.EBSEndpoint = tc.endpoint, tc.endpoint
		}
		logs := &TestLog{}
		h := relNewHandler(t, cfg, o, relCreds, logs.debugLogger())
		switch tc.panicIn {
		case "":
		case "wrap":
			h.wrapAPI = func(cloud.API) cloud.API { panic(secPanicMessage) }
		default:
			h.wrapAPI = func(api cloud.API) cloud.API { return secPanicAPI{API: api, in: tc.panicIn} }
		}
		payload := tc.payload
		if payload == nil {
			payload = relTagEvent("ev-secrets", ids)
		}
		ctx := fccontext.NewContext(context.Background(), &fccontext.FcContext{
			RequestID: "secrets", Region: relSrc,
			Credentials: fccontext.Credentials{AccessKeyId: tc.creds.AccessKeyID,
				AccessKeySecret: tc.creds.AccessKeySecret, SecurityToken: tc.creds.SecurityToken},
		})
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		rep, err := h.FC(ctx, payload)
		cancel()

		var out strings.Builder
		if rep != nil {
			b, merr := MarshalReport(rep)
			if merr != nil {
				t.Errorf("%s: %v", tc.name, merr)
			}
			out.Write(b)
			out.WriteString("\n")
		}
		if err != nil {
			out.WriteString(err.Error() + "\n")
		}
		out.WriteString(logs.String())
		t.Run(tc.name, func(t *testing.T) { tc.check(t, out.String(), srv) })
		all.WriteString(out.String())
		signatures = append(signatures, proxy.recorded()...)
	}

	// Configuration and setup failures.
	env := map[string]string{config.EnvECSEndpoint: "https://" + secAKID + ":" + secSecret + "@ecs.example.com"}
	if _, err := config.FromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err == nil {
		t.Error("an endpoint with user info was accepted")
	} else {
		all.WriteString(err.Error() + "\n")
	}
	t.Setenv("DEBUG", "sdk")
	if _, _, err := Setup(config.Config{}, secGood(), slog.New(slog.NewJSONHandler(&all, nil)), relSrc); err == nil {
		t.Error("DEBUG=sdk was accepted")
	} else {
		all.WriteString(err.Error() + "\n")
	}
	std := restore()
	all.WriteString(std)

	out := all.String()
	if len(signatures) < len(cases) {
		t.Fatalf("only %d signatures recorded", len(signatures))
	}
	secAssertClean(t, out, append(slices.Clone(secValues), signatures...))
	t.Logf("scanned %d bytes of output (%d of stdout and stderr) for %d credential values and %d signatures",
		len(out), len(std), len(secValues), len(signatures))
	if path := os.Getenv("SECRETS_TEST_DUMP"); path != "" {
		os.WriteFile(path, []byte(out), 0o600) // for reading what was scanned
	}
}

// secClosedPort is the URL of a port where nothing listens.
func secClosedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// secParam finds credential parameters whose value was not redacted, in the forms Sanitize knows.
var secParam = regexp.MustCompile(`(?i)(accesskeysecret|securitytoken|signature)(=|%3d|%253d|"?\s*:\s*"?)([^&"\s,;}<)\]\\]+)`)

// secAssertClean fails when out contains any of values, raw or escaped, or an unredacted
// credential parameter.
func secAssertClean(t *testing.T, out string, values []string) {
	t.Helper()
	lower := strings.ToLower(out)
	for _, v := range values {
		if v == "" {
			continue
		}
		forms := []string{v, url.QueryEscape(v), url.PathEscape(v), url.QueryEscape(url.QueryEscape(v)),
			strings.ReplaceAll(url.QueryEscape(v), "+", "%20")}
		if b, err := json.Marshal(v); err == nil {
			forms = append(forms, strings.Trim(string(b), `"`))
		}
		for _, f := range forms {
			if i := strings.Index(lower, strings.ToLower(f)); i >= 0 {
				t.Errorf("credential %q found in the output as %q: ...%s...", v[:4]+"...", f, secAround(out, i))
				break
			}
		}
	}
	for _, m := range secParam.FindAllStringSubmatchIndex(out, -1) {
		value := out[m[6]:m[7]]
		if !strings.HasPrefix(value, cloud.Redacted) {
			t.Errorf("unredacted %s: ...%s...", out[m[2]:m[3]], secAround(out, m[0]))
		}
	}
}

func secAround(s string, i int) string {
	return s[max(0, i-80):min(len(s), i+120)]
}
