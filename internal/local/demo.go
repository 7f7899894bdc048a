package local

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/config"
)

// Files in the events directory that are not payloads.
var notPayloads = []string{"demo-state.json"}

// DemoCommand is `absr-autopair demo`: every sample payload in the events directory, in name
// order, against one emulated world seeded from the demo state, so later samples see what
// earlier ones did. It prints what happened to each disk and the pairs that exist at the end.
func DemoCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("events", "events", "directory of sample payloads (*.json)")
	statePath := fs.String("state", "", "emulator state (default: demo-state.json in the events directory)")
	logPath := fs.String("log", "", "write the function's JSON log lines to this file (default: discard)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return 2
	}
	if *statePath == "" {
		*statePath = filepath.Join(*dir, "demo-state.json")
	}
	// The world's own mapping file unless the operator chose one.
	lookup := EmulatorLookup(*statePath, os.LookupEnv)
	cfg, err := config.FromEnv(lookup)
	if err != nil {
		fmt.Fprintf(stderr, "demo: bad configuration:\n%v\n", err)
		return 2
	}
	files, err := filepath.Glob(filepath.Join(*dir, "*.json"))
	if err != nil || len(files) == 0 {
		fmt.Fprintf(stderr, "demo: no sample payloads in %s\n", *dir)
		return 2
	}
	files = slices.DeleteFunc(files, func(f string) bool { return slices.Contains(notPayloads, filepath.Base(f)) })

	emu, creds, err := StartEmulator(*statePath, &cfg)
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 2
	}
	defer emu.Close()
	logOut := io.Discard
	if *logPath != "" {
		f, err := os.Create(*logPath)
		if err != nil {
			fmt.Fprintf(stderr, "demo: %v\n", err)
			return 2
		}
		defer f.Close()
		logOut = f
	}
	h, closePool, err := handler.Setup(cfg, creds, slog.New(slog.NewJSONHandler(logOut, nil)), "")
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 2
	}
	defer closePool()

	fmt.Fprintf(stdout, "absr-autopair demo: %d sample events against the emulator at %s (world: %s)\n\n", len(files), emu.URL(), *statePath)
	failed := 0
	for i, file := range files {
		payload, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(stderr, "demo: %v\n", err)
			return 2
		}
		report, err := h.Handle(ctx, handler.Invocation{RequestID: fmt.Sprintf("demo-%02d", i+1)}, payload)
		fmt.Fprintf(stdout, "== %s\n", filepath.Base(file))
		if report == nil {
			fmt.Fprintf(stdout, "   not accepted: %v\n\n", err)
			failed++
			continue
		}
		printReport(stdout, report)
		failed += report.Summary.Failed
	}

	st := emu.Snapshot()
	fmt.Fprintf(stdout, "Replica pairs in the emulated world at the end:\n")
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, p := range st.Pairs {
		fmt.Fprintf(tw, "   %s\t%s (%s)\t-> %s (%s)\t%s\n", p.ReplicaPairID, p.SourceDiskID, p.SourceRegionID, p.DestinationDiskID, p.DestinationRegionID, p.Status)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "\nAPI calls answered by the emulator: %d; failed disks: %d\n", emu.Calls().Total(), failed)
	return 0
}

func printReport(w io.Writer, r *handler.Report) {
	ev := r.Event
	fmt.Fprintf(w, "   event %s %s %s\n", ev.Source, ev.Type, ev.Name)
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
