package cli

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
func runStatus(ctx context.Context, deps Deps, args []string, std Streams) int {
	var regions []string // none: the handler's default
	fs := newFlags("status", std.Stderr)
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
	if code := parseFlags(fs, args, std.Stdout); code >= 0 {
		return code
	}
	// The per-disk log lines would repeat the table: only errors go to stderr.
	quiet := func(w io.Writer) *slog.Logger {
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelError}))
	}
	h, closeAll, code := localHandler(deps, "status", *statePath, std.Stderr, nil, quiet)
	if code >= 0 {
		return code
	}
	defer closeAll()

	report, err := h.Status(ctx, regions)
	if *asJSON {
		enc := json.NewEncoder(std.Stdout)
		enc.SetIndent("", "  ")
		if werr := enc.Encode(report); werr != nil {
			fmt.Fprintf(std.Stderr, "status: %v\n", werr)
			return ExitFailed
		}
	} else if werr := status.WriteTable(std.Stdout, report.Results); werr != nil {
		fmt.Fprintf(std.Stderr, "status: %v\n", werr)
		return ExitFailed
	}
	if err != nil {
		fmt.Fprintf(std.Stderr, "status: %v\n", err)
		return ExitFailed
	}
	if !status.Summarize(report.Results).OK() {
		return ExitFailed
	}
	return ExitOK
}
