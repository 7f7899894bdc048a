package fcstub

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// A minimal runtime client, doing what fc-runtime-go-sdk's loop does, shows the stand-in hands out
// the payload with FC's headers and returns each kind of answer to the invoker.
func TestInvokeRoundTrip(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := "http://" + s.Addr() + prefix

	for _, tc := range []struct {
		name    string
		kind    string
		isError bool
	}{
		{"response", "response", false},
		{"error", "error", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			poller := make(chan struct{})
			defer func() { <-poller }() // its checks belong to this subtest, and the server outlives its post
			go func() {
				defer close(poller)
				resp, err := http.Get(base + "next")
				if err != nil {
					t.Error(err)
					return
				}
				payload, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				h := resp.Header
				if h.Get("x-fc-access-key-secret") != "secret" || h.Get("x-fc-region") != "cn-hangzhou" {
					t.Errorf("headers: %v", h)
				}
				ms, err := strconv.ParseInt(h.Get("x-fc-function-deadline"), 10, 64)
				if err != nil || time.UnixMilli(ms).Before(time.Now()) {
					t.Errorf("deadline header %q", h.Get("x-fc-function-deadline"))
				}
				if h.Get("x-fc-function-timeout") != "30" {
					t.Errorf("timeout header %q", h.Get("x-fc-function-timeout"))
				}
				id := h.Get("x-fc-request-id")
				r, err := http.Post(base+id+"/"+tc.kind, "application/json", bytes.NewReader(append([]byte("echo:"), payload...)))
				if err != nil {
					t.Error(err)
					return
				}
				r.Body.Close()
			}()
			a, err := s.Invoke(ctx, Invocation{
				Payload:     []byte(`{"x":1}`),
				Timeout:     30 * time.Second,
				Credentials: Credentials{AccessKeyID: "ak", AccessKeySecret: "secret", SecurityToken: "tok"},
				Region:      "cn-hangzhou",
			})
			if err != nil {
				t.Fatal(err)
			}
			if string(a.Body) != `echo:{"x":1}` || a.IsError != tc.isError {
				t.Fatalf("answer %+v", a)
			}
		})
	}
	if _, err := s.FirstPoll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.Polls() != 2 {
		t.Fatalf("polls = %d, want 2", s.Polls())
	}
}

func TestInvokeWithoutPollerTimesOut(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Invoke(ctx, Invocation{Payload: []byte("{}")}); err == nil {
		t.Fatal("want an error when nothing polls")
	}
}
