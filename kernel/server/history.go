package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/gokernel/gokernel/kernel/jupyter"
)

// DefaultHistoryLimit is how many entries the history file keeps when the
// caller does not say.
const DefaultHistoryLimit = 10000

// historyEntry is one executed cell, one JSON line in the history file.
type historyEntry struct {
	Session int     `json:"session"`
	Line    int     `json:"line"` // the cell's execution count
	Input   string  `json:"input"`
	Output  *string `json:"output,omitempty"` // text/plain of execute_result, if any
}

// history is the kernel's input history: every stored cell of this session
// and of earlier sessions read from the history file, like IPython's
// history database but as a JSON-lines file bounded to limit entries.
//
// Several kernels may append to the same file; a line is written with one
// O_APPEND write so lines do not interleave. Session numbers of kernels that
// start at the same moment may coincide; entries are then still all there.
type history struct {
	mu      sync.Mutex
	path    string // "" keeps history in memory only
	limit   int
	session int // this kernel's session number: last one in the file + 1
	entries []historyEntry
	written int // entries in the file, to know when to trim it
}

// openHistory reads the history file at path (which need not exist) and
// trims it to limit entries. A corrupt line is skipped, never fatal.
func openHistory(path string, limit int) (*history, error) {
	if limit <= 0 {
		limit = DefaultHistoryLimit
	}
	h := &history{path: path, limit: limit, session: 1}
	return h, h.load()
}

// loadHistoryInBackground returns the history at once and reads its file on
// a goroutine: a full file (10,000 entries, ≈1.6 MB) takes ≈30 ms to parse,
// which a kernel's first kernel_info_reply must not wait for. The history
// stays locked until the file is read, so the first add or query waits for
// it; failed says (once) why the file cannot be used.
func loadHistoryInBackground(path string, limit int, failed func(error)) *history {
	if limit <= 0 {
		limit = DefaultHistoryLimit
	}
	h := &history{path: path, limit: limit, session: 1}
	h.mu.Lock()
	go func() {
		defer h.mu.Unlock() // a Mutex may be unlocked by another goroutine
		if err := h.load(); err != nil {
			failed(err)
		}
	}()
	return h
}

// load reads the file into h (whose lock the caller holds, or which nobody
// else sees yet).
func (h *history) load() error {
	path, limit := h.path, h.limit
	if path == "" {
		return nil
	}
	// O_NOFOLLOW here and when appending: the data dir may sit in a shared
	// directory where someone planted the file name as a symlink to a file
	// of ours (issue 9); a symlink is refused, never followed.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		var e historyEntry
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Session <= 0 {
			continue
		}
		h.entries = append(h.entries, e)
		h.session = max(h.session, e.Session+1)
	}
	h.written = len(h.entries)
	if len(h.entries) > limit {
		h.entries = slices.Clone(h.entries[len(h.entries)-limit:])
		if err := h.rewrite(); err != nil {
			return err
		}
	}
	return sc.Err()
}

// add records an executed cell of the current session and appends it to the file.
func (h *history) add(line int, input string, output *string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := historyEntry{Session: h.session, Line: line, Input: input, Output: output}
	h.entries = append(h.entries, e)
	if len(h.entries) > h.limit {
		h.entries = slices.Delete(h.entries, 0, len(h.entries)-h.limit)
	}
	if h.path == "" {
		return nil
	}
	// Trimming rewrites the file; do it only when the file has grown half
	// again past the bound so appends stay cheap.
	if h.written+1 > h.limit+h.limit/2 {
		return h.rewrite()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(h.path), 0o700); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	h.written++
	return nil
}

// rewrite replaces the file with the entries in memory (atomically, by rename).
func (h *history) rewrite() error {
	if err := os.MkdirAll(filepath.Dir(h.path), 0o700); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(h.path), ".history-*")
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	w := bufio.NewWriter(tmp)
	enc := json.NewEncoder(w)
	for _, e := range h.entries {
		if err := enc.Encode(e); err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return fmt.Errorf("history: %w", err)
		}
	}
	err = w.Flush()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), h.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("history: %w", err)
	}
	h.written = len(h.entries)
	return nil
}

// query answers a history_request: "tail" (the last n entries), "range"
// (lines [start, stop) of a session; session 0 is the current one and a
// negative session counts back from it; stop 0 means to the end) or
// "search" (inputs matching a glob pattern, the last n, optionally unique).
func (h *history) query(req jupyter.HistoryRequest) ([][]any, error) {
	h.mu.Lock()
	entries := slices.Clone(h.entries)
	current := h.session
	h.mu.Unlock()

	var picked []historyEntry
	switch req.HistAccessType {
	case "tail":
		picked = lastN(entries, req.N)
	case "range", "":
		session := req.Session
		if session <= 0 {
			session += current
		}
		for _, e := range entries {
			if e.Session == session && e.Line >= req.Start && (req.Stop <= 0 || e.Line < req.Stop) {
				picked = append(picked, e)
			}
		}
	case "search":
		match, err := globRegexp(req.Pattern)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		// Walk newest first so that unique keeps the latest run of an input.
		for _, e := range slices.Backward(entries) {
			if !match.MatchString(e.Input) || (req.Unique && seen[e.Input]) {
				continue
			}
			seen[e.Input] = true
			picked = append(picked, e)
			if req.N > 0 && len(picked) == req.N {
				break
			}
		}
		slices.Reverse(picked)
	default:
		return nil, fmt.Errorf("history: unknown hist_access_type %q", req.HistAccessType)
	}

	out := make([][]any, 0, len(picked))
	for _, e := range picked {
		if req.Output {
			var output any
			if e.Output != nil {
				output = *e.Output
			}
			out = append(out, []any{e.Session, e.Line, []any{e.Input, output}})
		} else {
			out = append(out, []any{e.Session, e.Line, e.Input})
		}
	}
	return out, nil
}

func lastN(entries []historyEntry, n int) []historyEntry {
	if n <= 0 || n >= len(entries) {
		return entries
	}
	return entries[len(entries)-n:]
}

// globRegexp compiles a glob as IPython's history search uses it (SQLite
// GLOB): the whole input must match, "*" is any text (newlines included),
// "?" one character, "[...]" a class; everything else is literal. An empty
// pattern matches everything.
func globRegexp(pattern string) (*regexp.Regexp, error) {
	if pattern == "" {
		pattern = "*"
	}
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	runes := []rune(pattern)
	for i := 0; i < len(runes); i++ {
		switch r := runes[i]; r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			end := slices.Index(runes[i+1:], ']')
			if end < 0 {
				b.WriteString(regexp.QuoteMeta("["))
				continue
			}
			class := string(runes[i+1 : i+1+end])
			if strings.HasPrefix(class, "^") {
				class = `\^` + class[1:]
			}
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += end + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("history: pattern %q: %w", pattern, err)
	}
	return re, nil
}
