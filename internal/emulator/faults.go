package emulator

import "time"

// faultDraw is what the fault phase decided for one request.
type faultDraw struct {
	err   *apiError // answer this instead of running the action
	reset bool      // drop the connection before the action
	lost  bool      // run the action, then drop the connection
}

// drawFaults applies flow control (qpsPerAction) and the injected faults, in that order. It draws
// from the seeded generator a fixed number of times per request so runs repeat. Callers hold s.mu.
func (s *Server) drawFaults(key, region string) faultDraw {
	f := s.faults
	var d faultDraw
	if f.QPSPerAction > 0 {
		bk := key + "\x00" + region
		now := s.now()
		b := s.buckets[bk]
		if b == nil {
			b = &bucket{tokens: burst(f.QPSPerAction), last: now}
			s.buckets[bk] = b
		}
		if !b.take(now, f.QPSPerAction) {
			d.err = throttled("")
		}
	}
	throttle := s.roll(f.ThrottlePercent)
	unavail := s.roll(f.UnavailablePercent)
	reset := s.roll(f.ResetPercent)
	lost := s.roll(f.LostResponsePercent)
	switch {
	case d.err != nil:
	case throttle:
		d.err = throttled(f.ThrottleCode)
	case unavail:
		d.err = unavailable()
	case reset:
		d.reset = true
	case lost:
		d.lost = true
	}
	return d
}

// roll draws once and reports a hit with probability percent/100.
func (s *Server) roll(percent float64) bool {
	x := s.faultRNG.Float64() * 100
	return percent > 0 && x < percent
}

// bucket is a token bucket refilled at rate tokens per second, holding at most burst(rate).
type bucket struct {
	tokens float64
	last   time.Time
}

func burst(rate float64) float64 { return max(rate, 1) }

func (b *bucket) take(now time.Time, rate float64) bool {
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(burst(rate), b.tokens+el*rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}
