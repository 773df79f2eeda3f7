// Package wire is the contract between a running cell and the kernel.
//
// A cell talks to the kernel in-band on its standard output: rich displays,
// display updates, clear_output and end-of-cell reports are written to
// os.Stdout as frames
//
//	ESC ] gokernel ; <one JSON Frame> BEL
//
// between ordinary printed text. Because frames share the pipe with fmt.Print,
// the kernel sees "print A, display B, print C" in exactly that order, and a
// child process started by the cell (which inherits stdout) can display too.
// JSON escapes every control character, so BEL never occurs inside a frame.
//
// This package is compiled into cells that display things: keep it small and
// free of dependencies beyond the standard library.
package wire

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"
)

// FrameStart and FrameEnd delimit a frame on the cell's stdout.
const (
	FrameStart = "\x1b]gokernel;"
	FrameEnd   = "\x07"
)

// Kinds of frame.
const (
	KindDisplay  = "display"  // display_data, or update_display_data when Update
	KindClear    = "clear"    // clear_output
	KindLeftover = "leftover" // goroutines still alive when the cell's main returned
	KindResult   = "result"   // the cell's value (execute_result), at most one per cell
	// KindInput announces that the cell is about to read one line from
	// os.Stdin and says how to ask for it (Prompt; Password hides the
	// typing). The cell writes the frame, then reads stdin as usual; plain
	// reads without a frame get an input box too.
	KindInput = "input"
)

// Frame is one message from a cell to the kernel.
type Frame struct {
	Kind      string         `json:"kind"`
	Data      map[string]any `json:"data,omitempty"`       // MIME bundle (display, result)
	Metadata  map[string]any `json:"metadata,omitempty"`   // display metadata
	DisplayID string         `json:"display_id,omitempty"` // display handle
	Update    bool           `json:"update,omitempty"`     // update an earlier display in place
	Wait      bool           `json:"wait,omitempty"`       // clear: wait for the next output
	Count     int            `json:"count,omitempty"`      // leftover: number of goroutines
	Stack     string         `json:"stack,omitempty"`      // leftover: runtime.Stack(all) text
	Prompt    string         `json:"prompt,omitempty"`     // input: text shown before the input box
	Password  bool           `json:"password,omitempty"`   // input: hide what the user types
}

// Env names the environment variables the kernel sets for a cell.
const (
	// EnvKernel is "1" when the program runs under gokernel; without it
	// (e.g. a copy of the program run by hand) displays print as plain text.
	EnvKernel = "GOKERNEL"
	// EnvCellFiles maps the file names a program's cell code has (named by
	// the code, so that a cell run again is the same program) to the
	// execution counts that ran it: "cell_0a1b2c3d4e5f.go:3,...".
	EnvCellFiles = "GOKERNEL_CELL_FILES"
)

var writeMu sync.Mutex

// Write encodes f and writes it to w as one frame with a single Write call,
// so frames from different goroutines never interleave.
func Write(w io.Writer, f Frame) error {
	body, err := json.Marshal(f)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.Grow(len(FrameStart) + len(body) + len(FrameEnd))
	buf.WriteString(FrameStart)
	buf.Write(body)
	buf.WriteString(FrameEnd)
	writeMu.Lock()
	defer writeMu.Unlock()
	_, err = w.Write(buf.Bytes())
	return err
}

// Decode parses the JSON body of a frame (the bytes between FrameStart and
// FrameEnd).
func Decode(body []byte) (Frame, error) {
	var f Frame
	err := json.Unmarshal(body, &f)
	return f, err
}
