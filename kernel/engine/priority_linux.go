package engine

import (
	"bytes"
	"os/exec"
	"runtime"
	"syscall"
)

// runNiced starts cmd with the nice value nice and waits for it. Linux
// nice values belong to threads and a child inherits its forking thread's:
// the start happens on a thread of its own, reniced first and thrown away
// after (the goroutine ends locked to it, so the runtime ends the thread).
// An unprivileged process cannot lower a nice value again, hence a thread
// nobody reuses. Setting it after the start instead would miss the threads
// a Go tool starts at once.
func runNiced(cmd *exec.Cmd, nice int) ([]byte, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: this thread dies with the goroutine
		// who 0 with PRIO_PROCESS is the calling thread on Linux. If it
		// fails the tool runs at the normal priority, which is only slower
		// for the running cell.
		syscall.Setpriority(syscall.PRIO_PROCESS, 0, nice)
		started <- cmd.Start()
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	err := cmd.Wait()
	return out.Bytes(), err
}
