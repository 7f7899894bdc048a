// Package fcstub is a stand-in for the Function Compute 3.0 runtime API, for tests and benchmarks
// of the real binary: it hands out invocations on GET .../invocation/next with the headers FC sends
// and collects the answers posted to .../{id}/response and .../{id}/error.
package fcstub

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const prefix = "/2020-11-11/runtime/invocation/"

// Credentials are the role credentials FC hands each invocation.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// Invocation describes one invocation to deliver.
type Invocation struct {
	Payload      []byte
	Timeout      time.Duration // the function's timeout; the deadline is now + Timeout
	Credentials  Credentials
	Region       string
	AccountID    string
	FunctionName string
	RetryCount   int
	// NoDeadline leaves out the x-fc-function-deadline header (and NoTimeout the
	// x-fc-function-timeout one), as a runtime API that does not send them would.
	NoDeadline, NoTimeout bool
}

// Answer is what the function posted back.
type Answer struct {
	RequestID string
	Body      []byte
	IsError   bool // posted to /error rather than /response
}

type pending struct {
	id  string
	inv Invocation
	out chan Answer
}

// Server is a running stand-in. Safe for concurrent use.
type Server struct {
	ln       net.Listener
	srv      *http.Server
	queue    chan *pending
	mu       sync.Mutex
	inflight map[string]*pending
	seq      atomic.Int64
	polls    atomic.Int64
	first    time.Time     // written once, before polled is closed
	polled   chan struct{} // closed at the first poll
}

// Start listens on a free loopback port.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{
		ln:       ln,
		queue:    make(chan *pending),
		inflight: map[string]*pending{},
		polled:   make(chan struct{}),
	}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln) //nolint:errcheck // ends with ErrServerClosed on Close
	return s, nil
}

// Addr is the value for FC_RUNTIME_API (host:port).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Polls counts the GET .../next requests received so far.
func (s *Server) Polls() int64 { return s.polls.Load() }

// FirstPoll waits for the first GET .../next and returns when it arrived.
func (s *Server) FirstPoll(ctx context.Context) (time.Time, error) {
	select {
	case <-s.polled:
		return s.first, nil
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	}
}

// Invoke delivers one invocation to the next poll and waits for its answer.
func (s *Server) Invoke(ctx context.Context, inv Invocation) (Answer, error) {
	if inv.Timeout <= 0 {
		inv.Timeout = 60 * time.Second
	}
	p := &pending{id: fmt.Sprintf("req-%06d", s.seq.Add(1)), inv: inv, out: make(chan Answer, 1)}
	s.mu.Lock()
	s.inflight[p.id] = p
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.inflight, p.id)
		s.mu.Unlock()
	}()
	select {
	case s.queue <- p:
	case <-ctx.Done():
		return Answer{}, fmt.Errorf("no poll for invocation %s: %w", p.id, ctx.Err())
	}
	select {
	case a := <-p.out:
		return a, nil
	case <-ctx.Done():
		return Answer{}, fmt.Errorf("no answer for invocation %s: %w", p.id, ctx.Err())
	}
}

// Close stops the server at once, closing its connections: a poll in progress ends there.
// (Shutdown would wait for it, since a waiting poll is an active request.)
func (s *Server) Close() error { return s.srv.Close() }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, prefix)
	switch {
	case !ok:
		http.NotFound(w, r)
	case rest == "next" && r.Method == http.MethodGet:
		s.next(w, r)
	case r.Method == http.MethodPost && (strings.HasSuffix(rest, "/response") || strings.HasSuffix(rest, "/error")):
		id, kind, _ := strings.Cut(rest, "/")
		s.answer(w, r, id, kind == "error")
	default:
		http.Error(w, "unknown runtime API route", http.StatusNotFound)
	}
}

func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	if s.polls.Add(1) == 1 {
		s.first = time.Now()
		close(s.polled)
	}
	var p *pending
	select {
	case p = <-s.queue:
	case <-r.Context().Done():
		return
	}
	h := w.Header()
	deadline := time.Now().Add(p.inv.Timeout)
	h.Set("x-fc-request-id", p.id)
	if !p.inv.NoDeadline {
		h.Set("x-fc-function-deadline", strconv.FormatInt(deadline.UnixMilli(), 10))
	}
	if !p.inv.NoTimeout {
		h.Set("x-fc-function-timeout", strconv.Itoa(int(p.inv.Timeout/time.Second)))
	}
	h.Set("x-fc-access-key-id", p.inv.Credentials.AccessKeyID)
	h.Set("x-fc-access-key-secret", p.inv.Credentials.AccessKeySecret)
	h.Set("x-fc-security-token", p.inv.Credentials.SecurityToken)
	h.Set("x-fc-region", p.inv.Region)
	h.Set("x-fc-account-id", p.inv.AccountID)
	h.Set("x-fc-retry-count", strconv.Itoa(p.inv.RetryCount))
	h.Set("x-fc-function-name", p.inv.FunctionName)
	h.Set("x-fc-function-handler", "main")
	h.Set("x-fc-function-memory", "512")
	h.Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	w.Write(p.inv.Payload) //nolint:errcheck // a vanished poller shows up as a missing answer
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, id string, isError bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	p := s.inflight[id]
	s.mu.Unlock()
	if p == nil {
		http.Error(w, "unknown request id "+id, http.StatusNotFound)
		return
	}
	select {
	case p.out <- Answer{RequestID: id, Body: body, IsError: isError}:
	default: // answered twice: keep the first
	}
	w.WriteHeader(http.StatusOK) // the SDK treats anything else as a failed post
}
