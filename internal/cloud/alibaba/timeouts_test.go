package alibaba

import (
	"context"
	"sync"
	"testing"
	"time"
	_ "unsafe" // for go:linkname

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// sdkTimeouts is the SDK's per-action read timeouts, decoded by its init from the text that
// package sdkinit empties.
//
//go:linkname sdkTimeouts github.com/aliyun/alibaba-cloud-sdk-go/sdk.timeout
var sdkTimeouts map[string]map[string]int

// Any binary that links this package skips decoding the SDK's timeout table at start.
func TestSDKTimeoutTableIsNotDecoded(t *testing.T) {
	if sdkTimeouts == nil {
		t.Fatal("the SDK's timeout table is nil: its init no longer decodes sdk.apiTimeouts into sdk.timeout; see package sdkinit")
	}
	if len(sdkTimeouts) != 0 {
		t.Fatalf("the SDK decoded its own timeout table (%d products): package sdkinit is not linked or ran after the SDK", len(sdkTimeouts))
	}
}

// Every attempt carries RequestTimeout, which is why the SDK's table (19 s for DescribeDisks,
// 36 s for CreateDisk) and its 10 s default never apply, and sdkinit may drop the table. The calls
// hang side by side: each is bounded on its own.
func TestRequestTimeoutBoundsEveryAttempt(t *testing.T) {
	t.Parallel()
	f := newWire(t, nil)
	f.setIntercept(func(c wireCall, n int) *wireAnswer { return &wireAnswer{fault: "hang"} })
	calls := map[string]func(context.Context, cloud.API) error{
		"DescribeDisks": func(ctx context.Context, c cloud.API) error {
			_, err := c.DescribeDisks(ctx, "cn-hangzhou", []string{"d-1"})
			return err
		},
		"CreateDisk": func(ctx context.Context, c cloud.API) error {
			_, err := c.CreateDisk(ctx, cloud.CreateDiskInput{RegionID: "cn-shanghai", ZoneID: "cn-shanghai-e", Category: "cloud_essd", Size: 20, ClientToken: "t"})
			return err
		},
		"ListPairs": func(ctx context.Context, c cloud.API) error { _, err := c.ListPairs(ctx, "cn-hangzhou"); return err },
	}
	var wg sync.WaitGroup
	for _, api := range []string{APIEBS, APIECS} {
		p := f.pool(t, api, func(o *Options) { o.RequestTimeout = 200 * time.Millisecond; o.Retry.MaxAttempts = 1 })
		for name, call := range calls {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				start := time.Now()
				err := call(ctx, p.Client(testCreds))
				if codeOf(err) != codeTimeout {
					t.Errorf("%s %s: err %v, want %s", api, name, err, codeTimeout)
				}
				// Far below the SDK's own timeouts, far above 200 ms on a loaded machine.
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("%s %s took %v against a RequestTimeout of 200ms", api, name, d)
				}
			})
		}
	}
	wg.Wait()
}
