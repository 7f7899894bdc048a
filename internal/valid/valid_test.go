package valid

import (
	"regexp"
	"strings"
	"testing"
)

// The shapes the ID checks accept, as regular expressions: the specification the hand-written
// matchers are held to (the matchers exist because compiling these at init slowed cold start).
var (
	regionSpec     = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)
	diskIDSpec     = regexp.MustCompile(`^d-[a-z0-9]+$`)
	instanceIDSpec = regexp.MustCompile(`^i-[a-z0-9]+$`)
)

var shapeCases = []string{
	"", "-", "--", "cn", "cn-", "-cn", "c-hangzhou", "cn-hangzhou", "cn-hangzhou-", "cn--hangzhou",
	"cn-hangzhou-b", "ap-southeast-1", "ap-southeast-1a", "us-east-1", "CN-hangzhou", "cn-Hangzhou",
	"cn_hangzhou", "cn-hang zhou", "cn1-hangzhou", "abc-1-2-3", "cn-hangzhou\n", "cn-hangzhou-é",
	"d-", "d", "d-1", "d-bp1exampledisk", "d-BP1", "d-bp1-x", "dd-bp1", " d-bp1", "d-bp1\x00",
	"i-bp1demo0002", "i-", "I-bp1", "i-bp1****", "d-bp1****", "d-bp1 x", "D-bp1demo",
	"d-2ze0123456789abcdefg", "cn-shanghai-finance-1", "1n-hangzhou", "hangzhou", "CN-HANGZHOU",
}

func checkShapes(t *testing.T, s string) {
	t.Helper()
	short := len(s) <= maxIDLen
	if got, want := RegionID(s), short && regionSpec.MatchString(s); got != want {
		t.Errorf("RegionID(%q) = %v, want %v", s, got, want)
	}
	if got, want := DiskID(s), short && diskIDSpec.MatchString(s); got != want {
		t.Errorf("DiskID(%q) = %v, want %v", s, got, want)
	}
	if got, want := InstanceID(s), short && instanceIDSpec.MatchString(s); got != want {
		t.Errorf("InstanceID(%q) = %v, want %v", s, got, want)
	}
}

func TestIDShapesMatchTheirSpecification(t *testing.T) {
	long := []string{"d-" + strings.Repeat("a", 62), "d-" + strings.Repeat("a", 63),
		"cn-" + strings.Repeat("a", 61), "cn-" + strings.Repeat("a", 62)}
	for _, s := range append(shapeCases, long...) {
		checkShapes(t, s)
	}
	if !DiskID("d-"+strings.Repeat("a", 62)) || DiskID("d-"+strings.Repeat("a", 63)) {
		t.Error("a disk ID may be 64 bytes long, not 65")
	}
}

func FuzzIDShapes(f *testing.F) {
	for _, s := range shapeCases {
		f.Add(s)
	}
	f.Fuzz(checkShapes)
}

func TestZoneID(t *testing.T) {
	for _, tc := range []struct {
		zone, region string
		want         bool
	}{
		{"cn-shanghai-b", "cn-shanghai", true},
		{"ap-southeast-1a", "ap-southeast-1", true},
		{"cn-shanghai-b", "", true},
		{"cn-beijing-a", "cn-shanghai", false},
		{"cn-shanghai", "cn-shanghai", false}, // a region is not its own zone
		{"cn-shanghai-B", "cn-shanghai", false},
		{"", "cn-shanghai", false},
	} {
		if got := ZoneID(tc.zone, tc.region); got != tc.want {
			t.Errorf("ZoneID(%q, %q) = %v, want %v", tc.zone, tc.region, got, tc.want)
		}
	}
}

func TestTagRules(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		keyErr     string // "" when the key is valid
		valueErr   string // "" when the value is valid
	}{
		{"dr", "enabled", "", ""},
		{"dr:primary-disk", "d-bp1", "", ""},
		{"dr", "", "", ""}, // empty values are allowed
		{"owner", "aliyun-team", "", ""},
		{"", "x", "the tag key is empty", ""},
		{"  ", "x", "the tag key is empty", ""},
		{"aliyun-dr", "x", `the tag key "aliyun-dr" starts with a reserved prefix (aliyun or acs:)`, ""},
		{"Aliyun-dr", "x", "reserved prefix", ""},
		{"ACS:dr", "acs:x", "reserved prefix", `the tag value "acs:x" starts with the reserved prefix acs:`},
		{"see-http://x", "HTTPS://y", `the tag key "see-http://x" contains http:// or https://`, "contains http:// or https://"},
		{strings.Repeat("k", 128), strings.Repeat("é", 128), "", ""},
		{strings.Repeat("k", 129), strings.Repeat("é", 129), "the tag key is longer than 128 characters", "the tag value is longer than 128 characters"},
	} {
		check := func(what string, err error, want string) {
			switch {
			case want == "" && err != nil:
				t.Errorf("%s: unexpected error %v", what, err)
			case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
				t.Errorf("%s: error %v, want one saying %q", what, err, want)
			}
		}
		check("TagKey("+tc.key+")", TagKey(tc.key), tc.keyErr)
		check("TagValue("+tc.value+")", TagValue(tc.value), tc.valueErr)
	}
}
