package config

import (
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// renderRoutes writes routes back in ABSR_ROUTES form.
func renderRoutes(routes map[string]pairing.Route) string {
	var items []string
	for src, r := range routes {
		item := src + "=" + r.Region
		if r.Zone != "" {
			item += "/" + r.Zone
		}
		items = append(items, item)
	}
	sort.Strings(items)
	return strings.Join(items, ",")
}

func FuzzParseRoutes(f *testing.F) {
	for _, s := range []string{
		"cn-hangzhou=cn-shanghai/cn-shanghai-b,cn-beijing=cn-shanghai",
		"cn-hangzhou=cn-shanghai",
		" cn-hangzhou = cn-shanghai / cn-shanghai-b ",
		"cn-hangzhou=cn-shanghai,,",
		"cn-hangzhou=cn-shanghai/cn-beijing-a",
		"a=b=c",
		"=/",
		"ap-southeast-1=ap-southeast-5/ap-southeast-5a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		routes, msgs := parseEnvRoutes(s)
		for src, r := range routes {
			if checkRegion(src) != "" || checkRegion(r.Region) != "" {
				t.Fatalf("parseEnvRoutes(%q) accepted a malformed region: %q -> %+v", s, src, r)
			}
			if r.Zone != "" && checkZone(r.Zone, r.Region) != "" {
				t.Fatalf("parseEnvRoutes(%q) accepted a malformed zone: %+v", s, r)
			}
		}
		if len(msgs) > 0 {
			return
		}
		if len(routes) == 0 {
			t.Fatalf("parseEnvRoutes(%q) returned no routes and no error", s)
		}
		again, msgs := parseEnvRoutes(renderRoutes(routes))
		if len(msgs) > 0 || renderRoutes(again) != renderRoutes(routes) {
			t.Fatalf("round trip of %q: %v %v", s, again, msgs)
		}
	})
}

func FuzzParseBool(f *testing.F) {
	for _, s := range []string{"true", "FALSE", "1", "0", "yes", "No", "", "on", " true "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := parseBool(s)
		norm := strings.ToLower(strings.TrimSpace(s))
		truthy := norm == "true" || norm == "1" || norm == "yes"
		falsy := norm == "false" || norm == "0" || norm == "no"
		switch {
		case err == nil && !(truthy || falsy):
			t.Fatalf("parseBool(%q) accepted it as %v", s, b)
		case err != nil && (truthy || falsy):
			t.Fatalf("parseBool(%q): %v", s, err)
		case err == nil && b != truthy:
			t.Fatalf("parseBool(%q) = %v", s, b)
		}
	})
}

// FuzzFromEnv drives the whole reader with arbitrary values for the variables whose parsing is
// not trivial, and checks the invariants of any configuration it accepts.
func FuzzFromEnv(f *testing.F) {
	f.Add("cn-hangzhou=cn-shanghai/cn-shanghai-b", "dr=enabled", "true", "8", "10", "absr-{diskId}", "http://127.0.0.1:9080", "PREPAY", "20480")
	f.Add("", "", "", "", "", "", "", "", "")
	f.Add("x", "aliyun=1", "maybe", "0", "NaN", "{x}", "ftp://h", "month", "1")
	f.Add("cn-hangzhou=cn-shanghai", "k==v", "NO", "64", "0.001", "{diskName}{diskId}", "https://u:p@h", "postpay", "102400")
	f.Fuzz(func(t *testing.T, routes, optIn, dryRun, concurrency, qps, pairName, endpoint, chargeType, bandwidth string) {
		vars := map[string]string{
			EnvRoutes: routes, EnvOptInTag: optIn, EnvDryRun: dryRun, EnvConcurrency: concurrency,
			EnvMaxQPS: qps, EnvPairName: pairName, EnvECSEndpoint: endpoint, EnvChargeType: chargeType,
			EnvBandwidth: bandwidth,
		}
		c, err := load(env(vars), "")
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "configuration: ") {
				t.Fatalf("error without its prefix: %q", msg)
			}
			if !utf8.ValidString(msg) && utf8.ValidString(strings.Join([]string{routes, optIn, dryRun, concurrency, qps, pairName, endpoint, chargeType, bandwidth}, "")) {
				t.Fatalf("error is not valid UTF-8: %q", msg)
			}
			// Values are cut: no long input appears whole in the message.
			for name, v := range vars {
				if len(strings.TrimSpace(v)) > 200 && strings.Contains(msg, strings.TrimSpace(v)) {
					t.Fatalf("error repeats the whole %d-byte value of %s", len(v), name)
				}
			}
			return
		}
		p := c.Pairing
		if checkTagKey(p.OptInKey) != "" || checkTagValue(p.OptInValue) != "" {
			t.Fatalf("accepted opt-in tag %q=%q", p.OptInKey, p.OptInValue)
		}
		if p.Concurrency < 1 || p.Concurrency > MaxConcurrency {
			t.Fatalf("accepted concurrency %d", p.Concurrency)
		}
		if !(c.MaxQPS > 0 && c.MaxQPS <= MaxMaxQPS) {
			t.Fatalf("accepted max QPS %v", c.MaxQPS)
		}
		if checkPairNameTemplate(p.PairNameTemplate) != "" {
			t.Fatalf("accepted pair name template %q", p.PairNameTemplate)
		}
		if p.ChargeType != "POSTPAY" && p.ChargeType != "PREPAY" {
			t.Fatalf("accepted charge type %q", p.ChargeType)
		}
		if p.Bandwidth != 0 && (p.ChargeType != "PREPAY" || !slices.Contains(allowedBandwidths, p.Bandwidth)) {
			t.Fatalf("accepted bandwidth %d with %s", p.Bandwidth, p.ChargeType)
		}
		if c.ECSEndpoint != "" {
			u, err := url.Parse(c.ECSEndpoint)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
				t.Fatalf("accepted endpoint %q", c.ECSEndpoint)
			}
		}
		for src, r := range p.Routes {
			if checkRegion(src) != "" || checkRegion(r.Region) != "" {
				t.Fatalf("accepted route %q -> %+v", src, r)
			}
		}
	})
}

func FuzzParseMapping(f *testing.F) {
	for _, s := range []string{
		"routes:\n  cn-hangzhou: {region: cn-shanghai, zone: cn-shanghai-b}\n  cn-beijing:  {region: cn-shanghai}\npairs:\n  d-bp1exampleprimary: {disk: d-uf6examplesecondary, region: cn-shanghai}\n",
		"",
		"routes:\n  cn-hangzhou: &a {region: cn-shanghai}\n  cn-beijing: *a\n",
		"pairs:\n  d-a: {disk: d-b, region: cn-shanghai}\n  d-b: {disk: d-a, region: cn-hangzhou}\n",
		"routes: [1, 2]\n",
		"---\n---\n",
		"{<<: {routes: {}}}",
		"routes:\n  ? {a: b}\n  : x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseMapping(data, "fuzz.yaml")
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml") {
					t.Fatalf("error line does not name the file: %q", line)
				}
			}
			return
		}
		secondaries := map[string]bool{}
		for primary, ref := range m.Pairs {
			if checkDiskID(primary) != "" || checkDiskID(ref.DiskID) != "" || checkRegion(ref.Region) != "" {
				t.Fatalf("accepted pair %q -> %+v", primary, ref)
			}
			if secondaries[ref.DiskID] || primary == ref.DiskID {
				t.Fatalf("accepted a disk in two pairs: %q -> %+v", primary, ref)
			}
			secondaries[ref.DiskID] = true
		}
		for s := range secondaries {
			if _, ok := m.Pairs[s]; ok {
				t.Fatalf("accepted %q as both primary and secondary", s)
			}
		}
		for src, r := range m.Routes {
			if checkRegion(src) != "" || checkRegion(r.Region) != "" || (r.Zone != "" && checkZone(r.Zone, r.Region) != "") {
				t.Fatalf("accepted route %q -> %+v", src, r)
			}
		}
	})
}
