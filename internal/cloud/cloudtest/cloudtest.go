// Package cloudtest is what the tests of cloud code share: test credentials whose secret parts
// change under percent-encoding, with a check that a string leaks none of them (this file), and
// the contract every cloud.API keeps, run against the adapter and against fakecloud (contract.go).
package cloudtest

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// Test credentials. The secret and token contain characters that change under percent-encoding.
const (
	AccessKeyID     = "LTAI5tTestKeyId"
	AccessKeySecret = "TestSecret/With+Chars=="
	SecurityToken   = "CAIS+testToken/With=Chars*~"
)

// leaked are the test credentials, fragments of them, and the emulator's, as AssertNoCredentials
// looks for them.
var leaked = []string{AccessKeySecret, SecurityToken, AccessKeyID, "testToken", "TestSecret", "abcDEF",
	"emulator-secret", "emulator-token"}

var leakedParam = regexp.MustCompile(`(?i)(?:^|[^a-z])(signature|securitytoken|accesskeyid|accesskeysecret)(=|%3d|%253d|": ?"|: )`)

// AssertNoCredentials fails t if s holds a test credential in any form the SDK may have encoded
// it in, or a sensitive parameter whose value was not redacted.
func AssertNoCredentials(t testing.TB, s string) {
	t.Helper()
	lower := strings.ToLower(s)
	for _, secret := range leaked {
		for _, form := range []string{secret, url.QueryEscape(secret), RFC3986Escape(secret), url.QueryEscape(url.QueryEscape(secret))} {
			if strings.Contains(lower, strings.ToLower(form)) {
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

// RFC3986Escape is the escaping the SDK signs with: space as %20, '*' as %2A, '~' kept.
func RFC3986Escape(s string) string {
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(s))
}
