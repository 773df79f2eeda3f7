//go:build ignore

// gen writes the lesson notebooks from their sources in notebooks/src.
//
//	go run ./notebooks/gen.go [-src DIR] [-o DIR]    (from the repository root)
//
// A source file, src/NAME.lesson, is a list of cells, each starting with a
// line "=== KIND [TAG...]":
//
//	=== md              markdown: English text, then a line "--- zh", then the 中文 text
//	=== go [TAG...]     a Go code cell, shared by both languages (tags such
//	                    as exercise, exercise-check, raises-exception, and
//	                    output-varies for a cell that shows a race on purpose,
//	                    so what it prints depends on timing); a TAG
//	                    expect=NAME is not a tag but the error a
//	                    raises-exception cell must fail with
//	                    (metadata.gokernel.expected_error)
//	=== py [TAG...]     a %%python3 code cell (tagged needs-python3), shared
//	=== md TAG...       a markdown cell with tags: "solution" also folds it
//	                    (metadata.jupyter.source_hidden, as JupyterLab's
//	                    collapse does)
//	=== article §N.N    the article's Python code, quoted verbatim in a
//	                    markdown cell (same code in both languages)
//
// A comment in a code cell may carry its 中文 translation after a marker,
// " //zh " in Go and " #zh " in Python:
//
//	time.Sleep(d) // stands in for real work //zh 代表真实的工作
//
// English gets "// stands in for real work", 中文 "// 代表真实的工作".
//
// It writes NAME.ipynb (English) and zh/NAME.ipynb (中文) whose code cells
// differ at most in the text of their comments. Cell ids are the lesson number, the kind and the cell's position, so
// regenerating an unchanged source gives byte-identical notebooks.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// pythonTag marks the %%python3 cells, so a runner without python3 can tell
// them apart from Go cells.
const pythonTag = "needs-python3"

// cell is one nbformat cell; a map so encoding/json writes its keys sorted,
// as Jupyter does.
type cell map[string]any

type notebook struct {
	Cells         []cell         `json:"cells"`
	Metadata      map[string]any `json:"metadata"`
	NBFormat      int            `json:"nbformat"`
	NBFormatMinor int            `json:"nbformat_minor"`
}

func main() {
	srcDir := flag.String("src", filepath.Join("notebooks", "src"), "read the *.lesson sources in this directory")
	outDir := flag.String("o", "notebooks", "write the notebooks under this directory (and its zh/)")
	flag.Parse()
	srcs, err := filepath.Glob(filepath.Join(*srcDir, "*.lesson"))
	if err != nil || len(srcs) == 0 {
		fmt.Fprintf(os.Stderr, "gen: no %s/*.lesson (run from the repository root)\n", *srcDir)
		os.Exit(1)
	}
	if err := os.MkdirAll(filepath.Join(*outDir, "zh"), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for _, src := range srcs {
		if err := generate(src, *outDir); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
}

func generate(src, outDir string) error {
	text, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	name := strings.TrimSuffix(filepath.Base(src), ".lesson")
	num, _, _ := strings.Cut(name, "-")
	en, zh, err := parse(string(text), num)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if err := write(filepath.Join(outDir, name+".ipynb"), en); err != nil {
		return err
	}
	return write(filepath.Join(outDir, "zh", name+".ipynb"), zh)
}

// parse splits a lesson source into the English and 中文 cell lists.
func parse(text, num string) (en, zh []cell, err error) {
	blocks := strings.Split("\n"+text, "\n=== ")
	counts := map[string]int{}
	for _, b := range blocks[1:] {
		header, body, _ := strings.Cut(b, "\n")
		fields := strings.Fields(header)
		kind, args := fields[0], fields[1:]
		body = strings.Trim(body, "\n")
		counts[kind]++
		id := fmt.Sprintf("l%s-%s-%02d", num, kind, counts[kind])
		switch kind {
		case "md":
			e, z, ok := strings.Cut(body, "\n--- zh\n")
			if !ok {
				return nil, nil, fmt.Errorf("markdown cell %s has no \"--- zh\" part", id)
			}
			en = append(en, markdown(id, strings.TrimSpace(e), args))
			zh = append(zh, markdown(id, unwrapCJK(strings.TrimSpace(z)), args))
		case "article":
			if len(args) != 1 {
				return nil, nil, fmt.Errorf("cell %s: want \"=== article §N.N\"", id)
			}
			quote := "\n\n```python\n" + body + "\n```"
			en = append(en, markdown(id, "**The article, "+args[0]+":**"+quote, nil))
			zh = append(zh, markdown(id, "**原文 "+args[0]+"：**"+quote, nil))
		case "go":
			e, z, err := splitComments(body, "//")
			if err != nil {
				return nil, nil, fmt.Errorf("cell %s: %w", id, err)
			}
			en, zh = append(en, code(id, e, args)), append(zh, code(id, z, args))
		case "py":
			e, z, err := splitComments(body, "#")
			if err != nil {
				return nil, nil, fmt.Errorf("cell %s: %w", id, err)
			}
			tags := append([]string{pythonTag}, args...)
			en, zh = append(en, code(id, "%%python3\n"+e, tags)), append(zh, code(id, "%%python3\n"+z, tags))
		default:
			return nil, nil, fmt.Errorf("cell %s: unknown kind %q", id, kind)
		}
	}
	return en, zh, nil
}

// markdown makes a markdown cell. A "solution" tag also folds the cell in
// JupyterLab (metadata.jupyter.source_hidden), so a student sees the
// solution only after choosing to open it.
func markdown(id, text string, tags []string) cell {
	meta := map[string]any{}
	if len(tags) > 0 {
		meta["tags"] = tags
	}
	if slices.Contains(tags, "solution") {
		meta["jupyter"] = map[string]any{"source_hidden": true}
	}
	return cell{"cell_type": "markdown", "id": id, "metadata": meta, "source": lines(text)}
}

// splitComments returns a code cell's English and 中文 text: a line whose
// comment (opened by opener, "//" or "#") carries " <opener>zh " followed by
// a translation keeps the English comment in en and gets the translation,
// behind the same opener, in zh. Code outside comments is never changed.
func splitComments(body, opener string) (en, zh string, err error) {
	marker := " " + opener + "zh "
	var enLines, zhLines []string
	for n, line := range strings.Split(body, "\n") {
		i := strings.Index(line, marker)
		if i < 0 {
			enLines, zhLines = append(enLines, line), append(zhLines, line)
			continue
		}
		j := strings.LastIndex(line[:i], opener+" ")
		if j < 0 {
			return "", "", fmt.Errorf("line %d: %q follows no English comment", n+1, strings.TrimSpace(marker))
		}
		enLines = append(enLines, strings.TrimRight(line[:i], " "))
		zhLines = append(zhLines, line[:j]+opener+" "+strings.TrimSpace(line[i+len(marker):]))
	}
	return strings.Join(enLines, "\n"), strings.Join(zhLines, "\n"), nil
}

// code makes a code cell. args are tags, except expect=NAME, which records
// the error a raises-exception cell must end with (its ename, e.g.
// "Deadlock") in metadata.gokernel.expected_error for the lesson tests.
func code(id, text string, args []string) cell {
	meta := map[string]any{}
	var tags []string
	for _, a := range args {
		if name, ok := strings.CutPrefix(a, "expect="); ok {
			meta["gokernel"] = map[string]any{"expected_error": name}
			continue
		}
		tags = append(tags, a)
	}
	if len(tags) > 0 {
		meta["tags"] = tags
	}
	return cell{"cell_type": "code", "execution_count": nil, "id": id, "metadata": meta, "outputs": []any{}, "source": lines(text)}
}

// lines splits text the way Jupyter stores sources: every line but the last
// keeps its "\n".
func lines(text string) []string {
	out := strings.SplitAfter(text, "\n")
	if out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

func write(path string, cells []cell) error {
	nb := notebook{
		Cells: cells,
		Metadata: map[string]any{
			"kernelspec":    map[string]any{"display_name": "Go (gokernel)", "language": "go", "name": "gokernel"},
			"language_info": map[string]any{"file_extension": ".go", "mimetype": "text/x-go", "name": "go"},
		},
		NBFormat:      4,
		NBFormatMinor: 5,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(nb); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// unwrapCJK joins the lines of each paragraph and list item of a 中文
// markdown text. The sources are wrapped for editing, but markdown turns a
// line break into a space, which shows as a stray gap between Chinese
// characters. Lines that start a block (headings, list items, tables,
// quotes, fences, blank lines) are kept; inside a fence nothing changes.
func unwrapCJK(text string) string {
	var out []string
	inFence := false
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			inFence = !inFence
			out = append(out, line)
			continue
		}
		if inFence || len(out) == 0 || startsBlock(trimmed) || endsBlock(out[len(out)-1]) {
			out = append(out, line)
			continue
		}
		prev := strings.TrimRight(out[len(out)-1], " ")
		sep := " "
		if isCJK(lastRune(prev)) || isCJK(firstRune(trimmed)) {
			sep = ""
		}
		out[len(out)-1] = prev + sep + trimmed
	}
	return strings.Join(out, "\n")
}

// startsBlock reports whether a markdown line (without its indentation)
// begins a new block rather than continuing the paragraph above it.
func startsBlock(line string) bool {
	if line == "" {
		return true
	}
	// A table row, the delimiter row "|---|" included, is a block of its
	// own: joined to the line above, the table no longer renders.
	for _, p := range []string{"#", "* ", "- ", "|", ">", "```"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	digits := len(line) - len(strings.TrimLeft(line, "0123456789"))
	return digits > 0 && strings.HasPrefix(line[digits:], ". ")
}

// endsBlock reports whether a markdown line cannot be continued by the next
// one: a blank line, or a table row (a table's rows are one line each).
func endsBlock(line string) bool {
	trimmed := strings.TrimSpace(line)
	return trimmed == "" || strings.HasPrefix(trimmed, "|")
}

func firstRune(s string) rune {
	for _, r := range s {
		return r
	}
	return 0
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// isCJK reports whether r is a Chinese character or full-width punctuation,
// next to which a line break must not become a space.
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || (r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef)
}
