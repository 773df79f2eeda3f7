package engine

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
)

var verbose = flag.Bool("engine.log", false, "log the engine's stages to stderr")

// recorder is an interp.Output that keeps what a cell produced.
type recorder struct {
	mu       sync.Mutex
	stdout   strings.Builder
	stderr   strings.Builder
	displays []interp.Display
}

func (r *recorder) Stream(name, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == "stderr" {
		r.stderr.WriteString(text)
	} else {
		r.stdout.WriteString(text)
	}
}
func (r *recorder) Display(d interp.Display) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.displays = append(r.displays, d)
}
func (r *recorder) ClearOutput(wait bool) {}
func (r *recorder) Input(ctx context.Context, prompt string, password bool) (string, error) {
	return "", interp.ErrNoStdin
}

// newTestEngine starts an engine whose workspace is removed with the test.
func newTestEngine(t testing.TB) *Engine {
	t.Helper()
	cfg := Config{}
	if *verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	e, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// cellOutcome is what running one cell showed.
type cellOutcome struct {
	Stdout string
	Stderr string
	Result string // text/plain of the execute_result, "" if none
	Err    *interp.Error
}

func execCell(t testing.TB, e *Engine, count int, code string) cellOutcome {
	t.Helper()
	var rec recorder
	res, err := e.Execute(context.Background(), interp.ExecuteRequest{Code: code, Count: count}, &rec)
	out := cellOutcome{Stdout: rec.stdout.String(), Stderr: rec.stderr.String()}
	if err != nil {
		if !errors.As(err, &out.Err) {
			t.Fatalf("cell %d: kernel fault: %v", count, err)
		}
		return out
	}
	if res != nil && res.Data != nil {
		out.Result = fmt.Sprint(res.Data["text/plain"])
	}
	return out
}

func TestExecuteSequence(t *testing.T) {
	e := newTestEngine(t)
	steps := []struct {
		name      string
		code      string
		stdout    string
		result    string
		errPrefix string // evalue prefix when the cell must fail
	}{
		{name: "hello", code: `fmt.Println("hello")`, stdout: "hello\n"},
		{name: "value", code: `6*7`, result: "42"},
		{name: "println shows nothing", code: `fmt.Println("x")`, stdout: "x\n"},
		{name: "declare", code: "// Square squares.\nfunc Square(x int) int { return x * x }\nconst k = 3"},
		{name: "use earlier decl", code: `Square(k)`, result: "9"},
		{name: "void call", code: "var wg sync.WaitGroup\nwg.Wait()"},
		{name: "compile error", code: "y := 1\nfmt.Println(zz)", errPrefix: "cell [7] line 2: undefined: zz"},
		{name: "failed cell commits nothing", code: "func Bad() int { return \"s\" }", errPrefix: "cell [8] line 1: cannot use"},
		{name: "bad not remembered", code: "Bad()", errPrefix: "cell [9] line 1: undefined: Bad"},
		{name: "redefine", code: "func Square(x int) int { return -x }", stdout: ""},
		{name: "use redefined", code: "Square(2)", result: "-2"},
		{name: "mixed", code: "x := Square(3)\ntype P struct{ A int }\nfmt.Println(x, P{A: 1})", stdout: "-3 {1}\n"},
		{name: "unknown magic", code: "%raec\n1", errPrefix: "unknown magic %raec; did you mean %race?"},
	}
	for i, st := range steps {
		got := execCell(t, e, i+1, st.code)
		t.Run(st.name, func(t *testing.T) {
			if st.errPrefix != "" {
				if got.Err == nil || !strings.HasPrefix(got.Err.Value, st.errPrefix) {
					t.Fatalf("error: have %+v, want evalue starting %q", got.Err, st.errPrefix)
				}
				return
			}
			if got.Err != nil {
				t.Fatalf("have error %v", got.Err)
			}
			if got.Stdout != st.stdout || got.Result != st.result {
				t.Errorf("have stdout %q result %q, want %q %q", got.Stdout, got.Result, st.stdout, st.result)
			}
		})
	}
}

func TestExecuteSilentShowsNoValue(t *testing.T) {
	e := newTestEngine(t)
	var rec recorder
	res, err := e.Execute(context.Background(), interp.ExecuteRequest{Code: "6*7", Count: 1, Silent: true}, &rec)
	if err != nil {
		t.Fatal(err)
	}
	if res.Data != nil {
		t.Errorf("silent cell: have value %v, want none", res.Data)
	}
}

func TestExecuteRace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the race-enabled standard library")
	}
	e := newTestEngine(t)
	racy := "%race\nvar wg sync.WaitGroup\nn := 0\nfor i := 0; i < 2; i++ {\n\twg.Add(1)\n\tgo func() { defer wg.Done(); n++ }()\n}\nwg.Wait()"
	got := execCell(t, e, 1, racy)
	if got.Err == nil || !strings.Contains(got.Err.Value+strings.Join(got.Err.Traceback, "\n"), "cell [1] line 6") {
		t.Fatalf("racy cell: have %+v, want a race at cell [1] line 6", got.Err)
	}
	if got := execCell(t, e, 2, "%race on"); got.Err != nil {
		t.Fatal(got.Err)
	}
	if got := execCell(t, e, 3, racy[len("%race\n"):]); got.Err == nil {
		t.Errorf("after %%race on, a racy cell without %%race: have no error, want the race")
	}
	execCell(t, e, 4, "%race off")
	if got := execCell(t, e, 5, racy[len("%race\n"):]); got.Err != nil {
		t.Errorf("after %%race off: have %v, want no race detector", got.Err)
	}
}

func TestAnswersWhileACellRuns(t *testing.T) {
	e := newTestEngine(t)
	execCell(t, e, 1, "var mu sync.Mutex")
	done := make(chan cellOutcome)
	go func() { done <- execCell(t, e, 2, "time.Sleep(1500 * time.Millisecond)\nfmt.Println(\"slept\")") }()
	time.Sleep(500 * time.Millisecond) // let the cell build and start
	start := time.Now()
	c := e.Complete(context.Background(), "mu.", 3)
	in := e.Inspect(context.Background(), "fmt.Println", 5, 0)
	ic := e.IsComplete("for {")
	took := time.Since(start)
	select {
	case <-done:
		t.Fatal("the cell ended before the questions were asked; the test proves nothing")
	default:
	}
	if !slices.Contains(c.Matches, "Lock") || !in.Found || ic.Status != "incomplete" {
		t.Errorf("have %q, %v, %q; want Lock, found, incomplete", c.Matches, in.Found, ic.Status)
	}
	if took > time.Second {
		t.Errorf("answers took %v while the cell ran", took)
	}
	if got := <-done; got.Stdout != "slept\n" {
		t.Errorf("cell: have %+v", got)
	}
}

func TestCloseStopsTheRunningCell(t *testing.T) {
	e, err := New(context.Background(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		var rec recorder
		_, err := e.Execute(context.Background(), interp.ExecuteRequest{Code: "select {}", Count: 1}, &rec)
		done <- err
	}()
	time.Sleep(time.Second)
	start := time.Now()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Close took %v", took)
	}
	if err := <-done; err == nil {
		t.Error("the running cell: have no error, want it stopped")
	}
	if _, err := os.Stat(e.ws.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("workspace left after Close: %v", err)
	}
}

func TestInfo(t *testing.T) {
	e := newTestEngine(t)
	info := e.Info()
	if info.LanguageName != "go" || info.MIMEType != "text/x-go" || info.FileExtension != ".go" ||
		info.PygmentsLexer != "go" || info.CodeMirrorMode != "go" || info.Banner == "" {
		t.Errorf("have %+v", info)
	}
	if want := strings.TrimPrefix(runtime.Version(), "go"); info.LanguageVersion != want {
		t.Errorf("language version: have %q, want %q (the toolchain this test runs with)", info.LanguageVersion, want)
	}
}

func TestExecutePastedProgram(t *testing.T) {
	e := newTestEngine(t)
	program := "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"whole program\")\n\tvar s []int\n\t_ = s[3]\n}\n"
	got := execCell(t, e, 1, program)
	if got.Stdout != "whole program\n" {
		t.Errorf("stdout: have %q, want the program's output", got.Stdout)
	}
	if got.Err == nil {
		t.Fatal("have no error, want the panic")
	}
	trace := strings.Join(got.Err.Traceback, "\n")
	if !strings.Contains(trace, "cell [1] line 8") || strings.Contains(trace, "_gokernel") {
		t.Errorf("panic trace: want cell [1] line 8 and no generated names:\n%s", trace)
	}
	// A later cell does not run the earlier main again.
	if got := execCell(t, e, 2, `fmt.Println("next")`); got.Stdout != "next\n" || got.Err != nil {
		t.Errorf("next cell: have %+v", got)
	}
}

func TestExecuteUnwritableBuildCache(t *testing.T) {
	e := newTestEngine(t)
	execCell(t, e, 1, `fmt.Println("warm")`)
	t.Setenv("GOCACHE", "/proc/gokernel-no-such-cache") // cannot be created
	e.build.env = buildEnv(os.Environ())
	got := execCell(t, e, 2, "import \"net/http\"\nhttp.StatusText(200)") // needs go list
	if got.Err == nil || got.Err.Name != "BuildFailed" {
		t.Fatalf("have %+v, want a BuildFailed error", got.Err)
	}
	t.Setenv("GOCACHE", "")
	os.Unsetenv("GOCACHE")
	e.build.env = buildEnv(os.Environ())
	if got := execCell(t, e, 3, `fmt.Println("still alive")`); got.Stdout != "still alive\n" {
		t.Errorf("next cell: have %+v", got)
	}
}

func TestInterruptDuringBuild(t *testing.T) {
	e := newTestEngine(t)
	execCell(t, e, 1, `fmt.Println("warm")`)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Millisecond) // inside compile or link
	defer cancel()
	var rec recorder
	start := time.Now()
	_, err := e.Execute(ctx, interp.ExecuteRequest{Code: `fmt.Println("never")`, Count: 2}, &rec)
	var ie *interp.Error
	if !errors.As(err, &ie) || ie.Name != "Interrupted" {
		t.Fatalf("have %v, want an Interrupted error", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("interrupt took %v", took)
	}
	if strings.Contains(rec.stdout.String(), "never") {
		t.Error("the interrupted cell ran")
	}
	if got := execCell(t, e, 3, `fmt.Println("next")`); got.Stdout != "next\n" {
		t.Errorf("next cell: have %+v", got)
	}
}

func TestNewStdPackageSaysWhatItCompiles(t *testing.T) {
	e := newTestEngine(t)
	execCell(t, e, 1, `fmt.Println("warm")`)
	var rec recorder
	// A package the warm-up does not build: compiled now (quickly when the
	// build cache has it, with a note on stderr when it takes a while).
	res, err := e.Execute(context.Background(), interp.ExecuteRequest{Code: "import \"encoding/csv\"\ncsv.ErrQuote.Error()", Count: 2}, &rec)
	if err != nil {
		t.Fatal(err)
	}
	if have := res.Data["text/plain"]; have != `"extraneous or missing \" in quoted-field"` {
		t.Errorf("result: have %v", have)
	}
	if missing := e.build.missingExports(false, []string{"encoding/csv"}); len(missing) != 0 {
		t.Errorf("encoding/csv still missing from the importcfg: %v", missing)
	}
	if s := rec.stderr.String(); s != "" && !strings.Contains(s, "compiling encoding/csv for the first time") {
		t.Errorf("stderr: have %q", s)
	}
}
