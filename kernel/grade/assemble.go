package grade

import (
	"fmt"
	"strings"

	"github.com/gokernel/gokernel/kernel/notebook"
)

// assembled is the notebook that is actually graded.
type assembled struct {
	nb    *notebook.Notebook
	notes []string // what was restored or ignored, for the report
}

// assemble builds the notebook to grade from a submission: the student's
// answers (solution cells, and cells they added) with the source's version
// of every locked cell and test cell — its code, hidden tests and points —
// so editing, deleting or duplicating a test cell cannot change the grade.
// Test and locked cells missing from the submission are put back where the
// source has them. Nothing in sub or src is changed.
func assemble(src, sub *notebook.Notebook) assembled {
	srcIndex := map[string]int{} // grade_id -> index in src.Cells
	for i := range src.Cells {
		if g, ok := src.Cells[i].NBGrader(); ok && g.GradeID != "" {
			srcIndex[g.GradeID] = i
		}
	}
	type entry struct {
		cell notebook.Cell
		src  int // index of the matching source cell, -1 for a student's own cell
	}
	var (
		entries []entry
		notes   []string
		used    = map[string]bool{}
	)
	for _, c := range sub.Cells {
		g, _ := c.NBGrader()
		i, known := srcIndex[g.GradeID]
		if !known {
			own := c.Clone()
			if _, claims := own.NBGrader(); claims {
				// A cell the source does not know cannot be graded or locked.
				delete(own.Metadata, "nbgrader")
				notes = append(notes, fmt.Sprintf("cell %s: nbgrader metadata %q is not in the assignment and was ignored", c.ID, g.GradeID))
			}
			entries = append(entries, entry{cell: own, src: -1})
			continue
		}
		if used[g.GradeID] {
			notes = append(notes, fmt.Sprintf("cell %s: a second copy of %q was ignored", c.ID, g.GradeID))
			continue
		}
		used[g.GradeID] = true
		orig := &src.Cells[i]
		kind, _ := kindOf(orig)
		cell := orig.Clone()
		if kind.fromSource() {
			if released, err := releaseCell(orig, kind); err == nil && released != c.Source && c.Source != orig.Source {
				notes = append(notes, fmt.Sprintf("%q had been edited; the assignment's version was graded", g.GradeID))
			}
		} else {
			cell.Source = c.Source // the student's answer, under the source's metadata
		}
		cell.ID = c.ID
		entries = append(entries, entry{cell: cell, src: i})
	}
	for i := range src.Cells {
		kind, g := kindOf(&src.Cells[i])
		if g.GradeID == "" || used[g.GradeID] || !kind.fromSource() {
			continue
		}
		at := 0 // after the last cell that comes before it in the source
		for j, e := range entries {
			if e.src >= 0 && e.src < i {
				at = j + 1
			}
		}
		entries = append(entries[:at], append([]entry{{cell: src.Cells[i].Clone(), src: i}}, entries[at:]...)...)
		notes = append(notes, fmt.Sprintf("%q was missing from the submission and was put back", g.GradeID))
	}

	protected := protectedNames(src)
	nb := sub.Clone()
	nb.Cells = nb.Cells[:0]
	for _, e := range entries {
		if kind, _ := kindOf(&e.cell); !kind.fromSource() && e.cell.Type == notebook.CodeCell {
			var removed []string
			e.cell.Source, removed = removeLimitMagics(e.cell.Source)
			for _, m := range removed {
				notes = append(notes, fmt.Sprintf("cell %s: %q was removed: the grader sets the limits", e.cell.ID, m))
			}
			if bad := shadowing(e.cell.Source, protected); len(bad) > 0 {
				why := "declares " + strings.Join(bad, ", ")
				e.cell.Source = disable(e.cell.Source, why)
				notes = append(notes, fmt.Sprintf("cell %s was not run: it %s, which would change what the tests check", e.cell.ID, why))
			}
		}
		nb.Cells = append(nb.Cells, e.cell)
	}
	nb.Nbformat = 4
	nb.EnsureIDs()
	return assembled{nb: nb, notes: notes}
}

// limitMagics are the engine's magics that change a cell's limits or the
// notebook's defaults; a submission must not lift the grader's limits.
var limitMagics = []string{"%limit", "%timeout"}

// removeLimitMagics comments out the limit magics of a student's cell,
// keeping line numbers, and returns the lines it removed.
func removeLimitMagics(src string) (string, []string) {
	lines := strings.Split(src, "\n")
	var removed []string
	for i, line := range lines {
		text := strings.TrimSpace(line)
		for _, m := range limitMagics {
			if text == m || strings.HasPrefix(text, m+" ") || strings.HasPrefix(text, "%"+m) {
				removed = append(removed, text)
				lines[i] = "// removed by the grader: " + text
				break
			}
		}
	}
	return strings.Join(lines, "\n"), removed
}

// disable turns a cell into comments, so it runs as nothing while the
// executed notebook still shows what the student wrote.
func disable(src, why string) string {
	lines := strings.Split(src, "\n")
	for i, l := range lines {
		lines[i] = "// " + l
	}
	return "// not run by the grader: this cell " + why + "\n" + strings.Join(lines, "\n")
}
