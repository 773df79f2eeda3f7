package notebook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Marshal validates nb and encodes it the way Jupyter saves notebooks:
// keys sorted, one-space indent, no HTML escaping, multi-line strings (cell
// sources, stream text, text MIME data) as lists of lines, and a final
// newline. An invalid notebook is not encoded; the error lists what is wrong.
func Marshal(nb *Notebook) ([]byte, error) {
	if err := Validate(nb); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	// Maps encode with sorted keys, which is exactly Jupyter's sort_keys=True.
	if err := enc.Encode(nb.document()); err != nil {
		return nil, fmt.Errorf("encoding notebook: %w", err)
	}
	return buf.Bytes(), nil
}

// Write validates nb and writes it to w (see Marshal).
func Write(w io.Writer, nb *Notebook) error {
	b, err := Marshal(nb)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// WriteFile validates nb and writes it to path atomically (a temporary file
// in the same directory renamed over path), so a crash never leaves half a
// notebook behind.
func WriteFile(path string, nb *Notebook) error {
	b, err := Marshal(nb)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func (nb *Notebook) document() map[string]any {
	cells := make([]any, 0, len(nb.Cells))
	for _, c := range nb.Cells {
		cells = append(cells, c.document())
	}
	return map[string]any{
		"nbformat":       nb.Nbformat,
		"nbformat_minor": nb.NbformatMinor,
		"metadata":       orEmpty(nb.Metadata),
		"cells":          cells,
	}
}

func (c Cell) document() map[string]any {
	d := map[string]any{
		"cell_type": c.Type,
		"metadata":  orEmpty(c.Metadata),
		"source":    splitLines(c.Source),
	}
	if c.ID != "" {
		d["id"] = c.ID
	}
	switch c.Type {
	case CodeCell:
		d["execution_count"] = c.ExecutionCount
		outputs := make([]any, 0, len(c.Outputs))
		for _, o := range c.Outputs {
			outputs = append(outputs, o.document())
		}
		d["outputs"] = outputs
	default:
		if c.Attachments != nil {
			att := map[string]any{}
			for name, bundle := range c.Attachments {
				if m, ok := bundle.(map[string]any); ok {
					att[name] = splitBundle(m)
				} else {
					att[name] = bundle
				}
			}
			d["attachments"] = att
		}
	}
	return d
}

func (o Output) document() map[string]any {
	d := map[string]any{"output_type": o.Type}
	switch o.Type {
	case StreamOutput:
		d["name"] = o.Name
		d["text"] = splitLines(o.Text)
	case DisplayDataOutput:
		d["data"] = splitBundle(o.Data)
		d["metadata"] = orEmpty(o.Metadata)
	case ExecuteResultOutput:
		d["data"] = splitBundle(o.Data)
		d["metadata"] = orEmpty(o.Metadata)
		d["execution_count"] = o.ExecutionCount
	case ErrorOutput:
		d["ename"] = o.Ename
		d["evalue"] = o.Evalue
		tb := o.Traceback
		if tb == nil {
			tb = []string{}
		}
		d["traceback"] = tb
	}
	return d
}

// splitBundle writes text MIME values as lists of lines, like nbformat.
func splitBundle(bundle map[string]any) map[string]any {
	out := make(map[string]any, len(bundle))
	for mime, v := range bundle {
		if s, ok := v.(string); ok && !isJSONMime(mime) {
			out[mime] = splitLines(s)
			continue
		}
		out[mime] = v
	}
	return out
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
