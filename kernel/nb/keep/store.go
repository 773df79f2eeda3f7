package keep

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/gokernel/gokernel/kernel/nb/keep/plain"
)

// Store is the kernel's side: which variables are kept, the Go type each is
// declared with in later programs, and the file holding its value. The files
// live in a private directory (0700, files 0600) of the kernel's workspace,
// never in the notebook.
//
// A cell's program changes nothing here by itself: the kernel commits what
// the program reported only when the cell succeeded (Commit), so a cell that
// fails to compile, panics, deadlocks, times out or is interrupted leaves
// every kept value as it was.
type Store struct {
	dir  string
	max  int64
	seq  int
	vars map[string]*Kept
	lost map[string]Lost
}

// Kept is one kept variable.
type Kept struct {
	Name string
	// Type is the Go type as later programs declare the variable: types
	// of the cells by name, others through the package aliases in Imports.
	Type    string
	Imports map[string]string // alias -> import path
	// Deps are the cell-declared types Type is made of, with the text of
	// their declaration when the value was kept: a changed declaration
	// drops the value (the bytes are laid out for the old type).
	Deps map[string]string
	// Decl is the text of the variable's package-level var declaration
	// (var data = load()) when it has one; "" when it was made with := in
	// a cell. A changed declaration drops the value.
	Decl string
	// Dyn are the named types ("pkgpath.Name") the value holds inside
	// interfaces: a program that loads it registers them.
	Dyn []string
	// Plain is the Fingerprint of Type when package keep/plain keeps such
	// values: a predeclared type (".int"), or a type a cell declares on
	// one ("main.celsius=float64"); "" for any other type.
	Plain string
	// Cell is the cell that last saved the value (a cell saves the values
	// it may have changed); Made is the cell whose := or var declaration
	// made the variable (0: Cell).
	Cell  int
	Made  int
	group *Group
}

// Size is the size of the file holding the variable's value (with the
// variables it shares memory with).
func (k *Kept) Size() int64 { return k.group.Size }

// Group lists the variables kept together with k (k's included): they share
// memory, so a program that uses one loads them all.
func (k *Kept) Group() []string { return k.group.Names }

// Lost says why a variable's value did not carry over, for the note shown
// where a later cell uses it.
type Lost struct {
	Type   string // its Go type, when known
	Reason string
	Cell   int
	// Limited: the size cap or the disk left it out, not its type.
	Limited bool
}

// DefaultMax is the default cap on the size of all kept values.
const DefaultMax = 256 << 20

// NewStore opens an empty store in dir (created 0700). max caps the total
// size of kept values; 0 means DefaultMax.
func NewStore(dir string, max int64) (*Store, error) {
	if max <= 0 {
		max = DefaultMax
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("keep: %s is not a private directory", dir)
	}
	return &Store{dir: dir, max: max, vars: map[string]*Kept{}, lost: map[string]Lost{}}, nil
}

// MaxFromEnv reads GOKERNEL_STATE_MAX (256MB, 1GB, a byte count); 0 when unset.
func MaxFromEnv() (int64, error) {
	s := strings.TrimSpace(os.Getenv("GOKERNEL_STATE_MAX"))
	if s == "" {
		return 0, nil
	}
	return ParseSize(s)
}

// ParseSize reads a size written as 1024, 64kB, 256MB or 1GB.
func ParseSize(s string) (int64, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, suf := range []struct {
		s string
		m int64
	}{{"GB", 1 << 30}, {"G", 1 << 30}, {"MB", 1 << 20}, {"M", 1 << 20}, {"KB", 1 << 10}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(u, suf.s) {
			u, mult = strings.TrimSpace(strings.TrimSuffix(u, suf.s)), suf.m
			break
		}
	}
	n, err := strconv.ParseInt(u, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q (write it as 256MB or 1GB)", s)
	}
	return n * mult, nil
}

// Max is the cap on the size of all kept values.
func (s *Store) Max() int64 { return s.max }

// Lookup returns the kept variable called name.
func (s *Store) Lookup(name string) (*Kept, bool) {
	k, ok := s.vars[name]
	return k, ok
}

// LostValue says why name's value did not carry over, if it did not.
func (s *Store) LostValue(name string) (Lost, bool) {
	l, ok := s.lost[name]
	return l, ok
}

// Names lists the kept variables, sorted.
func (s *Store) Names() []string {
	names := make([]string, 0, len(s.vars))
	for n := range s.vars {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Total is the size of all kept values.
func (s *Store) Total() int64 {
	var n int64
	for g := range s.groups() {
		n += g.Size
	}
	return n
}

func (s *Store) groups() map[*Group]bool {
	gs := map[*Group]bool{}
	for _, k := range s.vars {
		gs[k.group] = true
	}
	return gs
}

// Session is one program's use of the store: the plan it loads from and the
// report it writes.
type Session struct {
	PlanFile, ReportFile string
	prefix               string
}

// Env is the environment that tells the program where its plan and report are.
func (ss *Session) Env() []string {
	return []string{EnvIn + "=" + ss.PlanFile, EnvOut + "=" + ss.ReportFile}
}

// Begin writes the plan of a program that loads the variables load (whole
// groups: see Kept.Group) and saves those in save: it may save up to what
// the cap leaves beside the values it does not save again (a value it only
// reads stays as it is, and counts).
func (s *Store) Begin(load, save []string) (*Session, error) {
	s.seq++
	prefix := "s" + strconv.Itoa(s.seq)
	ss := &Session{PlanFile: plain.Join(s.dir, prefix+".plan"), ReportFile: plain.Join(s.dir, prefix+".report"), prefix: prefix}
	loaded := map[*Group]bool{}
	plan := &Plan{Dir: s.dir}
	for _, n := range load {
		if k, ok := s.vars[n]; ok && !loaded[k.group] {
			loaded[k.group] = true
			plan.Groups = append(plan.Groups, *k.group)
		}
	}
	var others int64
	for g := range s.groups() {
		if !slices.ContainsFunc(g.Names, func(n string) bool { return slices.Contains(save, n) }) {
			others += g.Size
		}
	}
	plan.Budget = max(s.max-others, 0)
	return ss, plain.WritePlan(ss.PlanFile, plan)
}

// Commit takes what a successful cell's program reported: the variables
// it saved (their types in types, by name) replace the kept ones; those
// that failed are forgotten, with the reason kept for a later note; so are
// the names in replaced (the cell declared them anew) that it did not save.
func (s *Store) Commit(ss *Session, types map[string]Kept, replaced map[string]Lost, cell int) error {
	rep := &Report{}
	if ss != nil {
		defer s.cleanup(ss)
		var err error
		if rep, err = plain.ReadReport(ss.ReportFile); errors.Is(err, os.ErrNotExist) {
			rep = &Report{} // the program ended (os.Exit(0)) before saving
		} else if err != nil {
			return err
		}
	}
	for name, l := range replaced {
		s.forget(name)
		if l.Reason != "" {
			l.Cell = cell
			s.lost[name] = l
		} else {
			delete(s.lost, name)
		}
	}
	for name, why := range rep.Failed {
		t := ""
		if k, ok := types[name]; ok {
			t = k.Type
		} else if k, ok := s.vars[name]; ok {
			t = k.Type
		}
		s.forget(name)
		s.lost[name] = Lost{Type: t, Reason: why, Cell: cell, Limited: slices.Contains(rep.Limited, name)}
	}
	for _, g := range rep.Groups {
		g := g
		for _, name := range g.Names {
			k, ok := types[name]
			if !ok {
				old, had := s.vars[name]
				if !had {
					continue // nothing says how to declare it: not kept
				}
				k = *old
			}
			k.Name, k.group, k.Cell = name, &g, cell
			if old, had := s.vars[name]; had && old.group.File == g.File {
				k.Cell = old.Cell // the program found the bytes unchanged in the file kept (see Save)
			}
			if k.Made == 0 {
				k.Made = cell
			}
			k.Dyn = nil
			for _, d := range rep.Dyn {
				if n, t, _ := strings.Cut(d, " "); n == name {
					k.Dyn = append(k.Dyn, t)
				}
			}
			s.forget(name)
			s.vars[name] = &k
			delete(s.lost, name)
		}
	}
	s.removeUnused()
	return nil
}

// Abort ends a session whose cell failed: nothing changes, except that a
// variable the program could not load is forgotten (it would fail every
// time); its name and why are returned for a note.
func (s *Store) Abort(ss *Session) map[string]string {
	defer s.cleanup(ss)
	rep, err := plain.ReadReport(ss.ReportFile)
	if err != nil {
		return nil
	}
	for name, why := range rep.Failed {
		if k, ok := s.vars[name]; ok {
			for _, n := range k.Group() {
				s.forget(n)
				s.lost[n] = Lost{Type: k.Type, Reason: "its kept value could not be loaded: " + why, Cell: k.Cell}
			}
		}
	}
	s.removeUnused()
	return rep.Failed
}

// cleanup removes the session's plan and report, and files it wrote that
// no kept variable refers to.
func (s *Store) cleanup(ss *Session) {
	os.Remove(ss.PlanFile)
	os.Remove(ss.ReportFile)
	s.removeUnused()
}

// removeUnused removes the value files no kept variable needs.
func (s *Store) removeUnused() {
	used := map[string]bool{}
	for g := range s.groups() {
		used[g.File] = true
	}
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		n := e.Name()
		if !used[n] && !strings.HasSuffix(n, ".plan") && !strings.HasSuffix(n, ".report") {
			os.Remove(plain.Join(s.dir, n))
		}
	}
}

// forget drops name's value (and, since they share memory, nothing else:
// the others of its group keep the file).
func (s *Store) forget(name string) {
	k, ok := s.vars[name]
	if !ok {
		return
	}
	delete(s.vars, name)
	k.group.Names = slices.DeleteFunc(slices.Clone(k.group.Names), func(n string) bool { return n == name })
	for _, n := range k.group.Names {
		if o, ok := s.vars[n]; ok {
			o.group = k.group
		}
	}
}

// Drop forgets name's value, saying why (a type it is made of was
// redefined), and reports whether there was one.
func (s *Store) Drop(name, why string) bool {
	k, ok := s.vars[name]
	if !ok {
		return false
	}
	for _, n := range k.Group() {
		if n == name {
			continue
		}
		// The others share memory with it: they cannot load without it.
		o := s.vars[n]
		s.forget(n)
		s.lost[n] = Lost{Type: o.Type, Reason: "it shared memory with " + name + ", which was dropped: " + why, Cell: o.Cell}
	}
	s.forget(name)
	s.lost[name] = Lost{Type: k.Type, Reason: why, Cell: k.Cell}
	s.removeUnused()
	return true
}

// Forget forgets names (every kept value when names is empty) and why any
// did not carry; it reports how many values it forgot.
func (s *Store) Forget(names ...string) int {
	if len(names) == 0 {
		n := len(s.vars)
		clear(s.vars)
		clear(s.lost)
		s.removeUnused()
		return n
	}
	n := 0
	for _, name := range names {
		if k, ok := s.vars[name]; ok {
			for _, m := range k.Group() {
				if m != name {
					s.lost[m] = Lost{Type: s.vars[m].Type, Reason: "it shared memory with " + name + ", which %reset forgot", Cell: s.vars[m].Cell}
					s.forget(m)
				}
			}
			s.forget(name)
			n++
		}
		delete(s.lost, name)
	}
	s.removeUnused()
	return n
}

// Snapshot returns a copy of s to read while s changes (the engine plans
// builds ahead from it), with the variables in adds kept (each alone, or
// with the others of its group when they are all added again) and
// those in removes gone. The copy must not be committed to.
func (s *Store) Snapshot(adds map[string]Kept, removes []string) *Store {
	c := &Store{dir: s.dir, max: s.max, vars: make(map[string]*Kept, len(s.vars)+len(adds)), lost: make(map[string]Lost, len(s.lost))}
	for n, l := range s.lost {
		c.lost[n] = l
	}
	groups := map[*Group]*Group{}
	for n, k := range s.vars {
		g, ok := groups[k.group]
		if !ok {
			g = &Group{File: k.group.File, Size: k.group.Size, Names: slices.Clone(k.group.Names)}
			groups[k.group] = g
		}
		kk := *k
		kk.group = g
		c.vars[n] = &kk
	}
	for _, n := range removes {
		c.forget(n)
	}
	// A group added again whole stays a group: values that shared memory
	// most likely still do.
	for n := range adds {
		c.forget(n)
	}
	regrouped := map[*Group]*Group{}
	for n, k := range adds {
		g := &Group{Names: []string{n}}
		if old, ok := s.vars[n]; ok && len(old.group.Names) > 1 && !slices.ContainsFunc(old.group.Names, func(m string) bool { _, added := adds[m]; return !added }) {
			if regrouped[old.group] == nil {
				regrouped[old.group] = &Group{Names: slices.Sorted(slices.Values(old.group.Names))}
			}
			g = regrouped[old.group]
		}
		k.Name, k.group = n, g
		c.vars[n] = &k
	}
	return c
}
