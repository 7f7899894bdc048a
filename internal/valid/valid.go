// Package valid holds the one copy of the rules for what Alibaba Cloud names look like: region,
// zone, disk and instance IDs, and ECS tag keys and values. Intake, config and the SDK adapter all
// ask it, so an ID one of them accepts is an ID the others accept. (The emulator keeps its own
// copy on purpose, as an independent check.)
//
// The ID checks are shapes, not lists: supported regions change, and the cloud is the judge of
// whether a well-formed ID exists. They keep garbage, masked IDs ("d-bp1****") and injection
// attempts out of API calls and logs. They are plain loops rather than regular expressions:
// compiling one at package init cost a tenth of the function's cold start (see internal/bench);
// valid_test.go holds each loop to the regular expression it implements.
package valid

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxIDLen bounds every ID: real ones are about 22 characters.
const maxIDLen = 64

// Tag limits of ECS (TagResources, CreateDisk).
const (
	maxTagKeyLen   = 128 // characters
	maxTagValueLen = 128 // characters
)

// RegionID reports whether s has the shape of a region ID: two or more lower-case letters, then
// one or more dash-separated groups of lower-case letters and digits, at most maxIDLen bytes:
// cn-hangzhou, ap-southeast-1, cn-shanghai-finance-1.
func RegionID(s string) bool {
	if len(s) > maxIDLen {
		return false
	}
	head, rest, found := strings.Cut(s, "-")
	if !found || len(head) < 2 || !isLower(head) {
		return false
	}
	for group := range strings.SplitSeq(rest, "-") {
		if group == "" || !isLowerAlnum(group) {
			return false
		}
	}
	return true
}

// ZoneID reports whether zone has the shape of a zone ID of region: a zone ID extends its region
// ID (cn-shanghai-b, ap-southeast-1a) and has a region ID's shape. An empty region accepts the
// zone of any region.
func ZoneID(zone, region string) bool {
	if !RegionID(zone) {
		return false
	}
	return region == "" || len(zone) > len(region) && strings.HasPrefix(zone, region)
}

// DiskID reports whether s has the shape of an ECS disk ID: "d-" and lower-case letters and
// digits, at most maxIDLen bytes.
func DiskID(s string) bool { return resourceID(s, "d-") }

// InstanceID reports whether s has the shape of an ECS instance ID: "i-" and lower-case letters
// and digits, at most maxIDLen bytes.
func InstanceID(s string) bool { return resourceID(s, "i-") }

func resourceID(s, prefix string) bool {
	id, ok := strings.CutPrefix(s, prefix)
	return ok && id != "" && len(s) <= maxIDLen && isLowerAlnum(id)
}

// TagKey says why k cannot be an ECS tag key, or nil: not blank, at most maxTagKeyLen characters,
// not starting with aliyun or acs: and without http:// or https://, in any case.
func TagKey(k string) error {
	lk := strings.ToLower(k)
	switch {
	case strings.TrimSpace(k) == "":
		return errors.New("the tag key is empty")
	case utf8.RuneCountInString(k) > maxTagKeyLen:
		return fmt.Errorf("the tag key is longer than %d characters", maxTagKeyLen)
	case strings.HasPrefix(lk, "aliyun"), strings.HasPrefix(lk, "acs:"):
		return fmt.Errorf("the tag key %q starts with a reserved prefix (aliyun or acs:)", k)
	case strings.Contains(lk, "http://"), strings.Contains(lk, "https://"):
		return fmt.Errorf("the tag key %q contains http:// or https://", k)
	}
	return nil
}

// TagValue says why v cannot be an ECS tag value, or nil: at most maxTagValueLen characters, not
// starting with acs: and without http:// or https://, in any case. An empty value is allowed (aliyun
// is too).
func TagValue(v string) error {
	lv := strings.ToLower(v)
	switch {
	case utf8.RuneCountInString(v) > maxTagValueLen:
		return fmt.Errorf("the tag value is longer than %d characters", maxTagValueLen)
	case strings.HasPrefix(lv, "acs:"):
		return fmt.Errorf("the tag value %q starts with the reserved prefix acs:", v)
	case strings.Contains(lv, "http://"), strings.Contains(lv, "https://"):
		return fmt.Errorf("the tag value %q contains http:// or https://", v)
	}
	return nil
}

func isLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func isLowerAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
