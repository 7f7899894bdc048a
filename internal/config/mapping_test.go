package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

func TestParseMappingDesignExample(t *testing.T) {
	data := []byte(`routes:                      # default destination per source region (ABSR_ROUTES wins on conflict)
  cn-hangzhou: {region: cn-shanghai, zone: cn-shanghai-b}
  cn-beijing:  {region: cn-shanghai}
pairs:                       # explicit primary -> secondary
  d-bp1exampleprimary: {disk: d-uf6examplesecondary, region: cn-shanghai}
`)
	got, err := parseMapping(data, "mapping.yaml")
	if err != nil {
		t.Fatalf("parseMapping: %v", err)
	}
	want := Mapping{
		Routes: map[string]pairing.Route{
			"cn-hangzhou": {Region: "cn-shanghai", Zone: "cn-shanghai-b"},
			"cn-beijing":  {Region: "cn-shanghai"},
		},
		Pairs: map[string]pairing.SecondaryRef{
			"d-bp1exampleprimary": {DiskID: "d-uf6examplesecondary", Region: "cn-shanghai"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestParseMappingValid(t *testing.T) {
	cases := []struct {
		name, data string
		routes     int
		pairs      int
	}{
		{"empty", "", 0, 0},
		{"comments only", "# nothing yet\n", 0, 0},
		{"null document", "~\n", 0, 0},
		{"empty sections", "routes:\npairs:\n", 0, 0},
		{"block style", "routes:\n  cn-hangzhou:\n    region: cn-shanghai\n    zone: cn-shanghai-b\n", 1, 0},
		{"quoted", "pairs:\n  \"d-bp1a\": {disk: 'd-uf6b', region: \"cn-shanghai\"}\n", 0, 1},
		{"anchors", "routes:\n  cn-hangzhou: &sh {region: cn-shanghai}\n  cn-beijing: *sh\n", 2, 0},
		{"zone without dash", "routes:\n  cn-hangzhou: {region: ap-southeast-1, zone: ap-southeast-1a}\n", 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := parseMapping([]byte(tc.data), "m.yaml")
			if err != nil {
				t.Fatalf("parseMapping: %v", err)
			}
			if len(m.Routes) != tc.routes || len(m.Pairs) != tc.pairs {
				t.Errorf("got %d routes and %d pairs, want %d and %d", len(m.Routes), len(m.Pairs), tc.routes, tc.pairs)
			}
		})
	}
}

func TestParseMappingMalformed(t *testing.T) {
	cases := []struct {
		name, data string
		want       []string
	}{
		{"unknown top-level key", "route:\n  cn-hangzhou: {region: cn-shanghai}\n",
			[]string{`m.yaml:1: route: unknown key (expected routes or pairs)`}},
		{"misspelt zone", "routes:\n  cn-hangzhou:\n    region: cn-shanghai\n    zonee: cn-shanghai-b\n",
			[]string{`m.yaml:4: routes.cn-hangzhou.zonee: unknown key (expected region or zone)`}},
		{"route region missing", "routes:\n  cn-hangzhou: {zone: cn-shanghai-b}\n",
			[]string{`m.yaml:2: routes.cn-hangzhou: region is missing (the destination region)`}},
		{"route bad region", "routes:\n  cn-hangzhou: {region: Shanghai}\n",
			[]string{`m.yaml:2: routes.cn-hangzhou.region: "Shanghai" is not a region ID`}},
		{"route bad source", "routes:\n  hangzhou: {region: cn-shanghai}\n",
			[]string{`m.yaml:2: routes.hangzhou: source region: "hangzhou" is not a region ID`}},
		{"route zone elsewhere", "routes:\n  cn-hangzhou: {region: cn-shanghai, zone: cn-beijing-a}\n",
			[]string{`m.yaml:2: routes.cn-hangzhou.zone: zone "cn-beijing-a" is not in region "cn-shanghai"`}},
		{"route as string", "routes:\n  cn-hangzhou: cn-shanghai\n",
			[]string{`m.yaml:2: routes.cn-hangzhou: expected a mapping like {region: cn-shanghai, zone: cn-shanghai-b}, found the value "cn-shanghai"`}},
		{"routes as list", "routes:\n  - cn-hangzhou\n",
			[]string{`m.yaml:2: routes: expected a mapping of source region to {region, zone}, found a list`}},
		{"region as list", "routes:\n  cn-hangzhou: {region: [cn-shanghai]}\n",
			[]string{`m.yaml:2: routes.cn-hangzhou.region: expected a string, found a list`}},
		{"region null", "routes:\n  cn-hangzhou: {region: }\n",
			[]string{`routes.cn-hangzhou.region: expected a string, found nothing`}},
		{"duplicate source", "routes:\n  cn-hangzhou: {region: cn-shanghai}\n  cn-hangzhou: {region: cn-beijing}\n",
			[]string{`m.yaml:3: routes.cn-hangzhou: given twice (first at line 2)`}},
		{"bad primary id", "pairs:\n  disk-1: {disk: d-uf6b, region: cn-shanghai}\n",
			[]string{`m.yaml:2: pairs.disk-1: primary disk: "disk-1" is not a disk ID`}},
		{"bad secondary id", "pairs:\n  d-bp1a: {disk: D-UF6B, region: cn-shanghai}\n",
			[]string{`m.yaml:2: pairs.d-bp1a.disk: "D-UF6B" is not a disk ID`}},
		{"pair disk missing", "pairs:\n  d-bp1a: {region: cn-shanghai}\n",
			[]string{`m.yaml:2: pairs.d-bp1a: disk is missing (the secondary disk ID)`}},
		{"pair region missing", "pairs:\n  d-bp1a: {disk: d-uf6b}\n",
			[]string{`m.yaml:2: pairs.d-bp1a: region is missing (the secondary disk's region)`}},
		{"pair unknown field", "pairs:\n  d-bp1a: {disk: d-uf6b, region: cn-shanghai, zone: cn-shanghai-b}\n",
			[]string{`m.yaml:2: pairs.d-bp1a.zone: unknown key (expected disk or region)`}},
		{"pair with itself", "pairs:\n  d-bp1a: {disk: d-bp1a, region: cn-shanghai}\n",
			[]string{`m.yaml:2: pairs.d-bp1a.disk: the secondary is the primary disk itself`}},
		{"secondary twice", "pairs:\n  d-bp1a: {disk: d-uf6s, region: cn-shanghai}\n  d-bp1b: {disk: d-uf6s, region: cn-shanghai}\n",
			[]string{`m.yaml:3: pairs.d-bp1b.disk: secondary d-uf6s is already the secondary of d-bp1a (one pair per disk)`}},
		{"secondary is a primary", "pairs:\n  d-bp1a: {disk: d-uf6s, region: cn-shanghai}\n  d-uf6s: {disk: d-bp1z, region: cn-hangzhou}\n",
			[]string{`m.yaml:2: pairs.d-bp1a.disk: secondary d-uf6s is also listed as a primary (one pair per disk)`}},
		{"pairs as scalar", "pairs: d-bp1a\n",
			[]string{`m.yaml:1: pairs: expected a mapping of primary disk ID to {disk, region}, found the value "d-bp1a"`}},
		{"top-level list", "- routes\n",
			[]string{`m.yaml:1: expected a mapping with the keys routes and pairs, found a list`}},
		{"top-level scalar", "hello\n",
			[]string{`m.yaml:1: expected a mapping with the keys routes and pairs, found the value "hello"`}},
		{"syntax error", "routes:\n  cn-hangzhou: {region: cn-shanghai\n",
			[]string{`m.yaml:2: did not find expected ',' or '}'`}},
		{"unclosed list mid-file", "# comment\nroutes:\n  cn-hangzhou: [a, b\n  cn-beijing: {region: cn-shanghai}\n",
			[]string{`m.yaml:3: did not find expected ',' or ']'`}},
		{"tab indentation", "routes:\n\tcn-hangzhou: {region: cn-shanghai}\n",
			[]string{`m.yaml:2: a tab character: YAML indents with spaces only`}},
		{"tab after spaces", "routes:\n  cn-hangzhou: {region: cn-shanghai}\npairs:\n  \td-bp1a: {disk: d-uf6b, region: cn-shanghai}\n",
			[]string{`m.yaml:4: a tab character: YAML indents with spaces only`}},
		{"bad token without a tab", "routes:\n  cn-hangzhou: @x\n",
			[]string{`m.yaml:2: found character that cannot start any token`}},
		{"two documents", "routes: {}\n---\npairs: {}\n",
			[]string{`m.yaml:2: a second YAML document; the mapping file holds one`}},
		{"merge key", "base: &b {region: cn-shanghai}\n",
			[]string{`m.yaml:1: base: unknown key`}},
		{"merge key in route", "routes:\n  cn-hangzhou: {<<: {region: cn-shanghai}}\n",
			[]string{`m.yaml:2: routes.cn-hangzhou.<<: merge keys are not supported`}},
		{"key is a list", "routes:\n  ? [cn-hangzhou]\n  : {region: cn-shanghai}\n",
			[]string{`m.yaml:2: routes: a key is a list, expected a string`}},
		{"several problems", "routes:\n  cn-hangzhou: {region: x}\npairs:\n  d-bp1a: {disk: y, region: cn-shanghai}\nextra: 1\n",
			[]string{`m.yaml:2: routes.cn-hangzhou.region:`, `m.yaml:4: pairs.d-bp1a.disk:`, `m.yaml:5: extra: unknown key`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseMapping([]byte(tc.data), "m.yaml")
			checkErrorContains(t, err, fmt.Sprintf("parseMapping(%q)", tc.data), tc.want)
		})
	}
}

func TestMappingSizeLimit(t *testing.T) {
	big := []byte("# " + strings.Repeat("x", MaxMappingFileSize) + "\n")
	if _, err := parseMapping(big, "big.yaml"); err == nil || !strings.Contains(err.Error(), "big.yaml: larger than 1048576 bytes") {
		t.Errorf("parseMapping of %d bytes: %v", len(big), err)
	}
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, big, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadMapping(path); err == nil || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
		t.Errorf("loadMapping of %d bytes: %v", len(big), err)
	}
}

// The demo mapping shipped in events/ must stay valid.
func TestDemoMapping(t *testing.T) {
	m, err := loadMapping(filepath.Join("..", "..", "events", "demo-mapping.yaml"))
	if err != nil {
		t.Fatalf("events/demo-mapping.yaml: %v", err)
	}
	if got := m.Routes["cn-hangzhou"]; got != (pairing.Route{Region: "cn-shanghai", Zone: "cn-shanghai-b"}) {
		t.Errorf("route cn-hangzhou = %+v", got)
	}
	if got := m.Pairs["d-bp1demo0001mapped"]; got != (pairing.SecondaryRef{DiskID: "d-uf6demo0001sec", Region: "cn-shanghai"}) {
		t.Errorf("pair d-bp1demo0001mapped = %+v", got)
	}
}
