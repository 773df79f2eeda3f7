package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/notebook"
)

// RaisesExceptionTag marks a cell that is expected to fail (nbclient's tag):
// its error is recorded and the run carries on.
const RaisesExceptionTag = "raises-exception"

// DefaultMaxOutputBytes caps the output kept per cell when Options leaves
// MaxOutputBytes at zero, so a cell printing gigabytes cannot exhaust the
// runner's memory even if the interpreter does not cut it.
const DefaultMaxOutputBytes = 16 << 20

// InputFunc answers a cell's request for a line of input.
type InputFunc func(ctx context.Context, prompt string, password bool) (string, error)

// Options configures Run. The zero value runs every cell with no timeout,
// stops at the first unexpected error and echoes nothing.
type Options struct {
	// Timeout bounds each cell; 0 means no limit. A cell that runs out of
	// time is interrupted and fails with a CellTimeoutError.
	Timeout time.Duration
	// AllowErrors runs every cell even after one fails (nbclient's
	// --allow-errors); failed cells are still reported in Result.
	AllowErrors bool
	// Echo, when set, receives each cell's output as plain text while it
	// runs, under an "In [n]:" header: stream text, the text/plain of
	// displays, "Out[n]: value" and error tracebacks.
	Echo io.Writer
	// Input answers input requests; nil makes them fail with interp.ErrNoStdin
	// (the request is sent with AllowStdin false).
	Input InputFunc
	// MaxOutputBytes caps the output kept per cell: 0 means
	// DefaultMaxOutputBytes, a negative value means no cap.
	MaxOutputBytes int64
	// Logger receives one debug line per cell; nil discards.
	Logger *slog.Logger
}

// CellResult is what happened to one code cell.
type CellResult struct {
	Index    int           // index in the notebook's cells
	ID       string        // the cell's id
	Count    int           // execution count it ran with
	Err      *interp.Error // nil when the cell ran without error
	Expected bool          // Err was expected (raises-exception tag) or allowed
	Duration time.Duration
}

// NeedsTagPrefix starts a cell tag naming a program the cell runs, e.g.
// "needs-python3" on a %%python3 cell. Where that program is not on PATH the
// runner skips the cell with a note instead of failing the notebook: a lesson
// shows Python beside Go, but a machine with only Go still runs the Go.
const NeedsTagPrefix = "needs-"

// lookPath finds a program on PATH; a variable so tests can pretend one is missing.
var lookPath = exec.LookPath

// missingProgram returns the first program a cell's needs-* tags name that
// is not installed, or "".
func missingProgram(cell *notebook.Cell) string {
	for _, tag := range cell.Tags() {
		program, ok := strings.CutPrefix(tag, NeedsTagPrefix)
		if !ok || program == "" {
			continue
		}
		if _, err := lookPath(program); err != nil {
			return program
		}
	}
	return ""
}

// SkippedCell is a code cell that did not run because a program it needs
// is missing.
type SkippedCell struct {
	Index   int
	ID      string
	Missing string // the program, from the cell's needs-PROGRAM tag
}

// Result is the outcome of a run.
type Result struct {
	Cells   []CellResult  // every code cell that ran, in order
	Skipped []SkippedCell // cells skipped for a missing program
}

// Failed returns the cells whose error was not expected.
func (r *Result) Failed() []CellResult {
	var failed []CellResult
	for _, c := range r.Cells {
		if c.Err != nil && !c.Expected {
			failed = append(failed, c)
		}
	}
	return failed
}

// CellError is returned by Run when a cell failed unexpectedly and the run
// stopped there.
type CellError struct {
	Cell CellResult
}

// Error names the cell (index, In [n], id) and its error.
func (e *CellError) Error() string {
	return fmt.Sprintf("cell %d (In [%d], id %s) failed: %s: %s", e.Cell.Index, e.Cell.Count, e.Cell.ID, e.Cell.Err.Name, e.Cell.Err.Value)
}

// ErrInterrupted is wrapped by Run's error when ctx was cancelled (Ctrl-C):
// the running cell was interrupted and no further cell ran.
var ErrInterrupted = errors.New("run interrupted")

// Run executes every non-empty code cell of nb in order through in,
// replacing the cells' outputs and execution counts with what the run
// produced (cells that did not run are left cleared). nb stays valid nbformat.
//
// The error is nil when every cell succeeded or failed as expected (see
// Options.AllowErrors and RaisesExceptionTag); a *CellError when a cell
// failed unexpectedly (Result still lists the cells up to it); wrapped
// ErrInterrupted when ctx ended; any other error is a fault of the
// interpreter, recorded in the cell as a KernelError output.
func Run(ctx context.Context, in interp.Interpreter, nb *notebook.Notebook, opts Options) (*Result, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	maxBytes := opts.MaxOutputBytes
	if maxBytes == 0 {
		maxBytes = DefaultMaxOutputBytes
	}
	nb.ClearOutputs()
	out := newCollector(nb, opts.Echo, opts.Input, maxBytes)
	res := &Result{}
	count := 0
	for i := range nb.Cells {
		cell := &nb.Cells[i]
		if cell.Type != notebook.CodeCell || strings.TrimSpace(cell.Source) == "" {
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("%w before cell %d", ErrInterrupted, i)
		}
		if program := missingProgram(cell); program != "" {
			res.Skipped = append(res.Skipped, SkippedCell{Index: i, ID: cell.ID, Missing: program})
			if opts.Echo != nil {
				fmt.Fprintf(opts.Echo, "\n(skipped a cell tagged %s%s: %s is not installed)\n", NeedsTagPrefix, program, program)
			}
			log.Debug("cell skipped", "index", i, "missing", program)
			continue
		}
		count++
		n := count
		cell.ExecutionCount = &n
		if opts.Echo != nil {
			fmt.Fprintf(opts.Echo, "\nIn [%d]:\n", n)
		}

		cr, fault := runCell(ctx, in, cell, i, n, out, opts)
		res.Cells = append(res.Cells, cr)
		log.Debug("cell", "index", i, "count", n, "dur", cr.Duration, "error", errName(cr.Err))
		switch {
		case fault != nil:
			return res, fault
		case ctx.Err() != nil:
			return res, fmt.Errorf("%w in cell %d (In [%d])", ErrInterrupted, i, n)
		case cr.Err != nil && !cr.Expected:
			return res, &CellError{Cell: cr}
		}
	}
	return res, nil
}

// runCell executes one cell and stores its outputs. fault is non-nil only
// for an interpreter fault (an error that is not an *interp.Error).
func runCell(ctx context.Context, in interp.Interpreter, cell *notebook.Cell, index, count int, out *collector, opts Options) (CellResult, error) {
	cr := CellResult{Index: index, ID: cell.ID, Count: count}
	cellCtx, cancel := ctx, context.CancelFunc(func() {})
	if opts.Timeout > 0 {
		cellCtx, cancel = context.WithTimeout(ctx, opts.Timeout)
	}
	defer cancel()

	out.begin(index)
	start := time.Now()
	result, err := in.Execute(cellCtx, interp.ExecuteRequest{
		Code:         cell.Source,
		Count:        count,
		StoreHistory: true,
		AllowStdin:   opts.Input != nil,
	}, out)
	cr.Duration = time.Since(start)

	var fault error
	if err != nil {
		var ierr *interp.Error
		if !errors.As(err, &ierr) {
			fault = fmt.Errorf("interpreter fault in cell %d (In [%d]): %w", index, count, err)
			ierr = &interp.Error{Name: "KernelError", Value: err.Error()}
		}
		if opts.Timeout > 0 && errors.Is(cellCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			ierr = &interp.Error{
				Name:      "CellTimeoutError",
				Value:     fmt.Sprintf("cell timed out after %s", opts.Timeout),
				Traceback: append([]string{fmt.Sprintf("cell timed out after %s and was interrupted", opts.Timeout)}, ierr.Traceback...),
			}
		}
		cr.Err = ierr
		cr.Expected = opts.AllowErrors || cell.HasTag(RaisesExceptionTag)
		out.add(notebook.Output{Type: notebook.ErrorOutput, Ename: ierr.Name, Evalue: ierr.Value, Traceback: nonNil(ierr.Traceback)})
		if opts.Echo != nil {
			fmt.Fprintln(opts.Echo, errorText(ierr))
		}
	} else if result != nil && opts.Echo != nil && len(pageText(result)) > 0 {
		// Help (fmt.Println?) comes as a pager payload, which Jupyter shows
		// beside the notebook and never stores in it: the terminal shows it.
		fmt.Fprint(opts.Echo, pageText(result))
	}
	if err == nil && result != nil && len(result.Data) > 0 {
		n := count
		out.add(notebook.Output{Type: notebook.ExecuteResultOutput, Data: copyBundle(result.Data), Metadata: copyBundle(result.Metadata), ExecutionCount: &n})
		if opts.Echo != nil {
			fmt.Fprintf(opts.Echo, "Out[%d]: %s", count, plainText(result.Data))
		}
	}
	cell.Outputs = out.end()
	return cr, fault
}

// pageText is the text/plain of a result's "page" payloads (IPython's pager).
func pageText(result *interp.ExecuteResult) string {
	var b strings.Builder
	for _, p := range result.Payload {
		if p["source"] != "page" {
			continue
		}
		data, _ := p["data"].(map[string]any)
		if text, ok := data["text/plain"].(string); ok {
			b.WriteString(text)
			if !strings.HasSuffix(text, "\n") {
				b.WriteString("\n")
			}
		}
	}
	return b.String()
}

// errorText is an error as a terminal shows it: the traceback, which
// already names the error, or "Name: value" when there is none.
func errorText(e *interp.Error) string {
	if len(e.Traceback) == 0 {
		return e.Name + ": " + e.Value
	}
	return strings.Join(e.Traceback, "\n")
}

func errName(e *interp.Error) string {
	if e == nil {
		return ""
	}
	return e.Name
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
