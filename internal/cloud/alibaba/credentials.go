package alibaba

import (
	"errors"
	"fmt"
	"sync"

	credproviders "github.com/aliyun/credentials-go/credentials/providers"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// DefaultCredentials returns the credentials-go default chain: the environment
// (ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN),
// OIDC, the Alibaba Cloud CLI profile, ~/.alibabacloud/credentials, the ECS instance role, and
// ALIBABA_CLOUD_CREDENTIALS_URI. It is meant for local runs; in Function Compute pass the
// invocation's cloud.Credentials instead. The chain is built on first use.
func DefaultCredentials() cloud.CredentialSource {
	return &chainSource{}
}

// chainSource adapts the credentials-go default chain to cloud.CredentialSource. The SDK does not
// accept credentials-go providers (SDK.UnsupportedCredential), and the default chain remembers the
// last provider that worked in an unguarded field, so calls are serialized here.
type chainSource struct {
	mu       sync.Mutex
	provider credproviders.CredentialsProvider
}

func (s *chainSource) Retrieve() (cloud.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provider == nil {
		s.provider = credproviders.NewDefaultCredentialsProvider()
	}
	cc, err := s.provider.GetCredentials()
	if err != nil {
		return cloud.Credentials{}, fmt.Errorf("default credential chain: %w", err)
	}
	if cc == nil {
		return cloud.Credentials{}, errors.New("default credential chain returned no credentials")
	}
	return cloud.Credentials{
		AccessKeyID:     cc.AccessKeyId,
		AccessKeySecret: cc.AccessKeySecret,
		SecurityToken:   cc.SecurityToken,
	}.Retrieve()
}
