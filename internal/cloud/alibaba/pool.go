// Package alibaba is the adapter from cloud.API to the Alibaba Cloud SDK (ECS 2014-05-26 and EBS
// 2021-07-30): signed requests over one shared connection pool, per action and region rate limits,
// retries with backoff within the caller's deadline, and every SDK error classified into a
// sanitized cloud.Error with its Kind. Nothing else in the function imports the SDK.
package alibaba

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"golang.org/x/time/rate"

	"github.com/absr-autopair/absr-autopair/internal/backoff"
	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// API families (Options.API).
const (
	APIEBS = "ebs" // EBS 2021-07-30: the current replica pair API (default)
	APIECS = "ecs" // ECS 2014-05-26: the legacy preview shape of the seed document
)

// Options configure the process-wide Pool. Zero fields take the defaults of DefaultOptions,
// except MaxQPS, where 0 means unlimited.
type Options struct {
	API string // APIEBS or APIECS
	// Full URL overrides such as http://127.0.0.1:9080 (scheme and host[:port], no path). Empty
	// means HTTPS to the regional public endpoints ecs.<region>.aliyuncs.com and
	// ebs.<region>.aliyuncs.com.
	ECSEndpoint, EBSEndpoint string
	ConnectTimeout           time.Duration // TCP (and TLS) connect
	RequestTimeout           time.Duration // one whole attempt
	MaxQPS                   float64       // per action and region, process-wide; 0 = unlimited
	Retry                    RetryPolicy
}

// RetryPolicy bounds the adapter's own retries of retryable errors: exponential backoff with full
// jitter, never past the context's deadline.
type RetryPolicy struct {
	MaxAttempts int           // attempts per call, the first included; 1 disables retries
	BaseDelay   time.Duration // upper bound of the first backoff
	MaxDelay    time.Duration // cap of any single backoff
}

// DefaultOptions are the settings used when nothing overrides them.
func DefaultOptions() Options {
	return Options{
		API:            APIEBS,
		ConnectTimeout: 5 * time.Second,
		RequestTimeout: 10 * time.Second,
		MaxQPS:         10,
		Retry:          RetryPolicy{MaxAttempts: 5, BaseDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second},
	}
}

// minAttemptTime is the least time left before the deadline worth starting a request for.
const minAttemptTime = 20 * time.Millisecond

// endpoint is where one service family's requests go.
type endpoint struct {
	scheme string // "HTTPS" or "HTTP", as the SDK spells it
	host   string // host[:port]; "" = regional public endpoint
	prefix string // "ecs" or "ebs", for the regional endpoint
}

func (e endpoint) domain(region string) string {
	if e.host != "" {
		return e.host
	}
	return e.prefix + "." + region + ".aliyuncs.com"
}

func parseEndpoint(prefix, raw string) (endpoint, error) {
	if raw == "" {
		return endpoint{scheme: "HTTPS", prefix: prefix}, nil
	}
	if strings.Contains(raw, "@") {
		// User info is a credential: never echoed, whether or not the URL parses.
		return endpoint{}, fmt.Errorf("%s endpoint: the URL contains user info (user:password@); credentials never go in an endpoint", prefix)
	}
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // without the URL it quotes
		}
		return endpoint{}, fmt.Errorf("%s endpoint %q: %v", prefix, raw, err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return endpoint{}, fmt.Errorf("%s endpoint %q: want an http:// or https:// URL", prefix, raw)
	}
	if u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return endpoint{}, fmt.Errorf("%s endpoint %q: want scheme://host[:port] only", prefix, raw)
	}
	return endpoint{scheme: strings.ToUpper(scheme), host: u.Host, prefix: prefix}, nil
}

// Pool is the process-wide state shared by every invocation's API clients: one HTTP connection
// pool, the rate limiters and the settings. Create one in main and ask it for an API per
// invocation with Client.
type Pool struct {
	opts      Options
	ecs, ebs  endpoint
	transport *http.Transport
	sdkConfig *sdk.Config

	limitersMu sync.Mutex
	limiters   map[limiterKey]*rate.Limiter

	// Seams for tests.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	rand  func() float64 // in [0, 1)
}

type limiterKey struct{ action, region string }

// NewPool validates opts, fills in defaults and builds the shared transport.
func NewPool(opts Options) (*Pool, error) {
	def := DefaultOptions()
	opts.API = cmp.Or(opts.API, def.API)
	if opts.API != APIEBS && opts.API != APIECS {
		return nil, fmt.Errorf("API %q: want %q or %q", opts.API, APIEBS, APIECS)
	}
	if opts.ConnectTimeout < 0 || opts.RequestTimeout < 0 || opts.MaxQPS < 0 ||
		opts.Retry.MaxAttempts < 0 || opts.Retry.BaseDelay < 0 || opts.Retry.MaxDelay < 0 {
		return nil, errors.New("timeouts, MaxQPS and retry settings must not be negative")
	}
	opts.ConnectTimeout = cmp.Or(opts.ConnectTimeout, def.ConnectTimeout)
	opts.RequestTimeout = cmp.Or(opts.RequestTimeout, def.RequestTimeout)
	opts.Retry.MaxAttempts = cmp.Or(opts.Retry.MaxAttempts, def.Retry.MaxAttempts)
	opts.Retry.BaseDelay = cmp.Or(opts.Retry.BaseDelay, def.Retry.BaseDelay)
	opts.Retry.MaxDelay = cmp.Or(opts.Retry.MaxDelay, def.Retry.MaxDelay)
	if sdkDebugEnabled() {
		return nil, errors.New("DEBUG=sdk makes the Alibaba Cloud SDK print signed request URLs, " +
			"credentials included; unset it")
	}
	p := &Pool{opts: opts, limiters: map[limiterKey]*rate.Limiter{}, now: time.Now, sleep: backoff.Sleep, rand: rand.Float64}
	var err error
	if p.ecs, err = parseEndpoint("ecs", opts.ECSEndpoint); err != nil {
		return nil, err
	}
	if p.ebs, err = parseEndpoint("ebs", opts.EBSEndpoint); err != nil {
		return nil, err
	}
	p.transport = &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: opts.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   opts.ConnectTimeout,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       60 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	p.sdkConfig = &sdk.Config{
		// Read-only after this point: every per-attempt SDK client shares it.
		AutoRetry:    false,
		MaxRetryTime: 0,
		UserAgent:    "absr-autopair",
		Scheme:       "HTTPS",
		// A type the SDK does not recognise as *http.Transport, so it never mutates the shared
		// transport (it rewrites DialContext, TLS and proxy settings of an *http.Transport on
		// every request).
		Transport: sharedTransport{p.transport},
	}
	return p, nil
}

// sdkDebugEnabled mirrors the SDK's reading of DEBUG (a comma-separated list).
func sdkDebugEnabled() bool {
	return slices.Contains(strings.Split(os.Getenv("DEBUG"), ","), "sdk")
}

// Options returns the effective options, defaults filled in.
func (p *Pool) Options() Options { return p.opts }

// Close releases idle connections. Calls in flight are not affected.
func (p *Pool) Close() { p.transport.CloseIdleConnections() }

// Client returns the cloud.API for one invocation's credentials. It is cheap: the connection pool,
// limiters and settings are the Pool's; the result is safe for concurrent use.
func (p *Pool) Client(creds cloud.CredentialSource) cloud.API {
	return &client{pool: p, creds: creds, legacy: p.opts.API == APIECS}
}

// sharedTransport wraps the Pool's transport; see sdkConfig.
type sharedTransport struct{ rt *http.Transport }

func (t sharedTransport) RoundTrip(r *http.Request) (*http.Response, error) { return t.rt.RoundTrip(r) }

func (p *Pool) limiter(action, region string) *rate.Limiter {
	if p.opts.MaxQPS <= 0 {
		return nil
	}
	key := limiterKey{action, region}
	p.limitersMu.Lock()
	defer p.limitersMu.Unlock()
	l := p.limiters[key]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(p.opts.MaxQPS), max(1, int(p.opts.MaxQPS)))
		p.limiters[key] = l
	}
	return l
}

// backoff returns the wait before retry number n (1 for the first retry): full jitter, uniform in
// [0, min(MaxDelay, BaseDelay*2^(n-1))).
func (p *Pool) backoff(n int) time.Duration {
	return time.Duration(p.rand() * float64(backoff.Delay(p.opts.Retry.BaseDelay, p.opts.Retry.MaxDelay, n)))
}

// Actions lists, as RAM action names, every OpenAPI action this adapter can call, for both API
// families. policy.json grants exactly these.
func Actions() []string {
	return []string{
		"ecs:DescribeDisks",
		"ecs:CreateDisk",
		"ecs:TagResources",
		"ebs:CreateDiskReplicaPair",
		"ebs:StartDiskReplicaPair",
		"ebs:DescribeDiskReplicaPairs",
		"ebs:DescribeRegions", // which zones support async replication, to explain a refusal
		// Replica groups (ABSR_REPLICA_GROUPS=instance).
		"ebs:CreateDiskReplicaGroup",
		"ebs:AddDiskReplicaPair",
		"ebs:StartDiskReplicaGroup",
		"ebs:StopDiskReplicaGroup",
		"ebs:DescribeDiskReplicaGroups",
		// The legacy 2014-05-26 family, used when ABSR_API=ecs.
		"ecs:CreateDiskReplicaPair",
		"ecs:StartDiskReplicaPair",
		"ecs:DescribeDiskReplicaPairs",
	}
}
