//go:build ignore

// gen writes the lesson notebooks from their sources in notebooks/src.
//
//	go run ./notebooks/gen.go [-o DIR]    (from the repository root)
//
// A source file, src/NAME.lesson, is a list of cells, each starting with a
// line "=== KIND [TAG...]":
//
//	=== md              markdown: English text, then a line "--- zh", then the 中文 text
//	=== go [TAG...]     a Go code cell, shared by both languages; a TAG
//	                    expect=NAME is not a tag but the error a
//	                    raises-exception cell must fail with
//	                    (metadata.gokernel.expected_error)
//	=== py [TAG...]     a %%python3 code cell (tagged needs-python3), shared
//	=== article §N.N    the article's Python code, quoted verbatim in a
//	                    markdown cell (same code in both languages)
//
// It writes NAME.ipynb (English) and zh/NAME.ipynb (中文) with identical code
// cells. Cell ids are the lesson number, the kind and the cell's position, so
// regenerating an unchanged source gives byte-identical notebooks.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
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
	outDir := flag.String("o", "notebooks", "write the notebooks under this directory (and its zh/)")
	flag.Parse()
	srcs, err := filepath.Glob("notebooks/src/*.lesson")
	if err != nil || len(srcs) == 0 {
		fmt.Fprintln(os.Stderr, "gen: no notebooks/src/*.lesson (run from the repository root)")
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
			en = append(en, markdown(id, strings.TrimSpace(e)))
			zh = append(zh, markdown(id, unwrapCJK(strings.TrimSpace(z))))
		case "article":
			if len(args) != 1 {
				return nil, nil, fmt.Errorf("cell %s: want \"=== article §N.N\"", id)
			}
			quote := "\n\n```python\n" + body + "\n```"
			en = append(en, markdown(id, "**The article, "+args[0]+":**"+quote))
			zh = append(zh, markdown(id, "**原文 "+args[0]+"：**"+quote))
		case "go":
			c := code(id, body, args)
			en, zh = append(en, c), append(zh, c)
		case "py":
			c := code(id, "%%python3\n"+body, append([]string{pythonTag}, args...))
			en, zh = append(en, c), append(zh, c)
		default:
			return nil, nil, fmt.Errorf("cell %s: unknown kind %q", id, kind)
		}
	}
	return en, zh, nil
}

func markdown(id, text string) cell {
	return cell{"cell_type": "markdown", "id": id, "metadata": map[string]any{}, "source": lines(text)}
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
		if inFence || len(out) == 0 || startsBlock(trimmed) || strings.TrimSpace(out[len(out)-1]) == "" {
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
	for _, p := range []string{"#", "* ", "- ", "| ", ">", "```"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	digits := len(line) - len(strings.TrimLeft(line, "0123456789"))
	return digits > 0 && strings.HasPrefix(line[digits:], ". ")
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
