package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/config"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/local"
)

// runEmulator is `emulator`: serve the emulator on its own until interrupted. The first line on
// stdout is its base URL (the real port for :0); stderr then shows the environment that points
// the function at it, so the next invoke in another shell works as it is. It returns 0 on a
// clean stop, 1 when stopping fails, 2 for bad flags, a bad state file or a busy address.
func runEmulator(ctx context.Context, _ Deps, args []string, std Streams) int {
	fs := newFlags("emulator", std.Stderr)
	statePath := fs.String("state", "", "emulator state file (JSON), required")
	addr := fs.String("addr", "127.0.0.1:9080", "listen address; port 0 picks a free port")
	if code := parseFlags(fs, args, std.Stdout); code >= 0 {
		return code
	}
	if *statePath == "" {
		fmt.Fprintln(std.Stderr, "emulator: -state is required")
		fs.Usage()
		return ExitUsage
	}
	st, err := emulator.LoadState(*statePath)
	if err != nil {
		fmt.Fprintf(std.Stderr, "emulator: %v\n", err)
		return ExitUsage
	}
	srv, err := emulator.New(st)
	if err != nil {
		fmt.Fprintf(std.Stderr, "emulator: %v\n", err)
		return ExitUsage
	}
	url, err := srv.Start(*addr)
	if err != nil {
		// The emulator's errors read "listen on ADDR: ..."; say once which command failed.
		fmt.Fprintf(std.Stderr, "emulator: %s\n", strings.TrimPrefix(err.Error(), "emulator: "))
		return ExitUsage
	}
	fmt.Fprintln(std.Stdout, url)
	printEmulatorEnv(std.Stderr, *statePath, st, srv, url)
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close() //nolint:errcheck // already failing; force the rest closed.
		fmt.Fprintf(std.Stderr, "emulator: stopping: %v\n", err)
		return ExitFailed
	}
	return ExitOK
}

// printEmulatorEnv writes the shell commands that point invoke at the emulator: its endpoints,
// the test credentials it accepts (from the state file, never real ones), the world's mapping
// file and the regions a sweep should cover.
func printEmulatorEnv(w io.Writer, statePath string, st *emulator.State, srv *emulator.Server, url string) {
	vars := [][2]string{{config.EnvECSEndpoint, url}, {config.EnvEBSEndpoint, url}}
	if creds := srv.Credentials(); len(creds) > 0 {
		c := creds[0]
		vars = append(vars, [2]string{"ALIBABA_CLOUD_ACCESS_KEY_ID", c.AccessKeyID},
			[2]string{"ALIBABA_CLOUD_ACCESS_KEY_SECRET", c.AccessKeySecret})
		if c.SecurityToken != "" {
			vars = append(vars, [2]string{"ALIBABA_CLOUD_SECURITY_TOKEN", c.SecurityToken})
		}
	}
	if mapping := local.CompanionMapping(statePath); mapping != "" {
		vars = append(vars, [2]string{config.EnvMappingFile, mapping})
	}
	if cfg, err := config.FromEnv(local.Lookup(statePath, os.LookupEnv)); err == nil {
		if regions := local.RoutedRegions(st, cfg); len(regions) > 0 {
			vars = append(vars, [2]string{config.EnvSourceRegions, strings.Join(regions, ",")})
		}
	}
	fmt.Fprintf(w, "emulator: serving %s at %s until interrupted (Ctrl-C).\n", statePath, url)
	fmt.Fprintf(w, "In another shell, from the project root, point the function at it:\n\n")
	for _, v := range vars {
		fmt.Fprintf(w, "export %s=%s\n", v[0], shellQuote(v[1]))
	}
	fmt.Fprintf(w, "\nthen, for example:\n\n  bin/absr-autopair invoke -event events/direct-request.json\n\n")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:,=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
