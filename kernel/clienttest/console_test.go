package clienttest

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// testConsole types cells into the full `jupyter console` (prompt_toolkit UI, the one
// people use) inside tmux, line by line. The multi-line cell only runs as one cell when
// the kernel answers is_complete_request "incomplete" for its first lines and "complete"
// for the whole.
func testConsole(t *testing.T, e *jupyterEnv, k kernelUnderTest) {
	requirePython(t, "jupyter_console")
	requireCommand(t, "tmux")
	socket := filepath.Join(e.dir, "tmux.sock")
	t.Cleanup(func() {
		// The driver kills its tmux server; this covers a driver that died first.
		_ = exec.Command("tmux", "-S", socket, "kill-server").Run()
	})
	out, err := e.runClient(t, 3*time.Minute, e.dir, jupyterPython, testdata(t, "console", "console_tmux.py"),
		"--kernel", k.Name, "--cells", testdata(t, "console", k.Lang+"_cells.txt"), "--socket", socket,
		"--out", filepath.Join(e.dir, "console.txt"), "--timeout", "60",
		"--expect", "hello from console", "--expect", "line 2", "--expect", "42")
	if err != nil {
		t.Error(errExit("jupyter console", err, out, "EXPECT FAILED", "cell ", "warning", "no first prompt"))
	}
}
