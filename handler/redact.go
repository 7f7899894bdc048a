package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// Everything an invocation emits (log lines, the report, the returned error) passes through
// a cloud.Sanitizer of the literal credential values it was given, prepared once per invocation. The cloud adapters already
// sanitize what they return; this is the last line for whatever else may quote a credential: a
// panic's value, a payload that names one.

// sanitizerOf sanitizes of the credential values an invocation's output must never contain: those
// the invocation brought, and the Handler's own when they are static.
func (h *Handler) sanitizerOf(inv Invocation) *cloud.Sanitizer {
	var out []string
	add := func(c cloud.Credentials) {
		for _, v := range []string{c.AccessKeySecret, c.SecurityToken, c.AccessKeyID} {
			if v != "" {
				out = append(out, v)
			}
		}
	}
	if inv.Credentials != nil {
		add(*inv.Credentials)
	}
	switch c := h.creds.(type) {
	case cloud.Credentials:
		add(c)
	case *cloud.Credentials:
		if c != nil {
			add(*c)
		}
	}
	return cloud.NewSanitizer(out...)
}

// invocationLogger is the Handler's logger with every record sanitized by z.
func (h *Handler) invocationLogger(z *cloud.Sanitizer) *slog.Logger {
	return slog.New(redactingHandler{inner: h.log.Handler(), z: z})
}

// redactError returns err with its text sanitized. errors.Is still finds what err wraps
// (ErrPayload, ErrRetryable, ...); the unsanitized error itself stays unreachable.
func redactError(err error, z *cloud.Sanitizer) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := z.Sanitize(msg)
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string        { return e.msg }
func (e *redactedError) Is(target error) bool { return errors.Is(e.err, target) }

// redact sanitizes the report's free-text fields and those copied from the payload.
func (r *Report) redact(z *cloud.Sanitizer) {
	clean := func(p *string) { *p = z.Sanitize(*p) }
	event := func(e *EventInfo) { clean(&e.ID); clean(&e.Source); clean(&e.Type); clean(&e.Name) }
	event(&r.Event)
	for i := range r.Ignored {
		event(&r.Ignored[i].Event)
		clean(&r.Ignored[i].Reason)
	}
	for i := range r.Results {
		clean(&r.Results[i].Message)
	}
}

// redactingHandler sanitizes every log record's message and attributes before inner sees them.
type redactingHandler struct {
	inner slog.Handler
	z     *cloud.Sanitizer
}

func (h redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.z.Sanitize(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return redactingHandler{inner: h.inner.WithAttrs(clean), z: h.z}
}

func (h redactingHandler) WithGroup(name string) slog.Handler {
	return redactingHandler{inner: h.inner.WithGroup(name), z: h.z}
}

func (h redactingHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.z.Sanitize(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]slog.Attr, len(group))
		for i, g := range group {
			clean[i] = h.attr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(clean...)}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case []string:
			clean := make([]string, len(x))
			for i, s := range x {
				clean[i] = h.z.Sanitize(s)
			}
			return slog.Any(a.Key, clean)
		case error:
			return slog.String(a.Key, h.z.Sanitize(x.Error()))
		default:
			// Anything else is logged as its text would be, sanitized.
			s := fmt.Sprint(x)
			if clean := h.z.Sanitize(s); clean != s {
				return slog.String(a.Key, clean)
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
