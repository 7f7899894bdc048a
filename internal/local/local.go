// Package local runs the function on a workstation: against the built-in emulator, and the
// demonstration that plays every sample event against one emulated world.
package local

import (
	"slices"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
	"github.com/absr-autopair/absr-autopair/internal/config"
	"github.com/absr-autopair/absr-autopair/internal/emulator"
)

// StartEmulator serves the emulator in-process, seeded from statePath, points cfg at it and
// returns the credentials it accepts. When the configuration names no regions to sweep, the
// sweep covers the routed regions of the state's disks.
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
	if len(cfg.SourceRegions) == 0 {
		for _, d := range st.Disks {
			if _, routed := cfg.Pairing.Routes[d.RegionID]; routed && !slices.Contains(cfg.SourceRegions, d.RegionID) {
				cfg.SourceRegions = append(cfg.SourceRegions, d.RegionID)
			}
		}
	}
	c := emu.Credentials()[0]
	return emu, cloud.Credentials{AccessKeyID: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken}, nil
}
