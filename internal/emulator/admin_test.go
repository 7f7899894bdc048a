package emulator_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ebs"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

func httpDo(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	must(t, err)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, out
}

func TestAdminEndpoints(t *testing.T) {
	srv := emutest.Start(t, basicWorld())
	base := "http://" + srv.Addr()
	c := newEBS(t, srv, hz)
	created, err := c.CreateDiskReplicaPair(createReq())
	must(t, err)
	_, err = c.CreateDiskReplicaPair(createReq())
	wantCode(t, err, 403, "OperationDenied")

	status, body := httpDo(t, "GET", base+"/_emulator/state", "")
	if status != 200 {
		t.Fatalf("state: %d %s", status, body)
	}
	st, err := emulator.ParseState(body)
	must(t, err)
	if len(st.Pairs) != 1 || st.Pairs[0].ReplicaPairID != created.ReplicaPairId || st.Pairs[0].Status != "created" {
		t.Fatalf("state pairs = %+v", st.Pairs)
	}
	if len(st.Credentials) != 1 || st.Credentials[0].AccessKeySecret != "emulator-secret" {
		t.Fatalf("state credentials = %+v", st.Credentials)
	}

	status, body = httpDo(t, "GET", base+"/_emulator/calls", "")
	var calls emulator.CallCounts
	must(t, json.Unmarshal(body, &calls))
	if status != 200 || calls.Calls["ebs/CreateDiskReplicaPair"] != 2 || calls.Errors["OperationDenied"] != 1 {
		t.Fatalf("calls: %d %s", status, body)
	}
	if !bytes.Contains(body, []byte(`"calls":{`)) || !bytes.Contains(body, []byte(`"errors":{`)) {
		t.Fatalf("calls body shape: %s", body)
	}

	status, body = httpDo(t, "PUT", base+"/_emulator/faults", `{"throttlePercent":100,"seed":3}`)
	if status != 200 || !bytes.Contains(body, []byte(`"throttlePercent":100`)) || !bytes.Contains(body, []byte(`"seed":3`)) {
		t.Fatalf("put faults: %d %s", status, body)
	}
	dreq := ebs.CreateDescribeDiskReplicaPairsRequest()
	dreq.RegionId = hz
	_, err = c.DescribeDiskReplicaPairs(dreq)
	wantCode(t, err, 400, "Throttling.User")
	if f := srv.Snapshot().Faults; f.ThrottlePercent != 100 || f.Seed != 3 {
		t.Fatalf("faults in the snapshot: %+v", f)
	}
	// PUT replaces the faults; a body without "seed" keeps the seed, so clearing faults does
	// not change which runs repeat.
	status, _ = httpDo(t, "PUT", base+"/_emulator/faults", `{}`)
	if status != 200 || srv.Faults() != (emulator.Faults{Seed: 3}) {
		t.Fatalf("put {}: %d %+v, want no faults and seed 3", status, srv.Faults())
	}
	status, _ = httpDo(t, "PUT", base+"/_emulator/faults", `{"seed":0}`)
	if status != 200 || srv.Faults() != (emulator.Faults{}) {
		t.Fatalf("put seed 0: %d %+v", status, srv.Faults())
	}

	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{"PUT", "/_emulator/faults", `{"throttlePercent":101}`, 400},
		{"PUT", "/_emulator/faults", `{"throttle":5}`, 400},
		{"PUT", "/_emulator/faults", `not json`, 400},
		{"POST", "/_emulator/state", "", 405},
		{"DELETE", "/_emulator/faults", "", 405},
		{"GET", "/_emulator/nothing", "", 404},
	} {
		if status, body := httpDo(t, tc.method, base+tc.path, tc.body); status != tc.status || !bytes.Contains(body, []byte(`"error"`)) {
			t.Errorf("%s %s %s: %d %s, want %d", tc.method, tc.path, tc.body, status, body, tc.status)
		}
	}
}

// Many clients at once against one server: the race detector watches the locking.
func TestConcurrentMixedTraffic(t *testing.T) {
	srv := emutest.Start(t, pagedWorld(100))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newECS(t, srv, hz)
			for i := range 10 {
				id := []string{fmt.Sprintf("d-bp1page%04d", g*10+i)}
				if _, err := c.TagResources(tagReq(id, "worker", fmt.Sprint(g))); err != nil {
					t.Error(err)
					return
				}
				if err := describeIn(c, hz); err != nil {
					t.Error(err)
					return
				}
				_ = srv.Snapshot()
				_ = srv.Calls()
			}
		}()
	}
	wg.Wait()
	if n := srv.Calls().Calls["ecs/TagResources"]; n != 80 {
		t.Fatalf("TagResources calls = %d", n)
	}
}
