package alibaba

import (
	"context"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	sdkcredentials "github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/valid"

	// Every request here carries its own timeout (invoke, below), so the SDK's table of
	// per-action timeouts is dead weight at start: sdkinit keeps the SDK from decoding it.
	_ "github.com/absr-autopair/absr-autopair/internal/sdkinit"
)

// client implements cloud.API for one CredentialSource over the Pool's shared state.
type client struct {
	pool   *Pool
	creds  cloud.CredentialSource
	legacy bool // pairs through the ECS 2014-05-26 actions
}

// operation names one OpenAPI action and how it may be repeated.
type operation struct {
	family string // "ecs" or "ebs": the RAM service prefix and the endpoint
	name   string // OpenAPI action name
	// repeatable: sending the request twice has the effect of sending it once (reads, tag
	// overwrites, writes carrying a ClientToken). Only such calls are retried after a failure that
	// may have happened after the service acted (timeouts, resets, lost responses).
	repeatable bool
}

func (op operation) action() string { return op.family + ":" + op.name }

func checkRegion(op operation, region string) *cloud.Error {
	if !valid.RegionID(region) {
		return inputError(op.action(), "region %q is not a region ID such as cn-hangzhou", region)
	}
	return nil
}

func (c *client) endpoint(op operation) endpoint {
	if op.family == "ebs" {
		return c.pool.ebs
	}
	return c.pool.ecs
}

// invoke sends one request built by build, retrying retryable failures with backoff within the
// context's deadline, and returns the decoded response. build is called for every attempt: each
// attempt is signed afresh (new nonce and timestamp) with the same parameters, ClientToken
// included. requestID reads the RequestId of a successful response for the trace.
func invoke[R responses.AcsResponse](ctx context.Context, c *client, op operation, region string,
	build func() requests.AcsRequest, newResponse func() R, requestID func(R) string) (R, error) {
	var zero R
	action := op.action()
	if e := checkRegion(op, region); e != nil {
		return zero, e
	}
	p := c.pool
	var last *cloud.Error
	for attempt := 1; ; attempt++ {
		timeout, err := c.attemptTimeout(ctx, action, region)
		if err != nil {
			if last != nil { // the most useful error: the last answer
				return zero, last
			}
			return zero, contextError(action, err)
		}
		if c.creds == nil {
			return zero, &cloud.Error{Action: action, Kind: cloud.KindCredentials, Code: codeCredentials, Message: "no credential source"}
		}
		creds, err := c.creds.Retrieve()
		if err != nil {
			return zero, &cloud.Error{Action: action, Kind: cloud.KindCredentials, Code: codeCredentials, Message: cloud.Sanitize(err.Error())}
		}
		resp, e := sendAttempt(ctx, c, op, region, timeout, creds, build, newResponse, requestID)
		if e == nil {
			return resp, nil
		}
		last = e
		if !e.Retryable || attempt >= p.opts.Retry.MaxAttempts {
			return zero, e
		}
		if !op.repeatable && e.HTTPStatus == 0 && !neverSent(e) {
			// No answer: the service may have acted. Repeating a non-repeatable call could act
			// twice; the caller decides (e.Retryable stays true).
			return zero, e
		}
		wait := p.backoff(attempt)
		if deadline, ok := ctx.Deadline(); ok && p.now().Add(wait+minAttemptTime).After(deadline) {
			return zero, e
		}
		if err := p.sleep(ctx, wait); err != nil {
			return zero, e
		}
	}
}

// attemptTimeout waits for the rate limiter and returns how long the next attempt may take:
// RequestTimeout, or less when the deadline is nearer. It returns the context's error, or
// context.DeadlineExceeded when too little time is left to start an attempt.
func (c *client) attemptTimeout(ctx context.Context, action, region string) (time.Duration, error) {
	p := c.pool
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if l := p.limiter(action, region); l != nil {
		if err := l.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			// Wait fails early when the deadline would pass before a token frees up.
			return 0, context.DeadlineExceeded
		}
	}
	timeout := p.opts.RequestTimeout
	if deadline, ok := ctx.Deadline(); ok {
		remaining := deadline.Sub(p.now())
		if remaining < minAttemptTime {
			return 0, context.DeadlineExceeded
		}
		timeout = min(timeout, remaining)
	}
	return timeout, nil
}

// sendAttempt sends one signed request, bounded by timeout, classifies what came back and
// records the attempt in ctx's trace.
func sendAttempt[R responses.AcsResponse](ctx context.Context, c *client, op operation, region string, timeout time.Duration,
	creds cloud.Credentials, build func() requests.AcsRequest, newResponse func() R, requestID func(R) string) (R, *cloud.Error) {
	p, ep, action := c.pool, c.endpoint(op), op.action()
	req := build()
	req.SetScheme(ep.scheme)
	req.SetDomain(ep.domain(region))
	// The SDK makes ReadTimeout the http.Client timeout of the whole attempt, connecting
	// included, so no attempt outlives the deadline. (It applies ConnectTimeout only to an
	// *http.Transport it may mutate; the shared transport's dialer enforces ConnectTimeout.)
	req.SetReadTimeout(timeout)
	req.SetConnectTimeout(min(p.opts.ConnectTimeout, timeout))
	resp := newResponse()
	e := classify(action, sendOnce(p, creds, req, resp), creds.Secrets())
	if e != nil && e.Kind == cloud.KindTimeout {
		if deadline, ok := ctx.Deadline(); ok && deadline.Sub(p.now()) < minAttemptTime {
			// The attempt ran into the caller's deadline: say so, rather than blame the service.
			e = &cloud.Error{Action: action, Kind: cloud.KindDeadline, Code: codeDeadlineExceeded, Retryable: true,
				Message: "the deadline passed while waiting for the answer (" + e.Message + ")"}
		}
	}
	rec := cloud.Attempt{Action: action, Region: region}
	if e != nil {
		rec.RequestID, rec.Code = e.RequestID, e.Code
	} else {
		rec.RequestID = requestID(resp)
	}
	cloud.RecordAttempt(ctx, rec)
	return resp, e
}

// eachPage walks a MaxResults/NextToken listing: page is called with "" and then with each
// NextToken it returns (with the RequestId of its response), until it returns "" or an error. A
// token that comes back a second time would loop forever: that is an InvalidResponse error.
func eachPage(action string, page func(token string) (next, requestID string, err error)) error {
	seen := map[string]bool{}
	for token := ""; ; {
		next, requestID, err := page(token)
		if err != nil || next == "" {
			return err
		}
		if seen[next] {
			return repeatedToken(action, requestID)
		}
		seen[next] = true
		token = next
	}
}

func repeatedToken(action, requestID string) *cloud.Error {
	return &cloud.Error{Action: action, Kind: cloud.KindInvalidResponse, Code: codeInvalidResponse, RequestID: requestID,
		Message: "NextToken repeats an earlier page's token"}
}

// sendOnce performs one signed HTTP exchange. The SDK client is built per attempt: a client's
// http.Client timeout is rewritten by every call, so one client shared by concurrent calls races.
// Building one costs a few allocations; connections come from the Pool's shared transport.
func sendOnce(p *Pool, creds cloud.Credentials, req requests.AcsRequest, resp responses.AcsResponse) error {
	sc, err := newSDKClient(p, creds)
	if err != nil {
		return err
	}
	return sc.DoAction(req, resp)
}

// newSDKClient builds an SDK client on the Pool's shared config and transport. The static STS
// provider sends SecurityToken whenever it is set (NewClientWithProvider would drop it).
func newSDKClient(p *Pool, creds cloud.Credentials) (*sdk.Client, error) {
	provider := sdkcredentials.NewStaticSTSCredentialsProvider(creds.AccessKeyID, creds.AccessKeySecret, creds.SecurityToken)
	// Region "" skips the SDK's per-client region regexp; every request carries its RegionId.
	return sdk.NewClientWithOptions("", p.sdkConfig, provider)
}
