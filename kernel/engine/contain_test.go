package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/reap"
)

// TestCellProcessesEndWithCell checks issue 18's promise: every process a
// cell starts ends with the cell (within 1 s), however it detaches, and
// whether the cell ends by itself, is interrupted, times out or the kernel
// shuts down (Close). Each detached process is `sleep MARKER`; it is seen
// alive while the cell runs (so it did start and detach), and gone from
// /proc within 1 s of the cell's end.
func TestCellProcessesEndWithCell(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 20 cells")
	}
	// Each cell starts `sleep MARKER` one way, prints "detached", then
	// ends by itself ("end") or blocks until stopped.
	// Each cell starts `sleep MARKER` one way and prints "sleeper PID".
	detachings := []struct{ name, code string }{
		{"setsid (the issue's cell)", `out, err := exec.Command("setsid", "sh", "-c", "sleep MARKER >/dev/null 2>&1 </dev/null & echo $!").Output()
fmt.Println("sleeper", strings.TrimSpace(string(out)), err)`},
		{"double fork", `out, err := exec.Command("sh", "-c", "( sleep MARKER >/dev/null 2>&1 </dev/null & echo $! ) ; true").Output()
fmt.Println("sleeper", strings.TrimSpace(string(out)), err)`},
		{"nohup &", `out, err := exec.Command("sh", "-c", "nohup sleep MARKER >/dev/null 2>&1 </dev/null & echo $!").Output()
fmt.Println("sleeper", strings.TrimSpace(string(out)), err)`},
		{"own process group (Setpgid)", `cmd := exec.Command("sleep", "MARKER")
cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
err := cmd.Start()
fmt.Println("sleeper", cmd.Process.Pid, err)`},
		{"own session (Setsid)", `cmd := exec.Command("sleep", "MARKER")
cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
err := cmd.Start()
fmt.Println("sleeper", cmd.Process.Pid, err)`},
		{"child of an nb.Process child", `p, err := nb.Start(spawnDetached, "MARKER")
if err == nil {
	err = p.Join()
}
fmt.Println("joined", err)`},
	}
	ends := []struct {
		name string
		tail string // appended to the cell
	}{
		// Long enough for the test to see the detached process alive.
		{"cell ends", "\ntime.Sleep(time.Second)"},
		{"interrupt", "\ntime.Sleep(time.Hour)"},       // the test cancels the cell
		{"timeout", "\ntime.Sleep(time.Hour)"},         // %timeout
		{"kernel shutdown", "\ntime.Sleep(time.Hour)"}, // the test closes the engine
	}
	// Without cgroups, as on a hub where kernels run as unprivileged
	// students: the shepherd's subtree alone must do (kernel/reap tests the
	// cgroup too).
	t.Setenv(reap.EnvNoCgroup, "1")
	e := newTestEngine(t)
	execCell(t, e, 1, "func spawnDetached(m string) error {\n\tcmd := exec.Command(\"setsid\", \"sleep\", m)\n\terr := cmd.Start()\n\tfmt.Println(\"sleeper\", cmd.Process.Pid, err)\n\treturn err\n}")
	count := 1
	for _, end := range ends {
		for _, d := range detachings {
			t.Run(end.name+"/"+d.name, func(t *testing.T) {
				marker := strconv.Itoa(500000 + rand.IntN(400000))
				code := strings.ReplaceAll(d.code, "MARKER", marker) + end.tail
				if end.name == "timeout" {
					code = "%timeout 2s\n" + code
				}
				eng := e
				if end.name == "kernel shutdown" {
					var err error
					eng, err = New(context.Background(), Config{})
					if err != nil {
						t.Fatal(err)
					}
					defer eng.Close()
					execCell(t, eng, 1, "func spawnDetached(m string) error {\n\tcmd := exec.Command(\"setsid\", \"sleep\", m)\n\terr := cmd.Start()\n\tfmt.Println(\"sleeper\", cmd.Process.Pid, err)\n\treturn err\n}")
				}
				count++
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				rec := &recorder{}
				done := make(chan error, 1)
				go func() {
					_, err := eng.Execute(ctx, interp.ExecuteRequest{Code: code, Count: count}, rec)
					done <- err
				}()
				printed := func() string {
					rec.mu.Lock()
					defer rec.mu.Unlock()
					return rec.stdout.String() + rec.stderr.String()
				}
				// The cell says which process it started; /proc says it is ours.
				var pid int
				if err := waitUntil(func() bool {
					m := sleeperLine.FindStringSubmatch(printed())
					if m == nil {
						return false
					}
					pid, _ = strconv.Atoi(m[1])
					return true
				}, 30*time.Second); err != nil {
					t.Fatalf("the cell did not say it started its sleeper; it printed %q", printed())
				}
				// (A forked child may not have exec'd sleep yet.)
				if waitUntil(func() bool { return isSleeper(pid, marker) }, 5*time.Second) != nil {
					t.Fatalf("pid %d is not a living `sleep %s` while the cell runs (cell printed %q)", pid, marker, printed())
				}
				switch end.name {
				case "interrupt":
					cancel()
				case "kernel shutdown":
					go eng.Close()
				}
				var cellErr error
				select {
				case cellErr = <-done:
				case <-time.After(30 * time.Second):
					t.Fatal("the cell did not end")
				}
				ended := time.Now()
				if out := printed(); !strings.Contains(out, "<nil>") {
					t.Errorf("cell printed %q (err %v), want it to say detached <nil>", rec.stdout.String(), cellErr)
				}
				if err := waitUntil(func() bool { return !isSleeper(pid, marker) }, time.Second); err != nil {
					t.Errorf("`sleep %s` (pid %d) still alive 1 s after the cell ended (%s)", marker, pid, end.name)
					syscall.Kill(pid, syscall.SIGKILL)
				} else {
					t.Logf("gone %v after the cell's end", time.Since(ended).Round(time.Millisecond))
				}
			})
		}
	}
}

var sleeperLine = regexp.MustCompile(`sleeper (\d+) `)

// isSleeper reports whether pid is a living `sleep MARKER`.
func isSleeper(pid int, marker string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return err == nil && string(b) == "sleep\x00"+marker+"\x00" && processAlive(pid)
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(st), ')')
	return i > 0 && i+2 < len(st) && st[i+2] != 'Z'
}

func waitUntil(cond func() bool, d time.Duration) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %v", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}
