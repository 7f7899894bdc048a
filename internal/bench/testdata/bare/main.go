// Command bare is the baseline of the cold-start benchmark: a Function Compute runtime loop with
// net/http and nothing else. It polls GET /next and posts a fixed answer to /response, forever.
package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
)

const prefix = "/2020-11-11/runtime/invocation/"

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
