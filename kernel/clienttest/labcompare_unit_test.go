package clienttest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCompareLabCell checks the JupyterLab/nbclient comparison itself: what must match,
// and what may differ between two runs of a concurrent lesson.
func TestCompareLabCell(t *testing.T) {
	stdout := func(s string) labOutput { return labOutput{Mime: "application/vnd.jupyter.stdout", Text: s} }
	stderr := func(s string) labOutput { return labOutput{Mime: "application/vnd.jupyter.stderr", Text: s} }
	svg := labOutput{Mime: "image/svg+xml", Image: 1, Loaded: true, Width: 600, Height: 120}
	tests := []struct {
		name string
		lab  labCell
		ref  refCell
		want string // a problem containing this; "" for none
	}{
		{"same text", labCell{"[1]:", []labOutput{stdout("hello\n")}}, refCell{Stdout: "hello\n"}, ""},
		{"numbers and order of concurrent lines may differ",
			labCell{"[2]:", []labOutput{stdout("worker 2: step 0\nworker 1: step 0\ntook 1.2ms\n")}},
			refCell{Stdout: "worker 1: step 0\nworker 2: step 0\ntook 950µs\n"}, ""},
		{"concurrent prints joined on one line",
			labCell{"[3]:", []labOutput{stdout("Hello World!Hello World!\n\nHello World!\n")}},
			refCell{Stdout: "Hello World!\nHello World!\nHello World!\n"}, ""},
		{"goroutine states differ", labCell{"[2]:", []labOutput{stdout("x\n"), stderr("Timeout: stopped\ngoroutine 7 [sleep]:\n")}},
			refCell{Stdout: "x\n", Stderr: "goroutine 19 [running]:\n", Errors: []refError{{"Timeout", "stopped"}}}, ""},
		{"goroutines left running printed more",
			labCell{"[2]:", []labOutput{stdout("main returns now\nHello World!\n"), stderr("1 goroutine still running when the cell finished:\ngoroutine 7 [sleep]:\n")}},
			refCell{Stdout: "main returns now\n", Stderr: "2 goroutines still running when the cell finished:\ngoroutine 19 [running]:\ngoroutine 20 [running]:\n"}, ""},
		{"goroutines left running, but a line nobody printed",
			labCell{"[2]:", []labOutput{stdout("main returns now\nGoodbye\n"), stderr("1 goroutine still running when the cell finished:\n")}},
			refCell{Stdout: "main returns now\nHello World!\n", Stderr: "1 goroutine still running when the cell finished:\n"}, "stdout:"},
		{"goroutines left running: the note must be shown",
			labCell{"[2]:", []labOutput{stdout("main returns now\n")}},
			refCell{Stdout: "main returns now\n", Stderr: "1 goroutine still running when the cell finished:\n"}, "stderr lacks"},
		{"a first build's notice on one side only",
			labCell{"[4]:", []labOutput{stdout("x\n"), stderr("gokernel: compiling fmt, time for the first time...\n")}},
			refCell{Stdout: "x\n"}, ""},
		{"a module downloaded by the other kernel first",
			labCell{"[6]:", []labOutput{stderr("gokernel: fetching the module of golang.org/x/sync/errgroup ...\ngo: added golang.org/x/sync v0.25.0\n")}},
			refCell{Stderr: "gokernel: fetching the module of golang.org/x/sync/errgroup ...\ngo: downloading golang.org/x/sync v0.25.0\ngo: upgraded go 1.26 => 1.26.0\ngo: added golang.org/x/sync v0.25.0\n"}, ""},
		{"a module fetch that failed on one side",
			labCell{"[6]:", []labOutput{stderr("gokernel: fetching the module of golang.org/x/sync/errgroup ...\ngo: downloading golang.org/x/sync v0.25.0\n")}},
			refCell{Stderr: "gokernel: fetching the module of golang.org/x/sync/errgroup ...\ngo: added golang.org/x/sync v0.25.0\n"}, "stderr lacks"},
		{"a compile error shows its value, not its name",
			labCell{"[11]:", []labOutput{stderr("cell [11] line 1: undefined: pipe\n    fmt.Println(<-pipe)\n                  ^\n")}},
			refCell{Errors: []refError{{"CompileError", "cell [11] line 1: undefined: pipe"}}}, ""},
		{"another error must show its name",
			labCell{"[11]:", []labOutput{stderr("all goroutines are asleep\n")}},
			refCell{Errors: []refError{{"Deadlock", "all goroutines are asleep"}}}, "stderr lacks"},
		{"a missing line", labCell{"[1]:", []labOutput{stdout("a\n")}}, refCell{Stdout: "a\nb\n"}, `lacks ["b"]`},
		{"an extra line", labCell{"[1]:", []labOutput{stdout("a\nb\n")}}, refCell{Stdout: "a\n"}, `has extra ["b"]`},
		{"a timeout line printed once more", labCell{"[1]:", []labOutput{stdout("first\nnothing within 100ms\nlate\n")}},
			refCell{Stdout: "first\nnothing within 100ms\nnothing within 100ms\nlate\n"}, ""},
		{"a line repeated instead of another", labCell{"[1]:", []labOutput{stdout("a\na\n")}}, refCell{Stdout: "a\nb\n"}, `lacks ["b"]`},
		{"not executed", labCell{"[ ]:", nil}, refCell{}, "not executed"},
		{"still running", labCell{"[*]:", nil}, refCell{}, "not executed"},
		{"error headline shown, goroutine listing may differ",
			labCell{"[9]:", []labOutput{stderr("Deadlock: all goroutines are asleep\nWhere each goroutine waits:\ngoroutine 1 [chan send]:\n")}},
			refCell{Errors: []refError{{"Deadlock", "all goroutines are asleep"}}}, ""},
		{"wrong error", labCell{"[9]:", []labOutput{stderr("Timeout: the cell ran longer than its 1s timeout\n")}},
			refCell{Errors: []refError{{"Deadlock", "all goroutines are asleep"}}}, "stderr lacks"},
		{"a data race: what the racing code printed may differ",
			labCell{"[7]:", []labOutput{stdout("Not yet: counted 1998\n"), stderr("DataRace: 1 data race at cell [7] line 3\n")}},
			refCell{Stdout: "Right: 2000\n", Errors: []refError{{"DataRace", "1 data race at cell [7] line 3"}}}, ""},
		{"a data race not shown", labCell{"[7]:", []labOutput{stdout("Right: 2000\n")}},
			refCell{Stdout: "Right: 2000\n", Errors: []refError{{"DataRace", "1 data race at cell [7] line 3"}}}, "stderr lacks"},
		{"error where nbclient had none", labCell{"[3]:", []labOutput{stdout("x\n"), stderr("panic: boom\n")}},
			refCell{Stdout: "x\n"}, "where nbclient got none"},
		{"a cell tagged output-varies: how much the race let through may differ",
			labCell{"[5]:", []labOutput{stdout("the loop got 0 of 5 items\n")}},
			refCell{Stdout: "Hello World!\nHello World!\nthe loop got 2 of 5 items\n", Varies: true}, ""},
		{"the same cell untagged", labCell{"[5]:", []labOutput{stdout("the loop got 0 of 5 items\n")}},
			refCell{Stdout: "Hello World!\nHello World!\nthe loop got 2 of 5 items\n"}, "stdout: lacks"},
		{"a cell tagged output-varies that printed nothing this time (CI's failure: the article's loop)",
			labCell{"[5]:", nil}, refCell{Stdout: strings.Repeat("Hello World!\n", 5), Varies: true}, ""},
		{"the same cell untagged, printing nothing", labCell{"[5]:", nil},
			refCell{Stdout: strings.Repeat("Hello World!\n", 5)}, "stdout: lacks"},
		{"a cell tagged output-varies that prints something else", labCell{"[5]:", []labOutput{stdout("the loop got 0 of 5 items\nboom\n")}},
			refCell{Stdout: "Hello World!\nthe loop got 1 of 5 items\n", Varies: true}, "stdout: lacks"},
		{"chart shown", labCell{"[8]:", []labOutput{svg}}, refCell{Images: 1}, ""},
		{"chart missing", labCell{"[8]:", []labOutput{stdout("timeline\n")}}, refCell{Stdout: "timeline\n", Images: 1}, "0 images, nbclient got 1"},
		{"chart of zero size", labCell{"[8]:", []labOutput{{Mime: "image/svg+xml", Image: 1, Loaded: true}}}, refCell{Images: 1}, "not visible"},
		{"chart not loaded", labCell{"[8]:", []labOutput{{Mime: "image/svg+xml", Image: 1, Width: 5, Height: 5}}}, refCell{Images: 1}, "not visible"},
		{"text result", labCell{"[4]:", []labOutput{{Mime: "text/plain", Text: "42"}}}, refCell{Result: "42"}, ""},
		{"wrong result", labCell{"[4]:", []labOutput{{Mime: "text/plain", Text: "forty-two"}}}, refCell{Result: "42"}, "result:"},
		{"an output kind nbclient's notebook cannot have", labCell{"[4]:", []labOutput{{Mime: "text/html", Text: "<b>"}}}, refCell{}, "unexpected output"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			probs := compareLabCell(tc.lab, tc.ref)
			joined := strings.Join(probs, "\n")
			switch {
			case tc.want == "" && len(probs) > 0:
				t.Errorf("want no problems, got:\n%s", joined)
			case tc.want != "" && !strings.Contains(joined, tc.want):
				t.Errorf("want a problem containing %q, got:\n%s", tc.want, joined)
			}
		})
	}
}

// TestCompareLabNotebook checks the notebook-level checks: finished, idle, same cells.
func TestCompareLabNotebook(t *testing.T) {
	nb := labNotebook{Done: true, Cells: []labCell{{Prompt: "[1]:"}}}
	nb.Status.Indicator = "idle"
	if p := compareLabNotebook(nb, []refCell{{}}); len(p) != 0 {
		t.Errorf("finished and idle: %q", p)
	}
	busy := nb
	busy.Status.Indicator = "busy"
	busy.Done = false
	if p := strings.Join(compareLabNotebook(busy, []refCell{{}}), "\n"); !strings.Contains(p, "did not finish") || !strings.Contains(p, "want idle") {
		t.Errorf("busy and unfinished: %q", p)
	}
	if p := strings.Join(compareLabNotebook(nb, []refCell{{}, {}}), "\n"); !strings.Contains(p, "1 code cells in JupyterLab, 2") {
		t.Errorf("a cell missing: %q", p)
	}
}

// TestReadNotebookOutputsVaries checks that a code cell's output-varies tag is read
// (and no other tag stands for it).
func TestReadNotebookOutputsVaries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nb.ipynb")
	nb := `{"cells": [
		{"cell_type": "markdown", "metadata": {"tags": ["output-varies"]}, "source": "x"},
		{"cell_type": "code", "metadata": {"tags": ["raises-exception"]}, "outputs": [{"output_type": "stream", "name": "stdout", "text": ["a\n", "b\n"]}]},
		{"cell_type": "code", "metadata": {"tags": ["exercise", "output-varies"]}, "outputs": []},
		{"cell_type": "code", "metadata": {}, "outputs": []}
	], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`
	if err := os.WriteFile(path, []byte(nb), 0o644); err != nil {
		t.Fatal(err)
	}
	cells, err := readNotebookOutputs(path)
	if err != nil {
		t.Fatal(err)
	}
	var varies []bool
	for _, c := range cells {
		varies = append(varies, c.Varies)
	}
	if want := []bool{false, true, false}; !slices.Equal(varies, want) {
		t.Errorf("Varies of the code cells = %v, want %v", varies, want)
	}
	if cells[0].Stdout != "a\nb\n" {
		t.Errorf("stdout = %q", cells[0].Stdout)
	}
}
