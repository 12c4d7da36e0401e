//go:build linux

package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWaitsForOrphans: a command whose own child outlives it (as
// chromium's helpers do) is counted only once that child has exited, so
// its CPU is in the figure; and the command's exit code is kept.
func TestWaitsForOrphans(t *testing.T) {
	for _, tc := range []struct {
		name string
		exit string
		code int
	}{
		{"success", "exit 0", 0},
		{"failure", "exit 3", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mark := filepath.Join(t.TempDir(), "orphan-done")
			// The background child sleeps past its parent's exit, then writes mark.
			r, err := run("sh", "-c", "(sleep 0.3; touch "+mark+") & "+tc.exit)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(mark); err != nil {
				t.Fatalf("run returned before the orphan ended: %v", err)
			}
			if r.code != tc.code {
				t.Fatalf("exit code %d, want %d", r.code, tc.code)
			}
		})
	}
}
