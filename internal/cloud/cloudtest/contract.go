// Over 450 lines: one table of scenarios, the whole contract in one place to read.

// The contract every cloud.API keeps: the ABSR rules and API behaviour the
// engine relies on, written once as a table of scenarios. Run it against the SDK adapter talking
// to the emulator (the reference) and against any in-memory fake, so the two cannot drift apart.
//
//	cloudtest.Run(t, cloudtest.EBS, func(t *testing.T, w cloudtest.World) cloud.API { ... })
//
// The expected error codes are the documented ones per API family (platform-facts.md section 3).

package cloudtest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// The API families, named as ABSR_API names them.
const (
	EBS = "ebs" // EBS 2021-07-30
	ECS = "ecs" // the legacy ECS 2014-05-26 actions
)

// The regions and zones of every scenario.
const (
	Src, SrcZone = "cn-hangzhou", "cn-hangzhou-h"
	SrcZone2     = "cn-hangzhou-i"
	Dst, DstZone = "cn-shanghai", "cn-shanghai-b"
	// NoReplicationZone is a zone of Dst that worlds may list in UnsupportedZones.
	NoReplicationZone = "cn-shanghai-l"
	Far, FarZone      = "cn-beijing", "cn-beijing-h"
)

// World is the starting state of a scenario. Disk IDs are of the form d-bp1..., d-uf6...;
// pair IDs pair-.... A Pair's Status is of the family under test.
type World struct {
	Disks []cloud.Disk
	Pairs []cloud.Pair
	// UnsupportedZones are zones without async replication.
	UnsupportedZones []string
}

// NewAPI returns a cloud.API over a fresh cloud holding w, cleaned up when t ends.
type NewAPI func(t *testing.T, w World) cloud.API

// Run runs every scenario as a subtest, each against its own world. family is EBS or ECS: it
// picks the codes and statuses to expect and the scenarios that apply.
func Run(t *testing.T, family string, newAPI NewAPI) {
	t.Helper()
	codes, ok := familyCodes[family]
	if !ok {
		t.Fatalf("cloudtest: unknown API family %q", family)
	}
	for _, sc := range scenarios {
		if sc.family != "" && sc.family != family {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			w := World{}
			if sc.world != nil {
				w = sc.world(family)
			}
			sc.run(t, &env{T: t, api: newAPI(t, w), codes: codes, family: family})
		})
	}
}

// codes are the answers a family gives to the same rule.
type codes struct {
	diskNotFound, pairNotFound string
	rule                       string // kind, region or specification of the disks
	diskStatus                 string // a disk in transition
	pairStatus                 string // a pair in a status that does not allow the action
	inPair                     string // a disk already in a pair
	attached                   string // starting with the secondary attached
	created, started           string // pair statuses after create and start
}

var familyCodes = map[string]codes{
	EBS: {diskNotFound: "NoSuchResource", pairNotFound: "NoSuchResource", rule: "OperationDenied",
		diskStatus: "OperationDenied.InvalidStatus", pairStatus: "OperationDenied.InvalidStatus",
		inPair: "OperationDenied", attached: "OperationDenied.StandbyDeviceAttached",
		created: "created", started: "initial_syncing"},
	ECS: {diskNotFound: "InvalidDiskId.NotFound", pairNotFound: "InvalidReplicaPairId.NotFound",
		rule: "InvalidParamter", diskStatus: "IncorrectDiskStatus", pairStatus: "OperationDenied.InvalidStatus",
		inPair: "OperationDenied", attached: "OperationDenied.StandbyDeviceAttached",
		created: "inactive", started: "active"},
}

type env struct {
	*testing.T
	api    cloud.API
	codes  codes
	family string
}

func (e *env) ctx() context.Context { return e.Context() }

// code fails unless err is a *cloud.Error with that code and the Kind the engine decides by.
func (e *env) code(what string, err error, want string) {
	e.Helper()
	kind, ok := kinds[want]
	if !ok {
		e.Fatalf("cloudtest: no Kind for code %q", want)
	}
	var ce *cloud.Error
	if !errors.As(err, &ce) || ce.Code != want || ce.Kind != kind {
		e.Errorf("%s: %v, want a *cloud.Error with code %q and kind %q", what, err, want, kind)
	}
}

// kinds are the kinds of the codes the scenarios expect: what the engine must be told.
var kinds = map[string]cloud.Kind{
	"NoSuchResource":                        cloud.KindNotFound,
	"InvalidDiskId.NotFound":                cloud.KindNotFound,
	"InvalidReplicaPairId.NotFound":         cloud.KindNotFound,
	"InvalidResourceId.NotFound":            cloud.KindNotFound,
	"OperationDenied.InvalidStatus":         cloud.KindInvalidStatus,
	"IncorrectDiskStatus":                   cloud.KindInvalidStatus,
	"OperationDenied.StandbyDeviceAttached": cloud.KindSecondaryAttached,
	"IdempotentParameterMismatch":           cloud.KindIdempotencyConflict,
	"OperationDenied":                       cloud.KindUnknown, // a rule of the pair, or a disk already paired
	"InvalidParamter":                       cloud.KindUnknown, // sic: the legacy family's rule violations
}

func (e *env) ok(what string, err error) {
	e.Helper()
	if err != nil {
		e.Fatalf("%s: %v", what, err)
	}
}

// disks reads ids in region and returns them by ID.
func (e *env) disks(region string, ids ...string) map[string]cloud.Disk {
	e.Helper()
	got, err := e.api.DescribeDisks(e.ctx(), region, ids)
	e.ok("DescribeDisks", err)
	out := map[string]cloud.Disk{}
	for _, d := range got {
		out[d.ID] = d
	}
	return out
}

// pairs lists region's pairs by ID.
func (e *env) pairs(region string) map[string]cloud.Pair {
	e.Helper()
	got, err := e.api.ListPairs(e.ctx(), region)
	e.ok("ListPairs", err)
	out := map[string]cloud.Pair{}
	for _, p := range got {
		if _, dup := out[p.ID]; dup {
			e.Errorf("ListPairs(%s) lists %s twice", region, p.ID)
		}
		out[p.ID] = p
	}
	return out
}

// Disk is an Available, untagged cloud_essd PL1 100 GiB data disk, pay-as-you-go.
func Disk(id, region, zone string, opts ...func(*cloud.Disk)) cloud.Disk {
	d := cloud.Disk{ID: id, RegionID: region, ZoneID: zone, Category: "cloud_essd", PerformanceLevel: "PL1",
		Size: 100, Type: "data", Status: "Available", ChargeType: "PostPaid", Tags: map[string]string{}}
	for _, o := range opts {
		o(&d)
	}
	return d
}

func tags(kv ...string) func(*cloud.Disk) {
	return func(d *cloud.Disk) {
		for i := 0; i+1 < len(kv); i += 2 {
			d.Tags[kv[i]] = kv[i+1]
		}
	}
}

func spec(category, pl string, size int) func(*cloud.Disk) {
	return func(d *cloud.Disk) { d.Category, d.PerformanceLevel, d.Size = category, pl, size }
}

func attached(instance string) func(*cloud.Disk) {
	return func(d *cloud.Disk) { d.InstanceID, d.Status = instance, "In_use" }
}

func status(s string) func(*cloud.Disk) { return func(d *cloud.Disk) { d.Status = s } }

func named(n string) func(*cloud.Disk) { return func(d *cloud.Disk) { d.Name = n } }

// pair is a pair between two disks of the world in the family's started status.
func pair(family, id string, p, s cloud.Disk) cloud.Pair {
	return cloud.Pair{ID: id, Name: "n-" + id, Status: familyCodes[family].started, SourceDiskID: p.ID,
		SourceRegionID: p.RegionID, SourceZoneID: p.ZoneID, DestinationDiskID: s.ID,
		DestinationRegionID: s.RegionID, DestinationZoneID: s.ZoneID}
}

// pairInput asks for a pair of p and s.
func pairInput(p, s cloud.Disk, token string) cloud.CreatePairInput {
	return cloud.CreatePairInput{RegionID: p.RegionID, DiskID: p.ID, SourceZoneID: p.ZoneID,
		DestinationRegionID: s.RegionID, DestinationZoneID: s.ZoneID, DestinationDiskID: s.ID,
		Name: "absr-" + p.ID, ChargeType: "POSTPAY", RPO: 900, ClientToken: token}
}

type scenario struct {
	name   string
	family string // "": both families
	world  func(family string) World
	run    func(t *testing.T, e *env)
}

// The disks most scenarios start from.
var (
	primary   = Disk("d-bp1primary", Src, SrcZone, attached("i-bp1web"), tags("dr", "enabled"), named("data-01"))
	secondary = Disk("d-uf6secondary", Dst, DstZone)
)

func twoDisks(extra ...cloud.Disk) func(string) World {
	return func(string) World { return World{Disks: append([]cloud.Disk{primary, secondary}, extra...)} }
}

var scenarios = []scenario{
	{name: "DescribeDisksLeavesUnknownAndOtherRegionsOut", world: twoDisks(Disk("d-2zefar", Far, FarZone)),
		run: func(t *testing.T, e *env) {
			got := e.disks(Src, primary.ID, "d-bp1unknown", secondary.ID, "d-2zefar")
			if want := map[string]cloud.Disk{primary.ID: primary}; !equalDisks(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			if got := e.disks(Src); len(got) != 0 {
				t.Errorf("no IDs: %v", got)
			}
		}},
	{name: "DescribeDisksAnyNumberOfIDsOnceEach", world: func(string) World {
		var w World
		for i := range 150 {
			w.Disks = append(w.Disks, Disk(fmt.Sprintf("d-bp1many%04d", i), Src, SrcZone))
		}
		return w
	}, run: func(t *testing.T, e *env) {
		var ids []string
		for i := range 160 { // ten of them unknown
			ids = append(ids, fmt.Sprintf("d-bp1many%04d", i))
		}
		ids = append(ids, "d-bp1many0003", " ", "", "d-bp1many0149") // repeats and blanks
		got, err := e.api.DescribeDisks(e.ctx(), Src, ids)
		e.ok("DescribeDisks", err)
		if n, distinct := len(got), len(slices.Compact(diskIDs(got))); n != 150 || distinct != 150 {
			t.Errorf("%d disks, %d distinct; want each of the 150 once", n, distinct)
		}
	}},
	{name: "InstanceDisksListsOnlyThatInstance",
		world: twoDisks(Disk("d-bp1other", Src, SrcZone, attached("i-bp1other")), Disk("d-bp1second", Src, SrcZone, attached("i-bp1web"))),
		run: func(t *testing.T, e *env) {
			got, err := e.api.InstanceDisks(e.ctx(), Src, "i-bp1web")
			e.ok("InstanceDisks", err)
			if ids := diskIDs(got); !slices.Equal(ids, []string{"d-bp1primary", "d-bp1second"}) {
				t.Errorf("disks %v", ids)
			}
			got, err = e.api.InstanceDisks(e.ctx(), Src, "i-bp1none")
			e.ok("InstanceDisks", err)
			if len(got) != 0 {
				t.Errorf("unknown instance: %v", diskIDs(got))
			}
		}},
	{name: "DisksByTagFiltersAndPages", world: func(string) World {
		var w World
		for i := range 230 {
			opt := tags("dr", "enabled")
			switch i % 3 {
			case 1:
				opt = tags("dr", "later")
			case 2:
				opt = tags("other", "x")
			}
			w.Disks = append(w.Disks, Disk(fmt.Sprintf("d-bp1tag%04d", i), Src, SrcZone, opt))
		}
		w.Disks = append(w.Disks, Disk("d-2zetagged", Far, FarZone, tags("dr", "enabled")))
		return w
	}, run: func(t *testing.T, e *env) {
		count := func(key, value string) (pages []int, ids []string) {
			err := e.api.DisksByTag(e.ctx(), Src, key, value, func(page []cloud.Disk) error {
				pages = append(pages, len(page))
				for _, d := range page {
					if v, ok := d.Tags[key]; !ok || value != "" && v != value || d.RegionID != Src {
						t.Errorf("%s=%s listed %+v", key, value, d)
					}
					ids = append(ids, d.ID)
				}
				return nil
			})
			e.ok("DisksByTag", err)
			return pages, ids
		}
		// The adapter asks for pages of 100; a fake pages the same way.
		if pages, ids := count("dr", "enabled"); !slices.Equal(pages, []int{77}) || len(ids) != 77 {
			t.Errorf("dr=enabled: pages %v", pages)
		}
		pages, ids := count("dr", "")
		if !slices.Equal(pages, []int{100, 54}) {
			t.Errorf("dr=*: pages %v", pages)
		}
		slices.Sort(ids)
		if len(slices.Compact(ids)) != 154 {
			t.Errorf("dr=*: %d distinct disks, want 154", len(ids))
		}
		if pages, _ := count("absent", ""); len(pages) > 1 || len(pages) == 1 && pages[0] != 0 {
			t.Errorf("no match: pages %v", pages)
		}
	}},
	{name: "CreateDiskIdempotentByClientToken", run: func(t *testing.T, e *env) {
		in := cloud.CreateDiskInput{RegionID: Dst, ZoneID: DstZone, Category: "cloud_essd", PerformanceLevel: "PL1",
			Size: 100, Name: "absr-secondary", Tags: map[string]string{"dr:primary-disk": primary.ID}, ClientToken: "tok-disk-1"}
		id, err := e.api.CreateDisk(e.ctx(), in)
		e.ok("CreateDisk", err)
		again, err := e.api.CreateDisk(e.ctx(), in)
		if err != nil || again != id {
			t.Errorf("same token, same parameters: %q, %v; want %q", again, err, id)
		}
		got := e.disks(Dst, id)[id]
		if got.ZoneID != DstZone || got.Category != "cloud_essd" || got.PerformanceLevel != "PL1" || got.Size != 100 ||
			got.Type != "data" || got.InstanceID != "" || got.Tags["dr:primary-disk"] != primary.ID || got.Name != "absr-secondary" {
			t.Errorf("created disk %+v", got)
		}
		other := in
		other.Size = 200
		_, err = e.api.CreateDisk(e.ctx(), other)
		e.code("same token, other parameters", err, "IdempotentParameterMismatch")
		in.ClientToken = "tok-disk-2"
		third, err := e.api.CreateDisk(e.ctx(), in)
		e.ok("CreateDisk with a new token", err)
		if third == id {
			t.Errorf("a new token gave the same disk %s", id)
		}
	}},
	{name: "TagDisksOverwritesAndKeepsOthers", world: twoDisks(), run: func(t *testing.T, e *env) {
		e.ok("TagDisks", e.api.TagDisks(e.ctx(), Src, []string{primary.ID}, map[string]string{"dr": "done", "dr:paired-with": secondary.ID}))
		got := e.disks(Src, primary.ID)[primary.ID].Tags
		if want := map[string]string{"dr": "done", "dr:paired-with": secondary.ID}; !maps.Equal(got, want) {
			t.Errorf("tags %v, want %v", got, want)
		}
		err := e.api.TagDisks(e.ctx(), Src, []string{primary.ID, "d-bp1unknown"}, map[string]string{"x": "y"})
		e.code("an unknown disk", err, "InvalidResourceId.NotFound")
		if got := e.disks(Src, primary.ID)[primary.ID].Tags; got["x"] != "" {
			t.Errorf("a refused TagDisks tagged %v", got)
		}
		err = e.api.TagDisks(e.ctx(), Dst, []string{primary.ID}, map[string]string{"x": "y"})
		e.code("a disk of another region", err, "InvalidResourceId.NotFound")
	}},
	{name: "ListPairsEitherEnd", world: func(f string) World {
		a, b := Disk("d-bp1a", Src, SrcZone), Disk("d-uf6a", Dst, DstZone)
		c, d := Disk("d-2zec", Far, FarZone), Disk("d-bp1d", Src, SrcZone)
		x, y := Disk("d-2zex", Far, FarZone), Disk("d-uf6y", Dst, DstZone)
		return World{Disks: []cloud.Disk{a, b, c, d, x, y},
			Pairs: []cloud.Pair{pair(f, "pair-out", a, b), pair(f, "pair-in", c, d), pair(f, "pair-elsewhere", x, y)}}
	}, run: func(t *testing.T, e *env) {
		got := e.pairs(Src)
		if ids := slices.Sorted(maps.Keys(got)); !slices.Equal(ids, []string{"pair-in", "pair-out"}) {
			t.Fatalf("pairs %v", ids)
		}
		want := cloud.Pair{ID: "pair-out", Name: "n-pair-out", Status: e.codes.started, SourceDiskID: "d-bp1a",
			SourceRegionID: Src, SourceZoneID: SrcZone, DestinationDiskID: "d-uf6a", DestinationRegionID: Dst, DestinationZoneID: DstZone}
		if got["pair-out"] != want {
			t.Errorf("got  %+v\nwant %+v", got["pair-out"], want)
		}
	}},
	{name: "PairsByIDPrimaryRegionOnly", family: EBS, world: func(f string) World {
		a, b := Disk("d-bp1a", Src, SrcZone), Disk("d-uf6a", Dst, DstZone)
		c, d := Disk("d-2zec", Far, FarZone), Disk("d-bp1d", Src, SrcZone)
		return World{Disks: []cloud.Disk{a, b, c, d}, Pairs: []cloud.Pair{pair(f, "pair-out", a, b), pair(f, "pair-in", c, d)}}
	}, run: func(t *testing.T, e *env) {
		got, err := e.api.PairsByID(e.ctx(), Src, []string{"pair-out", "pair-in", "pair-unknown"})
		e.ok("PairsByID", err)
		if len(got) != 1 || got[0].ID != "pair-out" || got[0].DestinationDiskID != "d-uf6a" {
			t.Errorf("pairs %+v, want only pair-out", got)
		}
		got, err = e.api.PairsByID(e.ctx(), Src, nil)
		if err != nil || len(got) != 0 {
			t.Errorf("no IDs: %v %v", got, err)
		}
		many := make([]string, cloud.MaxPairIDs+1)
		for i := range many {
			many[i] = fmt.Sprintf("pair-%d", i)
		}
		if _, err := e.api.PairsByID(e.ctx(), Src, many); err == nil {
			t.Errorf("%d IDs accepted", len(many))
		}
	}},
	{name: "PairsByIDUnsupported", family: ECS, run: func(t *testing.T, e *env) {
		_, err := e.api.PairsByID(e.ctx(), Src, []string{"pair-x"})
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("legacy PairsByID: %v, want errors.ErrUnsupported", err)
		}
	}},
	{name: "CreateAndStartPair", world: twoDisks(), run: func(t *testing.T, e *env) {
		id, err := e.api.CreatePair(e.ctx(), pairInput(primary, secondary, "tok-pair-1"))
		e.ok("CreatePair", err)
		want := cloud.Pair{ID: id, Name: "absr-" + primary.ID, Status: e.codes.created, SourceDiskID: primary.ID,
			SourceRegionID: Src, SourceZoneID: SrcZone, DestinationDiskID: secondary.ID, DestinationRegionID: Dst, DestinationZoneID: DstZone}
		for _, region := range []string{Src, Dst} {
			if got := e.pairs(region)[id]; got != want {
				t.Errorf("ListPairs(%s): got %+v\nwant %+v", region, got, want)
			}
		}
		e.ok("StartPair", e.api.StartPair(e.ctx(), Src, id, "tok-start-1"))
		if got := e.pairs(Src)[id].Status; got != e.codes.started {
			t.Errorf("status after start %q, want %q", got, e.codes.started)
		}
		e.code("starting a started pair", e.api.StartPair(e.ctx(), Src, id, "tok-start-2"), e.codes.pairStatus)
		e.code("an unknown pair", e.api.StartPair(e.ctx(), Src, "pair-unknown", "tok-start-3"), e.codes.pairNotFound)
	}},
	{name: "PairClientTokens", family: EBS, world: twoDisks(Disk("d-uf6other", Dst, DstZone)),
		run: func(t *testing.T, e *env) {
			in := pairInput(primary, secondary, "tok-pair-1")
			id, err := e.api.CreatePair(e.ctx(), in)
			e.ok("CreatePair", err)
			again, err := e.api.CreatePair(e.ctx(), in)
			if err != nil || again != id {
				t.Errorf("same token, same parameters: %q, %v; want %q", again, err, id)
			}
			other := pairInput(primary, Disk("d-uf6other", Dst, DstZone), "tok-pair-1")
			_, err = e.api.CreatePair(e.ctx(), other)
			e.code("same token, other parameters", err, "IdempotentParameterMismatch")
			if n := len(e.pairs(Src)); n != 1 {
				t.Errorf("%d pairs after a repeated create, want 1", n)
			}
			e.ok("StartPair", e.api.StartPair(e.ctx(), Src, id, "tok-start-1"))
			e.ok("StartPair repeated with its token", e.api.StartPair(e.ctx(), Src, id, "tok-start-1"))
		}},
	{name: "OnePairPerDisk", world: func(f string) World {
		taken := Disk("d-uf6taken", Dst, DstZone)
		busy := Disk("d-bp1busy", Src, SrcZone)
		return World{Disks: []cloud.Disk{primary, secondary, taken, busy, Disk("d-uf6free", Dst, DstZone)},
			Pairs: []cloud.Pair{pair(f, "pair-existing", busy, taken)}}
	}, run: func(t *testing.T, e *env) {
		_, err := e.api.CreatePair(e.ctx(), pairInput(primary, Disk("d-uf6taken", Dst, DstZone), "tok-1"))
		e.code("secondary already in a pair", err, e.codes.inPair)
		_, err = e.api.CreatePair(e.ctx(), pairInput(Disk("d-bp1busy", Src, SrcZone), Disk("d-uf6free", Dst, DstZone), "tok-2"))
		e.code("primary already in a pair", err, e.codes.inPair)
		id, err := e.api.CreatePair(e.ctx(), pairInput(primary, secondary, "tok-3"))
		e.ok("CreatePair", err)
		_, err = e.api.CreatePair(e.ctx(), pairInput(primary, Disk("d-uf6free", Dst, DstZone), "tok-4"))
		e.code("primary paired a moment ago", err, e.codes.inPair)
		if n := len(e.pairs(Src)); n != 2 {
			t.Errorf("%d pairs, want 2 (pair-existing and %s)", n, id)
		}
	}},
	{name: "SecondaryRules", world: twoDisks(
		Disk("d-uf6pl0", Dst, DstZone, spec("cloud_essd", "PL0", 100)),
		Disk("d-uf6big", Dst, DstZone, spec("cloud_essd", "PL1", 200)),
		Disk("d-uf6auto", Dst, DstZone, spec("cloud_auto", "", 100)),
		Disk("d-bp1samezone", Src, SrcZone),
		Disk("d-bp1eff", Src, SrcZone, spec("cloud_efficiency", "", 100)),
		Disk("d-uf6eff", Dst, DstZone, spec("cloud_efficiency", "", 100)),
		Disk("d-uf6creating", Dst, DstZone, status("Creating")),
		Disk("d-uf6reiniting", Dst, DstZone, status("ReIniting")),
	), run: func(t *testing.T, e *env) {
		for _, tc := range []struct {
			what     string
			p, s     string
			pr, sr   string
			wantCode string
		}{
			{"other performance level", primary.ID, "d-uf6pl0", Src, Dst, e.codes.rule},
			{"other size", primary.ID, "d-uf6big", Src, Dst, e.codes.rule},
			{"other category", primary.ID, "d-uf6auto", Src, Dst, e.codes.rule},
			// The same zone is never allowed; another zone of the same region is (SameRegionOtherZone).
			{"secondary in the primary's zone", primary.ID, "d-bp1samezone", Src, Src, e.codes.rule},
			{"unsupported category", "d-bp1eff", "d-uf6eff", Src, Dst, e.codes.rule},
			{"secondary Creating", primary.ID, "d-uf6creating", Src, Dst, e.codes.diskStatus},
			{"secondary ReIniting", primary.ID, "d-uf6reiniting", Src, Dst, e.codes.diskStatus},
			{"unknown secondary", primary.ID, "d-uf6unknown", Src, Dst, e.codes.diskNotFound},
			{"secondary named in the wrong region", primary.ID, secondary.ID, Src, Far, e.codes.diskNotFound},
			{"unknown primary", "d-bp1unknown", secondary.ID, Src, Dst, e.codes.diskNotFound},
		} {
			in := pairInput(Disk(tc.p, tc.pr, zoneOf(tc.pr)), Disk(tc.s, tc.sr, zoneOf(tc.sr)), "tok-"+tc.s)
			_, err := e.api.CreatePair(e.ctx(), in)
			e.code(tc.what, err, tc.wantCode)
		}
		if n := len(e.pairs(Src)); n != 0 {
			t.Errorf("%d pairs after refused creates", n)
		}
	}},
	{name: "SameRegionOtherZone", world: twoDisks(Disk("d-bp1otherzone", Src, SrcZone2)), run: func(t *testing.T, e *env) {
		other := Disk("d-bp1otherzone", Src, SrcZone2)
		id, err := e.api.CreatePair(e.ctx(), pairInput(primary, other, "tok-1"))
		e.ok("CreatePair to another zone of the region", err)
		got := e.pairs(Src)[id]
		if got.DestinationDiskID != other.ID || got.DestinationRegionID != Src || got.DestinationZoneID != SrcZone2 || got.Status != e.codes.created {
			t.Errorf("pair %+v", got)
		}
		e.ok("StartPair", e.api.StartPair(e.ctx(), Src, id, "tok-start-1"))
	}},
	{name: "StartFromEitherRegion", family: EBS, world: twoDisks(Disk("d-bp1third", Src, SrcZone), Disk("d-uf6third", Dst, DstZone)),
		run: func(t *testing.T, e *env) {
			id, err := e.api.CreatePair(e.ctx(), pairInput(primary, secondary, "tok-1"))
			e.ok("CreatePair", err)
			e.ok("StartPair in the secondary's region", e.api.StartPair(e.ctx(), Dst, id, "tok-start-1"))
			if got := e.pairs(Src)[id].Status; got != e.codes.started {
				t.Errorf("status %q, want %q", got, e.codes.started)
			}
			other, err := e.api.CreatePair(e.ctx(), pairInput(Disk("d-bp1third", Src, SrcZone), Disk("d-uf6third", Dst, DstZone), "tok-2"))
			e.ok("CreatePair", err)
			e.code("StartPair in a third region", e.api.StartPair(e.ctx(), Far, other, "tok-start-2"), e.codes.pairNotFound)
		}},
	{name: "StartOnlyFromThePrimarysRegion", family: ECS, world: twoDisks(), run: func(t *testing.T, e *env) {
		id, err := e.api.CreatePair(e.ctx(), pairInput(primary, secondary, "tok-1"))
		e.ok("CreatePair", err)
		e.code("StartPair in the secondary's region", e.api.StartPair(e.ctx(), Dst, id, "tok-start-1"), e.codes.pairNotFound)
		e.ok("StartPair in the primary's region", e.api.StartPair(e.ctx(), Src, id, "tok-start-2"))
	}},
	{name: "ReplicationZonesLeaveUnsupportedOut", family: EBS, world: func(string) World {
		return World{Disks: []cloud.Disk{primary, secondary, Disk("d-uf6nozone", Dst, NoReplicationZone)},
			UnsupportedZones: []string{NoReplicationZone}}
	}, run: func(t *testing.T, e *env) {
		zones, err := e.api.ReplicationZones(e.ctx(), Src)
		e.ok("ReplicationZones", err)
		if !slices.Contains(zones[Src], SrcZone) || !slices.Contains(zones[Dst], DstZone) || slices.Contains(zones[Dst], NoReplicationZone) {
			t.Errorf("zones %v: want %s and %s, without %s", zones, SrcZone, DstZone, NoReplicationZone)
		}
		_, err = e.api.CreatePair(e.ctx(), pairInput(primary, Disk("d-uf6nozone", Dst, NoReplicationZone), "tok-1"))
		e.code("CreatePair into a zone without async replication", err, e.codes.rule)
	}},
	{name: "ReplicationZonesUnsupported", family: ECS, run: func(t *testing.T, e *env) {
		if _, err := e.api.ReplicationZones(e.ctx(), Src); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("legacy ReplicationZones: %v, want errors.ErrUnsupported", err)
		}
	}},
	{name: "StartRefusedWhileSecondaryAttached", world: twoDisks(Disk("d-uf6attached", Dst, DstZone, attached("i-uf6standby"))),
		run: func(t *testing.T, e *env) {
			id, err := e.api.CreatePair(e.ctx(), pairInput(primary, Disk("d-uf6attached", Dst, DstZone), "tok-1"))
			e.ok("CreatePair with an attached secondary", err)
			e.code("StartPair", e.api.StartPair(e.ctx(), Src, id, "tok-start-1"), e.codes.attached)
			if got := e.pairs(Src)[id].Status; got != e.codes.created {
				t.Errorf("status after a refused start %q, want %q", got, e.codes.created)
			}
		}},
}

func zoneOf(region string) string {
	return map[string]string{Src: SrcZone, Dst: DstZone, Far: FarZone}[region]
}

func diskIDs(ds []cloud.Disk) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.ID)
	}
	slices.Sort(out)
	return out
}

// equalDisks compares disks field by field, an empty tag map equal to none.
func equalDisks(a, b map[string]cloud.Disk) bool {
	if len(a) != len(b) {
		return false
	}
	for id, x := range a {
		y, ok := b[id]
		if !ok || !maps.Equal(x.Tags, y.Tags) {
			return false
		}
		x.Tags, y.Tags = nil, nil
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}
