package workflows

import (
	"errors"
	"os"
	"path/filepath"
)

// instance_lock.go: how a starting engine knows that the process that
// served this data dir before is gone. A started engine holds an exclusive
// lock on <data dir>/workflows.lock for as long as it runs. The operating
// system drops a lock when its process ends, however it ends: after a
// kill -9 the lock is free at once, even while the dead process waits
// unreaped as a zombie, in a re-created container with a new hostname, or
// when its pid is reused. So an engine that gets the lock knows that no
// other engine on this data dir is alive, and every lease in workflow_runs
// that is not its own belongs to a dead process (Start releases them). An
// engine that finds the lock held is a second server on the data dir (not
// supported, as for PocketBase itself, but survived): it takes nothing
// over, and the holder's leases protect its runs until they expire.

const lockFileName = "workflows.lock"

var (
	errLockHeld        = errors.New("another live process holds the data dir's workflows.lock")
	errLockUnsupported = errors.New("file locks are not supported on this platform")
)

// lockDataDir takes dir's lock for owner without waiting; the lock lasts
// until the returned file is closed or the process ends. The file holds
// the owner id, for an operator wondering who holds it.
func lockDataDir(dir, owner string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFileName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, err
	}
	if f.Truncate(0) == nil {
		_, _ = f.WriteAt([]byte(owner+"\n"), 0)
	}
	return f, nil
}
