package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/local"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
	"github.com/absr-autopair/absr-autopair/internal/status"
)

// Files in the events directory that are not payloads.
var notPayloads = []string{"demo-state.json"}

// runDemo is `demo`: every sample payload in the events directory, in name order, against one
// emulated world seeded from the demo state, so later samples see what earlier ones did. It
// prints what happened to each disk, which sample created a pair a later sample finds, and the
// pairs that exist at the end.
func runDemo(ctx context.Context, deps Deps, args []string, std Streams) int {
	fs := newFlags("demo", std.Stderr)
	dir := fs.String("events", "events", "directory of sample payloads (*.json)")
	statePath := fs.String("state", "", "emulator state (default: demo-state.json in the events directory)")
	logPath := fs.String("log", "", "write the function's JSON log lines to this file (default: discard)")
	if code := parseFlags(fs, args, std.Stdout); code >= 0 {
		return code
	}
	if *statePath == "" {
		*statePath = filepath.Join(*dir, "demo-state.json")
	}
	files, err := filepath.Glob(filepath.Join(*dir, "*.json"))
	if err == nil {
		files = slices.DeleteFunc(files, func(f string) bool { return slices.Contains(notPayloads, filepath.Base(f)) })
	}
	if err != nil || len(files) == 0 {
		fmt.Fprintf(std.Stderr, "demo: no sample payloads in %s\n", *dir)
		return ExitUsage
	}
	// The world's own mapping file unless the operator chose one.
	cfg, err := deps.LoadConfig(local.Lookup(*statePath, os.LookupEnv))
	if err != nil {
		fmt.Fprintf(std.Stderr, "demo: bad configuration:\n%v\n", err)
		return ExitUsage
	}
	emu, creds, err := local.StartEmulator(*statePath, &cfg)
	if err != nil {
		fmt.Fprintf(std.Stderr, "demo: %v\n", err)
		return ExitUsage
	}
	defer emu.Close()
	logOut := io.Discard
	if *logPath != "" {
		f, err := os.Create(*logPath)
		if err != nil {
			fmt.Fprintf(std.Stderr, "demo: %v\n", err)
			return ExitUsage
		}
		defer f.Close()
		logOut = f
	}
	h, closePool, err := deps.NewHandler(cfg, creds, slog.New(slog.NewJSONHandler(logOut, nil)), "")
	if err != nil {
		fmt.Fprintf(std.Stderr, "demo: %v\n", err)
		return ExitUsage
	}
	defer closePool()

	out := std.Stdout
	fmt.Fprintf(out, "absr-autopair demo: %d sample events, in name order, against one emulated world (%s)\n", len(files), *statePath)
	fmt.Fprintf(out, "Later samples see the pairs earlier ones created.\n\n")
	progress := newProgress(std.Stderr)
	createdBy := map[string]string{} // replica pair ID -> the sample that created it
	failed := 0
	for i, file := range files {
		name := filepath.Base(file)
		progress("demo: %d/%d %s", i+1, len(files), name)
		payload, err := os.ReadFile(file)
		if err != nil {
			progress("")
			fmt.Fprintf(std.Stderr, "demo: %v\n", err)
			return ExitUsage
		}
		report, err := h.Handle(ctx, handler.Invocation{RequestID: fmt.Sprintf("demo-%02d", i+1)}, payload)
		progress("")
		fmt.Fprintf(out, "== %s\n", name)
		if report == nil {
			fmt.Fprintf(out, "   not accepted: %v\n\n", err)
			failed++
			continue
		}
		printReport(out, report, createdBy)
		for _, r := range report.Results {
			if r.Outcome == pairing.Paired && r.ReplicaPairID != "" {
				createdBy[r.ReplicaPairID] = name
			}
		}
		failed += report.Summary.Failed
	}

	st := emu.Snapshot()
	fmt.Fprintf(out, "Replica pairs in the emulated world at the end:\n")
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, p := range st.Pairs {
		origin := "in the demo world from the start"
		if by, ok := createdBy[p.ReplicaPairID]; ok {
			origin = "created by " + by
		}
		fmt.Fprintf(tw, "   %s\t%s (%s)\t-> %s (%s)\t%s\t%s\n", p.ReplicaPairID, p.SourceDiskID, p.SourceRegionID,
			p.DestinationDiskID, p.DestinationRegionID, p.Status, origin)
	}
	tw.Flush()
	fmt.Fprintf(out, "\nAPI calls answered by the emulator: %d; failed disks: %d\n", emu.Calls().Total(), failed)
	return ExitOK
}

// printReport prints one sample's report; createdBy names the sample that created each pair
// so far, so that an already_paired disk says why.
func printReport(w io.Writer, r *handler.Report, createdBy map[string]string) {
	ev := r.Event
	fmt.Fprintf(w, "   event %s\n", strings.Join(slices.DeleteFunc([]string{ev.Source, ev.Type, ev.Name}, func(s string) bool { return s == "" }), " "))
	for _, ig := range r.Ignored {
		fmt.Fprintf(w, "   ignored %s: %s\n", ig.Event.ID, ig.Reason)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, res := range r.Results {
		what := string(res.Outcome)
		if res.Reason != "" {
			what += " (" + res.Reason + ")"
		}
		detail := res.Message
		if res.ReplicaPairID != "" {
			detail = fmt.Sprintf("%s -> %s in %s", res.ReplicaPairID, res.SecondaryDiskID, res.SecondaryRegionID)
			if res.Health != "" && res.Health != pairing.HealthOK {
				why := res.PairStatus
				if res.StatusMessage != "" {
					why += " " + res.StatusMessage
				}
				if res.RecoveryPointAgeSeconds != nil {
					why += ", recovery point " + status.Age(res.RecoveryPointAgeSeconds) + " old"
				}
				detail += fmt.Sprintf("  %s (%s)", res.Health, why)
			}
			if by, ok := createdBy[res.ReplicaPairID]; ok && res.Outcome == pairing.AlreadyPaired {
				detail += " (paired by " + by + ")"
			}
		}
		id := res.DiskID
		if id == "" {
			id = res.InstanceID
		}
		fmt.Fprintf(tw, "   %s\t%s\t%s\t%s\n", id, res.RegionID, what, strings.TrimSpace(detail))
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// newProgress returns a function that shows one line of progress on stderr, replacing the last,
// when stderr is a terminal, and does nothing in logs and pipes. An empty format clears it.
func newProgress(stderr io.Writer) func(format string, args ...any) {
	f, ok := stderr.(*os.File)
	if !ok {
		return func(string, ...any) {}
	}
	if info, err := f.Stat(); err != nil || info.Mode()&os.ModeCharDevice == 0 {
		return func(string, ...any) {}
	}
	return func(format string, args ...any) {
		fmt.Fprintf(f, "\r\033[K"+format, args...)
	}
}
