// Package fcruntime is the Function Compute 3.0 runtime loop: it polls the runtime API for
// invocations, runs the handler with the invocation's context and posts the answer.
//
// It replaces fc.Start of fc-runtime-go-sdk v0.3.1, whose loop cannot be wrapped (it is
// unexported and owns the process) and has two faults: a failing GET .../next is retried at
// once, forever, with a log line each time (a runtime API restarting floods the log and burns
// the CPU), and an invocation without a deadline header is dropped without an answer (FC then
// waits for the function's whole timeout). Here a failing poll backs off exponentially and is
// logged a logarithmic number of times, and an invocation without a usable deadline gets one: the
// function timeout FC announces, else DefaultTimeout. The context carries the SDK's
// fccontext.FcContext, so handlers read it as before.
package fcruntime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/absr-autopair/absr-autopair/internal/backoff"
)

// Handler answers one invocation: its result is posted as JSON, an error as FC's error body.
type Handler func(ctx context.Context, payload []byte) (any, error)

// Defaults of Options.
const (
	// DefaultTimeout is the deadline of an invocation that announces neither a deadline nor a
	// timeout: FC's default function timeout. A shorter deadline than FC's real one is safe (the
	// function reports early); a longer one is not.
	DefaultTimeout = 60 * time.Second
	MinBackoff     = 50 * time.Millisecond
	MaxBackoff     = 5 * time.Second
	apiVersion     = "2020-11-11"
)

// Options configure Serve. Zero values take the defaults.
type Options struct {
	API            string                        // host:port of the runtime API (FC_RUNTIME_API)
	Logf           func(format string, a ...any) // diagnostics; default log.Printf
	Out            io.Writer                     // FC's start and end lines; default os.Stdout
	DefaultTimeout time.Duration
	MinBackoff     time.Duration
	MaxBackoff     time.Duration
	// Sleep waits d or until ctx ends (a seam for tests); default a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Client talks to the runtime API; default a client without timeout (a poll waits for work).
	Client *http.Client
}

func (o Options) withDefaults() Options {
	if o.Logf == nil {
		o.Logf = log.Printf
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.DefaultTimeout <= 0 {
		o.DefaultTimeout = DefaultTimeout
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = MinBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(MaxBackoff, o.MinBackoff)
	}
	if o.Sleep == nil {
		o.Sleep = backoff.Sleep
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	return o
}

// Serve polls for invocations until ctx ends, handling each in its own goroutine (an instance
// may be given several at once). It returns ctx's error.
func Serve(ctx context.Context, o Options, h Handler) error {
	o = o.withDefaults()
	if o.API == "" {
		return errors.New("fcruntime: no runtime API address (FC_RUNTIME_API is not set)")
	}
	base := "http://" + o.API + "/" + apiVersion + "/runtime/invocation/"
	failures := 0
	for ctx.Err() == nil {
		inv, err := next(ctx, o.Client, base)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			failures++
			delay := backoff.Delay(o.MinBackoff, o.MaxBackoff, failures)
			if failures&(failures-1) == 0 { // 1, 2, 4, 8...: the log grows with the log of the outage
				o.Logf("fcruntime: polling for the next invocation failed %d time(s) in a row, retrying in %s: %v", failures, delay, err)
			}
			if o.Sleep(ctx, delay) != nil {
				break
			}
			continue
		}
		if failures > 0 {
			o.Logf("fcruntime: polling works again after %d failure(s)", failures)
			failures = 0
		}
		go inv.handle(ctx, o, h)
	}
	return ctx.Err()
}

type invocation struct {
	base    string
	id      string
	payload []byte
	headers http.Header
}

func next(ctx context.Context, c *http.Client, base string) (*invocation, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"next", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) //nolint:errcheck // draining for reuse only
		return nil, fmt.Errorf("GET next: HTTP %d", resp.StatusCode)
	}
	payload, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET next: reading the payload: %w", err)
	}
	id := resp.Header.Get("x-fc-request-id")
	if id == "" {
		return nil, errors.New("GET next: no x-fc-request-id header")
	}
	return &invocation{base: base, id: id, payload: payload, headers: resp.Header}, nil
}

// Function types of the x-fc-function-type header: the lifecycle hooks, none of which this
// function registers (they are answered at once, as the SDK answers them).
const (
	typeInitializer = "1"
	typePreStop     = "2"
	typePreFreeze   = "3"
)

func (inv *invocation) handle(ctx context.Context, o Options, h Handler) {
	hdr := inv.headers
	kind := "Invoke"
	switch hdr.Get("x-fc-function-type") {
	case typeInitializer:
		kind = "Initialize"
	case typePreStop:
		kind = "PreStop"
	case typePreFreeze:
		kind = "PreFreeze"
	}
	fmt.Fprintf(o.Out, "FC %s Start RequestId: %s\n", kind, inv.id)
	if kind != "Invoke" {
		inv.post(ctx, o, "/response", []byte{})
		fmt.Fprintf(o.Out, "FC %s End RequestId: %s\n", kind, inv.id)
		return
	}
	deadline, note := deadlineOf(hdr, time.Now(), o.DefaultTimeout)
	if note != "" {
		o.Logf("fcruntime: invocation %s: %s", inv.id, note)
	}
	ictx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	ictx = fccontext.NewContext(ictx, contextOf(inv.id, hdr))

	result, err := run(ictx, h, inv.payload)
	var body []byte
	path := "/response"
	if err == nil {
		body, err = json.Marshal(result)
	}
	if err != nil {
		path = "/error"
		body, _ = json.Marshal(map[string]string{"errorMessage": err.Error(), "errorType": typeName(err)})
	}
	inv.post(ctx, o, path, body)
	suffix := ""
	if path == "/error" {
		suffix = ", Error: Unhandled function error"
	}
	fmt.Fprintf(o.Out, "FC Invoke End RequestId: %s%s\n", inv.id, suffix)
}

// run calls h; a panic fails the invocation without quoting its value (it may hold secrets: the
// handler sanitizes and reports its own panics, this is the last resort).
func run(ctx context.Context, h Handler, payload []byte) (result any, err error) {
	defer func() {
		if v := recover(); v != nil {
			result, err = nil, errors.New("internal error: the handler panicked")
		}
	}()
	return h(ctx, payload)
}

func (inv *invocation) post(ctx context.Context, o Options, path string, body []byte) {
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, inv.base+inv.id+path, bytes.NewReader(body))
	if err != nil {
		o.Logf("fcruntime: invocation %s: %v", inv.id, err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := o.Client.Do(req)
	if err != nil {
		o.Logf("fcruntime: invocation %s: posting the answer: %v", inv.id, err)
		return
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) //nolint:errcheck // draining for reuse only
	if resp.StatusCode/100 != 2 {
		o.Logf("fcruntime: invocation %s: posting the answer: HTTP %d", inv.id, resp.StatusCode)
	}
}

// deadlineOf is the invocation's deadline: x-fc-function-deadline (Unix milliseconds), else now
// plus x-fc-function-timeout (seconds), else now plus def. note says which default was taken.
func deadlineOf(h http.Header, now time.Time, def time.Duration) (time.Time, string) {
	if ms, err := strconv.ParseInt(strings.TrimSpace(h.Get("x-fc-function-deadline")), 10, 64); err == nil && ms > 0 {
		return time.UnixMilli(ms), ""
	}
	if s, err := strconv.Atoi(strings.TrimSpace(h.Get("x-fc-function-timeout"))); err == nil && s > 0 {
		return now.Add(time.Duration(s) * time.Second), fmt.Sprintf("no usable deadline header; the function timeout (%d s) is the deadline", s)
	}
	return now.Add(def), fmt.Sprintf("no usable deadline or timeout header; the deadline is %s from now", def)
}

func contextOf(id string, h http.Header) *fccontext.FcContext {
	timeout, _ := strconv.Atoi(h.Get("x-fc-function-timeout"))
	retries, _ := strconv.Atoi(h.Get("x-fc-retry-count"))
	return &fccontext.FcContext{
		RequestID: id,
		Credentials: fccontext.Credentials{
			AccessKeyId:     h.Get("x-fc-access-key-id"),
			AccessKeySecret: h.Get("x-fc-access-key-secret"),
			SecurityToken:   h.Get("x-fc-security-token"),
		},
		Function: fccontext.Function{
			Name:    h.Get("x-fc-function-name"),
			Handler: h.Get("x-fc-function-handler"),
			Memory:  h.Get("x-fc-function-memory"),
			Timeout: timeout,
		},
		Service: fccontext.Service{
			Name:       h.Get("x-fc-service-name"),
			LogProject: h.Get("x-fc-service-logproject"),
			LogStore:   h.Get("x-fc-service-logstore"),
			Qualifier:  h.Get("x-fc-qualifier"),
			VersionId:  h.Get("x-fc-version-id"),
		},
		Region:     h.Get("x-fc-region"),
		AccountId:  h.Get("x-fc-account-id"),
		RetryCount: retries,
	}
}

func typeName(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}
