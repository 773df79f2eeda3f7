package notebook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// ReadFile reads and parses the notebook at path. It does not validate it;
// call Validate for that.
func ReadFile(path string) (*Notebook, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	nb, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return nb, nil
}

// Read parses a notebook from r.
func Read(r io.Reader) (*Notebook, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// ErrNotNotebook is wrapped by Parse errors for input that is not an
// nbformat 4 notebook at all (bad JSON, wrong top-level shape, nbformat 3).
var ErrNotNotebook = errors.New("not an nbformat 4 notebook")

// Parse parses a notebook. Multi-line strings may be a string or a list of
// lines (Jupyter writes lists); both read as one string. Numbers in metadata
// keep their exact text (json.Number).
func Parse(b []byte) (*Notebook, error) {
	var doc struct {
		Nbformat      *int             `json:"nbformat"`
		NbformatMinor *int             `json:"nbformat_minor"`
		Metadata      map[string]any   `json:"metadata"`
		Cells         []cellDocument   `json:"cells"`
		Worksheets    *json.RawMessage `json:"worksheets"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotNotebook, err)
	}
	if doc.Nbformat == nil || *doc.Nbformat != 4 || doc.Worksheets != nil {
		have := "missing"
		if doc.Nbformat != nil {
			have = fmt.Sprint(*doc.Nbformat)
		}
		return nil, fmt.Errorf("%w: nbformat is %s", ErrNotNotebook, have)
	}
	nb := &Notebook{Nbformat: *doc.Nbformat, Metadata: doc.Metadata}
	if doc.NbformatMinor != nil {
		nb.NbformatMinor = *doc.NbformatMinor
	}
	if nb.Metadata == nil {
		nb.Metadata = map[string]any{}
	}
	for i, cd := range doc.Cells {
		c, err := cd.cell()
		if err != nil {
			return nil, fmt.Errorf("cell %d: %w", i, err)
		}
		nb.Cells = append(nb.Cells, c)
	}
	return nb, nil
}

// multiline is a string that JSON may spell as a string or a list of strings.
type multiline string

func (m *multiline) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*m = multiline(s)
		return nil
	}
	var lines []string
	if err := json.Unmarshal(b, &lines); err != nil {
		return fmt.Errorf("want a string or a list of strings, have %s", abbreviate(b))
	}
	*m = multiline(strings.Join(lines, ""))
	return nil
}

type cellDocument struct {
	ID             *string          `json:"id"`
	CellType       string           `json:"cell_type"`
	Metadata       map[string]any   `json:"metadata"`
	Source         multiline        `json:"source"`
	ExecutionCount *int             `json:"execution_count"`
	Outputs        []outputDocument `json:"outputs"`
	Attachments    map[string]any   `json:"attachments"`
}

func (cd cellDocument) cell() (Cell, error) {
	c := Cell{
		Type:           cd.CellType,
		Metadata:       cd.Metadata,
		Source:         string(cd.Source),
		ExecutionCount: cd.ExecutionCount,
		Attachments:    cd.Attachments,
	}
	if cd.ID != nil {
		c.ID = *cd.ID
	}
	if c.Metadata == nil {
		c.Metadata = map[string]any{}
	}
	for name, bundle := range c.Attachments {
		if m, ok := bundle.(map[string]any); ok {
			c.Attachments[name] = joinBundle(m)
		}
	}
	if cd.CellType == CodeCell {
		c.Outputs = []Output{}
	}
	for i, od := range cd.Outputs {
		o, err := od.output()
		if err != nil {
			return Cell{}, fmt.Errorf("output %d: %w", i, err)
		}
		c.Outputs = append(c.Outputs, o)
	}
	return c, nil
}

type outputDocument struct {
	OutputType     string         `json:"output_type"`
	Name           string         `json:"name"`
	Text           multiline      `json:"text"`
	Data           map[string]any `json:"data"`
	Metadata       map[string]any `json:"metadata"`
	ExecutionCount *int           `json:"execution_count"`
	Ename          string         `json:"ename"`
	Evalue         string         `json:"evalue"`
	Traceback      []string       `json:"traceback"`
}

func (od outputDocument) output() (Output, error) {
	o := Output{
		Type:           od.OutputType,
		Name:           od.Name,
		Text:           string(od.Text),
		Data:           joinBundle(od.Data),
		Metadata:       od.Metadata,
		ExecutionCount: od.ExecutionCount,
		Ename:          od.Ename,
		Evalue:         od.Evalue,
		Traceback:      od.Traceback,
	}
	if o.Type == "" {
		return Output{}, errors.New("output_type is missing")
	}
	return o, nil
}

// isJSONMime reports whether a MIME type's value is JSON data rather than
// text (nbformat keeps those as-is instead of splitting them into lines).
func isJSONMime(mime string) bool {
	return mime == "application/json" || strings.HasSuffix(mime, "+json")
}

// joinBundle turns list-of-lines values of a MIME bundle back into strings.
func joinBundle(bundle map[string]any) map[string]any {
	for mime, v := range bundle {
		if isJSONMime(mime) {
			continue
		}
		list, ok := v.([]any)
		if !ok {
			continue
		}
		var sb strings.Builder
		allStrings := true
		for _, item := range list {
			s, ok := item.(string)
			if !ok {
				allStrings = false
				break
			}
			sb.WriteString(s)
		}
		if allStrings {
			bundle[mime] = sb.String()
		}
	}
	return bundle
}

func abbreviate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}
