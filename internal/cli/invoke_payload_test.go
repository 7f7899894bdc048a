package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 15 item 7: invoke -event FILE is capped like standard input. A regular file, named or
// redirected to standard input, is refused before it is read; a stream with no size (here the
// endless /dev/zero) once one byte past the cap has come.
func TestInvokeEventFileIsCapped(t *testing.T) {
	t.Parallel()
	big := filepath.Join(t.TempDir(), "huge.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(maxPayload + 1); err != nil { // sparse: no disk space used
		t.Fatal(err)
	}
	f.Close()
	for _, tc := range []struct{ name, event, stdin string }{
		{"named file", big, ""},
		{"file as standard input", "-", big},
		{"endless standard input", "-", "/dev/zero"}, // skipped where there is none
	} {
		cmd := exec.Command(binary, "invoke", "-event", tc.event, "-emulator", filepath.Join("events", "demo-state.json"))
		cmd.Dir, cmd.Env = root, cleanEnv(nil)
		if tc.stdin != "" {
			in, err := os.Open(tc.stdin)
			if err != nil {
				t.Skipf("%s: %v", tc.name, err)
			}
			defer in.Close()
			cmd.Stdin = in // the child reads the file itself
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != ExitUsage || !strings.Contains(stderr.String(), "larger than 64 MiB") {
			t.Errorf("%s: %v, stderr %.300s; want exit %d and a usage error naming the cap", tc.name, err, stderr.String(), ExitUsage)
		}
	}
}
