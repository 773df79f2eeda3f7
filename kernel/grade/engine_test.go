package grade

// End-to-end tests of grading through the real Go engine: the course's
// assignments, hostile submissions, and a folder of twenty. Each assignment's
// known-wrong answers are graded in package class (assignments_test.go).

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/engine"
	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/notebook"
)

const assignmentsDir = "../../notebooks/assignments"

var assignments = []struct {
	file string
	max  float64
}{
	{"01-race-counter.ipynb", 5},
	{"02-worker-pool.ipynb", 5},
	{"03-processes-queue.ipynb", 5},
	{"04-cancel-timeout.ipynb", 5},
}

// testLimits are the grader's limits, smaller than gokernel grade's defaults
// so the hostile cases end quickly.
var testLimits = engine.Limits{Memory: 256 << 20, Procs: 128, CPU: 20 * time.Second, Output: 256 << 10}

const testTimeout = 3 * time.Second

func engineGrader(t *testing.T, source *notebook.Notebook) *Grader {
	t.Helper()
	requireEngine(t)
	return &Grader{
		Source:      source,
		CellTimeout: testTimeout + 60*time.Second, // the engine's timeout fires first; this one covers a cold build
		NewInterpreter: func(ctx context.Context, dir string) (interp.Interpreter, error) {
			return engine.New(ctx, engine.Config{Dir: dir, Timeout: testTimeout, Limits: testLimits})
		},
	}
}

var (
	engineOnce sync.Once
	engineErr  error
)

// requireEngine skips (or, in CI, fails) when the Go engine cannot run a
// trivial cell — while it was still a placeholder.
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
		t.Skipf("SKIPPED: the Go engine cannot run a trivial cell yet (%v); these end-to-end grading tests need it", engineErr)
	}
}

type discardOutput struct{}

func (discardOutput) Stream(string, string)  {}
func (discardOutput) Display(interp.Display) {}
func (discardOutput) ClearOutput(bool)       {}
func (discardOutput) Input(context.Context, string, bool) (string, error) {
	return "", interp.ErrNoStdin
}

func readAssignment(t *testing.T, file string) *notebook.Notebook {
	t.Helper()
	nb, err := notebook.ReadFile(filepath.Join(assignmentsDir, file))
	if err != nil {
		t.Fatal(err)
	}
	return nb
}

// checkExecuted validates an executed notebook, with Python's nbformat too
// when it is installed.
func checkExecuted(t *testing.T, nb *notebook.Notebook) {
	t.Helper()
	if nb == nil {
		t.Fatal("no executed notebook")
	}
	if err := notebook.Validate(nb); err != nil {
		t.Fatalf("executed notebook is not valid nbformat: %v", err)
	}
	b, err := notebook.Marshal(nb)
	if err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import nbformat").Run(); err != nil {
		return // TestJupyterAcceptsOurNotebooks in package notebook reports the missing validator
	}
	cmd := exec.Command("/usr/bin/python3", "-c", "import sys, nbformat; nbformat.validate(nbformat.reads(sys.stdin.read(), as_version=4))")
	cmd.Stdin = bytes.NewReader(b)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("Python's nbformat rejects the executed notebook: %v\n%s", err, out)
	}
}

func TestEngineReferenceSolutionsScoreFullMarks(t *testing.T) {
	for _, a := range assignments {
		t.Run(a.file, func(t *testing.T) {
			src := readAssignment(t, a.file)
			r, nb := engineGrader(t, src).Grade(context.Background(), src.Clone(), t.TempDir())
			if r.Score != a.max || r.MaxScore != a.max || r.Error != "" {
				t.Errorf("have %v/%v (error %q), want %v/%v\n%+v", r.Score, r.MaxScore, r.Error, a.max, a.max, r.Cells)
			}
			checkExecuted(t, nb)
		})
	}
}

func TestEngineReleasedVersionScoresZero(t *testing.T) {
	for _, a := range assignments {
		t.Run(a.file, func(t *testing.T) {
			src := readAssignment(t, a.file)
			student, err := Release(src)
			if err != nil {
				t.Fatal(err)
			}
			r, nb := engineGrader(t, src).Grade(context.Background(), student, t.TempDir())
			if r.Score != 0 || r.MaxScore != a.max || r.Error != "" {
				t.Errorf("have %v/%v (error %q), want 0/%v", r.Score, r.MaxScore, r.Error, a.max)
			}
			for _, c := range r.Cells {
				if c.Status != Failed || !strings.Contains(c.Reason, "not implemented") {
					t.Errorf("%s: have %s %q, want failed with \"not implemented\"", c.GradeID, c.Status, c.Reason)
				}
			}
			checkExecuted(t, nb)
		})
	}
}

// withPool is the worker-pool reference with its solution cell replaced.
func withPool(t *testing.T, poolCell string) *notebook.Notebook {
	t.Helper()
	nb := readAssignment(t, "02-worker-pool.ipynb")
	for i := range nb.Cells {
		if nb.Cells[i].ID == "pool" {
			nb.Cells[i].Source = poolCell
			return nb
		}
	}
	t.Fatal("no cell pool in 02-worker-pool.ipynb")
	return nil
}

func TestEngineHostileSubmissions(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: grades nine hostile submissions through the engine (about 40 s)")
	}
	src := readAssignment(t, "02-worker-pool.ipynb")
	reference := ""
	for _, c := range src.Cells {
		if c.ID == "pool" {
			reference = c.Source
		}
	}
	tests := []struct {
		name  string
		sub   func(t *testing.T) *notebook.Notebook
		score float64
		// Every failed graded cell's reason contains one of these words,
		// separated by | (case-insensitive). On a loaded machine a hog or a
		// flood can reach the time limit before its own.
		reason string
		check  func(t *testing.T, nb *notebook.Notebook, dir string)
	}{
		{
			name: "infinite loop",
			sub: func(t *testing.T) *notebook.Notebook {
				return withPool(t, "func Pool(jobs []Job, workers int, work func(Job) Result) []Result {\n\tfor {\n\t}\n}")
			},
			reason: "time",
		},
		{
			name: "deadlock",
			sub: func(t *testing.T) *notebook.Notebook {
				return withPool(t, "func Pool(jobs []Job, workers int, work func(Job) Result) []Result {\n\tch := make(chan Result)\n\tr := <-ch\n\treturn []Result{r}\n}")
			},
			reason: "deadlock",
		},
		{
			name: "fork bomb",
			sub: func(t *testing.T) *notebook.Notebook {
				return withPool(t, "func Pool(jobs []Job, workers int, work func(Job) Result) []Result {\n\tfor {\n\t\texec.Command(\"sleep\", \"60\").Start()\n\t}\n}")
			},
			reason: "limit|timeout",
		},
		{
			name: "memory hog",
			sub: func(t *testing.T) *notebook.Notebook {
				return withPool(t, "func Pool(jobs []Job, workers int, work func(Job) Result) []Result {\n\tvar hog [][]byte\n\tfor {\n\t\tb := make([]byte, 1<<20)\n\t\tfor i := range b {\n\t\t\tb[i] = 1\n\t\t}\n\t\thog = append(hog, b)\n\t}\n}")
			},
			reason: "memory|timeout",
		},
		{
			name: "os.Exit(0) in the middle",
			sub: func(t *testing.T) *notebook.Notebook {
				return withPool(t, "func Pool(jobs []Job, workers int, work func(Job) Result) []Result {\n\tos.Exit(0)\n\treturn nil\n}")
			},
			reason: "stopped before its last line",
		},
		{
			name: "does not compile",
			sub: func(t *testing.T) *notebook.Notebook {
				return withPool(t, "func Pool(jobs []Job, workers int, work func(Job) Result) []Result {\n\treturn results\n}")
			},
			reason: "undefined",
		},
		{
			name: "tampered test cells",
			sub: func(t *testing.T) *notebook.Notebook {
				nb, err := Release(src)
				if err != nil {
					t.Fatal(err)
				}
				for i := range nb.Cells {
					if g, ok := nb.Cells[i].NBGrader(); ok && g.Grade {
						nb.Cells[i].Source = `fmt.Println("all tests pass")`
						g.Points = 100
						nb.Cells[i].SetNBGrader(g)
					}
				}
				return nb
			},
			reason: "not implemented",
		},
		{
			name: "silences the tests by declaring panic",
			sub: func(t *testing.T) *notebook.Notebook {
				return withPool(t, "func panic(v any) {}\n\nfunc Pool(jobs []Job, workers int, work func(Job) Result) []Result {\n\treturn nil\n}")
			},
			reason: "undefined: pool",
		},
		{
			name: "1 GB print",
			sub: func(t *testing.T) *notebook.Notebook {
				return withPool(t, "chunk := strings.Repeat(\"spam \", 1<<20/5)\nfor range 1024 {\n\tfmt.Print(chunk)\n}\n\n"+reference)
			},
			score: 5, // printing is no crime once it is cut: the answer is right
			check: func(t *testing.T, nb *notebook.Notebook, dir string) {
				b, _ := notebook.Marshal(nb)
				if len(b) > 4<<20 {
					t.Errorf("executed notebook is %d MB: the flood was not cut", len(b)>>20)
				}
			},
		},
		{
			name: "deletes the files in its working directory",
			sub: func(t *testing.T) *notebook.Notebook {
				return withPool(t, "entries, _ := os.ReadDir(\".\")\nfor _, e := range entries {\n\tos.RemoveAll(e.Name())\n}\nfmt.Println(\"deleted\", len(entries), \"files\")\n\n"+reference)
			},
			score: 5,
			check: func(t *testing.T, nb *notebook.Notebook, dir string) {
				for _, name := range []string{"submission.ipynb", "data.txt"} {
					if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
						t.Errorf("the submission's folder lost %s: %v", name, err)
					}
				}
				if !strings.Contains(nb.Cells[2].Outputs[0].Text, "deleted 2 files") {
					t.Errorf("the cell did not run in a copy of the folder: %+v", nb.Cells[2].Outputs)
				}
			},
		},
	}
	g := engineGrader(t, src)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "submission.ipynb")
			writeNotebook(t, path, tt.sub(t))
			os.WriteFile(filepath.Join(dir, "data.txt"), []byte("the student's data"), 0o644)
			start := time.Now()
			r, nb := g.GradeFile(context.Background(), SubmissionOf(path))
			t.Logf("graded in %v: %v/%v %+v notes %q", time.Since(start).Round(time.Millisecond), r.Score, r.MaxScore, r.Cells, r.Notes)
			if r.Score != tt.score || r.MaxScore != 5 || r.Error != "" {
				t.Errorf("have %v/%v (error %q), want %v/5", r.Score, r.MaxScore, r.Error, tt.score)
			}
			for _, c := range r.Cells {
				if c.Status == Failed && !slices.ContainsFunc(strings.Split(tt.reason, "|"), func(w string) bool { return strings.Contains(strings.ToLower(c.Reason), w) }) {
					t.Errorf("%s: reason %q does not mention %q", c.GradeID, c.Reason, tt.reason)
				}
			}
			checkExecuted(t, nb)
			if tt.check != nil {
				tt.check(t, nb, dir)
			}
		})
	}
}

func TestEngineGradeFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: grades 22 submissions through the engine (about 40 s)")
	}
	src := readAssignment(t, "02-worker-pool.ipynb")
	student, err := Release(src)
	if err != nil {
		t.Fatal(err)
	}
	g := engineGrader(t, src)
	dir := t.TempDir()
	const n = 20
	for i := range n {
		sub := src
		if i%2 == 1 {
			sub = student
		}
		writeNotebook(t, filepath.Join(dir, "student"+string(rune('a'+i)), "02-worker-pool.ipynb"), sub)
	}
	subs, err := FindSubmissions(dir)
	if err != nil || len(subs) != n {
		t.Fatalf("FindSubmissions: %d (%v), want %d", len(subs), err, n)
	}

	g.GradeFile(context.Background(), subs[0]) // warm the build cache, so "one" is not a cold start
	start := time.Now()
	g.GradeFile(context.Background(), subs[0])
	one := time.Since(start)

	start = time.Now()
	graded := g.GradeAll(context.Background(), subs, 2, nil)
	all := time.Since(start)
	t.Logf("one submission: %v; %d submissions on 2 workers: %v (%.1f× one)", one.Round(time.Millisecond), n, all.Round(time.Millisecond), float64(all)/float64(one))
	if all >= n*one {
		t.Errorf("grading %d took %v, not less than %d × one (%v)", n, all, n, one)
	}
	var reports []*Report
	for i, gr := range graded {
		want := 5.0
		if i%2 == 1 {
			want = 0
		}
		if gr.Report.Score != want {
			t.Errorf("%s: have %v, want %v (%+v)", gr.Report.Student, gr.Report.Score, want, gr.Report.Cells)
		}
		reports = append(reports, gr.Report)
	}
	var csvBuf, jsonBuf bytes.Buffer
	if err := WriteCSV(&csvBuf, reports); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&jsonBuf, reports...); err != nil {
		t.Fatal(err)
	}
	assertCSVMatchesJSON(t, csvBuf.Bytes(), jsonBuf.Bytes())
}
