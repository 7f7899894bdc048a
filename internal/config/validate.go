package config

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

const (
	maxIDLen        = 64
	maxTagKeyLen    = 128
	maxTagValueLen  = 128
	maxQuotedLength = 64 // values are quoted in errors only this far
)

// quote renders a user-supplied value for an error message: quoted, and cut short so a long or
// pasted-by-mistake value never floods the log.
func quote(v string) string {
	if utf8.RuneCountInString(v) <= maxQuotedLength {
		return fmt.Sprintf("%q", v)
	}
	r := []rune(v)
	return fmt.Sprintf("%q...", string(r[:maxQuotedLength]))
}

// checkRegion reports why s is not a region ID, or "" when it is one.
func checkRegion(s string) string {
	if s == "" {
		return "a region ID is empty"
	}
	if len(s) > maxIDLen || !isRegionShape(s) {
		return fmt.Sprintf("%s is not a region ID (expected lower-case letters, digits and dashes, like cn-hangzhou)", quote(s))
	}
	return ""
}

// checkZone reports why zone is not a zone of region, or "" when it may be one. Zone IDs extend
// their region ID: cn-shanghai-b, ap-southeast-1a.
func checkZone(zone, region string) string {
	if zone == "" {
		return "a zone ID is empty"
	}
	if len(zone) > maxIDLen || !isRegionShape(zone) {
		return fmt.Sprintf("%s is not a zone ID (expected a region ID and a zone letter, like cn-shanghai-b)", quote(zone))
	}
	if region != "" && (len(zone) <= len(region) || !strings.HasPrefix(zone, region)) {
		return fmt.Sprintf("zone %s is not in region %s (a zone ID starts with its region ID)", quote(zone), quote(region))
	}
	return ""
}

// checkDiskID reports why s is not an ECS disk ID, or "" when it is one.
func checkDiskID(s string) string {
	if s == "" {
		return "a disk ID is empty"
	}
	if len(s) > maxIDLen || !isDiskIDShape(s) {
		return fmt.Sprintf("%s is not a disk ID (expected d- and lower-case letters or digits, like d-bp1exampledisk)", quote(s))
	}
	return ""
}

// checkTagKey applies the ECS tag key rules (TagResources).
func checkTagKey(k string) string {
	switch {
	case k == "":
		return "the tag key is empty"
	case utf8.RuneCountInString(k) > maxTagKeyLen:
		return fmt.Sprintf("the tag key is longer than %d characters", maxTagKeyLen)
	case strings.HasPrefix(k, "aliyun"), strings.HasPrefix(k, "acs:"):
		return fmt.Sprintf("the tag key %s starts with a reserved prefix (aliyun or acs:)", quote(k))
	case strings.Contains(k, "http://"), strings.Contains(k, "https://"):
		return fmt.Sprintf("the tag key %s contains http:// or https://", quote(k))
	case strings.TrimSpace(k) != k:
		return fmt.Sprintf("the tag key %s has leading or trailing spaces", quote(k))
	}
	return ""
}

// checkTagValue applies the ECS tag value rules. An empty value is refused here: the opt-in tag
// must name one value, or any disk carrying the key would be opted in.
func checkTagValue(v string) string {
	switch {
	case v == "":
		return "the tag value is empty"
	case utf8.RuneCountInString(v) > maxTagValueLen:
		return fmt.Sprintf("the tag value is longer than %d characters", maxTagValueLen)
	case strings.HasPrefix(v, "acs:"):
		return fmt.Sprintf("the tag value %s starts with the reserved prefix acs:", quote(v))
	case strings.Contains(v, "http://"), strings.Contains(v, "https://"):
		return fmt.Sprintf("the tag value %s contains http:// or https://", quote(v))
	case strings.TrimSpace(v) != v:
		return fmt.Sprintf("the tag value %s has leading or trailing spaces", quote(v))
	}
	return ""
}

// Shapes, not lists: supported regions change, so only the form of an ID is checked. These are
// plain loops rather than regular expressions: compiling one at package init costs more of the
// cold start than all of this package's other setup.

// isRegionShape reports whether s is two or more lower-case letters followed by one or more
// dash-separated groups of lower-case letters and digits: cn-hangzhou, ap-southeast-1, and zone
// IDs such as cn-shanghai-b.
func isRegionShape(s string) bool {
	head, rest, found := strings.Cut(s, "-")
	if !found || len(head) < 2 || strings.IndexFunc(head, func(r rune) bool { return r < 'a' || r > 'z' }) >= 0 {
		return false
	}
	for group := range strings.SplitSeq(rest, "-") {
		if group == "" || !isLowerAlnum(group) {
			return false
		}
	}
	return true
}

// isDiskIDShape reports whether s is "d-" and one or more lower-case letters and digits.
func isDiskIDShape(s string) bool {
	id, ok := strings.CutPrefix(s, "d-")
	return ok && id != "" && isLowerAlnum(id)
}

func isLowerAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
