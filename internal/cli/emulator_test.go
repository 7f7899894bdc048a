package cli

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestEmulatorCommand: `emulator` prints its URL on stdout and, on stderr, the exports that make
// the next invoke work; an invoke in that environment pairs disks; an interrupt stops it cleanly.
func TestEmulatorCommand(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binary, "emulator", "-state", filepath.Join("events", "demo-state.json"), "-addr", "127.0.0.1:0")
	cmd.Dir = root
	cmd.Env = cleanEnv(nil)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck // the normal path stops it first
	url, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL: %v; stderr:\n%s", err, stderr.String())
	}
	url = strings.TrimSpace(url)
	if !strings.HasPrefix(url, "http://127.0.0.1:") || strings.HasSuffix(url, ":0") {
		t.Fatalf("printed %q", url)
	}
	// The exports follow the URL on stderr; wait for the last line of the advice.
	var env map[string]string
	for range 100 {
		if env = exportsIn(stderr.String()); env["ABSR_SOURCE_REGIONS"] != "" && strings.Contains(stderr.String(), "invoke -event") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, name := range []string{"ABSR_ECS_ENDPOINT", "ABSR_EBS_ENDPOINT", "ALIBABA_CLOUD_ACCESS_KEY_ID",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN", "ABSR_MAPPING_FILE", "ABSR_SOURCE_REGIONS"} {
		if env[name] == "" {
			t.Errorf("stderr exports no %s:\n%s", name, stderr.String())
		}
	}
	if env["ABSR_ECS_ENDPOINT"] != url {
		t.Errorf("ABSR_ECS_ENDPOINT=%s, want %s", env["ABSR_ECS_ENDPOINT"], url)
	}
	for _, event := range []string{"direct-request.json", "timer-reconcile.json"} {
		run := cliExec(t, env, "", "invoke", "-event", filepath.Join("events", event))
		if run.code != 0 {
			t.Errorf("%s in the printed environment: exit %d\nstderr:\n%s", event, run.code, run.stderr)
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("after an interrupt: %v\nstderr:\n%s", err, stderr.String())
	}
}

// exportsIn reads the `export NAME=VALUE` lines of the emulator's advice.
func exportsIn(s string) map[string]string {
	env := map[string]string{}
	for line := range strings.SplitSeq(s, "\n") {
		if kv, ok := strings.CutPrefix(line, "export "); ok {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = strings.Trim(v, "'")
		}
	}
	return env
}

func TestEmulatorCommandRejects(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"disks":[{"diskId":"d-bp1a"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() }) // after the parallel subtests, unlike defer
	demoState := filepath.Join("events", "demo-state.json")
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"no state", nil, "-state is required"},
		{"unknown flag", []string{"-state", demoState, "-port", "1"}, "flag provided but not defined"},
		{"extra argument", []string{"-state", demoState, "serve"}, "unexpected arguments"},
		{"missing file", []string{"-state", filepath.Join(dir, "none.json")}, "none.json"},
		{"invalid state", []string{"-state", bad}, "disk d-bp1a: regionId is required"},
		{"address in use", []string{"-state", demoState, "-addr", busy.Addr().String()}, "emulator: listen on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run := cliExec(t, nil, "", append([]string{"emulator"}, tc.args...)...)
			if run.code != 2 || !bytes.Contains(run.stderr, []byte(tc.msg)) || len(run.stdout) != 0 {
				t.Fatalf("exit %d (want 2), stderr %q lacks %q (stdout %q)", run.code, run.stderr, tc.msg, run.stdout)
			}
			if bytes.Contains(run.stderr, []byte("emulator: emulator:")) {
				t.Errorf("stderr repeats the command name: %q", run.stderr)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
