package pairing_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

func TestPairName(t *testing.T) {
	long := strings.Repeat("x", 200)
	for _, tc := range []struct {
		template, diskID, diskName, want string
	}{
		{"absr-{diskId}", "d-bp1abc", "data", "absr-d-bp1abc"},
		{"{diskName}", "d-bp1abc", "web data/01", "web-data-01"},
		{"{diskName}", "d-bp1abc", "", "d-bp1abc"},                      // no name: the ID
		{"{diskId}", "d-bp1abc", "", "d-bp1abc"},                        // starts with a letter already
		{"{diskName}", "d-1", "9lives", "absr-9lives"},                  // must start with a letter
		{"{diskName}", "d-1", "_x", "absr-_x"},                          //
		{"{diskName}", "d-1", "a", "absr-a"},                            // at least 2 characters
		{"", "d-1", "", "absr-"},                                        // empty template (New defaults it)
		{"pair:{diskName}.v1", "d-1", "ok_name-1", "pair:ok_name-1.v1"}, // : _ - . kept
		{"{diskName}", "d-1", "https://evil", "https:--evil"},           // no http(s):// prefix survives
		{"{diskName}", "d-1", "数据盘 1", "数据盘-1"},                         // Chinese letters allowed
		{"{diskName}", "d-1", "ünïcode", "absr--n-code"},                // other letters are not
		{"{diskName}", "d-1", long, long[:128]},                         // at most 128
		{"{diskName}", "d-1", "1" + long, "absr-1" + long[:122]},        // prefix, then cut
	} {
		got := pairing.PairName(tc.template, cloud.Disk{ID: tc.diskID, Name: tc.diskName})
		if got != tc.want {
			t.Errorf("PairName(%q, %q/%q) = %q, want %q", tc.template, tc.diskID, tc.diskName, got, tc.want)
		}
		if n := utf8.RuneCountInString(got); n < 2 || n > 128 {
			t.Errorf("%q: %d characters", got, n)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(o *pairing.Options)
		want   string // "" = valid
	}{
		{"defaults", func(o *pairing.Options) {}, ""},
		{"zero options get defaults", func(o *pairing.Options) { *o = pairing.Options{} }, ""},
		{"prepay with bandwidth", func(o *pairing.Options) { o.ChargeType, o.Bandwidth = "prepay", 10240 }, ""},
		{"postpay with bandwidth", func(o *pairing.Options) { o.Bandwidth = 10240 }, "Bandwidth"},
		{"charge type", func(o *pairing.Options) { o.ChargeType = "monthly" }, "ChargeType"},
		{"opt-in value missing", func(o *pairing.Options) { o.OptInValue = "" }, "OptInValue"},
		{"route to itself", func(o *pairing.Options) { o.Routes = map[string]pairing.Route{src: {Region: src}} }, "Routes[cn-hangzhou]"},
		{"route without region", func(o *pairing.Options) { o.Routes = map[string]pairing.Route{src: {}} }, "Routes[cn-hangzhou]"},
		{"pair without disk", func(o *pairing.Options) { o.Pairs = map[string]pairing.SecondaryRef{"d-1": {}} }, "Pairs[d-1]"},
		{"pair with itself", func(o *pairing.Options) {
			o.Pairs = map[string]pairing.SecondaryRef{"d-1": {DiskID: "d-1"}}
		}, "Pairs[d-1]"},
		{"template placeholder", func(o *pairing.Options) { o.PairNameTemplate = "absr-{diskID}" }, "{diskID}"},
		{"concurrency", func(o *pairing.Options) { o.Concurrency = 1000 }, "Concurrency"},
		{"negative wait", func(o *pairing.Options) { o.DiskWait = -1 }, "DiskWait"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := pairing.DefaultOptions()
			tc.modify(&o)
			err := o.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	o := pairing.New(nil, pairing.Options{Start: true}).Options()
	if o.OptInKey != "dr" || o.OptInValue != "enabled" || o.PairNameTemplate != "absr-{diskId}" ||
		o.ChargeType != "POSTPAY" || o.RPO != 900 || o.Concurrency != 8 || !o.Start || o.MarkPrimary ||
		o.DiskWait != pairing.DefaultDiskWait {
		t.Errorf("normalized options %+v", o)
	}
	d := pairing.DefaultOptions()
	if !d.Start || !d.MarkPrimary || d.DryRun || d.AutoCreateSecondary {
		t.Errorf("DefaultOptions %+v", d)
	}
}
