package engine

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

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
	Result string // text/plain of the execute_result, "" if none
	Err    *interp.Error
}

func execCell(t testing.TB, e *Engine, count int, code string) cellOutcome {
	t.Helper()
	var rec recorder
	res, err := e.Execute(context.Background(), interp.ExecuteRequest{Code: code, Count: count}, &rec)
	out := cellOutcome{Stdout: rec.stdout.String()}
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
