//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package workflows

import "os"

// lockFile cannot lock here: a restarted server cannot tell that its
// previous process is gone, and that process's leases expire on their own.
func lockFile(*os.File) error { return errLockUnsupported }
