package coursedocs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Config says where the lessons are, where the pages go and with what.
type Config struct {
	Exe       string   // the gokernel binary: each lesson runs as "Exe run LESSON -o EXECUTED"
	NBConvert []string // Jupyter's nbconvert command (see FindNBConvert)
	Notebooks string   // the folder with NN-name.ipynb and zh/NN-name.ipynb
	Out       string   // the docs folder
	// All runs and renders every lesson; otherwise a lesson whose page
	// records its current hash keeps its page.
	All      bool
	Progress io.Writer
}

// FindNBConvert returns the command that runs Jupyter's nbconvert: Debian's
// python3 module, or jupyter-nbconvert on PATH.
func FindNBConvert() ([]string, error) {
	if err := exec.Command("/usr/bin/python3", "-c", "import nbconvert").Run(); err == nil {
		return []string{"/usr/bin/python3", "-m", "nbconvert"}, nil
	}
	if p, err := exec.LookPath("jupyter-nbconvert"); err == nil {
		return []string{p}, nil
	}
	return nil, errors.New("Jupyter's nbconvert is not installed (Debian: apt-get install jupyter-nbconvert)")
}

// Build runs every lesson with gokernel run, renders it with nbconvert
// (without the cells tagged solution: the pages are for reading before
// trying), and writes the pages, the shared stylesheet and index.html into
// cfg.Out, removing pages of lessons that no longer exist. The lessons run
// one after another, as a student would run them, so the figures they
// measure are not skewed by each other. Unless cfg.All, a lesson whose page
// was made from the notebook as it is now keeps that page. If any lesson
// fails, nothing in cfg.Out is changed.
func Build(ctx context.Context, cfg Config) error {
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	lessons, err := Lessons(cfg.Notebooks)
	if err != nil {
		return err
	}
	if len(lessons) == 0 {
		return fmt.Errorf("no lessons (NN-name.ipynb) in %s", cfg.Notebooks)
	}
	tmp, err := os.MkdirTemp("", "gokernel-docs-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	rendered := make([]string, len(lessons))
	kept := make([]bool, len(lessons))
	for i, l := range lessons {
		if !cfg.All {
			if page, err := os.ReadFile(filepath.Join(cfg.Out, filepath.FromSlash(l.Page))); err == nil {
				if hash, err := sourceHash(l.Source); err == nil && pageMeta(string(page))[metaHash] == hash {
					rendered[i], kept[i] = string(page), true
					fmt.Fprintf(cfg.Progress, "docs: %s: page current, kept\n", l.Source)
					continue
				}
			}
		}
		start := time.Now()
		fmt.Fprintf(cfg.Progress, "docs: %s: running", l.Source)
		executed := filepath.Join(tmp, fmt.Sprintf("%02d.ipynb", i))
		if out, err := command(ctx, cfg.Exe, "run", l.Source, "-o", executed); err != nil {
			fmt.Fprintln(cfg.Progress)
			return fmt.Errorf("running %s: %v\n%s", l.Source, err, out)
		}
		fmt.Fprintf(cfg.Progress, " %s, rendering", time.Since(start).Round(100*time.Millisecond))
		args := append(append([]string{}, cfg.NBConvert[1:]...), "--to", "html",
			"--TagRemovePreprocessor.enabled=True", "--TagRemovePreprocessor.remove_cell_tags=solution",
			"--output-dir", tmp, "--output", fmt.Sprintf("%02d", i), executed)
		if out, err := command(ctx, cfg.NBConvert[0], args...); err != nil {
			fmt.Fprintln(cfg.Progress)
			return fmt.Errorf("rendering %s with nbconvert: %v\n%s", l.Source, err, out)
		}
		b, err := os.ReadFile(filepath.Join(tmp, fmt.Sprintf("%02d.html", i)))
		if err != nil {
			return err
		}
		rendered[i] = string(b)
		fmt.Fprintf(cfg.Progress, ", done in %s\n", time.Since(start).Round(100*time.Millisecond))
	}

	shared := ""
	for i := range lessons {
		if !kept[i] {
			shared = pageStyle(rendered[i])
			break
		}
	}
	if shared == "" { // every page kept: so is the stylesheet
		b, err := os.ReadFile(filepath.Join(cfg.Out, Stylesheet))
		if err != nil {
			return err
		}
		shared = string(b)
	}
	pages := map[string][]byte{Stylesheet: []byte(shared)}
	var index []indexEntry
	for i, l := range lessons {
		hash, err := sourceHash(l.Source)
		if err != nil {
			return err
		}
		cells, err := readLesson(l.Source)
		if err != nil {
			return fmt.Errorf("%s: %w", l.Source, err)
		}
		if kept[i] {
			pages[l.Page] = []byte(rendered[i])
		} else {
			other := otherLanguage(lessons, l)
			pages[l.Page] = []byte(finishPage(rendered[i], pageInfo{lesson: l, hash: hash, title: cells.Title, other: other, sharedCSS: shared}))
		}
		index = addToIndex(index, l, cells.Title)
	}
	var buf bytes.Buffer
	if err := indexPage.Execute(&buf, index); err != nil {
		return err
	}
	pages["index.html"] = buf.Bytes()
	return writePages(cfg.Out, pages)
}

func command(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &out
	err := cmd.Run()
	return lastLines(out.String(), 20), err
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// otherLanguage is the page of the same lesson in the other language.
func otherLanguage(lessons []Lesson, l Lesson) string {
	name := filepath.Base(l.Page)
	for _, o := range lessons {
		if o.Lang != l.Lang && filepath.Base(o.Page) == name {
			return o.Page
		}
	}
	return ""
}

// writePages writes pages into dir and removes lesson pages that are not
// among them.
func writePages(dir string, pages map[string][]byte) error {
	for name, b := range pages {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	old, err := lessonPages(dir)
	if err != nil {
		return err
	}
	for _, name := range old {
		if _, keep := pages[name]; !keep {
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
				return err
			}
		}
	}
	return nil
}

// lessonPages lists the lesson pages in a docs folder (NN-name.html and
// zh/NN-name.html), as slash paths relative to it.
func lessonPages(dir string) ([]string, error) {
	var out []string
	for _, sub := range []string{"", "zh/"} {
		matches, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(sub), "[0-9][0-9]-*.html"))
		if err != nil {
			return nil, err
		}
		for _, m := range matches {
			out = append(out, sub+filepath.Base(m))
		}
	}
	return out, nil
}

type indexEntry struct {
	Name    string // 03-locks
	EN, ZH  string // page paths
	TitleEN string
	TitleZH string
}

func addToIndex(index []indexEntry, l Lesson, title string) []indexEntry {
	name := strings.TrimSuffix(filepath.Base(l.Page), ".html")
	at := -1
	for i := range index {
		if index[i].Name == name {
			at = i
		}
	}
	if at < 0 {
		index = append(index, indexEntry{Name: name})
		at = len(index) - 1
	}
	if l.Lang == "zh" {
		index[at].ZH, index[at].TitleZH = l.Page, title
	} else {
		index[at].EN, index[at].TitleEN = l.Page, title
	}
	return index
}

var indexPage = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Concurrency in Go: the gokernel course</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em; line-height: 1.5; color: #222; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; padding: 0.4em 0.6em; border-bottom: 1px solid #ddd; vertical-align: top; }
code { background: #f4f4f4; padding: 0 0.2em; }
</style>
</head>
<body>
<h1>Concurrency in Go, with gokernel</h1>
<p>The course's lessons as they look once run: every cell executed by <code>gokernel run</code> and rendered by
Jupyter's nbconvert. To run them yourself, open the notebooks in Jupyter with the gokernel kernel. The solutions to the
exercises are left out of these pages; in Jupyter they are folded under each exercise.</p>
<p>这里是课程各课运行后的样子：每个单元格由 <code>gokernel run</code> 执行，再由 Jupyter 的 nbconvert 生成网页。
要自己运行，请在 Jupyter 中用 gokernel 内核打开这些笔记本。练习的答案没有放在这些网页里；在 Jupyter 中它们折叠在每个练习下面。</p>
<table>
<tr><th></th><th>English</th><th>中文</th></tr>
{{- range .}}
<tr><td>{{slice .Name 0 2}}</td><td>{{if .EN}}<a href="{{.EN}}">{{.TitleEN}}</a>{{end}}</td><td>{{if .ZH}}<a href="{{.ZH}}">{{.TitleZH}}</a>{{end}}</td></tr>
{{- end}}
</table>
<p>Made by <code>go run ./cmd/gokernel docs</code> from the repository's <code>notebooks/</code>.</p>
</body>
</html>
`))
