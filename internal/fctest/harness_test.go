// Package fctest runs the real function binary, built as for production (static, stripped), under
// a stand-in of the Function Compute runtime API (internal/fcstub) against the ECS/EBS emulator:
// the per-invocation credentials, the /response and /error answers, resource stability over many
// invocations and the SIGTERM an instance stop sends.
package fctest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/fcstub"
	"github.com/absr-autopair/absr-autopair/internal/testparallel"
)

// The function's region and the route its disks take.
const (
	region      = "cn-hangzhou"
	accountID   = emulator.DefaultAccountID
	functionFQN = "absr-autopair"
)

var (
	buildOnce sync.Once
	binPath   string
	buildSkip string // why the binary cannot be built here ("" when it can)
	buildErr  error
)

func TestMain(m *testing.M) {
	// Every test runs its own processes, emulator and runtime API stand-in; they wait on those
	// and on retry backoffs, not on the CPU.
	testparallel.Default(8)
	os.Exit(m.Run())
}

// functionBinary builds the module's main package once per test binary, the way it ships:
// CGO_ENABLED=0 go build -trimpath -ldflags='-s -w', into buildDir.
func functionBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			if root := os.Getenv("GOROOT"); root != "" {
				goTool = filepath.Join(root, "bin", "go")
			}
			if _, serr := os.Stat(goTool); goTool == "" || serr != nil {
				buildSkip = "the go command is not on PATH (nor in $GOROOT/bin): cannot build the function binary"
				return
			}
		}
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := buildDir(root)
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "main")
		cmd := exec.Command(goTool, "build", "-trimpath", "-ldflags=-s -w", "-o", binPath, ".")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build of %s: %v\n%s", root, err, out)
			return
		}
		fmt.Fprintf(os.Stderr, "fctest: go build -o %s took %v\n", binPath, time.Since(start).Round(time.Millisecond))
	})
	if buildSkip != "" {
		t.Skip(buildSkip)
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// buildDir is where the binary of the module at root is kept from one test run to the next:
// go build relinks it only when something it is built from changed (it compares build IDs), so a
// run on an unchanged tree skips the link, about 0.6 s of the 1 s build. The directory is in the
// temporary directory, like go build's work directory, so that a new binary is renamed into place
// rather than written over one that another run may be executing; there is one per user and
// module root, so other checkouts do not share it.
func buildDir(root string) (string, error) {
	sum := sha256.Sum256([]byte(root))
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("absr-autopair-fctest-%d-%x", os.Getuid(), sum[:6]))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return dir, nil
}

// moduleRoot is the nearest directory at or above the working directory holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the test's working directory")
		}
		dir = parent
	}
}

// logBuffer collects a child's output; safe for the exec copying goroutine and the test.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// function is the binary running in FC mode.
type function struct {
	cmd    *exec.Cmd
	emu    *emulator.Server
	stub   *fcstub.Server
	stdout logBuffer
	stderr logBuffer
	exited chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's answer, valid after exited

	mu      sync.Mutex
	answers []fcstub.Answer // every answer, in arrival order
}

// startFunction serves world in the emulator and runs the binary in FC mode against it. The
// child's environment is built from scratch: it has no ALIBABA_CLOUD_* credentials, so every
// API call is signed with the credentials of its invocation.
func startFunction(t *testing.T, world *emulator.State, extraEnv ...string) *function {
	t.Helper()
	f := launchFunction(t, world, extraEnv...)
	ctx, cancel := f.context(10 * time.Second)
	defer cancel()
	if _, err := f.stub.FirstPoll(ctx); err != nil {
		t.Fatalf("the function never polled the runtime API: %v (exited: %v)\nstderr:\n%s", err, f.exitState(), f.stderr.String())
	}
	return f
}

// launchFunction starts the process as startFunction does, without waiting for its first poll.
func launchFunction(t *testing.T, world *emulator.State, extraEnv ...string) *function {
	t.Helper()
	bin := functionBinary(t)
	f := &function{emu: emutest.Start(t, world), exited: make(chan struct{})}
	stub, err := fcstub.Start()
	if err != nil {
		t.Fatalf("fcstub: %v", err)
	}
	f.stub = stub
	t.Cleanup(func() { stub.Close() })

	home := t.TempDir() // no credentials file or CLI profile to find
	env := []string{
		"FC_RUNTIME_API=" + stub.Addr(),
		"FC_REGION=" + region,
		"FC_ACCOUNT_ID=" + accountID,
		"FC_FUNCTION_NAME=" + functionFQN,
		"HOME=" + home,
		"ABSR_ECS_ENDPOINT=" + f.emu.URL(),
		"ABSR_EBS_ENDPOINT=" + f.emu.URL(),
		"ABSR_ROUTES=cn-hangzhou=cn-shanghai/cn-shanghai-b",
		"ABSR_SOURCE_REGIONS=" + region,
		// The default 10 calls/s per action would make 100 invocations take 10 s.
		"ABSR_MAX_QPS=1000",
	}
	f.cmd = exec.Command(bin)
	f.cmd.Env = append(env, extraEnv...)
	f.cmd.Dir = home
	f.cmd.Stdout = &f.stdout
	f.cmd.Stderr = &f.stderr
	if err := f.cmd.Start(); err != nil {
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.ENOEXEC) {
			t.Skipf("cannot execute the built binary here: %v", err)
		}
		t.Fatalf("starting %s: %v", bin, err)
	}
	go func() {
		f.err = f.cmd.Wait()
		close(f.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-f.exited:
		default:
			f.cmd.Process.Kill() //nolint:errcheck // it may have just exited
			<-f.exited
		}
		if t.Failed() {
			t.Logf("function stdout:\n%s", tail(f.stdout.String(), 4000))
			t.Logf("function stderr:\n%s", tail(f.stderr.String(), 8000))
		}
	})
	return f
}

// context ends after d or when the process exits, whichever comes first.
func (f *function) context(d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	go func() {
		select {
		case <-f.exited:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

func (f *function) exitState() string {
	select {
	case <-f.exited:
		return fmt.Sprintf("yes, %v", f.err)
	default:
		return "no"
	}
}

// emulatorCredentials are the credentials FC would hand each invocation: the role's STS
// credentials, here the emulator's.
func emulatorCredentials() fcstub.Credentials {
	return fcstub.Credentials{AccessKeyID: emutest.AccessKeyID, AccessKeySecret: emutest.AccessKeySecret, SecurityToken: emutest.SecurityToken}
}

// invoke delivers payload with the headers FC sends and returns the answer once the function
// is waiting for the next invocation again: a quiet moment to look at the process, and proof
// that it keeps serving.
func (f *function) invoke(t *testing.T, payload []byte, creds fcstub.Credentials, retryCount int) fcstub.Answer {
	t.Helper()
	polls := f.stub.Polls()
	ans, err := f.deliver(payload, creds, retryCount)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := f.context(10 * time.Second)
	defer cancel()
	for f.stub.Polls() <= polls {
		select {
		case <-ctx.Done():
			t.Fatalf("the function stopped polling after %s (exited: %s)", ans.RequestID, f.exitState())
		case <-time.After(time.Millisecond):
		}
	}
	return ans
}

// deliver is one invocation, safe to call from several goroutines.
func (f *function) deliver(payload []byte, creds fcstub.Credentials, retryCount int) (fcstub.Answer, error) {
	ctx, cancel := f.context(60 * time.Second)
	defer cancel()
	ans, err := f.stub.Invoke(ctx, fcstub.Invocation{
		Payload: payload, Timeout: 30 * time.Second, Credentials: creds,
		Region: region, AccountID: accountID, FunctionName: functionFQN, RetryCount: retryCount,
	})
	if err != nil {
		return ans, fmt.Errorf("invocation: %v (exited: %s)", err, f.exitState())
	}
	f.mu.Lock()
	f.answers = append(f.answers, ans)
	f.mu.Unlock()
	return ans, nil
}

// everything is all the function wrote: its answers, stdout and stderr.
func (f *function) everything() string {
	var b strings.Builder
	f.mu.Lock()
	for _, a := range f.answers {
		b.Write(a.Body)
		b.WriteByte('\n')
	}
	f.mu.Unlock()
	b.WriteString(f.stdout.String())
	b.WriteString(f.stderr.String())
	return b.String()
}

// runtimeComplaints are the lines on stderr that are neither the handler's JSON log nor the
// runtime's report of an error answer: the SDK's own complaints (a failed poll or post).
func (f *function) runtimeComplaints() (complaints []string) {
	inErrorReport := false // the runtime prints an error answer as indented JSON
	for line := range strings.SplitSeq(f.stderr.String(), "\n") {
		switch {
		case inErrorReport:
			inErrorReport = line != "}"
		case strings.HasSuffix(line, " [ERROR] {"):
			inErrorReport = true
		case line == "" || json.Valid([]byte(line)):
		default:
			complaints = append(complaints, line)
		}
	}
	return complaints
}

// logLine waits for the JSON log line with this msg and fcRequestId on stderr. The line is
// written before the answer is posted, but the copy from the child's pipe may lag a little.
func (f *function) logLine(t *testing.T, requestID, msg string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		sc := bufio.NewScanner(strings.NewReader(f.stderr.String()))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) != nil {
				continue
			}
			if rec["msg"] == msg && rec["fcRequestId"] == requestID {
				return rec
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q log line for %s on stderr", msg, requestID)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// openFDs counts the child's open file descriptors.
func (f *function) openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", f.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("reading the child's fd table: %v", err)
	}
	return len(entries)
}

// procStatus returns a field of /proc/<pid>/status, e.g. "VmRSS" -> "10240 kB".
func (f *function) procStatus(field string) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", f.cmd.Process.Pid))
	if err != nil {
		return "unknown"
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// requireProc skips when /proc does not describe processes (not Linux, or not mounted).
func requireProc(t *testing.T) {
	t.Helper()
	if _, err := os.ReadDir("/proc/self/fd"); err != nil {
		t.Skipf("/proc/self/fd is not readable here (%v): cannot watch the child's resources", err)
	}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fcError is the body the runtime posts to .../error.
type fcError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func decodeError(t *testing.T, a fcstub.Answer) fcError {
	t.Helper()
	if !a.IsError {
		t.Fatalf("%s answered on /response, want /error: %s", a.RequestID, a.Body)
	}
	var e fcError
	if err := json.Unmarshal(a.Body, &e); err != nil || e.Message == "" {
		t.Fatalf("%s: error body %q is not {errorMessage, errorType} (%v)", a.RequestID, a.Body, err)
	}
	return e
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

func atoi(t *testing.T, v any) int {
	t.Helper()
	switch n := v.(type) {
	case float64:
		return int(n)
	case string:
		i, err := strconv.Atoi(n)
		if err == nil {
			return i
		}
	}
	t.Fatalf("%v (%T) is not a number", v, v)
	return 0
}
