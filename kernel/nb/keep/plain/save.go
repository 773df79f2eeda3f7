package plain

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Save writes the values of vars (as Load takes them) when the cell's code
// has returned normally (a panic, os.Exit or runtime.Goexit never reaches
// it): a file for each, since values of these types share no memory, and
// the report the kernel reads. It writes what keep's Save would write, so
// that a program using either package loads it.
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
	rep := save(plan.Dir, out[strings.LastIndexByte(out, os.PathSeparator)+1:], plan.Budget, vars)
	if err := WriteReport(out, rep); err != nil {
		fmt.Fprintf(os.Stderr, "gokernel: cannot keep this cell's values: %v\n", err)
	}
}

// save writes a file named prefix-N in dir for each of vars, but none for a
// value whose bytes are those of the file it was loaded from (see
// Unchanged), within budget bytes in all.
func save(dir, prefix string, budget int64, vars []Var) *Report {
	rep := &Report{Failed: map[string]string{}}
	var total int64
	for n, v := range vars {
		fp, ok := fingerprintOf(v)
		if !ok {
			rep.Failed[v.Name] = fmt.Sprintf("a %T is not a value package plain saves", v.Ptr)
			continue
		}
		names := []string{v.Name}
		data := appendValue(AppendHeader(nil, names, []string{fp}), v.Ptr)
		size := int64(len(data))
		if total+size > budget {
			rep.Failed[v.Name] = OverBudget(budget, names, size)
			rep.Limited = append(rep.Limited, v.Name)
			continue
		}
		file := prefix + "-" + strconv.Itoa(n)
		if f, ok := Unchanged(names, [][]byte{data}); ok {
			file = f // the kernel keeps that file: it holds these bytes already
		} else if err := WritePrivate(Join(dir, file), data); err != nil {
			rep.Failed[v.Name] = "it could not be written: " + err.Error()
			rep.Limited = append(rep.Limited, v.Name)
			continue
		}
		total += size
		rep.Groups = append(rep.Groups, Group{File: file, Size: size, Names: names})
	}
	return rep
}

// appendValue appends the value p points to as reader.value reads it.
func appendValue(b []byte, p any) []byte {
	switch p := p.(type) {
	case *bool:
		if *p {
			return append(b, 1)
		}
		return append(b, 0)
	case *int:
		return AppendUvarint(b, Zigzag(int64(*p)))
	case *int8:
		return AppendUvarint(b, Zigzag(int64(*p)))
	case *int16:
		return AppendUvarint(b, Zigzag(int64(*p)))
	case *int32:
		return AppendUvarint(b, Zigzag(int64(*p)))
	case *int64:
		return AppendUvarint(b, Zigzag(*p))
	case *uint:
		return AppendUvarint(b, uint64(*p))
	case *uint8:
		return AppendUvarint(b, uint64(*p))
	case *uint16:
		return AppendUvarint(b, uint64(*p))
	case *uint32:
		return AppendUvarint(b, uint64(*p))
	case *uint64:
		return AppendUvarint(b, *p)
	case *uintptr:
		return AppendUvarint(b, uint64(*p))
	case *float32:
		return AppendUint64(b, math.Float64bits(float64(*p)))
	case *float64:
		return AppendUint64(b, math.Float64bits(*p))
	case *complex64:
		b = AppendUint64(b, math.Float64bits(float64(real(*p))))
		return AppendUint64(b, math.Float64bits(float64(imag(*p))))
	case *complex128:
		b = AppendUint64(b, math.Float64bits(real(*p)))
		return AppendUint64(b, math.Float64bits(imag(*p)))
	case *string:
		b = AppendUvarint(b, uint64(len(*p)))
		return append(b, *p...)
	}
	panic("plain: appendValue of a type fingerprint does not know") // save asks fingerprint first
}

// loaded are the groups LoadWith read, in directory loadedDir: a program
// writes a group of variables again only when its bytes changed (a cell
// that passes a 10 MB value to a func that only reads it writes nothing,
// and the kernel keeps the file).
var (
	loaded    []Group
	loadedDir string
)

// Unchanged returns the file LoadWith read that holds exactly the variables
// names, written as parts.
func Unchanged(names []string, parts [][]byte) (string, bool) {
	var size int64
	for _, p := range parts {
		size += int64(len(p))
	}
	for _, g := range loaded {
		if g.Size != size || !slices.Equal(g.Names, names) {
			continue
		}
		// Mapped again rather than kept mapped since the load: the cell's
		// memory (a limit counts it) holds the value once while it runs.
		b, release, err := mapFile(Join(loadedDir, g.File), g.Size)
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

// OverBudget says why the variables names, size bytes more, are not kept.
func OverBudget(budget int64, names []string, size int64) string {
	return fmt.Sprintf("kept values are limited to %s in all (GOKERNEL_STATE_MAX) and %s would take %s more",
		FormatSize(budget), strings.Join(names, ", "), FormatSize(size))
}

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
