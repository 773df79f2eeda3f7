package nb

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/nb/wire"
)

// buildCellProg builds testdata/cellprog, a program shaped like the
// kernel's generated cell mains, and returns the binary's path.
func buildCellProg(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a program: skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "cellprog")
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/cellprog")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestCellProgram runs a real cell binary under GOKERNEL=1 and reads its
// stdout the way the kernel does: printed text and frames of the parent
// and of its child process, in order.
func TestCellProgram(t *testing.T) {
	bin := buildCellProg(t)
	t.Run("order, child display, isolation, handles, result, leftover", func(t *testing.T) {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), wire.EnvKernel+"=1", "CELLPROG_MODE=order")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
		pieces := splitStdout(t, out)
		var have []string
		for _, p := range pieces {
			if p.frame == nil {
				have = append(have, "text:"+p.text)
				continue
			}
			f := p.frame
			desc := f.Kind
			for _, k := range []string{"text/html", "text/plain"} {
				if v, ok := f.Data[k]; ok {
					desc += " " + k + "=" + v.(string)
					break
				}
			}
			if f.Update {
				desc += " update"
			}
			if f.Kind == wire.KindLeftover {
				desc += " count=" + strconv.Itoa(f.Count)
			}
			have = append(have, desc)
		}
		want := []string{
			"text:A\n",
			"display text/html=<b>B</b>",
			"text:C\n",
			"display text/html=<i>from the child</i>",
			"text:sum 6 counter 0 join <nil>\n",
			`display text/plain="v1"`,
			`display text/plain="v2" update`,
			"result text/html=<b>3</b>",
			"leftover count=1",
		}
		if strings.Join(have, "|") != strings.Join(want, "|") {
			t.Errorf("stdout pieces:\nhave %q\nwant %q", have, want)
		}
		if len(pieces) == len(want) && pieces[5].frame.DisplayID != pieces[6].frame.DisplayID {
			t.Errorf("update display_id %q differs from the display's %q", pieces[6].frame.DisplayID, pieces[5].frame.DisplayID)
		}
	})

	t.Run("child of a removed binary", func(t *testing.T) {
		// A copy, since the cell removes its own binary.
		data, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		copyBin := filepath.Join(t.TempDir(), "cellprog-copy")
		if err := os.WriteFile(copyBin, data, 0o700); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(copyBin)
		cmd.Env = append(os.Environ(), wire.EnvKernel+"=1", "CELLPROG_MODE=selfdelete")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if have, want := string(out), "napper done\nrun after delete: <nil>\n"; have != want {
			t.Errorf("output: have %q, want %q", have, want)
		}
	})

	t.Run("unjoined child is joined at the end, with a note", func(t *testing.T) {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), wire.EnvKernel+"=1", "CELLPROG_MODE=unjoined")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
		if have, want := string(out), "cell done\nnapper done\n"; have != want {
			t.Errorf("stdout: have %q, want %q (the child finishes before the cell)", have, want)
		}
		if !strings.Contains(stderr.String(), "waiting for process napper") {
			t.Errorf("stderr: have %q, want a note about waiting for napper", stderr.String())
		}
	})

	t.Run("child dies with the cell's process group", func(t *testing.T) {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), wire.EnvKernel+"=1", "CELLPROG_MODE=sleeper")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // as the kernel runs a cell
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "child pid ")))
		if err != nil {
			t.Fatalf("child's line %q: %v", line, err)
		}
		// The kernel interrupts a cell by signalling its process group.
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		deadline := time.Now().Add(3 * time.Second)
		for processAlive(pid) {
			if time.Now().After(deadline) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("child %d still alive after its cell's process group was killed", pid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
