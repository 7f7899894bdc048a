package cloud

import (
	"context"
	"sync"
)

// Attempt is one request an adapter sent.
type Attempt struct {
	Action    string // RAM-style, e.g. "ecs:DescribeDisks"
	Region    string
	RequestID string // "" when no response arrived
	Code      string // "" on success, else the error code
}

// Trace collects the attempts made under a context, for logs and call counts. It is safe for
// concurrent use.
type Trace struct {
	parent   *Trace
	mu       sync.Mutex
	attempts []Attempt
}

type traceKey struct{}

// WithTrace returns a context whose adapter calls are recorded in the returned Trace. A trace
// nested in another records into both, so a per-disk trace also feeds the invocation's.
func WithTrace(ctx context.Context) (context.Context, *Trace) {
	t := &Trace{parent: traceFrom(ctx)}
	return context.WithValue(ctx, traceKey{}, t), t
}

func traceFrom(ctx context.Context) *Trace {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	return t
}

// RecordAttempt records a in the traces of ctx (none: nothing). Adapters call it once per request
// they send, retries included.
func RecordAttempt(ctx context.Context, a Attempt) {
	traceFrom(ctx).record(a)
}

func (t *Trace) record(a Attempt) {
	for ; t != nil; t = t.parent {
		t.mu.Lock()
		t.attempts = append(t.attempts, a)
		t.mu.Unlock()
	}
}

// Attempts returns a copy of the recorded attempts in the order they finished.
func (t *Trace) Attempts() []Attempt {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Attempt(nil), t.attempts...)
}

// RequestIDs returns the request IDs the services returned, in order, without empty ones.
func (t *Trace) RequestIDs() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var ids []string
	for _, a := range t.attempts {
		if a.RequestID != "" {
			ids = append(ids, a.RequestID)
		}
	}
	return ids
}

// Calls returns the number of HTTP requests sent, retries included.
func (t *Trace) Calls() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.attempts)
}
