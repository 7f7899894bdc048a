package cloud

import (
	"context"
	"sync"
	"testing"
)

func TestTraceNestsAndCountsConcurrently(t *testing.T) {
	root, rootTrace := WithTrace(context.Background())
	var wg sync.WaitGroup
	children := make([]*Trace, 8)
	for i := range children {
		ctx, tr := WithTrace(root)
		children[i] = tr
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				id := ""
				if j%2 == 0 {
					id = "R"
				}
				RecordAttempt(ctx, Attempt{Action: "ecs:DescribeDisks", RequestID: id})
			}
		}()
	}
	wg.Wait()
	for _, c := range children {
		if c.Calls() != 50 || len(c.RequestIDs()) != 25 {
			t.Fatalf("child %d calls %d ids", c.Calls(), len(c.RequestIDs()))
		}
	}
	if rootTrace.Calls() != 400 || len(rootTrace.RequestIDs()) != 200 {
		t.Fatalf("root %d calls", rootTrace.Calls())
	}
	traceFrom(context.Background()).record(Attempt{}) // no trace: no panic
}
