package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 15 item 7: invoke -event FILE is capped like standard input.
func TestInvokeEventFileIsCapped(t *testing.T) {
	t.Parallel()
	big := filepath.Join(t.TempDir(), "huge.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(64<<20 + 1); err != nil { // sparse: no disk space used
		t.Fatal(err)
	}
	f.Close()
	for _, args := range [][]string{{"invoke", "-event", big}, {"invoke", "-event", "-"}} {
		stdin := ""
		if args[2] == "-" {
			stdin = strings.Repeat(" ", 64<<20+1)
		}
		run := cliExec(t, nil, stdin, append(args, "-emulator", filepath.Join("events", "demo-state.json"))...)
		if run.code != ExitUsage || !strings.Contains(string(run.stderr), "larger than 64 MiB") {
			t.Errorf("%v: exit %d, stderr %.300s; want a usage error naming the cap", args, run.code, run.stderr)
		}
	}
}
