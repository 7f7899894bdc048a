package pairing_test

import (
	"testing"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// The engine through the real SDK adapters against an emulator that follows the documented
// rules of issue 14 (platform-facts.md section 1, "Corrections and additions").

// fidelityWorld: an opted-in primary in src and a back-referenced secondary in dst.
func fidelityWorld(opts ...emutest.DiskOption) *emulator.State {
	p := emutest.Disk("d-bp1primary", srcZone, append([]emutest.DiskOption{emutest.OptIn(), emutest.Attached("i-bp1web")}, opts...)...)
	return emutest.World(p, emutest.Secondary(p, "d-uf6secondary", dstZone, emutest.BackRef(p.DiskID)))
}

func pairOnEmulator(t *testing.T, srv *emulator.Server, o pairing.Options, ids ...string) []pairing.Result {
	t.Helper()
	if len(ids) == 0 {
		ids = []string{"d-bp1primary"}
	}
	ctx := withTimeout(t, 20*time.Second)
	return pairing.New(emulatorAPI(t, srv, cloud.APIEBS, 3), o).Pair(ctx, []pairing.Target{{Region: src, DiskIDs: ids}})
}

func TestPrepayPairIsBoughtForAPeriod(t *testing.T) {
	for _, period := range []int{0, 12} { // 0: the default, one month
		srv := emutest.Start(t, fidelityWorld())
		o := testOptions()
		o.ChargeType = "PREPAY"
		setPeriod(&o, period)
		res := pairOnEmulator(t, srv, o)
		if r := res[0]; r.Outcome != pairing.Paired || !r.Started {
			t.Fatalf("PREPAY, period %d: %s/%s %s", period, r.Outcome, r.Reason, r.Message)
		}
		if p := srv.Snapshot().Pairs[0]; p.ChargeType != "PREPAY" {
			t.Fatalf("pair = %+v", p)
		}
	}
}
