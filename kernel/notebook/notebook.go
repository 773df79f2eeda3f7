package notebook

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Cell types.
const (
	CodeCell     = "code"
	MarkdownCell = "markdown"
	RawCell      = "raw"
)

// Output types of a code cell.
const (
	StreamOutput        = "stream"
	DisplayDataOutput   = "display_data"
	ExecuteResultOutput = "execute_result"
	ErrorOutput         = "error"
)

// The kernelspec this project's notebooks carry.
const (
	KernelName        = "gokernel"
	KernelDisplayName = "Go (gokernel)"
	KernelLanguage    = "go"
)

// Notebook is one .ipynb document. Metadata keeps every key it was read
// with, so reading and writing a notebook loses nothing.
type Notebook struct {
	Nbformat      int
	NbformatMinor int
	Metadata      map[string]any
	Cells         []Cell
}

// Cell is one cell. ExecutionCount and Outputs are only meaningful for code
// cells; Attachments only for markdown and raw cells.
type Cell struct {
	ID             string
	Type           string // CodeCell, MarkdownCell or RawCell
	Metadata       map[string]any
	Source         string
	ExecutionCount *int     // code: nil until the cell ran
	Outputs        []Output // code: what the cell produced
	Attachments    map[string]any
}

// Output is one output of a code cell. Which fields are used depends on Type:
// stream (Name, Text), display_data (Data, Metadata), execute_result (Data,
// Metadata, ExecutionCount) and error (Ename, Evalue, Traceback).
type Output struct {
	Type           string
	Name           string // stream: "stdout" or "stderr"
	Text           string // stream
	Data           map[string]any
	Metadata       map[string]any
	ExecutionCount *int
	Ename          string
	Evalue         string
	Traceback      []string
}

// New returns an empty nbformat 4.5 notebook with the gokernel kernelspec and
// language_info for Go version goVersion (e.g. "1.26.8"; empty leaves it out).
func New(goVersion string) *Notebook {
	nb := &Notebook{Nbformat: 4, NbformatMinor: 5, Metadata: map[string]any{}}
	nb.SetGoMetadata(goVersion)
	return nb
}

// SetGoMetadata sets the kernelspec and language_info metadata of a gokernel
// notebook, keeping any other keys of language_info.
func (nb *Notebook) SetGoMetadata(goVersion string) {
	if nb.Metadata == nil {
		nb.Metadata = map[string]any{}
	}
	nb.Metadata["kernelspec"] = map[string]any{
		"name":         KernelName,
		"display_name": KernelDisplayName,
		"language":     KernelLanguage,
	}
	info, _ := nb.Metadata["language_info"].(map[string]any)
	if info == nil {
		info = map[string]any{}
	}
	info["name"] = "go"
	info["file_extension"] = ".go"
	info["mimetype"] = "text/x-go"
	info["pygments_lexer"] = "go"
	info["codemirror_mode"] = "go"
	if goVersion != "" {
		info["version"] = goVersion
	}
	nb.Metadata["language_info"] = info
}

// KernelspecName returns metadata.kernelspec.name, or "" when absent.
func (nb *Notebook) KernelspecName() string {
	spec, _ := nb.Metadata["kernelspec"].(map[string]any)
	name, _ := spec["name"].(string)
	return name
}

// EnsureIDs makes the notebook an nbformat 4.5 one: it gives every cell
// without an id a fresh random one (as nbformat's upgrade does) and raises
// nbformat_minor to 5. Existing ids are kept; duplicates are renamed.
func (nb *Notebook) EnsureIDs() {
	seen := map[string]bool{}
	for i := range nb.Cells {
		c := &nb.Cells[i]
		for c.ID == "" || seen[c.ID] || !validID(c.ID) {
			c.ID = NewCellID()
		}
		seen[c.ID] = true
	}
	if nb.Nbformat == 4 && nb.NbformatMinor < 5 {
		nb.NbformatMinor = 5
	}
}

// NewCellID returns a random cell id of 8 hex digits, like Jupyter's.
func NewCellID() string {
	var b [4]byte
	rand.Read(b[:]) // never returns an error: it crashes the program instead
	return hex.EncodeToString(b[:])
}

// ClearOutputs removes the outputs and execution counts of every code cell.
func (nb *Notebook) ClearOutputs() {
	for i := range nb.Cells {
		if nb.Cells[i].Type == CodeCell {
			nb.Cells[i].Outputs = nil
			nb.Cells[i].ExecutionCount = nil
		}
	}
}

// Clone returns a deep copy of nb, so the copy can be changed (e.g. executed)
// without touching the original.
func (nb *Notebook) Clone() *Notebook {
	out := *nb
	out.Metadata = cloneMap(nb.Metadata)
	out.Cells = make([]Cell, len(nb.Cells))
	for i, c := range nb.Cells {
		out.Cells[i] = c.Clone()
	}
	return &out
}

// Clone returns a deep copy of c.
func (c Cell) Clone() Cell {
	out := c
	out.Metadata = cloneMap(c.Metadata)
	out.Attachments = cloneMap(c.Attachments)
	if c.ExecutionCount != nil {
		n := *c.ExecutionCount
		out.ExecutionCount = &n
	}
	if c.Outputs != nil {
		out.Outputs = make([]Output, len(c.Outputs))
		for i, o := range c.Outputs {
			out.Outputs[i] = o.Clone()
		}
	}
	return out
}

// Clone returns a deep copy of o.
func (o Output) Clone() Output {
	out := o
	out.Data = cloneMap(o.Data)
	out.Metadata = cloneMap(o.Metadata)
	if o.ExecutionCount != nil {
		n := *o.ExecutionCount
		out.ExecutionCount = &n
	}
	if o.Traceback != nil {
		out.Traceback = append([]string(nil), o.Traceback...)
	}
	return out
}

// cloneMap deep-copies a JSON-like map through an encode/decode round trip,
// which is simple and handles every JSON value.
func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("notebook: metadata is not JSON: %v", err))
	}
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		panic(fmt.Sprintf("notebook: decoding cloned metadata: %v", err))
	}
	return out
}

// Tags returns metadata.tags of the cell.
func (c *Cell) Tags() []string {
	raw, _ := c.Metadata["tags"].([]any)
	var tags []string
	for _, t := range raw {
		if s, ok := t.(string); ok {
			tags = append(tags, s)
		}
	}
	if s, ok := c.Metadata["tags"].([]string); ok {
		tags = append(tags, s...)
	}
	return tags
}

// HasTag reports whether the cell carries tag in metadata.tags.
func (c *Cell) HasTag(tag string) bool {
	for _, t := range c.Tags() {
		if t == tag {
			return true
		}
	}
	return false
}

// NBGrader is the nbgrader metadata of a cell (cell.metadata.nbgrader).
type NBGrader struct {
	GradeID       string  `json:"grade_id"`
	Grade         bool    `json:"grade"`
	Solution      bool    `json:"solution"`
	Locked        bool    `json:"locked"`
	Points        float64 `json:"points,omitempty"`
	SchemaVersion int     `json:"schema_version"`
	Task          bool    `json:"task,omitempty"`
}

// NBGrader returns the cell's nbgrader metadata and whether it has any.
func (c *Cell) NBGrader() (NBGrader, bool) {
	raw, ok := c.Metadata["nbgrader"]
	if !ok {
		return NBGrader{}, false
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return NBGrader{}, false
	}
	var g NBGrader
	if err := json.Unmarshal(b, &g); err != nil {
		return NBGrader{}, false
	}
	return g, true
}

// SetNBGrader stores g as the cell's nbgrader metadata.
func (c *Cell) SetNBGrader(g NBGrader) {
	if c.Metadata == nil {
		c.Metadata = map[string]any{}
	}
	m := map[string]any{
		"grade_id":       g.GradeID,
		"grade":          g.Grade,
		"solution":       g.Solution,
		"locked":         g.Locked,
		"schema_version": g.SchemaVersion,
	}
	if g.Grade {
		m["points"] = g.Points
	}
	if g.Task {
		m["task"] = true
	}
	c.Metadata["nbgrader"] = m
}
