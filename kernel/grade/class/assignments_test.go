package class

// Every assignment of the course graded through the real Go engine: the
// reference solution scores full marks, the released version nothing, and
// each known-wrong answer exactly what KnownWrong says, with feedback that
// names the mistake.

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/engine"
	"github.com/gokernel/gokernel/kernel/grade"
	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/notebook"
)

func TestEngineEveryAssignmentGradesAsPlanned(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: grades every assignment's reference, released and known-wrong answers through the engine (about a minute)")
	}
	requireEngine(t)
	files, err := filepath.Glob(filepath.Join(assignmentsDir, "*.ipynb"))
	if err != nil || len(files) < 4 {
		t.Fatalf("assignments: %v, %v; want at least 4", files, err)
	}
	for _, source := range files {
		name := filepath.Base(source)
		t.Run(name, func(t *testing.T) {
			if len(KnownWrong[name]) == 0 {
				t.Errorf("no known-wrong answers for %s: add some to KnownWrong so the tests show what it catches", name)
			}
			mix := []Kind{Correct, NotAttempted}
			for range KnownWrong[name] {
				mix = append(mix, WrongAnswer)
			}
			dir := t.TempDir()
			plans, err := Generate(dir, source, len(mix), mix)
			if err != nil {
				t.Fatal(err)
			}
			src, err := notebook.ReadFile(source)
			if err != nil {
				t.Fatal(err)
			}
			g := &grade.Grader{
				Source:      src,
				CellTimeout: 90 * time.Second, // the engine's own timeout fires first; this covers a cold build
				NewInterpreter: func(ctx context.Context, dir string) (interp.Interpreter, error) {
					return engine.New(ctx, engine.Config{Dir: dir, Timeout: 10 * time.Second,
						Limits: engine.Limits{Memory: 256 << 20, Procs: 128, CPU: 20 * time.Second, Output: 256 << 10}})
				},
			}
			subs, err := grade.FindSubmissions(dir)
			if err != nil {
				t.Fatal(err)
			}
			for i, gr := range g.GradeAll(context.Background(), subs, 2, nil) {
				r := gr.Report
				t.Logf("%s (%s %s): %v/%v in %.1fs %s", plans[i].Student, plans[i].Kind, plans[i].Wrong, r.Score, r.MaxScore, r.Seconds, reasons(r))
				if err := plans[i].Check(r); err != nil {
					t.Error(err)
				}
				if r.Error != "" {
					t.Errorf("%s: grading failed: %s", plans[i].Student, r.Error)
				}
			}
		})
	}
}

var (
	engineOnce sync.Once
	engineErr  error
)

// requireEngine skips (or, in CI, fails) when the Go engine cannot run a
// trivial cell.
func requireEngine(t *testing.T) {
	t.Helper()
	engineOnce.Do(func() {
		e, err := engine.New(context.Background(), engine.Config{})
		if err != nil {
			engineErr = err
			return
		}
		defer e.Close()
		_, err = e.Execute(context.Background(), interp.ExecuteRequest{Code: "x := 1\n_ = x", Count: 1}, discardOutput{})
		var ierr *interp.Error
		if err != nil && !errors.As(err, &ierr) {
			engineErr = err
		} else if err != nil {
			engineErr = ierr
		}
	})
	if engineErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the Go engine cannot run a trivial cell: %v", engineErr)
		}
		t.Skipf("SKIPPED: the Go engine cannot run a trivial cell (%v); these grading tests need it", engineErr)
	}
}

type discardOutput struct{}

func (discardOutput) Stream(string, string)  {}
func (discardOutput) Display(interp.Display) {}
func (discardOutput) ClearOutput(bool)       {}
func (discardOutput) Input(context.Context, string, bool) (string, error) {
	return "", interp.ErrNoStdin
}
