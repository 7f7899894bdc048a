package pairing_test

import (
	"strings"

	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

func setPeriod(o *pairing.Options, months int) { o.Period = months }

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
