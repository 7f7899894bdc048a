// Package deploytest holds tests of the shipping artifacts at the repository root: s.yaml
// (against the fc3 component schema and the function's own contracts), its EventBridge
// patterns (against the sample events in events/) and policy.json (against the actions the
// cloud adapters call). It has no code of its own.
package deploytest
