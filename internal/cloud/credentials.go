package cloud

import (
	"errors"
	"fmt"
	"sync"

	credproviders "github.com/aliyun/credentials-go/credentials/providers"
)

// Credentials sign requests: an AccessKey pair, with a SecurityToken for STS credentials such as
// the per-invocation role credentials Function Compute passes in the invocation context.
// String and GoString hide the secret parts, so printing a Credentials leaks nothing.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// CredentialSource yields the credentials for the next request. Implementations are safe for
// concurrent use; sources that refresh (STS, instance roles) return fresh values.
type CredentialSource interface {
	Retrieve() (Credentials, error)
}

// Retrieve makes static Credentials a CredentialSource.
func (c Credentials) Retrieve() (Credentials, error) {
	switch {
	case c.AccessKeyID == "":
		return Credentials{}, errors.New("the access key ID is empty")
	case c.AccessKeySecret == "":
		return Credentials{}, errors.New("the access key secret is empty")
	}
	return c, nil
}

func (c Credentials) String() string {
	token := "none"
	if c.SecurityToken != "" {
		token = Redacted
	}
	return fmt.Sprintf("Credentials{AccessKeyID: %s, AccessKeySecret: %s, SecurityToken: %s}",
		maskID(c.AccessKeyID), Redacted, token)
}

// GoString keeps %#v from printing the fields.
func (c Credentials) GoString() string { return c.String() }

// secrets lists the values Sanitize must scrub from anything derived from a request signed with c.
func (c Credentials) secrets() []string {
	return []string{c.AccessKeySecret, c.SecurityToken, c.AccessKeyID}
}

// maskID keeps enough of an access key ID to tell keys apart in a log.
func maskID(id string) string {
	if len(id) <= 4 {
		return "****"
	}
	return id[:4] + "****"
}

// DefaultCredentials returns the credentials-go default chain: the environment
// (ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN),
// OIDC, the Alibaba Cloud CLI profile, ~/.alibabacloud/credentials, the ECS instance role, and
// ALIBABA_CLOUD_CREDENTIALS_URI. It is meant for local runs; in Function Compute pass the
// invocation's Credentials instead. The chain is built on first use.
func DefaultCredentials() CredentialSource {
	return &chainSource{}
}

// chainSource adapts a credentials-go provider to CredentialSource. The SDK does not accept
// credentials-go providers (SDK.UnsupportedCredential), and the default chain remembers the last
// provider that worked in an unguarded field, so calls are serialized here.
type chainSource struct {
	mu       sync.Mutex
	provider credproviders.CredentialsProvider
}

func (s *chainSource) Retrieve() (Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provider == nil {
		s.provider = credproviders.NewDefaultCredentialsProvider()
	}
	cc, err := s.provider.GetCredentials()
	if err != nil {
		return Credentials{}, fmt.Errorf("default credential chain: %w", err)
	}
	if cc == nil {
		return Credentials{}, errors.New("default credential chain returned no credentials")
	}
	return Credentials{
		AccessKeyID:     cc.AccessKeyId,
		AccessKeySecret: cc.AccessKeySecret,
		SecurityToken:   cc.SecurityToken,
	}.Retrieve()
}

// ProviderSource adapts any credentials-go provider (for example a RAM role ARN provider) to
// CredentialSource.
func ProviderSource(p credproviders.CredentialsProvider) CredentialSource {
	return &chainSource{provider: p}
}
