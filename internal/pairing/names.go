package pairing

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

// Pair names follow the EBS naming rules: 2 to 128 characters, starting with a letter
// (English or Chinese), then letters, digits, ':', '_', '-' and '.'. PairName applies them:
//   - every other character becomes '-';
//   - a name not starting with a letter, or shorter than 2 characters, gets the prefix "absr-";
//   - the name is cut to 128 characters.
//
// Such a name cannot start with "http://" or "https://" (both forbidden), as '/' is replaced.
const (
	minNameLen = 2
	maxNameLen = 128
	namePrefix = "absr-"
)

// PairName expands the template's {diskId} and {diskName} (the disk ID when the disk has no
// name) and sanitizes the result to the API's naming rules.
func PairName(template string, d cloud.Disk) string {
	name := d.Name
	if name == "" {
		name = d.ID
	}
	return sanitizeName(strings.NewReplacer("{diskId}", d.ID, "{diskName}", name).Replace(template))
}

// sanitizeName makes s a valid pair name (see the rules above).
func sanitizeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if nameLetter(r) || unicode.IsDigit(r) && r < utf8.RuneSelf || strings.ContainsRune(":_-.", r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	out := b.String()
	first, _ := utf8.DecodeRuneInString(out)
	if !nameLetter(first) || utf8.RuneCountInString(out) < minNameLen {
		out = namePrefix + out
	}
	if utf8.RuneCountInString(out) > maxNameLen {
		out = string([]rune(out)[:maxNameLen])
	}
	return out
}

func nameLetter(r rune) bool {
	return r < utf8.RuneSelf && unicode.IsLetter(r) || unicode.Is(unicode.Han, r)
}

// Client tokens are a function of the change, so a retry or a duplicate delivery of the same
// event sends the same token and the API answers it with the first result. They are short
// (< 64) printable ASCII.

// pairToken identifies "pair this primary with this secondary".
func pairToken(primaryRegion, primary, secondaryRegion, secondary string) string {
	return token("absr-p-", primaryRegion, primary, secondaryRegion, secondary)
}

// startToken identifies "start this pair".
func startToken(pairID string) string { return token("absr-s-", pairID) }

// secondaryToken identifies "create the secondary of this primary with this spec there".
func secondaryToken(primaryRegion, primary string, in cloud.CreateDiskInput) string {
	return token("absr-d-", primaryRegion, primary, in.RegionID, in.ZoneID, in.Category,
		in.PerformanceLevel, fmt.Sprint(in.Size))
}

func token(prefix string, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return prefix + hex.EncodeToString(sum[:])[:40]
}
