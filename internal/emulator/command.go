package emulator

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"
)

// Command is the `emulator` subcommand: `emulator -state FILE [-addr 127.0.0.1:9080]` (args
// exclude the word "emulator"). It prints the base URL on stdout (the real port for :0), serves
// until ctx is cancelled, and returns 0 on a clean stop, 1 when serving fails, 2 for bad flags or
// a bad state file.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	statePath := fs.String("state", "", "emulator state file (JSON), required")
	addr := fs.String("addr", "127.0.0.1:9080", "listen address; port 0 picks a free port")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: emulator -state STATE.json [-addr 127.0.0.1:9080]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "emulator: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return 2
	}
	if *statePath == "" {
		fmt.Fprintln(stderr, "emulator: -state is required")
		fs.Usage()
		return 2
	}
	st, err := LoadState(*statePath)
	if err != nil {
		fmt.Fprintf(stderr, "emulator: %v\n", err)
		return 2
	}
	srv, err := New(st)
	if err != nil {
		fmt.Fprintf(stderr, "emulator: %v\n", err)
		return 2
	}
	url, err := srv.Start(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "emulator: %v\n", err)
		return 2
	}
	fmt.Fprintln(stdout, url)
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.shutdown(shutdownCtx); err != nil {
		srv.Close() //nolint:errcheck // already failing; force the rest closed.
		fmt.Fprintf(stderr, "emulator: stopping: %v\n", err)
		return 1
	}
	return 0
}
