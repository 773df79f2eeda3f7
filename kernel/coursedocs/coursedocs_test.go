package coursedocs

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsAreCurrent fails when a lesson changed, appeared or went away
// since docs/ was made: the pages must show the lessons as they are.
func TestDocsAreCurrent(t *testing.T) {
	for _, p := range Check("../../notebooks", "../../docs") {
		t.Error(p)
	}
}

func TestLessonsFindsEveryLessonInBothLanguages(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"01-a.ipynb", "02-b.ipynb", "zh/01-a.ipynb", "demo.ipynb", "zh/notes.md", "3-bad.ipynb"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte("{}"), 0o644)
	}
	os.MkdirAll(filepath.Join(dir, "assignments"), 0o755)
	os.WriteFile(filepath.Join(dir, "assignments", "01-x.ipynb"), []byte("{}"), 0o644)
	got, err := Lessons(dir)
	if err != nil {
		t.Fatal(err)
	}
	var pages []string
	for _, l := range got {
		pages = append(pages, l.Lang+":"+l.Page)
	}
	if want := "en:01-a.html en:02-b.html zh:zh/01-a.html"; strings.Join(pages, " ") != want {
		t.Errorf("Lessons = %v, want %s", pages, want)
	}
}

func TestFinishPage(t *testing.T) {
	nbconvertPage := `<!DOCTYPE html>
<html>
<head><meta charset="utf-8" />
<title>02</title><script src="file:///usr/share/javascript/requirejs/require.min.js"></script>
<style type="text/css">.a { color: red }</style>
<style type="text/css">.b { color: blue }</style>
<script src="file:///usr/share/javascript/mathjax/MathJax.js?config=TeX"> </script>
</head>
<body class="jp-Notebook">
<div class="highlight"><pre><span></span><span class="nx">x</span> <span class="o">:=</span> <span class="s">"a &lt; b"</span>
</pre></div>
</body>
</html>`
	shared := pageStyle(nbconvertPage)
	l := Lesson{Source: "notebooks/zh/02-b.ipynb", Page: "zh/02-b.html", Lang: "zh"}
	page := finishPage(nbconvertPage, pageInfo{lesson: l, hash: "abc", title: "2. 创建 <线程>", other: "02-b.html", sharedCSS: shared})
	for _, want := range []string{
		`<link rel="stylesheet" href="../nbconvert.css">`,
		`<title>2. 创建 &lt;线程&gt;</title>`,
		`<meta name="gokernel-source-sha256" content="abc">`,
		`<a href="../index.html">全部课程</a> · <a href="../02-b.html">English</a>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s:\n%s", want, page)
		}
	}
	for _, gone := range []string{"file://", "<style", "color: red"} {
		if strings.Contains(page, gone) {
			t.Errorf("the page still has %q:\n%s", gone, page)
		}
	}
	if meta := pageMeta(page); meta[metaHash] != "abc" || meta[metaSource] != "notebooks/zh/02-b.ipynb" {
		t.Errorf("pageMeta = %v", meta)
	}
	if text := pageText(page); !strings.Contains(text, `x := "a < b"`) {
		t.Errorf("pageText lost the code: %q", text)
	}
	// A page whose style is not the shared one keeps its own.
	if kept := finishPage(nbconvertPage, pageInfo{lesson: l, sharedCSS: ".other {}"}); !strings.Contains(kept, "color: red") || strings.Contains(kept, Stylesheet) {
		t.Errorf("a page with its own style lost it:\n%s", kept)
	}
}

// TestBuildAndCheck makes the docs of a small course of one lesson in two
// languages with the real gokernel and nbconvert, then changes the course
// under the pages and checks that Check notices each change.
func TestBuildAndCheck(t *testing.T) {
	nbconvert, err := FindNBConvert()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skipf("SKIPPED: %v", err)
	}
	exe := filepath.Join(t.TempDir(), "gokernel")
	if out, err := exec.Command("go", "build", "-o", exe, "../../cmd/gokernel").CombinedOutput(); err != nil {
		t.Fatalf("building gokernel: %v\n%s", err, out)
	}
	course := t.TempDir()
	writeLesson(t, filepath.Join(course, "01-hello.ipynb"), "# 1. Hello", `fmt.Println("hello from the cell", 6*7)`)
	writeLesson(t, filepath.Join(course, "zh", "01-hello.ipynb"), "# 1. 你好", `fmt.Println("hello from the cell", 6*7)`)
	docs := filepath.Join(t.TempDir(), "docs")
	os.MkdirAll(docs, 0o755)
	os.WriteFile(filepath.Join(docs, "09-gone.html"), []byte("an old lesson"), 0o644)
	cfg := Config{Exe: exe, NBConvert: nbconvert, Notebooks: course, Out: docs}
	if err := Build(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if problems := Check(course, docs); len(problems) > 0 {
		t.Fatalf("Check after Build: %v", problems)
	}
	page, _ := os.ReadFile(filepath.Join(docs, "zh", "01-hello.html"))
	for _, want := range []string{"hello from the cell 42", "<title>1. 你好</title>", `href="../01-hello.html"`} {
		if !strings.Contains(pageText(string(page))+string(page), want) {
			t.Errorf("zh/01-hello.html lacks %q", want)
		}
	}
	if strings.Contains(string(page), "the folded answer") {
		t.Error("the solution cell is on the page")
	}
	if _, err := os.Stat(filepath.Join(docs, "09-gone.html")); err == nil {
		t.Error("the page of a lesson that is gone was kept")
	}

	// Building again runs only what changed: nothing here.
	var progress strings.Builder
	again := cfg
	again.Progress = &progress
	if err := Build(context.Background(), again); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(progress.String(), "running") || strings.Count(progress.String(), "page current, kept") != 2 {
		t.Errorf("a second build of an unchanged course ran lessons:\n%s", progress.String())
	}
	if kept, _ := os.ReadFile(filepath.Join(docs, "zh", "01-hello.html")); string(kept) != string(page) {
		t.Error("a second build changed a page whose lesson did not change")
	}

	// The course changes under the pages: each change is noticed.
	writeLesson(t, filepath.Join(course, "zh", "01-hello.ipynb"), "# 1. 你好", `fmt.Println("changed", 6*7)`)
	writeLesson(t, filepath.Join(course, "02-new.ipynb"), "# 2. New", `fmt.Println(2)`)
	problems := strings.Join(Check(course, docs), "\n")
	for _, want := range []string{"zh/01-hello.html was made from another version", "does not show code cell 1", "02-new.ipynb has no page"} {
		if !strings.Contains(problems, want) {
			t.Errorf("Check did not say %q:\n%s", want, problems)
		}
	}

	// A lesson that fails stops the build, and the pages stay as they were.
	before, _ := os.ReadFile(filepath.Join(docs, "index.html"))
	writeLesson(t, filepath.Join(course, "02-new.ipynb"), "# 2. New", `panic("a broken lesson")`)
	err = Build(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "02-new.ipynb") {
		t.Errorf("Build with a failing lesson: %v, want an error naming it", err)
	}
	if after, _ := os.ReadFile(filepath.Join(docs, "index.html")); string(after) != string(before) {
		t.Error("a failed build changed index.html")
	}
}

// writeLesson writes a lesson: a heading, a code cell and a solution.
func writeLesson(t *testing.T, path, heading, code string) {
	t.Helper()
	nb := map[string]any{
		"cells": []any{
			map[string]any{"cell_type": "markdown", "id": "a", "metadata": map[string]any{}, "source": heading},
			map[string]any{"cell_type": "code", "id": "b", "metadata": map[string]any{}, "source": code, "outputs": []any{}, "execution_count": nil},
			map[string]any{"cell_type": "markdown", "id": "c", "metadata": map[string]any{"tags": []string{"solution"}}, "source": "the folded answer"},
		},
		"metadata": map[string]any{"kernelspec": map[string]any{"name": "gokernel", "display_name": "Go (gokernel)", "language": "go"}},
		"nbformat": 4, "nbformat_minor": 5,
	}
	b, _ := json.Marshal(nb)
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
