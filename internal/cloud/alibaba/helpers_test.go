package alibaba

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// Test credentials. The secret and token contain characters that change under percent-encoding.
const (
	testAKID   = "LTAI5tTestKeyId"
	testSecret = "TestSecret/With+Chars=="
	testToken  = "CAIS+testToken/With=Chars*~"
)

var leakedParam = regexp.MustCompile(`(?i)(?:^|[^a-z])(signature|securitytoken|accesskeyid|accesskeysecret)(=|%3d|%253d|": ?"|: )`)

// assertNoCredentials fails if s holds a test credential in any form the SDK may have encoded it
// in, or a sensitive parameter whose value was not redacted. (Package cloud's sanitizer tests
// hold the same check against its own internals.)
func assertNoCredentials(t testing.TB, s string) {
	t.Helper()
	for _, secret := range []string{testSecret, testToken, testAKID, "testToken", "TestSecret", "abcDEF", "emulator-secret", "emulator-token"} {
		for _, form := range []string{secret, url.QueryEscape(secret), rfc3986Escape(secret), url.QueryEscape(url.QueryEscape(secret))} {
			if strings.Contains(strings.ToLower(s), strings.ToLower(form)) {
				t.Fatalf("credential %q leaked as %q in:\n%s", secret, form, s)
			}
		}
	}
	for _, m := range leakedParam.FindAllStringIndex(s, -1) {
		if rest := s[m[1]:]; !strings.HasPrefix(rest, cloud.Redacted) {
			t.Fatalf("parameter at %q not redacted in:\n%s", s[m[0]:min(len(s), m[1]+20)], s)
		}
	}
}

// rfc3986Escape is the escaping the SDK signs with: space as %20, '*' as %2A, '~' kept.
func rfc3986Escape(s string) string {
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(s))
}

// codeOf returns the Code of the *cloud.Error in err, or "".
func codeOf(err error) string {
	var e *cloud.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
