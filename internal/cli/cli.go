// Package cli is the absr-autopair command line: the subcommands (invoke, demo, status,
// emulator), their flags, output and exit codes, and Function Compute mode (ServeFC), the runtime
// loop the deployed function runs.
//
// It does not decide how the function is put together: package main builds a Deps (how to read
// the configuration, how to build the handler and its connection pool, where credentials come
// from) and calls Run or ServeFC with it.
//
// Adding a subcommand: write its run function in a file of its own (parse its flags with newFlags
// and parseFlags, so that -h prints its usage and exits 0) and add a row to commands.
package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/config"
)

// Exit codes of the command line.
const (
	ExitOK     = 0
	ExitFailed = 1 // some disk failed
	ExitUsage  = 2 // bad flags, an undecodable payload or a bad configuration
)

// Deps is what the commands are built from; package main, the composition root, supplies it.
type Deps struct {
	// LoadConfig reads the configuration through lookup and reports every problem at once.
	LoadConfig func(lookup func(string) (string, bool)) (config.Config, error)
	// NewHandler builds the Handler and the connection pool it uses; close releases the pool.
	// region is the function's region; when it is empty the first source region stands in.
	NewHandler func(cfg config.Config, creds cloud.CredentialSource, log *slog.Logger, region string) (h *handler.Handler, close func(), err error)
	// Credentials is the credential source of a real account (the default chain).
	Credentials func() cloud.CredentialSource
}

// Streams are a command's standard streams.
type Streams struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// command is one subcommand.
type command struct {
	name    string
	args    string // the synopsis after the name
	summary string
	run     func(ctx context.Context, deps Deps, args []string, std Streams) int
}

// commands is the table of subcommands (a function, so that commands can use it to print their
// own usage).
func commands() []command {
	return []command{
		{"invoke", "-event FILE|- [-dry-run] [-emulator STATE.json]",
			"run one invocation locally and print its report", runInvoke},
		{"demo", "[-events DIR] [-state STATE.json] [-log FILE]",
			"play every sample event against one emulated world", runDemo},
		{"status", "[-regions R1,R2] [-json] [-emulator STATE.json]",
			"read-only: every opted-in disk's pair, status, health and recovery point age; exit 0 only when all are protected and healthy", runStatus},
		{"emulator", "-state STATE.json [-addr 127.0.0.1:9080]",
			"serve the emulator on its own and print how to point the function at it", runEmulator},
	}
}

// Run runs the subcommand args[0] with the rest of args and returns the process's exit code:
// ExitOK, ExitFailed when some disk failed, ExitUsage for bad flags, an undecodable payload or a
// bad configuration. help, -h and --help print the usage on stdout.
func Run(ctx context.Context, deps Deps, args []string, std Streams) int {
	if len(args) == 0 {
		fmt.Fprint(std.Stderr, usage())
		return ExitUsage
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, deps, args[1:], std)
		}
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(std.Stdout, usage())
		return ExitOK
	}
	fmt.Fprintf(std.Stderr, "unknown command %q\n%s", args[0], usage())
	return ExitUsage
}

func usage() string {
	var b strings.Builder
	b.WriteString("usage:\n  absr-autopair                serve Function Compute invocations (FC_RUNTIME_API set)\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  absr-autopair %s %s\n      %s\n", c.name, c.args, c.summary)
	}
	b.WriteString("Configuration comes from ABSR_* environment variables (see README.md).\n" +
		"Exit status: 0 no disk failed, 1 some disk failed, 2 bad flags, payload or configuration.\n")
	return b.String()
}

// newFlags is the flag set of the named command, with the command's synopsis as its usage.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, c := range commands() {
		if c.name == name {
			fs.Usage = func() {
				fmt.Fprintf(fs.Output(), "usage: absr-autopair %s %s\n  %s\n", c.name, c.args, c.summary)
				fs.PrintDefaults()
			}
		}
	}
	return fs
}

// parseFlags parses args and allows no arguments after the flags. It returns -1 to go on, or the
// exit code: 0 after -h (the usage goes to stdout), 2 for anything else wrong.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) int {
	// The flag package prints its messages and the usage while parsing; hold them until it is
	// known whether they answer -h (stdout, exit 0) or report a mistake (stderr, exit 2).
	stderr := fs.Output()
	var held bytes.Buffer
	fs.SetOutput(&held)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	if errors.Is(err, flag.ErrHelp) {
		stdout.Write(held.Bytes()) //nolint:errcheck // nothing to do about a broken stdout
		return ExitOK
	}
	stderr.Write(held.Bytes()) //nolint:errcheck
	if err != nil {
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", fs.Name(), fs.Args())
		fs.Usage()
		return ExitUsage
	}
	return -1
}
