package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/config"
)

// runInvoke is `invoke`: one invocation on this machine. The report goes to stdout and nothing
// else does; JSON log lines go to stderr.
func runInvoke(ctx context.Context, deps Deps, args []string, std Streams) int {
	fs := newFlags("invoke", std.Stderr)
	eventPath := fs.String("event", "", "the payload: a JSON file, or - for standard input (required)")
	dryRun := fs.Bool("dry-run", false, "read everything, change nothing (same as ABSR_DRY_RUN=true)")
	statePath := fs.String("emulator", "", "run against the built-in emulator, seeded from this state file")
	if code := parseFlags(fs, args, std.Stdout); code >= 0 {
		return code
	}
	if *eventPath == "" {
		fmt.Fprint(std.Stderr, "invoke: -event FILE|- is required\n")
		fs.Usage()
		return ExitUsage
	}
	payload, err := readPayload(*eventPath, std.Stdin)
	if err != nil {
		fmt.Fprintf(std.Stderr, "invoke: %v\n", err)
		return ExitUsage
	}
	configure := func(cfg *config.Config) { cfg.Pairing.DryRun = cfg.Pairing.DryRun || *dryRun }
	h, closeAll, code := localHandler(deps, "invoke", *statePath, std.Stderr, configure,
		func(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) })
	if code >= 0 {
		return code
	}
	defer closeAll()

	// The handler has logged whatever went wrong: the error is not printed a second time.
	report, err := h.Handle(ctx, handler.Invocation{RequestID: "local"}, payload)
	if errors.Is(err, handler.ErrPayload) {
		return ExitUsage
	}
	if report != nil {
		enc := json.NewEncoder(std.Stdout)
		enc.SetIndent("", "  ")
		if werr := enc.Encode(report); werr != nil {
			fmt.Fprintf(std.Stderr, "invoke: %v\n", werr)
			return ExitFailed
		}
	}
	if err != nil || report.Summary.Failed > 0 {
		return ExitFailed
	}
	return ExitOK
}

// maxPayload caps what invoke reads, from a file as from standard input: FC itself accepts
// payloads of a few MiB only, and a larger one is a mistake (a wrong file), not an event.
const maxPayload = 64 << 20

var errTooLarge = fmt.Errorf("the payload is larger than %d MiB", maxPayload>>20)

func readPayload(path string, stdin io.Reader) ([]byte, error) {
	in := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		in = f
	}
	// A regular file (named, or redirected to standard input) too large is refused unread.
	if f, ok := in.(*os.File); ok {
		if info, err := f.Stat(); err == nil && info.Mode().IsRegular() && info.Size() > maxPayload {
			return nil, errTooLarge
		}
	}
	data, err := io.ReadAll(io.LimitReader(in, maxPayload+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxPayload {
		return nil, errTooLarge
	}
	return data, nil
}
