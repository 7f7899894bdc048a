package config

import (
	"regexp"
	"testing"
)

// The shapes the ID checks accept, as regular expressions: the specification the hand-written
// matchers are held to (the matchers exist because compiling these at init slowed cold start).
var (
	regionSpec = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)
	diskIDSpec = regexp.MustCompile(`^d-[a-z0-9]+$`)
)

var shapeCases = []string{
	"", "-", "--", "cn", "cn-", "-cn", "c-hangzhou", "cn-hangzhou", "cn-hangzhou-", "cn--hangzhou",
	"cn-hangzhou-b", "ap-southeast-1", "ap-southeast-1a", "us-east-1", "CN-hangzhou", "cn-Hangzhou",
	"cn_hangzhou", "cn-hang zhou", "cn1-hangzhou", "abc-1-2-3", "cn-hangzhou\n", "cn-hangzhou-é",
	"d-", "d", "d-1", "d-bp1exampledisk", "d-BP1", "d-bp1-x", "dd-bp1", " d-bp1", "d-bp1\x00",
}

func TestIDShapesMatchTheirSpecification(t *testing.T) {
	for _, s := range shapeCases {
		if got, want := isRegionShape(s), regionSpec.MatchString(s); got != want {
			t.Errorf("isRegionShape(%q) = %v, want %v", s, got, want)
		}
		if got, want := isDiskIDShape(s), diskIDSpec.MatchString(s); got != want {
			t.Errorf("isDiskIDShape(%q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzIDShapes(f *testing.F) {
	for _, s := range shapeCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isRegionShape(s), regionSpec.MatchString(s); got != want {
			t.Errorf("isRegionShape(%q) = %v, want %v", s, got, want)
		}
		if got, want := isDiskIDShape(s), diskIDSpec.MatchString(s); got != want {
			t.Errorf("isDiskIDShape(%q) = %v, want %v", s, got, want)
		}
	})
}
