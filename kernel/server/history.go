package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
// Only this session's entries are held in memory. Those of earlier
// sessions stay in the file and are parsed when a history_request needs
// them: a full file (10,000 entries, ≈1.8 MB) is ≈4 MB of heap, and most
// kernels are never asked (JupyterLab and Notebook do not ask; jupyter
// console asks once, at its start).
//
// Several kernels may append to the same file; a line is written with one
// O_APPEND write so lines do not interleave. Session numbers of kernels that
// start at the same moment may coincide; a query then shows the other
// kernel's entries of that session only until a trim rewrites the file.
type history struct {
	mu      sync.Mutex
	path    string // "" keeps history in memory only
	limit   int
	session int // this kernel's session number: last one in the file + 1
	// earlier is how many bytes at the start of the file a query reads:
	// what was there when the kernel opened it, or all of it after this
	// kernel trimmed it (its own lines in it are skipped: entries has them).
	earlier int64
	entries []historyEntry // this session's, at most limit
	written int            // entries in the file, to know when to trim it
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
// a goroutine: a full file takes a few ms to scan, which a kernel's first
// kernel_info_reply must not wait for. The history stays locked until the
// file is read, so the first add or query waits for it; failed says (once)
// why the file cannot be used.
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

// openFile opens the history file for reading; a missing file is (nil, nil).
func (h *history) openFile() (*os.File, error) {
	// O_NOFOLLOW here and when appending: the data dir may sit in a shared
	// directory where someone planted the file name as a symlink to a file
	// of ours (issue 9); a symlink is refused, never followed.
	f, err := os.OpenFile(h.path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return f, nil
}

// scanLines calls fn with each line of r (without its newline) that holds
// an entry, parsed only as far as its session number, and returns how many
// bytes it read.
func scanLines(r io.Reader, fn func(line []byte, session int)) (int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	var n int64
	for sc.Scan() {
		n += int64(len(sc.Bytes())) + 1
		if session := lineSession(sc.Bytes()); session > 0 {
			fn(sc.Bytes(), session)
		}
	}
	return n, sc.Err()
}

// lineSession returns the session of a history line, or 0 for a line that
// holds no entry. The lines add writes start {"session":N, and are read
// that far only (a full file's 10,000 lines in ≈2 ms instead of ≈20 ms of
// JSON decoding); any other line is decoded.
func lineSession(line []byte) int {
	const prefix = `{"session":`
	if rest, ok := bytes.CutPrefix(line, []byte(prefix)); ok {
		n, i := 0, 0
		for ; i < len(rest) && i < 9 && '0' <= rest[i] && rest[i] <= '9'; i++ {
			n = n*10 + int(rest[i]-'0')
		}
		if i > 0 && i < len(rest) && rest[i] == ',' && line[len(line)-1] == '}' {
			return n
		}
	}
	var e struct {
		Session int `json:"session"`
	}
	if json.Unmarshal(line, &e) != nil || e.Session <= 0 {
		return 0
	}
	return e.Session
}

// load scans the file for the next session number and its size, and trims
// it when it holds more than limit entries (the caller holds h's lock, or
// nobody else sees h yet).
func (h *history) load() error {
	if h.path == "" {
		return nil
	}
	f, err := h.openFile()
	if f == nil {
		return err
	}
	defer f.Close()
	n, err := scanLines(f, func(_ []byte, session int) {
		h.written++
		h.session = max(h.session, session+1)
	})
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	h.earlier = n
	if h.written > h.limit {
		return h.trim(nil)
	}
	return nil
}

// readEarlier parses the entries of other sessions in the first h.earlier
// bytes of the file, of the sessions keep accepts (nil: all). A file that
// cannot be read gives none: the history is then this session's alone, as
// with no file.
func (h *history) readEarlier(keep func(session int) bool) []historyEntry {
	if h.path == "" || h.earlier == 0 {
		return nil
	}
	f, err := h.openFile()
	if f == nil || err != nil {
		return nil
	}
	defer f.Close()
	var entries []historyEntry
	scanLines(io.LimitReader(f, h.earlier), func(line []byte, session int) {
		var e historyEntry
		if session != h.session && (keep == nil || keep(session)) && json.Unmarshal(line, &e) == nil {
			entries = append(entries, e)
		}
	})
	return entries
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
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	b = append(b, '\n')
	// Trimming rewrites the file; do it only when the file has grown half
	// again past the bound so appends stay cheap.
	if h.written+1 > h.limit+h.limit/2 {
		return h.trim(b)
	}
	if err := os.MkdirAll(filepath.Dir(h.path), 0o700); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	h.written++
	return nil
}

// trim replaces the file (atomically, by rename) with its last limit
// entries, the line extra (if any) being the last of them; a query then
// reads all of the new file.
func (h *history) trim(extra []byte) error {
	var lines [][]byte
	f, err := h.openFile()
	if err != nil {
		return err
	}
	if f != nil {
		_, err = scanLines(f, func(line []byte, _ int) { lines = append(lines, slices.Clone(line)) })
		f.Close()
		if err != nil {
			return fmt.Errorf("history: %w", err)
		}
	}
	if extra != nil {
		lines = append(lines, bytes.TrimSuffix(extra, []byte("\n")))
	}
	if len(lines) > h.limit {
		lines = lines[len(lines)-h.limit:]
	}
	if err := os.MkdirAll(filepath.Dir(h.path), 0o700); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(h.path), ".history-*")
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	w := bufio.NewWriter(tmp)
	var size int64
	for _, l := range lines {
		w.Write(l)
		w.WriteByte('\n')
		size += int64(len(l)) + 1
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
	h.written, h.earlier = len(lines), size
	return nil
}

// query answers a history_request: "tail" (the last n entries), "range"
// (lines [start, stop) of a session; session 0 is the current one and a
// negative session counts back from it; stop 0 means to the end) or
// "search" (inputs matching a glob pattern, the last n, optionally unique).
func (h *history) query(req jupyter.HistoryRequest) ([][]any, error) {
	h.mu.Lock()
	current := h.session
	var keep func(int) bool // a range needs one session's entries only
	if req.HistAccessType == "range" || req.HistAccessType == "" {
		want := req.Session
		if want <= 0 {
			want += current
		}
		keep = func(session int) bool { return session == want }
	}
	entries := append(h.readEarlier(keep), h.entries...)
	h.mu.Unlock()
	entries = lastN(entries, h.limit)

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
