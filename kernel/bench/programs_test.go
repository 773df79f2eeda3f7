package bench

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// The reference programs must be valid Go, or the go run / go build
// baselines would time a compile error.
func TestReferenceProgramsParse(t *testing.T) {
	for name, src := range map[string]string{
		"hello":  helloProgram(3),
		"lesson": lessonProgram(3),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parser.ParseFile(token.NewFileSet(), name+".go", src, 0); err != nil {
				t.Errorf("have parse error %v\nin:\n%s", err, src)
			}
		})
	}
}

func TestCellsChangeEveryRun(t *testing.T) {
	for name, cell := range map[string]func(int) string{
		"hello": helloCell, "lesson": lessonCell, "race": raceCell, "loop": loopCell, "sleep": sleepCell,
		"flood": func(r int) string { return floodCell(r, 1) },
	} {
		t.Run(name, func(t *testing.T) {
			if a, b := cell(1), cell(2); a == b {
				t.Errorf("have the same source for runs 1 and 2:\n%s", a)
			}
		})
	}
}

func TestLessonCellIsAboutSixtyLines(t *testing.T) {
	if have := strings.Count(lessonCell(1), "\n"); have < 50 || have > 70 {
		t.Errorf("have %d lines, want 50..70", have)
	}
}

func TestDeclarationCells(t *testing.T) {
	cells := declarationCells(200, 20)
	if len(cells) != 10 {
		t.Fatalf("have %d cells, want 10", len(cells))
	}
	all := strings.Join(cells, "")
	for _, want := range []string{"func helper000(", "type record001 ", "const limit002 ", "var counter199 "} {
		if !strings.Contains(all, want) {
			t.Errorf("declarations lack %q", want)
		}
	}
	if have := strings.Count(all, "\n"); have != 200 {
		t.Errorf("have %d declarations, want 200", have)
	}
}
