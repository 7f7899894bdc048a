package alibaba

import (
	"errors"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/cloud/cloudtest"
)

const (
	testAKID   = cloudtest.AccessKeyID
	testSecret = cloudtest.AccessKeySecret
	testToken  = cloudtest.SecurityToken
)

var assertNoCredentials = cloudtest.AssertNoCredentials

// codeOf returns the Code of the *cloud.Error in err, or "".
func codeOf(err error) string {
	var e *cloud.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
