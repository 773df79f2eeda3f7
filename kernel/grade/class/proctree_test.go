package class

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestTreeRSSCountsDescendants starts a shell that starts a process holding
// 64 MB and checks the tree's memory includes it, and that the tree of a
// process with no children is about its own size.
func TestTreeRSSCountsDescendants(t *testing.T) {
	self := treeRSS(os.Getpid())
	if self <= 0 {
		t.Fatalf("treeRSS(self) = %d", self)
	}
	// python3 is not needed: dd holds a 64 MB block in memory while it copies.
	cmd := exec.Command("sh", "-c", "dd if=/dev/zero bs=64M count=1 2>/dev/null | sleep 5")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	s := samplePeak(cmd.Process.Pid, 20*time.Millisecond)
	time.Sleep(time.Second)
	peak := s.Stop()
	if peak < 60<<20 {
		t.Errorf("peak of a tree holding a 64 MB buffer: %d MB, want at least 60", peak>>20)
	}
	if other := treeRSS(cmd.Process.Pid + 1<<22); other != 0 {
		t.Errorf("treeRSS of no process = %d, want 0", other)
	}
}
