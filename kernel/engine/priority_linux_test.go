package engine

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// niceness reads a nice value as the nice command prints it.
func niceness(t *testing.T, out []byte) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("nice printed %q", out)
	}
	return n
}

// A build ahead's tools run reniced; the kernel's own priority and a
// normal build's are left as they are.
func TestBuildAheadToolsRunNiced(t *testing.T) {
	if _, err := exec.LookPath("nice"); err != nil {
		t.Skip("no nice command")
	}
	base, err := exec.Command("nice").Output()
	if err != nil {
		t.Fatal(err)
	}
	own := niceness(t, base)
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want int
	}{
		{"cell's own build", context.Background(), own},
		{"build ahead", inBackground(context.Background()), max(own, aheadNice)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runTool(tc.ctx, exec.Command("nice"))
			if err != nil {
				t.Fatal(err)
			}
			if have := niceness(t, out); have != tc.want {
				t.Errorf("tool ran at nice %d, want %d", have, tc.want)
			}
		})
	}
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The raw syscall returns 20 - nice.
	if have := 20 - prio; have != own {
		t.Errorf("the test's own thread is at nice %d after, want %d", have, own)
	}
}
