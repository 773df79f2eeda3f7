package notebook

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestRoundTripJupyterWritten reads a notebook saved by Python's nbformat and
// writes it back: the bytes must be identical, so notebooks written by
// gokernel diff cleanly against Jupyter's.
func TestRoundTripJupyterWritten(t *testing.T) {
	want, err := os.ReadFile("testdata/jupyter_written.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	nb, err := Parse(want)
	if err != nil {
		t.Fatal(err)
	}
	have, err := Marshal(nb)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, want) {
		t.Errorf("round trip changed the notebook\nhave:\n%s\nwant:\n%s", have, want)
	}
}

func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.input.ipynb")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			nb, err := ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			have, err := Marshal(nb)
			if err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(in, ".input.ipynb") + ".golden.ipynb"
			if *update {
				if err := os.WriteFile(golden, have, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(have, want) {
				t.Errorf("have:\n%s\nwant:\n%s", have, want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want func(*Notebook) any // what to compare
		val  any
	}{
		{
			name: "source as string",
			in:   `{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"id":"a","cell_type":"code","metadata":{},"source":"a\nb","outputs":[],"execution_count":null}]}`,
			want: func(nb *Notebook) any { return nb.Cells[0].Source },
			val:  "a\nb",
		},
		{
			name: "source as list of lines",
			in:   `{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"id":"a","cell_type":"code","metadata":{},"source":["a\n","b"],"outputs":[],"execution_count":null}]}`,
			want: func(nb *Notebook) any { return nb.Cells[0].Source },
			val:  "a\nb",
		},
		{
			name: "stream text as list",
			in:   `{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"id":"a","cell_type":"code","metadata":{},"source":"","outputs":[{"output_type":"stream","name":"stdout","text":["x\n","y"]}],"execution_count":1}]}`,
			want: func(nb *Notebook) any { return nb.Cells[0].Outputs[0].Text },
			val:  "x\ny",
		},
		{
			name: "text MIME data joined, JSON MIME data kept",
			in:   `{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"id":"a","cell_type":"code","metadata":{},"source":"","outputs":[{"output_type":"display_data","metadata":{},"data":{"text/html":["<p>\n","</p>"],"application/vnd.x+json":["k"]}}],"execution_count":1}]}`,
			want: func(nb *Notebook) any { return nb.Cells[0].Outputs[0].Data },
			val:  map[string]any{"text/html": "<p>\n</p>", "application/vnd.x+json": []any{"k"}},
		},
		{
			name: "execution count",
			in:   `{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"id":"a","cell_type":"code","metadata":{},"source":"","outputs":[],"execution_count":7}]}`,
			want: func(nb *Notebook) any { return *nb.Cells[0].ExecutionCount },
			val:  7,
		},
		{
			name: "tags",
			in:   `{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"id":"a","cell_type":"code","metadata":{"tags":["x","raises-exception"]},"source":"","outputs":[],"execution_count":null}]}`,
			want: func(nb *Notebook) any { return nb.Cells[0].HasTag("raises-exception") },
			val:  true,
		},
		{
			name: "nbgrader metadata",
			in:   `{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"id":"a","cell_type":"code","metadata":{"nbgrader":{"grade":true,"grade_id":"t1","locked":true,"points":2.5,"schema_version":3,"solution":false}},"source":"","outputs":[],"execution_count":null}]}`,
			want: func(nb *Notebook) any { g, _ := nb.Cells[0].NBGrader(); return g },
			val:  NBGrader{GradeID: "t1", Grade: true, Locked: true, Points: 2.5, SchemaVersion: 3},
		},
		{
			name: "kernelspec name",
			in:   `{"nbformat":4,"nbformat_minor":5,"metadata":{"kernelspec":{"name":"gokernel","display_name":"Go"}},"cells":[]}`,
			want: func(nb *Notebook) any { return nb.KernelspecName() },
			val:  "gokernel",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if have := tt.want(nb); !reflect.DeepEqual(have, tt.val) {
				t.Errorf("have %#v\nwant %#v", have, tt.val)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
		notNotebook    bool
	}{
		{"not JSON", `{"nbformat":`, "not an nbformat 4 notebook", true},
		{"nbformat 3", `{"nbformat":3,"nbformat_minor":0,"metadata":{},"worksheets":[]}`, "nbformat is 3", true},
		{"no nbformat", `{"cells":[]}`, "nbformat is missing", true},
		{"source is a number", `{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"id":"a","cell_type":"code","metadata":{},"source":3,"outputs":[]}]}`, "want a string or a list of strings", true},
		{"output without type", `{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"id":"a","cell_type":"code","metadata":{},"source":"","outputs":[{"name":"stdout"}]}]}`, "cell 0: output 0: output_type is missing", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("have error %v\nwant one containing %q", err, tt.want)
			}
			if have := errors.Is(err, ErrNotNotebook); have != tt.notNotebook {
				t.Errorf("errors.Is(err, ErrNotNotebook): have %v, want %v", have, tt.notNotebook)
			}
		})
	}
}

func validNotebook() *Notebook {
	one := 1
	nb := New("1.26.8")
	nb.Cells = []Cell{
		{ID: "a", Type: CodeCell, Source: "6*7", ExecutionCount: &one, Outputs: []Output{
			{Type: StreamOutput, Name: "stdout", Text: "hi\n"},
			{Type: ExecuteResultOutput, Data: map[string]any{"text/plain": "42"}, ExecutionCount: &one},
			{Type: ErrorOutput, Ename: "panic", Evalue: "boom", Traceback: []string{"x"}},
		}},
		{ID: "b", Type: MarkdownCell, Source: "# hi"},
	}
	return nb
}

func TestValidate(t *testing.T) {
	minusOne := -1
	tests := []struct {
		name   string
		break_ func(*Notebook)
		want   string // "" = valid
	}{
		{"valid", func(*Notebook) {}, ""},
		{"nbformat 5", func(nb *Notebook) { nb.Nbformat = 5 }, "nbformat: have 5, want 4"},
		{"missing id in 4.5", func(nb *Notebook) { nb.Cells[0].ID = "" }, "cells[0].id: missing"},
		{"missing id in 4.4 is fine", func(nb *Notebook) { nb.Cells[0].ID = ""; nb.NbformatMinor = 4 }, ""},
		{"bad id", func(nb *Notebook) { nb.Cells[1].ID = "a b" }, `cells[1].id: "a b" does not match`},
		{"long id", func(nb *Notebook) { nb.Cells[1].ID = strings.Repeat("x", 65) }, "does not match"},
		{"duplicate id", func(nb *Notebook) { nb.Cells[1].ID = "a" }, `cells[1].id: "a" is also the id of cells[0]`},
		{"bad cell type", func(nb *Notebook) { nb.Cells[1].Type = "heading" }, `cells[1].cell_type: have "heading"`},
		{"markdown with outputs", func(nb *Notebook) { nb.Cells[1].Outputs = nb.Cells[0].Outputs }, "a markdown cell has no outputs"},
		{"negative count", func(nb *Notebook) { nb.Cells[0].ExecutionCount = &minusOne }, "execution_count: have -1"},
		{"bad stream name", func(nb *Notebook) { nb.Cells[0].Outputs[0].Name = "stdin" }, `cells[0].outputs[0].name: have "stdin"`},
		{"bad output type", func(nb *Notebook) { nb.Cells[0].Outputs[0].Type = "pyout" }, `output_type: have "pyout"`},
		{"result without data", func(nb *Notebook) { nb.Cells[0].Outputs[1].Data = nil }, "cells[0].outputs[1].data: missing"},
		{"non-string text data", func(nb *Notebook) { nb.Cells[0].Outputs[1].Data["text/html"] = 3 }, `data["text/html"]: want a string`},
		{"error without ename", func(nb *Notebook) { nb.Cells[0].Outputs[2].Ename = "" }, "outputs[2].ename: missing"},
		{"kernelspec without name", func(nb *Notebook) { nb.Metadata["kernelspec"] = map[string]any{"display_name": "x"} }, "metadata.kernelspec.name"},
		{"language_info without name", func(nb *Notebook) { nb.Metadata["language_info"] = map[string]any{} }, "metadata.language_info.name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb := validNotebook()
			tt.break_(nb)
			err := Validate(nb)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("have %v, want valid", err)
				}
				return
			}
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("have %v, want a *ValidationError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("have %v\nwant a problem containing %q", err, tt.want)
			}
			if _, err := Marshal(nb); err == nil {
				t.Errorf("Marshal wrote an invalid notebook")
			}
		})
	}
}

func TestSplitLines(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"a", []string{"a"}},
		{"a\n", []string{"a\n"}},
		{"a\nb", []string{"a\n", "b"}},
		{"a\r\nb\rc\n\n", []string{"a\r\n", "b\r", "c\n", "\n"}},
		{"x\u2028y\fz", []string{"x\u2028", "y\f", "z"}},
		{"中文\n🎉", []string{"中文\n", "🎉"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			have := splitLines(tt.in)
			if !reflect.DeepEqual(have, tt.want) {
				t.Errorf("have %q, want %q", have, tt.want)
			}
			if strings.Join(have, "") != tt.in {
				t.Errorf("joined lines %q differ from the input", strings.Join(have, ""))
			}
		})
	}
}

func TestEnsureIDs(t *testing.T) {
	nb := validNotebook()
	nb.NbformatMinor = 4
	nb.Cells = append(nb.Cells, Cell{Type: CodeCell}, Cell{ID: "a", Type: RawCell}, Cell{ID: "bad id", Type: RawCell})
	nb.Cells[0].ID = "keep-me"
	nb.EnsureIDs()
	if nb.NbformatMinor != 5 {
		t.Errorf("nbformat_minor: have %d, want 5", nb.NbformatMinor)
	}
	if nb.Cells[0].ID != "keep-me" {
		t.Errorf("existing id: have %q, want keep-me", nb.Cells[0].ID)
	}
	if err := Validate(nb); err != nil {
		t.Errorf("after EnsureIDs: %v", err)
	}
}

func TestCloneIsDeep(t *testing.T) {
	nb := validNotebook()
	cp := nb.Clone()
	cp.Cells[0].Outputs[1].Data["text/plain"] = "changed"
	*cp.Cells[0].ExecutionCount = 9
	cp.Metadata["kernelspec"].(map[string]any)["name"] = "other"
	if nb.Cells[0].Outputs[1].Data["text/plain"] != "42" || *nb.Cells[0].ExecutionCount != 1 || nb.KernelspecName() != KernelName {
		t.Errorf("changing the clone changed the original")
	}
}

// TestJupyterAcceptsOurNotebooks validates what Marshal writes with Python's
// nbformat, the reference implementation of the schema.
func TestJupyterAcceptsOurNotebooks(t *testing.T) {
	python := "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import nbformat").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Python nbformat is required in CI: %v", err)
		}
		t.Skip("SKIPPED: /usr/bin/python3 with nbformat is not installed; install python3-nbformat to run this test")
	}
	b, err := Marshal(validNotebook())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "nb.ipynb")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, "-c", `import sys, nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
nbformat.validate(nb)
assert nb.nbformat_minor == 5, nb.nbformat_minor
`, path).CombinedOutput()
	if err != nil {
		t.Errorf("nbformat rejected our notebook: %v\n%s", err, out)
	}
}
