package cellrt

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/nb/wire"
)

// envHelper selects what the test binary does when re-executed as a
// stand-in for a cell program (os/exec's TestMain pattern).
const envHelper = "CELLRT_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(envHelper); mode != "" {
		os.Exit(helperMain(mode))
	}
	os.Exit(m.Run())
}

type htmlThing struct{}

func (htmlThing) HTML() string   { return "<b>x</b>" }
func (htmlThing) String() string { return "thing" }

func parked() { select {} }

// helperMain plays the generated main of a cell.
func helperMain(mode string) int {
	Start(map[string]any{"parked": parked})
	switch mode {
	case "result-string":
		fmt.Println("before")
		Result("hi\tthere")
		fmt.Println("after")
	case "result-html":
		Result(htmlThing{})
	case "results":
		Results(strconv.Atoi("12"))
	case "results-error":
		Results(strconv.Atoi("x"))
	case "leftover":
		go parked()
		go parked()
	case "finished-goroutines":
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() { time.Sleep(time.Millisecond) })
		}
		wg.Wait()
	case "signal":
		signal.Notify(make(chan os.Signal, 1), syscall.SIGUSR1) // starts os/signal's loop for good
	case "signal-and-leftover":
		signal.Notify(make(chan os.Signal, 1), syscall.SIGUSR1)
		go parked()
	case "late-print":
		fmt.Println("main")
		go func() {
			time.Sleep(2 * time.Millisecond)
			fmt.Println("late")
			fmt.Fprintln(os.Stderr, "late on stderr")
		}()
	case "hook":
		done := make(chan struct{})
		go func() { <-done }()
		AtFinish(func() { close(done) }) // the hook ends the goroutine before the count
	}
	Finish()
	return 0
}

// runHelper runs the test binary as a cell program and returns its stdout,
// stderr and exit status.
func runHelper(t *testing.T, mode string, env ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envHelper+"="+mode)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

// frames returns the frames in s and the text around them.
func frames(t *testing.T, s string) ([]wire.Frame, string) {
	t.Helper()
	var fs []wire.Frame
	var text strings.Builder
	for {
		i := strings.Index(s, wire.FrameStart)
		if i < 0 {
			text.WriteString(s)
			return fs, text.String()
		}
		text.WriteString(s[:i])
		s = s[i+len(wire.FrameStart):]
		j := strings.Index(s, wire.FrameEnd)
		if j < 0 {
			t.Fatalf("unterminated frame %q", s)
		}
		f, err := wire.Decode([]byte(s[:j]))
		if err != nil {
			t.Fatalf("frame %q: %v", s[:j], err)
		}
		fs = append(fs, f)
		s = s[j+len(wire.FrameEnd):]
	}
}

func TestConstantsMatchWire(t *testing.T) {
	pairs := [][2]string{
		{frameStart, wire.FrameStart}, {frameEnd, wire.FrameEnd},
		{kindResult, wire.KindResult}, {kindLeftover, wire.KindLeftover}, {envKernel, wire.EnvKernel},
	}
	for _, p := range pairs {
		if p[0] != p[1] {
			t.Errorf("cellrt has %q, wire has %q", p[0], p[1])
		}
	}
}

func TestResult(t *testing.T) {
	tests := []struct {
		mode     string
		env      []string
		wantText string // text outside frames
		want     map[string]any
	}{
		{"result-string", []string{"GOKERNEL=1"}, "before\nafter\n", map[string]any{"text/plain": `"hi\tthere"`}},
		{"result-html", []string{"GOKERNEL=1"}, "", map[string]any{"text/plain": "thing", "text/html": "<b>x</b>"}},
		{"result-string", []string{"GOKERNEL="}, "before\n\"hi\\tthere\"\nafter\n", nil},
		{"results", []string{"GOKERNEL=1"}, "", map[string]any{"text/plain": "(12, <nil>)"}},
		{"results-error", []string{"GOKERNEL=1"}, "", map[string]any{"text/plain": `(0, strconv.Atoi: parsing "x": invalid syntax)`}},
		{"results", []string{"GOKERNEL="}, "(12, <nil>)\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.mode+strings.Join(tt.env, ","), func(t *testing.T) {
			stdout, stderr, code := runHelper(t, tt.mode, tt.env...)
			if code != 0 {
				t.Fatalf("exit %d, stderr %s", code, stderr)
			}
			fs, text := frames(t, stdout)
			if text != tt.wantText {
				t.Errorf("text: have %q, want %q", text, tt.wantText)
			}
			if tt.want == nil {
				if len(fs) != 0 {
					t.Errorf("frames without the kernel: have %d, want 0", len(fs))
				}
				return
			}
			if len(fs) != 1 || fs[0].Kind != wire.KindResult || !reflect.DeepEqual(fs[0].Data, tt.want) {
				t.Errorf("frames: have %+v, want one result with %v", fs, tt.want)
			}
		})
	}
}

func TestFinishLeftover(t *testing.T) {
	t.Run("two parked goroutines", func(t *testing.T) {
		stdout, _, _ := runHelper(t, "leftover", "GOKERNEL=1")
		fs, _ := frames(t, stdout)
		if len(fs) != 1 || fs[0].Kind != wire.KindLeftover {
			t.Fatalf("frames: have %+v, want one leftover frame", fs)
		}
		if fs[0].Count != 2 {
			t.Errorf("count: have %d, want 2", fs[0].Count)
		}
		if n := strings.Count(fs[0].Stack, "cellrt.parked"); n != 2 {
			t.Errorf("stack: have %d goroutines in parked, want 2:\n%s", n, fs[0].Stack)
		}
		if strings.Contains(fs[0].Stack, "cellrt.Finish") {
			t.Errorf("stack lists the main goroutine running Finish:\n%s", fs[0].Stack)
		}
	})
	t.Run("signal loop is not a leftover", func(t *testing.T) {
		stdout, _, _ := runHelper(t, "signal-and-leftover", "GOKERNEL=1")
		fs, _ := frames(t, stdout)
		if len(fs) != 1 || fs[0].Count != 1 || strings.Contains(fs[0].Stack, "os/signal") || !strings.Contains(fs[0].Stack, "cellrt.parked") {
			t.Errorf("frames: have %+v, want one leftover (parked) without os/signal's loop", fs)
		}
	})
	for _, mode := range []string{"finished-goroutines", "hook", "signal"} {
		t.Run(mode, func(t *testing.T) {
			stdout, stderr, _ := runHelper(t, mode, "GOKERNEL=1")
			if fs, _ := frames(t, stdout); len(fs) != 0 {
				t.Errorf("frames: have %+v, want none (stderr %s)", fs, stderr)
			}
		})
	}
	t.Run("output after main returned is dropped and explained", func(t *testing.T) {
		for _, env := range []string{"GOKERNEL=1", "GOKERNEL="} {
			stdout, stderr, _ := runHelper(t, "late-print", env)
			if fs, text := frames(t, stdout); len(fs) != 0 || text != "main\n" {
				t.Errorf("%s: stdout: have frames %+v and text %q, want only %q", env, fs, text, "main\n")
			}
			if stderr != lateOutputNote {
				t.Errorf("%s: stderr: have %q, want the note %q", env, stderr, lateOutputNote)
			}
		}
	})
	t.Run("goroutines that end without printing: no note", func(t *testing.T) {
		if _, stderr, _ := runHelper(t, "finished-goroutines", "GOKERNEL=1"); stderr != "" {
			t.Errorf("stderr: have %q, want nothing", stderr)
		}
	})
	t.Run("without kernel", func(t *testing.T) {
		stdout, stderr, _ := runHelper(t, "leftover", "GOKERNEL=")
		if stdout != "" || !strings.Contains(stderr, "2 goroutine(s) still running") {
			t.Errorf("have stdout %q stderr %q, want a warning on stderr only", stdout, stderr)
		}
	})
}

func TestChildDispatch(t *testing.T) {
	// The test binary does not link package nb, so RunChild is nil: a known
	// function reports that; an unknown one says so.
	for _, tt := range []struct{ name, want string }{
		{"parked", "package nb is not linked"},
		{"nosuch", `no function "nosuch"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runHelper(t, "result-string", EnvChild+"="+tt.name, "GOKERNEL=1")
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("have exit %d stderr %q, want 2 and %q", code, stderr, tt.want)
			}
		})
	}
}

func TestFrameEncoding(t *testing.T) {
	tests := []struct {
		name string
		data map[string]any
		want map[string]any // after a round trip through encoding/json
	}{
		{"control characters", map[string]any{"text/plain": "a\x07b\x1b]c\x00\r\n\t\x7f"}, nil},
		{"quotes and unicode", map[string]any{"text/plain": `"\ 中文 😀 ` + "\u2028\u2029"}, nil},
		{"invalid utf-8", map[string]any{"text/plain": "a\xffb"}, map[string]any{"text/plain": "a\ufffdb"}},
		{"nested", map[string]any{"application/json": map[string]any{"n": 1, "f": 2.5, "b": true, "z": nil, "l": []any{"x", 3}, "s": []string{"y"}}},
			map[string]any{"application/json": map[string]any{"n": 1.0, "f": 2.5, "b": true, "z": nil, "l": []any{"x", 3.0}, "s": []any{"y"}}}},
		{"non-finite", map[string]any{"x": math.NaN(), "y": math.Inf(1)}, map[string]any{"x": nil, "y": nil}},
		{"other types", map[string]any{"x": struct{ A int }{1}}, map[string]any{"x": "{1}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeFrame(&buf, frame{kind: kindResult, data: tt.data, count: 3, stack: "s\x07"}); err != nil {
				t.Fatal(err)
			}
			b := buf.Bytes()
			if !bytes.HasPrefix(b, []byte(wire.FrameStart)) || !bytes.HasSuffix(b, []byte(wire.FrameEnd)) {
				t.Fatalf("frame delimiters missing: %q", b)
			}
			body := b[len(wire.FrameStart) : len(b)-len(wire.FrameEnd)]
			if bytes.Contains(body, []byte(wire.FrameEnd)) {
				t.Errorf("BEL inside the frame body: %q", body)
			}
			f, err := wire.Decode(body)
			if err != nil {
				t.Fatalf("wire.Decode(%q): %v", body, err)
			}
			want := tt.want
			if want == nil {
				want = tt.data
			}
			if !reflect.DeepEqual(f.Data, want) || f.Count != 3 || f.Stack != "s\x07" || f.Kind != kindResult {
				t.Errorf("round trip:\nhave %#v\nwant %#v", f, want)
			}
		})
	}
}

type nilUnsafe struct{ s string }

func (n *nilUnsafe) HTML() string { return n.s } // panics on a nil *nilUnsafe

func TestBundlePanickingMethod(t *testing.T) {
	var v *nilUnsafe
	b := Bundle(v)
	if _, ok := b["text/html"]; ok || b["text/plain"] != "<nil>" {
		t.Errorf("bundle of a nil pointer whose HTML panics: have %v, want text/plain <nil> only", b)
	}
}

func TestBundle(t *testing.T) {
	if have := Bundle("x")["text/plain"]; have != `"x"` {
		t.Errorf("string: have %v, want quoted", have)
	}
	if have := Bundle(nil)["text/plain"]; have != "<nil>" {
		t.Errorf("nil: have %v, want <nil>", have)
	}
	b := Bundle(htmlThing{})
	if b["text/html"] != "<b>x</b>" || b["text/plain"] != "thing" {
		t.Errorf("HTML method: have %v", b)
	}
}

// BenchmarkWriteFrame measures writing a result frame, paid once per cell.
func BenchmarkWriteFrame(b *testing.B) {
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		writeFrame(&buf, frame{kind: kindResult, data: Bundle(42)})
	}
}
