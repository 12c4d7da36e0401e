package main

import (
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
)

// profile.go: -cpuprofile with -phase steps|creates profiles only that
// measurement's runs, so what a step pays and what a create pays are read
// apart. Each round writes its own file (the path, then path.2, path.3, …);
// `go tool pprof -top path path.2 path.3` merges them.

var phaseProfile struct {
	name, path string // the phase to profile ("": the whole process, as before) and where
	rounds     int
}

// phase starts the CPU profile when name is the phase asked for, and
// returns the function that stops it (once; later calls do nothing).
func phase(name string) func() {
	if phaseProfile.path == "" || phaseProfile.name != name {
		return func() {}
	}
	phaseProfile.rounds++
	path := phaseProfile.path
	if phaseProfile.rounds > 1 {
		path += "." + strconv.Itoa(phaseProfile.rounds)
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	if pprof.StartCPUProfile(f) != nil {
		f.Close()
		return func() {}
	}
	return sync.OnceFunc(func() {
		pprof.StopCPUProfile()
		f.Close()
	})
}
