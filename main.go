// Command absr-autopair pairs ECS disks for Asynchronous Block Storage Replication.
//
// With FC_RUNTIME_API set and no arguments it serves Function Compute invocations. Otherwise:
//
//	absr-autopair invoke -event FILE|- [-dry-run] [-emulator STATE.json]
//	absr-autopair emulator -state STATE.json [-addr 127.0.0.1:9080]
//	absr-autopair demo [-events DIR] [-state STATE.json]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/aliyun/fc-runtime-go-sdk/fc"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/cloud/alibaba"
	"github.com/absr-autopair/absr-autopair/internal/config"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/local"
)

// Exit codes of the command line.
const (
	exitOK     = 0
	exitFailed = 1 // some disk failed
	exitUsage  = 2 // bad flags, an undecodable payload or a bad configuration
)

const usage = `usage:
  absr-autopair                      serve Function Compute invocations (FC_RUNTIME_API set)
  absr-autopair invoke -event FILE|- [-dry-run] [-emulator STATE.json]
  absr-autopair emulator -state STATE.json [-addr 127.0.0.1:9080]
  absr-autopair demo [-events DIR] [-state STATE.json]
Configuration comes from ABSR_* environment variables (see README.md).
`

func main() {
	if len(os.Args) == 1 && os.Getenv("FC_RUNTIME_API") != "" {
		serveFC(os.Stderr) // never returns
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "invoke":
		return invoke(ctx, args[1:], stdin, stdout, stderr)
	case "emulator":
		return emulator.Command(ctx, args[1:], stdout, stderr)
	case "demo":
		return local.DemoCommand(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "unknown command %q\n%s", args[0], usage)
	return exitUsage
}

// serveFC runs the Function Compute runtime loop for the life of the process. Cold start is the
// time to the first poll, so the loop starts at once and the configuration is read beside it;
// invocations wait for it (a few hundred microseconds). A bad configuration ends the process
// with exit code 2 and one log line naming the problem.
//
// SIGTERM keeps its default action: FC sends it when it releases an idle instance, nothing is
// buffered (each invocation logs as it goes), and installing a handler costs cold start an OS
// thread for signal delivery.
func serveFC(stderr io.Writer) {
	var h *handler.Handler
	ready := make(chan struct{})
	go func() {
		log := slog.New(slog.NewJSONHandler(stderr, nil))
		cfg, err := config.FromEnv(os.LookupEnv)
		if err != nil {
			log.Error("bad configuration", "error", err.Error())
			os.Exit(exitUsage)
		}
		warnUnknown(log)
		// The pool lives as long as the process: nothing closes it.
		h, _, err = handler.Setup(cfg, alibaba.DefaultCredentials(), log, os.Getenv(config.EnvFCRegion))
		if err != nil {
			log.Error("cannot start", "error", err.Error())
			os.Exit(exitUsage)
		}
		close(ready)
	}()
	fc.Start(func(ctx context.Context, payload []byte) (*handler.Report, error) {
		<-ready
		return h.FC(ctx, payload)
	})
}

// invoke runs one invocation locally and prints the report.
func invoke(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	eventPath := fs.String("event", "", "the payload: a JSON file, or - for standard input")
	dryRun := fs.Bool("dry-run", false, "read everything, change nothing (same as ABSR_DRY_RUN=true)")
	statePath := fs.String("emulator", "", "run against the built-in emulator, seeded from this state file")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *eventPath == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, "invoke: -event FILE|- is required, and nothing else may follow the flags\n")
		return exitUsage
	}
	payload, err := readPayload(*eventPath, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "invoke: %v\n", err)
		return exitUsage
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	lookup := os.LookupEnv
	if *statePath != "" {
		// An emulated world comes with its own mapping file (events/demo-mapping.yaml).
		lookup = local.EmulatorLookup(*statePath, os.LookupEnv)
	}
	cfg, err := config.FromEnv(lookup)
	if err != nil {
		fmt.Fprintf(stderr, "invoke: bad configuration:\n%v\n", err)
		return exitUsage
	}
	cfg.Pairing.DryRun = cfg.Pairing.DryRun || *dryRun
	warnUnknown(log)

	var creds cloud.CredentialSource = alibaba.DefaultCredentials()
	if *statePath != "" {
		emu, emuCreds, err := local.StartEmulator(*statePath, &cfg)
		if err != nil {
			fmt.Fprintf(stderr, "invoke: %v\n", err)
			return exitUsage
		}
		defer emu.Close()
		creds = emuCreds
	}
	h, closePool, err := handler.Setup(cfg, creds, log, os.Getenv(config.EnvFCRegion))
	if err != nil {
		fmt.Fprintf(stderr, "invoke: %v\n", err)
		return exitUsage
	}
	defer closePool()

	report, err := h.Handle(ctx, handler.Invocation{RequestID: "local"}, payload)
	if errors.Is(err, handler.ErrPayload) {
		fmt.Fprintf(stderr, "invoke: %v\n", err)
		return exitUsage
	}
	if report != nil {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if werr := enc.Encode(report); werr != nil {
			fmt.Fprintf(stderr, "invoke: %v\n", werr)
			return exitFailed
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "invoke: %v\n", err)
		return exitFailed
	}
	if report.Summary.Failed > 0 {
		return exitFailed
	}
	return exitOK
}

func readPayload(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(io.LimitReader(stdin, 64<<20))
	}
	return os.ReadFile(path)
}

// warnUnknown logs ABSR_* variables that nothing reads: most likely typos of real ones.
func warnUnknown(log *slog.Logger) {
	if unknown := config.UnknownVariables(os.Environ()); len(unknown) > 0 {
		log.Warn("unknown ABSR_* variables are ignored", "variables", unknown, "known", config.Variables())
	}
}
