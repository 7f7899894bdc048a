package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/absr-autopair/absr-autopair/internal/pairing"
	"go.yaml.in/yaml/v3"
)

// MaxMappingFileSize bounds the mapping file: a few thousand pairs fit in far less.
const MaxMappingFileSize = 1 << 20

// Mapping is the content of the mapping file: default routes per source region and explicit
// primary -> secondary pairs.
type Mapping struct {
	Routes map[string]pairing.Route        // source region -> destination
	Pairs  map[string]pairing.SecondaryRef // primary disk ID -> secondary
}

// mappingErrors collects every problem in one file, each prefixed with "file:line: key:".
type mappingErrors struct {
	name string
	errs []error
}

func (m *mappingErrors) add(n *yaml.Node, key, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	where := m.name
	if n != nil && n.Line > 0 {
		where = fmt.Sprintf("%s:%d", m.name, n.Line)
	}
	if key != "" {
		m.errs = append(m.errs, fmt.Errorf("%s: %s: %s", where, key, msg))
		return
	}
	m.errs = append(m.errs, fmt.Errorf("%s: %s", where, msg))
}

// parseMapping parses a mapping file's content. name (the file's path) prefixes every error,
// together with the line and the key at fault; all problems are reported at once. Unknown keys
// are errors, so a misspelt "zone" cannot be ignored silently.
func parseMapping(data []byte, name string) (Mapping, error) {
	if name == "" {
		name = "mapping file"
	}
	if len(data) > MaxMappingFileSize {
		return Mapping{}, fmt.Errorf("%s: larger than %d bytes", name, MaxMappingFileSize)
	}
	m := Mapping{Routes: map[string]pairing.Route{}, Pairs: map[string]pairing.SecondaryRef{}}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return m, nil // empty file, or only comments
		}
		return Mapping{}, yamlSyntaxError(name, data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if err != nil {
			return Mapping{}, yamlSyntaxError(name, data, err)
		}
		return Mapping{}, fmt.Errorf("%s:%d: a second YAML document; the mapping file holds one", name, line)
	}

	e := &mappingErrors{name: name}
	var lines map[string]int // primary disk ID -> line of its secondary, for errors
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return m, nil
		}
		root = root.Content[0]
	}
	root = resolve(root)
	if isNull(root) {
		return m, nil
	}
	if root.Kind != yaml.MappingNode {
		e.add(root, "", "expected a mapping with the keys routes and pairs, found %s", describe(root))
		return Mapping{}, errors.Join(e.errs...)
	}
	for _, kv := range entries(root, "", e) {
		switch kv.key {
		case "routes":
			parseRoutes(kv.value, m.Routes, e)
		case "pairs":
			lines = parsePairs(kv.value, m.Pairs, e)
		default:
			e.add(kv.keyNode, kv.key, "unknown key (expected routes or pairs)")
		}
	}
	checkPairsDisjoint(m.Pairs, lines, e)
	if len(e.errs) > 0 {
		return Mapping{}, errors.Join(e.errs...)
	}
	return m, nil
}

func parseRoutes(n *yaml.Node, out map[string]pairing.Route, e *mappingErrors) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		e.add(n, "routes", "expected a mapping of source region to {region, zone}, found %s", describe(n))
		return
	}
	for _, kv := range entries(n, "routes", e) {
		path := "routes." + kv.key
		if msg := checkRegion(kv.key); msg != "" {
			e.add(kv.keyNode, path, "source region: %s", msg)
		}
		fields := fieldsOf(kv.value, path, []string{"region", "zone"}, "{region: cn-shanghai, zone: cn-shanghai-b}", e)
		if fields == nil {
			continue
		}
		r := pairing.Route{}
		region, ok := fields["region"]
		if !ok {
			e.add(resolve(kv.value), path, "region is missing (the destination region)")
			continue
		}
		r.Region = region.Value
		if msg := checkRegion(r.Region); msg != "" {
			e.add(region, path+".region", "%s", msg)
			continue
		}
		if zone, ok := fields["zone"]; ok {
			r.Zone = zone.Value
			if msg := checkZone(r.Zone, r.Region); msg != "" {
				e.add(zone, path+".zone", "%s", msg)
				continue
			}
		} else if r.Region == kv.key {
			e.add(region, path+".region", "a destination in the source region needs another zone of it (zone: <zone>)")
			continue
		}
		out[kv.key] = r
	}
}

func parsePairs(n *yaml.Node, out map[string]pairing.SecondaryRef, e *mappingErrors) (lines map[string]int) {
	lines = map[string]int{}
	n = resolve(n)
	if isNull(n) {
		return lines
	}
	if n.Kind != yaml.MappingNode {
		e.add(n, "pairs", "expected a mapping of primary disk ID to {disk, region}, found %s", describe(n))
		return lines
	}
	for _, kv := range entries(n, "pairs", e) {
		path := "pairs." + kv.key
		if msg := checkDiskID(kv.key); msg != "" {
			e.add(kv.keyNode, path, "primary disk: %s", msg)
		}
		fields := fieldsOf(kv.value, path, []string{"disk", "region"}, "{disk: d-..., region: cn-shanghai}", e)
		if fields == nil {
			continue
		}
		disk, okDisk := fields["disk"]
		region, okRegion := fields["region"]
		if !okDisk {
			e.add(resolve(kv.value), path, "disk is missing (the secondary disk ID)")
		}
		if !okRegion {
			e.add(resolve(kv.value), path, "region is missing (the secondary disk's region)")
		}
		if !okDisk || !okRegion {
			continue
		}
		bad := false
		if msg := checkDiskID(disk.Value); msg != "" {
			e.add(disk, path+".disk", "%s", msg)
			bad = true
		} else if disk.Value == kv.key {
			e.add(disk, path+".disk", "the secondary is the primary disk itself")
			bad = true
		}
		if msg := checkRegion(region.Value); msg != "" {
			e.add(region, path+".region", "%s", msg)
			bad = true
		}
		if !bad {
			out[kv.key] = pairing.SecondaryRef{DiskID: disk.Value, Region: region.Value}
			lines[kv.key] = disk.Line
		}
	}
	return lines
}

// checkPairsDisjoint enforces one pair per disk: no secondary serves two primaries, and no disk
// is a primary in one pair and a secondary in another.
func checkPairsDisjoint(pairs map[string]pairing.SecondaryRef, lines map[string]int, e *mappingErrors) {
	usedBy := map[string]string{}
	for _, p := range slices.Sorted(maps.Keys(pairs)) { // sorted: a stable error order
		s := pairs[p].DiskID
		if other, dup := usedBy[s]; dup {
			e.add(&yaml.Node{Line: lines[p]}, "pairs."+p+".disk", "secondary %s is already the secondary of %s (one pair per disk)", s, other)
		} else {
			usedBy[s] = p
		}
		if _, isPrimary := pairs[s]; isPrimary {
			e.add(&yaml.Node{Line: lines[p]}, "pairs."+p+".disk", "secondary %s is also listed as a primary (one pair per disk)", s)
		}
	}
}

type entry struct {
	key     string
	keyNode *yaml.Node
	value   *yaml.Node
}

// entries lists a mapping's key/value pairs, reporting keys that are not plain strings and keys
// given twice.
func entries(n *yaml.Node, path string, e *mappingErrors) []entry {
	seen := map[string]int{}
	var out []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			e.add(k, path, "a key is %s, expected a string", describe(k))
			continue
		}
		full := k.Value
		if path != "" {
			full = path + "." + k.Value
		}
		if k.Value == "<<" {
			e.add(k, full, "merge keys are not supported")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			e.add(k, full, "given twice (first at line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, entry{key: k.Value, keyNode: k, value: v})
	}
	return out
}

// fieldsOf reads a small mapping of scalar fields, reporting unknown and non-scalar ones. It
// returns nil when the node is not a mapping.
func fieldsOf(n *yaml.Node, path string, allowed []string, example string, e *mappingErrors) map[string]*yaml.Node {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		e.add(n, path, "expected a mapping like %s, found %s", example, describe(n))
		return nil
	}
	out := map[string]*yaml.Node{}
	for _, kv := range entries(n, path, e) {
		if !slices.Contains(allowed, kv.key) {
			e.add(kv.keyNode, path+"."+kv.key, "unknown key (expected %s)", strings.Join(allowed, " or "))
			continue
		}
		v := resolve(kv.value)
		if v.Kind != yaml.ScalarNode || isNull(v) {
			e.add(v, path+"."+kv.key, "expected a string, found %s", describe(v))
			continue
		}
		out[kv.key] = v
	}
	return out
}

// resolve follows an alias to its anchor. yaml.v3 refuses anchors that contain themselves, so
// the walk ends.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func describe(n *yaml.Node) string {
	switch {
	case n == nil || isNull(n):
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.ScalarNode:
		return "the value " + quote(n.Value)
	}
	return "an unsupported node"
}

// loadMapping reads and parses a mapping file, refusing anything but a regular file of at most
// MaxMappingFileSize bytes.
func loadMapping(path string) (Mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return Mapping{}, fmt.Errorf("mapping file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Mapping{}, fmt.Errorf("mapping file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return Mapping{}, fmt.Errorf("mapping file %s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxMappingFileSize+1))
	if err != nil {
		return Mapping{}, fmt.Errorf("mapping file %s: %w", path, err)
	}
	if len(data) > MaxMappingFileSize {
		return Mapping{}, fmt.Errorf("mapping file %s: larger than %d bytes", path, MaxMappingFileSize)
	}
	return parseMapping(data, path)
}

// yamlLine matches the position yaml.v3 puts in syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlSyntaxError reports a YAML syntax error as name:line: message. yaml.v3 numbers the lines
// of its parser errors ("did not find expected ...") from 0 and those of its scanner errors
// from 1; both come out numbered from 1 here. A tab where indentation is expected gets a
// message that says so.
func yamlSyntaxError(name string, data []byte, err error) error {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	line, _ := strconv.Atoi(m[1])
	msg := m[2]
	if strings.HasPrefix(msg, "did not find expected") {
		line++
	}
	if lines := strings.Split(string(data), "\n"); line >= 1 && line <= len(lines) &&
		strings.Contains(msg, "cannot start any token") && strings.Contains(lines[line-1], "\t") {
		msg = "a tab character: YAML indents with spaces only"
	}
	return fmt.Errorf("%s:%d: %s", name, line, msg)
}
