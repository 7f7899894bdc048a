// Package interop holds tests that drive the emulator through Alibaba Cloud clients this project
// did not write: the Go V2 generic client (darabonba-openapi, signature V3, CallApi), and the
// tampering of its signed requests. It has no code of its own, so nothing links the client but
// its tests; the TypeScript SDKs are exercised by `make interop-node` (testdata/node).
package interop
