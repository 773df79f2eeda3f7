package clienttest

import (
	"encoding/json"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testServerKilled starts a kernel through jupyter_server's REST API, SIGKILLs the server
// (no shutdown_request, no signal to the kernel) and checks that the kernel notices its
// parent is gone and exits within seconds (issue 9: no orphaned kernels).
func testServerKilled(t *testing.T, e *jupyterEnv, k kernelUnderTest) {
	requirePython(t, "jupyter_server")
	server := e.startServer(t, "jupyter_server")
	resp, err := http.Post(server.base+"/api/kernels", "application/json", strings.NewReader(`{"name":"`+k.Name+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var started struct{ ID string }
	err = json.NewDecoder(resp.Body).Decode(&started)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/kernels: status %d, %v", resp.StatusCode, err)
	}
	// jupyter_server names the connection file after the kernel id; the kernel's argv holds it.
	var kernelPid int
	deadline := time.Now().Add(30 * time.Second)
	for kernelPid == 0 && time.Now().Before(deadline) {
		for pid, cmdline := range e.markedProcesses() {
			if strings.Contains(cmdline, "kernel-"+started.ID) {
				kernelPid = pid
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if kernelPid == 0 {
		t.Fatalf("no process with kernel-%s in its command line", started.ID)
	}
	time.Sleep(time.Second) // let the kernel settle into serving
	if err := syscall.Kill(server.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for {
		if _, alive := e.markedProcesses()[kernelPid]; !alive {
			t.Logf("kernel %d exited %s after its server was SIGKILLed", kernelPid, time.Since(killed).Round(time.Millisecond))
			return
		}
		if time.Since(killed) > 10*time.Second {
			t.Fatalf("kernel %d still running 10 s after its server was SIGKILLed", kernelPid)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
