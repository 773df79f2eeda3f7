package grade

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/notebook"
	"github.com/gokernel/gokernel/kernel/runner"
)

// DefaultCellTimeout bounds each cell when Grader.CellTimeout is zero.
const DefaultCellTimeout = 30 * time.Second

// DefaultMaxOutputBytes is the output kept per cell of a graded notebook
// when Grader.MaxOutputBytes is zero.
const DefaultMaxOutputBytes = 1 << 20

// NewInterpreterFunc starts a fresh interpreter whose cells run with dir as
// their working directory. The grader closes it after each submission. It is
// where limits are set: the Go engine's Config takes a Timeout and Limits
// (memory, processes, CPU, output) applied to every cell.
type NewInterpreterFunc func(ctx context.Context, dir string) (interp.Interpreter, error)

// Grader grades submissions of one assignment. Its fields are read-only
// once grading starts; one Grader may grade many submissions at once.
type Grader struct {
	// Source is the assignment with solutions and hidden tests (see
	// CheckSource); graded and locked cells are always taken from it.
	Source *notebook.Notebook
	// NewInterpreter starts the interpreter for one submission.
	NewInterpreter NewInterpreterFunc
	// CellTimeout interrupts a cell that runs longer (0: DefaultCellTimeout).
	// It backs up the interpreter's own timeout.
	CellTimeout time.Duration
	// MaxOutputBytes caps the output kept per cell (0: DefaultMaxOutputBytes).
	MaxOutputBytes int64
	// Logger receives debug lines; nil discards.
	Logger *slog.Logger
}

// Grade grades sub, running its cells with dir as the working directory
// (the caller provides a scratch copy; see GradeFile). It returns the report
// and the executed notebook (the graded cells as the source has them, with
// their outputs); the report's Error is set when grading could not run.
func (g *Grader) Grade(ctx context.Context, sub *notebook.Notebook, dir string) (*Report, *notebook.Notebook) {
	start := time.Now()
	asm := assemble(g.Source, sub)
	report := &Report{Notes: asm.notes}
	nb := asm.nb

	// A test cell earns its points only if it runs to its last line: a
	// statement appended to each graded cell prints a random token that the
	// submission cannot know, so os.Exit(0) in the middle of a test (or any
	// other early, "successful" exit) does not pass.
	token := "gokernel-grade-" + randomHex(12)
	completionLine := fmt.Sprintf("\nprintln(%q)", token)
	original := map[int]string{}
	for i := range nb.Cells {
		c := &nb.Cells[i]
		if kind, _ := kindOf(c); kind.graded() && c.Type == notebook.CodeCell && !strings.HasPrefix(strings.TrimSpace(c.Source), "%%") {
			original[i] = c.Source
			c.Source += completionLine
		}
	}

	results := map[int]runner.CellResult{}
	var runErr error
	in, err := g.NewInterpreter(ctx, dir)
	if err != nil {
		runErr = fmt.Errorf("starting the interpreter: %w", err)
	} else {
		res, err := runner.Run(ctx, in, nb, runner.Options{
			Timeout:        orDefault(g.CellTimeout, DefaultCellTimeout),
			AllowErrors:    true,
			MaxOutputBytes: orDefault(g.MaxOutputBytes, DefaultMaxOutputBytes),
			Logger:         g.Logger,
		})
		if err != nil {
			runErr = err
		}
		if res != nil {
			for _, c := range res.Cells {
				results[c.Index] = c
			}
		}
		if err := in.Close(); err != nil && runErr == nil {
			report.Notes = append(report.Notes, "closing the interpreter: "+err.Error())
		}
	}
	if runErr != nil {
		report.Error = oneLine(runErr.Error())
	}

	earlierFailure := "" // the first failing ungraded cell, which often explains a later failure
	for i := range nb.Cells {
		c := &nb.Cells[i]
		completed := false
		if src, ok := original[i]; ok {
			c.Source = src
			completed = removeToken(c, token)
		}
		kind, meta := kindOf(c)
		r, ran := results[i]
		if !kind.graded() {
			if ran && r.Err != nil && !c.HasTag(runner.RaisesExceptionTag) {
				report.Notes = append(report.Notes, fmt.Sprintf("cell %s (not graded) failed: %s", c.ID, reason(r.Err)))
				if earlierFailure == "" {
					earlierFailure = fmt.Sprintf("cell %s failed earlier: %s", c.ID, reason(r.Err))
				}
			}
			continue
		}
		cr := CellReport{GradeID: meta.GradeID, MaxPoints: meta.Points}
		switch {
		case c.Type != notebook.CodeCell:
			cr.Status, cr.Reason = Manual, "a written answer: grade it by hand"
		case !ran:
			cr.Status, cr.Reason = NotRun, "not run: grading stopped before this cell"
			if report.Error != "" {
				cr.Reason += " (" + report.Error + ")"
			}
		case r.Err != nil:
			cr.Status, cr.Reason = Failed, reason(r.Err)
			if r.Err.Name == "CompileError" && earlierFailure != "" {
				// "undefined: Pool" is rarely the real story: say what broke first.
				cr.Reason = oneLine(cr.Reason + " (" + earlierFailure + ")")
			}
		case !completed:
			cr.Status, cr.Reason = Failed, "the cell stopped before its last line without an error (os.Exit called?)"
		default:
			cr.Status, cr.Points = Passed, meta.Points
		}
		report.Score += cr.Points
		report.MaxScore += cr.MaxPoints
		report.Cells = append(report.Cells, cr)
	}
	report.Seconds = time.Since(start).Seconds()
	return report, nb
}

// Submission is one submitted notebook and whose it is.
type Submission struct {
	Path    string
	Student string // the student's folder in DIR/STUDENT/x.ipynb, else the file name without .ipynb
}

// SubmissionOf is the Submission of a single notebook file.
func SubmissionOf(path string) Submission {
	return Submission{Path: path, Student: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))}
}

// GradeFile grades the submission in a scratch copy of its
// directory, removed afterwards, so a submission that deletes or rewrites
// files harms nothing. The report is never nil: an unreadable submission is
// a report with Error set and every graded cell at zero.
func (g *Grader) GradeFile(ctx context.Context, s Submission) (*Report, *notebook.Notebook) {
	path := s.Path
	start := time.Now()
	fail := func(err error) (*Report, *notebook.Notebook) {
		r := g.zeroReport(err)
		r.Submission, r.Student = path, s.Student
		r.Seconds = time.Since(start).Seconds()
		return r, nil
	}
	sub, err := notebook.ReadFile(path)
	if err != nil {
		return fail(err)
	}
	scratch, err := scratchCopy(path)
	if err != nil {
		return fail(fmt.Errorf("making a scratch copy: %w", err))
	}
	defer removeScratch(scratch)
	r, nb := g.Grade(ctx, sub, scratch)
	r.Submission, r.Student = path, s.Student
	r.Seconds = time.Since(start).Seconds()
	return r, nb
}

// zeroReport is the report of a submission that could not be graded.
func (g *Grader) zeroReport(err error) *Report {
	r := &Report{Error: oneLine(err.Error())}
	for i := range g.Source.Cells {
		if kind, meta := kindOf(&g.Source.Cells[i]); kind.graded() {
			r.Cells = append(r.Cells, CellReport{GradeID: meta.GradeID, MaxPoints: meta.Points, Status: NotRun, Reason: "not run: " + r.Error})
			r.MaxScore += meta.Points
		}
	}
	return r
}

// removeToken deletes the completion token from the cell's stderr and
// reports whether it was there.
func removeToken(c *notebook.Cell, token string) bool {
	found := false
	kept := c.Outputs[:0]
	for _, o := range c.Outputs {
		if o.Type == notebook.StreamOutput && o.Name == "stderr" && strings.Contains(o.Text, token+"\n") {
			found = true
			o.Text = strings.Replace(o.Text, token+"\n", "", 1)
			if o.Text == "" {
				continue
			}
		}
		kept = append(kept, o)
	}
	c.Outputs = kept
	return found
}

// reason is an error as one readable line: "Name: value".
func reason(e *interp.Error) string {
	return oneLine(e.Name + ": " + e.Value)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never returns an error: it crashes the program instead
	return hex.EncodeToString(b)
}

func orDefault[T time.Duration | int64](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}
