package engine

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
)

func TestIsShellLine(t *testing.T) {
	tests := []struct {
		code string
		line int
		want bool
	}{
		{"!ls -l\n", 0, true},
		{"x := 1\n!echo hi\n", 1, true},
		{"ok := a &&\n\t!b\n", 1, false},
		{"f(1,\n!b)\n", 1, false},
		{"func f() {\n!echo no\n}\n", 1, false},
		{"!= 3\n", 0, false},
		{"!\n", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			lines := strings.SplitAfter(tt.code, "\n")
			if have := isShellLine(lines, tt.line); have != tt.want {
				t.Errorf("have %v, want %v", have, tt.want)
			}
		})
	}
}

func TestShellAndScriptMagics(t *testing.T) {
	e := newTestEngine(t)
	dir := t.TempDir()
	e.dir = dir
	tests := []struct {
		name, code      string
		stdout, stderr  string // substrings
		errName         string
		needInterpreter string
	}{
		{name: "shell line", code: "!echo hello from sh", stdout: "hello from sh\n"},
		{name: "shell lines in order then Go", code: "!echo one\n!echo two\nfmt.Println(\"three\")", stdout: "one\ntwo\nthree\n"},
		{name: "shell exit status shown", code: "!exit 3\n!echo after", stdout: "after\n", stderr: "!exit 3: exit status 3\n"},
		{name: "shell runs in the cells' dir", code: "!pwd", stdout: dir + "\n"},
		{name: "comments before shell lines are fine", code: "// list\n!echo listed", stdout: "listed\n"},
		{name: "shell line after Go code refused", code: "!echo first\nfmt.Println(\"go\")\n!echo late", stdout: "first\n", errName: "UsageError"},
		{name: "bash", code: "%%bash\nfor i in 1 2; do echo \"n=$i\"; done\necho err >&2", stdout: "n=1\nn=2\n", stderr: "err\n"},
		{name: "bash failure", code: "%%bash\necho before\nexit 4", stdout: "before\n", errName: "ExitError"},
		{name: "sh", code: "%%sh\necho $0", stdout: "sh\n"},
		{name: "python3", code: "%%python3\nimport sys\nprint('py', sys.version_info[0])", stdout: "py 3\n", needInterpreter: "python3"},
		{name: "cell magic args refused", code: "%%bash -x\necho", errName: "UsageError"},
		{name: "bash line numbers are the cell's", code: "%%bash\necho ok\necho \"line $LINENO\"", stdout: "line 3\n"},
		{name: "python3 multiprocessing with spawn", code: "%%python3\nimport multiprocessing as mp\n\ndef f(q):\n    q.put('from child')\n\nif __name__ == '__main__':\n    mp.set_start_method('spawn')\n    q = mp.Queue()\n    p = mp.Process(target=f, args=(q,))\n    p.start()\n    print(q.get())\n    p.join()", stdout: "from child\n", needInterpreter: "python3"},
		{name: "python3 line numbers are the cell's", code: "%%python3\nx = 1\nraise ValueError('boom')", stderr: "line 3", errName: "ExitError", needInterpreter: "python3"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needInterpreter != "" {
				if _, err := exec.LookPath(tt.needInterpreter); err != nil {
					if os.Getenv("CI") == "true" {
						t.Fatalf("%s is not installed, and CI must test it", tt.needInterpreter)
					}
					t.Skipf("\n!!!!!!!!!! NOT TESTED: %s is not installed", tt.needInterpreter)
				}
			}
			var rec recordingOutput
			_, err := e.Execute(context.Background(), interp.ExecuteRequest{Code: tt.code, Count: i + 1}, &rec)
			switch {
			case tt.errName == "" && err != nil:
				t.Fatalf("have error %v", err)
			case tt.errName != "":
				cellError(t, err, tt.errName)
			}
			if have := rec.text("stdout"); !strings.Contains(have, tt.stdout) {
				t.Errorf("stdout: have %q, want %q", have, tt.stdout)
			}
			if have := rec.text("stderr"); !strings.Contains(have, tt.stderr) {
				t.Errorf("stderr: have %q, want %q", have, tt.stderr)
			}
		})
	}
}

func TestScriptStreamsAndInterrupts(t *testing.T) {
	e := newTestEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rec recordingOutput
	done := make(chan error, 1)
	start := time.Now()
	// A command line no other test on the machine has (other packages'
	// tests run `sleep 300` too, and pgrep sees every process).
	sleeper := fmt.Sprintf("sleep 300.%09d", time.Now().Nanosecond())
	go func() {
		_, err := e.Execute(ctx, interp.ExecuteRequest{Code: "%%bash\necho started\n" + sleeper + " &\nwait", Count: 1}, &rec)
		done <- err
	}()
	// Streamed while the script still runs.
	rec.waitForText(t, "stdout", "started\n", 5*time.Second)
	cancel()
	select {
	case err := <-done:
		ie := cellError(t, err, "Interrupted")
		if !strings.Contains(ie.Value, "bash") {
			t.Errorf("have %q, want it to name bash", ie.Value)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("interrupt did not end the bash cell")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
	// Killed processes may take a moment to go on a busy machine.
	var out []byte
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, _ = exec.Command("pgrep", "-f", sleeper).Output()
		if len(strings.TrimSpace(string(out))) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("%s still running 5 s after the interrupt: pids %s", sleeper, out)
	}
}

func TestMissingInterpreter(t *testing.T) {
	e := newTestEngine(t)
	var rec recordingOutput
	err := e.runScript(context.Background(), &rec, "gokernel-no-such-interpreter", []string{"-c", "x"}, settings{})
	ie := cellError(t, err, interpreterNotFound)
	if want := "gokernel-no-such-interpreter is not installed"; !strings.Contains(ie.Value, want) {
		t.Errorf("have %q, want %q", ie.Value, want)
	}
}
