package handler

import (
	"log/slog"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/cloud/alibaba"
	"github.com/absr-autopair/absr-autopair/internal/config"
)

// Setup builds a Handler the way main does (newHandler in main.go), for the tests of
// this package and of handler_test; close releases the pool. One difference: the adapter's
// backoff between retries is 100 times shorter (the same attempts within the same deadline),
// so that a case where every call fails does not spend seconds asleep.
func Setup(cfg config.Config, creds cloud.CredentialSource, log *slog.Logger, region string) (h *Handler, close func(), err error) {
	opts := alibaba.DefaultOptions()
	opts.API, opts.ECSEndpoint, opts.EBSEndpoint, opts.MaxQPS = cfg.API, cfg.ECSEndpoint, cfg.EBSEndpoint, cfg.MaxQPS
	opts.Retry.BaseDelay, opts.Retry.MaxDelay = opts.Retry.BaseDelay/100, opts.Retry.MaxDelay/100
	pool, err := alibaba.NewPool(opts)
	if err != nil {
		return nil, nil, err
	}
	if region == "" && len(cfg.SourceRegions) > 0 {
		region = cfg.SourceRegions[0]
	}
	return New(cfg, pool, creds, log, region), pool.Close, nil
}
