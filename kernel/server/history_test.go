package server

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/kernel/jupyter"
)

func inputs(entries [][]any) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e[2].(string))
	}
	return out
}

func TestHistoryQueries(t *testing.T) {
	h, err := openHistory("", 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, code := range []string{"a := 1", "fmt.Println(a)", "6*7", "x\ny", "6*7"} {
		out := "out"
		if err := h.add(i+1, code, &out); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		req  jupyter.HistoryRequest
		want []string
	}{
		{"tail 2", jupyter.HistoryRequest{HistAccessType: "tail", N: 2}, []string{"x\ny", "6*7"}},
		{"tail all", jupyter.HistoryRequest{HistAccessType: "tail", N: 0}, []string{"a := 1", "fmt.Println(a)", "6*7", "x\ny", "6*7"}},
		{"range current session", jupyter.HistoryRequest{HistAccessType: "range", Session: 0, Start: 2, Stop: 4}, []string{"fmt.Println(a)", "6*7"}},
		{"range explicit session", jupyter.HistoryRequest{HistAccessType: "range", Session: 1, Start: 3, Stop: 4}, []string{"6*7"}},
		{"range to end", jupyter.HistoryRequest{HistAccessType: "range", Session: 0, Start: 4}, []string{"x\ny", "6*7"}},
		{"range other session", jupyter.HistoryRequest{HistAccessType: "range", Session: -1, Start: 1}, nil},
		{"search literal star", jupyter.HistoryRequest{HistAccessType: "search", Pattern: "6*7"}, []string{"6*7", "6*7"}},
		{"search unique", jupyter.HistoryRequest{HistAccessType: "search", Pattern: "6*7", Unique: true}, []string{"6*7"}},
		{"search n", jupyter.HistoryRequest{HistAccessType: "search", Pattern: "*", N: 2}, []string{"x\ny", "6*7"}},
		{"search star spans lines", jupyter.HistoryRequest{HistAccessType: "search", Pattern: "x*"}, []string{"x\ny"}},
		{"search whole input", jupyter.HistoryRequest{HistAccessType: "search", Pattern: "fmt"}, nil},
		{"search question mark", jupyter.HistoryRequest{HistAccessType: "search", Pattern: "a ?= 1"}, []string{"a := 1"}},
		{"search class", jupyter.HistoryRequest{HistAccessType: "search", Pattern: "[0-9]*"}, []string{"6*7", "6*7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.query(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if have := inputs(got); !slices.Equal(have, tt.want) {
				t.Errorf("have %q want %q", have, tt.want)
			}
		})
	}
	t.Run("output", func(t *testing.T) {
		got, _ := h.query(jupyter.HistoryRequest{HistAccessType: "tail", N: 1, Output: true})
		pair, ok := got[0][2].([]any)
		if !ok || len(pair) != 2 || pair[0] != "6*7" || pair[1] != "out" {
			t.Errorf("have %v want [session line [input output]]", got)
		}
	})
	t.Run("unknown type", func(t *testing.T) {
		if _, err := h.query(jupyter.HistoryRequest{HistAccessType: "sideways"}); err == nil {
			t.Error("have no error for an unknown hist_access_type")
		}
	})
}

func TestHistorySurvivesRestartAndIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gokernel", "history.jsonl")
	first, err := openHistory(path, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if err := first.add(i, "first "+string(rune('0'+i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	second, err := openHistory(path, 4)
	if err != nil {
		t.Fatal(err)
	}
	if second.session != first.session+1 {
		t.Errorf("session after restart: have %d want %d", second.session, first.session+1)
	}
	got, _ := second.query(jupyter.HistoryRequest{HistAccessType: "tail", N: 10})
	if have := inputs(got); !slices.Equal(have, []string{"first 1", "first 2", "first 3"}) {
		t.Errorf("history after restart: have %q", have)
	}
	got, _ = second.query(jupyter.HistoryRequest{HistAccessType: "range", Session: -1, Start: 2, Stop: 3})
	if have := inputs(got); !slices.Equal(have, []string{"first 2"}) {
		t.Errorf("range of the previous session: have %q", have)
	}
	for i := 1; i <= 10; i++ {
		if err := second.add(i, "second", nil); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(data), "\n"); lines > 6 {
		t.Errorf("file has %d entries, want at most limit*1.5 = 6", lines)
	}
	info, _ := os.Stat(path)
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("file mode: have %v want 0600", perm)
	}
	third, err := openHistory(path, 4)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = third.query(jupyter.HistoryRequest{HistAccessType: "tail", N: 0})
	if n := len(got); n != 4 {
		t.Errorf("entries after reopening: have %d want the bound 4", n)
	}
	data, _ = os.ReadFile(path)
	if lines := strings.Count(string(data), "\n"); lines != 4 {
		t.Errorf("file after reopening has %d entries, want it trimmed to 4", lines)
	}
}

func TestHistoryIgnoresCorruptLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	os.WriteFile(path, []byte("{not json\n{\"session\":3,\"line\":1,\"input\":\"ok\"}\n\n"), 0o600)
	h, err := openHistory(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := h.query(jupyter.HistoryRequest{HistAccessType: "tail", N: 0})
	if len(got) != 1 || h.session != 4 {
		t.Errorf("have %d entries, session %d; want 1 and 4", len(got), h.session)
	}
}

// Earlier sessions' entries stay in the file until a query asks for them
// (a full file is ≈4 MB of heap, and most kernels are never asked); a
// query reads them and this session's, in order, and skips what this
// kernel appended to the file, which it holds already.
func TestHistoryEarlierSessionsReadWhenAsked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	var lines strings.Builder
	for i := 1; i <= 3000; i++ {
		lines.WriteString(`{"session":` + itoa(1+i/1000) + `,"line":` + itoa(i) + `,"input":"x := ` + itoa(i) + `"}` + "\n")
	}
	if err := os.WriteFile(path, []byte(lines.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := openHistory(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.entries) != 0 || h.session != 5 || h.written != 3000 {
		t.Fatalf("after opening: %d entries in memory, session %d, %d written; want 0, 5, 3000", len(h.entries), h.session, h.written)
	}
	for i := 1; i <= 2; i++ {
		if err := h.add(i, "mine "+itoa(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if len(h.entries) != 2 {
		t.Errorf("in memory after two cells: %d entries, want this session's 2", len(h.entries))
	}
	got, err := h.query(jupyter.HistoryRequest{HistAccessType: "tail", N: 3})
	if err != nil {
		t.Fatal(err)
	}
	if have, want := inputs(got), []string{"x := 3000", "mine 1", "mine 2"}; !slices.Equal(have, want) {
		t.Errorf("tail 3: have %q, want %q", have, want)
	}
	got, _ = h.query(jupyter.HistoryRequest{HistAccessType: "range", Session: 2, Start: 1500, Stop: 1502})
	if have, want := inputs(got), []string{"x := 1500", "x := 1501"}; !slices.Equal(have, want) {
		t.Errorf("a range of an earlier session: have %q, want %q", have, want)
	}
	got, _ = h.query(jupyter.HistoryRequest{HistAccessType: "tail", N: 0})
	if len(got) != 3002 {
		t.Errorf("tail of everything: have %d entries, want 3002 (each once)", len(got))
	}
}

// A trim keeps the file's last limit entries, those other kernels appended
// since this one started included, not only the entries this kernel knows.
func TestHistoryTrimKeepsOtherKernelsEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	var old strings.Builder
	for i := 1; i <= 4; i++ {
		old.WriteString(`{"session":1,"line":` + itoa(i) + `,"input":"old ` + itoa(i) + `"}` + "\n")
	}
	if err := os.WriteFile(path, []byte(old.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := openHistory(path, 4)
	if err != nil {
		t.Fatal(err)
	}
	b, err := openHistory(path, 4)
	if err != nil {
		t.Fatal(err)
	}
	b.session = a.session + 1 // two kernels started one after the other
	if err := b.add(1, "b 1", nil); err != nil {
		t.Fatal(err)
	}
	// a's third cell makes 8 entries, past 1.5 × 4 as a counts them (old
	// ones and its own): a trims the file to 4.
	for i := 1; i <= 3; i++ {
		if err := a.add(i, "a "+itoa(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if have := strings.Count(string(data), "\n"); have != 4 || !strings.HasPrefix(string(data), `{"session":3,"line":1,"input":"b 1"}`) || !strings.HasSuffix(string(data), "\"a 3\"}\n") {
		t.Errorf("after the trim the file is:\n%s\nwant b 1, a 1, a 2 and a 3", data)
	}
	got, _ := a.query(jupyter.HistoryRequest{HistAccessType: "tail", N: 0})
	if have, want := inputs(got), []string{"b 1", "a 1", "a 2", "a 3"}; !slices.Equal(have, want) {
		t.Errorf("a's history after its trim: have %q, want %q", have, want)
	}
}

func TestLineSession(t *testing.T) {
	for _, tt := range []struct {
		line string
		want int
	}{
		{`{"session":12,"line":3,"input":"x"}`, 12},
		{`{"line":3,"session":7,"input":"x"}`, 7}, // another writer's field order
		{`{"session":0,"line":3,"input":"x"}`, 0},
		{`{"session":-2,"line":3}`, 0},
		{`{"session":12,"line":3,"input":"x"`, 0}, // cut short
		{`{"session":12`, 0},
		{`{"session":"12","line":3}`, 0},
		{`{not json`, 0},
		{``, 0},
		{`{"session":99999999999999999999,"line":1}`, 0}, // too large for an int: not an entry
	} {
		if got := lineSession([]byte(tt.line)); got != tt.want {
			t.Errorf("lineSession(%s) = %d, want %d", tt.line, got, tt.want)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
