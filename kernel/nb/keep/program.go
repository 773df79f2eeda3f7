package keep

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// What a cell links matters (every cell that keeps values links this
// package, and the link is most of a cell's time): the code that runs in
// cells uses only packages fmt links anyway (no bufio, bytes,
// encoding/binary, path/filepath), and never os.ReadFile or os.Stat, whose
// os.FileInfo holds a time.Time and so links all of package time's
// formatting and time zone loading. TestCellLinksLittle checks.

// Environment variables through which the kernel tells a cell program where
// its kept values are. Without them (a program run by hand) Load and Save do
// nothing.
const (
	// EnvIn names the load plan: which file holds which variables, and how
	// many bytes the program may keep (see Plan).
	EnvIn = "GOKERNEL_KEEP_IN"
	// EnvOut names the report the program writes when its cell ends
	// normally: the files it saved and the variables that could not carry.
	EnvOut = "GOKERNEL_KEEP_OUT"
)

// Var is one variable of a cell's program that the kernel keeps: its name
// and its address.
type Var struct {
	Name string
	Ptr  any
}

// Load fills vars with their kept values, as the plan in $GOKERNEL_KEEP_IN
// says. The generated main calls it first, before any of the cell's code,
// also in a child process started with nb.Process: the child starts from the
// same values as its cell. A value that cannot be loaded (its file is gone,
// its type changed) ends the program with status 3 after saying which, in
// the report too, so the kernel forgets it and the next run succeeds.
func Load(vars []Var) {
	in := os.Getenv(EnvIn)
	if in == "" {
		return
	}
	plan, err := ReadPlan(in)
	if err == nil {
		err = loadPlan(plan, vars)
		loaded, loadedDir = plan.Groups, plan.Dir
	}
	if err != nil {
		// Not errors.As: it links internal/reflectlite into every cell
		// (≈ 10 kB); this package's errors come back unwrapped.
		if le, ok := err.(*LoadError); ok {
			if out := os.Getenv(EnvOut); out != "" {
				writeReport(out, &Report{Failed: map[string]string{le.Name: le.Err.Error()}})
			}
		}
		fmt.Fprintf(os.Stderr, "gokernel: %v\n", err)
		os.Exit(3)
	}
}

// LoadError is a kept variable that could not be loaded.
type LoadError struct {
	Name string
	Err  error
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("the kept value of %s could not be loaded (%v); it is forgotten, run the cell again", e.Name, e.Err)
}

// loaded are the groups Load read, in directory loadedDir: Save writes a
// group of variables again only when its bytes changed (a cell that passes
// a 10 MB value to a func that only reads it writes nothing, and the kernel
// keeps the file).
var (
	loaded    []Group
	loadedDir string
)

// loadPlan loads the plan's groups into vars.
func loadPlan(plan *Plan, vars []Var) error {
	byName := map[string]Var{}
	for _, v := range vars {
		byName[v.Name] = v
	}
	for _, g := range plan.Groups {
		members := make([]Var, 0, len(g.Names))
		for _, n := range g.Names {
			v, ok := byName[n]
			if !ok {
				return &LoadError{Name: n, Err: errors.New("the program does not declare it")}
			}
			members = append(members, v)
		}
		b, release, err := mapFile(join(plan.Dir, g.File), g.Size)
		if err != nil {
			return &LoadError{Name: g.Names[0], Err: err}
		}
		err = decodeGroup(b, members) // nothing decoded points into b (see decoder)
		release()
		if err != nil {
			return err
		}
	}
	return nil
}

// unchanged returns the file Load read that holds exactly names and parts.
func unchanged(names []string, parts [][]byte) (string, bool) {
	var size int64
	for _, p := range parts {
		size += int64(len(p))
	}
	for _, g := range loaded {
		if g.Size != size || !slices.Equal(g.Names, names) {
			continue
		}
		// Mapped again rather than kept mapped since Load: the cell's
		// memory (a limit counts it) holds the value once while it runs.
		b, release, err := mapFile(join(loadedDir, g.File), g.Size)
		if err != nil {
			continue
		}
		same := true
		for rest, i := b, 0; same && i < len(parts); i++ {
			same = string(rest[:len(parts[i])]) == string(parts[i])
			rest = rest[len(parts[i]):]
		}
		release()
		if same {
			return g.File, true
		}
	}
	return "", false
}

// Save writes the values of vars when the cell's code has returned
// normally (a panic, os.Exit or runtime.Goexit never reaches it): one file
// for each group of variables that share pointers, and the report the kernel
// reads. A variable that cannot carry is named in the report with the
// reason; the others are saved all the same.
func Save(vars []Var) {
	out := os.Getenv(EnvOut)
	in := os.Getenv(EnvIn)
	if out == "" || in == "" {
		return
	}
	plan, err := ReadPlan(in)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gokernel: cannot keep this cell's values: %v\n", err)
		return
	}
	rep := saveGroupsReusing(plan.Dir, out[strings.LastIndexByte(out, os.PathSeparator)+1:], plan.Budget, vars, unchanged)
	if err := writeReport(out, rep); err != nil {
		fmt.Fprintf(os.Stderr, "gokernel: cannot keep this cell's values: %v\n", err)
	}
}

// saveGroups encodes vars, groups those that share memory, and writes a
// file per group named prefix-N.
func saveGroups(dir, prefix string, budget int64, vars []Var) *Report {
	return saveGroupsReusing(dir, prefix, budget, vars, func([]string, [][]byte) (string, bool) { return "", false })
}

// saveGroupsReusing is saveGroups writing no file for a group whose bytes
// reuse finds in a file kept already (it returns its name).
func saveGroupsReusing(dir, prefix string, budget int64, vars []Var, reuse func(names []string, parts [][]byte) (string, bool)) *Report {
	rep := &Report{Failed: map[string]string{}}
	// First the walk over all values: which memory they reach, and so
	// which variables share (see regions.go). Most share nothing and are
	// a group of one.
	mem := discover(vars)
	groups := map[int][]int{}
	var order []int
	for i := range vars {
		r := mem.find(i)
		if _, ok := groups[r]; !ok {
			order = append(order, r)
		}
		groups[r] = append(groups[r], i)
	}
	var total int64
	for n, r := range order {
		members := groups[r]
		names := make([]string, len(members))
		for k, i := range members {
			names[k] = vars[i].Name
		}
		data, dyn, bad, err := encodeGroup(vars, members, mem)
		if err != nil {
			rep.Failed[vars[bad].Name] = reasonFor(vars[bad].Name, err)
			// Values that share memory carry together or not at all.
			for _, i := range members {
				if i != bad {
					rep.Failed[vars[i].Name] = "it shares memory with " + vars[bad].Name + ", which cannot carry over"
				}
			}
			continue
		}
		var size int64
		for _, p := range data {
			size += int64(len(p))
		}
		if total+size > budget {
			for _, name := range names {
				rep.Failed[name] = fmt.Sprintf("kept values are limited to %s in all (GOKERNEL_STATE_MAX) and %s would take %s more",
					FormatSize(budget), strings.Join(names, ", "), FormatSize(size))
			}
			continue
		}
		file := fmt.Sprintf("%s-%d", prefix, n)
		if f, ok := reuse(names, data); ok {
			file = f // the kernel keeps that file: it holds these bytes already
		} else if err := writePrivate(join(dir, file), data...); err != nil {
			for _, name := range names {
				rep.Failed[name] = "it could not be written: " + err.Error()
			}
			continue
		}
		total += size
		rep.Groups = append(rep.Groups, Group{File: file, Size: size, Names: names})
		for k, i := range members {
			for t := range dyn[k] {
				if !builtinType(t) {
					rep.Dyn = append(rep.Dyn, vars[i].Name+" "+t)
				}
			}
		}
	}
	return rep
}

// reasonFor says why variable name cannot carry, without saying its name
// again: "a channel lives in one program", or "c.mu: it is locked" for a part.
func reasonFor(name string, err error) string {
	if ce, ok := err.(*CannotCarryError); ok {
		if ce.Path == name {
			return ce.Reason
		}
		return ce.Path + ": " + ce.Reason
	}
	return err.Error()
}

const groupMagic = "gokernel-keep-2\n" // 2: slices and pointers refer to regions

func encodeGroupHeader(vars []Var, members []int) []byte {
	b := []byte(groupMagic)
	b = appendUvarint(b, uint64(len(members)))
	for _, i := range members {
		b = appendString(b, vars[i].Name)
		b = appendString(b, Fingerprint(reflect.TypeOf(vars[i].Ptr).Elem()))
	}
	return b
}

// encodeGroup encodes the variables of a group in one file, with one table
// of regions, so that what they share comes back shared. It returns the
// named types each member holds inside interfaces, and on error which
// member's walk failed.
func encodeGroup(vars []Var, members []int, mem *memory) (data [][]byte, dyn []map[string]bool, bad int, err error) {
	e := &encoder{buf: encodeGroupHeader(vars, members), ptrs: map[ptrKey]uint64{}, mem: mem}
	roots := make([]reflect.Value, len(members))
	for k, i := range members {
		roots[k] = reflect.ValueOf(vars[i].Ptr).Elem()
		e.rootTypes = append(e.rootTypes, roots[k].Type())
		// Each variable is its own region, with ids in member order: a
		// pointer into it refers to where the loading program has it.
		if roots[k].Type().Size() == 0 {
			continue
		}
		ri, ok := mem.region(uintptr(roots[k].Addr().UnsafePointer()), roots[k].Type().Size())
		if !ok || mem.regions[ri].root != i {
			return nil, nil, i, &CannotCarryError{Path: vars[i].Name, Reason: "it changed while it was being saved (is a goroutine still running?)"}
		}
		mem.ids[ri] = uint64(k) + 1
	}
	e.nextRegion = uint64(len(members)) // a zero-size variable has no region but keeps its id
	for k, i := range members {
		e.dyn = map[string]bool{}
		if err := e.value(roots[k], vars[i].Name); err != nil {
			return nil, nil, i, err
		}
		dyn = append(dyn, e.dyn)
	}
	return e.out(), dyn, -1, nil
}

// decodeGroup loads a group's file into its members, in the order written.
func decodeGroup(b []byte, members []Var) error {
	if !strings.HasPrefix(string(b[:min(len(b), len(groupMagic))]), groupMagic) {
		return &LoadError{Name: members[0].Name, Err: errors.New("not a file of kept values")}
	}
	d := &decoder{buf: b[len(groupMagic):]}
	n, err := d.uvarint()
	if err != nil || n != uint64(len(members)) {
		return &LoadError{Name: members[0].Name, Err: errors.New("the file holds other variables")}
	}
	for _, m := range members {
		name, err1 := d.str()
		fp, err2 := d.str()
		if err1 != nil || err2 != nil || name != m.Name {
			return &LoadError{Name: m.Name, Err: errors.New("the file holds other variables")}
		}
		if want := Fingerprint(reflect.TypeOf(m.Ptr).Elem()); fp != want {
			return &LoadError{Name: m.Name, Err: errors.New("its type changed since it was kept")}
		}
	}
	// The values are read into the variables themselves, since pointers
	// of one may point into another (p := &arr[2]); what they held before
	// is put back if the file turns out damaged.
	before := make([]reflect.Value, len(members))
	for k, m := range members {
		dst := reflect.ValueOf(m.Ptr).Elem()
		before[k] = reflect.New(dst.Type()).Elem()
		before[k].Set(dst)
		d.roots = append(d.roots, regionSlot{base: dst.Addr().UnsafePointer(), view: view{dst.Type(), -1}})
	}
	d.regions = append(d.regions, d.roots...)
	for _, m := range members {
		if err := d.value(reflect.ValueOf(m.Ptr).Elem(), 0); err != nil {
			for k, o := range members {
				reflect.ValueOf(o.Ptr).Elem().Set(before[k])
			}
			return &LoadError{Name: m.Name, Err: err}
		}
	}
	return nil
}

func (d *decoder) str() (string, error) {
	n, err := d.length(1)
	if err != nil {
		return "", err
	}
	b, err := d.take(uint64(n))
	return string(b), err
}

func appendString(b []byte, s string) []byte {
	b = appendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// writePrivate writes a file only its owner can read, without following
// a link planted at its name.
func writePrivate(path string, parts ...[]byte) error {
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
	// Dyn are "NAME pkgpath.Type": a named type the variable NAME holds
	// inside an interface, which a program loading it must register.
	Dyn []string
}

// builtinType says whether the registry always knows the type (keyed as
// typeKey): the basic types and the errors of errors.New and fmt.Errorf.
func builtinType(key string) bool {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return builtins[key]
}

// The plan and the report are lines of text (no encoding/json in cells):
//
//	dir DIR / budget N / group FILE SIZE NAME... / failed NAME REASON

// WritePlan writes p to path (mode 0600).
func WritePlan(path string, p *Plan) error {
	var b strings.Builder
	fmt.Fprintf(&b, "dir %s\nbudget %d\n", p.Dir, p.Budget)
	writeGroups(&b, p.Groups)
	os.Remove(path)
	return writePrivate(path, []byte(b.String()))
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

func writeReport(path string, r *Report) error {
	var b strings.Builder
	writeGroups(&b, r.Groups)
	for name, why := range r.Failed {
		fmt.Fprintf(&b, "failed %s %s\n", name, oneLine(why))
	}
	for _, d := range r.Dyn {
		fmt.Fprintf(&b, "dyn %s\n", d)
	}
	os.Remove(path)
	return writePrivate(path, []byte(b.String()))
}

// ReadReport reads what a cell program reported (see Save and Load).
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

// readWhole reads the file at path, of size bytes (-1: unknown).
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

// join is filepath.Join for a directory and a file name in it.
func join(dir, name string) string { return dir + string(os.PathSeparator) + name }

// FormatSize writes a byte count the way limits are written (256 MB).
func FormatSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
