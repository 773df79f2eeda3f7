package grade

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/notebook"
)

// fakeEngine is a hand-written stand-in for the Go engine, so the grading
// logic can be tested without compiling anything. Each line of a cell is one
// action; declarations are remembered only when the cell succeeds, as in the
// engine:
//
//	declare NAME [exits]  remember NAME ("exits": calling it ends the program with status 0)
//	require NAME          fail like a compile error unless NAME was declared; if it exits, stop here successfully
//	panic(...)            fail with a panic
//	loop                  run until interrupted
//	println("TEXT")       print TEXT on stderr
type fakeEngine struct {
	dir      string
	declared map[string]bool // name -> calling it exits
}

func newFakeEngine(ctx context.Context, dir string) (interp.Interpreter, error) {
	return &fakeEngine{dir: dir, declared: map[string]bool{}}, nil
}

func (f *fakeEngine) Info() interp.Info                         { return interp.Info{} }
func (f *fakeEngine) IsComplete(string) interp.IsCompleteResult { return interp.IsCompleteResult{} }
func (f *fakeEngine) Complete(context.Context, string, int) interp.Completion {
	return interp.Completion{}
}
func (f *fakeEngine) Inspect(context.Context, string, int, int) interp.Inspection {
	return interp.Inspection{}
}
func (f *fakeEngine) Close() error { return nil }

func (f *fakeEngine) Execute(ctx context.Context, req interp.ExecuteRequest, out interp.Output) (*interp.ExecuteResult, error) {
	pending := map[string]bool{}
	for _, line := range strings.Split(req.Code, "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case fields[0] == "declare":
			pending[fields[1]] = len(fields) > 2 && fields[2] == "exits"
		case fields[0] == "require":
			exits, ok := f.declared[fields[1]]
			if !ok {
				return nil, &interp.Error{Name: "CompileError", Value: "cell line 1: undefined: " + fields[1]}
			}
			if exits {
				return nil, nil // the program ended early with status 0
			}
		case strings.HasPrefix(fields[0], "panic("):
			return nil, &interp.Error{Name: "panic", Value: strings.TrimSuffix(strings.TrimPrefix(line, "panic("), ")")}
		case fields[0] == "loop":
			<-ctx.Done()
			return nil, &interp.Error{Name: "Interrupted", Value: "interrupted"}
		case strings.HasPrefix(fields[0], "println("):
			var s string
			json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), "println("), ")")), &s)
			out.Stream("stderr", s+"\n")
		}
	}
	for k, v := range pending {
		f.declared[k] = v
	}
	return nil, nil
}

// fakeAssignment is an assignment in the fake engine's language.
func fakeAssignment() *notebook.Notebook {
	nb := notebook.New("")
	add := func(id, src string, g notebook.NBGrader) {
		c := notebook.Cell{ID: id, Type: notebook.CodeCell, Source: src, Metadata: map[string]any{}}
		g.SchemaVersion = 3
		c.SetNBGrader(g)
		nb.Cells = append(nb.Cells, c)
	}
	add("setup", "declare helper", notebook.NBGrader{GradeID: "setup", Locked: true})
	add("sol", "// BEGIN SOLUTION\ndeclare double\n// END SOLUTION", notebook.NBGrader{GradeID: "double", Solution: true})
	add("t1", "require helper\nrequire double", notebook.NBGrader{GradeID: "test_visible", Grade: true, Locked: true, Points: 1})
	add("t2", "require double\n// BEGIN HIDDEN TESTS\nrequire helper\n// END HIDDEN TESTS", notebook.NBGrader{GradeID: "test_hidden", Grade: true, Locked: true, Points: 2})
	return nb
}

func gradeFake(t *testing.T, sub *notebook.Notebook) *Report {
	t.Helper()
	g := &Grader{Source: fakeAssignment(), NewInterpreter: newFakeEngine, CellTimeout: 100 * time.Millisecond}
	r, nb := g.Grade(context.Background(), sub, t.TempDir())
	if nb != nil {
		if err := notebook.Validate(nb); err != nil {
			t.Errorf("executed notebook invalid: %v", err)
		}
		for _, c := range nb.Cells {
			for _, o := range c.Outputs {
				if strings.Contains(o.Text, "gokernel-grade-") {
					t.Errorf("completion token left in the output of cell %s", c.ID)
				}
			}
			if strings.Contains(c.Source, "gokernel-grade-") {
				t.Errorf("completion line left in the source of cell %s", c.ID)
			}
		}
	}
	return r
}

func released(t *testing.T) *notebook.Notebook {
	t.Helper()
	nb, err := Release(fakeAssignment())
	if err != nil {
		t.Fatal(err)
	}
	return nb
}

func TestGrade(t *testing.T) {
	tests := []struct {
		name       string
		submission func(t *testing.T) *notebook.Notebook
		score      float64
		statuses   []string
		reasons    []string // substrings, "" = none expected
	}{
		{"reference solution", func(*testing.T) *notebook.Notebook { return fakeAssignment() }, 3,
			[]string{Passed, Passed}, []string{"", ""}},
		{"released student version", released, 0,
			[]string{Failed, Failed}, []string{"undefined: double", "undefined: double"}},
		{"answer that exits early", func(t *testing.T) *notebook.Notebook {
			nb := released(t)
			nb.Cells[1].Source = "declare double exits"
			return nb
		}, 0, []string{Failed, Failed}, []string{"stopped before its last line", "stopped before its last line"}},
		{"answer that never ends", func(t *testing.T) *notebook.Notebook {
			nb := released(t)
			nb.Cells[1].Source = "loop"
			return nb
		}, 0, []string{Failed, Failed}, []string{"undefined: double", "undefined: double"}},
		{"edited test cells do not help", func(t *testing.T) *notebook.Notebook {
			nb := released(t)
			nb.Cells[2].Source = "// tests removed"
			nb.Cells[3].Source = ""
			g, _ := nb.Cells[3].NBGrader()
			g.Points = 100
			nb.Cells[3].SetNBGrader(g)
			return nb
		}, 0, []string{Failed, Failed}, []string{"undefined: double", "undefined: double"}},
		{"deleted test cell is put back", func(t *testing.T) *notebook.Notebook {
			nb := fakeAssignment()
			nb.Cells = append(nb.Cells[:2], nb.Cells[3])
			return nb
		}, 3, []string{Passed, Passed}, []string{"", ""}},
		{"a student's cell claiming points is not graded", func(t *testing.T) *notebook.Notebook {
			nb := fakeAssignment()
			extra := notebook.Cell{ID: "mine", Type: notebook.CodeCell, Source: "declare x", Metadata: map[string]any{}}
			extra.SetNBGrader(notebook.NBGrader{GradeID: "bonus", Grade: true, Points: 50})
			nb.Cells = append(nb.Cells, extra)
			return nb
		}, 3, []string{Passed, Passed}, []string{"", ""}},
		{"a redefined locked helper is restored", func(t *testing.T) *notebook.Notebook {
			nb := released(t)
			nb.Cells[0].Source = "declare double" // the locked cell now "solves" the exercise
			return nb
		}, 0, []string{Failed, Failed}, []string{"undefined: double", "undefined: double"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gradeFake(t, tt.submission(t))
			if r.Score != tt.score || r.MaxScore != 3 {
				t.Errorf("score: have %v/%v, want %v/3\n%+v", r.Score, r.MaxScore, tt.score, r)
			}
			if len(r.Cells) != len(tt.statuses) {
				t.Fatalf("graded cells: have %+v, want %d", r.Cells, len(tt.statuses))
			}
			for i, c := range r.Cells {
				if c.Status != tt.statuses[i] {
					t.Errorf("%s status: have %q, want %q (%s)", c.GradeID, c.Status, tt.statuses[i], c.Reason)
				}
				if w := tt.reasons[i]; (w == "") != (c.Reason == "") || !strings.Contains(c.Reason, w) {
					t.Errorf("%s reason: have %q, want %q", c.GradeID, c.Reason, w)
				}
			}
		})
	}
}

func TestGradeNotes(t *testing.T) {
	nb := released(t)
	nb.Cells[2].Source = "// tests removed"
	nb.Cells = nb.Cells[:3] // test_hidden deleted
	r := gradeFake(t, nb)
	notes := strings.Join(r.Notes, "\n")
	for _, want := range []string{`"test_visible" had been edited`, `"test_hidden" was missing from the submission and was put back`, "cell sol (not graded) failed: panic"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes: have %q\nwant one containing %q", notes, want)
		}
	}
}

func TestGradeInterpreterFailure(t *testing.T) {
	g := &Grader{Source: fakeAssignment(), NewInterpreter: func(context.Context, string) (interp.Interpreter, error) {
		return nil, errors.New("no go toolchain")
	}}
	r, _ := g.Grade(context.Background(), fakeAssignment(), t.TempDir())
	if r.Score != 0 || r.MaxScore != 3 || !strings.Contains(r.Error, "no go toolchain") {
		t.Fatalf("have %+v, want 0/3 with the error", r)
	}
	for _, c := range r.Cells {
		if c.Status != NotRun {
			t.Errorf("%s: have %q, want %q", c.GradeID, c.Status, NotRun)
		}
	}
}

func writeNotebook(t *testing.T, path string, nb *notebook.Notebook) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := notebook.WriteFile(path, nb); err != nil {
		t.Fatal(err)
	}
}

func TestGradeAllAndCSV(t *testing.T) {
	dir := t.TempDir()
	writeNotebook(t, filepath.Join(dir, "alice", "a.ipynb"), fakeAssignment())
	writeNotebook(t, filepath.Join(dir, "bob", "a.ipynb"), released(t))
	os.WriteFile(filepath.Join(dir, "carol.ipynb"), []byte("{not json"), 0o644)
	os.WriteFile(filepath.Join(dir, "alice", "data.txt"), []byte("keep"), 0o644)

	paths, err := FindSubmissions(dir)
	if err != nil || len(paths) != 3 {
		t.Fatalf("FindSubmissions: have %v (%v), want 3 notebooks", paths, err)
	}
	g := &Grader{Source: fakeAssignment(), NewInterpreter: newFakeEngine}
	var calls []int
	graded := g.GradeAll(context.Background(), paths, 2, func(done, total int, r *Report) { calls = append(calls, done) })
	if !reflect.DeepEqual(calls, []int{1, 2, 3}) {
		t.Errorf("progress calls: have %v, want [1 2 3]", calls)
	}
	var reports []*Report
	want := map[string]float64{"alice": 3, "bob": 0, "carol": 0}
	for _, gr := range graded {
		r := gr.Report
		reports = append(reports, r)
		if w, ok := want[r.Student]; !ok || r.Score != w {
			t.Errorf("%s (%s): have score %v, want %v", r.Student, r.Submission, r.Score, w)
		}
	}
	if !strings.Contains(graded[2].Report.Error, "not an nbformat 4 notebook") {
		t.Errorf("broken submission: have error %q", graded[2].Report.Error)
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

// assertCSVMatchesJSON checks that the CSV and the JSON reports say the same.
func assertCSVMatchesJSON(t *testing.T, csvData, jsonData []byte) {
	t.Helper()
	rows, err := ReadCSV(bytes.NewReader(csvData))
	if err != nil {
		t.Fatal(err)
	}
	var reports []Report
	if err := json.Unmarshal(jsonData, &reports); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(reports) {
		t.Fatalf("CSV has %d rows, JSON %d reports", len(rows), len(reports))
	}
	for i, r := range reports {
		row := rows[i]
		points := map[string]float64{}
		for _, c := range r.Cells {
			points[c.GradeID] = c.Points
		}
		if row.Student != r.Student || row.Submission != r.Submission || row.Score != r.Score || row.MaxScore != r.MaxScore || row.Error != r.Error || !reflect.DeepEqual(row.Points, points) {
			t.Errorf("row %d: CSV %+v\nJSON %+v", i, row, r)
		}
	}
}

func TestScratchCopy(t *testing.T) {
	dir := t.TempDir()
	writeNotebook(t, filepath.Join(dir, "mine.ipynb"), fakeAssignment())
	writeNotebook(t, filepath.Join(dir, "other.ipynb"), fakeAssignment())
	os.MkdirAll(filepath.Join(dir, "data", ".ipynb_checkpoints"), 0o755)
	os.WriteFile(filepath.Join(dir, "data", "in.txt"), []byte("x"), 0o644)
	os.Symlink("/etc/passwd", filepath.Join(dir, "link"))

	scratch, err := scratchCopy(filepath.Join(dir, "mine.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	defer removeScratch(scratch)
	var have []string
	filepath.WalkDir(scratch, func(p string, d os.DirEntry, err error) error {
		rel, _ := filepath.Rel(scratch, p)
		have = append(have, rel)
		return nil
	})
	if want := []string{".", "data", "data/in.txt", "mine.ipynb"}; !reflect.DeepEqual(have, want) {
		t.Errorf("have %v, want %v", have, want)
	}
	os.Chmod(filepath.Join(scratch, "data"), 0o500)
	removeScratch(scratch)
	if _, err := os.Stat(scratch); !os.IsNotExist(err) {
		t.Errorf("scratch not removed: %v", err)
	}
}

func TestLimitMagicsAreRemovedFromAnswers(t *testing.T) {
	sub := fakeAssignment()
	sub.Cells[1].Source = "%timeout default 0\n  %limit default memory=100GB procs=0\n%race\ndeclare double"
	g := &Grader{Source: fakeAssignment(), NewInterpreter: newFakeEngine}
	r, nb := g.Grade(context.Background(), sub, t.TempDir())
	want := "// removed by the grader: %timeout default 0\n// removed by the grader: %limit default memory=100GB procs=0\n%race\ndeclare double"
	if have := nb.Cells[1].Source; have != want {
		t.Errorf("have %q\nwant %q", have, want)
	}
	if r.Score != 3 || !strings.Contains(strings.Join(r.Notes, "\n"), `"%limit default memory=100GB procs=0" was removed`) {
		t.Errorf("have score %v notes %q", r.Score, r.Notes)
	}
}

func TestShadowingCellsAreNotRun(t *testing.T) {
	src := fakeAssignment()
	src.Cells[0].Source = "func helper() {}\ntype Given int"
	tests := []struct {
		name, answer, note string
	}{
		{"predeclared panic", "func panic(v any) {}\ndeclare double", "declares panic (a predeclared Go name)"},
		{"locked cell's type", "type Given string\ndeclare double", "declares Given (declared by the locked cell setup)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := src.Clone()
			sub.Cells[1].Source = tt.answer
			g := &Grader{Source: src, NewInterpreter: newFakeEngine}
			r, nb := g.Grade(context.Background(), sub, t.TempDir())
			if !strings.HasPrefix(nb.Cells[1].Source, "// not run by the grader") || strings.Contains(nb.Cells[1].Source, "\ndeclare") {
				t.Errorf("cell was not disabled:\n%s", nb.Cells[1].Source)
			}
			if notes := strings.Join(r.Notes, "\n"); !strings.Contains(notes, tt.note) {
				t.Errorf("notes %q lack %q", notes, tt.note)
			}
		})
	}
}
