package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// env turns a map into a lookup function, as os.LookupEnv would see it.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func defaultConfig() Config {
	return Config{
		Pairing: pairing.Options{
			OptInKey:         "dr",
			OptInValue:       "enabled",
			Routes:           map[string]pairing.Route{},
			Pairs:            map[string]pairing.SecondaryRef{},
			Start:            true,
			MarkPrimary:      true,
			PairNameTemplate: "absr-{diskId}",
			ChargeType:       "POSTPAY",
			RPO:              900,
			Concurrency:      8,
			ReplicaGroups:    "off",
		},
		API:    "ebs",
		MaxQPS: 10,
	}
}

func TestDefaults(t *testing.T) {
	got, err := load(env(nil), filepath.Join(t.TempDir(), "mapping.yaml"))
	if err != nil {
		t.Fatalf("load with an empty environment: %v", err)
	}
	if want := defaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
}

// Empty values mean "use the default", so an s.yaml entry can be left as "".
func TestEmptyValuesAreDefaults(t *testing.T) {
	m := map[string]string{}
	for _, name := range Variables() {
		m[name] = "  "
	}
	got, err := load(env(m), "")
	if err != nil {
		t.Fatalf("load with blank variables: %v", err)
	}
	if want := defaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("blank variables:\n got %+v\nwant %+v", got, want)
	}
}

func TestEveryVariableSet(t *testing.T) {
	dir := t.TempDir()
	mapping := filepath.Join(dir, "pairs.yaml")
	writeFile(t, mapping, "pairs:\n  d-bp1primary: {disk: d-uf6secondary, region: cn-shanghai}\n")
	got, err := load(env(map[string]string{
		"ABSR_OPT_IN_TAG":             "backup=absr",
		"ABSR_ROUTES":                 " cn-hangzhou=cn-shanghai/cn-shanghai-b , cn-beijing=cn-zhangjiakou ",
		"ABSR_MAPPING_FILE":           mapping,
		"ABSR_AUTO_CREATE_SECONDARY":  "YES",
		"ABSR_START":                  "0",
		"ABSR_MARK_PRIMARY":           "False",
		"ABSR_DRY_RUN":                "1",
		"ABSR_API":                    "ECS",
		"ABSR_PAIR_NAME":              "dr-{diskName}-{diskId}",
		"ABSR_CHARGE_TYPE":            "prepay",
		"ABSR_BANDWIDTH":              "20480",
		"ABSR_PERIOD":                 "12",
		"ABSR_RPO":                    "900",
		"ABSR_SOURCE_REGIONS":         "cn-hangzhou,cn-beijing,cn-hangzhou",
		"ABSR_CONCURRENCY":            "64",
		"ABSR_MAX_QPS":                "2.5",
		"ABSR_ECS_ENDPOINT":           "http://127.0.0.1:9080/",
		"ABSR_EBS_ENDPOINT":           "https://ebs.cn-hangzhou.aliyuncs.com",
		"ABSR_MAX_RECOVERY_POINT_AGE": "3600",
		"ABSR_REPLICA_GROUPS":         "OFF",
		"FC_REGION":                   "cn-qingdao",
	}), "")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	want := Config{
		Pairing: pairing.Options{
			OptInKey:   "backup",
			OptInValue: "absr",
			Routes: map[string]pairing.Route{
				"cn-hangzhou": {Region: "cn-shanghai", Zone: "cn-shanghai-b"},
				"cn-beijing":  {Region: "cn-zhangjiakou"},
			},
			Pairs:               map[string]pairing.SecondaryRef{"d-bp1primary": {DiskID: "d-uf6secondary", Region: "cn-shanghai"}},
			AutoCreateSecondary: true,
			Start:               false,
			MarkPrimary:         false,
			DryRun:              true,
			PairNameTemplate:    "dr-{diskName}-{diskId}",
			ChargeType:          "PREPAY",
			Bandwidth:           20480,
			Period:              12,
			RPO:                 900,
			Concurrency:         64,
			ReplicaGroups:       "off",
			MaxRecoveryPointAge: time.Hour,
		},
		API:           "ecs",
		SourceRegions: []string{"cn-hangzhou", "cn-beijing"},
		MaxQPS:        2.5,
		ECSEndpoint:   "http://127.0.0.1:9080",
		EBSEndpoint:   "https://ebs.cn-hangzhou.aliyuncs.com",
		MappingFile:   mapping,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config:\n got %+v\nwant %+v", got, want)
	}
}

func TestMalformedEnvironment(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	cases := []struct {
		name string
		env  map[string]string
		want []string // every one must appear in the error
	}{
		{"opt-in without =", map[string]string{"ABSR_OPT_IN_TAG": "drenabled"},
			[]string{`ABSR_OPT_IN_TAG="drenabled": expected key=value, like dr=enabled`}},
		{"opt-in empty key", map[string]string{"ABSR_OPT_IN_TAG": "=enabled"},
			[]string{`ABSR_OPT_IN_TAG="=enabled": the tag key is empty`}},
		{"opt-in aliyun prefix", map[string]string{"ABSR_OPT_IN_TAG": "aliyun-dr=on"},
			[]string{`ABSR_OPT_IN_TAG="aliyun-dr=on": the tag key "aliyun-dr" starts with a reserved prefix (aliyun or acs:)`}},
		{"opt-in acs: prefix", map[string]string{"ABSR_OPT_IN_TAG": "acs:dr=enabled"},
			[]string{`the tag key "acs:dr" starts with a reserved prefix`}},
		{"opt-in http:// in key", map[string]string{"ABSR_OPT_IN_TAG": "see-http://x=1"},
			[]string{`the tag key "see-http://x" contains http:// or https://`}},
		{"opt-in empty value", map[string]string{"ABSR_OPT_IN_TAG": "dr="},
			[]string{`ABSR_OPT_IN_TAG="dr=": the tag value is empty`}},
		{"opt-in long key", map[string]string{"ABSR_OPT_IN_TAG": strings.Repeat("k", 129) + "=v"},
			[]string{`the tag key is longer than 128 characters`}},
		{"routes without =", map[string]string{"ABSR_ROUTES": "cn-hangzhou"},
			[]string{`ABSR_ROUTES="cn-hangzhou": entry "cn-hangzhou": expected source=destination[/zone]`}},
		{"routes bad destination", map[string]string{"ABSR_ROUTES": "cn-hangzhou=Shanghai"},
			[]string{`entry "cn-hangzhou=Shanghai": destination: "Shanghai" is not a region ID`}},
		{"routes bad source", map[string]string{"ABSR_ROUTES": "hangzhou=cn-shanghai"},
			[]string{`entry "hangzhou=cn-shanghai": "hangzhou" is not a region ID`}},
		{"routes zone of another region", map[string]string{"ABSR_ROUTES": "cn-hangzhou=cn-shanghai/cn-beijing-a"},
			[]string{`zone "cn-beijing-a" is not in region "cn-shanghai"`}},
		{"routes empty zone", map[string]string{"ABSR_ROUTES": "cn-hangzhou=cn-shanghai/"},
			[]string{`entry "cn-hangzhou=cn-shanghai/": a zone ID is empty`}},
		{"routes two zones", map[string]string{"ABSR_ROUTES": "cn-hangzhou=cn-shanghai/cn-shanghai-b/cn-shanghai-c"},
			[]string{`more than one zone`}},
		{"routes empty entry", map[string]string{"ABSR_ROUTES": "cn-hangzhou=cn-shanghai,,cn-beijing=cn-shanghai"},
			[]string{`ABSR_ROUTES="cn-hangzhou=cn-shanghai,,cn-beijing=cn-shanghai": entry 2 is empty`}},
		{"routes two =", map[string]string{"ABSR_ROUTES": "cn-hangzhou=cn-shanghai=cn-beijing"},
			[]string{`expected source=destination[/zone]`}},
		{"routes duplicate source", map[string]string{"ABSR_ROUTES": "cn-hangzhou=cn-shanghai,cn-hangzhou=cn-beijing"},
			[]string{`entry "cn-hangzhou=cn-beijing": source region given twice`}},
		{"bool word", map[string]string{"ABSR_DRY_RUN": "maybe"},
			[]string{`ABSR_DRY_RUN="maybe": expected true or false (also 1/0, yes/no)`}},
		{"bool number", map[string]string{"ABSR_START": "2"},
			[]string{`ABSR_START="2": expected true or false`}},
		{"bool on", map[string]string{"ABSR_AUTO_CREATE_SECONDARY": "on"},
			[]string{`ABSR_AUTO_CREATE_SECONDARY="on": expected true or false`}},
		{"bool mark", map[string]string{"ABSR_MARK_PRIMARY": "t"},
			[]string{`ABSR_MARK_PRIMARY="t": expected true or false`}},
		{"api", map[string]string{"ABSR_API": "ebs2"},
			[]string{`ABSR_API="ebs2": expected ebs (the 2021-07-30 API) or ecs (the 2014-05-26 API)`}},
		{"pair name unknown placeholder", map[string]string{"ABSR_PAIR_NAME": "absr-{diskid}"},
			[]string{`ABSR_PAIR_NAME="absr-{diskid}": unknown placeholder "{diskid}"; expected {diskId} or {diskName}`}},
		{"pair name unclosed", map[string]string{"ABSR_PAIR_NAME": "absr-{diskId"},
			[]string{`ABSR_PAIR_NAME="absr-{diskId": a { is not closed`}},
		{"pair name stray }", map[string]string{"ABSR_PAIR_NAME": "absr-}"},
			[]string{`a } without {`}},
		{"pair name too long", map[string]string{"ABSR_PAIR_NAME": strings.Repeat("a", 129)},
			[]string{`ABSR_PAIR_NAME="aaaa`, `...: longer than 128 characters`}},
		{"charge type", map[string]string{"ABSR_CHARGE_TYPE": "monthly"},
			[]string{`ABSR_CHARGE_TYPE="monthly": expected POSTPAY or PREPAY`}},
		{"bandwidth not allowed", map[string]string{"ABSR_CHARGE_TYPE": "PREPAY", "ABSR_BANDWIDTH": "10000"},
			[]string{`ABSR_BANDWIDTH="10000": expected one of 10240, 20480, 51200, 102400 (Kbit/s)`}},
		{"bandwidth with postpay default", map[string]string{"ABSR_BANDWIDTH": "10240"},
			[]string{`ABSR_BANDWIDTH="10240": the bandwidth cannot be set with ABSR_CHARGE_TYPE=POSTPAY (the default)`}},
		{"bandwidth with explicit postpay", map[string]string{"ABSR_CHARGE_TYPE": "POSTPAY", "ABSR_BANDWIDTH": "51200"},
			[]string{`the bandwidth cannot be set with ABSR_CHARGE_TYPE=POSTPAY`}},
		{"period not sold", map[string]string{"ABSR_CHARGE_TYPE": "PREPAY", "ABSR_PERIOD": "4"},
			[]string{`ABSR_PERIOD="4": expected one of 1, 2, 3, 6, 12, 24, 36, 60 (months a ABSR_CHARGE_TYPE=PREPAY pair is bought for)`}},
		{"period word", map[string]string{"ABSR_CHARGE_TYPE": "PREPAY", "ABSR_PERIOD": "a year"},
			[]string{`ABSR_PERIOD="a year": expected one of 1, 2, 3, 6, 12, 24, 36, 60`}},
		{"period with postpay default", map[string]string{"ABSR_PERIOD": "1"},
			[]string{`ABSR_PERIOD="1": a period applies to ABSR_CHARGE_TYPE=PREPAY only, and ABSR_CHARGE_TYPE is POSTPAY (the default)`}},
		{"recovery point age below the RPO", map[string]string{"ABSR_MAX_RECOVERY_POINT_AGE": "600"},
			[]string{`ABSR_MAX_RECOVERY_POINT_AGE="600": expected whole seconds from 900 (the RPO) to 2592000; older recovery points are lagging (default 1800)`}},
		{"recovery point age with a unit", map[string]string{"ABSR_MAX_RECOVERY_POINT_AGE": "30m"},
			[]string{`ABSR_MAX_RECOVERY_POINT_AGE="30m": expected whole seconds`}},
		{"recovery point age in milliseconds", map[string]string{"ABSR_MAX_RECOVERY_POINT_AGE": "1800000000"},
			[]string{`ABSR_MAX_RECOVERY_POINT_AGE="1800000000": expected whole seconds`}},
		{"rpo", map[string]string{"ABSR_RPO": "600"},
			[]string{`ABSR_RPO="600": expected 900 (seconds; the only RPO the API accepts)`}},
		{"concurrency zero", map[string]string{"ABSR_CONCURRENCY": "0"},
			[]string{`ABSR_CONCURRENCY="0": expected an integer from 1 to 64`}},
		{"concurrency too many", map[string]string{"ABSR_CONCURRENCY": "65"},
			[]string{`ABSR_CONCURRENCY="65": expected an integer from 1 to 64`}},
		{"concurrency word", map[string]string{"ABSR_CONCURRENCY": "eight"},
			[]string{`ABSR_CONCURRENCY="eight": expected an integer`}},
		{"qps zero", map[string]string{"ABSR_MAX_QPS": "0"},
			[]string{`ABSR_MAX_QPS="0": expected a number of calls per second from 1 to 1000`}},
		{"qps negative", map[string]string{"ABSR_MAX_QPS": "-3"},
			[]string{`ABSR_MAX_QPS="-3": expected a number`}},
		{"qps NaN", map[string]string{"ABSR_MAX_QPS": "NaN"},
			[]string{`ABSR_MAX_QPS="NaN": expected a number`}},
		{"qps Inf", map[string]string{"ABSR_MAX_QPS": "+Inf"},
			[]string{`ABSR_MAX_QPS="+Inf": expected a number`}},
		{"qps too high", map[string]string{"ABSR_MAX_QPS": "1e6"},
			[]string{`ABSR_MAX_QPS="1e6": expected a number`}},
		{"source regions bad", map[string]string{"ABSR_SOURCE_REGIONS": "cn-hangzhou,CN_BEIJING"},
			[]string{`ABSR_SOURCE_REGIONS="cn-hangzhou,CN_BEIJING": "CN_BEIJING" is not a region ID`}},
		{"source regions empty entry", map[string]string{"ABSR_SOURCE_REGIONS": "cn-hangzhou,"},
			[]string{`ABSR_SOURCE_REGIONS="cn-hangzhou,": entry 2 is empty`}},
		{"FC_REGION malformed", map[string]string{"FC_REGION": "Hangzhou"},
			[]string{`FC_REGION="Hangzhou": "Hangzhou" is not a region ID`}},
		{"endpoint scheme", map[string]string{"ABSR_ECS_ENDPOINT": "ftp://ecs.example"},
			[]string{`ABSR_ECS_ENDPOINT="ftp://ecs.example": expected an http:// or https:// URL`}},
		{"endpoint without scheme", map[string]string{"ABSR_EBS_ENDPOINT": "127.0.0.1:9080"},
			[]string{`ABSR_EBS_ENDPOINT="127.0.0.1:9080": not a URL`}},
		{"endpoint host only", map[string]string{"ABSR_EBS_ENDPOINT": "ebs.cn-hangzhou.aliyuncs.com"},
			[]string{`ABSR_EBS_ENDPOINT="ebs.cn-hangzhou.aliyuncs.com": expected an http:// or https:// URL`}},
		{"endpoint no host", map[string]string{"ABSR_ECS_ENDPOINT": "http://:9080"},
			[]string{`ABSR_ECS_ENDPOINT="http://:9080": the URL has no host`}},
		{"endpoint path", map[string]string{"ABSR_ECS_ENDPOINT": "http://127.0.0.1:9080/ecs?x=1"},
			[]string{`expected only scheme, host and port (no path, query or fragment)`}},
		{"endpoint bad port", map[string]string{"ABSR_ECS_ENDPOINT": "http://127.0.0.1:port"},
			[]string{`ABSR_ECS_ENDPOINT="http://127.0.0.1:port": not a URL`}},
		{"replica groups unknown", map[string]string{"ABSR_REPLICA_GROUPS": "region"},
			[]string{`ABSR_REPLICA_GROUPS="region": expected off or instance`}},
		{"replica groups with the legacy API", map[string]string{"ABSR_REPLICA_GROUPS": "instance", "ABSR_API": "ecs"},
			[]string{`ABSR_REPLICA_GROUPS="instance": replica groups exist in the EBS 2021-07-30 API only; set ABSR_API=ebs`}},
		{"mapping file missing", map[string]string{"ABSR_MAPPING_FILE": missing},
			[]string{`ABSR_MAPPING_FILE=`, `: the file does not exist`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(env(tc.env), "")
			checkErrorContains(t, err, fmt.Sprintf("load(%v)", tc.env), tc.want)
		})
	}
}

func TestAllErrorsReported(t *testing.T) {
	_, err := load(env(map[string]string{
		"ABSR_DRY_RUN":     "perhaps",
		"ABSR_CONCURRENCY": "100",
		"ABSR_ROUTES":      "x=y",
		"ABSR_API":         "rest",
	}), "")
	if err == nil {
		t.Fatal("want an error")
	}
	for _, name := range []string{"ABSR_DRY_RUN", "ABSR_CONCURRENCY", "ABSR_ROUTES", "ABSR_API"} {
		if !strings.Contains(err.Error(), name+"=") {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 4 {
		t.Errorf("want one line per variable, got %d lines: %v", n, err)
	}
}

// Endpoint user info is a credential: the error must say what is wrong without repeating it.
func TestEndpointUserInfoNotEchoed(t *testing.T) {
	_, err := load(env(map[string]string{"ABSR_ECS_ENDPOINT": "https://AKID:s3cr3t@ecs.aliyuncs.com"}), "")
	if err == nil {
		t.Fatal("want an error for user info in the endpoint")
	}
	if !strings.Contains(err.Error(), "ABSR_ECS_ENDPOINT: the URL contains user info") {
		t.Errorf("error %q does not explain the problem", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "AKID") {
		t.Errorf("error %q repeats the credential", err)
	}
}

func TestLongValuesAreCut(t *testing.T) {
	long := strings.Repeat("x", 5000)
	_, err := load(env(map[string]string{"ABSR_ROUTES": long}), "")
	if err == nil {
		t.Fatal("want an error")
	}
	if len(err.Error()) > 400 {
		t.Errorf("error is %d bytes long; a long value must be cut", len(err.Error()))
	}
}

func TestSourceRegionsDefault(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{}, nil},
		{map[string]string{"ALIBABA_CLOUD_REGION_ID": "cn-beijing"}, []string{"cn-beijing"}},
		{map[string]string{"FC_REGION": "cn-hangzhou", "ALIBABA_CLOUD_REGION_ID": "cn-beijing"}, []string{"cn-hangzhou"}},
		{map[string]string{"FC_REGION": "cn-hangzhou", "ABSR_SOURCE_REGIONS": "ap-southeast-1, cn-shenzhen"}, []string{"ap-southeast-1", "cn-shenzhen"}},
	}
	for _, tc := range cases {
		c, err := load(env(tc.env), "")
		if err != nil {
			t.Fatalf("load(%v): %v", tc.env, err)
		}
		if !reflect.DeepEqual(c.SourceRegions, tc.want) {
			t.Errorf("load(%v).SourceRegions = %q, want %q", tc.env, c.SourceRegions, tc.want)
		}
	}
}

func TestRoutesPrecedence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mapping.yaml")
	writeFile(t, path, `routes:
  cn-hangzhou: {region: cn-shanghai, zone: cn-shanghai-b}
  cn-beijing:  {region: cn-shanghai}
pairs:
  d-bp1exampleprimary: {disk: d-uf6examplesecondary, region: cn-shanghai}
`)
	c, err := load(env(map[string]string{"ABSR_ROUTES": "cn-hangzhou=cn-wulanchabu,cn-shenzhen=cn-guangzhou"}), path)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	want := map[string]pairing.Route{
		"cn-hangzhou": {Region: "cn-wulanchabu"}, // ABSR_ROUTES wins, zone and all
		"cn-beijing":  {Region: "cn-shanghai"},   // only in the file
		"cn-shenzhen": {Region: "cn-guangzhou"},  // only in the environment
	}
	if !reflect.DeepEqual(c.Pairing.Routes, want) {
		t.Errorf("routes = %+v, want %+v", c.Pairing.Routes, want)
	}
	if got := c.Pairing.Pairs["d-bp1exampleprimary"]; got != (pairing.SecondaryRef{DiskID: "d-uf6examplesecondary", Region: "cn-shanghai"}) {
		t.Errorf("pair = %+v", got)
	}
	if c.MappingFile != path {
		t.Errorf("MappingFile = %q, want %q", c.MappingFile, path)
	}
}

func TestMappingFileSelection(t *testing.T) {
	dir := t.TempDir()
	beside := filepath.Join(dir, "mapping.yaml")
	explicit := filepath.Join(dir, "explicit.yaml")
	writeFile(t, beside, "routes:\n  cn-beijing: {region: cn-shanghai}\n")
	writeFile(t, explicit, "routes:\n  cn-shenzhen: {region: cn-hongkong}\n")

	c, err := load(env(nil), beside)
	if err != nil || c.MappingFile != beside || c.Pairing.Routes["cn-beijing"].Region != "cn-shanghai" {
		t.Errorf("default file beside the binary: MappingFile=%q routes=%v err=%v", c.MappingFile, c.Pairing.Routes, err)
	}
	c, err = load(env(map[string]string{"ABSR_MAPPING_FILE": explicit}), beside)
	if err != nil || c.MappingFile != explicit || len(c.Pairing.Routes) != 1 || c.Pairing.Routes["cn-shenzhen"].Region != "cn-hongkong" {
		t.Errorf("explicit file: MappingFile=%q routes=%v err=%v", c.MappingFile, c.Pairing.Routes, err)
	}
	c, err = load(env(nil), filepath.Join(dir, "absent", "mapping.yaml"))
	if err != nil || c.MappingFile != "" {
		t.Errorf("no default file: MappingFile=%q err=%v", c.MappingFile, err)
	}

	broken := filepath.Join(t.TempDir(), "mapping.yaml")
	writeFile(t, broken, "routes:\n  cn-beijing: {region: shanghai}\n")
	if _, err := load(env(nil), broken); err == nil || !strings.Contains(err.Error(), broken+":2: routes.cn-beijing.region:") {
		t.Errorf("a broken default file must be an error naming it, got %v", err)
	}
	if _, err := load(env(map[string]string{"ABSR_MAPPING_FILE": dir}), ""); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory as mapping file: got %v", err)
	}
}

func TestUnknownVariables(t *testing.T) {
	got := UnknownVariables([]string{"ABSR_DRY_RUN=1", "ABSR_DRYRUN=1", "PATH=/bin", "ABSR_ROUTE=x", "ABSR_ROUTES=y"})
	if want := []string{"ABSR_DRYRUN", "ABSR_ROUTE"}; !reflect.DeepEqual(got, want) {
		t.Errorf("UnknownVariables = %q, want %q", got, want)
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "TRUE": true, "1": true, "yes": true, "Yes": true,
		"false": false, "False": false, "0": false, "no": false, "NO": false} {
		got, err := parseBool(in)
		if err != nil || got != want {
			t.Errorf("parseBool(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "y", "n", "on", "off", "2", "tru", "yes!"} {
		if _, err := parseBool(in); err == nil {
			t.Errorf("parseBool(%q) succeeded", in)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// checkErrorContains fails the test unless call returned an error whose text holds every part of
// want.
func checkErrorContains(t *testing.T, err error, call string, want []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s succeeded; want an error", call)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\n does not contain %q", err, w)
		}
	}
}

func TestPrepayDefaultsToOneMonth(t *testing.T) {
	got, err := load(env(map[string]string{"ABSR_CHARGE_TYPE": "PREPAY"}), "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Pairing.Period != 1 {
		t.Fatalf("Period = %d, want 1 (month) for PREPAY without ABSR_PERIOD", got.Pairing.Period)
	}
	if err := got.Pairing.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownVariablesError(t *testing.T) {
	if err := UnknownVariablesError([]string{"ABSR_DRY_RUN=true", "PATH=/bin", "HOME=/root"}); err != nil {
		t.Errorf("known variables only: %v", err)
	}
	for _, tc := range []struct {
		environ  []string
		mentions []string
	}{
		{[]string{"ABSR_DRYRUN=true"}, []string{"ABSR_DRYRUN: unknown variable", "did you mean ABSR_DRY_RUN?"}},
		{[]string{"ABSR_ROUTE=cn-hangzhou=cn-shanghai"}, []string{"ABSR_ROUTE:", "did you mean ABSR_ROUTES?"}},
		{[]string{"ABSR_SOURCE_REGION=cn-hangzhou"}, []string{"did you mean ABSR_SOURCE_REGIONS?"}},
		{[]string{"ABSR_COLOUR=blue"}, []string{"ABSR_COLOUR: unknown variable", "known: ABSR_OPT_IN_TAG"}},
		{[]string{"ABSR_X=1", "ABSR_Y=2"}, []string{"ABSR_X:", "ABSR_Y:"}},
	} {
		err := UnknownVariablesError(tc.environ)
		if err == nil {
			t.Errorf("%q: no error", tc.environ)
			continue
		}
		for _, m := range tc.mentions {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("%q: error %q does not mention %q", tc.environ, err, m)
			}
		}
	}
}

// Issue 15 item 7: configuration that cannot work is refused at startup, without echoing secrets.
func TestConfigurationThatCannotWorkIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    []string
		secrets []string
	}{
		{"a rate no invocation finishes with", map[string]string{"ABSR_MAX_QPS": "0.000001"}, []string{"ABSR_MAX_QPS", "from 1"}, nil},
		{"just below the floor", map[string]string{"ABSR_MAX_QPS": "0.9"}, []string{"ABSR_MAX_QPS"}, nil},
		{"a same-region route without a zone", map[string]string{"ABSR_ROUTES": "cn-hangzhou=cn-hangzhou"}, []string{"ABSR_ROUTES", "zone"}, nil},
		{"an endpoint with a password that does not parse", map[string]string{"ABSR_EBS_ENDPOINT": "http://admin:p%zzw0rd@127.0.0.1:9080"}, []string{"ABSR_EBS_ENDPOINT"}, []string{"p%zzw0rd", "admin"}},
		{"an endpoint with a password and a space", map[string]string{"ABSR_ECS_ENDPOINT": "http://admin:pa ss@host :9080"}, []string{"ABSR_ECS_ENDPOINT"}, []string{"pa ss", "admin"}},
	} {
		_, err := load(env(tc.env), "")
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", tc.name, err, w)
			}
		}
		for _, s := range tc.secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q repeats %q", tc.name, err, s)
			}
		}
	}
	for _, ok := range []map[string]string{
		{"ABSR_MAX_QPS": "1"},
		{"ABSR_ROUTES": "cn-hangzhou=cn-hangzhou/cn-hangzhou-i"},
	} {
		if _, err := load(env(ok), ""); err != nil {
			t.Errorf("%v refused: %v", ok, err)
		}
	}
	m, err := parseMapping([]byte("routes:\n  cn-hangzhou: {region: cn-hangzhou}\n"), "mapping.yaml")
	if err == nil || !strings.Contains(err.Error(), "zone") {
		t.Errorf("mapping file, same-region route without a zone: %v %v", m, err)
	}
}

func TestReplicaGroupsInstance(t *testing.T) {
	got, err := load(env(map[string]string{"ABSR_REPLICA_GROUPS": " Instance "}), "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Pairing.ReplicaGroups != pairing.GroupsByInstance {
		t.Fatalf("ReplicaGroups = %q, want %q", got.Pairing.ReplicaGroups, pairing.GroupsByInstance)
	}
}
