package handler

import (
	"context"
	"errors"
	"fmt"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// FC is the Function Compute entry point, for fc.Start. The payload arrives as raw bytes so that
// the decoder, not the runtime, explains what is wrong with it.
func (h *Handler) FC(ctx context.Context, payload []byte) (report *Report, err error) {
	inv := Invocation{}
	// FromContext writes to the context value: call it once, here, before any goroutine starts.
	if fcc, ok := fccontext.FromContext(ctx); ok {
		inv.RequestID = fcc.RequestID
		inv.Region = fcc.Region
		if fcc.Credentials.AccessKeyId != "" {
			inv.Credentials = &cloud.Credentials{
				AccessKeyID:     fcc.Credentials.AccessKeyId,
				AccessKeySecret: fcc.Credentials.AccessKeySecret,
				SecurityToken:   fcc.Credentials.SecurityToken,
			}
		}
	}
	z := h.sanitizerOf(inv)
	// The runtime would print a panic's value and stack as they are; make sure nothing secret
	// can reach it.
	defer func() {
		if v := recover(); v != nil {
			msg := z.Sanitize(fmt.Sprint(v))
			h.log.Error("panic", "fcRequestId", inv.RequestID, "panic", msg)
			report, err = nil, fmt.Errorf("internal error: %s", msg)
		}
	}()
	report, err = h.handleSanitized(ctx, inv, payload, z)
	if err != nil {
		// Function Compute retries an async invocation that returns an error; the report is in
		// the logs. The text is already sanitized; only the text goes back.
		return nil, errors.New(err.Error())
	}
	return report, nil
}
