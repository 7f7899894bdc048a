// Package testparallel lets a test binary whose tests wait on the network, on child processes or
// on retry backoffs, rather than on the CPU, run more of them at once than -parallel's default
// (GOMAXPROCS, 2 on a 2-core machine).
package testparallel

import (
	"flag"
	"strconv"
)

// Default sets -test.parallel to n unless the command line set it. Call it from TestMain before
// m.Run.
func Default(n int) {
	if !flag.Parsed() {
		flag.Parse()
	}
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		if err := flag.Set("test.parallel", strconv.Itoa(n)); err != nil {
			panic("testparallel: " + err.Error()) // not a test binary
		}
	}
}
