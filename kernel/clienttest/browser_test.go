package clienttest

import (
	"os"
	"testing"
	"time"
)

// chromiumPath is Debian's Chromium, which playwright-core drives (its own browser
// download does not work on a closed network).
const chromiumPath = "/usr/bin/chromium"

// shotsEnv names a directory where the browser driver saves screenshots, when set.
const shotsEnv = "GOKERNEL_CLIENTTEST_SHOTS"

// testNotebookBrowser opens a notebook in the classic Notebook UI in headless Chromium,
// runs a cell and reads its output, runs a looping cell and interrupts it from the Kernel
// menu, then runs a cell again.
func testNotebookBrowser(t *testing.T, e *jupyterEnv, k kernelUnderTest) {
	requirePython(t, "notebook")
	if _, err := os.Stat(chromiumPath); err != nil {
		missing(t, "Chromium", err)
	}
	dir := testdata(t, "browser")
	requireNodeModules(t, e, dir)
	server := e.startServer(t, "notebook")
	args := []string{"nb_ui.js", "--base", server.base, "--kernel", k.Name,
		"--code", k.Hello, "--expect", "hello, world",
		"--loop-code", k.Loop, "--loop-expect", k.LoopExpect, "--interrupt-expect", k.InterruptText}
	if shots := os.Getenv(shotsEnv); shots != "" {
		args = append(args, "--shot", shots)
	}
	out, err := e.runClient(t, 4*time.Minute, dir, "node", args...)
	if err != nil {
		t.Error(errExit("classic Notebook in Chromium", err, out, `"pass":false`, "CRASH", "Error", "pageerror"))
	}
}
