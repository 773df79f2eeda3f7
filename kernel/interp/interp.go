// Package interp is the seam between "speak Jupyter" and "run a cell".
//
// The protocol side (package server) drives an Interpreter and knows nothing
// about Go compilation; the Go engine (package engine) implements it and knows
// nothing about ZeroMQ or message headers. A test fake can stand in for either
// side. Every type here is plain data from the standard library so that both
// sides can depend on this package without depending on each other.
//
// The package is one file, interp.go: the Interpreter interface (and the
// optional Lookahead), the Output a running cell writes to, and the requests
// and answers that cross the seam.
package interp

import (
	"context"
	"fmt"
	"strings"
)

// Interpreter runs cells and answers the language questions of a notebook.
//
// Execute is called for one cell at a time, but Complete, Inspect and
// IsComplete may be called concurrently with a running Execute (a notebook asks
// for completions while a cell runs), so implementations must make those safe.
type Interpreter interface {
	// Info describes the language for kernel_info_reply.
	Info() Info

	// Execute runs one cell. Output produced while it runs goes to out, which
	// must not be used after Execute returns. Cancelling ctx interrupts the cell:
	// Execute then stops everything the cell started and returns an *Error
	// saying it was interrupted. A failed cell returns an *Error (shown to the
	// user as ename/evalue/traceback); any other error is a kernel fault.
	Execute(ctx context.Context, req ExecuteRequest, out Output) (*ExecuteResult, error)

	// IsComplete tells a console whether code is ready to run.
	IsComplete(code string) IsCompleteResult

	// Complete returns completions at cursor, a rune (code point) offset.
	Complete(ctx context.Context, code string, cursor int) Completion

	// Inspect returns documentation for the name at cursor (a rune offset).
	// detail is 0 or 1 as in inspect_request.
	Inspect(ctx context.Context, code string, cursor, detail int) Inspection

	// Close stops any running cell and removes the interpreter's workspace.
	Close() error
}

// Lookahead is implemented by an Interpreter that can prepare cells waiting
// in the execute queue while an earlier one runs (JupyterLab's Run All sends
// every cell at once). The server calls Queued whenever its queue changes
// with the requests not yet finished, in order: the first is the one running
// (or about to run), the rest wait behind it, each with the Count it will run
// as if the requests before it run. Queued must return at once, and may only
// make later Executes faster, never different; an empty reqs says nothing
// waits (the queue was aborted after an error or an interrupt).
type Lookahead interface {
	Queued(reqs []ExecuteRequest)
}

// Info is the language part of kernel_info_reply.
type Info struct {
	Implementation        string // e.g. "gokernel"
	ImplementationVersion string
	LanguageName          string // "go"
	LanguageVersion       string // version of the Go toolchain in use, e.g. "1.26.8"
	MIMEType              string // "text/x-go"
	FileExtension         string // ".go"
	PygmentsLexer         string // "go"
	CodeMirrorMode        string // "go"
	Banner                string
	HelpLinks             []HelpLink
}

// HelpLink is one entry of kernel_info_reply's help_links.
type HelpLink struct {
	Text string
	URL  string
}

// ExecuteRequest is the part of execute_request an interpreter needs.
type ExecuteRequest struct {
	Code         string
	Count        int  // execution count shown for this cell (In[Count])
	Silent       bool // no execute_result, nothing recorded
	StoreHistory bool
	AllowStdin   bool // false: reads from stdin get EOF at once
}

// Output receives what a running cell produces, in the order it produced it.
// The server turns each call into an iopub message (or a stdin request).
type Output interface {
	// Stream publishes text on "stdout" or "stderr". text is valid UTF-8.
	Stream(name, text string)
	// Display publishes display_data, or update_display_data when d.Update.
	Display(d Display)
	// ClearOutput publishes clear_output.
	ClearOutput(wait bool)
	// Input asks the user for a line of text (input_request on stdin). It
	// returns ErrNoStdin when the request did not allow stdin, and ctx.Err()
	// when ctx ends before the user answers.
	Input(ctx context.Context, prompt string, password bool) (string, error)
}

// ErrNoStdin is returned by Output.Input when the frontend cannot answer.
var ErrNoStdin = fmt.Errorf("stdin is not available: the frontend did not allow input for this request")

// Display is one rich output: a MIME bundle plus metadata.
type Display struct {
	Data      map[string]any // MIME type -> content; always has "text/plain"
	Metadata  map[string]any
	DisplayID string // non-empty for displays that can be updated later
	Update    bool   // true: update_display_data of DisplayID
}

// ExecuteResult is what a successful cell returns.
type ExecuteResult struct {
	// Data is the MIME bundle of the cell's value (execute_result), nil if the
	// cell has no value to show.
	Data     map[string]any
	Metadata map[string]any
	// Payload holds execute_reply payloads (e.g. a "page" payload for help).
	Payload []map[string]any
}

// Error is a cell that failed: it becomes the error message and the
// execute_reply of status "error".
type Error struct {
	Name      string   // ename, e.g. "CompileError", "panic", "Deadlock", "Interrupted"
	Value     string   // evalue: one line
	Traceback []string // lines of plain text shown to the user (may contain ANSI colours)
}

// Error joins the name, value and traceback as one text, for logs and tests.
func (e *Error) Error() string {
	if len(e.Traceback) > 0 {
		return e.Name + ": " + e.Value + "\n" + strings.Join(e.Traceback, "\n")
	}
	return e.Name + ": " + e.Value
}

// IsCompleteResult answers is_complete_request.
type IsCompleteResult struct {
	Status string // "complete", "incomplete", "invalid" or "unknown"
	Indent string // for "incomplete": what to indent the next line with
}

// Completion answers complete_request. Cursor positions are rune offsets.
type Completion struct {
	Matches     []string
	CursorStart int
	CursorEnd   int
	Metadata    map[string]any
}

// Inspection answers inspect_request.
type Inspection struct {
	Found bool
	Data  map[string]any // MIME bundle, at least "text/plain" when Found
}
