// Command absr-autopair pairs ECS disks for Asynchronous Block Storage Replication. It runs as a
// Function Compute handler, or locally: see `absr-autopair help`.
package main

import (
	"fmt"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fmt.Fprintln(os.Stderr, "usage: absr-autopair [invoke|emulator] ...")
	return 2
}
