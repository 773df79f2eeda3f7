package notebook

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// ValidationError lists everything Validate found wrong with a notebook.
// Callers can errors.As it to show each problem on its own line.
type ValidationError struct {
	Problems []string // e.g. `cells[3].id: "a b" does not match ^[a-zA-Z0-9-_]+$`
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid notebook: " + e.Problems[0]
	}
	return fmt.Sprintf("invalid notebook (%d problems): %s", len(e.Problems), strings.Join(e.Problems, "; "))
}

// idPattern is nbformat 4.5's pattern for cell ids (1 to 64 characters).
var idPattern = regexp.MustCompile(`^[a-zA-Z0-9-_]+$`)

func validID(id string) bool { return len(id) <= 64 && idPattern.MatchString(id) }

// Validate checks the essentials of the nbformat 4 schema that Jupyter
// enforces: version, metadata shape (kernelspec, language_info), cell types,
// cell ids (required, well-formed and unique from 4.5 on), and the fields of
// every output type. It returns a *ValidationError or nil.
func Validate(nb *Notebook) error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	if nb.Nbformat != 4 {
		add("nbformat: have %d, want 4", nb.Nbformat)
	}
	if nb.NbformatMinor < 0 {
		add("nbformat_minor: have %d, want >= 0", nb.NbformatMinor)
	}
	if spec, ok := nb.Metadata["kernelspec"]; ok {
		m, isMap := spec.(map[string]any)
		if !isMap {
			add("metadata.kernelspec: want an object")
		}
		for _, key := range []string{"name", "display_name"} {
			if s, ok := m[key].(string); isMap && (!ok || s == "") {
				add("metadata.kernelspec.%s: want a non-empty string", key)
			}
		}
	}
	if info, ok := nb.Metadata["language_info"]; ok {
		m, isMap := info.(map[string]any)
		if _, ok := m["name"].(string); !isMap || !ok {
			add("metadata.language_info.name: want a string")
		}
	}
	if _, err := json.Marshal(nb.Metadata); err != nil {
		add("metadata: not JSON: %v", err)
	}

	needIDs := nb.Nbformat == 4 && nb.NbformatMinor >= 5
	seen := map[string]int{}
	for i, c := range nb.Cells {
		where := fmt.Sprintf("cells[%d]", i)
		switch {
		case c.ID == "" && needIDs:
			add("%s.id: missing (required from nbformat 4.5 on)", where)
		case c.ID != "" && !validID(c.ID):
			add("%s.id: %q does not match ^[a-zA-Z0-9-_]+$ (1-64 characters)", where, c.ID)
		case c.ID != "":
			if j, dup := seen[c.ID]; dup {
				add("%s.id: %q is also the id of cells[%d]", where, c.ID, j)
			}
			seen[c.ID] = i
		}
		if _, err := json.Marshal(c.Metadata); err != nil {
			add("%s.metadata: not JSON: %v", where, err)
		}
		switch c.Type {
		case CodeCell:
			if c.ExecutionCount != nil && *c.ExecutionCount < 0 {
				add("%s.execution_count: have %d, want null or >= 0", where, *c.ExecutionCount)
			}
			for j, o := range c.Outputs {
				validateOutput(fmt.Sprintf("%s.outputs[%d]", where, j), o, add)
			}
		case MarkdownCell, RawCell:
			if len(c.Outputs) > 0 || c.ExecutionCount != nil {
				add("%s: a %s cell has no outputs or execution_count", where, c.Type)
			}
		default:
			add("%s.cell_type: have %q, want code, markdown or raw", where, c.Type)
		}
	}
	if len(p) > 0 {
		return &ValidationError{Problems: p}
	}
	return nil
}

func validateOutput(where string, o Output, add func(string, ...any)) {
	switch o.Type {
	case StreamOutput:
		if o.Name != "stdout" && o.Name != "stderr" {
			add("%s.name: have %q, want stdout or stderr", where, o.Name)
		}
	case DisplayDataOutput, ExecuteResultOutput:
		if o.Data == nil {
			add("%s.data: missing", where)
		}
		for mime, v := range o.Data {
			if !strings.Contains(mime, "/") {
				add("%s.data: %q is not a MIME type", where, mime)
			}
			if _, isText := v.(string); !isText && !isJSONMime(mime) {
				add("%s.data[%q]: want a string for a non-JSON MIME type", where, mime)
			}
		}
		if _, err := json.Marshal(o.Data); err != nil {
			add("%s.data: not JSON: %v", where, err)
		}
	case ErrorOutput:
		if o.Ename == "" {
			add("%s.ename: missing", where)
		}
	default:
		add("%s.output_type: have %q, want stream, display_data, execute_result or error", where, o.Type)
	}
}
