// Package sdkinit spares every start of the function the one part of the Alibaba Cloud SDK's
// package initialisation that it never uses. The SDK's init decodes a 10 KB JSON table of
// per-action read timeouts for ECS, which it consults only for a request that carries no
// timeout of its own; every request the adapter (internal/cloud/alibaba) sends carries one.
// Decoding the table cost about 0.17 ms, 6% of a cold start on the benchmark machine
// (docs/benchmarks.md).
//
// The package replaces the table's text with an empty table before the SDK's init decodes it.
// That order is the language's, not luck: packages initialise in import-path order among those
// whose imports are initialised (Go specification, "Package initialization"), this package
// imports nothing that needs initialising, and its path sorts before github.com/aliyun/. Should an
// SDK release rename the variable or decode it elsewhere, the linker would not notice (this
// declaration would define a variable of its own); TestSDKTimeoutTableIsNotDecoded in
// internal/cloud/alibaba would.
package sdkinit

import _ "unsafe" // for go:linkname

// apiTimeouts is the SDK's JSON text of {"product": {"Action": seconds}}.
//
//go:linkname apiTimeouts github.com/aliyun/alibaba-cloud-sdk-go/sdk.apiTimeouts
var apiTimeouts string

func init() { apiTimeouts = "{}" }
