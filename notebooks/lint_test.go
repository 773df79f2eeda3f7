package notebooks

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// pythonTag marks %%python3 cells (see gen.go).
const pythonTag = "needs-python3"

// lessonName matches the lesson notebooks: NN-name.ipynb.
var lessonName = regexp.MustCompile(`^[0-9][0-9]-[a-z0-9-]+\.ipynb$`)

// cellID is nbformat 4.5's pattern for cell ids.
var cellID = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// wantLessons are the lessons of the course (issues 7 and 13).
var wantLessons = []string{
	"01-threads-and-processes.ipynb",
	"02-creating-threads.ipynb",
	"03-locks.ipynb",
	"04-processes.ipynb",
	"05-queues.ipynb",
	"06-choosing.ipynb",
	"07-coordinating.ipynb",
}

// cellKeys lists, per cell type, the keys nbformat 4.5 requires and allows.
var cellKeys = map[string]struct{ required, optional []string }{
	"code":     {required: []string{"cell_type", "id", "metadata", "source", "outputs", "execution_count"}},
	"markdown": {required: []string{"cell_type", "id", "metadata", "source"}, optional: []string{"attachments"}},
	"raw":      {required: []string{"cell_type", "id", "metadata", "source"}, optional: []string{"attachments"}},
}

// notebook is the decoded form of one .ipynb, kept generic so unknown or
// missing keys can be reported.
type notebook struct {
	path  string
	raw   map[string]any
	cells []map[string]any
}

func readNotebook(t *testing.T, path string) notebook {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("%s: not valid JSON: %v", path, err)
	}
	nb := notebook{path: path, raw: raw}
	cells, _ := raw["cells"].([]any)
	for i, c := range cells {
		m, ok := c.(map[string]any)
		if !ok {
			t.Fatalf("%s: cell %d is %T, want an object", path, i, c)
		}
		nb.cells = append(nb.cells, m)
	}
	return nb
}

// allNotebooks returns every .ipynb under this directory (lessons, zh/,
// the demo, assignments), skipping checkpoints Jupyter leaves behind.
func allNotebooks(t *testing.T) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".ipynb_checkpoints" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".ipynb") {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

// source joins a cell's source, which nbformat allows as a string or a list.
func source(cell map[string]any) (string, error) {
	switch s := cell["source"].(type) {
	case string:
		return s, nil
	case []any:
		var b strings.Builder
		for _, line := range s {
			str, ok := line.(string)
			if !ok {
				return "", fmt.Errorf("source line is %T, want string", line)
			}
			b.WriteString(str)
		}
		return b.String(), nil
	default:
		return "", fmt.Errorf("source is %T, want string or list of strings", cell["source"])
	}
}

// tags returns a cell's metadata.tags.
func tags(cell map[string]any) []string {
	meta, _ := cell["metadata"].(map[string]any)
	list, _ := meta["tags"].([]any)
	var out []string
	for _, tag := range list {
		if s, ok := tag.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// formatProblems lists what makes nb not a valid nbformat 4.5 notebook for
// this kernel.
func formatProblems(nb notebook) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	for _, key := range []string{"cells", "metadata", "nbformat", "nbformat_minor"} {
		if _, ok := nb.raw[key]; !ok {
			add("missing top-level key %q", key)
		}
	}
	if major, minor := nb.raw["nbformat"], nb.raw["nbformat_minor"]; major != 4.0 || minor != 5.0 {
		add("nbformat %v.%v, want 4.5", major, minor)
	}
	meta, _ := nb.raw["metadata"].(map[string]any)
	wantKernelspec := map[string]any{"name": "gokernel", "display_name": "Go (gokernel)", "language": "go"}
	if have, _ := meta["kernelspec"].(map[string]any); !mapsEqual(have, wantKernelspec) {
		add("metadata.kernelspec: have %v, want %v", have, wantKernelspec)
	}
	info, _ := meta["language_info"].(map[string]any)
	for key, want := range map[string]string{"name": "go", "file_extension": ".go", "mimetype": "text/x-go"} {
		if have := info[key]; have != want {
			add("metadata.language_info.%s: have %v, want %q", key, have, want)
		}
	}

	seen := map[string]int{}
	for i, cell := range nb.cells {
		where := fmt.Sprintf("cell %d", i)
		id, _ := cell["id"].(string)
		if !cellID.MatchString(id) {
			add("%s: id %q does not match %s", where, id, cellID)
		} else {
			where = fmt.Sprintf("cell %d (id %s)", i, id)
		}
		if first, dup := seen[id]; dup {
			add("%s: id also used by cell %d", where, first)
		}
		seen[id] = i

		kind, _ := cell["cell_type"].(string)
		keys, known := cellKeys[kind]
		if !known {
			add("%s: cell_type %q", where, kind)
			continue
		}
		for _, key := range keys.required {
			if _, ok := cell[key]; !ok {
				add("%s: missing key %q", where, key)
			}
		}
		for key := range cell {
			if !slices.Contains(keys.required, key) && !slices.Contains(keys.optional, key) {
				add("%s: key %q is not allowed in a %s cell", where, key, kind)
			}
		}
		if _, ok := cell["metadata"].(map[string]any); !ok {
			add("%s: metadata is %T, want an object", where, cell["metadata"])
		}
		if _, err := source(cell); err != nil {
			add("%s: %v", where, err)
		}
		if kind == "code" {
			if _, ok := cell["outputs"].([]any); !ok {
				add("%s: outputs is %T, want a list", where, cell["outputs"])
			}
			if n := cell["execution_count"]; n != nil {
				if _, ok := n.(float64); !ok {
					add("%s: execution_count is %T, want null or a number", where, n)
				}
			}
		}
	}
	return problems
}

func mapsEqual(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

func TestNotebooksAreValidNBFormat45(t *testing.T) {
	paths := allNotebooks(t)
	if len(paths) == 0 {
		t.Fatal("no notebooks found")
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			for _, p := range formatProblems(readNotebook(t, path)) {
				t.Error(p)
			}
		})
	}
}

// TestFormatProblemsCatchesBrokenNotebooks makes sure the lint can fail.
func TestFormatProblemsCatchesBrokenNotebooks(t *testing.T) {
	good := func() map[string]any {
		return map[string]any{
			"nbformat": 4.0, "nbformat_minor": 5.0,
			"metadata": map[string]any{
				"kernelspec":    map[string]any{"name": "gokernel", "display_name": "Go (gokernel)", "language": "go"},
				"language_info": map[string]any{"name": "go", "file_extension": ".go", "mimetype": "text/x-go"},
			},
			"cells": []any{},
		}
	}
	codeCell := func(id string) map[string]any {
		return map[string]any{"cell_type": "code", "id": id, "metadata": map[string]any{}, "source": "1", "outputs": []any{}, "execution_count": nil}
	}
	tests := []struct {
		name   string
		change func(nb *notebook)
		want   string // substring of a problem; "" means no problem
	}{
		{name: "good", change: func(nb *notebook) { nb.cells = []map[string]any{codeCell("a"), codeCell("b")} }},
		{name: "duplicate id", change: func(nb *notebook) { nb.cells = []map[string]any{codeCell("a"), codeCell("a")} }, want: "also used"},
		{name: "bad id", change: func(nb *notebook) { nb.cells = []map[string]any{codeCell("a b")} }, want: "does not match"},
		{name: "no outputs key", change: func(nb *notebook) { c := codeCell("a"); delete(c, "outputs"); nb.cells = []map[string]any{c} }, want: `missing key "outputs"`},
		{name: "old minor", change: func(nb *notebook) { nb.raw["nbformat_minor"] = 4.0 }, want: "want 4.5"},
		{name: "python kernel", change: func(nb *notebook) {
			nb.raw["metadata"].(map[string]any)["kernelspec"] = map[string]any{"name": "python3", "display_name": "Python 3", "language": "python"}
		}, want: "kernelspec"},
		{name: "stray key", change: func(nb *notebook) {
			c := codeCell("a")
			c["attachments"] = map[string]any{}
			nb.cells = []map[string]any{c}
		}, want: "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb := notebook{raw: good()}
			tt.change(&nb)
			problems := formatProblems(nb)
			joined := strings.Join(problems, "\n")
			switch {
			case tt.want == "" && len(problems) > 0:
				t.Errorf("have problems %q, want none", joined)
			case tt.want != "" && !strings.Contains(joined, tt.want):
				t.Errorf("have problems %q, want one containing %q", joined, tt.want)
			}
		})
	}
}

func TestLessonsExistInBothLanguages(t *testing.T) {
	for _, name := range wantLessons {
		for _, path := range []string{name, filepath.Join("zh", name)} {
			if _, err := os.Stat(path); err != nil {
				t.Errorf("lesson %s: %v", path, err)
			}
		}
	}
	zh, _ := filepath.Glob("zh/*.ipynb")
	for _, path := range zh {
		if _, err := os.Stat(filepath.Base(path)); err != nil {
			t.Errorf("%s has no English original: %v", path, err)
		}
	}
}

// lessonPaths returns the lesson notebooks, English and 中文.
func lessonPaths(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, dir := range []string{".", "zh"} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if lessonName.MatchString(e.Name()) {
				out = append(out, filepath.Join(dir, e.Name()))
			}
		}
	}
	return out
}

func TestLessonsHaveNoStoredOutputs(t *testing.T) {
	for _, path := range lessonPaths(t) {
		t.Run(path, func(t *testing.T) {
			nb := readNotebook(t, path)
			for i, cell := range nb.cells {
				if cell["cell_type"] != "code" {
					continue
				}
				if outs, _ := cell["outputs"].([]any); len(outs) > 0 {
					t.Errorf("cell %d (id %v): have %d stored outputs, want none (outputs come from running the lesson)", i, cell["id"], len(outs))
				}
				if n := cell["execution_count"]; n != nil {
					t.Errorf("cell %d (id %v): have execution_count %v, want null", i, cell["id"], n)
				}
			}
		})
	}
}

// codeCell is what must match between a lesson and its translation.
type codeCell struct {
	Source        string
	Tags          []string
	ExpectedError string // metadata.gokernel.expected_error
}

// expectedError returns the error a raises-exception cell must end with
// (metadata.gokernel.expected_error, written by gen.go), or "".
func expectedError(cell map[string]any) string {
	meta, _ := cell["metadata"].(map[string]any)
	gk, _ := meta["gokernel"].(map[string]any)
	name, _ := gk["expected_error"].(string)
	return name
}

func codeCells(t *testing.T, nb notebook) []codeCell {
	t.Helper()
	var out []codeCell
	for _, cell := range nb.cells {
		if cell["cell_type"] != "code" {
			continue
		}
		src, err := source(cell)
		if err != nil {
			t.Fatalf("%s: %v", nb.path, err)
		}
		out = append(out, codeCell{Source: src, Tags: tags(cell), ExpectedError: expectedError(cell)})
	}
	return out
}

// sameExceptComments reports whether two code cell sources are the same
// program: line for line identical, except that a line may differ after the
// opener of a comment ("//" in Go, "#" in Python) that both lines have at the
// same place. It returns the first line (from 1) that differs otherwise.
func sameExceptComments(en, zh string) (line int, ok bool) {
	opener := "//"
	if strings.HasPrefix(en, "%%python3") {
		opener = "#"
	}
	enLines, zhLines := strings.Split(en, "\n"), strings.Split(zh, "\n")
	for i := range max(len(enLines), len(zhLines)) {
		if i >= len(enLines) || i >= len(zhLines) {
			return i + 1, false
		}
		e, z := enLines[i], zhLines[i]
		if e == z {
			continue
		}
		common := 0
		for common < min(len(e), len(z)) && e[common] == z[common] {
			common++
		}
		at := strings.LastIndex(e[:common], opener)
		if at < 0 || !strings.HasPrefix(z[at:], opener) {
			return i + 1, false
		}
	}
	return 0, true
}

func TestSameExceptComments(t *testing.T) {
	tests := []struct {
		en, zh string
		want   bool
	}{
		{en: "x := 1", zh: "x := 1", want: true},
		{en: "x := 1 // one", zh: "x := 1 // 一", want: true},
		{en: "// spin keeps a core busy\nspin()", zh: "// spin 让一个核忙着\nspin()", want: true},
		{en: "%%python3\nq.put(None)  # sentinel", zh: "%%python3\nq.put(None)  # 哨兵", want: true},
		{en: "x := 1 // one", zh: "x := 2 // 一", want: false},
		{en: "x := 1", zh: "x := 1\ny := 2", want: false},
		{en: "s := \"a\"", zh: "s := \"b\"", want: false},
		{en: "x := 1 // one", zh: "x := 1", want: false},
	}
	for _, tt := range tests {
		if _, have := sameExceptComments(tt.en, tt.zh); have != tt.want {
			t.Errorf("sameExceptComments(%q, %q) = %v, want %v", tt.en, tt.zh, have, tt.want)
		}
	}
}

// headings returns the levels of a markdown text's headings, in order
// ("##", "###"), outside code fences.
func headings(text string) []string {
	var out []string
	inFence := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
		}
		level := len(line) - len(strings.TrimLeft(line, "#"))
		if !inFence && level > 0 && strings.HasPrefix(line[level:], " ") {
			out = append(out, line[:level])
		}
	}
	return out
}

// TestChineseLessonsHaveTheSameHeadings: each markdown cell of a 中文 lesson
// has the headings of its English original, so both have the same outline.
func TestChineseLessonsHaveTheSameHeadings(t *testing.T) {
	for _, name := range wantLessons {
		en, zh := readNotebook(t, name), readNotebook(t, filepath.Join("zh", name))
		for i := range min(len(en.cells), len(zh.cells)) {
			if en.cells[i]["cell_type"] != "markdown" {
				continue
			}
			e, _ := source(en.cells[i])
			z, _ := source(zh.cells[i])
			if he, hz := headings(e), headings(z); !slices.Equal(he, hz) {
				t.Errorf("%s cell %v: headings %q in zh, want %q as in English", name, en.cells[i]["id"], hz, he)
			}
		}
	}
}

func TestChineseLessonsHaveTheSameCodeCells(t *testing.T) {
	for _, name := range wantLessons {
		t.Run(name, func(t *testing.T) {
			en := codeCells(t, readNotebook(t, name))
			zh := codeCells(t, readNotebook(t, filepath.Join("zh", name)))
			if len(en) != len(zh) {
				t.Errorf("have %d code cells in zh/%s, want %d as in %s", len(zh), name, len(en), name)
			}
			for i := range min(len(en), len(zh)) {
				if line, ok := sameExceptComments(en[i].Source, zh[i].Source); !ok {
					t.Errorf("code cell %d: sources differ outside comments at line %d\nen: %q\nzh: %q", i, line, en[i].Source, zh[i].Source)
				}
				if !slices.Equal(en[i].Tags, zh[i].Tags) {
					t.Errorf("code cell %d: have tags %q in zh, want %q", i, zh[i].Tags, en[i].Tags)
				}
				if en[i].ExpectedError != zh[i].ExpectedError {
					t.Errorf("code cell %d: have expected error %q in zh, want %q", i, zh[i].ExpectedError, en[i].ExpectedError)
				}
			}
		})
	}
}

// TestLessonConventions checks what the course promises of every lesson:
// Python cells are tagged so runners can tell them apart, cells meant to fail
// are code cells that name the error they fail with, and each lesson ends
// with exercises, at least one of them checked (exerciseProblems).
func TestLessonConventions(t *testing.T) {
	for _, path := range lessonPaths(t) {
		t.Run(path, func(t *testing.T) {
			nb := readNotebook(t, path)
			var goCells int
			for i, cell := range nb.cells {
				src, _ := source(cell)
				tagList := tags(cell)
				isPython := strings.HasPrefix(src, "%%python3")
				if cell["cell_type"] != "code" {
					if len(tagList) > 0 && slices.Contains(tagList, "raises-exception") {
						t.Errorf("cell %d: raises-exception on a %v cell", i, cell["cell_type"])
					}
					continue
				}
				if isPython != slices.Contains(tagList, pythonTag) {
					t.Errorf("cell %d: starts with %%%%python3 = %v but tagged %s = %v; want both or neither", i, isPython, pythonTag, !isPython)
				}
				if strings.TrimSpace(src) == "" {
					t.Errorf("cell %d: empty code cell", i)
				}
				if raises := slices.Contains(tagList, "raises-exception"); raises != (expectedError(cell) != "") {
					t.Errorf("cell %d: tagged raises-exception = %v but expected_error = %q; a cell that fails on purpose must say how (gen.go: expect=NAME)", i, raises, expectedError(cell))
				}
				if !isPython {
					goCells++
				}
			}
			if goCells < 3 {
				t.Errorf("have %d Go cells, want at least 3", goCells)
			}
			for _, p := range exerciseProblems(nb.cells) {
				t.Error(p)
			}
		})
	}
}

// Tags of the checked exercises (issue 13): the code a student edits, the
// cell that checks it, and the folded solution.
const (
	exerciseTag = "exercise"
	checkTag    = "exercise-check"
	solutionTag = "solution"
)

// exerciseProblems lists what is wrong with the exercises of a lesson: they
// come last, under a "## Exercises" (or "## 练习") heading; there is at least
// one checked exercise; each check cell follows the exercise cell it checks,
// is tagged raises-exception (it fails until the student has solved the
// exercise, and Run All goes on past it), and is followed by a solution that
// JupyterLab shows folded (metadata.jupyter.source_hidden) holding Go code.
func exerciseProblems(cells []map[string]any) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	heading := slices.IndexFunc(cells, func(c map[string]any) bool {
		src, _ := source(c)
		return c["cell_type"] == "markdown" && (strings.HasPrefix(src, "## Exercises") || strings.HasPrefix(src, "## 练习"))
	})
	if heading < 0 {
		return []string{"no cell starts the exercises (want a \"## Exercises\" or \"## 练习\" heading)"}
	}
	checks := 0
	for i, cell := range cells {
		tagList := tags(cell)
		if slices.Contains(tagList, solutionTag) && !sourceHidden(cell) {
			add("cell %d: a solution must be folded (metadata.jupyter.source_hidden: true)", i)
		}
		if i <= heading || cell["cell_type"] != "code" {
			continue
		}
		isCheck := slices.Contains(tagList, checkTag)
		if !isCheck && !slices.Contains(tagList, exerciseTag) {
			add("cell %d: a code cell among the exercises is tagged neither %s nor %s", i, exerciseTag, checkTag)
		}
		if !isCheck {
			continue
		}
		checks++
		if !slices.Contains(tags(cells[i-1]), exerciseTag) {
			add("cell %d: a check must follow the %s cell it checks", i, exerciseTag)
		}
		if !slices.Contains(tagList, "raises-exception") {
			add("cell %d: a check fails until the exercise is solved: tag it raises-exception", i)
		}
		solved := false
		for _, later := range cells[i+1:] {
			if slices.Contains(tags(later), checkTag) {
				break
			}
			src, _ := source(later)
			if slices.Contains(tags(later), solutionTag) && later["cell_type"] == "markdown" && strings.Contains(src, "```go\n") {
				solved = true
				break
			}
		}
		if !solved {
			add("cell %d: a check has no %s markdown cell with a ```go block after it", i, solutionTag)
		}
	}
	if checks == 0 {
		add("no checked exercise: want at least one cell tagged %s", checkTag)
	}
	return problems
}

// sourceHidden reports whether a cell is folded in JupyterLab.
func sourceHidden(cell map[string]any) bool {
	meta, _ := cell["metadata"].(map[string]any)
	jupyter, _ := meta["jupyter"].(map[string]any)
	return jupyter["source_hidden"] == true
}

func TestExerciseProblems(t *testing.T) {
	md := func(src string, tagList ...string) map[string]any {
		meta := map[string]any{}
		if len(tagList) > 0 {
			var list []any
			for _, tag := range tagList {
				list = append(list, tag)
			}
			meta["tags"] = list
		}
		return map[string]any{"cell_type": "markdown", "metadata": meta, "source": src}
	}
	code := func(src string, tagList ...string) map[string]any {
		c := md(src, tagList...)
		c["cell_type"] = "code"
		return c
	}
	folded := func(c map[string]any) map[string]any {
		c["metadata"].(map[string]any)["jupyter"] = map[string]any{"source_hidden": true}
		return c
	}
	good := func() []map[string]any {
		return []map[string]any{
			md("# Lesson"), code("x := 1"), md("## Exercises\n1. Think."),
			code("func f() {}", exerciseTag), code("f()", checkTag, "raises-exception"),
			md("**Hint:** …"), folded(md("```go\nfunc f() {}\n```", solutionTag)),
		}
	}
	tests := []struct {
		name   string
		change func([]map[string]any) []map[string]any
		want   string // substring of a problem; "" means none
	}{
		{name: "good", change: func(c []map[string]any) []map[string]any { return c }},
		{name: "no heading", change: func(c []map[string]any) []map[string]any { return slices.Delete(c, 2, 3) }, want: "no cell starts"},
		{name: "no check", change: func(c []map[string]any) []map[string]any { return c[:4] }, want: "no checked exercise"},
		{name: "solution not folded", change: func(c []map[string]any) []map[string]any {
			c[6] = md("```go\nfunc f() {}\n```", solutionTag)
			return c
		}, want: "must be folded"},
		{name: "no solution", change: func(c []map[string]any) []map[string]any { return c[:6] }, want: "no solution"},
		{name: "check not raises-exception", change: func(c []map[string]any) []map[string]any {
			c[4] = code("f()", checkTag)
			return c
		}, want: "raises-exception"},
		{name: "untagged code after the heading", change: func(c []map[string]any) []map[string]any {
			return slices.Insert(c, 3, code("y := 2"))
		}, want: "tagged neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := strings.Join(exerciseProblems(tt.change(good())), "\n")
			switch {
			case tt.want == "" && problems != "":
				t.Errorf("have problems %q, want none", problems)
			case tt.want != "" && !strings.Contains(problems, tt.want):
				t.Errorf("have problems %q, want one containing %q", problems, tt.want)
			}
		})
	}
}

// TestNotebooksPassNBFormatValidator runs the reference validator (Python's
// nbformat) over every notebook, as a second opinion on the Go checks above.
func TestNotebooksPassNBFormatValidator(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import nbformat").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s cannot import nbformat: %v", python, err)
		}
		t.Skipf("SKIPPING the nbformat reference validator: %s cannot import nbformat (%v); install python3-nbformat", python, err)
	}
	const script = `
import sys, nbformat
bad = 0
for path in sys.argv[1:]:
    try:
        nbformat.validate(nbformat.read(path, as_version=nbformat.NO_CONVERT))
    except Exception as e:
        bad += 1
        print(path + ": " + str(e).splitlines()[0])
sys.exit(1 if bad else 0)
`
	out, err := exec.Command(python, append([]string{"-c", script}, allNotebooks(t)...)...).CombinedOutput()
	if err != nil {
		t.Errorf("nbformat.validate: %v\n%s", err, out)
	}
}

// TestLessonsMatchTheirSources regenerates the lessons from src/*.lesson
// into a temporary directory and compares them byte for byte with the
// committed notebooks: an edit made to a notebook alone would be lost at the
// next regeneration, and cell ids must stay stable.
func TestLessonsMatchTheirSources(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("go", "run", "./notebooks/gen.go", "-o", dir)
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./notebooks/gen.go: %v\n%s", err, out)
	}
	for _, name := range wantLessons {
		for _, rel := range []string{name, filepath.Join("zh", name)} {
			have, err := os.ReadFile(rel)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(dir, rel))
			if err != nil {
				t.Fatal(err)
			}
			if string(have) != string(want) {
				t.Errorf("%s differs from what gen.go writes from src/: edit src/*.lesson and run go run ./notebooks/gen.go", rel)
			}
		}
	}
}

// tableDelimiter matches a markdown table's delimiter row, such as
// "|---|:---:|".
var tableDelimiter = regexp.MustCompile(`\|\s*:?-{3,}:?\s*\|`)

// brokenTables returns the lines of a markdown text where a table's
// delimiter row does not stand on a line of its own right under a header
// row: joined to another line, the table renders as plain text.
func brokenTables(text string) []string {
	var broken []string
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		if !tableDelimiter.MatchString(line) {
			continue
		}
		row := strings.TrimSpace(line)
		isDelimiter := strings.Trim(row, "|-: ") == ""
		hasHeader := i > 0 && strings.HasPrefix(strings.TrimSpace(lines[i-1]), "|")
		if !isDelimiter || !hasHeader {
			broken = append(broken, line)
		}
	}
	return broken
}

func TestBrokenTables(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{text: "| a | b |\n|---|---|\n| 1 | 2 |", want: 0},
		{text: "text\n\n| a | b |\n|:---|---:|", want: 0},
		{text: "| a | b | |---|---|\n| 1 | 2 |", want: 1}, // the zh lessons before the fix
		{text: "在 Go 里：\n|---|---|", want: 1},
		{text: "no table at all", want: 0},
	}
	for _, tt := range tests {
		if have := brokenTables(tt.text); len(have) != tt.want {
			t.Errorf("brokenTables(%q) = %q, want %d lines", tt.text, have, tt.want)
		}
	}
}

// TestLessonTablesAreIntact checks every markdown cell of every lesson, in
// both languages, for a table whose delimiter row was joined to another line.
func TestLessonTablesAreIntact(t *testing.T) {
	for _, path := range lessonPaths(t) {
		nb := readNotebook(t, path)
		for i, cell := range nb.cells {
			if cell["cell_type"] != "markdown" {
				continue
			}
			src, _ := source(cell)
			for _, line := range brokenTables(src) {
				t.Errorf("%s cell %d (id %v): broken table line %q", path, i, cell["id"], line)
			}
		}
	}
}

// TestGeneratorKeepsTablesIntact runs gen.go on a lesson whose 中文 text has
// a table right after a wrapped paragraph (the generator joins a paragraph's
// lines for 中文) and checks every table row stays a line of its own.
func TestGeneratorKeepsTablesIntact(t *testing.T) {
	src, out := t.TempDir(), t.TempDir()
	lesson := `=== md
# Table

| Python | Go |
|---|---|
| ` + "`t.join()`" + ` | ` + "`wg.Wait()`" + ` |
--- zh
# 表格

在 Go 里
是这样：
| Python | Go |
|---|---|
|` + "`t.join()`" + `|` + "`wg.Wait()`" + `|
表格之后的
一段话。

=== go
fmt.Println(1) // one //zh 一
`
	if err := os.WriteFile(filepath.Join(src, "99-table.lesson"), []byte(lesson), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "./notebooks/gen.go", "-src", src, "-o", out)
	cmd.Dir = ".."
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./notebooks/gen.go: %v\n%s", err, msg)
	}
	zh := readNotebook(t, filepath.Join(out, "zh", "99-table.ipynb"))
	have, _ := source(zh.cells[0])
	want := "# 表格\n\n在 Go 里是这样：\n| Python | Go |\n|---|---|\n|`t.join()`|`wg.Wait()`|\n表格之后的一段话。"
	if have != want {
		t.Errorf("zh markdown:\nhave %q\nwant %q", have, want)
	}
	if broken := brokenTables(have); len(broken) > 0 {
		t.Errorf("broken table lines %q", broken)
	}
	for _, tt := range []struct{ path, want string }{
		{filepath.Join(out, "99-table.ipynb"), "fmt.Println(1) // one"},
		{filepath.Join(out, "zh", "99-table.ipynb"), "fmt.Println(1) // 一"},
	} {
		if have, _ := source(readNotebook(t, tt.path).cells[1]); have != tt.want {
			t.Errorf("%s code cell: have %q, want %q", tt.path, have, tt.want)
		}
	}
}
