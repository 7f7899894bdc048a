package pairing

import (
	"regexp"
	"slices"
	"testing"
)

// placeholderSpec is what placeholders implements without compiling a regular expression at init.
var placeholderSpec = regexp.MustCompile(`\{[^{}]*\}`)

var templateCases = []string{
	"", "absr-{diskId}", "{diskId}-{diskName}", "{}", "{{diskId}}", "{{x}", "{x}}", "}{", "{a{b}c}",
	"no braces", "{unclosed", "closed}", "{a}{b}{c}", "x{ y }z", "{é}",
}

func TestPlaceholdersMatchTheirSpecification(t *testing.T) {
	for _, s := range templateCases {
		if got, want := placeholders(s), placeholderSpec.FindAllString(s, -1); !slices.Equal(got, want) {
			t.Errorf("placeholders(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzPlaceholders(f *testing.F) {
	for _, s := range templateCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := placeholders(s), placeholderSpec.FindAllString(s, -1); !slices.Equal(got, want) {
			t.Errorf("placeholders(%q) = %q, want %q", s, got, want)
		}
	})
}
