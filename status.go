package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/absr-autopair/absr-autopair/internal/status"
)

// runStatus is `status`: read-only, every opted-in disk of the regions with its protection, as
// the table of internal/status (or the report JSON with -json). Exit 0 when every opted-in disk
// is protected and healthy, 1 otherwise, 2 for bad flags or configuration. The regions default
// to ABSR_SOURCE_REGIONS, else FC_REGION.
func runStatus(ctx context.Context, args []string, std streams) int {
	var regions []string // none: the handler's default
	fs := newFlags("status", std.stderr)
	fs.Func("regions", "comma-separated regions to report (default: ABSR_SOURCE_REGIONS, else FC_REGION)", func(list string) error {
		regions = regions[:0]
		for r := range strings.SplitSeq(list, ",") {
			if r = strings.TrimSpace(r); r != "" {
				regions = append(regions, r)
			}
		}
		return nil
	})
	asJSON := fs.Bool("json", false, "print the report JSON instead of the table")
	statePath := fs.String("emulator", "", "report on the built-in emulator, seeded from this state file")
	if code := parseFlags(fs, args, std.stdout); code >= 0 {
		return code
	}
	// The per-disk log lines would repeat the table: only errors go to stderr.
	quiet := func(w io.Writer) *slog.Logger {
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelError}))
	}
	h, closeAll, code := localHandler("status", *statePath, std.stderr, nil, quiet)
	if code >= 0 {
		return code
	}
	defer closeAll()

	report, err := h.Status(ctx, regions)
	if *asJSON {
		enc := json.NewEncoder(std.stdout)
		enc.SetIndent("", "  ")
		if werr := enc.Encode(report); werr != nil {
			fmt.Fprintf(std.stderr, "status: %v\n", werr)
			return exitFailed
		}
	} else if werr := status.WriteTable(std.stdout, report.Results); werr != nil {
		fmt.Fprintf(std.stderr, "status: %v\n", werr)
		return exitFailed
	}
	if err != nil {
		fmt.Fprintf(std.stderr, "status: %v\n", err)
		return exitFailed
	}
	if !status.Summarize(report.Results).OK() {
		return exitFailed
	}
	return exitOK
}
