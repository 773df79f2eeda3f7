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
	if n := len(third.entries); n != 4 {
		t.Errorf("entries after reopening: have %d want the bound 4", n)
	}
}

func TestHistoryIgnoresCorruptLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	os.WriteFile(path, []byte("{not json\n{\"session\":3,\"line\":1,\"input\":\"ok\"}\n\n"), 0o600)
	h, err := openHistory(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.entries) != 1 || h.session != 4 {
		t.Errorf("have %d entries, session %d; want 1 and 4", len(h.entries), h.session)
	}
}

// TestHistoryRefusesPlantedSymlink: a history path planted as a symlink to
// another file (a shared /tmp, issue 9) is neither read nor appended to.
func TestHistoryRefusesPlantedSymlink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	const want = "the victim's data\n"
	if err := os.WriteFile(victim, []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "history.jsonl")
	if err := os.Symlink(victim, path); err != nil {
		t.Fatal(err)
	}
	h, err := openHistory(path, 0)
	if err == nil {
		t.Errorf("openHistory of a symlink: have no error, want it refused")
	}
	if err := h.add(1, "secret := 1", nil); err == nil {
		t.Errorf("add through a symlink: have no error, want it refused")
	}
	if have, _ := os.ReadFile(victim); string(have) != want {
		t.Errorf("victim file: have %q, want %q unchanged", have, want)
	}
}

// The kernel reads its history file in the background (a full one takes
// ≈30 ms, which the first kernel_info_reply must not wait for); the first
// add and query wait for it, so nothing is lost or numbered wrong.
func TestHistoryLoadedInBackground(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "history.jsonl")
	var lines strings.Builder
	for i := 1; i <= 3000; i++ {
		lines.WriteString(`{"session":4,"line":` + itoa(i) + `,"input":"x := ` + itoa(i) + `"}` + "\n")
	}
	if err := os.WriteFile(path, []byte(lines.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var failures []error
	h := loadHistoryInBackground(path, 0, func(err error) { failures = append(failures, err) })
	if err := h.add(1, "after := 1", nil); err != nil {
		t.Fatal(err)
	}
	got, err := h.query(jupyter.HistoryRequest{HistAccessType: "tail", N: 2})
	if err != nil {
		t.Fatal(err)
	}
	if have, want := inputs(got), []string{"x := 3000", "after := 1"}; !slices.Equal(have, want) {
		t.Errorf("tail after a background load: have %q, want %q", have, want)
	}
	if got[1][0] != 5 {
		t.Errorf("the new entry's session: have %v, want 5 (one past the file's)", got[1][0])
	}
	if len(failures) > 0 {
		t.Errorf("a readable file reported %v", failures)
	}

	// A file that cannot be used is said so, and the kernel goes on in memory.
	link := filepath.Join(dir, "link.jsonl")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	failed := make(chan error, 1)
	h = loadHistoryInBackground(link, 0, func(err error) { failed <- err })
	if got, _ := h.query(jupyter.HistoryRequest{HistAccessType: "tail", N: 10}); len(got) != 0 {
		t.Errorf("a refused file's entries were read: %v", got)
	}
	if err := <-failed; err == nil {
		t.Errorf("a refused file reported a nil error")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
