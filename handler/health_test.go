package handler_test

import (
	"testing"

	"github.com/absr-autopair/absr-autopair/handler"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

// A sweep logs one WARN line per lagging or unhealthy pair, with the disk, the pair, its status and
// StatusMessage, so that an SLS alert on the lines as written can page someone; a healthy pair's
// line is INFO. The README's alert queries filter on exactly these fields.
func TestHealthWarnLines(t *testing.T) {
	t.Parallel()
	ok := emutest.Disk("d-bp1ok", "cn-hangzhou-h", emutest.OptIn(), emutest.Tags("dr:replica-pair", "pair-cn-ok"))
	lag := emutest.Disk("d-bp1lag", "cn-hangzhou-h", emutest.OptIn(), emutest.Tags("dr:replica-pair", "pair-cn-lag"))
	bad := emutest.Disk("d-bp1bad", "cn-hangzhou-h", emutest.OptIn(), emutest.Tags("dr:replica-pair", "pair-cn-bad"))
	st := emutest.World(ok, lag, bad,
		emutest.Secondary(ok, "d-uf6ok", "cn-shanghai-b"), emutest.Secondary(lag, "d-uf6lag", "cn-shanghai-b"),
		emutest.Secondary(bad, "d-uf6bad", "cn-shanghai-b"))
	okPair := emutest.Pair("pair-cn-ok", ok, st.Disks[3], "normal")
	lagPair := emutest.Pair("pair-cn-lag", lag, st.Disks[4], "normal")
	lagPair.LastRecoverPoint, lagPair.PinRecoveryPoint = 1_000_000_000, true
	badPair := emutest.Pair("pair-cn-bad", bad, st.Disks[5], "invalid")
	badPair.StatusMessage = "DeviceSizeChanged"
	st.Pairs = append(st.Pairs, okPair, lagPair, badPair)

	emu := e2eStartEmulator(t, st)
	cfg := e2eConfig(t, e2eEnv(emu.URL()))
	run := e2eInvoke(t, emu, cfg, e2eCredentials(), handler.Invocation{RequestID: "health"}, e2ePayload(t, "timer-hangzhou.json"))
	if run.err != nil {
		t.Fatal(run.err)
	}
	if s := run.report.Summary; s.AlreadyPaired != 3 || s.Healthy != 1 || s.Lagging != 1 || s.Unhealthy != 1 {
		t.Errorf("summary %+v, want 3 already_paired: 1 healthy, 1 lagging, 1 unhealthy", s)
	}
	want := map[string]struct{ level, health, pair, status, message string }{
		"d-bp1ok":  {"INFO", "ok", "pair-cn-ok", "normal", ""},
		"d-bp1lag": {"WARN", "lagging", "pair-cn-lag", "normal", ""},
		"d-bp1bad": {"WARN", "unhealthy", "pair-cn-bad", "invalid", "DeviceSizeChanged"},
	}
	seen := map[string]int{}
	for _, line := range run.log.Lines(t) {
		if line["msg"] != "disk" {
			continue
		}
		id, _ := line["diskId"].(string)
		w, ok := want[id]
		if !ok {
			t.Errorf("a disk line for %q", id)
			continue
		}
		seen[id]++
		if line["level"] != w.level || line["health"] != w.health || line["replicaPairId"] != w.pair ||
			line["pairStatus"] != w.status || line["statusMessage"] != w.message {
			t.Errorf("%s: line %v, want %s health=%s pair=%s status=%s statusMessage=%q", id, line, w.level, w.health, w.pair, w.status, w.message)
		}
		// The invalid pair never had a recovery point: the attribute is left out, as the report's is null.
		age, isNumber := line["recoveryPointAgeSeconds"].(float64)
		if id != "d-bp1bad" && !isNumber || id == "d-bp1lag" && age <= 1800 || id == "d-bp1bad" && isNumber {
			t.Errorf("%s: recoveryPointAgeSeconds %v, want a number (over 1800 when lagging), none for the invalid pair", id, line["recoveryPointAgeSeconds"])
		}
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("%s: %d disk lines, want 1", id, seen[id])
		}
	}
}
