package emulator

import "golang.org/x/time/rate"

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
		l := s.buckets[bk]
		if l == nil {
			l = newBucket(f.QPSPerAction)
			s.buckets[bk] = l
		}
		if !l.AllowN(s.now(), 1) { // the emulator clock, so that Advance refills buckets too
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

// newBucket is one action's and region's flow control: a token bucket refilled at qps tokens a
// second, starting full, with a burst equal to the rate (whole tokens, at least one).
func newBucket(qps float64) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(qps), max(int(qps), 1))
}
