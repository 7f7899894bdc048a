package handler_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCases plays every fixture of testdata/cases: each is a small emulated world, a payload
// file of testdata/payloads and, per delivery, the report, the error, the emulator calls and the
// world that must result. See e2eCase for the format.
func TestCases(t *testing.T) {
	for _, file := range e2eCaseFiles(t) {
		c := e2eLoadCase(t, file)
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			t.Log(c.Doc)
			e2eRunCase(t, c)
		})
	}
}
