package alibaba

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

// invocationCreds are the STS credentials of invocation i.
func invocationCreds(i int) cloud.Credentials {
	return cloud.Credentials{AccessKeyID: fmt.Sprintf("STS.Invocation%03d", i), AccessKeySecret: fmt.Sprintf("secret/%d+x==", i),
		SecurityToken: fmt.Sprintf("%s-%d", testToken, i)}
}

// invocation does what one function invocation does with its own credentials.
func invocation(t testing.TB, p *Pool, i int) {
	api := p.Client(invocationCreds(i))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := api.DescribeDisks(ctx, "cn-hangzhou", []string{"d-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.ListPairs(ctx, "cn-hangzhou"); err != nil {
		t.Fatal(err)
	}
}

// settledGoroutines waits briefly for exiting goroutines before counting.
func settledGoroutines(limit int) int {
	n := runtime.NumGoroutine()
	for i := 0; i < 100 && n > limit; i++ {
		time.Sleep(10 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

func TestNoGoroutineOrConnectionGrowthAcrossInvocations(t *testing.T) {
	st := emutest.World(emutest.Disk("d-1", "cn-hangzhou-h"))
	for i := range 101 {
		c := invocationCreds(i)
		st.Credentials = append(st.Credentials, emulator.Credential{AccessKeyID: c.AccessKeyID,
			AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken})
	}
	f := newWire(t, st)
	p := f.pool(t, APIEBS)
	invocation(t, p, 0) // warm up: one keep-alive connection and its goroutines
	before := runtime.NumGoroutine()
	for i := 1; i <= 100; i++ {
		invocation(t, p, i)
	}
	if after := settledGoroutines(before); after > before {
		t.Fatalf("goroutines grew from %d to %d over 100 invocations", before, after)
	}
	if n := f.conns.Load(); n != 1 {
		t.Fatalf("%d TCP connections for 300 sequential requests: the pool must reuse one", n)
	}
	if calls := len(f.Calls()); calls != 303 {
		t.Fatalf("%d calls", calls)
	}
}

func TestConcurrentCallsShareThePool(t *testing.T) {
	t.Parallel()
	st := emutest.World()
	st.Credentials = []emulator.Credential{{AccessKeyID: "LTAI5tSecondKey", AccessKeySecret: "second-secret-value"}}
	for i := range 80 {
		d := emutest.Disk(fmt.Sprintf("d-%03d", i), "cn-hangzhou-i")
		st.Disks = append(st.Disks, d, emutest.Secondary(d, fmt.Sprintf("d-s%03d", i), "cn-shanghai-e"))
	}
	f := newWire(t, st)
	p := f.pool(t, APIEBS)
	withSeams(p, 0.5)
	var seenMu sync.Mutex
	seen := map[string]bool{}
	f.setIntercept(func(c wireCall, n int) *wireAnswer {
		// The first attempt of every call is throttled once, so every call retries.
		key := c.Action + c.Query.Get("ClientToken") + c.Query.Get("DiskIds") + c.Query.Get("AccessKeyId")
		seenMu.Lock()
		defer seenMu.Unlock()
		if !seen[key] {
			seen[key] = true
			return apiError(400, "Throttling.User", "slow down")
		}
		return nil
	})
	apis := []cloud.API{p.Client(testCreds), p.Client(cloud.Credentials{AccessKeyID: "LTAI5tSecondKey", AccessKeySecret: "second-secret-value"})}
	root, trace := cloud.WithTrace(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			api := apis[g%2]
			for j := range 5 {
				ctx, cancel := context.WithTimeout(root, 20*time.Second)
				in := pairInput
				in.DiskID, in.DestinationDiskID = fmt.Sprintf("d-%03d", g*5+j), fmt.Sprintf("d-s%03d", g*5+j)
				in.ClientToken = fmt.Sprintf("tok-%d-%d", g, j)
				id, err := api.CreatePair(ctx, in)
				if err == nil {
					err = api.StartPair(ctx, "cn-hangzhou", id, in.ClientToken+"-start")
				}
				if err == nil {
					_, err = api.DescribeDisks(ctx, "cn-hangzhou", []string{in.DiskID})
				}
				cancel()
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if pairs := f.pairs(); pairs != 80 {
		t.Fatalf("%d pairs, want 80", pairs)
	}
	if trace.Calls() != len(f.Calls()) {
		t.Fatalf("trace counted %d calls, server saw %d", trace.Calls(), len(f.Calls()))
	}
}

// TestActionsMatchWhatIsSent drives every cloud.API method of both families and compares the actions
// the server observed with Actions().
func TestActionsMatchWhatIsSent(t *testing.T) {
	observed := map[string]bool{}
	for _, family := range []string{APIEBS, APIECS} {
		d1 := emutest.Disk("d-1", "cn-hangzhou-i", emutest.Attached("i-1"), emutest.OptIn())
		f := newWire(t, emutest.World(d1, emutest.Secondary(d1, "d-2", "cn-shanghai-e")))
		api := f.pool(t, family).Client(testCreds)
		ctx := context.Background()
		steps := []error{}
		_, err := api.DescribeDisks(ctx, "cn-hangzhou", []string{"d-1"})
		steps = append(steps, err)
		_, err = api.InstanceDisks(ctx, "cn-hangzhou", "i-1")
		steps = append(steps, err)
		steps = append(steps, api.DisksByTag(ctx, "cn-hangzhou", "dr", "enabled", func([]cloud.Disk) error { return nil }))
		_, err = api.CreateDisk(ctx, cloud.CreateDiskInput{RegionID: "cn-shanghai", ZoneID: "cn-shanghai-e", Category: "cloud_essd", Size: 20, ClientToken: "t"})
		steps = append(steps, err)
		steps = append(steps, api.TagDisks(ctx, "cn-hangzhou", []string{"d-1"}, map[string]string{"dr": "paired"}))
		_, err = api.ListPairs(ctx, "cn-hangzhou")
		steps = append(steps, err)
		id, err := api.CreatePair(ctx, pairInput)
		steps = append(steps, err)
		steps = append(steps, api.StartPair(ctx, "cn-hangzhou", id, "t2"))
		if family == APIEBS { // the legacy family has no DescribeRegions
			zones, err := api.ReplicationZones(ctx, "cn-hangzhou")
			if err == nil && len(zones["cn-shanghai"]) != 1 {
				t.Errorf("ReplicationZones = %v", zones)
			}
			steps = append(steps, err)
		} else if _, err := api.ReplicationZones(ctx, "cn-hangzhou"); codeOf(err) != codeUnsupported {
			t.Errorf("legacy ReplicationZones: %v, want %s", err, codeUnsupported)
		}
		for i, err := range steps {
			if err != nil {
				t.Fatalf("%s step %d: %v", family, i, err)
			}
		}
		for _, c := range f.Calls() {
			prefix := map[string]string{"2014-05-26": "ecs", "2021-07-30": "ebs"}[c.Version]
			if prefix == "" {
				t.Fatalf("unknown version %q", c.Version)
			}
			observed[prefix+":"+c.Action] = true
		}
	}
	observeGroupActions(t, observed) // the fake server has no groups: these run against the emulator
	checkActionsObserved(t, observed)
}

func TestHTTPSEndpoint(t *testing.T) {
	f := newWire(t, nil)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(f.serve))
	defer tlsSrv.Close()
	p, err := NewPool(Options{ECSEndpoint: tlsSrv.URL, EBSEndpoint: tlsSrv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.ebs.scheme != "HTTPS" {
		t.Fatalf("scheme %q", p.ebs.scheme)
	}
	api := p.Client(testCreds)
	// The test server's certificate is self-signed: the pool must refuse it.
	_, err = api.ListPairs(context.Background(), "cn-hangzhou")
	if codeOf(err) != codeTransport || cloud.IsRetryable(err) {
		t.Fatalf("untrusted certificate: %v", err)
	}
	assertNoCredentials(t, err.Error())
	// Trusting it (as a real CA would be), the same call goes through over TLS.
	p.transport.TLSClientConfig = tlsSrv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	if _, err := api.ListPairs(context.Background(), "cn-hangzhou"); err != nil {
		t.Fatal(err)
	}
	if len(f.Calls()) != 2 {
		t.Fatalf("%d calls", len(f.Calls()))
	}
}

// BenchmarkSDKClientPerAttempt is the cost of the race-free strategy: a new SDK client for every
// attempt (connections still come from the shared transport).
func BenchmarkSDKClientPerAttempt(b *testing.B) {
	p, err := NewPool(Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := newSDKClient(p, testCreds); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCall is one whole DescribeDisks call (sign, send, decode) against a local server.
func BenchmarkCall(b *testing.B) {
	f := newWire(b, emutest.World(emutest.Disk("d-1", "cn-hangzhou-h")))
	api := f.pool(b, APIEBS).Client(testCreds)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := api.DescribeDisks(ctx, "cn-hangzhou", []string{"d-1"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallParallel is the same call from many goroutines at once.
func BenchmarkCallParallel(b *testing.B) {
	f := newWire(b, emutest.World(emutest.Disk("d-1", "cn-hangzhou-h")))
	api := f.pool(b, APIEBS).Client(testCreds)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := api.DescribeDisks(ctx, "cn-hangzhou", []string{"d-1"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
