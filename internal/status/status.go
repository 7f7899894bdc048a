// Package status turns the protection report of the opted-in disks (handler.Status) into what
// the `status` command shows a person: one state per disk, problems first, an aligned table and a
// one-line summary, and the command's exit code.
package status

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// State is one opted-in disk's protection, from worst to best.
type State string

const (
	Unhealthy   State = "unhealthy"   // its pair stopped or failed: an operator is needed
	Lagging     State = "lagging"     // its pair replicates, but the newest recovery point is too old
	Unprotected State = "unprotected" // no started pair: not paired yet, cannot be, or could not be read
	Protected   State = "protected"   // a started pair that keeps up
)

// rank orders states for the table: problems first.
var rank = map[State]int{Unhealthy: 0, Lagging: 1, Unprotected: 2, Protected: 3}

// Of is the state of one disk's result. A pair that exists but was never started protects
// nothing yet: unprotected, as is every disk without a pair.
func Of(r pairing.Result) State {
	switch {
	case r.Health == pairing.HealthUnhealthy:
		return Unhealthy
	case r.Health == pairing.HealthLagging:
		return Lagging
	case r.Health == pairing.HealthOK && r.Started:
		return Protected
	}
	return Unprotected
}

// Summary counts the disks by state.
type Summary struct {
	OptedIn, Protected, Lagging, Unhealthy, Unprotected int
}

// Summarize counts results by state.
func Summarize(results []pairing.Result) Summary {
	s := Summary{OptedIn: len(results)}
	for _, r := range results {
		switch Of(r) {
		case Protected:
			s.Protected++
		case Lagging:
			s.Lagging++
		case Unhealthy:
			s.Unhealthy++
		default:
			s.Unprotected++
		}
	}
	return s
}

// OK tells whether every opted-in disk is protected and healthy.
func (s Summary) OK() bool { return s.Protected == s.OptedIn }

// String is the summary line.
func (s Summary) String() string {
	return fmt.Sprintf("%d opted in, %d protected and healthy, %d lagging, %d unhealthy, %d unprotected",
		s.OptedIn, s.Protected, s.Lagging, s.Unhealthy, s.Unprotected)
}

// Sorted returns results ordered problems first (unhealthy, lagging, unprotected, protected),
// then by region and disk ID.
func Sorted(results []pairing.Result) []pairing.Result {
	out := slices.Clone(results)
	slices.SortStableFunc(out, func(a, b pairing.Result) int {
		return cmp.Or(cmp.Compare(rank[Of(a)], rank[Of(b)]), strings.Compare(a.RegionID, b.RegionID), strings.Compare(a.DiskID, b.DiskID))
	})
	return out
}

// WriteTable writes the results as an aligned table, problems first, then the summary line.
func WriteTable(w io.Writer, results []pairing.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE\tDISK\tREGION\tPAIR\tSECONDARY\tPAIR STATUS\tHEALTH\tRECOVERY POINT AGE\tGROUP\tNOTE")
	for _, r := range Sorted(results) {
		secondary := "-"
		if r.SecondaryDiskID != "" {
			secondary = r.SecondaryDiskID + " (" + r.SecondaryRegionID + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", Of(r), r.DiskID, r.RegionID, dash(r.ReplicaPairID),
			secondary, dash(r.PairStatus), dash(string(r.Health)), Age(r.RecoveryPointAgeSeconds), dash(r.ReplicaGroupID), note(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, Summarize(results))
	return err
}

// Age renders a recovery point age: "-" when there is none, else the largest two units.
func Age(seconds *int64) string {
	if seconds == nil {
		return "-"
	}
	d := time.Duration(*seconds) * time.Second
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", *seconds)
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", d/time.Minute, d%time.Minute/time.Second)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", d/time.Hour, d%time.Hour/time.Minute)
	}
	return fmt.Sprintf("%dd%02dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}

// note is what a person needs to act on the disk: the pair's StatusMessage, or why it has no
// started pair (the reason and what a sweep would do).
func note(r pairing.Result) string {
	switch Of(r) {
	case Protected:
		return "-"
	case Unhealthy:
		what := r.PairStatus
		if r.StatusMessage != "" {
			what += " (" + r.StatusMessage + ")"
		}
		return what + ": needs an operator, see README \"Pair health\""
	case Lagging:
		return "recovery point older than ABSR_MAX_RECOVERY_POINT_AGE"
	}
	if r.Reason != "" {
		return r.Reason + ": " + r.Message
	}
	return string(r.Outcome) + ": " + r.Message
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
