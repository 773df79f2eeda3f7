package coursedocs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Lesson is one lesson notebook and its page.
type Lesson struct {
	Source string // the notebook: notebooks/03-locks.ipynb, notebooks/zh/03-locks.ipynb
	Page   string // its page, relative to the docs folder: 03-locks.html, zh/03-locks.html
	Lang   string // "en" or "zh"
}

// lessonName is how a lesson's file is named: two digits, a dash, a name.
var lessonName = regexp.MustCompile(`^[0-9][0-9]-[a-z0-9-]+\.ipynb$`)

// Lessons lists the lessons in notebooksDir (NN-name.ipynb, English) and its
// zh/ folder (中文), in order, English first.
func Lessons(notebooksDir string) ([]Lesson, error) {
	var out []Lesson
	for _, lang := range []string{"en", "zh"} {
		dir, prefix := notebooksDir, ""
		if lang == "zh" {
			dir, prefix = filepath.Join(notebooksDir, "zh"), "zh/"
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, e := range entries {
			if e.Type().IsRegular() && lessonName.MatchString(e.Name()) {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		for _, n := range names {
			out = append(out, Lesson{Source: filepath.Join(dir, n), Page: prefix + strings.TrimSuffix(n, ".ipynb") + ".html", Lang: lang})
		}
	}
	return out, nil
}

// sourceHash is the SHA-256 of a lesson file, as its page records it.
func sourceHash(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// lessonCells is what Check and the index need from a lesson notebook.
type lessonCells struct {
	Title string   // the first markdown heading
	Code  []string // the code cells' sources
}

func readLesson(path string) (lessonCells, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return lessonCells{}, err
	}
	var nb struct {
		Cells []struct {
			Type   string          `json:"cell_type"`
			Source json.RawMessage `json:"source"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(b, &nb); err != nil {
		return lessonCells{}, err
	}
	var l lessonCells
	for _, c := range nb.Cells {
		src := joinSource(c.Source)
		switch {
		case c.Type == "code":
			l.Code = append(l.Code, src)
		case c.Type == "markdown" && l.Title == "":
			for _, line := range strings.Split(src, "\n") {
				if t, ok := strings.CutPrefix(line, "# "); ok {
					l.Title = strings.TrimSpace(t)
					break
				}
			}
		}
	}
	if l.Title == "" {
		l.Title = strings.TrimSuffix(filepath.Base(path), ".ipynb")
	}
	return l, nil
}

// joinSource reads a cell source, which nbformat allows as a string or a list of lines.
func joinSource(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var lines []string
	json.Unmarshal(raw, &lines)
	return strings.Join(lines, "")
}
