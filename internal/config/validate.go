package config

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/absr-autopair/absr-autopair/internal/valid"
)

const maxQuotedLength = 64 // values are quoted in errors only this far

// quote renders a user-supplied value for an error message: quoted, and cut short so a long or
// pasted-by-mistake value never floods the log.
func quote(v string) string {
	if utf8.RuneCountInString(v) <= maxQuotedLength {
		return fmt.Sprintf("%q", v)
	}
	r := []rune(v)
	return fmt.Sprintf("%q...", string(r[:maxQuotedLength]))
}

// The checks below word config's errors; the rules themselves are package valid's, shared with
// intake and the SDK adapter.

// checkRegion reports why s is not a region ID, or "" when it is one.
func checkRegion(s string) string {
	if s == "" {
		return "a region ID is empty"
	}
	if !valid.RegionID(s) {
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
	if !valid.ZoneID(zone, "") {
		return fmt.Sprintf("%s is not a zone ID (expected a region ID and a zone letter, like cn-shanghai-b)", quote(zone))
	}
	if !valid.ZoneID(zone, region) {
		return fmt.Sprintf("zone %s is not in region %s (a zone ID starts with its region ID)", quote(zone), quote(region))
	}
	return ""
}

// checkDiskID reports why s is not an ECS disk ID, or "" when it is one.
func checkDiskID(s string) string {
	if s == "" {
		return "a disk ID is empty"
	}
	if !valid.DiskID(s) {
		return fmt.Sprintf("%s is not a disk ID (expected d- and lower-case letters or digits, like d-bp1exampledisk)", quote(s))
	}
	return ""
}

// checkTagKey applies the ECS tag key rules, and refuses the leading or trailing spaces that are
// most likely a slip in an environment variable.
func checkTagKey(k string) string {
	if err := valid.TagKey(k); err != nil {
		return err.Error()
	}
	if strings.TrimSpace(k) != k {
		return fmt.Sprintf("the tag key %s has leading or trailing spaces", quote(k))
	}
	return ""
}

// checkTagValue applies the ECS tag value rules. An empty value is refused here: the opt-in tag
// must name one value, or any disk carrying the key would be opted in.
func checkTagValue(v string) string {
	if v == "" {
		return "the tag value is empty"
	}
	if err := valid.TagValue(v); err != nil {
		return err.Error()
	}
	if strings.TrimSpace(v) != v {
		return fmt.Sprintf("the tag value %s has leading or trailing spaces", quote(v))
	}
	return ""
}
