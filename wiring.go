package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/cloud/alibaba"
	"github.com/absr-autopair/absr-autopair/internal/config"
	"github.com/absr-autopair/absr-autopair/internal/local"
)

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

// localHandler builds the Handler of a command run on this machine (invoke, status): the
// configuration from the environment, or from the emulator's state file when statePath is set
// (then the emulator runs in-process and its credentials are used; else the default chain's),
// adjusted by configure when it is not nil. The log is made from the final configuration. It
// returns a close function, or the exit code after reporting on stderr what was wrong.
func localHandler(name, statePath string, stderr io.Writer, configure func(*config.Config), newLog func(io.Writer) *slog.Logger) (*handler.Handler, func(), int) {
	cfg, err := loadConfig(local.Lookup(statePath, os.LookupEnv))
	if err != nil {
		fmt.Fprintf(stderr, "%s: bad configuration:\n%v\n", name, err)
		return nil, nil, exitUsage
	}
	if configure != nil {
		configure(&cfg)
	}
	var creds cloud.CredentialSource = alibaba.DefaultCredentials()
	closeEmu := func() {}
	if statePath != "" {
		emu, emuCreds, err := local.StartEmulator(statePath, &cfg)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return nil, nil, exitUsage
		}
		closeEmu, creds = func() { emu.Close() }, emuCreds
	}
	h, closePool, err := newHandler(cfg, creds, newLog(stderr), os.Getenv(config.EnvFCRegion))
	if err != nil {
		closeEmu()
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return nil, nil, exitUsage
	}
	return h, func() { closePool(); closeEmu() }, -1
}
