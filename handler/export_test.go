package handler

import (
	"log/slog"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/cloud/alibaba"
	"github.com/absr-autopair/absr-autopair/internal/config"
)

// Setup builds a Handler the way main does (newHandler in main.go), for the tests of
// this package and of handler_test, with testPoolOptions; close releases the pool.
func Setup(cfg config.Config, creds cloud.CredentialSource, log *slog.Logger, region string) (h *Handler, close func(), err error) {
	pool, err := alibaba.NewPool(testPoolOptions(cfg))
	if err != nil {
		return nil, nil, err
	}
	if region == "" && len(cfg.SourceRegions) > 0 {
		region = cfg.SourceRegions[0]
	}
	return New(cfg, pool, creds, log, region), pool.Close, nil
}

// testPoolOptions are the adapter options main builds from cfg, with one difference: the
// backoff between retries is 100 times shorter (the same attempts within the same deadline),
// so that a case where every call fails does not spend seconds asleep.
func testPoolOptions(cfg config.Config) alibaba.Options {
	o := alibaba.DefaultOptions()
	o.API, o.ECSEndpoint, o.EBSEndpoint, o.MaxQPS = cfg.API, cfg.ECSEndpoint, cfg.EBSEndpoint, cfg.MaxQPS
	o.Retry.BaseDelay, o.Retry.MaxDelay = o.Retry.BaseDelay/100, o.Retry.MaxDelay/100
	return o
}
