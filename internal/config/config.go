// Package config builds the function's configuration from ABSR_* environment variables and the
// optional YAML mapping file. Every bad value is an error naming the variable (or the file, line
// and key), the value and what was expected; all problems are reported together.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/pairing"
)

// Defaults, as documented in the design's configuration table. The pairing policy's are the
// engine's own (package pairing).
const (
	DefaultOptInKey         = pairing.DefaultOptInKey
	DefaultOptInValue       = pairing.DefaultOptInValue
	DefaultAPI              = "ebs"
	DefaultPairNameTemplate = pairing.DefaultPairNameTemplate
	DefaultChargeType       = pairing.DefaultChargeType
	DefaultRPO              = pairing.DefaultRPO
	DefaultConcurrency      = pairing.DefaultConcurrency
	MaxConcurrency          = pairing.MaxConcurrency
	// DefaultMaxQPS is per action and region. ECS and EBS flow control allows more per action
	// and account, but other tools in the account share that budget; 10/s keeps a sweep of
	// thousands of disks within minutes while leaving headroom.
	DefaultMaxQPS = 10
	MaxMaxQPS     = 1000
	// MinMaxQPS is the floor. Below one call per second the limiter's burst is one call and every
	// further call of an action waits longer than the polls it serves (a new disk, a creating pair:
	// every 0.5 s): an event's one disk needs several calls of one action in a region (the pair
	// listing, then the new pair's reads), and a sweep pairs at most ABSR_MAX_QPS disks per second,
	// so 0.000001 accepted would time every disk out.
	MinMaxQPS = 1
	// maxRecoveryPointAge caps ABSR_MAX_RECOVERY_POINT_AGE at 30 days: a larger value is a typo
	// (milliseconds, say) that would hide every lagging pair.
	maxRecoveryPointAge = 30 * 24 * 3600
	// DefaultMappingFileName is looked for beside the executable when ABSR_MAPPING_FILE is unset.
	DefaultMappingFileName = "mapping.yaml"
)

// Bandwidths the EBS API accepts, Kbit/s.
var allowedBandwidths = []int{10240, 20480, 51200, 102400}

// Variable names.
const (
	EnvOptInTag            = "ABSR_OPT_IN_TAG"
	EnvRoutes              = "ABSR_ROUTES"
	EnvMappingFile         = "ABSR_MAPPING_FILE"
	EnvAutoCreateSecondary = "ABSR_AUTO_CREATE_SECONDARY"
	EnvStart               = "ABSR_START"
	EnvMarkPrimary         = "ABSR_MARK_PRIMARY"
	EnvDryRun              = "ABSR_DRY_RUN"
	EnvAPI                 = "ABSR_API"
	EnvPairName            = "ABSR_PAIR_NAME"
	EnvChargeType          = "ABSR_CHARGE_TYPE"
	EnvBandwidth           = "ABSR_BANDWIDTH"
	EnvRPO                 = "ABSR_RPO"
	EnvPeriod              = "ABSR_PERIOD"
	EnvSourceRegions       = "ABSR_SOURCE_REGIONS"
	EnvConcurrency         = "ABSR_CONCURRENCY"
	EnvMaxQPS              = "ABSR_MAX_QPS"
	EnvECSEndpoint         = "ABSR_ECS_ENDPOINT"
	EnvEBSEndpoint         = "ABSR_EBS_ENDPOINT"
	EnvReplicaGroups       = "ABSR_REPLICA_GROUPS"
	EnvMaxRecoveryPointAge = "ABSR_MAX_RECOVERY_POINT_AGE"

	// Set by Function Compute (FC_REGION) or by the operator for local runs.
	EnvFCRegion    = "FC_REGION"
	EnvSDKRegionID = "ALIBABA_CLOUD_REGION_ID"
)

// Variables lists every ABSR_* variable this package reads: the one list of known names. Any
// other ABSR_* variable is a startup error (UnknownVariablesError), so a new variable must be
// added here.
func Variables() []string {
	return []string{
		EnvOptInTag, EnvRoutes, EnvMappingFile, EnvAutoCreateSecondary, EnvStart, EnvMarkPrimary,
		EnvDryRun, EnvAPI, EnvPairName, EnvChargeType, EnvBandwidth, EnvPeriod, EnvRPO, EnvSourceRegions,
		EnvConcurrency, EnvMaxQPS, EnvECSEndpoint, EnvEBSEndpoint, EnvReplicaGroups,
		EnvMaxRecoveryPointAge,
	}
}

// Config is the whole configuration of one function instance.
type Config struct {
	Pairing       pairing.Options
	API           string   // "ebs" | "ecs"
	SourceRegions []string // regions the reconcile sweep scans
	MaxQPS        float64  // API calls per second per action and region
	ECSEndpoint   string   // full URL override ("" = the public HTTPS endpoint)
	EBSEndpoint   string
	MappingFile   string // the file actually loaded, "" when none
}

// FromEnv reads the configuration through lookup (os.LookupEnv in main). An unset or empty
// variable takes its default; any other bad value is an error. The mapping file is
// ABSR_MAPPING_FILE, else mapping.yaml beside the executable when present.
func FromEnv(lookup func(string) (string, bool)) (Config, error) {
	return load(lookup, defaultMappingPath())
}

func defaultMappingPath() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return filepath.Join(filepath.Dir(exe), DefaultMappingFileName)
}

// UnknownVariables returns the ABSR_* names in environ ("K=V" entries, as os.Environ gives) that
// this package does not read: most likely misspellings.
func UnknownVariables(environ []string) []string {
	known := map[string]bool{}
	for _, v := range Variables() {
		known[v] = true
	}
	var unknown []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "ABSR_") && !known[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	return unknown
}

// UnknownVariablesError is an error naming each ABSR_* variable of environ that nothing reads,
// with the known name it most likely misspells, or nil when there is none. A misspelled
// ABSR_DRY_RUN must stop the function rather than let it change disks for real.
func UnknownVariablesError(environ []string) error {
	unknown := UnknownVariables(environ)
	if len(unknown) == 0 {
		return nil
	}
	errs := make([]error, 0, len(unknown))
	for _, name := range unknown {
		if near := nearestVariable(name); near != "" {
			errs = append(errs, fmt.Errorf("%s: unknown variable (did you mean %s?)", name, near))
		} else {
			errs = append(errs, fmt.Errorf("%s: unknown variable (known: %s)", name, strings.Join(Variables(), ", ")))
		}
	}
	return fmt.Errorf("configuration: %w", errors.Join(errs...))
}

// nearestVariable is the known variable that name equals but for case and underscores, or
// that it begins or ends (ABSR_ROUTE, ABSR_SOURCE_REGION), else "".
func nearestVariable(name string) string {
	squash := func(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "_", "")) }
	n := squash(name)
	for _, v := range Variables() {
		if k := squash(v); k == n || (len(n) > len("ABSR")+2 && (strings.HasPrefix(k, n) || strings.HasPrefix(n, k))) {
			return v
		}
	}
	return ""
}

// reader gathers every problem rather than stopping at the first.
type reader struct {
	lookup func(string) (string, bool)
	errs   []error
}

// get returns a variable's value with surrounding spaces removed; unset and empty are the same
// (an s.yaml entry left as "" means "use the default").
func (r *reader) get(name string) (string, bool) {
	v, ok := r.lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (r *reader) fail(name, value, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s=%s: %s", name, quote(value), fmt.Sprintf(format, args...)))
}

// load reads the configuration in named steps; each records its problems in r, and load reports
// them all together.
func load(lookup func(string) (string, bool), defaultMapping string) (Config, error) {
	r := &reader{lookup: lookup}
	c := defaults()
	r.optInTag(&c.Pairing)
	r.boolean(EnvAutoCreateSecondary, &c.Pairing.AutoCreateSecondary)
	r.boolean(EnvStart, &c.Pairing.Start)
	r.boolean(EnvMarkPrimary, &c.Pairing.MarkPrimary)
	r.boolean(EnvDryRun, &c.Pairing.DryRun)
	r.apiFamily(&c)
	c.Pairing.ReplicaGroups = r.replicaGroups(c.API)
	r.pairSettings(&c.Pairing)
	r.limits(&c)
	c.ECSEndpoint = r.endpoint(EnvECSEndpoint)
	c.EBSEndpoint = r.endpoint(EnvEBSEndpoint)
	c.SourceRegions = r.sourceRegions()
	r.routesAndPairs(&c, defaultMapping)
	if len(r.errs) > 0 {
		return Config{}, fmt.Errorf("configuration: %w", errors.Join(r.errs...))
	}
	return c, nil
}

// defaults is the configuration when no variable is set.
func defaults() Config {
	return Config{
		Pairing: pairing.Options{
			OptInKey:         DefaultOptInKey,
			OptInValue:       DefaultOptInValue,
			Routes:           map[string]pairing.Route{},
			Pairs:            map[string]pairing.SecondaryRef{},
			Start:            true,
			MarkPrimary:      true,
			PairNameTemplate: DefaultPairNameTemplate,
			ChargeType:       DefaultChargeType,
			RPO:              DefaultRPO,
			Concurrency:      DefaultConcurrency,
		},
		API:    DefaultAPI,
		MaxQPS: DefaultMaxQPS,
	}
}

// optInTag reads ABSR_OPT_IN_TAG, key=value.
func (r *reader) optInTag(p *pairing.Options) {
	v, ok := r.get(EnvOptInTag)
	if !ok {
		return
	}
	key, value, found := strings.Cut(v, "=")
	if !found {
		r.fail(EnvOptInTag, v, "expected key=value, like dr=enabled")
		return
	}
	if msgs := nonEmpty(checkTagKey(key), checkTagValue(value)); len(msgs) > 0 {
		r.fail(EnvOptInTag, v, "%s", strings.Join(msgs, "; "))
		return
	}
	p.OptInKey, p.OptInValue = key, value
}

// apiFamily reads ABSR_API.
func (r *reader) apiFamily(c *Config) {
	v, ok := r.get(EnvAPI)
	if !ok {
		return
	}
	switch api := strings.ToLower(v); api {
	case "ebs", "ecs":
		c.API = api
	default:
		r.fail(EnvAPI, v, "expected ebs (the 2021-07-30 API) or ecs (the 2014-05-26 API)")
	}
}

// pairSettings reads what every new pair is created with: its name, charge type, bandwidth,
// period and RPO.
func (r *reader) pairSettings(p *pairing.Options) {
	if v, ok := r.get(EnvPairName); ok {
		if msg := checkPairNameTemplate(v); msg != "" {
			r.fail(EnvPairName, v, "%s", msg)
		} else {
			p.PairNameTemplate = v
		}
	}
	chargeTypeOK := true
	if v, ok := r.get(EnvChargeType); ok {
		switch ct := strings.ToUpper(v); ct {
		case "POSTPAY", "PREPAY":
			p.ChargeType = ct
		default:
			chargeTypeOK = false
			r.fail(EnvChargeType, v, "expected POSTPAY or PREPAY")
		}
	}
	if v, ok := r.get(EnvBandwidth); ok {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || !slices.Contains(allowedBandwidths, n):
			r.fail(EnvBandwidth, v, "expected one of 10240, 20480, 51200, 102400 (Kbit/s)")
		case chargeTypeOK && p.ChargeType == "POSTPAY":
			r.fail(EnvBandwidth, v, "the bandwidth cannot be set with %s=POSTPAY (the default); set %s=PREPAY or leave %s unset",
				EnvChargeType, EnvChargeType, EnvBandwidth)
		default:
			p.Bandwidth = n
		}
	}
	if v, ok := r.get(EnvPeriod); ok {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || !slices.Contains(pairing.Periods, n):
			r.fail(EnvPeriod, v, "expected one of 1, 2, 3, 6, 12, 24, 36, 60 (months a %s=PREPAY pair is bought for)", EnvChargeType)
		case chargeTypeOK && p.ChargeType == "POSTPAY":
			// An error, not a silent no-op: the operator meant to buy something for a period.
			r.fail(EnvPeriod, v, "a period applies to %s=PREPAY only, and %s is POSTPAY (the default); set %s=PREPAY or leave %s unset",
				EnvChargeType, EnvChargeType, EnvChargeType, EnvPeriod)
		default:
			p.Period = n
		}
	} else if p.ChargeType == "PREPAY" {
		p.Period = pairing.DefaultPeriod
	}
	if v, ok := r.get(EnvRPO); ok {
		if n, err := strconv.Atoi(v); err != nil || n != DefaultRPO {
			r.fail(EnvRPO, v, "expected 900 (seconds; the only RPO the API accepts)")
		}
	}
	if v, ok := r.get(EnvMaxRecoveryPointAge); ok {
		// Seconds, at least the 900 s RPO: a recovery point is at best one cycle old.
		if n, err := strconv.Atoi(v); err != nil || n < DefaultRPO || n > maxRecoveryPointAge {
			r.fail(EnvMaxRecoveryPointAge, v, "expected whole seconds from %d (the RPO) to %d; older recovery points are lagging (default %d)",
				DefaultRPO, maxRecoveryPointAge, int(pairing.DefaultMaxRecoveryPointAge/time.Second))
		} else {
			p.MaxRecoveryPointAge = time.Duration(n) * time.Second
		}
	}
}

// limits reads how much the function does at once: disks in progress and API calls per second.
func (r *reader) limits(c *Config) {
	if v, ok := r.get(EnvConcurrency); ok {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > MaxConcurrency {
			r.fail(EnvConcurrency, v, "expected an integer from 1 to %d", MaxConcurrency)
		} else {
			c.Pairing.Concurrency = n
		}
	}
	if v, ok := r.get(EnvMaxQPS); ok {
		if q, err := parsePositive(v); err != nil {
			r.fail(EnvMaxQPS, v, "expected a number of calls per second from %d to %d", MinMaxQPS, MaxMaxQPS)
		} else {
			c.MaxQPS = q
		}
	}
}

// routesAndPairs reads ABSR_ROUTES and the mapping file; a route in both is the environment's.
func (r *reader) routesAndPairs(c *Config, defaultMapping string) {
	envRoutes := map[string]pairing.Route{}
	if v, ok := r.get(EnvRoutes); ok {
		routes, msgs := parseEnvRoutes(v)
		for _, m := range msgs {
			r.fail(EnvRoutes, v, "%s", m)
		}
		envRoutes = routes
	}
	mapping, path, err := loadMappingFile(r, defaultMapping)
	if err != nil {
		r.errs = append(r.errs, err)
	}
	c.MappingFile = path
	maps.Copy(c.Pairing.Routes, mapping.Routes)
	maps.Copy(c.Pairing.Routes, envRoutes) // second: the environment wins on conflict
	maps.Copy(c.Pairing.Pairs, mapping.Pairs)
}

// loadMappingFile loads ABSR_MAPPING_FILE (which must exist), else the default path when a file
// is there. It returns the path loaded, "" when none.
func loadMappingFile(r *reader, defaultPath string) (Mapping, string, error) {
	path, required := defaultPath, false
	if v, ok := r.get(EnvMappingFile); ok {
		path, required = v, true
	} else if path == "" {
		return Mapping{}, "", nil
	}
	if _, err := os.Stat(path); err != nil {
		missing := errors.Is(err, fs.ErrNotExist)
		switch {
		case required && missing:
			return Mapping{}, "", fmt.Errorf("%s=%s: the file does not exist", EnvMappingFile, quote(path))
		case required:
			return Mapping{}, "", fmt.Errorf("%s=%s: %w", EnvMappingFile, quote(path), err)
		case missing:
			return Mapping{}, "", nil
		default:
			return Mapping{}, "", fmt.Errorf("mapping file %s: %w", path, err)
		}
	}
	m, err := loadMapping(path)
	if err != nil {
		return Mapping{}, "", err
	}
	return m, path, nil
}

func (r *reader) boolean(name string, dst *bool) {
	v, ok := r.get(name)
	if !ok {
		return
	}
	b, err := parseBool(v)
	if err != nil {
		r.fail(name, v, "expected true or false (also 1/0, yes/no)")
		return
	}
	*dst = b
}

// endpoint reads a full URL override: http or https, a host, an optional port, nothing else.
func (r *reader) endpoint(name string) string {
	v, ok := r.get(name)
	if !ok {
		return ""
	}
	u, err := url.Parse(v)
	if err == nil && u.User != nil || err != nil && strings.Contains(v, "@") {
		// A URL that does not parse is not echoed either when it may hold user info: the
		// password would be in the message.
		// Do not echo it: the user-info part would be a credential.
		r.errs = append(r.errs, fmt.Errorf("%s: the URL contains user info (user:password@); credentials never go in an endpoint", name))
		return ""
	}
	var msg string
	switch {
	case err != nil:
		msg = "not a URL; expected like https://ecs.cn-hangzhou.aliyuncs.com or http://127.0.0.1:9080"
	case u.Scheme != "http" && u.Scheme != "https":
		msg = "expected an http:// or https:// URL, like https://ecs.cn-hangzhou.aliyuncs.com"
	case u.Hostname() == "":
		msg = "the URL has no host; expected like http://127.0.0.1:9080"
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "", u.Opaque != "":
		msg = "expected only scheme, host and port (no path, query or fragment)"
	}
	if msg != "" {
		r.fail(name, v, "%s", msg)
		return ""
	}
	return strings.TrimSuffix(v, "/")
}

// sourceRegions reads ABSR_SOURCE_REGIONS, else the function's own region.
func (r *reader) sourceRegions() []string {
	if v, ok := r.get(EnvSourceRegions); ok {
		regions, msgs := parseRegionList(v)
		for _, m := range msgs {
			r.fail(EnvSourceRegions, v, "%s", m)
		}
		return regions
	}
	for _, name := range []string{EnvFCRegion, EnvSDKRegionID} {
		if v, ok := r.get(name); ok {
			if msg := checkRegion(v); msg != "" {
				r.fail(name, v, "%s", msg)
				return nil
			}
			return []string{v}
		}
	}
	return nil
}
