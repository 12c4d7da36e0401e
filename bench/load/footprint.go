package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// footprint.go: what the data costs the machine (issue 14): the database's
// size on disk and the server's memory at the end of the run.

type footprint struct {
	DataBytes, AuxBytes int64 // data.db with its WAL; auxiliary.db (logs) with its WAL
	RSS, PeakRSS        int64 // the server's resident memory now and at its peak, bytes
}

func measureFootprint(srv server) footprint {
	var f footprint
	for _, name := range []string{"data.db", "data.db-wal"} {
		f.DataBytes += fileSize(filepath.Join(srv.Dir, name))
	}
	for _, name := range []string{"auxiliary.db", "auxiliary.db-wal"} {
		f.AuxBytes += fileSize(filepath.Join(srv.Dir, name))
	}
	if pid := srv.PID(); pid > 0 {
		f.RSS, f.PeakRSS = procStatus(pid, "VmRSS"), procStatus(pid, "VmHWM")
	}
	return f
}

func (f footprint) String() string {
	mib := func(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }
	return fmt.Sprintf("Database: data.db %s (with its WAL), auxiliary.db %s. Server memory (RSS) at the end of the run: %s, peak %s.",
		mib(f.DataBytes), mib(f.AuxBytes), mib(f.RSS), mib(f.PeakRSS))
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// procStatus reads a "kB" line of /proc/<pid>/status, in bytes.
func procStatus(pid int, key string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == key {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n * 1024
		}
	}
	return 0
}
