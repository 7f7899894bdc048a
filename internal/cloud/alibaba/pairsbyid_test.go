package alibaba

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// PairsByID through the SDK against the emulator: one request whatever the region holds, the
// emulator's PairIds and Site production filters, and the requests it refuses to send.
func TestEmulatorPairsByID(t *testing.T) {
	t.Parallel()
	st := emutest.World()
	addPairs(st, 1100, "out", "cn-hangzhou-h", "cn-shanghai-b", false) // primary here: 3 listing pages
	addPairs(st, 20, "in", "cn-beijing-h", "cn-hangzhou-i", false)     // secondary here
	addPairs(st, 5, "lg", "cn-hangzhou-h", "cn-shanghai-b", true)      // the other family
	srv := emutest.Start(t, st)
	ids := func(prefix string, from, to int) []string {
		var out []string
		for i := from; i < to; i++ {
			out = append(out, fmt.Sprintf("%s%04d", prefix, i))
		}
		return out
	}

	cases := []struct {
		name     string
		family   string
		ids      []string
		want     []string // pair IDs returned, in any order
		wantCode string   // error code, "" for none
		calls    int      // requests sent
	}{
		{"three pairs of the region", APIEBS, []string{"pair-out0007", "pair-out1099", "pair-out0500"},
			[]string{"pair-out0007", "pair-out0500", "pair-out1099"}, "", 1},
		{"secondary here, unknown, other family: left out", APIEBS,
			[]string{"pair-out0001", "pair-in0003", "pair-nosuch", "rp-lg0001"}, []string{"pair-out0001"}, "", 1},
		{"100 IDs in one request", APIEBS, ids("pair-out", 0, 100), ids("pair-out", 0, 100), "", 1},
		{"101 IDs: refused", APIEBS, ids("pair-out", 0, 101), nil, codeInvalidInput, 0},
		{"an ID with a comma: refused", APIEBS, []string{"pair-out0001,pair-out0002"}, nil, codeInvalidInput, 0},
		{"an empty ID: refused", APIEBS, []string{"pair-out0001", ""}, nil, codeInvalidInput, 0},
		{"no IDs: nothing asked", APIEBS, nil, nil, "", 0},
		{"legacy family: unsupported", APIECS, []string{"rp-lg0001"}, nil, codeUnsupported, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.Calls().Calls
			ctx, trace := cloud.WithTrace(emuCtx(t))
			pairs, err := emuPool(t, srv, tc.family).Client(emuCreds).PairsByID(ctx, "cn-hangzhou", tc.ids)
			if codeOf(err) != tc.wantCode {
				t.Fatalf("error %v (code %q), want code %q", err, codeOf(err), tc.wantCode)
			}
			if tc.wantCode == codeUnsupported && !errors.Is(err, errors.ErrUnsupported) {
				t.Errorf("error %v does not wrap errors.ErrUnsupported", err)
			}
			var got []string
			for _, p := range pairs {
				got = append(got, p.ID)
				if p.SourceRegionID != "cn-hangzhou" || p.DestinationRegionID != "cn-shanghai" || p.Status != "normal" ||
					p.SourceDiskID == "" || p.DestinationDiskID == "" {
					t.Errorf("pair %+v", p)
				}
			}
			slices.Sort(got)
			if want := slices.Sorted(slices.Values(tc.want)); !slices.Equal(got, want) {
				t.Errorf("pairs %v, want %v", got, want)
			}
			after := srv.Calls().Calls
			sent := after["ebs/DescribeDiskReplicaPairs"] - before["ebs/DescribeDiskReplicaPairs"] +
				after["ecs/DescribeDiskReplicaPairs"] - before["ecs/DescribeDiskReplicaPairs"]
			if sent != tc.calls || trace.Calls() != tc.calls {
				t.Errorf("%d requests answered, %d traced, want %d", sent, trace.Calls(), tc.calls)
			}
			for _, a := range trace.Attempts() {
				if a.Action != "ebs:DescribeDiskReplicaPairs" || a.Region != "cn-hangzhou" || a.RequestID == "" {
					t.Errorf("traced %+v", a)
				}
			}
		})
	}
}
