// Package plain loads and saves kept values of the predeclared types
// (numbers, strings, bools) in a cell program without reflection, and holds the
// files through which the kernel and every cell program exchange kept
// values (the plan, the report, a file of values per group), which package
// keep's codec reads and writes too.
//
// Why a package of its own: every cell that uses a kept value links the
// code that loads it, and linking is most of a cell's time. Package keep
// carries any value (structs with unexported fields, pointers with their
// aliasing, maps, interfaces) by walking it with reflect; its archive is
// ≈ 2 MB and linking it costs a cell ≈ 10 ms. The engine has a program
// import this package instead when every value the program loads or saves
// is of a predeclared type, or of a type a cell declares on one (type state
// int): `n := 0` in one cell, `n++` and `fmt.Println(n)` in the next ones.
// Its code is a few type switches; it links nothing fmt and os do not link
// already.
package plain

import (
	"errors"
	"fmt"
	"math"
	"os"
)

// Var is one variable of a cell's program that the kernel keeps: its name
// and its address. (keep.Var is the same type.)
type Var struct {
	Name string
	Ptr  any
	// Type is keep's Fingerprint of the variable's type when that is a type
	// a cell declares on a predeclared one (type celsius float64:
	// "main.celsius=float64") and Ptr points to the variable as its
	// predeclared type ((*float64)(&temp)): the type switches below see only
	// that. Empty for a variable of a predeclared type. Package keep ignores
	// it: reflect sees the type Ptr points to.
	Type string
}

// Load fills vars, each a *bool, a pointer to a number type or a *string,
// with their kept values, as the plan in $GOKERNEL_KEEP_IN says. The
// generated program calls it before any of the cell's code (see LoadWith),
// and Save when the cell's code returns.
func Load(vars []Var) { LoadWith(vars, decode) }

// Loads reports whether Load loads a variable declared with the type
// written typ: one of the predeclared types it knows.
func Loads(typ string) bool {
	switch typ {
	case "bool", "string", "int", "int8", "int16", "int32", "int64",
		"uint", "uint8", "uint16", "uint32", "uint64", "uintptr",
		"float32", "float64", "complex64", "complex128", "byte", "rune":
		return true
	}
	return false
}

// LoadWith loads vars as the plan in $GOKERNEL_KEEP_IN says, with decode
// reading the values of each group of variables from its file (mapped
// read-only: nothing decoded may point into it). Package keep loads values
// of any type with it, through its codec. The generated program calls it
// first, before any of the cell's code, also in a child process started with
// nb.Process: the child starts from the same values as its cell. A value that
// cannot be loaded (its file is gone, its type changed) ends the program with
// status 3 after saying which, in the report too, so the kernel forgets it
// and the next run succeeds. It returns the plan, nil without one.
func LoadWith(vars []Var, decode func(data []byte, members []Var) error) *Plan {
	in := os.Getenv(EnvIn)
	if in == "" {
		return nil
	}
	plan, err := ReadPlan(in)
	if err == nil {
		err = LoadPlan(plan, vars, decode)
		loaded, loadedDir = plan.Groups, plan.Dir
	}
	if err != nil {
		// Not errors.As: it links internal/reflectlite into every cell
		// (≈ 10 kB); the errors of loading come back unwrapped.
		if le, ok := err.(*LoadError); ok {
			if out := os.Getenv(EnvOut); out != "" {
				WriteReport(out, &Report{Failed: map[string]string{le.Name: le.Err.Error()}})
			}
		}
		fmt.Fprintf(os.Stderr, "gokernel: %v\n", err)
		os.Exit(3)
	}
	return plan
}

// LoadPlan loads the plan's groups into vars with decode (see LoadWith).
func LoadPlan(plan *Plan, vars []Var, decode func(data []byte, members []Var) error) error {
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
		b, release, err := mapFile(Join(plan.Dir, g.File), g.Size)
		if err != nil {
			return &LoadError{Name: g.Names[0], Err: err}
		}
		err = decode(b, members)
		release()
		if err != nil {
			return err
		}
	}
	return nil
}

// decode loads a group's file into its members, in the order written. A
// value that fails ends the program (see LoadWith), so the members decoded
// before it are never seen. (Values of these types share no memory: each
// is a group of its own.)
func decode(b []byte, members []Var) error {
	fps := make([]string, len(members))
	for i, m := range members {
		fp, ok := fingerprintOf(m)
		if !ok {
			return &LoadError{Name: m.Name, Err: fmt.Errorf("a %T is not a value package plain loads", m.Ptr)}
		}
		fps[i] = fp
	}
	rest, err := ReadHeader(b, members, fps)
	if err != nil {
		return err
	}
	r := reader(rest)
	for _, m := range members {
		if !r.value(m.Ptr) {
			return &LoadError{Name: m.Name, Err: errShort}
		}
	}
	return nil
}

var errShort = errors.New("keep: kept value is truncated")

// fingerprintOf is keep's Fingerprint of v's type (see Var.Type), and
// whether Load and Save take v.
func fingerprintOf(v Var) (string, bool) {
	fp, ok := fingerprint(v.Ptr)
	if v.Type != "" {
		fp = v.Type
	}
	return fp, ok
}

// fingerprint is keep's Fingerprint of the type p points to, for the types
// Load loads: "." and the type's name (the package path of a predeclared
// type is empty).
func fingerprint(p any) (string, bool) {
	switch p.(type) {
	case *bool:
		return ".bool", true
	case *int:
		return ".int", true
	case *int8:
		return ".int8", true
	case *int16:
		return ".int16", true
	case *int32:
		return ".int32", true
	case *int64:
		return ".int64", true
	case *uint:
		return ".uint", true
	case *uint8:
		return ".uint8", true
	case *uint16:
		return ".uint16", true
	case *uint32:
		return ".uint32", true
	case *uint64:
		return ".uint64", true
	case *uintptr:
		return ".uintptr", true
	case *float32:
		return ".float32", true
	case *float64:
		return ".float64", true
	case *complex64:
		return ".complex64", true
	case *complex128:
		return ".complex128", true
	case *string:
		return ".string", true
	}
	return "", false
}

// reader reads what keep's codec wrote; each method reports whether the
// bytes were there.
type reader []byte

// value reads the value p points to, written as keep's codec writes its
// type: a bool in a byte, signed integers as zigzag varints, unsigned ones
// as uvarints, floats (and each half of a complex) as the 8 bytes of a
// float64, strings as a length and their bytes.
func (r *reader) value(p any) bool {
	switch p := p.(type) {
	case *bool:
		b, ok := r.take(1)
		if ok {
			*p = b[0] != 0
		}
		return ok
	case *int:
		x, ok := r.varint()
		*p = int(x)
		return ok
	case *int8:
		x, ok := r.varint()
		*p = int8(x)
		return ok
	case *int16:
		x, ok := r.varint()
		*p = int16(x)
		return ok
	case *int32:
		x, ok := r.varint()
		*p = int32(x)
		return ok
	case *int64:
		x, ok := r.varint()
		*p = x
		return ok
	case *uint:
		x, ok := r.uvarint()
		*p = uint(x)
		return ok
	case *uint8:
		x, ok := r.uvarint()
		*p = uint8(x)
		return ok
	case *uint16:
		x, ok := r.uvarint()
		*p = uint16(x)
		return ok
	case *uint32:
		x, ok := r.uvarint()
		*p = uint32(x)
		return ok
	case *uint64:
		x, ok := r.uvarint()
		*p = x
		return ok
	case *uintptr:
		x, ok := r.uvarint()
		*p = uintptr(x)
		return ok
	case *float32:
		x, ok := r.float()
		*p = float32(x)
		return ok
	case *float64:
		x, ok := r.float()
		*p = x
		return ok
	case *complex64:
		re, ok1 := r.float()
		im, ok2 := r.float()
		*p = complex64(complex(re, im))
		return ok1 && ok2
	case *complex128:
		re, ok1 := r.float()
		im, ok2 := r.float()
		*p = complex(re, im)
		return ok1 && ok2
	case *string:
		s, ok := r.str()
		*p = s
		return ok
	}
	return false
}

func (r *reader) uvarint() (uint64, bool) {
	x, n := Uvarint(*r)
	if n <= 0 {
		return 0, false
	}
	*r = (*r)[n:]
	return x, true
}

func (r *reader) varint() (int64, bool) {
	u, ok := r.uvarint()
	return Unzigzag(u), ok
}

func (r *reader) take(n uint64) ([]byte, bool) {
	if n > uint64(len(*r)) {
		return nil, false
	}
	b := (*r)[:n]
	*r = (*r)[n:]
	return b, true
}

func (r *reader) float() (float64, bool) {
	b, ok := r.take(8)
	if !ok {
		return 0, false
	}
	return math.Float64frombits(Uint64At(b)), true
}

// str reads a string, copied out of the file (which is unmapped after).
func (r *reader) str() (string, bool) {
	n, ok := r.uvarint()
	if !ok {
		return "", false
	}
	b, ok := r.take(n)
	return string(b), ok
}
