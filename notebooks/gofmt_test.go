package notebooks

import (
	"go/format"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// cellProgram turns a Go cell into a file gofmt can read: magic lines
// (%race) are dropped, top-level funcs and imports stay at the top, and the
// cell's statements and other declarations go into a func main, one tab in.
// The kernel composes cells differently, but gofmt's verdict on the lines is
// the same.
func cellProgram(src string) string {
	var top, body []string
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, "%"):
		case strings.HasPrefix(line, "import "):
			top = append(top, line)
		case strings.HasPrefix(line, "func ") && !strings.HasSuffix(line, "{"):
			top = append(top, line) // func f() { … } on one line
		case strings.HasPrefix(line, "func "):
			end := i
			for end < len(lines)-1 && lines[end] != "}" {
				end++
			}
			top = append(top, lines[i:end+1]...)
			i = end
		default:
			if line != "" {
				line = "\t" + line
			}
			body = append(body, line)
		}
	}
	return "package main\n\n" + strings.Join(top, "\n") + "\n\nfunc main() {\n" + strings.Join(body, "\n") + "\n}\n"
}

// nonBlankLines drops empty lines, which cellProgram adds and gofmt removes.
func nonBlankLines(text string) []string {
	return slices.DeleteFunc(strings.Split(text, "\n"), func(l string) bool { return strings.TrimSpace(l) == "" })
}

// gofmtProblem returns how gofmt would change a Go cell, or "".
func gofmtProblem(src string) string {
	prog := cellProgram(src)
	formatted, err := format.Source([]byte(prog))
	if err != nil {
		return "does not parse: " + err.Error()
	}
	have, want := nonBlankLines(prog), nonBlankLines(string(formatted))
	for i := range min(len(have), len(want)) {
		if have[i] != want[i] {
			return "gofmt changes\n\t" + strings.TrimPrefix(have[i], "\t") + "\ninto\n\t" + strings.TrimPrefix(want[i], "\t")
		}
	}
	if len(have) != len(want) {
		return "gofmt changes the number of lines"
	}
	return ""
}

var solutionCode = regexp.MustCompile("(?s)```go\n(.*?)\n```")

// TestLessonCodeIsGofmted: the Go a lesson shows, in its cells and in its
// solutions, is formatted as gofmt formats it, so students copy good habits.
func TestLessonCodeIsGofmted(t *testing.T) {
	for _, path := range lessonPaths(t) {
		nb := readNotebook(t, path)
		for _, cell := range nb.cells {
			src, _ := source(cell)
			var codes []string
			switch {
			case cell["cell_type"] == "code" && !strings.HasPrefix(src, "%%"):
				codes = []string{src}
			case slices.Contains(tags(cell), solutionTag):
				for _, m := range solutionCode.FindAllStringSubmatch(src, -1) {
					codes = append(codes, m[1])
				}
			}
			for _, code := range codes {
				if p := gofmtProblem(code); p != "" {
					t.Errorf("%s cell %v: %s", path, cell["id"], p)
				}
			}
		}
	}
}

func TestGofmtProblem(t *testing.T) {
	tests := []struct {
		src  string
		want string // substring of the problem; "" means none
	}{
		{src: "x := 1\nfmt.Println(x)"},
		{src: "%race\nfunc f() int {\n\treturn 1\n}\n\nfmt.Println(f())"},
		{src: "func g() {}\nvar wg sync.WaitGroup\nwg.Go(g)"},
		{src: "x:=1", want: "gofmt changes"},
		{src: "a := 1 // one\nbcd := 2  // two", want: "gofmt changes"},
		{src: "func f() {\nreturn\n}", want: "gofmt changes"},
		{src: "x := (", want: "does not parse"},
	}
	for _, tt := range tests {
		got := gofmtProblem(tt.src)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("gofmtProblem(%q) = %q, want a problem containing %q", tt.src, got, tt.want)
		}
	}
}
