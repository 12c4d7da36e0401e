//go:build linux

// Command cputime runs a command and prints its wall time and the CPU time
// of every process it started, orphans included:
//
//	go run ./bench/cputime make test-browser
//
// /usr/bin/time counts only the descendants that were waited for up the
// chain. Chromium's helper processes outlive their parents and are reaped
// by init, so for the browser suite it printed less than half of the CPU
// (25.6 of 60.1 s). cputime makes itself the child subreaper
// (PR_SET_CHILD_SUBREAPER): orphans are handed to it, it waits for them
// all, and the kernel's children usage then holds everything. Linux only.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: cputime command [args...]")
		os.Exit(2)
	}
	r, err := run(os.Args[1], os.Args[2:]...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cputime:", err)
		os.Exit(2)
	}
	fmt.Fprintf(os.Stderr, "cputime: %.2f s wall, %.2f s user, %.2f s sys (all descendants)\n",
		r.wall.Seconds(), r.user.Seconds(), r.sys.Seconds())
	os.Exit(r.code)
}

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER (linux/prctl.h), which the
// syscall package does not name.
const prSetChildSubreaper = 36

type result struct {
	wall, user, sys time.Duration
	code            int
}

// run starts the command with this process as the subreaper and returns
// once the command and every process it left behind have exited; wall is
// up to the command's own exit.
func run(name string, args ...string) (result, error) {
	var r result
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		return r, fmt.Errorf("prctl(PR_SET_CHILD_SUBREAPER): %w", errno)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.ECHILD {
			break
		}
		if err != nil {
			return r, err
		}
		if pid == cmd.Process.Pid {
			r.wall = time.Since(began)
			r.code = ws.ExitStatus()
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return r, err
	}
	r.user = time.Duration(ru.Utime.Nano())
	r.sys = time.Duration(ru.Stime.Nano())
	return r, nil
}
