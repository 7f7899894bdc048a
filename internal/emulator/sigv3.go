package emulator

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Signature V3 (ACS3-HMAC-SHA256), what Alibaba's Tea-based V2 SDKs (TypeScript, Python, Java, Go)
// and their generic callApi send: Action and Version in the x-acs-action and x-acs-version
// headers, parameters in the query and in a form or JSON body, and an Authorization header
//
//	ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<h1;h2;...>,Signature=<hex>
//
// over the canonical request
//
//	METHOD \n PATH \n sorted pct(k)=pct(v) joined by & \n name:value\n per signed header \n
//	signed header names joined by ; \n hex(SHA256(body))
//
// Signature = hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" + hex(SHA256(canonical request)))).

const (
	v3Algorithm = "ACS3-HMAC-SHA256"
	v3Prefix    = "ACS3-"
)

// v3Required are the common request headers a V3 request must carry and sign. Every other
// x-acs-* header it carries must be signed too (x-acs-security-token, x-acs-accesskey-id, ...).
var v3Required = words{"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"}

// v3Auth is what a V3 request's Authorization header claims, plus the body as received.
type v3Auth struct {
	algorithm     string
	accessKeyID   string
	signedHeaders []string // as listed, in order
	signature     string
	bodyHash      string // hex SHA-256 of the body the server read
	malformed     string // why the Authorization header cannot be used, or ""
}

// isV3 reports a request signed with signature V3, or meant to be: one naming its action only in
// the x-acs-action header. The V1 Go SDK sends x-acs-action too, but with Action and Signature in
// the query.
func isV3(r *http.Request) bool {
	if strings.HasPrefix(r.Header.Get("Authorization"), v3Prefix) {
		return true
	}
	if r.Header.Get("x-acs-action") == "" {
		return false
	}
	q := r.URL.Query()
	return !q.Has("Action") && !q.Has("Signature")
}

// readV3Params reads a V3 request: the query, then a form or JSON body (a body value wins over a
// query value of the same name, as with V1's form bodies), Action and Version from the headers.
func readV3Params(r *http.Request) (params, *v3Auth, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 1<<20))
	if err != nil {
		return nil, nil, badRequest("InvalidParameter", "The request body cannot be read: %v", err)
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, nil, badRequest("InvalidParameter", "The request parameters cannot be parsed: %v", err)
	}
	p := params{}
	if len(body) > 0 {
		if aerr := p.addBody(r.Header.Get("Content-Type"), body); aerr != nil {
			return nil, nil, aerr
		}
	}
	for k, vs := range query {
		if _, ok := p[k]; !ok && len(vs) > 0 {
			p[k] = vs[0]
		}
	}
	for param, header := range map[string]string{"Action": "x-acs-action", "Version": "x-acs-version"} {
		v := r.Header.Get(header)
		if v == "" {
			return nil, nil, missingParam(header)
		}
		p[param] = v
	}
	sum := sha256.Sum256(body)
	a := parseV3Authorization(r.Header.Get("Authorization"))
	a.bodyHash = hex.EncodeToString(sum[:])
	return p, a, nil
}

// addBody adds a form or JSON object body's parameters.
func (p params) addBody(contentType string, body []byte) *apiError {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil && contentType != "" {
		return badRequest("InvalidParameter", "The Content-Type %q cannot be parsed: %v", contentType, err)
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return badRequest("InvalidParameter", "The form body cannot be parsed: %v", err)
		}
		for k, vs := range form {
			if len(vs) > 0 {
				p[k] = vs[0]
			}
		}
		return nil
	case "application/json":
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return badRequest("InvalidParameter", "The JSON body is not a JSON object: %v", err)
		}
		for k, v := range obj {
			p.flatten(k, v)
		}
		return nil
	}
	return badRequest("InvalidParameter",
		"The request body of Content-Type %q cannot be read as parameters; send application/x-www-form-urlencoded or application/json.", contentType)
}

// flatten adds a JSON value as the RPC parameters the SDKs' form encoding would send: arrays as
// NAME.1, NAME.2, ..., objects as NAME.KEY, scalars as their text; null adds nothing.
func (p params) flatten(name string, v any) {
	switch v := v.(type) {
	case nil:
	case string:
		p[name] = v
	case json.Number:
		p[name] = v.String()
	case bool:
		p[name] = strconv.FormatBool(v)
	case []any:
		for i, e := range v {
			p.flatten(name+"."+strconv.Itoa(i+1), e)
		}
	case map[string]any:
		for k, e := range v {
			p.flatten(name+"."+k, e)
		}
	}
}

// parseV3Authorization splits "ALGORITHM Credential=...,SignedHeaders=...,Signature=...".
func parseV3Authorization(h string) *v3Auth {
	a := &v3Auth{}
	if h == "" {
		a.malformed = "the Authorization header is missing"
		return a
	}
	alg, rest, _ := strings.Cut(h, " ")
	a.algorithm = alg
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			a.malformed = "the Authorization header has a part that is not key=value"
			return a
		}
		switch k {
		case "Credential":
			a.accessKeyID = v
		case "SignedHeaders":
			if v != "" {
				a.signedHeaders = strings.Split(v, ";")
			}
		case "Signature":
			a.signature = v
		}
	}
	switch {
	case a.accessKeyID == "":
		a.malformed = "the Authorization header has no Credential"
	case len(a.signedHeaders) == 0:
		a.malformed = "the Authorization header has no SignedHeaders"
	case a.signature == "":
		a.malformed = "the Authorization header has no Signature"
	}
	return a
}

func incompleteSignature(format string, args ...any) *apiError {
	return badRequest("IncompleteSignature", "The request signature does not conform to Aliyun standards: "+format, args...)
}

// authenticateV3 verifies a signature V3 request as the OpenAPI gateway does: the Authorization
// header's form, the required and signed headers, x-acs-date, the access key, the signature over
// the canonical request rebuilt from what arrived, the STS token and, last, the nonce.
func (s *Server) authenticateV3(r *http.Request, a *v3Auth) *apiError {
	if a.algorithm != "" && a.algorithm != v3Algorithm && a.malformed == "" {
		return badRequest("InvalidSignatureMethod", "Specified signature method %q is not supported; use %s.", a.algorithm, v3Algorithm)
	}
	if a.malformed != "" {
		return incompleteSignature("%s.", a.malformed)
	}
	signed := map[string]bool{}
	for _, h := range a.signedHeaders {
		if h != strings.ToLower(h) || signed[h] {
			return incompleteSignature("SignedHeaders must list lower-case header names once each.")
		}
		signed[h] = true
		if h != "host" && len(r.Header.Values(h)) == 0 {
			return incompleteSignature("the signed header %s is not in the request.", h)
		}
	}
	for _, h := range v3Required {
		if h != "host" && r.Header.Get(h) == "" {
			return incompleteSignature("the header %s is required.", h)
		}
		if !signed[h] {
			return incompleteSignature("the header %s must be signed.", h)
		}
	}
	for name := range r.Header {
		if h := strings.ToLower(name); strings.HasPrefix(h, "x-acs-") && !signed[h] {
			return incompleteSignature("the header %s must be signed.", h)
		}
	}
	date := r.Header.Get("x-acs-date")
	ts, err := time.Parse(isoSecond, date)
	if err != nil {
		return badRequest("InvalidTimeStamp.Format", "Specified time stamp %q is not in the format yyyy-MM-ddTHH:mm:ssZ.", date)
	}
	s.mu.Lock()
	now := s.now()
	s.mu.Unlock()
	if d := now.Sub(ts); d > 15*time.Minute || d < -15*time.Minute {
		return badRequest("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}
	cred, ok := s.creds[a.accessKeyID]
	if !ok {
		return notFound("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	stringToSign := StringToSignV3(CanonicalRequestV3(r, a.signedHeaders, a.bodyHash))
	want, _ := hex.DecodeString(SignV3(stringToSign, cred.AccessKeySecret))
	got, err := hex.DecodeString(a.signature)
	if err != nil || !hmac.Equal(want, got) {
		return badRequest("SignatureDoesNotMatch",
			"Specified signature is not matched with our calculation. server string to sign is:%s", stringToSign)
	}
	token := r.Header.Get("x-acs-security-token")
	if aerr := checkSecurityToken(cred, token, token != ""); aerr != nil {
		return aerr
	}
	return s.useNonce(cred.AccessKeyID, r.Header.Get("x-acs-signature-nonce"), now)
}

// CanonicalRequestV3 is the V3 canonical request of r over the named signed headers, with
// bodyHash (hex SHA-256 of the body the server received) as its last line: a body changed after
// signing changes the canonical request even when x-acs-content-sha256 still names the old one.
func CanonicalRequestV3(r *http.Request, signedHeaders []string, bodyHash string) string {
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(path)
	b.WriteByte('\n')
	b.WriteString(canonicalQueryV3(r.URL.Query()))
	b.WriteByte('\n')
	for _, h := range signedHeaders {
		var vals []string
		if h == "host" {
			vals = []string{r.Host}
		} else {
			for _, v := range r.Header.Values(h) {
				vals = append(vals, strings.TrimSpace(v))
			}
		}
		sort.Strings(vals)
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(strings.Join(vals, ","))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(bodyHash)
	return b.String()
}

// canonicalQueryV3 is pct(k)=pct(v) sorted by name (then value) and joined by &, RFC 3986
// escaping. Names sort as sent, before escaping, as the SDKs sort them.
func canonicalQueryV3(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, 0, len(q))
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			pairs = append(pairs, percentEncode(k)+"="+percentEncode(v))
		}
	}
	return strings.Join(pairs, "&")
}

// StringToSignV3 is "ACS3-HMAC-SHA256\n" + hex(SHA256(canonicalRequest)).
func StringToSignV3(canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return v3Algorithm + "\n" + hex.EncodeToString(sum[:])
}

// SignV3 is hex(HMAC-SHA256(secret, stringToSign)).
func SignV3(stringToSign, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	return hex.EncodeToString(mac.Sum(nil))
}
