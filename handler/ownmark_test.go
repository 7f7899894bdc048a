package handler

import (
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/intake"
)

func TestOwnMark(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		target intake.Target
		want   bool
	}{
		{"only the pair mark", intake.Target{DiskIDs: []string{"d-1"}, TagHint: map[string]string{"dr:replica-pair": "pair-1"}}, true},
		{"the attempt raised after a refusal", intake.Target{DiskIDs: []string{"d-1"}, TagHint: map[string]string{"dr:attempt": "2"}}, true},
		{"mark and opt-in", intake.Target{DiskIDs: []string{"d-1"}, TagHint: map[string]string{"dr:replica-pair": "pair-1", "dr": "enabled"}}, false},
		{"opt-in", intake.Target{DiskIDs: []string{"d-1"}, TagHint: map[string]string{"dr": "enabled"}}, false},
		{"no tags (creation)", intake.Target{DiskIDs: []string{"d-1"}}, false},
		{"instances", intake.Target{InstanceIDs: []string{"i-1"}, TagHint: map[string]string{"dr:replica-pair": "x"}}, false},
	} {
		if got := ownMark(tc.target); got != tc.want {
			t.Errorf("%s: ownMark = %v, want %v", tc.name, got, tc.want)
		}
	}
}
