package emulator_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ebs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/absr-autopair/absr-autopair/internal/emulator"
	"github.com/absr-autopair/absr-autopair/internal/emulator/emutest"
)

// Regions and zones of the test worlds.
const (
	hz, hzZone = "cn-hangzhou", "cn-hangzhou-h"
	sh, shZone = "cn-shanghai", "cn-shanghai-b"
)

// clientOpts adjust how a test SDK client is built.
type clientOpts struct {
	cred      auth.Credential
	transport http.RoundTripper
}

type clientOpt func(*clientOpts)

func withCred(c auth.Credential) clientOpt { return func(o *clientOpts) { o.cred = c } }

func withTransport(rt http.RoundTripper) clientOpt { return func(o *clientOpts) { o.transport = rt } }

func buildOpts(opts []clientOpt) (*sdk.Config, auth.Credential) {
	o := clientOpts{cred: credentials.NewStsTokenCredential(emutest.AccessKeyID, emutest.AccessKeySecret, emutest.SecurityToken)}
	for _, f := range opts {
		f(&o)
	}
	cfg := sdk.NewConfig()
	if o.transport != nil {
		cfg.Transport = o.transport
	}
	return cfg, o.cred
}

// clientBuild serializes SDK client construction: the SDK fills its package-level endpoint map
// lazily, without a lock, the first time a client is built (a data race when goroutines build
// their first clients at once).
var clientBuild sync.Mutex

// newECS is a real ECS SDK client pointed at the emulator over loopback.
func newECS(t testing.TB, srv *emulator.Server, region string, opts ...clientOpt) *ecs.Client {
	t.Helper()
	cfg, cred := buildOpts(opts)
	clientBuild.Lock()
	defer clientBuild.Unlock()
	c, err := ecs.NewClientWithOptions(region, cfg, cred)
	if err != nil {
		t.Fatalf("ecs client: %v", err)
	}
	c.Domain = srv.Addr()
	return c
}

// newEBS is a real EBS SDK client pointed at the emulator over loopback.
func newEBS(t testing.TB, srv *emulator.Server, region string, opts ...clientOpt) *ebs.Client {
	t.Helper()
	cfg, cred := buildOpts(opts)
	clientBuild.Lock()
	defer clientBuild.Unlock()
	c, err := ebs.NewClientWithOptions(region, cfg, cred)
	if err != nil {
		t.Fatalf("ebs client: %v", err)
	}
	c.Domain = srv.Addr()
	return c
}

// legacyCall sends a 2014-05-26 action through requests.CommonRequest (GET, query parameters).
func legacyCall(t testing.TB, c *ecs.Client, region, action string, params map[string]string) (map[string]any, error) {
	t.Helper()
	req := requests.NewCommonRequest()
	req.Product, req.Version, req.ApiName = "Ecs", emulator.VersionECS, action
	req.RegionId = region
	req.QueryParams["RegionId"] = region
	for k, v := range params {
		req.QueryParams[k] = v
	}
	resp, err := c.ProcessCommonRequest(req)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(resp.GetHttpContentBytes(), &out); err != nil {
		t.Fatalf("%s: answer is not JSON: %v: %s", action, err, resp.GetHttpContentString())
	}
	return out, nil
}

// wantCode asserts err is a server error with this HTTP status and code.
func wantCode(t testing.TB, err error, status int, code string) *sdkerrors.ServerError {
	t.Helper()
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("want server error %d %s, got %v", status, code, err)
	}
	if se.ErrorCode() != code || se.HttpStatus() != status {
		t.Fatalf("want %d %s, got %d %s: %s", status, code, se.HttpStatus(), se.ErrorCode(), se.Message())
	}
	if se.RequestId() == "" || se.HostId() == "" {
		t.Fatalf("error answer lacks RequestId or HostId: %v", err)
	}
	return se
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// describeIDs runs DescribeDisks with DiskIds and returns the disks by ID.
func describeIDs(t testing.TB, c *ecs.Client, region string, ids ...string) map[string]ecs.Disk {
	t.Helper()
	req := ecs.CreateDescribeDisksRequest()
	req.RegionId = region
	raw, _ := json.Marshal(ids)
	req.DiskIds = string(raw)
	req.PageSize = requests.NewInteger(100)
	resp, err := c.DescribeDisks(req)
	must(t, err)
	out := map[string]ecs.Disk{}
	for _, d := range resp.Disks.Disk {
		out[d.DiskId] = d
	}
	return out
}

func diskTags(d ecs.Disk) map[string]string {
	out := map[string]string{}
	for _, tg := range d.Tags.Tag {
		out[tg.TagKey] = tg.TagValue
	}
	return out
}

// snapshotDisk finds a disk in the server's snapshot.
func snapshotDisk(t testing.TB, srv *emulator.Server, id string) emulator.Disk {
	t.Helper()
	for _, d := range srv.Snapshot().Disks {
		if d.DiskID == id {
			return d
		}
	}
	t.Fatalf("disk %s not in the snapshot", id)
	return emulator.Disk{}
}

func snapshotPairs(srv *emulator.Server) map[string]emulator.Pair {
	out := map[string]emulator.Pair{}
	for _, p := range srv.Snapshot().Pairs {
		out[p.ReplicaPairID] = p
	}
	return out
}

// rewriteQuery is a RoundTripper that edits the request URL's query after the SDK signed it.
type rewriteQuery struct {
	edit func(q url.Values)
}

func (r rewriteQuery) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	q := req.URL.Query()
	r.edit(q)
	req.URL.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return http.DefaultTransport.RoundTrip(req)
}

// basicWorld: an attached opted-in primary in Hangzhou, a matching secondary in Shanghai, and a
// few others.
func basicWorld() *emulator.State {
	primary := emutest.Disk("d-bp1primary", hzZone, emutest.OptIn(), emutest.Attached("i-bp1one"), emutest.Named("primary"))
	secondary := emutest.Secondary(primary, "d-uf6secondary", shZone, emutest.BackRef(primary.DiskID))
	return emutest.World(primary, secondary,
		emutest.Disk("d-bp1system", hzZone, emutest.System("i-bp1one"), emutest.Spec("cloud_essd", "PL0", 40)),
		emutest.Disk("d-bp1auto", hzZone, emutest.Spec("cloud_auto", "", 500), emutest.Tags("dr", "enabled", "team", "db")),
		emutest.Disk("d-uf6auto", shZone, emutest.Spec("cloud_auto", "", 500)),
		emutest.Disk("d-bp1entry", "cn-hangzhou-i", emutest.Spec("cloud_essd_entry", "", 40), emutest.Tags("dr", "disabled")),
	)
}
