// Package local is what running the function on a workstation needs beyond the deployed
// function: the built-in emulator started in-process, the mapping file that goes with an
// emulated world, and the project's own mapping.yaml found in the working directory.
package local

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/config"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
)

// EmulatorPollInterval is how often a run on the in-process emulator polls what is still
// settling. The emulator's worlds run on compressed time (a pair creating or a disk being created
// for hundreds of milliseconds, where the cloud takes seconds), so local runs poll five times as
// often as the default: every wait the cloud has still shows, in a fraction of the time.
const EmulatorPollInterval = 100 * time.Millisecond

// StartEmulator serves the emulator in-process, seeded from statePath, points cfg at it (polling
// every EmulatorPollInterval) and returns the credentials it accepts. When the configuration
// names no regions to sweep, the sweep covers the routed regions of the state's disks.
func StartEmulator(statePath string, cfg *config.Config) (*emulator.Server, cloud.Credentials, error) {
	st, err := emulator.LoadState(statePath)
	if err != nil {
		return nil, cloud.Credentials{}, err
	}
	emu, err := emulator.New(st)
	if err != nil {
		return nil, cloud.Credentials{}, err
	}
	url, err := emu.Start("127.0.0.1:0")
	if err != nil {
		return nil, cloud.Credentials{}, err
	}
	cfg.ECSEndpoint, cfg.EBSEndpoint = url, url
	if p := cfg.Pairing.PollInterval; p == 0 || p > EmulatorPollInterval { // 0: the engine's default
		cfg.Pairing.PollInterval = EmulatorPollInterval
	}
	if len(cfg.SourceRegions) == 0 {
		cfg.SourceRegions = RoutedRegions(st, *cfg)
	}
	c := emu.Credentials()[0]
	return emu, cloud.Credentials{AccessKeyID: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken}, nil
}

// RoutedRegions are the regions of st's disks that cfg routes somewhere, in order of first
// appearance: what a sweep of an emulated world should cover.
func RoutedRegions(st *emulator.State, cfg config.Config) []string {
	var regions []string
	for _, d := range st.Disks {
		if _, routed := cfg.Pairing.Routes[d.RegionID]; routed && !slices.Contains(regions, d.RegionID) {
			regions = append(regions, d.RegionID)
		}
	}
	return regions
}

// CompanionMapping is the mapping file that travels with an emulator state file: beside it,
// named after it with "-state.json" (or ".json") replaced by "-mapping.yaml", so
// events/demo-state.json has events/demo-mapping.yaml. It returns "" when there is none.
func CompanionMapping(statePath string) string {
	base := filepath.Base(statePath)
	stem, ok := strings.CutSuffix(base, "-state.json")
	if !ok {
		stem = strings.TrimSuffix(base, ".json")
	}
	path := filepath.Join(filepath.Dir(statePath), stem+"-mapping.yaml")
	if info, err := os.Stat(path); err != nil || info.IsDir() {
		return ""
	}
	return path
}

// EmulatorLookup is lookup, except that ABSR_MAPPING_FILE, when unset or empty, names the
// state file's companion mapping (see CompanionMapping), if it has one: a demo world's disks
// name secondaries and routes that only its own mapping file supplies. An operator's
// ABSR_MAPPING_FILE always wins.
func EmulatorLookup(statePath string, lookup func(string) (string, bool)) func(string) (string, bool) {
	companion := CompanionMapping(statePath)
	return func(name string) (string, bool) {
		v, ok := lookup(name)
		if name == config.EnvMappingFile && strings.TrimSpace(v) == "" && companion != "" {
			return companion, true
		}
		return v, ok
	}
}

// Lookup is the environment of a local run: lookup, except that an unset or empty
// ABSR_MAPPING_FILE names, in order, the companion mapping of the emulator state statePath
// (when statePath is not "" and has one, see CompanionMapping), else mapping.yaml in the working
// directory (the project root, where the README says to put it) when it exists. The deployed
// function looks beside its binary instead, where s.yaml's pre-deploy action copies the file.
func Lookup(statePath string, lookup func(string) (string, bool)) func(string) (string, bool) {
	if statePath != "" {
		if companion := CompanionMapping(statePath); companion != "" {
			return EmulatorLookup(statePath, lookup)
		}
	}
	if info, err := os.Stat(config.DefaultMappingFileName); err != nil || !info.Mode().IsRegular() {
		return lookup
	}
	return func(name string) (string, bool) {
		v, ok := lookup(name)
		if name == config.EnvMappingFile && strings.TrimSpace(v) == "" {
			return config.DefaultMappingFileName, true
		}
		return v, ok
	}
}
