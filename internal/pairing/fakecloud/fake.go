// Over 450 lines: one model of every cloud.API call with its rules, tokens, faults and counts.

// Package fakecloud is an in-memory cloud.API for tests: a small, faithful model of the ECS
// disks and ABSR pairs the engine works with, in the EBS family. It enforces the ABSR rules (one
// pair per disk, same category/PL/size, supported category, another zone or region, both disks
// settled (In_use or Available), unattached secondary at start, started from the region of
// either disk), honours ClientTokens like the real API (same token and parameters: the first
// answer; same token, other parameters: IdempotentParameterMismatch), counts calls per method,
// and can inject errors, delays and eventual consistency (disks hidden or Creating for a few
// reads).
//
// The emulator is the reference: internal/cloud/cloudtest runs the same contract against this
// fake and against the SDK adapter talking to the emulator, so a rule changed in one and not the
// other fails TestContractFakecloud or TestContractAdapterOverEmulator.
package fakecloud

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// Method names, as counted by Calls.
const (
	DescribeDisks = "DescribeDisks"
	InstanceDisks = "InstanceDisks"
	DisksByTag    = "DisksByTag" // counted once per page, as each page is one request
	CreateDisk    = "CreateDisk"
	TagDisks      = "TagDisks"
	ListPairs     = "ListPairs"
	PairsByID     = "PairsByID"
	ZonesByRegion = "ReplicationZones"
	CreatePair    = "CreatePair"
	StartPair     = "StartPair"
)

// DefaultPageSize is the DisksByTag page size unless Cloud.PageSize says otherwise: 100, what
// the SDK adapter asks DescribeDisks for (MaxResults), not the API's default of 10.
const DefaultPageSize = 100

// Changing lists the methods that change cloud state.
var Changing = []string{CreateDisk, TagDisks, CreatePair, StartPair}

// newErr is a service error as the adapters return it: non-retryable, as every code the fake
// answers by itself is (inject retryable ones with Fail).
func newErr(kind cloud.Kind, code, format string, args ...any) *cloud.Error {
	return &cloud.Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...), HTTPStatus: 400}
}

type fault struct {
	err   error
	skip  int // calls to let through first
	times int // < 0: always
}

type answer struct {
	params string
	result string
}

// Cloud is the fake. The zero value is not usable; call New.
type Cloud struct {
	// PageSize is the DisksByTag page size; 0 means DefaultPageSize.
	PageSize int
	// NewPairCreatingFor keeps a new pair `creating` (refusing StartPair with
	// OperationDenied.InvalidStatus) for that many StartPair calls or PairsByID reads of it
	// before it becomes `created`.
	NewPairCreatingFor int
	// UnsupportedZones are zones ReplicationZones leaves out (async replication unavailable) and
	// CreatePair refuses; every other zone of a disk the fake holds is listed.
	UnsupportedZones []string
	// NoPairIDs models the legacy API family, which cannot look pairs up by ID: PairsByID
	// answers cloud.KindUnsupported at once, like the adapter, and is not counted as a call.
	NoPairIDs bool

	mu        sync.Mutex
	disks     map[string]*cloud.Disk
	order     []string // disk IDs in creation order, for stable listings
	pairs     map[string]*cloud.Pair
	pairOrder []string
	hidden    map[string]int // disk ID -> reads it stays invisible for
	creating  map[string]int // disk ID -> reads it stays Creating for
	pairWait  map[string]int // pair ID -> StartPair calls it stays creating for
	tokens    map[string]answer
	calls     map[string]int
	faults    map[string][]*fault
	delays    map[string]time.Duration
	inFlight  map[string]int
	maxFlight map[string]int
	flight    int
	maxTotal  int
	seq       int
}

// New returns an empty fake cloud.
func New() *Cloud {
	return &Cloud{
		disks: map[string]*cloud.Disk{}, pairs: map[string]*cloud.Pair{},
		hidden: map[string]int{}, creating: map[string]int{}, pairWait: map[string]int{},
		tokens: map[string]answer{}, calls: map[string]int{}, faults: map[string][]*fault{},
		delays: map[string]time.Duration{}, inFlight: map[string]int{}, maxFlight: map[string]int{},
	}
}

// AddDisk adds (or replaces) a disk. Tags are copied.
func (c *Cloud) AddDisk(d cloud.Disk) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d.Tags = maps.Clone(d.Tags)
	if d.Tags == nil {
		d.Tags = map[string]string{}
	}
	if _, ok := c.disks[d.ID]; !ok {
		c.order = append(c.order, d.ID)
	}
	c.disks[d.ID] = &d
}

// AddPair adds an existing pair.
func (c *Cloud) AddPair(p cloud.Pair) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pairs[p.ID]; !ok {
		c.pairOrder = append(c.pairOrder, p.ID)
	}
	c.pairs[p.ID] = &p
}

// Hide keeps disk id out of every read for the next reads reads that would have shown it.
func (c *Cloud) Hide(id string, reads int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hidden[id] = reads
}

// CreatingFor reports disk id as Creating for the next reads reads that show it.
func (c *Cloud) CreatingFor(id string, reads int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.creating[id] = reads
}

// Fail makes the next times calls of method fail with err (times < 0: every call).
func (c *Cloud) Fail(method string, err error, times int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults[method] = append(c.faults[method], &fault{err: err, times: times})
}

// FailNth makes call number n (1-based, counted from now) of method fail with err.
func (c *Cloud) FailNth(method string, n int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults[method] = append(c.faults[method], &fault{err: err, skip: n - 1, times: 1})
}

// Delay makes every call of method take d (or until its context ends).
func (c *Cloud) Delay(method string, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.delays[method] = d
}

// DelayRegion makes every call about region take d (or until its context ends).
func (c *Cloud) DelayRegion(region string, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.delays["region:"+region] = d
}

// Disk returns a copy of a disk's current record.
func (c *Cloud) Disk(id string) (cloud.Disk, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.disks[id]
	if !ok {
		return cloud.Disk{}, false
	}
	out := *d
	out.Tags = maps.Clone(d.Tags)
	return out, true
}

// DiskIDs returns the IDs of the disks in region, in creation order.
func (c *Cloud) DiskIDs(region string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, id := range c.order {
		if c.disks[id].RegionID == region {
			out = append(out, id)
		}
	}
	return out
}

// Pairs returns every pair, in creation order.
func (c *Cloud) Pairs() []cloud.Pair {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]cloud.Pair, 0, len(c.pairOrder))
	for _, id := range c.pairOrder {
		out = append(out, *c.pairs[id])
	}
	return out
}

// Calls returns how many calls each method received (DisksByTag: pages).
func (c *Cloud) Calls() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.calls)
}

// Count returns the calls of the given methods, summed.
func (c *Cloud) Count(methods ...string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, m := range methods {
		n += c.calls[m]
	}
	return n
}

// Total returns every call counted.
func (c *Cloud) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		n += v
	}
	return n
}

// ResetCalls zeroes the counters (calls and in-flight maxima).
func (c *Cloud) ResetCalls() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls, c.maxFlight, c.maxTotal = map[string]int{}, map[string]int{}, 0
}

// MaxInFlight returns the most calls of method that were in progress at once ("" for all methods).
func (c *Cloud) MaxInFlight(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if method == "" {
		return c.maxTotal
	}
	return c.maxFlight[method]
}

// enter counts a call, applies its delay and injected faults; the caller must call the
// returned function when done.
func (c *Cloud) enter(ctx context.Context, method, region string) (func(), error) {
	c.mu.Lock()
	c.calls[method]++
	c.inFlight[method]++
	c.flight++
	c.maxFlight[method] = max(c.maxFlight[method], c.inFlight[method])
	c.maxTotal = max(c.maxTotal, c.flight)
	delay := max(c.delays[method], c.delays["region:"+region])
	var err error
	for _, f := range c.faults[method] { // every fault counts every call; the first due fires
		switch {
		case f.skip > 0:
			f.skip--
		case f.times != 0 && err == nil:
			err = f.err
			if f.times > 0 {
				f.times--
			}
		}
	}
	c.mu.Unlock()
	leave := func() {
		c.mu.Lock()
		c.inFlight[method]--
		c.flight--
		c.mu.Unlock()
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err == nil && delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			err = ctx.Err()
		}
	}
	if err != nil {
		leave()
		return nil, err
	}
	return leave, nil
}

// serve is enter followed by taking c.mu, the start of every single-request method; done
// releases both.
func (c *Cloud) serve(ctx context.Context, method, region string) (done func(), err error) {
	leave, err := c.enter(ctx, method, region)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	return func() { c.mu.Unlock(); leave() }, nil
}

// visible reports whether a read shows d now and applies the read's side effects (hidden
// and Creating countdowns). Call with c.mu held.
func (c *Cloud) visible(d *cloud.Disk) (cloud.Disk, bool) {
	if n := c.hidden[d.ID]; n > 0 {
		c.hidden[d.ID] = n - 1
		return cloud.Disk{}, false
	}
	out := *d
	out.Tags = maps.Clone(d.Tags)
	if n := c.creating[d.ID]; n > 0 {
		c.creating[d.ID] = n - 1
		out.Status = "Creating"
	}
	return out, true
}

// DescribeDisks asks for the IDs (blanks and repeats dropped) 100 at a time, as the adapter does:
// each batch is one counted request, and no IDs is no request.
func (c *Cloud) DescribeDisks(ctx context.Context, region string, ids []string) ([]cloud.Disk, error) {
	var out []cloud.Disk
	for batch := range slices.Chunk(uniqueIDs(ids), 100) {
		done, err := c.serve(ctx, DescribeDisks, region)
		if err != nil {
			return nil, err
		}
		for _, id := range batch {
			if d, ok := c.disks[id]; ok && d.RegionID == region {
				if v, ok := c.visible(d); ok {
					out = append(out, v)
				}
			}
		}
		done()
	}
	return out, nil
}

// uniqueIDs drops blank and repeated IDs, keeping the first of each.
func uniqueIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func (c *Cloud) InstanceDisks(ctx context.Context, region, instanceID string) ([]cloud.Disk, error) {
	done, err := c.serve(ctx, InstanceDisks, region)
	if err != nil {
		return nil, err
	}
	defer done()
	var out []cloud.Disk
	for _, id := range c.order {
		if d := c.disks[id]; d.RegionID == region && d.InstanceID == instanceID {
			if v, ok := c.visible(d); ok {
				out = append(out, v)
			}
		}
	}
	return out, nil
}

func (c *Cloud) DisksByTag(ctx context.Context, region, key, value string, fn func([]cloud.Disk) error) error {
	c.mu.Lock()
	var ids []string
	for _, id := range c.order {
		d := c.disks[id]
		if v, ok := d.Tags[key]; ok && d.RegionID == region && (value == "" || v == value) {
			ids = append(ids, id)
		}
	}
	size := c.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	c.mu.Unlock()
	for first := true; first || len(ids) > 0; first = false {
		leave, err := c.enter(ctx, DisksByTag, region)
		if err != nil {
			return err
		}
		n := min(size, len(ids))
		var page []cloud.Disk
		c.mu.Lock()
		for _, id := range ids[:n] {
			if v, ok := c.visible(c.disks[id]); ok {
				page = append(page, v)
			}
		}
		c.mu.Unlock()
		ids = ids[n:]
		leave()
		if err := fn(page); err != nil {
			return err
		}
	}
	return nil
}

// idempotent answers a repeated token: ok with the first result when the parameters match,
// IdempotentParameterMismatch when they do not. Call with c.mu held.
func (c *Cloud) idempotent(method, token, params string) (result string, seen bool, err error) {
	if token == "" {
		return "", false, nil
	}
	a, ok := c.tokens[method+"/"+token]
	if !ok {
		return "", false, nil
	}
	if a.params != params {
		return "", true, newErr(cloud.KindIdempotencyConflict, "IdempotentParameterMismatch", "the request uses the same client token as a previous, but non-identical request")
	}
	return a.result, true, nil
}

func (c *Cloud) remember(method, token, params, result string) {
	if token != "" {
		c.tokens[method+"/"+token] = answer{params: params, result: result}
	}
}

func (c *Cloud) CreateDisk(ctx context.Context, in cloud.CreateDiskInput) (string, error) {
	done, err := c.serve(ctx, CreateDisk, in.RegionID)
	if err != nil {
		return "", err
	}
	defer done()
	params := fmt.Sprintf("%+v", withSortedTags(in))
	if id, seen, err := c.idempotent(CreateDisk, in.ClientToken, params); seen {
		return id, err
	}
	switch {
	case in.RegionID == "" || in.ZoneID == "":
		return "", newErr(cloud.KindUnknown, "MissingParameter", "RegionId and ZoneId are required")
	case in.Size <= 0:
		return "", newErr(cloud.KindUnknown, "InvalidParameter.Size", "size %d", in.Size)
	}
	c.seq++
	id := fmt.Sprintf("d-fake%04d", c.seq)
	d := &cloud.Disk{ID: id, Name: in.Name, RegionID: in.RegionID, ZoneID: in.ZoneID, Category: in.Category,
		PerformanceLevel: in.PerformanceLevel, Size: in.Size, Type: "data", Status: "Available",
		ChargeType: "PostPaid", Tags: maps.Clone(in.Tags)}
	if d.Tags == nil {
		d.Tags = map[string]string{}
	}
	c.disks[id] = d
	c.order = append(c.order, id)
	c.remember(CreateDisk, in.ClientToken, params, id)
	return id, nil
}

func withSortedTags(in cloud.CreateDiskInput) cloud.CreateDiskInput {
	keys := slices.Sorted(maps.Keys(in.Tags))
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + in.Tags[k] + ";")
	}
	in.Tags = map[string]string{"": b.String()}
	return in
}

func (c *Cloud) TagDisks(ctx context.Context, region string, ids []string, tags map[string]string) error {
	done, err := c.serve(ctx, TagDisks, region)
	if err != nil {
		return err
	}
	defer done()
	for _, id := range ids {
		if d, ok := c.disks[id]; !ok || d.RegionID != region {
			return newErr(cloud.KindNotFound, "InvalidResourceId.NotFound", "disk %s not found in %s", id, region)
		}
	}
	for _, id := range ids {
		maps.Copy(c.disks[id].Tags, tags)
	}
	return nil
}

func (c *Cloud) ListPairs(ctx context.Context, region string) ([]cloud.Pair, error) {
	done, err := c.serve(ctx, ListPairs, region)
	if err != nil {
		return nil, err
	}
	defer done()
	var out []cloud.Pair
	for _, id := range c.pairOrder {
		if p := c.pairs[id]; p.SourceRegionID == region || p.DestinationRegionID == region {
			out = append(out, *p)
		}
	}
	return out, nil
}

// PairsByID returns the pairs (deleted ones too, as the API lists them) among ids whose primary
// is in region, as EBS DescribeDiskReplicaPairs with PairIds and Site production does.
func (c *Cloud) PairsByID(ctx context.Context, region string, ids []string) ([]cloud.Pair, error) {
	if c.NoPairIDs {
		return nil, &cloud.Error{Action: "ecs:DescribeDiskReplicaPairs", Kind: cloud.KindUnsupported, Code: "Client.Unsupported",
			Message: "the 2014-05-26 API cannot look replica pairs up by ID"}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > cloud.MaxPairIDs {
		return nil, newErr(cloud.KindUnknown, "InvalidParameter", "PairIds: %d IDs; at most %d are allowed", len(ids), cloud.MaxPairIDs)
	}
	done, err := c.serve(ctx, PairsByID, region)
	if err != nil {
		return nil, err
	}
	defer done()
	var out []cloud.Pair
	for _, id := range c.pairOrder {
		if p := c.pairs[id]; slices.Contains(ids, id) && p.SourceRegionID == region {
			if p.Status == "creating" {
				if c.pairWait[id]--; c.pairWait[id] <= 0 {
					p.Status = "created"
				}
			}
			out = append(out, *p)
		}
	}
	return out, nil
}

// ReplicationZones lists, by region, the zones of the fake's disks but UnsupportedZones. With
// NoPairIDs (the legacy family) it answers KindUnsupported at once, uncounted.
func (c *Cloud) ReplicationZones(ctx context.Context, region string) (map[string][]string, error) {
	if c.NoPairIDs {
		return nil, &cloud.Error{Action: "ebs:DescribeRegions", Kind: cloud.KindUnsupported, Code: "Client.Unsupported",
			Message: "the 2014-05-26 API family does not list the zones that support async replication"}
	}
	done, err := c.serve(ctx, ZonesByRegion, region)
	if err != nil {
		return nil, err
	}
	defer done()
	out := map[string][]string{}
	for _, d := range c.disks {
		if !slices.Contains(c.UnsupportedZones, d.ZoneID) && !slices.Contains(out[d.RegionID], d.ZoneID) {
			out[d.RegionID] = append(out[d.RegionID], d.ZoneID)
		}
	}
	return out, nil
}

// busy reports the live pair holding disk id, if any. Call with c.mu held.
func (c *Cloud) busy(id string) *cloud.Pair {
	for _, pid := range c.pairOrder {
		p := c.pairs[pid]
		if p.Status != "deleted" && (p.SourceDiskID == id || p.DestinationDiskID == id) {
			return p
		}
	}
	return nil
}

func (c *Cloud) CreatePair(ctx context.Context, in cloud.CreatePairInput) (string, error) {
	done, err := c.serve(ctx, CreatePair, in.RegionID)
	if err != nil {
		return "", err
	}
	defer done()
	params := fmt.Sprintf("%+v", in)
	if id, seen, err := c.idempotent(CreatePair, in.ClientToken, params); seen {
		return id, err
	}
	src, ok := c.disks[in.DiskID]
	if !ok || src.RegionID != in.RegionID {
		return "", newErr(cloud.KindNotFound, "NoSuchResource", "disk %s not found in %s", in.DiskID, in.RegionID)
	}
	dst, ok := c.disks[in.DestinationDiskID]
	if !ok || dst.RegionID != in.DestinationRegionID {
		return "", newErr(cloud.KindNotFound, "NoSuchResource", "disk %s not found in %s", in.DestinationDiskID, in.DestinationRegionID)
	}
	// The order of the checks is the emulator's: disks found, then settled, then the rules.
	for _, d := range []*cloud.Disk{src, dst} {
		if d.Status != "In_use" && d.Status != "Available" {
			return "", newErr(cloud.KindInvalidStatus, "OperationDenied.InvalidStatus", "disk %s is %s", d.ID, d.Status)
		}
	}
	switch {
	case in.Name != "" && !validName(in.Name):
		return "", newErr(cloud.KindUnknown, "InvalidParameter", "PairName %q", in.Name)
	case len(in.ClientToken) > 64:
		return "", newErr(cloud.KindUnknown, "InvalidParameter", "ClientToken longer than 64")
	case in.Bandwidth != 0 && in.ChargeType == "POSTPAY":
		return "", newErr(cloud.KindUnknown, "InvalidParameter", "Bandwidth cannot be set with POSTPAY")
	case src.ZoneID == dst.ZoneID: // another zone of the same region is allowed
		return "", newErr(cloud.KindUnknown, "OperationDenied", "secondary must be in another zone or region")
	case slices.Contains(c.UnsupportedZones, src.ZoneID) || slices.Contains(c.UnsupportedZones, dst.ZoneID):
		return "", newErr(cloud.KindUnknown, "OperationDenied", "zone %s or %s does not support async replication", src.ZoneID, dst.ZoneID)
	case src.Category != "cloud_essd" && src.Category != "cloud_auto":
		return "", newErr(cloud.KindUnknown, "OperationDenied", "category %s not supported", src.Category)
	case src.Category != dst.Category || src.PerformanceLevel != dst.PerformanceLevel || src.Size != dst.Size:
		return "", newErr(cloud.KindUnknown, "OperationDenied", "primary and secondary differ in category, performance level or size")
	}
	if p := c.busy(src.ID); p != nil {
		return "", newErr(cloud.KindUnknown, "OperationDenied", "disk %s is already in pair %s", src.ID, p.ID)
	}
	if p := c.busy(dst.ID); p != nil {
		return "", newErr(cloud.KindUnknown, "OperationDenied", "disk %s is already in pair %s", dst.ID, p.ID)
	}
	c.seq++
	id := fmt.Sprintf("pair-fake%04d", c.seq)
	p := &cloud.Pair{ID: id, Name: in.Name, Status: "created", SourceDiskID: src.ID, SourceRegionID: src.RegionID,
		SourceZoneID: src.ZoneID, DestinationDiskID: dst.ID, DestinationRegionID: dst.RegionID, DestinationZoneID: dst.ZoneID}
	if c.NewPairCreatingFor > 0 {
		p.Status = "creating"
		c.pairWait[id] = c.NewPairCreatingFor
	}
	c.pairs[id] = p
	c.pairOrder = append(c.pairOrder, id)
	c.remember(CreatePair, in.ClientToken, params, id)
	return id, nil
}

func (c *Cloud) StartPair(ctx context.Context, region, pairID, clientToken string) error {
	done, err := c.serve(ctx, StartPair, region)
	if err != nil {
		return err
	}
	defer done()
	params := region + "/" + pairID
	if _, seen, err := c.idempotent(StartPair, clientToken, params); seen {
		return err
	}
	p, ok := c.pairs[pairID]
	if !ok || p.SourceRegionID != region && p.DestinationRegionID != region { // either disk's region
		return newErr(cloud.KindNotFound, "NoSuchResource", "pair %s not found in %s", pairID, region)
	}
	if p.Status == "creating" {
		if c.pairWait[pairID]--; c.pairWait[pairID] <= 0 {
			p.Status = "created"
		}
		return newErr(cloud.KindInvalidStatus, "OperationDenied.InvalidStatus", "pair %s is creating", pairID)
	}
	if p.Status != "created" && p.Status != "stopped" && p.Status != "inactive" {
		return newErr(cloud.KindInvalidStatus, "OperationDenied.InvalidStatus", "pair %s is %s", pairID, p.Status)
	}
	if d := c.disks[p.DestinationDiskID]; d != nil && d.InstanceID != "" {
		return newErr(cloud.KindSecondaryAttached, "OperationDenied.StandbyDeviceAttached", "secondary %s is attached", d.ID)
	}
	p.Status = "initial_syncing"
	c.remember(StartPair, clientToken, params, "")
	return nil
}

// validName applies the pair naming rules: 2-128 characters, a letter first, then letters,
// digits, ':', '_', '-', '.'.
func validName(s string) bool {
	r := []rune(s)
	if len(r) < 2 || len(r) > 128 || !isLetter(r[0]) {
		return false
	}
	for _, x := range r {
		if !isLetter(x) && !(x >= '0' && x <= '9') && !strings.ContainsRune(":_-.", x) {
			return false
		}
	}
	return true
}

func isLetter(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x4e00 && r <= 0x9fff
}

// SortedCalls formats the call counters, for logs.
func SortedCalls(calls map[string]int) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(calls)) {
		fmt.Fprintf(&b, "%s=%d ", k, calls[k])
	}
	return strings.TrimSpace(b.String())
}

var _ cloud.API = (*Cloud)(nil)
