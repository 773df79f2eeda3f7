package server

import (
	"context"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

func TestParentWatcher(t *testing.T) {
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	alive := parentWatcher(strconv.Itoa(child.Process.Pid))
	if !alive() {
		t.Errorf("JPY_PARENT_PID of a running process: have dead, want alive")
	}
	child.Process.Kill()
	child.Wait()
	if alive() {
		t.Errorf("JPY_PARENT_PID of a reaped process: have alive, want dead")
	}
	if !parentWatcher("")() {
		t.Errorf("getppid watcher: have dead for the test's own parent")
	}
	if !parentWatcher("not a pid")() {
		t.Errorf("unparsable JPY_PARENT_PID should fall back to getppid")
	}
}

func TestWaitParentExitReturnsOnCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan struct{})
	go func() { WaitParentExit(ctx, 10*time.Millisecond); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("WaitParentExit ignored its context")
	}
}
