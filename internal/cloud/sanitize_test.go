package cloud_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/cloud/cloudtest"
)

func TestSanitize(t *testing.T) {
	stringToSign := "POST&%2F&" + url.QueryEscape("AccessKeyId="+cloudtest.AccessKeyID+"&Action=CreateDisk&SecurityToken="+
		cloudtest.RFC3986Escape(cloudtest.SecurityToken)+"&SignatureMethod=HMAC-SHA1&SignatureNonce=n1")
	tests := []struct {
		name, in string
		secrets  []string
		keep     []string // must survive
	}{
		{
			name: "transport error URL",
			in: `Post "https://ecs.cn-hangzhou.aliyuncs.com/?AccessKeyId=` + cloudtest.AccessKeyID + `&Action=DescribeDisks&SecurityToken=` +
				url.QueryEscape(cloudtest.SecurityToken) + `&Signature=abcDEF%2Bsig%3D&SignatureMethod=HMAC-SHA1": read: connection reset by peer`,
			keep: []string{"Action=DescribeDisks", "SignatureMethod=HMAC-SHA1", "connection reset by peer", "ecs.cn-hangzhou.aliyuncs.com"},
		},
		{
			name: "SignatureDoesNotMatch echo of the string to sign",
			in:   "Specified signature is not matched with our calculation. server string to sign is:" + stringToSign,
			keep: []string{"Action%3DCreateDisk", "SignatureMethod%3DHMAC-SHA1", "server string to sign is:"},
		},
		{
			name:    "string to sign echo, secrets known",
			in:      "server string to sign is:" + stringToSign,
			secrets: []string{cloudtest.AccessKeySecret, cloudtest.SecurityToken, cloudtest.AccessKeyID},
			keep:    []string{"Action%3DCreateDisk"},
		},
		{
			name: "double-encoded query inside a URL",
			in:   "https://x/?q=" + url.QueryEscape("a=1&"+url.QueryEscape("Signature=abcDEF+sig&SecurityToken="+cloudtest.SecurityToken)),
			keep: []string{"https://x/?q="},
		},
		{
			name: "JSON and header forms",
			in:   `{"AccessKeyId":"` + cloudtest.AccessKeyID + `","SecurityToken": "` + cloudtest.SecurityToken + `"} x-acs-security-token SecurityToken: ` + cloudtest.SecurityToken + ` Signature: abcDEF`,
			keep: []string{"x-acs-security-token"},
		},
		{
			name: "JSON inside a string",
			in:   `{\"AccessKeySecret\":\"` + cloudtest.AccessKeySecret + `\"}`,
		},
		{
			name:    "literal secret anywhere",
			in:      "oops " + cloudtest.AccessKeySecret + " / " + url.QueryEscape(cloudtest.AccessKeySecret) + " / " + cloudtest.RFC3986Escape(cloudtest.SecurityToken) + " / " + strings.ToLower(url.QueryEscape(cloudtest.AccessKeySecret)),
			secrets: []string{cloudtest.AccessKeySecret, cloudtest.SecurityToken},
			keep:    []string{"oops "},
		},
		{
			name: "lower-case names",
			in:   "signature=abcDEF&securitytoken=" + cloudtest.SecurityToken,
		},
		{
			name: "words containing a name are left alone",
			in:   "Recommend: InvalidAccessKeySecret: Please check you AccessKeySecret",
			keep: []string{"InvalidAccessKeySecret: Please check you AccessKeySecret"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := cloud.Sanitize(tt.in, tt.secrets...)
			cloudtest.AssertNoCredentials(t, out)
			for _, k := range tt.keep {
				if !strings.Contains(out, k) {
					t.Fatalf("lost %q:\n%s", k, out)
				}
			}
			if again := cloud.Sanitize(out, tt.secrets...); again != out {
				t.Fatalf("not idempotent:\n%s\n%s", out, again)
			}
		})
	}
}

func TestSanitizeLeavesCleanTextAlone(t *testing.T) {
	for _, s := range []string{"", "The specified disk does not exist.", "SignatureNonceUsed: nonce used", "a=b&c=d", "Signature=", "50% done"} {
		if got := cloud.Sanitize(s, "", "ab"); got != s {
			t.Fatalf("Sanitize(%q) = %q", s, got)
		}
	}
}

func TestCredentialsDoNotPrint(t *testing.T) {
	c := cloud.Credentials{AccessKeyID: cloudtest.AccessKeyID, AccessKeySecret: cloudtest.AccessKeySecret, SecurityToken: cloudtest.SecurityToken}
	for _, s := range []string{c.String(), c.GoString(), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%s", c)} {
		if strings.Contains(s, cloudtest.AccessKeySecret) || strings.Contains(s, cloudtest.SecurityToken) || strings.Contains(s, cloudtest.AccessKeyID) {
			t.Fatalf("credentials printed: %s", s)
		}
	}
}

// A cloud.Sanitizer prepared once answers as cloud.Sanitize does with the same secrets; a nil one as cloud.Sanitize
// without secrets.
func TestSanitizerMatchesSanitize(t *testing.T) {
	secrets := []string{cloudtest.AccessKeySecret, cloudtest.SecurityToken, cloudtest.AccessKeyID}
	z := cloud.NewSanitizer(secrets...)
	var none *cloud.Sanitizer
	for _, s := range []string{"", "plain text", "oops " + cloudtest.AccessKeySecret + " " + url.QueryEscape(strings.ToUpper(cloudtest.SecurityToken)),
		"AccessKeyId=" + cloudtest.AccessKeyID + "&Signature=abc", "Signature: abcDEF " + cloudtest.RFC3986Escape(cloudtest.SecurityToken)} {
		if got, want := z.Sanitize(s), cloud.Sanitize(s, secrets...); got != want {
			t.Errorf("Sanitizer.Sanitize(%q) = %q, cloud.Sanitize = %q", s, got, want)
		}
		if got, want := none.Sanitize(s), cloud.Sanitize(s); got != want {
			t.Errorf("nil cloud.Sanitizer.Sanitize(%q) = %q, cloud.Sanitize = %q", s, got, want)
		}
	}
}
