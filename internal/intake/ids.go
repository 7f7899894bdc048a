package intake

import (
	"fmt"
	"strings"
)

// maxIDLen bounds resource IDs: real ones are about 22 characters.
const maxIDLen = 64

// IsDiskID reports whether s looks like an ECS disk ID: "d-" and ASCII letters and digits.
// The check is loose on purpose (the cloud is the judge); it keeps garbage, masked IDs
// ("d-bp1****") and injection attempts out of API calls and logs.
func IsDiskID(s string) bool { return isResourceID(s, "d-") }

// IsInstanceID reports whether s looks like an ECS instance ID: "i-" and ASCII letters and digits.
func IsInstanceID(s string) bool { return isResourceID(s, "i-") }

func isResourceID(s, prefix string) bool {
	if len(s) <= len(prefix) || len(s) > maxIDLen || !strings.HasPrefix(s, prefix) {
		return false
	}
	for i := len(prefix); i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

// IsRegionID reports whether s looks like an Alibaba Cloud region ID such as cn-hangzhou,
// ap-southeast-1 or cn-shanghai-finance-1: lowercase letters and digits in two or more
// hyphen-separated words, the first of two or more letters.
func IsRegionID(s string) bool {
	if len(s) < 4 || len(s) > 32 {
		return false
	}
	words := 0
	wordLen := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-':
			if wordLen == 0 || (words == 0 && wordLen < 2) {
				return false
			}
			words++
			wordLen = 0
		case c >= 'a' && c <= 'z':
			wordLen++
		case c >= '0' && c <= '9':
			if words == 0 {
				return false
			}
			wordLen++
		default:
			return false
		}
	}
	return wordLen > 0 && words >= 1
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// firstRegion returns the first candidate that is a well-formed region ID, or "".
func firstRegion(candidates ...string) string {
	for _, c := range candidates {
		if IsRegionID(c) {
			return c
		}
	}
	return ""
}

// arn is a parsed Alibaba Cloud resource name: acs:<service>:<region>:<account>:<type>/<id>.
type arn struct {
	service, region, resourceType, id string
}

func parseARN(s string) (arn, bool) {
	parts := strings.SplitN(s, ":", 5)
	if len(parts) != 5 || parts[0] != "acs" {
		return arn{}, false
	}
	typ, id, ok := strings.Cut(parts[4], "/")
	if !ok || typ == "" || id == "" {
		return arn{}, false
	}
	return arn{service: strings.ToLower(parts[1]), region: parts[2], resourceType: strings.ToLower(typ), id: id}, true
}

// sample renders up to three user-supplied values for a log-safe message: each quoted (so
// control characters cannot forge log lines) and cut to a sane length.
func sample(values []string) string {
	const maxShown, maxLen = 3, 80
	var b strings.Builder
	for i, v := range values {
		if i == maxShown {
			fmt.Fprintf(&b, " and %d more", len(values)-maxShown)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if len(v) > maxLen {
			v = v[:maxLen] + "..."
		}
		fmt.Fprintf(&b, "%q", v)
	}
	return b.String()
}
