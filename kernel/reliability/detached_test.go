package reliability

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/bench"
)

// detachedCell is issue 18's cell: a `sleep` started through setsid in the
// background, its pid printed; then the cell runs on (wait) or ends.
func detachedCell(arg string, wait bool) string {
	code := fmt.Sprintf(`out, err := exec.Command("setsid", "sh", "-c", "sleep %s >/dev/null 2>&1 </dev/null & echo $!").Output()
fmt.Println("detached", strings.TrimSpace(string(out)), err)
`, arg)
	if wait {
		code += "time.Sleep(time.Hour)\n"
	} else {
		code += "time.Sleep(time.Second) // time for the test to see it running\n"
	}
	return code
}

// TestDetachedChildEndsWithKernel runs the detaching cell in a real
// kernel and checks /proc: the detached sleep is gone within 1 s of the
// cell's end, of a shutdown_request while the cell runs, and of the
// kernel's death (SIGKILL) while it runs.
func TestDetachedChildEndsWithKernel(t *testing.T) {
	for _, end := range []string{"cell ends", "shutdown_request", "kernel killed"} {
		t.Run(end, func(t *testing.T) {
			s := start(t, startOptions{})
			arg := sleepArg()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			call, err := s.c.StartExecute(detachedCell(arg, end != "cell ends"))
			if err != nil {
				t.Fatal(err)
			}
			if err := call.WaitOutput(ctx, "detached"); err != nil {
				t.Fatalf("cell: %v\nkernel log:\n%s", err, s.k.Output())
			}
			m := regexp.MustCompile(`detached (\d+) <nil>`).FindStringSubmatch(call.Stdout())
			if m == nil {
				t.Fatalf("cell printed %q, want \"detached PID <nil>\"", call.Stdout())
			}
			pid, _ := strconv.Atoi(m[1])
			// (The forked shell may not have exec'd sleep yet.)
			for deadline := time.Now().Add(5 * time.Second); cmdline(pid) != "sleep "+arg && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			if cmdline(pid) != "sleep "+arg || !bench.Alive(pid) {
				t.Fatalf("pid %d is not the cell's running `sleep %s` (%q)", pid, arg, cmdline(pid))
			}
			var ended time.Time
			switch end {
			case "cell ends":
				if _, err := call.WaitReply(ctx); err != nil {
					t.Fatal(err)
				}
				ended = time.Now()
			case "shutdown_request":
				sd, err := s.c.Request(bench.Control, "shutdown_request", map[string]any{"restart": false})
				if err != nil {
					t.Fatal(err)
				}
				sd.WaitReply(ctx)
				select {
				case <-s.k.Exited():
				case <-time.After(10 * time.Second):
					t.Fatal("kernel still running 10 s after shutdown_request")
				}
				ended = time.Now()
			case "kernel killed":
				if err := syscall.Kill(s.k.PID(), syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				<-s.k.Exited()
				ended = time.Now()
			}
			for bench.Alive(pid) && time.Since(ended) < time.Second {
				time.Sleep(5 * time.Millisecond)
			}
			gone := time.Since(ended)
			if bench.Alive(pid) {
				t.Errorf("after %s: the detached sleep (pid %d) survives 1 s later", end, pid)
				syscall.Kill(pid, syscall.SIGKILL)
			}
			if left := processesWith(t, "sleep "+arg); len(left) > 0 {
				t.Errorf("after %s: processes left:%s", end, describe(left))
			}
			figure(t, "issue 18's setsid cell, %s: detached sleep gone %v after", end, gone.Round(time.Millisecond))
		})
	}
}
