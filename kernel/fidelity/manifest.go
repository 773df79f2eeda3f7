package fidelity

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Manifest is testdata/programs.json: where the programs come from and what
// each one's output may vary in.
type Manifest struct {
	Sources  map[string]Source `json:"sources"`
	Programs []Program         `json:"programs"`
}

// Source cites where programs were taken from.
type Source struct {
	Repository string `json:"repository"`
	Commit     string `json:"commit"`
	License    string `json:"license"`
	Note       string `json:"note"`
}

// Program is one program of the suite.
type Program struct {
	Name   string `json:"name"`
	File   string `json:"file"`   // the program, relative to the manifest's directory
	Source string `json:"source"` // a key of Manifest.Sources
	// Tutorial, when set, is a file holding the standard output the source
	// recorded for the program; the baseline must match it once normalised,
	// which keeps the normalisations honest (they map another machine's run
	// and ours to the same text).
	Tutorial string `json:"tutorial,omitempty"`
	// Unordered: the program prints from several goroutines, so its lines
	// are compared sorted.
	Unordered bool `json:"unordered,omitempty"`
	// Masks replace what the program prints that varies from run to run
	// (times, counts of operations done in a fixed time).
	Masks []Mask `json:"masks,omitempty"`
	// Varies says why Unordered or Masks are needed; required with them.
	Varies string `json:"varies,omitempty"`
	// Timing, when set, says how the program's output depends on its
	// sleeps keeping time (a timeout a second after a result is due): on a
	// machine too busy for that, go run's output changes too, so a case
	// that differs is run again, with a new go run, up to timingAttempts.
	Timing string `json:"timing,omitempty"`

	dir   string
	masks []*regexp.Regexp
}

// Mask is one replacement made before comparing outputs.
type Mask struct {
	Pattern string `json:"pattern"` // a regexp
	Replace string `json:"replace"` // its replacement ($1 expands)
}

// ReadManifest reads and checks the manifest at path.
func ReadManifest(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	dir := filepath.Dir(path)
	seen := map[string]bool{}
	var problems []error
	for i := range m.Programs {
		p := &m.Programs[i]
		p.dir = dir
		if err := m.check(p, seen); err != nil {
			problems = append(problems, fmt.Errorf("program %d (%q): %w", i, p.Name, err))
		}
	}
	if err := errors.Join(problems...); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

func (m *Manifest) check(p *Program, seen map[string]bool) error {
	switch {
	case p.Name == "" || strings.ContainsAny(p.Name, "/ "):
		return errors.New("a name without slashes or spaces is needed")
	case seen[p.Name]:
		return errors.New("name used twice")
	case p.File == "":
		return errors.New("file is needed")
	case (p.Unordered || len(p.Masks) > 0) && p.Varies == "":
		return errors.New("unordered or masks need varies: what the program says varies")
	}
	seen[p.Name] = true
	if _, ok := m.Sources[p.Source]; !ok {
		return fmt.Errorf("source %q is not among the sources", p.Source)
	}
	for _, f := range []string{p.File, p.Tutorial} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(p.dir, f)); err != nil {
			return err
		}
	}
	return p.compileMasks()
}

// compileMasks readies the masks for Normalize.
func (p *Program) compileMasks() error {
	p.masks = nil
	for _, mask := range p.Masks {
		re, err := regexp.Compile(mask.Pattern)
		if err != nil {
			return err
		}
		p.masks = append(p.masks, re)
	}
	return nil
}

// Code returns the program's source text.
func (p *Program) Code() (string, error) {
	data, err := os.ReadFile(filepath.Join(p.dir, p.File))
	return string(data), err
}

// TutorialOutput returns the standard output the source recorded, or ""
// and false when the manifest names none.
func (p *Program) TutorialOutput() (string, bool, error) {
	if p.Tutorial == "" {
		return "", false, nil
	}
	data, err := os.ReadFile(filepath.Join(p.dir, p.Tutorial))
	return string(data), true, err
}

// Normalize applies the program's masks, then sorts the lines of an
// unordered program. Nothing else is changed: a missing newline or a
// lost line is a difference.
func (p *Program) Normalize(out string) string {
	for i, re := range p.masks {
		out = re.ReplaceAllString(out, p.Masks[i].Replace)
	}
	if !p.Unordered {
		return out
	}
	lines := strings.SplitAfter(out, "\n")
	if last := lines[len(lines)-1]; last == "" {
		lines = lines[:len(lines)-1]
	} else {
		// An unterminated last line is kept distinguishable from a
		// terminated one wherever sorting puts it.
		lines[len(lines)-1] = last + "⟨no newline⟩\n"
	}
	slices.Sort(lines)
	return strings.Join(lines, "")
}
