package grade

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/kernel/notebook"
)

// ledgerAssignment is a one-question assignment whose test needs `total` to be 100.
func ledgerAssignment() *notebook.Notebook {
	nb := notebook.New("go")
	add := func(id, src string, g notebook.NBGrader) {
		c := notebook.Cell{ID: id, Type: notebook.CodeCell, Source: src, Metadata: map[string]any{}}
		g.SchemaVersion = 3
		c.SetNBGrader(g)
		nb.Cells = append(nb.Cells, c)
	}
	add("answer", "// BEGIN SOLUTION\ntotal := 100\n// END SOLUTION",
		notebook.NBGrader{GradeID: "answer", Solution: true})
	add("check", "if total != 100 {\n\tpanic(\"total is not 100\")\n}",
		notebook.NBGrader{GradeID: "test_total", Grade: true, Locked: true, Points: 1})
	return nb
}

// TestEngineGradesEachSubmissionFromACleanState grades two submissions in one run on one
// worker: the first keeps `total := 100` (values carry over between its cells, issue 12);
// the second never declares total, so its test cell must fail to compile rather than see
// the first student's value.
func TestEngineGradesEachSubmissionFromACleanState(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: grades two submissions through the engine")
	}
	src := ledgerAssignment()
	g := engineGrader(t, src)
	student, err := Release(src)
	if err != nil {
		t.Fatal(err)
	}
	withAnswer := func(code string) *notebook.Notebook {
		nb := student.Clone()
		nb.Cells[0].Source = code
		return nb
	}
	dir := t.TempDir()
	writeNotebook(t, filepath.Join(dir, "a-keeps", "ledger.ipynb"), withAnswer("total := 100"))
	writeNotebook(t, filepath.Join(dir, "b-relies", "ledger.ipynb"), withAnswer("fmt.Println(\"no total here\")"))
	subs, err := FindSubmissions(dir)
	if err != nil || len(subs) != 2 {
		t.Fatalf("FindSubmissions: %d (%v), want 2", len(subs), err)
	}
	graded := g.GradeAll(context.Background(), subs, 1, nil)
	first, second := graded[0].Report, graded[1].Report
	if first.Score != 1 || first.Error != "" {
		t.Errorf("%s: have %v (error %q), want 1: the kept total carries to its test cell\n%+v",
			first.Student, first.Score, first.Error, first.Cells)
	}
	if second.Score != 0 || len(second.Cells) != 1 || second.Cells[0].Status != Failed ||
		!strings.Contains(second.Cells[0].Reason, "undefined: total") {
		t.Errorf("%s: have %v %+v, want 0 with its test failing on \"undefined: total\" (a clean state)",
			second.Student, second.Score, second.Cells)
	}
}
