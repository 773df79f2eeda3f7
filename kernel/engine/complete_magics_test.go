package engine

import (
	"context"
	"slices"
	"testing"
	"unicode/utf8"
)

func TestCompleteMagicNames(t *testing.T) {
	e := newTestEngine(t)
	tests := []struct {
		code      string
		want      []string
		wantStart int
	}{
		{"%wh", []string{"%who"}, 0},
		{"%%b", []string{"%%bash"}, 0},
		{"%%", []string{"%%bash", "%%python3", "%%sh", "%%time", "%%writefile"}, 0},
		{"%%t", []string{"%%time"}, 0},
		{"%r", []string{"%race", "%reset"}, 0},
		{"fmt.Println(1)\n%ti", []string{"%time", "%timeout"}, 15},
		{"fmt.Println(1)\n%%ti", nil, 15}, // %%time too is a first line only
		{"x := 1\n%%b", nil, 7},           // cell magics only on the first line
		{"%doc fmt.Pri", []string{"Print", "Printf", "Println"}, 9},
		{"%%python3\nimport threading\nthreading.Thr", nil, 40}, // not Go: no Go names
		{"%%bash\nfmt.Pri", nil, 14},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			c := e.Complete(context.Background(), tt.code, utf8.RuneCountInString(tt.code))
			if !slices.Equal(c.Matches, tt.want) {
				t.Errorf("matches: have %q, want %q", c.Matches, tt.want)
			}
			if c.CursorStart != tt.wantStart {
				t.Errorf("cursor_start: have %d, want %d", c.CursorStart, tt.wantStart)
			}
		})
	}
}

func TestIsCompleteCellMagic(t *testing.T) {
	e := newTestEngine(t)
	tests := []struct{ code, status string }{
		{"%%bash", "incomplete"},
		{"%%bash\necho hi", "incomplete"},
		{"%%bash\necho hi\n", "incomplete"},
		{"%%bash\necho hi\n\n", "complete"},
		{"%%bsh\necho hi\n\n", "invalid"},
		{"!ls", "complete"},
		{"%who", "complete"},
		{"fmt.Println?", "complete"},
		// %%time times Go code: Go's rules say when it is complete.
		{"%%time\nfmt.Println(1)", "complete"},
		{"%%time\nfor {", "incomplete"},
		{"%%time\n%%bash\necho hi", "incomplete"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if have := e.IsComplete(tt.code).Status; have != tt.status {
				t.Errorf("have %q, want %q", have, tt.status)
			}
		})
	}
}

func TestInspectNotInCellMagicBody(t *testing.T) {
	e := newTestEngine(t)
	if in := e.Inspect(context.Background(), "%%python3\nprint('x')", 11, 0); in.Found {
		t.Errorf("inspect of a Python print found Go docs: %v", in.Data)
	}
	if in := e.Inspect(context.Background(), "fmt.Println", 6, 0); !in.Found {
		t.Error("inspect of fmt.Println found nothing")
	}
	if in := e.Inspect(context.Background(), "%%time\nfmt.Println", 13, 0); !in.Found {
		t.Errorf("inspect of fmt.Println below the %%%%time line found nothing")
	}
	if in := e.Inspect(context.Background(), "%%time\n%%python3\nprint('x')", 20, 0); in.Found {
		t.Errorf("inspect of a Python print below %%%%time found Go docs: %v", in.Data)
	}
}
