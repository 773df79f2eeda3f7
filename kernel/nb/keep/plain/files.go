package plain

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// The files through which the kernel and a cell program exchange kept
// values: the plan the kernel writes before the program runs, the report the
// program writes when its cell ends, and a file of values per group of
// variables. They are this package's, not keep's, so that a program that
// loads only plain values reads them without linking keep's codec.

// Environment variables through which the kernel tells a cell program where
// its kept values are. Without them (a program run by hand) loading and
// saving do nothing.
const (
	// EnvIn names the load plan: which file holds which variables, and how
	// many bytes the program may keep (see Plan).
	EnvIn = "GOKERNEL_KEEP_IN"
	// EnvOut names the report the program writes when its cell ends
	// normally: the files it saved and the variables that could not carry.
	EnvOut = "GOKERNEL_KEEP_OUT"
)

// Plan is what the kernel tells a cell program: the directory of the kept
// values, which file holds which variables, and how many bytes the program
// may keep.
type Plan struct {
	Dir    string
	Budget int64
	Groups []Group
}

// Group is a file of kept values and the variables it holds, in order.
type Group struct {
	File  string
	Size  int64
	Names []string
}

// Report is what a cell program says about the values it kept: the files
// it wrote and the variables that could not carry, with the reason.
type Report struct {
	Groups []Group
	Failed map[string]string
	// Limited are the names of Failed that the limits on kept values
	// (GOKERNEL_STATE_MAX, the disk) left out, not their types: the cell
	// that made them is told at once, as it cannot be by the type checker.
	Limited []string
	// Dyn are "NAME pkgpath.Type": a named type the variable NAME holds
	// inside an interface, which a program loading it must register.
	Dyn []string
}

// LoadError is a kept variable that could not be loaded.
type LoadError struct {
	Name string
	Err  error
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("the kept value of %s could not be loaded (%v); it is forgotten, run the cell again", e.Name, e.Err)
}

// The plan and the report are lines of text (no encoding/json in cells):
//
//	dir DIR / budget N / group FILE SIZE NAME... / failed NAME REASON / dyn NAME TYPE

// WritePlan writes p to path (mode 0600).
func WritePlan(path string, p *Plan) error {
	var b strings.Builder
	fmt.Fprintf(&b, "dir %s\nbudget %d\n", p.Dir, p.Budget)
	writeGroups(&b, p.Groups)
	os.Remove(path)
	return WritePrivate(path, []byte(b.String()))
}

func writeGroups(b *strings.Builder, gs []Group) {
	for _, g := range gs {
		fmt.Fprintf(b, "group %s %d %s\n", g.File, g.Size, strings.Join(g.Names, " "))
	}
}

// ReadPlan reads a plan written by WritePlan.
func ReadPlan(path string) (*Plan, error) {
	p := &Plan{}
	err := readLines(path, func(word, rest string) error {
		switch word {
		case "dir":
			p.Dir = rest
		case "budget":
			n, err := strconv.ParseInt(rest, 10, 64)
			if err != nil {
				return err
			}
			p.Budget = n
		case "group":
			g, err := parseGroup(rest)
			if err != nil {
				return err
			}
			p.Groups = append(p.Groups, g)
		}
		return nil
	})
	return p, err
}

// WriteReport writes r to path (mode 0600).
func WriteReport(path string, r *Report) error {
	var b strings.Builder
	writeGroups(&b, r.Groups)
	for name, why := range r.Failed {
		fmt.Fprintf(&b, "failed %s %s\n", name, oneLine(why))
	}
	for _, name := range r.Limited {
		fmt.Fprintf(&b, "limited %s\n", name)
	}
	for _, d := range r.Dyn {
		fmt.Fprintf(&b, "dyn %s\n", d)
	}
	os.Remove(path)
	return WritePrivate(path, []byte(b.String()))
}

// ReadReport reads what a cell program reported (see WriteReport).
func ReadReport(path string) (*Report, error) {
	r := &Report{Failed: map[string]string{}}
	err := readLines(path, func(word, rest string) error {
		switch word {
		case "group":
			g, err := parseGroup(rest)
			if err != nil {
				return err
			}
			r.Groups = append(r.Groups, g)
		case "failed":
			name, why, _ := strings.Cut(rest, " ")
			r.Failed[name] = why
		case "limited":
			r.Limited = append(r.Limited, rest)
		case "dyn":
			r.Dyn = append(r.Dyn, rest)
		}
		return nil
	})
	return r, err
}

// oneLine writes s on one line (strings.ReplaceAll would link ≈ 2 kB more
// into every cell).
func oneLine(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}

func parseGroup(rest string) (Group, error) {
	f := strings.Split(rest, " ") // written with single spaces (writeGroups)
	if len(f) < 3 {
		return Group{}, fmt.Errorf("keep: bad group line %q", rest)
	}
	size, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return Group{}, err
	}
	return Group{File: f[0], Size: size, Names: f[2:]}, nil
}

func readLines(path string, each func(word, rest string) error) error {
	b, err := readWhole(path, -1)
	if err != nil {
		return err
	}
	for line := range strings.Lines(string(b)) {
		word, rest, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		if err := each(word, rest); err != nil {
			return err
		}
	}
	return nil
}

// readWhole reads the file at path, of size bytes (-1: unknown). It uses
// no os.ReadFile or os.Stat: their os.FileInfo holds a time.Time, which
// links all of package time's formatting and time zone loading into every
// cell.
func readWhole(path string, size int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size < 0 {
		return io.ReadAll(f)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("%s is shorter than the %d bytes kept", path, size)
	}
	if n, _ := f.Read(make([]byte, 1)); n > 0 {
		return nil, fmt.Errorf("%s is longer than the %d bytes kept", path, size)
	}
	return b, nil
}

// WritePrivate writes a file only its owner can read, without following
// a link planted at its name.
func WritePrivate(path string, parts ...[]byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if _, err := f.Write(p); err != nil {
			f.Close()
			os.Remove(path)
			return err
		}
	}
	return f.Close()
}

// Join is filepath.Join for a directory and a file name in it (package
// path/filepath is one more package to link into every cell).
func Join(dir, name string) string { return dir + string(os.PathSeparator) + name }

// A file of values starts with a header: magic, the number of variables,
// then each one's name and the fingerprint of its type (see keep's
// Fingerprint); their values follow in that order. The values of the
// predeclared types are written as keep's codec writes them (see decode).
const magic = "gokernel-keep-2\n" // 2: keep's slices and pointers refer to regions

// AppendHeader appends the header of a file holding the variables names,
// whose types have the fingerprints fps.
func AppendHeader(b []byte, names, fps []string) []byte {
	b = append(b, magic...)
	b = AppendUvarint(b, uint64(len(names)))
	for i, n := range names {
		b = appendString(b, n)
		b = appendString(b, fps[i])
	}
	return b
}

// ReadHeader checks that the file b holds the variables vars, in order,
// with types of fingerprints fps, and returns what follows the header: their
// values.
func ReadHeader(b []byte, vars []Var, fps []string) ([]byte, error) {
	if !strings.HasPrefix(string(b[:min(len(b), len(magic))]), magic) {
		return nil, &LoadError{Name: vars[0].Name, Err: errors.New("not a file of kept values")}
	}
	r := reader(b[len(magic):])
	n, ok := r.uvarint()
	if !ok || n != uint64(len(vars)) {
		return nil, &LoadError{Name: vars[0].Name, Err: errors.New("the file holds other variables")}
	}
	for i, v := range vars {
		name, ok1 := r.str()
		fp, ok2 := r.str()
		if !ok1 || !ok2 || name != v.Name {
			return nil, &LoadError{Name: v.Name, Err: errors.New("the file holds other variables")}
		}
		if fp != fps[i] {
			return nil, &LoadError{Name: v.Name, Err: errors.New("its type changed since it was kept")}
		}
	}
	return []byte(r), nil
}

func appendString(b []byte, s string) []byte {
	b = AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
