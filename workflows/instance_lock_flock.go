//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package workflows

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an flock: it conflicts with every other open file
// description of the file, in this process too (a second engine on the
// same data dir in one test binary sees it held).
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errLockHeld
	}
	return err
}
