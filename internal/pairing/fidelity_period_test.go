package pairing_test

import "github.com/absr-autopair/absr-autopair/internal/pairing"

func setPeriod(o *pairing.Options, months int) { o.Period = months }
