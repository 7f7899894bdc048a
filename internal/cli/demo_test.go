package cli

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// TestDemo is `absr-autopair demo` (make demo): every sample against one world; exit 0 and every demo disk named.
func TestDemo(t *testing.T) {
	t.Parallel()
	run := cliExec(t, nil, "", "demo")
	if run.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", run.code, run.stdout, run.stderr)
	}
	for _, d := range []diskWant{mapped, tagged, discover, already, entry, optout, sys, data, fresh, nosec} {
		if !bytes.Contains(run.stdout, []byte(d.id)) {
			t.Errorf("the demo does not mention %s:\n%s", d.id, run.stdout)
		}
	}
	if !bytes.Contains(run.stdout, []byte("failed disks: 0")) {
		t.Errorf("the demo reports failures:\n%s", run.stdout)
	}
	for line := range strings.SplitSeq(string(run.stdout), "\n") {
		if strings.TrimRight(line, " ") != line {
			t.Errorf("trailing blank: %q", line)
		}
	}
	// A later sample finding a pair an earlier one made says which one made it.
	if !regexp.MustCompile(`(?m)^   d-bp1demo0008data .*already_paired .*\(paired by actiontrail-runinstances\.json\)$`).Match(run.stdout) {
		t.Errorf("console-create-instance's already_paired disk does not say which sample paired it:\n%s", run.stdout)
	}
	if len(run.stderr) != 0 {
		t.Errorf("stderr is not a terminal, so no progress: %q", run.stderr)
	}
}
