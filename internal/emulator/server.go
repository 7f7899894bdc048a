// Over 450 lines: the Server's state, lifecycle, clock, admin API and IDs share its one mutex.

package emulator

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Server is the ECS + EBS OpenAPI emulator. It is an http.Handler; Start also serves it on a
// listener of its own. All methods are safe for concurrent use.
type Server struct {
	mu sync.Mutex

	accountID string
	creds     map[string]Credential
	credList  []Credential

	started time.Time
	offset  time.Duration // added to the wall clock by Advance

	disks       map[string]*diskRec
	diskOrder   []*diskRec
	diskSeq     int
	regionDisks map[string][]*diskRec
	pairs       map[string]*pairRec
	pairOrder   []*pairRec
	diskPair    map[string]string // disk ID -> pair ID, both families, both roles
	groups      map[string]*groupRec
	groupOrder  []*groupRec

	tokens     map[string]*tokenRec
	nonces     map[string]time.Time
	nonceAdds  int
	faults     Faults
	faultRNG   *mrand.Rand
	idRNG      *mrand.Rand
	buckets    map[string]*rate.Limiter
	calls      map[string]int
	errorCodes map[string]int
	regions    map[string]bool
	// unsupported: zones where async replication is not available (state unsupportedZones).
	unsupported map[string]bool

	httpSrv *http.Server
	ln      net.Listener
}

type diskRec struct {
	Disk
	seq       int // creation order
	visibleAt time.Time
	readyAt   time.Time
}

type pairRec struct {
	Pair
	settleAt time.Time // when a transient status (initial_syncing, manual_syncing) settles
	settleTo string
}

type tokenRec struct {
	fingerprint string
	answer      map[string]any
	refusal     *apiError // the 4xx it was refused with (faults.tokenRemembersFailures)
	at          time.Time
}

// CallCounts is the body of GET /_emulator/calls: authenticated requests by "product/Action"
// (legacy 2014-05-26 pair actions under ecs/), and error answers by code.
type CallCounts struct {
	Calls  map[string]int `json:"calls"`
	Errors map[string]int `json:"errors"`
}

// Total is the number of requests answered, of every action.
func (c CallCounts) Total() int {
	n := 0
	for _, v := range c.Calls {
		n += v
	}
	return n
}

// syncDuration is how long (emulator clock) a started pair stays initial_syncing before it
// reads normal, and a one-shot sync stays manual_syncing before it reads stopped.
const syncDuration = time.Second

// New builds a server from a state (which it copies and validates; st may be nil for an empty
// world). The clock for visibleAfterMs and readyAfterMs starts now.
func New(st *State) (*Server, error) {
	var in State
	if st != nil {
		in = deepCopyState(st)
	}
	if err := in.normalize(); err != nil {
		return nil, err
	}
	now := time.Now()
	s := &Server{
		accountID:   in.AccountID,
		creds:       map[string]Credential{},
		started:     now,
		disks:       map[string]*diskRec{},
		regionDisks: map[string][]*diskRec{},
		pairs:       map[string]*pairRec{},
		diskPair:    map[string]string{},
		groups:      map[string]*groupRec{},
		tokens:      map[string]*tokenRec{},
		nonces:      map[string]time.Time{},
		buckets:     map[string]*rate.Limiter{},
		calls:       map[string]int{},
		errorCodes:  map[string]int{},
		regions:     knownRegions(),
		unsupported: map[string]bool{},
		idRNG:       mrand.New(mrand.NewPCG(uint64(in.Faults.Seed), 0x5eed1d5)),
	}
	s.credList = in.Credentials
	if len(s.credList) == 0 {
		s.credList = []Credential{{AccessKeyID: DefaultAccessKeyID, AccessKeySecret: DefaultAccessKeySecret, SecurityToken: DefaultSecurityToken}}
	}
	for _, c := range s.credList {
		s.creds[c.AccessKeyID] = c
	}
	for _, d := range in.Disks {
		rec := &diskRec{Disk: d,
			visibleAt: now.Add(time.Duration(d.VisibleAfterMs) * time.Millisecond),
			readyAt:   now.Add(time.Duration(d.ReadyAfterMs) * time.Millisecond)}
		rec.VisibleAfterMs, rec.ReadyAfterMs = 0, 0
		if rec.CreationTime == "" {
			rec.CreationTime = now.UTC().Format(isoSecond)
		}
		s.addDisk(rec)
	}
	s.setFaultsLocked(in.Faults)
	for _, z := range in.UnsupportedZones {
		s.unsupported[z] = true
	}
	for _, p := range in.Pairs {
		rec := &pairRec{Pair: p}
		if rec.CreateTime == 0 {
			rec.CreateTime = now.Unix()
		}
		if p.Status == "creating" && s.faults.PairCreatingMs <= 0 {
			rec.setStatus("creating", now) // as the state says, for good: a pair stuck creating
		} else {
			s.setPairStatus(rec, p.Status, now)
		}
		s.addPair(rec)
	}
	for _, g := range in.Groups {
		rec := &groupRec{Group: g}
		s.addGroup(rec)
		s.setGroupStatus(rec, g.Status, now)
	}
	return s, nil
}

func deepCopyState(st *State) State {
	out := *st
	out.Credentials = append([]Credential(nil), st.Credentials...)
	out.Disks = make([]Disk, len(st.Disks))
	for i, d := range st.Disks {
		d.Tags = cloneTags(d.Tags)
		out.Disks[i] = d
	}
	out.Pairs = make([]Pair, len(st.Pairs))
	for i, p := range st.Pairs {
		p.Tags = cloneTags(p.Tags)
		out.Pairs[i] = p
	}
	out.Groups = make([]Group, len(st.Groups))
	for i, g := range st.Groups {
		g.Tags = cloneTags(g.Tags)
		g.PairIDs = slices.Clone(g.PairIDs)
		out.Groups[i] = g
	}
	return out
}

func (s *Server) addDisk(d *diskRec) {
	s.diskSeq++
	d.seq = s.diskSeq // never reused: DeleteDisk shortens diskOrder
	s.disks[d.DiskID] = d
	s.diskOrder = append(s.diskOrder, d)
	s.regionDisks[d.RegionID] = append(s.regionDisks[d.RegionID], d)
	s.regions[d.RegionID] = true
}

func (s *Server) addPair(p *pairRec) {
	s.pairs[p.ReplicaPairID] = p
	s.pairOrder = append(s.pairOrder, p)
	s.diskPair[p.SourceDiskID] = p.ReplicaPairID
	s.diskPair[p.DestinationDiskID] = p.ReplicaPairID
}

// removeDisk forgets a disk (ECS DeleteDisk). Callers make sure it is in no pair.
func (s *Server) removeDisk(d *diskRec) {
	delete(s.disks, d.DiskID)
	s.diskOrder = slices.DeleteFunc(s.diskOrder, func(x *diskRec) bool { return x == d })
	s.regionDisks[d.RegionID] = slices.DeleteFunc(s.regionDisks[d.RegionID], func(x *diskRec) bool { return x == d })
}

func (s *Server) removePair(p *pairRec) {
	delete(s.pairs, p.ReplicaPairID)
	delete(s.diskPair, p.SourceDiskID)
	delete(s.diskPair, p.DestinationDiskID)
	for i, q := range s.pairOrder {
		if q == p {
			s.pairOrder = append(s.pairOrder[:i:i], s.pairOrder[i+1:]...)
			break
		}
	}
}

// now is the emulator clock: the wall clock plus whatever Advance added.
func (s *Server) now() time.Time { return time.Now().Add(s.offset) }

// Advance moves the emulator clock forward, so tests can let readyAfterMs, visibleAfterMs and
// pair syncing elapse without sleeping. Request timestamps are checked against this clock too.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	s.offset += d
	s.mu.Unlock()
}

// Start serves the emulator on addr (127.0.0.1:0 picks a free port) and returns its base URL.
func (s *Server) Start(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("emulator: listen on %s: %w", addr, err)
	}
	s.mu.Lock()
	if s.httpSrv != nil {
		s.mu.Unlock()
		ln.Close()
		return "", errors.New("emulator: already started")
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.httpSrv, s.ln = srv, ln
	s.mu.Unlock()
	go srv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed after Close.
	return "http://" + urlHost(ln.Addr()), nil
}

func urlHost(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(tcp.Port))
}

// Close stops the listener started by Start and closes its connections. It is a no-op for a
// server that was never started.
func (s *Server) Close() error {
	s.mu.Lock()
	srv, ln := s.httpSrv, s.ln
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	// Serve runs in its own goroutine and may not have taken the listener over yet, in which
	// case srv.Close cannot close it: close it here so the port is free when Close returns.
	if cerr := ln.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) && err == nil {
		err = cerr
	}
	return err
}

// URL is the base URL after Start, or "".
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return "http://" + urlHost(s.ln.Addr())
}

// Addr is the host:port the server listens on after Start (what an SDK client's Domain takes),
// or "".
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return urlHost(s.ln.Addr())
}

// Shutdown stops serving gracefully within ctx: the listener closes at once, requests in
// flight finish.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.httpSrv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Shutdown(ctx)
}

// Credentials are the access keys the server accepts (the documented defaults when the state
// named none).
func (s *Server) Credentials() []Credential {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Credential(nil), s.credList...)
}

// Calls returns the request and error counters.
func (s *Server) Calls() CallCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return CallCounts{Calls: maps.Clone(s.calls), Errors: maps.Clone(s.errorCodes)}
}

// SetFaults replaces the fault settings (invalid values are clamped into range), reseeds the
// fault generator from f.Seed and empties the flow-control buckets.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setFaultsLocked(f)
}

func (s *Server) setFaultsLocked(f Faults) {
	clamp := func(v float64) float64 { return min(max(v, 0), 100) }
	f.ThrottlePercent = clamp(f.ThrottlePercent)
	f.UnavailablePercent = clamp(f.UnavailablePercent)
	f.ResetPercent = clamp(f.ResetPercent)
	f.LostResponsePercent = clamp(f.LostResponsePercent)
	f.LatencyMs = max(f.LatencyMs, 0)
	f.QPSPerAction = max(f.QPSPerAction, 0)
	f.PairCreatingMs = max(f.PairCreatingMs, 0)
	f.TokenTTLSeconds = max(f.TokenTTLSeconds, 0)
	s.faults = f
	s.faultRNG = mrand.New(mrand.NewPCG(uint64(f.Seed), 0xfa0175))
	s.buckets = map[string]*rate.Limiter{}
}

// Faults returns the current fault settings.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// Snapshot returns the current world in the state file format. Disks still hidden or still
// Creating carry the remaining visibleAfterMs / readyAfterMs, so the snapshot reloads faithfully;
// Status is each disk's settled status.
func (s *Server) Snapshot() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	st := State{AccountID: s.accountID, Credentials: append([]Credential(nil), s.credList...),
		Disks: make([]Disk, 0, len(s.diskOrder)), Pairs: make([]Pair, 0, len(s.pairOrder)), Faults: s.faults}
	for z := range s.unsupported {
		st.UnsupportedZones = append(st.UnsupportedZones, z)
	}
	slices.Sort(st.UnsupportedZones)
	for _, d := range s.diskOrder {
		out := d.Disk
		out.Tags = cloneTags(d.Tags)
		out.VisibleAfterMs = remainingMs(now, d.visibleAt)
		out.ReadyAfterMs = remainingMs(now, d.readyAt)
		st.Disks = append(st.Disks, out)
	}
	for _, p := range s.pairOrder {
		s.settle(p, now)
		out := p.Pair
		out.Tags = cloneTags(p.Tags)
		st.Pairs = append(st.Pairs, out)
	}
	for _, g := range s.groupOrder {
		s.settleGroup(g, now)
		out := g.Group
		out.Tags = cloneTags(g.Tags)
		out.PairIDs = slices.Clone(g.PairIDs)
		st.Groups = append(st.Groups, out)
	}
	return st
}

func remainingMs(now, at time.Time) int64 {
	if !at.After(now) {
		return 0
	}
	return int64((at.Sub(now) + time.Millisecond - 1) / time.Millisecond)
}

// setStatus gives a pair a status as of now (see settling).
func (p *pairRec) setStatus(status string, now time.Time) {
	p.Status = status
	p.settleAt, p.settleTo = settling(status, now)
	p.advanceRecoveryPoint(now)
}

// settling is when a pair or group entering status at now moves on by itself, and to what: the
// two transient statuses settle syncDuration later, initial_syncing to normal and manual_syncing
// (a one-shot sync) to stopped; the others stay (zero time).
func settling(status string, now time.Time) (at time.Time, to string) {
	switch status {
	case "initial_syncing":
		return now.Add(syncDuration), "normal"
	case "manual_syncing":
		return now.Add(syncDuration), "stopped"
	}
	return time.Time{}, ""
}

// setPairStatus is setStatus plus the emulator's settings: a creating pair reads created
// faults.pairCreatingMs later (at once when it is 0).
func (s *Server) setPairStatus(p *pairRec, status string, now time.Time) {
	if status == "creating" {
		if s.faults.PairCreatingMs <= 0 {
			p.setStatus("created", now)
			return
		}
		p.setStatus(status, now)
		p.settleAt, p.settleTo = now.Add(time.Duration(s.faults.PairCreatingMs)*time.Millisecond), "created"
		return
	}
	p.setStatus(status, now)
}

// advanceRecoveryPoint: a normal pair has a recovery point of now, unless the state pinned it.
func (p *pairRec) advanceRecoveryPoint(now time.Time) {
	if p.Status == "normal" && !p.PinRecoveryPoint {
		p.LastRecoverPoint = now.Unix()
	}
}

// settle applies a transient pair status whose time has come, and moves a normal pair's
// recovery point to now.
func (s *Server) settle(p *pairRec, now time.Time) {
	if !p.settleAt.IsZero() && !now.Before(p.settleAt) {
		p.setStatus(p.settleTo, now)
	}
	p.advanceRecoveryPoint(now)
}

// unsupportedZone reports whether async replication is unavailable in zone.
func (s *Server) unsupportedZone(zone string) bool { return s.unsupported[zone] }

// visible reports whether a disk exists for the actions at this moment.
func (d *diskRec) visible(now time.Time) bool { return !now.Before(d.visibleAt) }

// status is the status the actions see: Creating until readyAfterMs has elapsed.
func (d *diskRec) status(now time.Time) string {
	if now.Before(d.readyAt) {
		return "Creating"
	}
	return d.Status
}

// lookupDisk finds a disk visible now in region.
func (s *Server) lookupDisk(id, region string, now time.Time) *diskRec {
	d := s.disks[id]
	if d == nil || d.RegionID != region || !d.visible(now) {
		return nil
	}
	return d
}

// serveAdmin answers the /_emulator/ endpoints. They are unauthenticated: the emulator listens
// on loopback and holds test credentials only.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_emulator/state":
		if r.Method != http.MethodGet {
			adminError(w, http.StatusMethodNotAllowed, "use GET")
			return
		}
		writeJSON(w, http.StatusOK, s.Snapshot())
	case "/_emulator/calls":
		if r.Method != http.MethodGet {
			adminError(w, http.StatusMethodNotAllowed, "use GET")
			return
		}
		writeJSON(w, http.StatusOK, s.Calls())
	case "/_emulator/faults":
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, s.Faults())
		case http.MethodPut:
			dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
			dec.DisallowUnknownFields()
			f := Faults{Seed: s.Faults().Seed} // a body without "seed" keeps it
			if err := dec.Decode(&f); err != nil {
				adminError(w, http.StatusBadRequest, "faults: invalid JSON: "+err.Error())
				return
			}
			if err := f.validate(); err != nil {
				adminError(w, http.StatusBadRequest, "faults: "+err.Error())
				return
			}
			s.SetFaults(f)
			writeJSON(w, http.StatusOK, s.Faults())
		default:
			adminError(w, http.StatusMethodNotAllowed, "use GET or PUT")
		}
	default:
		adminError(w, http.StatusNotFound, "unknown admin endpoint "+r.URL.Path+
			" (known: GET /_emulator/state, GET /_emulator/calls, GET|PUT /_emulator/faults)")
	}
}

func adminError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"Code":"InternalError","Message":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	w.Write(body) //nolint:errcheck // the client went away; nothing to do.
}

// newRequestID returns a UUID-like upper-case request ID, as the services do.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read never fails.
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomID returns prefix + n characters from the seeded ID generator. Callers hold s.mu.
func (s *Server) randomID(prefix string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[s.idRNG.IntN(len(idAlphabet))]
	}
	return prefix + string(b)
}

// diskIDPrefixes imitate the region-specific prefixes of real disk IDs.
var diskIDPrefixes = [...]struct{ region, prefix string }{
	{"cn-hangzhou", "bp1"}, {"cn-shanghai", "uf6"}, {"cn-beijing", "2ze"}, {"cn-qingdao", "m5e"},
	{"cn-zhangjiakou", "8vb"}, {"cn-shenzhen", "wz9"}, {"cn-huhehaote", "hp3"}, {"cn-chengdu", "2vc"},
	{"cn-hongkong", "j6c"}, {"ap-southeast-1", "t4n"},
}

func diskIDPrefix(region string) string {
	for _, p := range diskIDPrefixes {
		if p.region == region {
			return p.prefix
		}
	}
	return "0jl"
}

func (s *Server) newDiskID(region string) string {
	prefix := diskIDPrefix(region)
	for {
		id := s.randomID("d-"+prefix, 17)
		if s.disks[id] == nil {
			return id
		}
	}
}

func (s *Server) newPairID(legacy bool) string {
	prefix, n := "pair-cn-", 12
	if legacy {
		prefix, n = "rp-", 18
	}
	for {
		if id := s.randomID(prefix, n); s.pairs[id] == nil {
			return id
		}
	}
}

func (s *Server) newOrderID() string {
	b := make([]byte, 15)
	for i := range b {
		b[i] = byte('0' + s.idRNG.IntN(10))
	}
	b[0] = '2'
	return string(b)
}

// knownRegions are the Alibaba Cloud regions the emulator answers for; regions of the state's
// disks are added to them.
func knownRegions() map[string]bool {
	m := make(map[string]bool, len(publicRegions))
	for _, r := range publicRegions {
		m[r] = true
	}
	return m
}

var publicRegions = words{"cn-qingdao", "cn-beijing", "cn-zhangjiakou", "cn-huhehaote", "cn-wulanchabu",
	"cn-hangzhou", "cn-shanghai", "cn-nanjing", "cn-fuzhou", "cn-shenzhen", "cn-heyuan",
	"cn-guangzhou", "cn-chengdu", "cn-hongkong", "cn-wuhan-lr", "ap-northeast-1", "ap-northeast-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-5", "ap-southeast-6",
	"ap-southeast-7", "ap-south-1", "us-east-1", "us-west-1", "eu-west-1", "eu-central-1",
	"me-east-1", "me-central-1", "na-south-1"}

const isoSecond = "2006-01-02T15:04:05Z"
