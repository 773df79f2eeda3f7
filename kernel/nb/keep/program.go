package keep

import (
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/gokernel/gokernel/kernel/nb/keep/plain"
)

// What a cell links matters (every cell that keeps values links this
// package, and the link is most of a cell's time): the code that runs in
// cells uses only packages fmt links anyway (no bufio, bytes,
// encoding/binary, path/filepath), and never os.ReadFile or os.Stat, whose
// os.FileInfo holds a time.Time and so links all of package time's
// formatting and time zone loading. TestCellLinksLittle checks. A program
// that keeps only values of predeclared types links package plain alone.

// The files a cell program and the kernel exchange, and the loading of a
// program's variables from them, are package plain's; keep's codec fills in
// the values of any type.
const (
	EnvIn  = plain.EnvIn
	EnvOut = plain.EnvOut
)

type (
	// Var is one variable of a cell's program that the kernel keeps: its
	// name and its address.
	Var       = plain.Var
	Plan      = plain.Plan
	Group     = plain.Group
	Report    = plain.Report
	LoadError = plain.LoadError
)

// Load fills vars with their kept values, as the plan in $GOKERNEL_KEEP_IN
// says (see plain.LoadWith): the generated program calls it before any of
// the cell's code.
func Load(vars []Var) { plain.LoadWith(vars, decodeGroup) }

// loadPlan loads the plan's groups into vars.
func loadPlan(plan *Plan, vars []Var) error { return plain.LoadPlan(plan, vars, decodeGroup) }

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
	plan, err := plain.ReadPlan(in)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gokernel: cannot keep this cell's values: %v\n", err)
		return
	}
	rep := saveGroupsReusing(plan.Dir, out[strings.LastIndexByte(out, os.PathSeparator)+1:], plan.Budget, vars, plain.Unchanged)
	if err := plain.WriteReport(out, rep); err != nil {
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
				rep.Failed[name] = plain.OverBudget(budget, names, size)
			}
			rep.Limited = append(rep.Limited, names...)
			continue
		}
		file := fmt.Sprintf("%s-%d", prefix, n)
		if f, ok := reuse(names, data); ok {
			file = f // the kernel keeps that file: it holds these bytes already
		} else if err := plain.WritePrivate(plain.Join(dir, file), data...); err != nil {
			for _, name := range names {
				rep.Failed[name] = "it could not be written: " + err.Error()
			}
			rep.Limited = append(rep.Limited, names...)
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

func encodeGroupHeader(vars []Var, members []int) []byte {
	names := make([]string, len(members))
	fps := make([]string, len(members))
	for k, i := range members {
		names[k] = vars[i].Name
		fps[k] = Fingerprint(reflect.TypeOf(vars[i].Ptr).Elem())
	}
	return plain.AppendHeader(nil, names, fps)
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
	fps := make([]string, len(members))
	for k, m := range members {
		fps[k] = Fingerprint(reflect.TypeOf(m.Ptr).Elem())
	}
	rest, err := plain.ReadHeader(b, members, fps)
	if err != nil {
		return err
	}
	d := &decoder{buf: rest}
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

// builtinType says whether the registry always knows the type (keyed as
// typeKey): the basic types and the errors of errors.New and fmt.Errorf.
func builtinType(key string) bool {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return builtins[key]
}

// FormatSize writes a byte count the way limits are written (256 MB).
func FormatSize(n int64) string { return plain.FormatSize(n) }
