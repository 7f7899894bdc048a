package cloud

import (
	"net/url"
	"slices"
	"sort"
	"strings"
)

// Redacted replaces every credential Sanitize finds.
const Redacted = "REDACTED"

// sensitiveParams are the request parameters whose values are credentials or derived from them,
// lower-cased. The SDK puts all of them in the URL query of every request.
var sensitiveParams = []string{"accesskeyid", "accesskeysecret", "securitytoken", "signature"}

// separators that may follow a parameter name: query form, the percent-encoded forms found in a
// StringToSign (once and twice encoded), and header or JSON forms (handled in separatorLen).
var querySeparators = []string{"=", "%3d", "%253d", "%25253d"}

// valueTerminators end a parameter value: the query separator in its plain and encoded forms.
var valueTerminators = []string{"%26", "%2526", "%252526"}

// minSecretLen keeps Sanitize from shredding a message when a "secret" is a few characters long.
const minSecretLen = 4

// Sanitize removes credentials from s: the values of the AccessKeyId, AccessKeySecret,
// SecurityToken and Signature parameters wherever they appear (URL queries, percent-encoded
// StringToSign echoes as in SignatureDoesNotMatch messages, "Key: value" and JSON forms), and
// every occurrence of each literal secret, plain or percent-encoded. To sanitize many strings
// with the same secrets, prepare them once with NewSanitizer.
func Sanitize(s string, secrets ...string) string {
	return NewSanitizer(secrets...).Sanitize(s)
}

// Sanitizer is Sanitize with its secrets prepared: every encoded form of each, lower-cased,
// longest first. It is safe for concurrent use.
type Sanitizer struct {
	forms []string // lower-cased, longest first, no repeats
}

// NewSanitizer prepares secrets for Sanitize; secrets shorter than 4 characters are ignored, so
// that a message is not shredded.
func NewSanitizer(secrets ...string) *Sanitizer {
	var forms []string
	for _, secret := range secrets {
		if len(secret) < minSecretLen {
			continue
		}
		once := url.QueryEscape(secret)
		rfc := rfc3986Escape(secret)
		for _, f := range []string{secret, once, rfc, url.QueryEscape(once), url.QueryEscape(rfc), url.PathEscape(secret)} {
			forms = append(forms, asciiLower(f))
		}
	}
	// Longest first, so that an encoded form is not half-replaced through a shorter one.
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	return &Sanitizer{forms: slices.Compact(forms)}
}

// Sanitize removes credentials from s, as the package function Sanitize does. A nil Sanitizer
// knows no literal secrets.
func (z *Sanitizer) Sanitize(s string) string {
	var forms []string
	if z != nil {
		forms = z.forms
	}
	lower := asciiLower(s)
	for _, f := range forms {
		if strings.Contains(lower, f) {
			s = replaceFold(s, lower, f, Redacted)
			lower = asciiLower(s)
		}
	}
	return redactParams(s, lower)
}

// rfc3986Escape is the escaping the SDK signs with: space as %20, '*' as %2A, '~' kept.
func rfc3986Escape(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

// replaceFold replaces lowerOld in s, whose lower-cased form is lowerS, ignoring ASCII case
// (percent escapes may come in either case).
func replaceFold(s, lowerS, lowerOld, repl string) string {
	var b strings.Builder
	last := 0
	for i := 0; ; {
		j := strings.Index(lowerS[i:], lowerOld)
		if j < 0 {
			break
		}
		start := i + j
		b.WriteString(s[last:start])
		b.WriteString(repl)
		last = start + len(lowerOld)
		i = last
	}
	b.WriteString(s[last:])
	return b.String()
}

// redactParams redacts the values of the sensitive parameters in s, whose lower-cased form is lower.
func redactParams(s, lower string) string {
	var b strings.Builder
	copied := 0
	for pos := 0; pos < len(s); {
		name, at := nextParam(lower, pos)
		if at < 0 {
			break
		}
		pos = at + len(name)
		if at > 0 && isASCIILetter(s[at-1]) {
			continue // part of a longer word, e.g. "InvalidAccessKeySecret"
		}
		sep := separatorLen(lower, pos)
		if sep <= 0 {
			continue
		}
		start := pos + sep
		end := valueEnd(lower, start)
		if end == start {
			pos = start
			continue
		}
		b.WriteString(s[copied:start])
		b.WriteString(Redacted)
		copied, pos = end, end
	}
	if copied == 0 {
		return s
	}
	b.WriteString(s[copied:])
	return b.String()
}

// nextParam finds the earliest sensitive parameter name in lower at or after pos.
func nextParam(lower string, pos int) (string, int) {
	best, bestAt := "", -1
	for _, name := range sensitiveParams {
		if i := strings.Index(lower[pos:], name); i >= 0 && (bestAt < 0 || pos+i < bestAt) {
			best, bestAt = name, pos+i
		}
	}
	return best, bestAt
}

// separatorLen returns the length of the name/value separator at lower[i:], or 0 if there is none.
func separatorLen(lower string, i int) int {
	rest := lower[i:]
	for _, sep := range querySeparators {
		if strings.HasPrefix(rest, sep) {
			return len(sep)
		}
	}
	// "Name: value", "\"Name\": \"value\"" and the JSON-in-a-string form with \".
	j := i
	j += quoteLen(lower[j:])
	for j < len(lower) && lower[j] == ' ' {
		j++
	}
	if j >= len(lower) || lower[j] != ':' {
		return 0
	}
	j++
	for j < len(lower) && lower[j] == ' ' {
		j++
	}
	j += quoteLen(lower[j:])
	return j - i
}

func quoteLen(s string) int {
	switch {
	case strings.HasPrefix(s, `\"`):
		return 2
	case strings.HasPrefix(s, `"`), strings.HasPrefix(s, `'`):
		return 1
	}
	return 0
}

// valueEnd returns where the value starting at lower[i] ends.
func valueEnd(lower string, i int) int {
	for j := i; j < len(lower); j++ {
		switch lower[j] {
		case '&', '"', '\'', '\\', ' ', '\t', '\n', '\r', '<', '>', ',', ';', '}', ')', ']':
			return j
		case '%':
			for _, t := range valueTerminators {
				if strings.HasPrefix(lower[j:], t) {
					return j
				}
			}
		}
	}
	return len(lower)
}

// asciiLower lower-cases the ASCII letters of s; it does not allocate when there are none.
func asciiLower(s string) string {
	i := 0
	for i < len(s) && !('A' <= s[i] && s[i] <= 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if c := b[i]; 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func isASCIILetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
