package grade

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/gokernel/gokernel/kernel/notebook"
)

// cellKind is what an nbgrader cell is for.
type cellKind int

const (
	plainCell    cellKind = iota // no nbgrader metadata, or none of its flags
	solutionCell                 // solution: the student writes here
	testCell                     // grade without solution: autograder tests
	answerCell                   // grade and solution: a graded answer
	lockedCell                   // locked, neither graded nor a solution
)

func kindOf(c *notebook.Cell) (cellKind, notebook.NBGrader) {
	g, ok := c.NBGrader()
	switch {
	case !ok:
		return plainCell, g
	case g.Grade && g.Solution:
		return answerCell, g
	case g.Grade:
		return testCell, g
	case g.Solution:
		return solutionCell, g
	case g.Locked:
		return lockedCell, g
	}
	return plainCell, g
}

// graded reports whether a cell of this kind earns points.
func (k cellKind) graded() bool { return k == testCell || k == answerCell }

// fromSource reports whether grading takes this kind of cell from the
// source notebook rather than the submission.
func (k cellKind) fromSource() bool { return k == testCell || k == lockedCell }

// gradeIDPattern is nbgrader's pattern for grade_id.
var gradeIDPattern = regexp.MustCompile(`^[a-zA-Z0-9_\-]+$`)

// SourceError lists what is wrong with an assignment's source notebook.
type SourceError struct {
	Problems []string
}

func (e *SourceError) Error() string {
	return "assignment source: " + strings.Join(e.Problems, "; ")
}

// CheckSource checks an assignment's nbgrader metadata and markers: every
// nbgrader cell has a unique grade_id, graded cells have positive points,
// regions are well formed, and solution markers only appear in solution
// cells. It returns a *SourceError or nil.
func CheckSource(src *notebook.Notebook) error {
	var problems []string
	seen := map[string]int{}
	graded := 0
	for i := range src.Cells {
		c := &src.Cells[i]
		kind, g := kindOf(c)
		where := fmt.Sprintf("cell %d (id %s)", i, c.ID)
		if _, ok := c.NBGrader(); ok {
			if g.GradeID == "" {
				problems = append(problems, where+": nbgrader metadata without grade_id")
			} else if !gradeIDPattern.MatchString(g.GradeID) {
				problems = append(problems, fmt.Sprintf("%s: grade_id %q may only hold letters, digits, _ and - (nbgrader's rule)", where, g.GradeID))
			} else if j, dup := seen[g.GradeID]; dup {
				problems = append(problems, fmt.Sprintf("%s: grade_id %q is also used by cell %d", where, g.GradeID, j))
			} else {
				seen[g.GradeID] = i
			}
		}
		if kind.graded() {
			graded++
			if g.Points <= 0 {
				problems = append(problems, fmt.Sprintf("%s: graded cell %q has no points", where, g.GradeID))
			}
		}
		if c.Type != notebook.CodeCell {
			continue
		}
		for _, r := range [][2]string{{BeginSolution, EndSolution}, {BeginHiddenTests, EndHiddenTests}} {
			if _, err := replaceRegions(c.Source, r[0], r[1], nil); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", where, err))
			}
		}
		if hasMarker(c.Source, BeginSolution) && kind != solutionCell && kind != answerCell {
			problems = append(problems, where+": solution markers in a cell that is not a solution cell")
		}
	}
	if graded == 0 {
		problems = append(problems, "no graded cells (nbgrader metadata with grade: true and points)")
	}
	if len(problems) > 0 {
		return &SourceError{Problems: problems}
	}
	return nil
}

// Release returns the student version of an assignment: solution regions
// replaced by a stub (a solution cell without markers is replaced whole),
// hidden tests removed, outputs and execution counts cleared, and every other
// cell — locked ones included — kept, with its nbgrader metadata so the
// submission can be graded. src is not changed.
func Release(src *notebook.Notebook) (*notebook.Notebook, error) {
	if err := CheckSource(src); err != nil {
		return nil, err
	}
	student := src.Clone()
	student.ClearOutputs()
	for i := range student.Cells {
		c := &student.Cells[i]
		kind, _ := kindOf(c)
		released, err := releaseCell(c, kind)
		if err != nil {
			return nil, fmt.Errorf("cell %d (id %s): %w", i, c.ID, err)
		}
		c.Source = released
	}
	student.EnsureIDs()
	if err := notebook.Validate(student); err != nil {
		return nil, errors.Join(errors.New("released notebook is not valid nbformat"), err)
	}
	return student, nil
}

func releaseCell(c *notebook.Cell, kind cellKind) (string, error) {
	isSolution := kind == solutionCell || kind == answerCell
	if c.Type != notebook.CodeCell {
		if isSolution {
			return AnswerStub, nil
		}
		return c.Source, nil
	}
	src, err := replaceRegions(c.Source, BeginHiddenTests, EndHiddenTests, nil)
	if err != nil {
		return "", err
	}
	if !isSolution {
		return src, nil
	}
	if !hasMarker(src, BeginSolution) {
		return strings.Join(stub(""), "\n"), nil
	}
	return replaceRegions(src, BeginSolution, EndSolution, stub)
}
