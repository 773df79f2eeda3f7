package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/notebook"
)

// scriptInterpreter is a hand-written stand-in for the engine: each line of
// a cell is one action, "verb argument", played against the Output in order.
//
//	out TEXT / err TEXT      stream to stdout / stderr (\n in TEXT is a newline)
//	display ID TEXT          display_data with text/plain TEXT (ID "-" for none)
//	update ID TEXT           update_display_data of ID
//	clear / clearwait        clear_output(wait=false/true)
//	result TEXT              the cell's value
//	page TEXT                a pager payload (help), as for fmt.Println?
//	fail NAME VALUE          the cell fails with an *interp.Error
//	fault TEXT               a non-interp error (an engine fault)
//	hang                     wait for ctx, then fail as interrupted
//	input PROMPT             read a line and print it back on stdout
type scriptInterpreter struct {
	requests []interp.ExecuteRequest
}

func (s *scriptInterpreter) Info() interp.Info { return interp.Info{LanguageName: "script"} }
func (s *scriptInterpreter) IsComplete(string) interp.IsCompleteResult {
	return interp.IsCompleteResult{Status: "complete"}
}
func (s *scriptInterpreter) Complete(context.Context, string, int) interp.Completion {
	return interp.Completion{}
}
func (s *scriptInterpreter) Inspect(context.Context, string, int, int) interp.Inspection {
	return interp.Inspection{}
}
func (s *scriptInterpreter) Close() error { return nil }

func (s *scriptInterpreter) Execute(ctx context.Context, req interp.ExecuteRequest, out interp.Output) (*interp.ExecuteResult, error) {
	s.requests = append(s.requests, req)
	var res *interp.ExecuteResult
	for _, line := range strings.Split(req.Code, "\n") {
		verb, arg, _ := strings.Cut(line, " ")
		arg = strings.ReplaceAll(arg, `\n`, "\n")
		switch verb {
		case "out":
			out.Stream("stdout", arg)
		case "err":
			out.Stream("stderr", arg)
		case "html":
			out.Display(interp.Display{Data: map[string]any{"text/html": arg, "image/svg+xml": "<svg/>"}})
		case "display", "update":
			id, text, _ := strings.Cut(arg, " ")
			if id == "-" {
				id = ""
			}
			out.Display(interp.Display{Data: map[string]any{"text/plain": text}, DisplayID: id, Update: verb == "update"})
		case "clear":
			out.ClearOutput(false)
		case "clearwait":
			out.ClearOutput(true)
		case "result":
			res = &interp.ExecuteResult{Data: map[string]any{"text/plain": arg}}
		case "page":
			res = &interp.ExecuteResult{Payload: []map[string]any{{"source": "page", "data": map[string]any{"text/plain": arg}, "start": 0}}}
		case "fail":
			name, value, _ := strings.Cut(arg, " ")
			return nil, &interp.Error{Name: name, Value: value, Traceback: []string{name + ": " + value, "  at line 1"}}
		case "fault":
			return nil, errors.New(arg)
		case "hang":
			<-ctx.Done()
			return nil, &interp.Error{Name: "Interrupted", Value: "the cell was interrupted"}
		case "input":
			line, err := out.Input(ctx, arg, false)
			if err != nil {
				return nil, &interp.Error{Name: "InputError", Value: err.Error()}
			}
			out.Stream("stdout", "got "+line+"\n")
		}
	}
	return res, nil
}

func codeCells(sources ...string) *notebook.Notebook {
	nb := notebook.New("")
	for i, src := range sources {
		nb.Cells = append(nb.Cells, notebook.Cell{ID: fmt.Sprintf("c%d", i), Type: notebook.CodeCell, Source: src, Metadata: map[string]any{}})
	}
	return nb
}

func stream(name, text string) notebook.Output {
	return notebook.Output{Type: notebook.StreamOutput, Name: name, Text: text}
}

func display(text string) notebook.Output {
	return notebook.Output{Type: notebook.DisplayDataOutput, Data: map[string]any{"text/plain": text}, Metadata: map[string]any{}}
}

func TestOutputs(t *testing.T) {
	one := 1
	tests := []struct {
		name string
		code string
		want []notebook.Output
	}{
		{"nothing", "out ", []notebook.Output{}},
		{"consecutive stdout chunks merge", "out a\nout b\\n\nout c", []notebook.Output{stream("stdout", "ab\nc")}},
		{"interleaved streams stay apart", "out a\nerr b\nout c", []notebook.Output{stream("stdout", "a"), stream("stderr", "b"), stream("stdout", "c")}},
		{"display splits streams", "out a\ndisplay - B\nout c", []notebook.Output{stream("stdout", "a"), display("B"), stream("stdout", "c")}},
		{"update changes the earlier display in place", "display p 10%\nout x\nupdate p 50%\nupdate p 100%", []notebook.Output{display("100%"), stream("stdout", "x")}},
		{"update of an unknown id is ignored", "update nope 1\nout x", []notebook.Output{stream("stdout", "x")}},
		{"clear removes earlier outputs", "out a\ndisplay - B\nclear\nout c", []notebook.Output{stream("stdout", "c")}},
		{"clear wait waits for the next output", "out a\nclearwait\nout b", []notebook.Output{stream("stdout", "b")}},
		{"clear wait with nothing after keeps outputs", "out a\nclearwait", []notebook.Output{stream("stdout", "a")}},
		{"cleared display no longer updates", "display p 1\nclear\ndisplay - new\nupdate p 2", []notebook.Output{display("new")}},
		{"result comes last", "out a\nresult 42", []notebook.Output{stream("stdout", "a"), {Type: notebook.ExecuteResultOutput, Data: map[string]any{"text/plain": "42"}, Metadata: map[string]any{}, ExecutionCount: &one}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb := codeCells(tt.code)
			if _, err := Run(context.Background(), &scriptInterpreter{}, nb, Options{}); err != nil {
				t.Fatal(err)
			}
			if have := nb.Cells[0].Outputs; !reflect.DeepEqual(have, tt.want) {
				t.Errorf("have %+v\nwant %+v", have, tt.want)
			}
			if err := notebook.Validate(nb); err != nil {
				t.Errorf("executed notebook is invalid: %v", err)
			}
		})
	}
}

func TestUpdateAcrossCells(t *testing.T) {
	nb := codeCells("display bar 0%", "update bar 100%\nout done")
	if _, err := Run(context.Background(), &scriptInterpreter{}, nb, Options{}); err != nil {
		t.Fatal(err)
	}
	if have, want := nb.Cells[0].Outputs, []notebook.Output{display("100%")}; !reflect.DeepEqual(have, want) {
		t.Errorf("first cell: have %+v\nwant %+v", have, want)
	}
	if have, want := nb.Cells[1].Outputs, []notebook.Output{stream("stdout", "done")}; !reflect.DeepEqual(have, want) {
		t.Errorf("second cell: have %+v\nwant %+v", have, want)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name        string
		cells       []string
		tags        map[int]string
		allowErrors bool
		wantRan     int    // cells executed
		wantErr     string // "" = nil
		wantCounts  []any  // execution_count per cell (nil: did not run)
	}{
		{name: "all succeed", cells: []string{"out a", "out b"}, wantRan: 2, wantCounts: []any{1, 2}},
		{name: "stop at first error", cells: []string{"out a", "fail panic boom", "out c"}, wantRan: 2, wantErr: "cell 1 (In [2], id c1) failed: panic: boom", wantCounts: []any{1, 2, nil}},
		{name: "raises-exception carries on", cells: []string{"fail panic boom", "out c"}, tags: map[int]string{0: RaisesExceptionTag}, wantRan: 2, wantCounts: []any{1, 2}},
		{name: "other tags do not", cells: []string{"fail panic boom", "out c"}, tags: map[int]string{0: "skip"}, wantRan: 1, wantErr: "failed: panic: boom", wantCounts: []any{1, nil}},
		{name: "allow errors runs everything", cells: []string{"fail a b", "fail c d", "out e"}, allowErrors: true, wantRan: 3, wantCounts: []any{1, 2, 3}},
		{name: "empty cells are skipped", cells: []string{"out a", "  \n", "out b"}, wantRan: 2, wantCounts: []any{1, nil, 2}},
		{name: "engine fault stops even with allow errors", cells: []string{"fault disk full", "out b"}, allowErrors: true, wantRan: 1, wantErr: "interpreter fault in cell 0 (In [1]): disk full", wantCounts: []any{1, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb := codeCells(tt.cells...)
			for i, tag := range tt.tags {
				nb.Cells[i].Metadata["tags"] = []any{tag}
			}
			res, err := Run(context.Background(), &scriptInterpreter{}, nb, Options{AllowErrors: tt.allowErrors})
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("have error %v, want %q", err, tt.wantErr)
			}
			if len(res.Cells) != tt.wantRan {
				t.Errorf("cells run: have %d, want %d", len(res.Cells), tt.wantRan)
			}
			var counts []any
			for _, c := range nb.Cells {
				if c.ExecutionCount == nil {
					counts = append(counts, nil)
				} else {
					counts = append(counts, *c.ExecutionCount)
				}
			}
			if !reflect.DeepEqual(counts, tt.wantCounts) {
				t.Errorf("execution counts: have %v, want %v", counts, tt.wantCounts)
			}
			for _, c := range res.Cells {
				last := nb.Cells[c.Index].Outputs
				if c.Err != nil && (len(last) == 0 || last[len(last)-1].Type != notebook.ErrorOutput || last[len(last)-1].Ename != c.Err.Name) {
					t.Errorf("cell %d failed with %s but its last output is %+v", c.Index, c.Err.Name, last)
				}
			}
			if err := notebook.Validate(nb); err != nil {
				t.Errorf("executed notebook is invalid: %v", err)
			}
		})
	}
}

func TestStaleOutputsAreCleared(t *testing.T) {
	nb := codeCells("fail x y", "out new")
	old := 7
	nb.Cells[1].ExecutionCount = &old
	nb.Cells[1].Outputs = []notebook.Output{stream("stdout", "stale")}
	Run(context.Background(), &scriptInterpreter{}, nb, Options{})
	if nb.Cells[1].ExecutionCount != nil || len(nb.Cells[1].Outputs) != 0 {
		t.Errorf("cell that did not run: have count %v outputs %+v, want none", nb.Cells[1].ExecutionCount, nb.Cells[1].Outputs)
	}
}

func TestTimeout(t *testing.T) {
	nb := codeCells("out before\nhang", "out after")
	start := time.Now()
	res, err := Run(context.Background(), &scriptInterpreter{}, nb, Options{Timeout: 50 * time.Millisecond})
	var cerr *CellError
	if !errors.As(err, &cerr) {
		t.Fatalf("have %v, want a *CellError", err)
	}
	if have := res.Cells[0].Err.Name; have != "CellTimeoutError" {
		t.Errorf("ename: have %q, want CellTimeoutError", have)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("timeout took %v", d)
	}
	if have := nb.Cells[0].Outputs[0].Text; have != "before" {
		t.Errorf("output before the timeout: have %q, want %q", have, "before")
	}
}

func TestInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	nb := codeCells("hang", "out after")
	res, err := Run(ctx, &scriptInterpreter{}, nb, Options{AllowErrors: true})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("have %v, want ErrInterrupted", err)
	}
	if len(res.Cells) != 1 || res.Cells[0].Err == nil || res.Cells[0].Err.Name != "Interrupted" {
		t.Errorf("have %+v, want one interrupted cell", res.Cells)
	}
	if nb.Cells[1].ExecutionCount != nil {
		t.Errorf("a cell ran after the interrupt")
	}
}

func TestEcho(t *testing.T) {
	nb := codeCells("out hello\\n\ndisplay - <B>\nerr warn\\n\nhtml <i>x</i>", "result 42", "fail panic boom")
	var term bytes.Buffer
	Run(context.Background(), &scriptInterpreter{}, nb, Options{Echo: &term})
	want := "\nIn [1]:\nhello\n<B>\nwarn\n[image/svg+xml, text/html]\n\nIn [2]:\nOut[2]: 42\n\nIn [3]:\npanic: boom\n  at line 1\n"
	if have := term.String(); have != want {
		t.Errorf("have %q\nwant %q", have, want)
	}
}

func TestOutputCap(t *testing.T) {
	nb := codeCells("out 0123456789\nout abcdef\ndisplay - hidden\nout more")
	if _, err := Run(context.Background(), &scriptInterpreter{}, nb, Options{MaxOutputBytes: 12}); err != nil {
		t.Fatal(err)
	}
	outs := nb.Cells[0].Outputs
	if len(outs) != 2 || outs[0].Text != "0123456789ab" {
		t.Fatalf("have %+v, want the first 12 bytes and a note", outs)
	}
	if !strings.Contains(outs[1].Text, "12 bytes shown, 14 more bytes dropped") {
		t.Errorf("note: have %q", outs[1].Text)
	}
}

func TestValidPrefixKeepsUTF8(t *testing.T) {
	for n := 0; n <= len("aé中"); n++ {
		if p := validPrefix("aé中", n); !strings.HasPrefix("aé中", p) || strings.ToValidUTF8(p, "?") != p {
			t.Errorf("validPrefix(%d) = %q splits a character", n, p)
		}
	}
}

func TestInput(t *testing.T) {
	t.Run("no terminal", func(t *testing.T) {
		s := &scriptInterpreter{}
		nb := codeCells("input name? ")
		res, _ := Run(context.Background(), s, nb, Options{AllowErrors: true})
		if s.requests[0].AllowStdin {
			t.Errorf("AllowStdin: have true, want false without Input")
		}
		if e := res.Cells[0].Err; e == nil || e.Value != interp.ErrNoStdin.Error() {
			t.Errorf("have %v, want ErrNoStdin", e)
		}
	})
	t.Run("terminal lines", func(t *testing.T) {
		s := &scriptInterpreter{}
		var prompts bytes.Buffer
		nb := codeCells("input name? \ninput age? ")
		_, err := Run(context.Background(), s, nb, Options{Input: TerminalInput(strings.NewReader("Ada\r\n36\n"), &prompts)})
		if err != nil {
			t.Fatal(err)
		}
		if !s.requests[0].AllowStdin {
			t.Errorf("AllowStdin: have false, want true")
		}
		if have, want := nb.Cells[0].Outputs[0].Text, "got Ada\ngot 36\n"; have != want {
			t.Errorf("have %q, want %q", have, want)
		}
		if have := prompts.String(); have != "name? age? " {
			t.Errorf("prompts: have %q", have)
		}
	})
	t.Run("end of input", func(t *testing.T) {
		nb := codeCells("input x")
		res, _ := Run(context.Background(), &scriptInterpreter{}, nb, Options{AllowErrors: true, Input: TerminalInput(strings.NewReader(""), io.Discard)})
		if e := res.Cells[0].Err; e == nil || !strings.Contains(e.Value, "EOF") {
			t.Errorf("have %v, want an EOF error", e)
		}
	})
}

func TestNeedsTagSkipsCellsWhoseProgramIsMissing(t *testing.T) {
	saved := lookPath
	defer func() { lookPath = saved }()
	lookPath = func(name string) (string, error) {
		if name == "installed" {
			return "/bin/installed", nil
		}
		return "", errors.New("not found")
	}
	tests := []struct {
		name    string
		tags    []any
		wantRan bool
	}{
		{"no tags", nil, true},
		{"program installed", []any{"needs-installed"}, true},
		{"program missing", []any{"needs-python3"}, false},
		{"one of two missing", []any{"needs-installed", "needs-python3"}, false},
		{"other tags ignored", []any{"raises-exception", "needs-"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb := codeCells("out first\\n", "out second\\n")
			if tt.tags != nil {
				nb.Cells[0].Metadata["tags"] = tt.tags
			}
			in := &scriptInterpreter{}
			var term bytes.Buffer
			res, err := Run(context.Background(), in, nb, Options{Echo: &term})
			if err != nil {
				t.Fatal(err)
			}
			ran := len(in.requests) == 2
			if ran != tt.wantRan {
				t.Errorf("have the tagged cell run = %v, want %v (requests %d, terminal %q)", ran, tt.wantRan, len(in.requests), term.String())
			}
			if !tt.wantRan {
				if len(res.Skipped) != 1 || res.Skipped[0].Missing != "python3" {
					t.Errorf("have skipped %+v, want the first cell skipped for python3", res.Skipped)
				}
				if !strings.Contains(term.String(), "python3 is not installed") {
					t.Errorf("terminal does not say why the cell was skipped: %q", term.String())
				}
				if nb.Cells[1].ExecutionCount == nil || *nb.Cells[1].ExecutionCount != 1 {
					t.Errorf("the cell after a skipped one should be In [1]")
				}
			}
		})
	}
}

func TestEchoShowsPagerHelp(t *testing.T) {
	nb := codeCells("page func Println(a ...any)", "out after\\n")
	var term bytes.Buffer
	if _, err := Run(context.Background(), &scriptInterpreter{}, nb, Options{Echo: &term}); err != nil {
		t.Fatal(err)
	}
	want := "\nIn [1]:\nfunc Println(a ...any)\n\nIn [2]:\nafter\n"
	if have := term.String(); have != want {
		t.Errorf("have %q\nwant %q", have, want)
	}
	if len(nb.Cells[0].Outputs) != 0 {
		t.Errorf("the pager text was stored in the notebook: %+v (Jupyter keeps it out)", nb.Cells[0].Outputs)
	}
}
