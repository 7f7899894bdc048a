// Command libs is the second reference of the cold-start benchmark: the bare runtime loop of
// testdata/bare, linked with every library the function is required to use. Its package
// initialisation (the SDK decodes an API timeout table, json-iterator builds its configs, ini
// compiles regular expressions, ...) runs before main as it does in the function, so the
// difference between this and bare is what the required libraries cost a cold start, and the
// difference between the function and this is what the function's own code costs.
package main

import (
	"bytes"
	"io"
	"net/http"
	"os"

	// The libraries of go.mod that the function's binary links.
	_ "github.com/aliyun/alibaba-cloud-sdk-go/services/ebs"
	_ "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	_ "github.com/aliyun/credentials-go/credentials/providers"
	_ "github.com/aliyun/fc-runtime-go-sdk/fc"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/time/rate"
)

const prefix = "/2020-11-11/runtime/invocation/"

// main is testdata/bare's loop, unchanged.
func main() {
	base := "http://" + os.Getenv("FC_RUNTIME_API") + prefix
	answer := []byte(`{}`)
	for {
		resp, err := http.Get(base + "next")
		if err != nil {
			os.Exit(1)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("x-fc-request-id")
		if err != nil || id == "" {
			continue
		}
		r, err := http.Post(base+id+"/response", "application/json", bytes.NewReader(answer))
		if err != nil {
			os.Exit(1)
		}
		io.Copy(io.Discard, r.Body) //nolint:errcheck // the answer is all that matters
		r.Body.Close()
	}
}
