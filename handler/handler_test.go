package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// TestCases plays every fixture of testdata/cases: each is a small emulated world, a payload
// file of testdata/payloads and, per delivery, the report, the error, the emulator calls and the
// world that must result. See e2eCase for the format.
func TestCases(t *testing.T) {
	t.Parallel()
	for _, file := range e2eCaseFiles(t) {
		c := e2eLoadCase(t, file)
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			t.Log(c.Doc)
			e2eRunCase(t, c)
		})
	}
}

// TestFCWrongCredentials goes through Handler.FC, the Function Compute entry point, with the
// role credentials in the invocation context as the runtime passes them, and wrong: for a disk
// event (a failed result) and for a sweep (an error). Nothing secret may come out.
func TestFCWrongCredentials(t *testing.T) {
	t.Parallel()
	wrong := fccontext.Credentials{AccessKeyId: emulator.DefaultAccessKeyID,
		AccessKeySecret: "wrong-secret-fc-0123456789abcdef", SecurityToken: emulator.DefaultSecurityToken}
	for _, tc := range []struct {
		payload   string
		wantError bool
	}{
		{"direct-primary.json", false},
		{"timer-hangzhou.json", true},
	} {
		t.Run(tc.payload, func(t *testing.T) {
			t.Parallel()
			emu := e2eStartEmulator(t, emutest.World(
				emutest.Disk("d-bp1primary", "cn-hangzhou-h", emutest.OptIn()),
				emutest.Disk("d-uf6secondary", "cn-shanghai-b", emutest.BackRef("d-bp1primary"))))
			log := &handler.TestLog{}
			// The Handler's own source is empty: only the invocation's credentials can sign.
			h, closePool, err := handler.Setup(e2eConfig(t, e2eEnv(emu.URL())), cloud.Credentials{},
				slog.New(slog.NewJSONHandler(log, nil)), "cn-hangzhou")
			if err != nil {
				t.Fatal(err)
			}
			defer closePool()
			ctx := fccontext.NewContext(context.Background(), &fccontext.FcContext{
				RequestID: "fc-req-1", Region: "cn-hangzhou", Credentials: wrong})
			report, err := h.FC(ctx, e2ePayload(t, tc.payload))
			run := e2eRun{report: report, err: err, log: log}
			e2eCheckNoSecrets(t, run, append([]string{wrong.AccessKeySecret, wrong.SecurityToken}, emu.sentSignatures()...))
			if tc.wantError {
				// FC gets the error and, for an async invocation, retries; the report is in the log.
				if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") || report != nil {
					t.Fatalf("FC = %v, %v; want no report and an error naming SignatureDoesNotMatch", report, err)
				}
				t.Logf("error: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("FC error %v, want the report", err)
			}
			e2eCheckReport(t, run, "fc-req-1")
			if len(report.Results) != 1 || report.Results[0].Reason != pairing.ReasonCredentials {
				t.Fatalf("results %+v, want one failed %s", report.Results, pairing.ReasonCredentials)
			}
			t.Logf("message: %s", report.Results[0].Message)
			if calls := emu.Calls(); calls.Errors["SignatureDoesNotMatch"] == 0 {
				t.Errorf("the emulator saw no bad signature: %+v", calls)
			}
		})
	}
}

// TestReportShape compares the JSON of real reports with the report of design.md
// (testdata/report-design.json, copied from it, with the health fields of its December
// contracts): the same field names with the same JSON types at every level, except that
// recoveryPointAgeSeconds is null when the API gives no recovery point. The documented extensions
// (results' instanceId for disks found through an instance, the top-level ignored list, a pair's
// statusMessage and replicaGroupId) may appear only when they carry something.
func TestReportShape(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "report-design.json"))
	if err != nil {
		t.Fatal(err)
	}
	var design map[string]any
	if err := json.Unmarshal(data, &design); err != nil {
		t.Fatal(err)
	}
	extensions := map[string]bool{"instanceId": true, "ignored": true, "statusMessage": true, "replicaGroupId": true}

	emu := e2eStartEmulator(t, emutest.World(
		emutest.Disk("d-bp1primary", "cn-hangzhou-h", emutest.OptIn(), emutest.Attached("i-bp1web")),
		emutest.Disk("d-uf6secondary", "cn-shanghai-b", emutest.BackRef("d-bp1primary")),
		emutest.Disk("d-bp1disabled", "cn-hangzhou-h")))
	cfg := e2eConfig(t, e2eEnv(emu.URL()))
	for _, payload := range []string{"batch-tagresources.json", "direct-instance.json", "direct-three.json"} {
		run := e2eInvoke(t, emu, cfg, e2eCredentials(), handler.Invocation{RequestID: "shape"}, e2ePayload(t, payload))
		if run.err != nil {
			t.Fatalf("%s: %v", payload, run.err)
		}
		raw, err := handler.MarshalReport(run.report)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		for _, diff := range e2eShapeDiffs("report", design, got, extensions) {
			t.Errorf("%s: %s", payload, diff)
		}
		if len(run.report.Results) == 0 {
			t.Errorf("%s: no results to compare", payload)
		}
	}
}

// e2eShapeDiffs lists where got's field names or JSON types differ from want's. Arrays are
// compared element by element with want's first element.
func e2eShapeDiffs(path string, want, got any, extensions map[string]bool) []string {
	kind := func(v any) string { return fmt.Sprintf("%T", v) }
	if got == nil && strings.HasSuffix(path, ".recoveryPointAgeSeconds") {
		return nil // null: no recovery point
	}
	if kind(want) != kind(got) {
		return []string{fmt.Sprintf("%s is a %s, the design has a %s", path, kind(got), kind(want))}
	}
	var diffs []string
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				diffs = append(diffs, fmt.Sprintf("%s.%s is missing", path, k))
				continue
			}
			diffs = append(diffs, e2eShapeDiffs(path+"."+k, wv, gv, extensions)...)
		}
		for k, gv := range g {
			if _, ok := w[k]; ok {
				continue
			}
			if !extensions[k] {
				diffs = append(diffs, fmt.Sprintf("%s.%s is not in the design", path, k))
			} else if gv == nil || gv == "" {
				diffs = append(diffs, fmt.Sprintf("%s.%s is present but empty", path, k))
			}
		}
	case []any:
		g := got.([]any)
		if len(w) > 0 {
			for i, gv := range g {
				diffs = append(diffs, e2eShapeDiffs(fmt.Sprintf("%s[%d]", path, i), w[0], gv, extensions)...)
			}
		}
	}
	return diffs
}
