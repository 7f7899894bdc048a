package intake

import (
	"fmt"
	"strings"

	"github.com/absr-autopair/absr-autopair/internal/valid"
)

// firstRegion returns the first candidate that is a well-formed region ID, or "".
func firstRegion(candidates ...string) string {
	for _, c := range candidates {
		if valid.RegionID(c) {
			return c
		}
	}
	return ""
}

// arn is a parsed Alibaba Cloud resource name: acs:<service>:<region>:<account>:<type>/<id>.
type arn struct {
	service, region, resourceType, id string
}

func parseARN(s string) (arn, bool) {
	parts := strings.SplitN(s, ":", 5)
	if len(parts) != 5 || parts[0] != "acs" {
		return arn{}, false
	}
	typ, id, ok := strings.Cut(parts[4], "/")
	if !ok || typ == "" || id == "" {
		return arn{}, false
	}
	return arn{service: strings.ToLower(parts[1]), region: parts[2], resourceType: strings.ToLower(typ), id: id}, true
}

// sample renders up to three user-supplied values for a log-safe message: each quoted (so
// control characters cannot forge log lines) and cut to a sane length.
func sample(values []string) string {
	const maxShown, maxLen = 3, 80
	var b strings.Builder
	for i, v := range values {
		if i == maxShown {
			fmt.Fprintf(&b, " and %d more", len(values)-maxShown)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if len(v) > maxLen {
			v = v[:maxLen] + "..."
		}
		fmt.Fprintf(&b, "%q", v)
	}
	return b.String()
}
