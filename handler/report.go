package handler

import "github.com/absr-autopair/absr-autopair/internal/pairing"

// Report is the function's response, and what `invoke` prints.
type Report struct {
	Event   EventInfo        `json:"event"`
	DryRun  bool             `json:"dryRun"`
	Results []pairing.Result `json:"results"`
	Summary Summary          `json:"summary"`
	// Ignored lists the events of the payload that could not concern an opted-in disk, and why.
	Ignored []IgnoredEvent `json:"ignored,omitempty"`
}

// EventInfo identifies the event that caused the invocation.
type EventInfo struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	Type   string `json:"type"`
	Name   string `json:"name"`
}

// IgnoredEvent is an event that was recognised and deliberately not acted on.
type IgnoredEvent struct {
	Event  EventInfo `json:"event"`
	Reason string    `json:"reason"`
}

// Summary counts results by outcome, and the disks with a pair by its health.
type Summary struct {
	Paired        int `json:"paired"`
	Planned       int `json:"planned"`
	AlreadyPaired int `json:"already_paired"`
	Skipped       int `json:"skipped"`
	Failed        int `json:"failed"`
	Healthy       int `json:"healthy"`
	Lagging       int `json:"lagging"`
	Unhealthy     int `json:"unhealthy"`
}

func summarize(results []pairing.Result) Summary {
	var s Summary
	for _, r := range results {
		switch r.Outcome {
		case pairing.Paired:
			s.Paired++
		case pairing.Planned:
			s.Planned++
		case pairing.AlreadyPaired:
			s.AlreadyPaired++
		case pairing.Skipped:
			s.Skipped++
		case pairing.Failed:
			s.Failed++
		}
		switch r.Health {
		case pairing.HealthOK:
			s.Healthy++
		case pairing.HealthLagging:
			s.Lagging++
		case pairing.HealthUnhealthy:
			s.Unhealthy++
		}
	}
	return s
}

// Retryable counts the results that failed in a way a later delivery may fix.
func (r *Report) Retryable() int {
	n := 0
	for _, res := range r.Results {
		if res.Outcome == pairing.Failed && res.Retryable {
			n++
		}
	}
	return n
}
