package runner

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/notebook"
)

// outputRef locates an output that carries a display_id, so a later
// update_display_data can change it in place — also in an earlier cell, as
// in Jupyter, where display ids are notebook-wide.
type outputRef struct {
	cell   int // index in the notebook's cells
	output int // index in that cell's outputs
}

// collector implements interp.Output for one notebook run. begin and end
// bracket each cell; between them the interpreter's calls build the cell's
// outputs. Calls may come from several goroutines, hence the mutex.
type collector struct {
	nb       *notebook.Notebook
	echo     io.Writer // nil: no terminal echo
	input    InputFunc // nil: no stdin
	maxBytes int64     // per cell; <= 0 means no cap

	mu          sync.Mutex
	cell        int // index of the running cell, -1 between cells
	outputs     []notebook.Output
	clearOnNext bool // clear_output(wait=true) seen: clear before the next output
	displays    map[string][]outputRef
	shown       int64 // bytes of output kept for this cell
	dropped     int64 // bytes of output dropped for this cell
}

func newCollector(nb *notebook.Notebook, echo io.Writer, input InputFunc, maxBytes int64) *collector {
	return &collector{nb: nb, echo: echo, input: input, maxBytes: maxBytes, cell: -1, displays: map[string][]outputRef{}}
}

// begin starts collecting the outputs of cell index.
func (c *collector) begin(index int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cell, c.outputs, c.clearOnNext, c.shown, c.dropped = index, []notebook.Output{}, false, 0, 0
}

// end stops collecting and returns the cell's outputs, with a note when
// output was cut. Calls after end (a misbehaving interpreter) are ignored.
func (c *collector) end() []notebook.Output {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dropped > 0 {
		note := fmt.Sprintf("\n[output cut: %d bytes shown, %d more bytes dropped]\n", c.shown, c.dropped)
		c.outputs = append(c.outputs, notebook.Output{Type: notebook.StreamOutput, Name: "stderr", Text: note})
		c.echoText(note)
	}
	out := c.outputs
	c.cell, c.outputs = -1, nil
	return out
}

// add appends a non-stream output (result or error) at the end of the cell.
func (c *collector) add(o notebook.Output) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.applyPendingClear()
	c.outputs = append(c.outputs, o)
}

func (c *collector) echoText(s string) {
	if c.echo != nil && s != "" {
		io.WriteString(c.echo, s)
	}
}

func (c *collector) applyPendingClear() {
	if c.clearOnNext {
		c.clearNow()
	}
}

func (c *collector) clearNow() {
	c.outputs = c.outputs[:0]
	c.clearOnNext = false
	for id, refs := range c.displays {
		kept := refs[:0]
		for _, r := range refs {
			if r.cell != c.cell {
				kept = append(kept, r)
			}
		}
		c.displays[id] = kept
	}
}

// budget reports how many of n bytes may still be kept under the cap, and
// counts the rest as dropped.
func (c *collector) budget(n int) int {
	if c.maxBytes <= 0 {
		c.shown += int64(n)
		return n
	}
	left := c.maxBytes - c.shown
	if left <= 0 {
		c.dropped += int64(n)
		return 0
	}
	if int64(n) > left {
		c.dropped += int64(n) - left
		c.shown += left
		return int(left)
	}
	c.shown += int64(n)
	return n
}

// Stream implements interp.Output: consecutive chunks of the same stream
// become one output, as in a saved Jupyter notebook.
func (c *collector) Stream(name, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cell < 0 || text == "" {
		return
	}
	keep := c.budget(len(text))
	if keep == 0 {
		return
	}
	text = validPrefix(text, keep)
	c.applyPendingClear()
	if n := len(c.outputs); n > 0 && c.outputs[n-1].Type == notebook.StreamOutput && c.outputs[n-1].Name == name {
		c.outputs[n-1].Text += text
	} else {
		c.outputs = append(c.outputs, notebook.Output{Type: notebook.StreamOutput, Name: name, Text: text})
	}
	c.echoText(text)
}

// Display implements interp.Output: a new display is appended; an update
// replaces the data of every earlier output with that display id.
func (c *collector) Display(d interp.Display) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cell < 0 {
		return
	}
	if d.Update {
		for _, r := range c.displays[d.DisplayID] {
			o := c.outputAt(r)
			if o == nil {
				continue
			}
			o.Data, o.Metadata = copyBundle(d.Data), copyBundle(d.Metadata)
		}
		c.echoText(plainText(d.Data))
		return
	}
	if c.budget(bundleSize(d.Data)) == 0 {
		return
	}
	c.applyPendingClear()
	c.outputs = append(c.outputs, notebook.Output{
		Type:     notebook.DisplayDataOutput,
		Data:     copyBundle(d.Data),
		Metadata: copyBundle(d.Metadata),
	})
	if d.DisplayID != "" {
		c.displays[d.DisplayID] = append(c.displays[d.DisplayID], outputRef{cell: c.cell, output: len(c.outputs) - 1})
	}
	c.echoText(plainText(d.Data))
}

func (c *collector) outputAt(r outputRef) *notebook.Output {
	outs := c.outputs
	if r.cell != c.cell {
		outs = c.nb.Cells[r.cell].Outputs
	}
	if r.output >= len(outs) {
		return nil
	}
	return &outs[r.output]
}

// ClearOutput implements interp.Output. With wait, the outputs are cleared
// when the next output arrives, so a progress display does not flicker.
func (c *collector) ClearOutput(wait bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cell < 0 {
		return
	}
	if wait {
		c.clearOnNext = true
		return
	}
	c.clearNow()
}

// Input implements interp.Output.
func (c *collector) Input(ctx context.Context, prompt string, password bool) (string, error) {
	if c.input == nil {
		return "", interp.ErrNoStdin
	}
	return c.input(ctx, prompt, password)
}

// plainText is how a terminal shows a MIME bundle: its text/plain, or the
// list of its MIME types when it has none.
func plainText(data map[string]any) string {
	s, _ := data["text/plain"].(string)
	if s == "" {
		if len(data) == 0 {
			return ""
		}
		mimes := make([]string, 0, len(data))
		for m := range data {
			mimes = append(mimes, m)
		}
		sort.Strings(mimes)
		s = "[" + strings.Join(mimes, ", ") + "]"
	}
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}

func bundleSize(data map[string]any) int {
	n := 0
	for _, v := range data {
		if s, ok := v.(string); ok {
			n += len(s)
		} else {
			n += 64 // JSON values: a rough, non-zero cost
		}
	}
	return n
}

func copyBundle(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// validPrefix returns the first n bytes of s, shortened so that no UTF-8
// character is split.
func validPrefix(s string, n int) string {
	if n >= len(s) {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
