// Command absr-autopair pairs ECS disks for Asynchronous Block Storage Replication.
//
// With FC_RUNTIME_API set and no arguments it serves Function Compute invocations. Otherwise it
// runs a subcommand (`absr-autopair help`); the command line is package internal/cli.
//
// This package is the composition root: it says how the configuration is read and how the
// cloud connection pool, the credentials and the handler are built, and hands that to the
// command line.
package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/cli"
	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/cloud/alibaba"
	"github.com/absr-autopair/absr-autopair/internal/config"
)

func main() {
	deps := cli.Deps{LoadConfig: loadConfig, NewHandler: newHandler, Credentials: alibaba.DefaultCredentials}
	if len(os.Args) == 1 && os.Getenv("FC_RUNTIME_API") != "" {
		cli.ServeFC(deps, os.Stderr) // never returns
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := cli.Run(ctx, deps, os.Args[1:], cli.Streams{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}

// loadConfig reads the configuration through lookup and checks the process environment for
// ABSR_* variables that nothing reads; every problem is reported at once.
func loadConfig(lookup func(string) (string, bool)) (config.Config, error) {
	cfg, err := config.FromEnv(lookup)
	if uerr := config.UnknownVariablesError(os.Environ()); uerr != nil {
		if err == nil {
			return config.Config{}, uerr
		}
		err = errors.Join(err, uerr)
	}
	return cfg, err
}

// newHandler builds the Handler and the process-wide connection pool it uses; close releases
// the pool. region is the function's region (FC_REGION); when it is empty the first source
// region stands in for it.
func newHandler(cfg config.Config, creds cloud.CredentialSource, log *slog.Logger, region string) (h *handler.Handler, close func(), err error) {
	opts := alibaba.DefaultOptions()
	opts.API = cfg.API
	opts.ECSEndpoint = cfg.ECSEndpoint
	opts.EBSEndpoint = cfg.EBSEndpoint
	opts.MaxQPS = cfg.MaxQPS
	pool, err := alibaba.NewPool(opts)
	if err != nil {
		return nil, nil, err
	}
	if region == "" && len(cfg.SourceRegions) > 0 {
		region = cfg.SourceRegions[0]
	}
	return handler.New(cfg, pool, creds, log, region), pool.Close, nil
}
