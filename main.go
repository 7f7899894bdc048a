// Command absr-autopair pairs ECS disks for Asynchronous Block Storage Replication.
//
// With FC_RUNTIME_API set and no arguments it serves Function Compute invocations. Otherwise it
// runs one of the subcommands listed in the commands table below (`absr-autopair help`).
//
// This package is the composition root: it reads the configuration, builds the cloud
// connection pool and the handler, and owns every flag and exit code of the command line.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes of the command line.
const (
	exitOK     = 0
	exitFailed = 1 // some disk failed
	exitUsage  = 2 // bad flags, an undecodable payload or a bad configuration
)

// streams are a command's standard streams.
type streams struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// command is one subcommand. Adding one: write its run function (parse its flags with
// newFlags and parseFlags, so -h prints its usage and exits 0) and add a row here.
type command struct {
	name    string
	args    string // the synopsis after the name
	summary string
	run     func(ctx context.Context, args []string, std streams) int
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

func main() {
	if len(os.Args) == 1 && os.Getenv("FC_RUNTIME_API") != "" {
		serveFC(os.Stderr) // never returns
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := run(ctx, os.Args[1:], streams{os.Stdin, os.Stdout, os.Stderr})
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, std streams) int {
	if len(args) == 0 {
		fmt.Fprint(std.stderr, usage())
		return exitUsage
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], std)
		}
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(std.stdout, usage())
		return exitOK
	}
	fmt.Fprintf(std.stderr, "unknown command %q\n%s", args[0], usage())
	return exitUsage
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
		return exitOK
	}
	stderr.Write(held.Bytes()) //nolint:errcheck
	if err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", fs.Name(), fs.Args())
		fs.Usage()
		return exitUsage
	}
	return -1
}
