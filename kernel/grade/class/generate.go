package class

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gokernel/gokernel/kernel/grade"
	"github.com/gokernel/gokernel/kernel/notebook"
)

// Kind is what a generated submission is.
type Kind string

const (
	Correct      Kind = "correct"       // the reference solution
	NotAttempted Kind = "not-attempted" // the released version handed in untouched
	WrongAnswer  Kind = "wrong"         // one of KnownWrong, each in turn
	// The hostile kinds answer every solution region with something nasty.
	InfiniteLoop Kind = "infinite-loop"
	ForkFlood    Kind = "fork-flood"
	MemoryHog    Kind = "memory-hog"
	HugePrint    Kind = "huge-print" // 1 GB of output, then the right answer: it keeps full marks
	Panic        Kind = "panic"
)

// hostile is the code each hostile kind answers with, and the words (any
// of those separated by |) every failing test cell's reason must then
// contain. On a loaded machine a flood or a hog may reach the time limit
// before its own limit, so either is a clear reason.
var hostile = map[Kind]struct{ code, says string }{
	InfiniteLoop: {"for {\n}\n", "timeout|timed out"},
	ForkFlood:    {"for {\n\texec.Command(\"sleep\", \"60\").Start()\n}\n", "limit|timeout|timed out"},
	MemoryHog:    {"var hog [][]byte\nfor {\n\tb := make([]byte, 1<<20)\n\tfor i := range b {\n\t\tb[i] = 1\n\t}\n\thog = append(hog, b)\n}\n", "memory|timeout|timed out"},
	HugePrint:    {"chunk := strings.Repeat(\"spam \", 1<<20/5)\nfor range 1024 {\n\tfmt.Print(chunk)\n}\n", ""},
	Panic:        {"panic(\"the student's own bug\")\n", "the student's own bug"},
}

// DefaultMix is a class of twenty, repeated: half right, three not
// attempted, two known-wrong and one of each hostile kind, interleaved so
// that any stretch of the class holds a bit of everything.
var DefaultMix = []Kind{
	Correct, WrongAnswer, Correct, InfiniteLoop, Correct, NotAttempted, Correct, Panic, Correct, HugePrint,
	Correct, ForkFlood, Correct, NotAttempted, Correct, MemoryHog, Correct, WrongAnswer, Correct, NotAttempted,
}

// Planned is one generated submission and the grade it must get.
type Planned struct {
	Student string
	Path    string
	Kind    Kind
	Wrong   string // the known-wrong answer's name, for WrongAnswer
	Score   float64
	says    map[string]string // grade_id (or "" for every failed cell) -> words its reason must contain (any of a|b)
}

// Check says how r differs from the plan, or returns nil.
func (p Planned) Check(r *grade.Report) error {
	if r.Score != p.Score {
		return fmt.Errorf("%s (%s): scored %v, want %v: %s", p.Student, p.label(), r.Score, p.Score, reasons(r))
	}
	for _, c := range r.Cells {
		words, ok := p.says[c.GradeID]
		if !ok {
			words, ok = p.says[""]
		}
		if ok && c.Status == grade.Failed && !saysAny(c.Reason, words) {
			return fmt.Errorf("%s (%s): %s failed with %q, which does not say %q", p.Student, p.label(), c.GradeID, c.Reason, words)
		}
		if want, named := p.says[c.GradeID]; named && c.Status != grade.Failed {
			return fmt.Errorf("%s (%s): %s %s, want it failed saying %q", p.Student, p.label(), c.GradeID, c.Status, want)
		}
	}
	return nil
}

// saysAny reports whether reason contains any of the |-separated words, in any case.
func saysAny(reason, words string) bool {
	for _, w := range strings.Split(words, "|") {
		if strings.Contains(strings.ToLower(reason), strings.ToLower(w)) {
			return true
		}
	}
	return false
}

func (p Planned) label() string {
	if p.Wrong != "" {
		return string(p.Kind) + " " + p.Wrong
	}
	return string(p.Kind)
}

func reasons(r *grade.Report) string {
	var out []string
	for _, c := range r.Cells {
		s := c.GradeID + " " + c.Status
		if c.Reason != "" {
			s += " (" + c.Reason + ")"
		}
		out = append(out, s)
	}
	if r.Error != "" {
		out = append(out, "error: "+r.Error)
	}
	return strings.Join(out, "; ")
}

// Generate writes a class of n submissions of the assignment at sourcePath
// into dir, one folder per student (dir/s001/NAME.ipynb, nbgrader's layout),
// their kinds following mix over and over, and returns what each must score.
// The same arguments always give the same class.
func Generate(dir, sourcePath string, n int, mix []Kind) ([]Planned, error) {
	src, err := notebook.ReadFile(sourcePath)
	if err != nil {
		return nil, err
	}
	released, err := grade.Release(src)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(sourcePath)
	maxScore := 0.0
	for _, c := range src.Cells {
		if g, ok := c.NBGrader(); ok && g.Grade {
			maxScore += g.Points
		}
	}
	solution := -1 // the first code solution cell, where a huge print goes
	for i, c := range src.Cells {
		if g, ok := c.NBGrader(); ok && g.Solution && c.Type == notebook.CodeCell {
			solution = i
			break
		}
	}
	if solution < 0 {
		return nil, fmt.Errorf("%s has no solution cell", sourcePath)
	}
	wrongs := KnownWrong[name]
	if len(mix) == 0 {
		return nil, fmt.Errorf("an empty mix of submissions")
	}
	var plans []Planned
	wrongSeen := 0
	for i := range n {
		kind := mix[i%len(mix)]
		p := Planned{Student: fmt.Sprintf("s%03d", i+1), Kind: kind}
		var nb *notebook.Notebook
		switch kind {
		case Correct:
			nb, p.Score = src.Clone(), maxScore
		case NotAttempted:
			nb, p.says = released.Clone(), map[string]string{"": "not implemented"}
		case WrongAnswer:
			if len(wrongs) == 0 {
				return nil, fmt.Errorf("the mix has wrong answers but KnownWrong has none for %s", name)
			}
			w := wrongs[wrongSeen%len(wrongs)]
			wrongSeen++
			nb = src.Clone()
			if !replaceCell(nb, w.Cell, w.Source) {
				return nil, fmt.Errorf("known-wrong answer %s: %s has no cell %q", w.Name, name, w.Cell)
			}
			p.Wrong, p.Score, p.says = w.Name, w.Score, w.Says
		default:
			h, ok := hostile[kind]
			if !ok {
				return nil, fmt.Errorf("unknown kind of submission %q", kind)
			}
			nb = src.Clone()
			if kind == HugePrint {
				// The flood comes first and the right answer after it.
				nb.Cells[solution].Source = h.code + "\n" + nb.Cells[solution].Source
				p.Score = maxScore
				break
			}
			// The hostile code is the answer of every solution region.
			for i := range nb.Cells {
				if g, ok := nb.Cells[i].NBGrader(); ok && g.Solution && nb.Cells[i].Type == notebook.CodeCell {
					if nb.Cells[i].Source, err = grade.Answer(nb.Cells[i].Source, h.code); err != nil {
						return nil, fmt.Errorf("%s cell %s: %w", name, nb.Cells[i].ID, err)
					}
				}
			}
			p.says = map[string]string{"": h.says}
		}
		p.Path = filepath.Join(dir, p.Student, name)
		if err := os.MkdirAll(filepath.Dir(p.Path), 0o755); err != nil {
			return nil, err
		}
		if err := notebook.WriteFile(p.Path, nb); err != nil {
			return nil, err
		}
		plans = append(plans, p)
	}
	return plans, nil
}

func replaceCell(nb *notebook.Notebook, id, source string) bool {
	for i := range nb.Cells {
		if nb.Cells[i].ID == id {
			nb.Cells[i].Source = source
			return true
		}
	}
	return false
}
