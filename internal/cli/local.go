package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/config"
	"github.com/absr-autopair/absr-autopair/internal/local"
)

// localHandler builds the Handler of a command run on this machine (invoke, status): the
// configuration from the environment, or from the emulator's state file when statePath is set
// (then the emulator runs in-process and its credentials are used; else deps.Credentials'),
// adjusted by configure when it is not nil. The log is made from the final configuration. It
// returns a close function, or the exit code after reporting on stderr what was wrong.
func localHandler(deps Deps, name, statePath string, stderr io.Writer, configure func(*config.Config), newLog func(io.Writer) *slog.Logger) (*handler.Handler, func(), int) {
	cfg, err := deps.LoadConfig(local.Lookup(statePath, os.LookupEnv))
	if err != nil {
		fmt.Fprintf(stderr, "%s: bad configuration:\n%v\n", name, err)
		return nil, nil, ExitUsage
	}
	if configure != nil {
		configure(&cfg)
	}
	creds := deps.Credentials()
	closeEmu := func() {}
	if statePath != "" {
		emu, emuCreds, err := local.StartEmulator(statePath, &cfg)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return nil, nil, ExitUsage
		}
		closeEmu, creds = func() { emu.Close() }, emuCreds
	}
	h, closePool, err := deps.NewHandler(cfg, creds, newLog(stderr), os.Getenv(config.EnvFCRegion))
	if err != nil {
		closeEmu()
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return nil, nil, ExitUsage
	}
	return h, func() { closePool(); closeEmu() }, -1
}
