package coursedocs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// outputArea is an element nbconvert makes for a cell's output.
var outputArea = regexp.MustCompile(`class="[^"]*\bjp-OutputArea-output\b`)

// Check says how the docs folder fails to show the lessons in notebooksDir
// as they are now; nil when it is current. It runs nothing: a page records
// the hash of the notebook it was made from, which must be the lesson's
// hash today; every code cell of the lesson must appear in the page's text;
// the page must show outputs (it was executed); the index must link every
// page; and no page may remain of a lesson that is gone.
func Check(notebooksDir, docsDir string) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	const fix = "run `go run ./cmd/gokernel docs`"
	lessons, err := Lessons(notebooksDir)
	if err != nil {
		return []string{err.Error()}
	}
	if len(lessons) == 0 {
		return []string{"no lessons in " + notebooksDir}
	}
	index, err := os.ReadFile(filepath.Join(docsDir, "index.html"))
	if err != nil {
		add("%s: %v (%s)", filepath.Join(docsDir, "index.html"), err, fix)
	}
	if _, err := os.Stat(filepath.Join(docsDir, Stylesheet)); err != nil {
		add("%s: %v (%s)", filepath.Join(docsDir, Stylesheet), err, fix)
	}
	want := map[string]bool{}
	for _, l := range lessons {
		want[l.Page] = true
		pagePath := filepath.Join(docsDir, filepath.FromSlash(l.Page))
		b, err := os.ReadFile(pagePath)
		if err != nil {
			add("%s has no page: %v (%s)", l.Source, err, fix)
			continue
		}
		page := string(b)
		hash, err := sourceHash(l.Source)
		if err != nil {
			add("%v", err)
			continue
		}
		if got := pageMeta(page)[metaHash]; got != hash {
			add("%s was made from another version of %s (%s)", pagePath, l.Source, fix)
		}
		cells, err := readLesson(l.Source)
		if err != nil {
			add("%s: %v", l.Source, err)
			continue
		}
		text := pageText(page)
		for i, code := range cells.Code {
			if !strings.Contains(text, collapse(code)) {
				add("%s does not show code cell %d of %s: %.60q… (%s)", pagePath, i+1, l.Source, collapse(code), fix)
				break
			}
		}
		if !outputArea.MatchString(page) {
			add("%s shows no outputs: it was not made from an executed notebook (%s)", pagePath, fix)
		}
		if index != nil && !strings.Contains(string(index), `href="`+l.Page+`"`) {
			add("index.html does not link %s (%s)", l.Page, fix)
		}
	}
	existing, err := lessonPages(docsDir)
	if err != nil {
		add("%v", err)
	}
	for _, p := range existing {
		if !want[p] {
			add("%s is the page of a lesson that no longer exists (%s)", filepath.Join(docsDir, filepath.FromSlash(p)), fix)
		}
	}
	return problems
}
