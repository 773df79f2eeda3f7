package nb

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestProcessIsolation(t *testing.T) {
	p := Process(childSetGlobal, 42)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if err := p.Join(); err != nil {
		t.Fatalf("child: %v", err)
	}
	if counter != 1 {
		t.Errorf("parent's counter after the child set it: have %d, want 1", counter)
	}
	if have := p.ExitCode(); have != 0 {
		t.Errorf("exit code: have %d, want 0", have)
	}
}

func TestProcessExitStatus(t *testing.T) {
	tests := []struct {
		name     string
		fn       any
		args     []any
		wantCode int
		wantErr  string // substring of the child's stderr
	}{
		{"ok", childSetGlobal, []any{7}, 0, ""},
		{"os.Exit", childExit, []any{3}, 3, ""},
		{"error", childFail, []any{"it broke"}, 1, "childFail: it broke"},
		{"panic", childPanic, nil, 2, "boom in child"},
		{"variadic", childSum, []any{1, 2, 3, 4}, 10, ""},
		{"variadic none", childSum, []any{5}, 5, ""},
		{"nil pointer and map", childNilPointer, []any{nil, nil}, 0, ""},
		{"interface parameter", childAny, []any{"hello"}, 0, ""},
		{"registered under another name", childRenamed, nil, 6, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			p := Process(tt.fn, tt.args...)
			p.Stderr = &stderr
			if err := p.Start(); err != nil {
				t.Fatal(err)
			}
			err := p.Join()
			if have := p.ExitCode(); have != tt.wantCode {
				t.Errorf("exit code: have %d, want %d (stderr %q)", have, tt.wantCode, stderr.String())
			}
			var exitErr *ExitError
			switch {
			case tt.wantCode == 0 && err != nil:
				t.Errorf("Join: have %v, want nil", err)
			case tt.wantCode != 0 && (!errors.As(err, &exitErr) || exitErr.Code != tt.wantCode):
				t.Errorf("Join: have %v, want *ExitError with code %d", err, tt.wantCode)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr: have %q, want it to contain %q", stderr.String(), tt.wantErr)
			}
		})
	}
}

func TestProcessOutputIsInherited(t *testing.T) {
	var stdout bytes.Buffer
	p := Process(childPrint, "hello from the child")
	p.Stdout = &stdout
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if err := p.Join(); err != nil {
		t.Fatal(err)
	}
	if have, want := stdout.String(), "hello from the child"; have != want {
		t.Errorf("stdout: have %q, want %q", have, want)
	}
}

func TestProcessStartErrors(t *testing.T) {
	local := 3
	tests := []struct {
		name string
		fn   any
		args []any
		want string
	}{
		{"closure", func() { local++ }, nil, "closure"},
		{"not a func", 42, nil, "must be a function"},
		{"nil", nil, nil, "must be a function"},
		{"unregistered", strings.ToUpper, []any{"x"}, "not a top-level function"},
		{"too few args", childSetGlobal, nil, "needs 1 arguments, got 0"},
		{"wrong type", childSetGlobal, []any{"x"}, "a string cannot be passed as int"},
		{"cannot encode", childAny, []any{make(chan int)}, "cannot be copied"},
		{"nil for int", childSetGlobal, []any{nil}, "nil cannot be a int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Process(tt.fn, tt.args...).Start()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start: have %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestProcessKill(t *testing.T) {
	p, err := Start(childSleep, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if p.Pid() <= 0 {
		t.Errorf("Pid: have %d, want > 0", p.Pid())
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	err = p.Join()
	var exitErr *ExitError
	if !errors.As(err, &exitErr) || exitErr.Signal == "" {
		t.Fatalf("Join after Kill: have %v, want an *ExitError naming the signal", err)
	}
	if have := p.ExitCode(); have != -9 {
		t.Errorf("exit code after SIGKILL: have %d, want -9", have)
	}
}

func TestProcessStartTwice(t *testing.T) {
	p := Process(childSetGlobal, 5)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err == nil {
		t.Error("second Start: have nil, want an error")
	}
	if err := p.Join(); err != nil {
		t.Fatal(err)
	}
	if err := p.Join(); err != nil {
		t.Errorf("second Join: have %v, want nil (same result)", err)
	}
}

func TestRun(t *testing.T) {
	if err := Run(childSetGlobal, 9); err != nil {
		t.Errorf("Run: have %v, want nil", err)
	}
	if err := Run(childExit, 4); err == nil {
		t.Error("Run of a child exiting 4: have nil, want an error")
	}
}

func TestProcessAliveAndJoinTimeout(t *testing.T) {
	p := Process(childSleep, 300*time.Millisecond)
	if p.Alive() {
		t.Error("Alive before Start: have true, want false")
	}
	if err := p.JoinTimeout(time.Millisecond); err == nil {
		t.Error("JoinTimeout before Start: have nil, want an error")
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if !p.Alive() {
		t.Error("Alive while sleeping: have false, want true")
	}
	if err := p.JoinTimeout(20 * time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Errorf("JoinTimeout on a sleeping child: have %v, want ErrTimeout", err)
	}
	if err := p.JoinTimeout(10 * time.Second); err != nil {
		t.Errorf("JoinTimeout long enough: have %v, want nil", err)
	}
	if p.Alive() {
		t.Error("Alive after the end: have true, want false")
	}
}

// fakeFrames is a stack for childPanicReport.
type fakeFrames []runtime.Frame

func (f *fakeFrames) Next() (runtime.Frame, bool) {
	fr := (*f)[0]
	*f = (*f)[1:]
	return fr, len(*f) > 0
}

func TestChildPanicReport(t *testing.T) {
	tests := []struct {
		name   string
		value  any
		frames fakeFrames
		want   string
	}{
		{
			name:  "cell frames only, innermost first",
			value: "something impossible happened",
			frames: fakeFrames{
				{Function: "runtime.gopanic", File: "/usr/lib/go/src/runtime/panic.go", Line: 787},
				{Function: "main.panics", File: "cell10.go", Line: 3},
				{Function: "main.main.func1", File: "cell9.go", Line: 2},
				{Function: "reflect.Value.call", File: "$GOROOT/src/reflect/value.go", Line: 586},
				{Function: "github.com/gokernel/gokernel/kernel/nb.runChild", File: "/tmp/gokernel-1/gokernel/kernel/nb/process.go", Line: 473},
				{Function: "main.main", File: "gokernel.go", Line: 2},
			},
			want: "panic: something impossible happened\n" +
				"in child process panics (pid 7), which exits with status 2:\n" +
				"    cell [10] line 3  in panics\n" +
				"    cell [9] line 2  in func literal in main\n",
		},
		{
			name:   "an error value prints its message",
			value:  errors.New("disk full"),
			frames: fakeFrames{{Function: "main.panics", File: "/x/cell2.go", Line: 1}},
			want:   "panic: disk full\nin child process panics (pid 7), which exits with status 2:\n    cell [2] line 1  in panics\n",
		},
		{
			name:   "no cell frame: the headline alone",
			value:  42,
			frames: fakeFrames{{Function: "main.helper", File: "helper.go", Line: 5}, {Function: "x", File: "cellX.go", Line: 1}},
			want:   "panic: 42\nin child process panics (pid 7), which exits with status 2:\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames := tt.frames
			if have := childPanicReport("panics", 7, tt.value, &frames); have != tt.want {
				t.Errorf("have\n%s\nwant\n%s", have, tt.want)
			}
		})
	}
}

func TestProcString(t *testing.T) {
	tests := []struct {
		name string
		fn   any
		args []any
		run  bool
		want string // with %d for the pid when run
	}{
		{"not started", childSetGlobal, []any{1}, false, "<process childSetGlobal: not started>"},
		{"exit 0", childSetGlobal, []any{1}, true, "<process childSetGlobal pid %d: exit status 0>"},
		{"exit 3", childExit, []any{3}, true, "<process childExit pid %d: exit status 3>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Process(tt.fn, tt.args...)
			want := tt.want
			if tt.run {
				if err := p.Start(); err != nil {
					t.Fatal(err)
				}
				p.Join()
				want = fmt.Sprintf(tt.want, p.Pid())
			}
			if have := fmt.Sprint(p); have != want {
				t.Errorf("have %q, want %q", have, want)
			}
		})
	}
}
