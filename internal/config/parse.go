package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// Parsers and checks of single variable values.

// parseBool accepts true/false, 1/0 and yes/no in any case.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no":
		return false, nil
	}
	return false, fmt.Errorf("%s is not a boolean (expected true/false, 1/0 or yes/no)", quote(v))
}

// parsePositive parses a finite number from MinMaxQPS to MaxMaxQPS.
func parsePositive(v string) (float64, error) {
	q, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(q) || math.IsInf(q, 0) || q < MinMaxQPS || q > MaxMaxQPS {
		return 0, fmt.Errorf("%v is out of range", q)
	}
	return q, nil
}

// parseEnvRoutes parses "src=dst[/zone],..." (ABSR_ROUTES). It returns the routes it could read and
// one message per problem.
func parseEnvRoutes(v string) (map[string]pairing.Route, []string) {
	routes := map[string]pairing.Route{}
	var msgs []string
	for i, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			msgs = append(msgs, fmt.Sprintf("entry %d is empty; expected source=destination[/zone], like cn-hangzhou=cn-shanghai/cn-shanghai-b", i+1))
			continue
		}
		src, dst, found := strings.Cut(item, "=")
		src, dst = strings.TrimSpace(src), strings.TrimSpace(dst)
		if !found || strings.Contains(dst, "=") {
			msgs = append(msgs, fmt.Sprintf("entry %s: expected source=destination[/zone], like cn-hangzhou=cn-shanghai/cn-shanghai-b", quote(item)))
			continue
		}
		region, zone, hasZone := strings.Cut(dst, "/")
		region, zone = strings.TrimSpace(region), strings.TrimSpace(zone)
		problems := nonEmpty(checkRegion(src))
		if m := checkRegion(region); m != "" {
			problems = append(problems, "destination: "+m)
		} else if !hasZone && region == src {
			problems = append(problems, fmt.Sprintf("a destination in the source region needs another zone of it, like %s=%s/<zone>", src, src))
		} else if hasZone {
			if strings.Contains(zone, "/") {
				problems = append(problems, "more than one zone")
			} else if m := checkZone(zone, region); m != "" {
				problems = append(problems, m)
			}
		}
		if _, dup := routes[src]; dup && len(problems) == 0 {
			problems = append(problems, "source region given twice")
		}
		if len(problems) > 0 {
			msgs = append(msgs, fmt.Sprintf("entry %s: %s", quote(item), strings.Join(problems, "; ")))
			continue
		}
		routes[src] = pairing.Route{Region: region, Zone: zone}
	}
	return routes, msgs
}

// parseRegionList parses a comma-separated list of region IDs, dropping repeats.
func parseRegionList(v string) ([]string, []string) {
	var regions, msgs []string
	seen := map[string]bool{}
	for i, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			msgs = append(msgs, fmt.Sprintf("entry %d is empty; expected region IDs separated by commas, like cn-hangzhou,cn-beijing", i+1))
			continue
		}
		if m := checkRegion(item); m != "" {
			msgs = append(msgs, m)
			continue
		}
		if !seen[item] {
			seen[item] = true
			regions = append(regions, item)
		}
	}
	return regions, msgs
}

// Placeholders the pair name template may use.
var pairNamePlaceholders = []string{"diskId", "diskName"}

// checkPairNameTemplate allows literal text and the placeholders {diskId} and {diskName}; the
// engine sanitizes the expanded name to the API's rules.
func checkPairNameTemplate(t string) string {
	if utf8.RuneCountInString(t) > 128 {
		return "longer than 128 characters"
	}
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case '{':
			end := strings.IndexByte(t[i:], '}')
			if end < 0 {
				return "a { is not closed; expected text with {diskId} or {diskName}"
			}
			name := t[i+1 : i+end]
			if !slices.Contains(pairNamePlaceholders, name) {
				return fmt.Sprintf("unknown placeholder %s; expected {diskId} or {diskName}", quote("{"+name+"}"))
			}
			i += end
		case '}':
			return "a } without {; expected text with {diskId} or {diskName}"
		}
	}
	return ""
}

func nonEmpty(msgs ...string) []string {
	var out []string
	for _, m := range msgs {
		if m != "" {
			out = append(out, m)
		}
	}
	return out
}
