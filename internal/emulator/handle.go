package emulator

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"maps"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"
)

// API versions served.
const (
	VersionECS = "2014-05-26"
	VersionEBS = "2021-07-30"
)

// action is one OpenAPI action of one version.
type action struct {
	version     string
	product     string // counter prefix: ecs | ebs
	name        string
	clientToken bool // ClientToken idempotency applies
	run         func(s *Server, c *call) (map[string]any, *apiError)
}

// call is one authenticated request being executed (under s.mu).
type call struct {
	p      params
	region string
	now    time.Time
}

// actions are the actions served. A table, not a map: the compiler lays it out in the binary,
// where a map would be built at package initialisation, and this package is linked into the
// function, whose every cold start would pay for it.
var actions = [...]action{
	{version: VersionECS, product: "ecs", name: "DescribeDisks", run: (*Server).describeDisks},
	{version: VersionECS, product: "ecs", name: "CreateDisk", clientToken: true, run: (*Server).createDisk},
	{version: VersionECS, product: "ecs", name: "DeleteDisk", run: (*Server).deleteDisk},
	{version: VersionECS, product: "ecs", name: "TagResources", run: (*Server).tagResources},
	{version: VersionECS, product: "ecs", name: "UntagResources", run: (*Server).untagResources},
	{version: VersionECS, product: "ecs", name: "ListTagResources", run: (*Server).listTagResources},
	{version: VersionECS, product: "ecs", name: "CreateDiskReplicaPair", run: (*Server).legacyCreatePair},
	{version: VersionECS, product: "ecs", name: "StartDiskReplicaPair", run: (*Server).legacyStartPair},
	{version: VersionECS, product: "ecs", name: "DescribeDiskReplicaPairs", run: (*Server).legacyDescribePairs},
	{version: VersionEBS, product: "ebs", name: "CreateDiskReplicaPair", clientToken: true, run: (*Server).ebsCreatePair},
	{version: VersionEBS, product: "ebs", name: "StartDiskReplicaPair", clientToken: true, run: (*Server).ebsStartPair},
	{version: VersionEBS, product: "ebs", name: "StopDiskReplicaPair", clientToken: true, run: (*Server).ebsStopPair},
	{version: VersionEBS, product: "ebs", name: "DeleteDiskReplicaPair", clientToken: true, run: (*Server).ebsDeletePair},
	{version: VersionEBS, product: "ebs", name: "DescribeDiskReplicaPairs", run: (*Server).ebsDescribePairs},
	{version: VersionEBS, product: "ebs", name: "DescribeRegions", run: (*Server).ebsDescribeRegions},
	{version: VersionEBS, product: "ebs", name: "CreateDiskReplicaGroup", clientToken: true, run: (*Server).ebsCreateGroup},
	{version: VersionEBS, product: "ebs", name: "AddDiskReplicaPair", clientToken: true, run: (*Server).ebsAddPair},
	{version: VersionEBS, product: "ebs", name: "RemoveDiskReplicaPair", clientToken: true, run: (*Server).ebsRemovePair},
	{version: VersionEBS, product: "ebs", name: "StartDiskReplicaGroup", clientToken: true, run: (*Server).ebsStartGroup},
	{version: VersionEBS, product: "ebs", name: "StopDiskReplicaGroup", clientToken: true, run: (*Server).ebsStopGroup},
	{version: VersionEBS, product: "ebs", name: "DeleteDiskReplicaGroup", clientToken: true, run: (*Server).ebsDeleteGroup},
	{version: VersionEBS, product: "ebs", name: "DescribeDiskReplicaGroups", run: (*Server).ebsDescribeGroups},
}

// ServeHTTP answers OpenAPI requests (any path but /_emulator/...) and the admin endpoints.
// Dropped answers (resetPercent, lostResponsePercent) need a hijackable connection; elsewhere
// they abort the handler with http.ErrAbortHandler.
// Order: parse, route, authenticate, count, latency, flow control and injected faults, the
// action, then (lostResponsePercent) the dropped answer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_emulator/") {
		s.serveAdmin(w, r)
		return
	}
	host := "ecs.aliyuncs.com"
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		s.answerError(w, host, errf(http.StatusMethodNotAllowed, "UnsupportedHTTPMethod",
			"The HTTP method %s is not supported; use GET or POST.", r.Method))
		return
	}
	p, v3, aerr := readRequest(r)
	if aerr != nil {
		s.answerError(w, host, aerr)
		return
	}
	act, aerr := route(p)
	if act != nil && act.product == "ebs" {
		host = "ebs.aliyuncs.com"
		if r := p.get("RegionId"); r != "" {
			host = "ebs." + r + ".aliyuncs.com"
		}
	}
	if aerr != nil {
		s.answerError(w, host, aerr)
		return
	}
	if aerr := s.authenticateRequest(r, p, v3); aerr != nil {
		s.answerError(w, host, aerr)
		return
	}
	key := act.product + "/" + act.name
	region := p.get("RegionId")

	s.mu.Lock()
	s.calls[key]++
	latency := time.Duration(s.faults.LatencyMs) * time.Millisecond
	s.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}

	s.mu.Lock()
	f := s.drawFaults(key, region)
	if f.err != nil {
		s.errorCodes[f.err.Code]++
		s.mu.Unlock()
		writeAPIError(w, host, f.err)
		return
	}
	if f.reset {
		s.mu.Unlock()
		dropConnection(w)
		return
	}
	answer, aerr := s.execute(act, p, region)
	if aerr != nil {
		s.errorCodes[aerr.Code]++
	}
	s.mu.Unlock()

	if f.lost {
		dropConnection(w)
		return
	}
	if aerr != nil {
		writeAPIError(w, host, aerr)
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

// execute runs an action under s.mu, with ClientToken idempotency for the actions that take one.
func (s *Server) execute(act *action, p params, region string) (map[string]any, *apiError) {
	c := &call{p: p, region: region, now: s.now()}
	token := p.get("ClientToken")
	if !act.clientToken || token == "" {
		return withRequestID(act.run(s, c))
	}
	if !validClientToken(token) {
		return nil, invalidParam("ClientToken", "at most 64 ASCII characters")
	}
	key := act.product + "/" + act.name + "\x00" + token
	fp := fingerprint(p)
	rec, ok := s.tokens[key]
	if ok && s.faults.TokenTTLSeconds > 0 && c.now.Sub(rec.at) >= time.Duration(s.faults.TokenTTLSeconds)*time.Second {
		delete(s.tokens, key) // forgotten: the request is a new one
		ok = false
	}
	if ok {
		if rec.fingerprint != fp {
			return nil, badRequest(codeIdempotentMismatch,
				"The request uses the same client token as a previous, but non-identical request.")
		}
		if rec.refusal != nil {
			r := *rec.refusal
			return nil, &r
		}
		return withRequestID(maps.Clone(rec.answer), nil)
	}
	answer, aerr := act.run(s, c)
	if aerr != nil {
		if s.faults.TokenRemembersFailures && aerr.Status >= 400 && aerr.Status < 500 {
			r := *aerr
			s.tokens[key] = &tokenRec{fingerprint: fp, refusal: &r, at: c.now}
		}
		return nil, aerr
	}
	// Saved before withRequestID adds a RequestId: every replay gets a fresh one.
	s.tokens[key] = &tokenRec{fingerprint: fp, answer: maps.Clone(answer), at: c.now}
	return withRequestID(answer, nil)
}

func withRequestID(answer map[string]any, aerr *apiError) (map[string]any, *apiError) {
	if aerr != nil {
		return nil, aerr
	}
	if answer == nil {
		answer = map[string]any{}
	}
	answer["RequestId"] = newRequestID()
	return answer, nil
}

// signingParams are the common parameters that change on every attempt and are not part of
// what "the same request" means for ClientToken idempotency.
var signingParams = words{"AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion",
	"SignatureNonce", "SignatureType", "Timestamp", "SecurityToken", "BearerToken", "Format"}

func fingerprint(p params) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		if !signingParams.has(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(p[k])
		b.WriteByte(0)
	}
	return b.String()
}

// answerError writes an error answer that happened before the action ran and counts it.
func (s *Server) answerError(w http.ResponseWriter, host string, aerr *apiError) {
	s.mu.Lock()
	s.errorCodes[aerr.Code]++
	s.mu.Unlock()
	writeAPIError(w, host, aerr)
}

// writeAPIError writes the services' error body.
func writeAPIError(w http.ResponseWriter, host string, aerr *apiError) {
	reqID := newRequestID()
	writeJSON(w, aerr.Status, map[string]string{
		"RequestId": reqID,
		"HostId":    host,
		"Code":      aerr.Code,
		"Message":   aerr.Message,
		"Recommend": "https://api.aliyun.com/troubleshoot?q=" + aerr.Code + "&requestId=" + reqID,
	})
}

// dropConnection closes the client connection without an answer, with a TCP reset when possible.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) //nolint:errcheck // best effort: a plain close is a drop too.
	}
	conn.Close()
}

// readRequest reads a request's parameters, and for a signature V3 request what its
// Authorization header claims (nil for V1, whose signature is one of the parameters).
func readRequest(r *http.Request) (params, *v3Auth, *apiError) {
	if isV3(r) {
		return readV3Params(r)
	}
	p, aerr := readParams(r)
	return p, nil, aerr
}

// authenticateRequest verifies the request's signature, whichever version signed it.
func (s *Server) authenticateRequest(r *http.Request, p params, v3 *v3Auth) *apiError {
	if v3 != nil {
		return s.authenticateV3(r, v3)
	}
	return s.authenticate(r.Method, p)
}

// readParams merges the URL query and a form body; the first value of a repeated name wins.
func readParams(r *http.Request) (params, *apiError) {
	r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return nil, badRequest("InvalidParameter", "The request parameters cannot be parsed: %v", err)
	}
	p := make(params, len(r.Form))
	for k, vs := range r.Form {
		if len(vs) > 0 {
			p[k] = vs[0]
		}
	}
	return p, nil
}

func route(p params) (*action, *apiError) {
	if !p.present("Action") {
		return nil, missingParam("Action")
	}
	if !p.present("Version") {
		return nil, missingParam("Version")
	}
	version, name := p.get("Version"), p.get("Action")
	if version != VersionECS && version != VersionEBS {
		return nil, badRequest("InvalidVersion", "Specified parameter Version %q is not valid.", version)
	}
	var act *action
	for i := range actions {
		if actions[i].version == version && actions[i].name == name {
			act = &actions[i]
			break
		}
	}
	if act == nil {
		return nil, notFound("InvalidAction.NotFound", "Specified api %q is not found, please check your url and method.", name)
	}
	if f := p.get("Format"); f != "" && !strings.EqualFold(f, "JSON") {
		return act, invalidParam("Format", "the emulator answers JSON only")
	}
	return act, nil
}

// authenticate verifies an RPC v1 (HMAC-SHA1) signature, the STS token, the timestamp and the
// nonce, as the OpenAPI gateway does.
func (s *Server) authenticate(method string, p params) *apiError {
	for _, n := range []string{"AccessKeyId", "Signature", "SignatureMethod", "SignatureNonce", "Timestamp"} {
		if !p.present(n) {
			return badRequest("Missing"+n, "%s is mandatory for this action.", n)
		}
	}
	if p.get("SignatureMethod") != "HMAC-SHA1" {
		return badRequest("InvalidSignatureMethod", "Specified signature method %q is not supported; use HMAC-SHA1.", p.get("SignatureMethod"))
	}
	if v := p.get("SignatureVersion"); v != "" && v != "1.0" {
		return badRequest("InvalidSignatureVersion", "Specified signature version %q is not supported; use 1.0.", v)
	}
	ts, err := parseTimestamp(p.get("Timestamp"))
	if err != nil {
		return badRequest("InvalidTimeStamp.Format", "Specified time stamp %q is not in the format yyyy-MM-ddTHH:mm:ssZ.", p.get("Timestamp"))
	}
	s.mu.Lock()
	now := s.now()
	s.mu.Unlock()
	if d := now.Sub(ts); d > 15*time.Minute || d < -15*time.Minute {
		return badRequest("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}
	cred, ok := s.creds[p.get("AccessKeyId")]
	if !ok {
		return notFound("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	stringToSign := StringToSign(method, p)
	if !hmac.Equal([]byte(Sign(stringToSign, cred.AccessKeySecret)), []byte(p.get("Signature"))) {
		return badRequest("SignatureDoesNotMatch",
			"Specified signature is not matched with our calculation. server string to sign is:%s", stringToSign)
	}
	token, hasToken := p["SecurityToken"]
	if aerr := checkSecurityToken(cred, token, hasToken && token != ""); aerr != nil {
		return aerr
	}
	return s.useNonce(cred.AccessKeyID, p.get("SignatureNonce"), now)
}

// checkSecurityToken applies the STS rules to the token a request carries (both signature
// versions): an STS credential needs its own token, a permanent key takes none.
func checkSecurityToken(cred Credential, token string, hasToken bool) *apiError {
	switch {
	case cred.SecurityToken != "" && !hasToken:
		return badRequest("MissingSecurityToken", "SecurityToken is mandatory for this AccessKeyId.")
	case cred.SecurityToken == "" && hasToken:
		return badRequest("InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed.")
	case cred.SecurityToken != "" && !hmac.Equal([]byte(token), []byte(cred.SecurityToken)):
		return badRequest("InvalidSecurityToken.MismatchWithAccessKey", "Specified SecurityToken mismatch with the AccessKey.")
	}
	return nil
}

// useNonce records a signature nonce of an access key for 30 minutes (twice the timestamp
// window), refusing one already used: the replay check, both signature versions, made last.
func (s *Server) useNonce(accessKeyID, nonce string, now time.Time) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	nonceKey := accessKeyID + "\x00" + nonce
	if exp, used := s.nonces[nonceKey]; used && now.Before(exp) {
		return badRequest("SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	s.nonces[nonceKey] = now.Add(30 * time.Minute)
	if s.nonceAdds++; s.nonceAdds%1024 == 0 {
		for k, exp := range s.nonces {
			if !now.Before(exp) {
				delete(s.nonces, k)
			}
		}
	}
	return nil
}

func parseTimestamp(v string) (time.Time, error) {
	t, err := time.Parse(isoSecond, v)
	if err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339Nano, v)
}

// StringToSign is the RPC v1 string to sign of a request: METHOD&%2F&pct(sorted k=v&...), with
// RFC 3986 percent-encoding, over every parameter but Signature.
func StringToSign(method string, p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(percentEncode(k))
		b.WriteByte('=')
		b.WriteString(percentEncode(p[k]))
	}
	return method + "&" + percentEncode("/") + "&" + percentEncode(b.String())
}

// Sign is base64(HMAC-SHA1(secret + "&", stringToSign)).
func Sign(stringToSign, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// percentEncode is RFC 3986 escaping: unreserved characters kept, everything else %XX.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
