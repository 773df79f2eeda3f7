package clienttest

import (
	"testing"
	"time"
)

// testLabServices drives the kernel the way JupyterLab does: @jupyterlab/services 7
// against jupyter_server's REST and websocket API (JupyterLab itself is not packaged for
// Debian; this is its client library). It runs a cell, checks the message order, asks the
// other shell requests, interrupts a looping cell and restarts the kernel.
func testLabServices(t *testing.T, e *jupyterEnv, k kernelUnderTest) {
	requirePython(t, "jupyter_server")
	dir := testdata(t, "labservices")
	requireNodeModules(t, e, dir)
	server := e.startServer(t, "jupyter_server")
	out, err := e.runClient(t, 3*time.Minute, dir, "node", "lab_client.js", "--base", server.base, "--kernel", k.Name,
		"--code", k.Hello, "--expect", "hello, world", "--loop-code", k.Loop, "--interrupt-expect", k.InterruptText)
	if err != nil {
		t.Error(errExit("@jupyterlab/services", err, out, `"pass":false`, "CRASH", "Error"))
	}
}
