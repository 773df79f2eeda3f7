package server

import (
	"context"
	"errors"
	"os"
	"strconv"
	"syscall"
	"time"
)

// WaitParentExit returns when the process that started the kernel has gone,
// or when ctx ends, so a kernel never outlives its frontend.
//
// If JPY_PARENT_PID names a process (jupyter_client sets it for some
// launchers) that process is watched; otherwise the kernel's parent at the
// time of the call is, and a change of getppid (reparenting to init or a
// subreaper) means it died. The check runs every interval (about a second
// is plenty: it only has to beat a human noticing).
func WaitParentExit(ctx context.Context, interval time.Duration) {
	alive := parentWatcher(os.Getenv("JPY_PARENT_PID"))
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !alive() {
				return
			}
		}
	}
}

// parentWatcher returns a check that reports whether the parent lives.
func parentWatcher(jpyParentPID string) func() bool {
	if pid, err := strconv.Atoi(jpyParentPID); err == nil && pid > 1 {
		return func() bool {
			err := syscall.Kill(pid, 0)
			return err == nil || errors.Is(err, syscall.EPERM)
		}
	}
	ppid := os.Getppid()
	return func() bool { return os.Getppid() == ppid }
}
