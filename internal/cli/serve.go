package cli

import (
	"context"
	"io"
	"log/slog"
	"os"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/config"
	"github.com/absr-autopair/absr-autopair/internal/fcruntime"
)

// ServeFC runs the Function Compute runtime loop for the life of the process. Cold start is the
// time to the first poll, so the loop starts at once and the configuration is read beside it;
// invocations wait for it (a few hundred microseconds). A bad configuration, including an
// ABSR_* variable nothing reads, ends the process with exit code 2 and one log line naming the
// problem. The mapping file is mapping.yaml beside the binary unless ABSR_MAPPING_FILE says.
//
// SIGTERM keeps its default action: FC sends it when it releases an idle instance, nothing is
// buffered (each invocation logs as it goes), and installing a handler costs cold start an OS
// thread for signal delivery.
//
// It never returns: when the loop ends, so does the process.
func ServeFC(deps Deps, stderr io.Writer) {
	var h *handler.Handler
	ready := make(chan struct{})
	go func() {
		log := slog.New(slog.NewJSONHandler(stderr, nil))
		cfg, err := deps.LoadConfig(os.LookupEnv)
		if err != nil {
			log.Error("bad configuration", "error", err.Error())
			os.Exit(ExitUsage)
		}
		// The pool lives as long as the process: nothing closes it.
		h, _, err = deps.NewHandler(cfg, deps.Credentials(), log, os.Getenv(config.EnvFCRegion))
		if err != nil {
			log.Error("cannot start", "error", err.Error())
			os.Exit(ExitUsage)
		}
		close(ready)
	}()
	// fcruntime, not fc.Start: the SDK's loop spins on a failing poll and drops an invocation
	// without a deadline header (internal/fcruntime says why it cannot be wrapped).
	err := fcruntime.Serve(context.Background(), fcruntime.Options{API: os.Getenv("FC_RUNTIME_API")},
		func(ctx context.Context, payload []byte) (any, error) {
			<-ready
			return h.FC(ctx, payload)
		})
	slog.New(slog.NewJSONHandler(stderr, nil)).Error("the runtime loop ended", "error", err.Error())
	os.Exit(1)
}
