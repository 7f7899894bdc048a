package cloud

import (
	"errors"
	"fmt"
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

// Secrets lists the values Sanitize must scrub from anything derived from a request signed with c.
func (c Credentials) Secrets() []string {
	return []string{c.AccessKeySecret, c.SecurityToken, c.AccessKeyID}
}

// maskID keeps enough of an access key ID to tell keys apart in a log.
func maskID(id string) string {
	if len(id) <= 4 {
		return "****"
	}
	return id[:4] + "****"
}
