package pairing

import (
	"crypto/sha256"
	"encoding/hex"
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
//
// A token only protects against a lost answer; the answer it replays may be stale. Two things
// move a change to a new token, both read from the cloud so that concurrent deliveries agree:
//   - the attempt: the primary's dr:attempt tag, raised after the API refused a create (a
//     service may keep answering a refused token with the refusal, even after its cause is
//     fixed), part of every create token when set;
//   - the generation: when a replayed answer names a pair or disk that does not exist (deleted
//     since), the next token is derived from the stale ID, so every delivery that saw that
//     stale answer asks for the same new resource.

// pairToken identifies "pair this primary with this secondary", at an attempt ("" for none).
func pairToken(primaryRegion, primary, secondaryRegion, secondary, attempt string) string {
	parts := []string{primaryRegion, primary, secondaryRegion, secondary}
	if attempt != "" {
		parts = append(parts, "attempt", attempt)
	}
	return token("absr-p-", parts...)
}

// startToken identifies "start this pair".
func startToken(pairID string) string { return token("absr-s-", pairID) }

// secondaryToken identifies "create the one auto-created secondary of this primary", at an
// attempt. Neither the destination nor the spec is part of it: two deployments whose routes
// disagree (mid-rollout) send the same token with different parameters, and the second is
// refused (IdempotentParameterMismatch) instead of buying a second disk.
func secondaryToken(primaryRegion, primary, attempt string) string {
	parts := []string{primaryRegion, primary}
	if attempt != "" {
		parts = append(parts, "attempt", attempt)
	}
	return token("absr-d-", parts...)
}

// nextToken is the token of the generation after one whose replayed answer named stale, a
// resource that no longer exists.
func nextToken(previous, stale string) string {
	prefix := previous[:min(len(previous), len("absr-x-"))]
	return token(prefix, previous, "after", stale)
}

func token(prefix string, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return prefix + hex.EncodeToString(sum[:])[:40]
}
