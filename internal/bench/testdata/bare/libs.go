//go:build libs

// Built with -tags libs, the bare loop is the cold-start benchmark's second reference: the same
// loop linked with every library the function is required to use. Their package
// initialisation (the SDK decodes an API timeout table, json-iterator builds its configs, ini
// compiles regular expressions, ...) runs before main as it does in the function, so the
// difference between this build and the plain one is what the required libraries cost a cold
// start as published. (The function spares one piece of it, the SDK's timeout table: see
// internal/sdkinit.)

package main

import (
	// The libraries of go.mod that the function's binary links.
	_ "github.com/aliyun/alibaba-cloud-sdk-go/services/ebs"
	_ "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	_ "github.com/aliyun/credentials-go/credentials/providers"
	_ "github.com/aliyun/fc-runtime-go-sdk/fc"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/time/rate"
)
