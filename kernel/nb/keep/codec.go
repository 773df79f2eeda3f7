package keep

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/gokernel/gokernel/kernel/nb/keep/plain"
)

// Why a hand-written codec: the kept values of a notebook must come back as
// the student left them. encoding/gob drops unexported fields (most structs
// in a lesson have them: a counter's mu and n), flattens pointers (two
// variables pointing at one account become two accounts) and cannot encode
// cycles. This codec walks the values with reflect, reading and writing
// unexported fields through their addresses, and keeps a table of
// memory regions (see regions.go) so that sharing, cycles, slices of one
// array and pointers into arrays and structs survive. Both sides are the same
// program text (the engine declares the same types in every cell), so the
// encoding carries no type names except inside interfaces, and a fingerprint
// of each variable's type guards against a type that changed.

// CannotCarryError says why a value cannot be kept: it holds a channel, a
// func, a locked mutex, ... Path names where in the value (x.jobs[2]).
type CannotCarryError struct {
	Path   string
	Reason string
}

func (e *CannotCarryError) Error() string {
	return e.Path + " cannot carry over: " + e.Reason
}

// Why a kind cannot carry, in the words a student needs.
var kindReasons = map[reflect.Kind]string{
	reflect.Chan:          "a channel lives in one program; make it in the cell that uses it",
	reflect.Func:          "a func value lives in one program; declare a func at the top level instead, or make the value in the cell that uses it",
	reflect.UnsafePointer: "an unsafe.Pointer is an address in one program",
}

// syncTypes hold coordination state that belongs to running goroutines: they
// carry only at rest (unlocked, counter zero), as a zero value.
var syncTypes = map[string]string{
	"sync.Mutex":     "it is locked; unlock it before the cell ends (a lock belongs to running goroutines)",
	"sync.RWMutex":   "it is locked; unlock it before the cell ends (a lock belongs to running goroutines)",
	"sync.WaitGroup": "goroutines are still counted in it; wait for them before the cell ends",
	"sync.Cond":      "a sync.Cond belongs to running goroutines; make it in the cell that uses it",
	"sync.Map":       "a sync.Map holds its entries through atomic pointers; use a map and a sync.Mutex to keep them",
	"sync.Pool":      "a sync.Pool is a cache of one program",
}

// Wire format (all integers are varints):
//
//	value   = by static type: bool byte | int varint | uint uvarint | float 8 bytes |
//	          string len bytes | slice (0 = nil, else 1+len) cap [ref, when cap > 0] |
//	          array elems | map (0 = nil, 1 = new then len (key value)*, 1+id = seen) |
//	          struct fields (unexported too) | pointer 0 = nil, else ref |
//	          interface 0 = nil, else type descriptor then value |
//	          marshaled (std types such as time.Time, *big.Int: len bytes)
//	ref     = 1 (a new region) offset typepath contents | 2+id offset
//
// A ref points at byte offset of a region (see regions.go); a pointer to a
// zero-size type is just 1. Region ids count the group's variables first
// (each is its own region), then new regions in the order met; map ids count
// maps in the order met. Both sides walk in the same order.

type encoder struct {
	buf []byte
	// done holds what was written before buf, in order: buf so far, then
	// the memory of a large array of numbers, written from where it lies
	// (see raw).
	done [][]byte
	// dyn collects the named types met inside interfaces ("pkgpath.Name"):
	// the loading program must register them (see Register).
	dyn  map[string]bool
	ptrs map[ptrKey]uint64 // maps met so far
	// mem is the regions of the values being saved (with the ids given
	// in this file to those met so far); nextRegion counts them, rootTypes
	// the types of the group's variables (a region's type may be found
	// from them).
	mem        *memory
	nextRegion uint64
	rootTypes  []reflect.Type
}

type ptrKey struct {
	addr uintptr
	typ  reflect.Type
}

func (e *encoder) uvarint(x uint64) { e.buf = plain.AppendUvarint(e.buf, x) }
func (e *encoder) varint(x int64)   { e.buf = plain.AppendUvarint(e.buf, plain.Zigzag(x)) }
func (e *encoder) bytes(b []byte)   { e.uvarint(uint64(len(b))); e.buf = append(e.buf, b...) }

// rawInPlace is the size from which the memory of an array of numbers is
// written from the variable itself rather than copied into buf: saving a
// 10 MB []byte copies nothing and allocates nothing before the write.
const rawInPlace = 64 << 10

func (e *encoder) raw(b []byte) {
	if len(b) < rawInPlace {
		e.buf = append(e.buf, b...)
		return
	}
	e.done = append(e.done, e.buf, b)
	e.buf = nil
}

// out is everything written, in order.
func (e *encoder) out() [][]byte { return append(e.done, e.buf) }

func (e *encoder) value(v reflect.Value, path string) error {
	t := v.Type()
	if reason, ok := kindReasons[t.Kind()]; ok {
		return &CannotCarryError{Path: path, Reason: reason}
	}
	if reason, ok := syncTypes[t.String()]; ok && t.PkgPath() == "sync" {
		if !v.IsZero() {
			return &CannotCarryError{Path: path, Reason: reason}
		}
		if t.Name() != "Mutex" && t.Name() != "RWMutex" && t.Name() != "WaitGroup" {
			return &CannotCarryError{Path: path, Reason: reason}
		}
		return nil // a zero value: nothing to write
	}
	if m, ok := marshaler(v); ok {
		b, err := m()
		if err != nil {
			return &CannotCarryError{Path: path, Reason: err.Error()}
		}
		e.bytes(b)
		return nil
	}
	switch t.Kind() {
	case reflect.Bool:
		if v.Bool() {
			e.buf = append(e.buf, 1)
		} else {
			e.buf = append(e.buf, 0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.varint(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.uvarint(v.Uint())
	case reflect.Float32, reflect.Float64:
		e.buf = plain.AppendUint64(e.buf, math.Float64bits(v.Float()))
	case reflect.Complex64, reflect.Complex128:
		c := v.Complex()
		e.buf = plain.AppendUint64(e.buf, math.Float64bits(real(c)))
		e.buf = plain.AppendUint64(e.buf, math.Float64bits(imag(c)))
	case reflect.String:
		e.uvarint(uint64(v.Len()))
		e.buf = append(e.buf, v.String()...)
	case reflect.Slice:
		if v.IsNil() {
			e.uvarint(0)
			return nil
		}
		// The whole capacity is kept: s[:cap(s)] and append show it.
		e.uvarint(uint64(v.Len()) + 1)
		e.uvarint(uint64(v.Cap()))
		if v.Cap() == 0 || t.Elem().Size() == 0 {
			return nil
		}
		return e.ref(uintptr(v.UnsafePointer()), view{t.Elem(), v.Cap()}, v, path)
	case reflect.Array:
		return e.elems(v, path)
	case reflect.Map:
		if v.IsNil() {
			e.uvarint(0)
			return nil
		}
		if e.seen(v) { // two variables holding one map share it again
			return nil
		}
		e.uvarint(uint64(v.Len()))
		it := v.MapRange()
		for it.Next() {
			if err := e.value(it.Key(), path+"[key]"); err != nil {
				return err
			}
			if err := e.value(it.Value(), fmt.Sprintf("%s[%v]", path, it.Key())); err != nil {
				return err
			}
		}
	case reflect.Struct:
		v = readable(v)
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Name == "_" {
				continue
			}
			if err := e.value(field(v, i), path+"."+f.Name); err != nil {
				return err
			}
		}
	case reflect.Pointer:
		if v.IsNil() {
			e.uvarint(0)
			return nil
		}
		if t.Elem().Size() == 0 {
			e.uvarint(1) // all zero-size values may share an address: no region
			return nil
		}
		return e.ref(v.Pointer(), view{t.Elem(), -1}, v, path) // p.f reads as Go writes it
	case reflect.Interface:
		if v.IsNil() {
			e.uvarint(0)
			return nil
		}
		if name, builtin, ok := sentinelName(v); ok {
			e.uvarint(2) // io.EOF, context.Canceled ...: by name (sentinels.go)
			e.bytes([]byte(name))
			if e.dyn != nil && !builtin {
				e.dyn["="+name] = true // the loading program registers it too
			}
			return nil
		}
		dyn := v.Elem()
		if reason, ok := kindReasons[dyn.Kind()]; ok {
			return &CannotCarryError{Path: path, Reason: reason}
		}
		desc, err := describe(dyn.Type())
		if err != nil {
			return &CannotCarryError{Path: path, Reason: err.Error()}
		}
		e.uvarint(1)
		e.bytes([]byte(desc))
		if e.dyn != nil {
			namedIn(dyn.Type(), e.dyn)
		}
		// An interface holds a copy; walk it addressably so that unexported
		// fields of a struct inside can be read.
		c := reflect.New(dyn.Type()).Elem()
		c.Set(dyn)
		return e.value(c, path)
	default:
		return &CannotCarryError{Path: path, Reason: "a " + t.String() + " cannot be copied between programs"}
	}
	return nil
}

// seen writes the identity tag of a map (non-nil) and reports whether it
// was met before in this encoding (then nothing more is written): 1 is a
// new one, whose contents follow; 1+id one met before. (discover noted
// which variables reach it, so that Save groups variables that share.)
func (e *encoder) seen(v reflect.Value) bool {
	key := ptrKey{v.Pointer(), v.Type()}
	if id, ok := e.ptrs[key]; ok {
		e.uvarint(id + 1)
		return true
	}
	e.ptrs[key] = uint64(len(e.ptrs)) + 1 // ids from 1: tag 1 means "new"
	e.uvarint(1)
	return false
}

// elems writes the elements of a slice or array: numbers in bulk (a 10 MB
// []float64 is written from where it lies, see raw), anything else one by one.
func (e *encoder) elems(v reflect.Value, path string) error {
	if b, ok := rawBytes(v); ok {
		e.raw(b)
		return nil
	}
	for i := range v.Len() {
		if err := e.value(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return err
		}
	}
	return nil
}

// rawBytes views the elements of a slice or array of fixed-size numbers as
// bytes, for a bulk copy. The layout is the machine's: kept values never
// leave the machine that wrote them.
func rawBytes(v reflect.Value) ([]byte, bool) {
	et := v.Type().Elem()
	switch et.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
	default:
		return nil, false
	}
	if _, ok := marshalerType(et); ok {
		return nil, false
	}
	n := v.Len() * int(et.Size())
	if n == 0 {
		return nil, true
	}
	if v.Kind() == reflect.Slice {
		return unsafe.Slice((*byte)(v.UnsafePointer()), n), true
	}
	if !v.CanAddr() {
		return nil, false
	}
	return unsafe.Slice((*byte)(v.Addr().UnsafePointer()), n), true
}

// readable returns v addressable (a copy if need be), so that unexported
// fields can be reached through their addresses.
func readable(v reflect.Value) reflect.Value {
	if v.CanAddr() {
		return v
	}
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	return c
}

// field returns struct field i of the addressable v, readable and settable
// even when unexported.
func field(v reflect.Value, i int) reflect.Value {
	f := v.Field(i)
	if f.CanSet() {
		return f
	}
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

var (
	binaryMarshalerType   = reflect.TypeFor[encoding.BinaryMarshaler]()
	binaryUnmarshalerType = reflect.TypeFor[encoding.BinaryUnmarshaler]()
	gobEncoderType        = reflect.TypeFor[interface{ GobEncode() ([]byte, error) }]()
	gobDecoderType        = reflect.TypeFor[interface{ GobDecode([]byte) error }]()
)

// marshalerType tells whether values of t are written with their own
// MarshalBinary or GobEncode (time.Time, big.Int, netip.Addr): standard
// types whose insides are not the program's to walk (time.Time's location
// is a pointer to a shared table). A cell's own types are always walked, so
// their unexported fields and pointers keep their meaning.
func marshalerType(t reflect.Type) (gob bool, ok bool) {
	if t.PkgPath() == "" || t.PkgPath() == "main" || t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface {
		return false, false
	}
	pt := reflect.PointerTo(t)
	if pt.Implements(binaryMarshalerType) && pt.Implements(binaryUnmarshalerType) {
		return false, true
	}
	if pt.Implements(gobEncoderType) && pt.Implements(gobDecoderType) {
		return true, true
	}
	return false, false
}

func marshaler(v reflect.Value) (func() ([]byte, error), bool) {
	gob, ok := marshalerType(v.Type())
	if !ok {
		return nil, false
	}
	p := readable(v).Addr().Interface()
	if gob {
		return p.(interface{ GobEncode() ([]byte, error) }).GobEncode, true
	}
	return p.(encoding.BinaryMarshaler).MarshalBinary, true
}

type decoder struct {
	buf  []byte
	ptrs []reflect.Value // by id-1: the maps made so far
	// regions by id: the group's variables first (roots), then those made.
	regions []regionSlot
	roots   []regionSlot
}

var errShort = errors.New("keep: kept value is truncated")

func (d *decoder) uvarint() (uint64, error) {
	x, n := plain.Uvarint(d.buf)
	if n <= 0 {
		return 0, errShort
	}
	d.buf = d.buf[n:]
	return x, nil
}

func (d *decoder) varint() (int64, error) {
	u, n := plain.Uvarint(d.buf)
	if n <= 0 {
		return 0, errShort
	}
	d.buf = d.buf[n:]
	return plain.Unzigzag(u), nil
}

func (d *decoder) take(n uint64) ([]byte, error) {
	if n > uint64(len(d.buf)) {
		return nil, errShort
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b, nil
}

// length reads a length that must fit in what is left (each element takes
// at least min bytes), so that a corrupt file cannot ask for a huge
// allocation.
func (d *decoder) length(min int) (int, error) {
	n, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if min > 0 && n > uint64(len(d.buf)/min) || n > math.MaxInt32 {
		return 0, errShort
	}
	return int(n), nil
}

// value decodes into v, which is settable.
func (d *decoder) value(v reflect.Value, depth int) error {
	if depth > maxDepth {
		return errors.New("keep: kept value nests too deeply")
	}
	t := v.Type()
	if _, ok := syncTypes[t.String()]; ok && t.PkgPath() == "sync" {
		return nil // written as nothing: a zero value
	}
	if gob, ok := marshalerType(t); ok {
		n, err := d.length(1)
		if err != nil {
			return err
		}
		b, err := d.take(uint64(n))
		if err != nil {
			return err
		}
		b = append([]byte(nil), b...) // d.buf is a read-only mapping of the file, and the method may keep b
		p := v.Addr().Interface()
		if gob {
			return p.(interface{ GobDecode([]byte) error }).GobDecode(b)
		}
		return p.(encoding.BinaryUnmarshaler).UnmarshalBinary(b)
	}
	switch t.Kind() {
	case reflect.Bool:
		b, err := d.take(1)
		if err != nil {
			return err
		}
		v.SetBool(b[0] != 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, err := d.varint()
		if err != nil {
			return err
		}
		v.SetInt(x)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		x, err := d.uvarint()
		if err != nil {
			return err
		}
		v.SetUint(x)
	case reflect.Float32, reflect.Float64:
		b, err := d.take(8)
		if err != nil {
			return err
		}
		v.SetFloat(math.Float64frombits(plain.Uint64At(b)))
	case reflect.Complex64, reflect.Complex128:
		b, err := d.take(16)
		if err != nil {
			return err
		}
		v.SetComplex(complex(math.Float64frombits(plain.Uint64At(b)), math.Float64frombits(plain.Uint64At(b[8:]))))
	case reflect.String:
		n, err := d.length(1)
		if err != nil {
			return err
		}
		b, err := d.take(uint64(n))
		if err != nil {
			return err
		}
		v.SetString(string(b))
	case reflect.Slice:
		n, err := d.uvarint()
		if err != nil || n == 0 {
			return err
		}
		n--
		c, err := d.uvarint()
		if err != nil {
			return err
		}
		if n > c || c > math.MaxInt32 {
			return errShort
		}
		et := t.Elem()
		if c == 0 || et.Size() == 0 {
			v.Set(reflect.MakeSlice(t, int(n), int(c))) // no memory to share
			return nil
		}
		tag, err := d.uvarint()
		if err != nil {
			return err
		}
		p, err := d.ref(tag, view{et, int(c)}, depth)
		if err != nil {
			return err
		}
		// v is settable, so addressable: its header is written in place
		// (reflect would allocate one to hand over).
		*(*sliceHeader)(v.Addr().UnsafePointer()) = sliceHeader{p, int(n), int(c)}
	case reflect.Array:
		return d.elems(v, depth)
	case reflect.Map:
		m, isNew, err := d.mapRef(t)
		if err != nil || !isNew {
			if err == nil && m.IsValid() {
				v.Set(m)
			}
			return err
		}
		v.Set(m)
		n, err := d.uvarint()
		if err != nil {
			return err
		}
		if n > uint64(len(d.buf)) {
			return errShort
		}
		for range n {
			k := reflect.New(t.Key()).Elem()
			if err := d.value(k, depth+1); err != nil {
				return err
			}
			x := reflect.New(t.Elem()).Elem()
			if err := d.value(x, depth+1); err != nil {
				return err
			}
			m.SetMapIndex(k, x)
		}
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).Name == "_" {
				continue
			}
			if err := d.value(field(v, i), depth+1); err != nil {
				return err
			}
		}
	case reflect.Pointer:
		tag, err := d.uvarint()
		if err != nil || tag == 0 {
			return err
		}
		et := t.Elem()
		if et.Size() == 0 {
			if tag != 1 {
				return errBadRef
			}
			v.Set(reflect.New(et).Convert(t))
			return nil
		}
		p, err := d.ref(tag, view{et, -1}, depth)
		if err != nil {
			return err
		}
		*(*unsafe.Pointer)(v.Addr().UnsafePointer()) = p
	case reflect.Interface:
		tag, err := d.uvarint()
		if err != nil || tag == 0 {
			return err
		}
		n, err := d.length(1)
		if err != nil {
			return err
		}
		desc, err := d.take(uint64(n))
		if err != nil {
			return err
		}
		if tag == 2 {
			s, ok := sentinelNamed(string(desc))
			if !ok {
				return fmt.Errorf("keep: no sentinel error %q", desc)
			}
			sv := reflect.ValueOf(s)
			if !sv.Type().Implements(t) {
				return fmt.Errorf("keep: %s does not fit in a %s", desc, t)
			}
			v.Set(sv)
			return nil
		}
		dt, err := lookupDescription(string(desc))
		if err != nil {
			return err
		}
		if !dt.Implements(t) {
			return fmt.Errorf("keep: a %s does not fit in a %s", dt, t)
		}
		x := reflect.New(dt).Elem()
		if err := d.value(x, depth+1); err != nil {
			return err
		}
		v.Set(x)
	default:
		return fmt.Errorf("keep: cannot load a %s", t)
	}
	return nil
}

// mapRef reads the identity tag of a map: nil (an invalid Value), one met
// before, or a new one, remembered before its contents are read.
func (d *decoder) mapRef(t reflect.Type) (v reflect.Value, isNew bool, err error) {
	tag, err := d.uvarint()
	if err != nil || tag == 0 {
		return reflect.Value{}, false, err
	}
	if tag > 1 {
		id := tag - 2
		if id >= uint64(len(d.ptrs)) || d.ptrs[id].Type() != t {
			return reflect.Value{}, false, errors.New("keep: kept value refers to a map it does not hold")
		}
		return d.ptrs[id], false, nil
	}
	v = reflect.MakeMap(t)
	d.ptrs = append(d.ptrs, v)
	return v, true, nil
}

// copyPreemptible copies src into dst a megabyte at a time, letting the
// scheduler in between. A copy cannot be preempted, nor a loop that only
// copies: a garbage collection that starts meanwhile (making a 10 MB slice
// in a program that has just started does start one) spins on the other
// core until the copy ends, waiting to scan this goroutine's stack.
func copyPreemptible(dst, src []byte) {
	for len(src) > 0 {
		n := copy(dst, src[:min(len(src), 1<<20)])
		dst, src = dst[n:], src[n:]
		if len(src) > 0 {
			runtime.Gosched()
		}
	}
}

// maxDepth bounds the nesting a corrupt file could make the decoder recurse into.
const maxDepth = 10000

func (d *decoder) elems(v reflect.Value, depth int) error {
	if b, ok := rawBytes(v); ok {
		src, err := d.take(uint64(len(b)))
		if err != nil {
			return err
		}
		if len(b) >= 4<<20 {
			adviseHuge(b)
		}
		copyPreemptible(b, src)
		return nil
	}
	for i := range v.Len() {
		if err := d.value(v.Index(i), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// Types inside interfaces are written as descriptions: a registered named
// type by "pkgpath.Name", composite types built from those ("*T", "[]T",
// "[4]T", "map[K]V" in a prefix form with "\x00" between parts).

var (
	registryMu sync.RWMutex
	registry   = map[string]reflect.Type{}
	builtins   map[string]bool // the registry's contents before any program adds to it
)

func init() {
	for _, v := range []any{
		false, 0, int8(0), int16(0), int32(0), int64(0), uint(0), uint8(0), uint16(0), uint32(0), uint64(0),
		uintptr(0), float32(0), float64(0), complex64(0), complex128(0), "",
		errors.New(""), fmt.Errorf("%w", errors.New("")), fmt.Errorf("%w%w", errors.New(""), errors.New("")),
	} {
		Register(v)
	}
	builtins = map[string]bool{}
	for k := range registry {
		builtins[k] = true
	}
}

// Register makes the types of vs known inside interfaces: a kept `any`
// or `error` may hold them. The engine registers every type the cell's
// program declares; the basic types and the errors of errors.New and
// fmt.Errorf are registered here.
func Register(vs ...any) {
	registryMu.Lock()
	defer registryMu.Unlock()
	for _, v := range vs {
		t := reflect.TypeOf(v)
		if t == nil {
			continue
		}
		for t.Kind() == reflect.Pointer && t.Name() == "" {
			registry[typeKey(t)] = t
			t = t.Elem()
		}
		registry[typeKey(t)] = t
	}
}

// RegisterType registers T (see Register); it works for types whose zero
// value cannot be written, such as interfaces.
func RegisterType[T any]() { registerType(reflect.TypeFor[T]()) }

func registerType(t reflect.Type) {
	registryMu.Lock()
	registry[typeKey(t)] = t
	registryMu.Unlock()
}

func typeKey(t reflect.Type) string {
	if t.Name() != "" {
		return t.PkgPath() + "." + t.Name()
	}
	return t.String()
}

func describe(t reflect.Type) (string, error) {
	if t.Name() != "" {
		if !nameable(t) {
			// Saved, it could never load: the loading program registers the
			// types it can name, and no program can name this one.
			if t.PkgPath() == "context" && t.Name() != "deadlineExceededError" { // (that one is an error, not a context)
				return "", errors.New("a context belongs to the program that made it (its cancel func, timer and goroutines stay there); make it in the cell that uses it")
			}
			return "", fmt.Errorf("it holds a %s, a type package %s keeps to itself, which no later cell can name", t, t.PkgPath())
		}
		registryMu.RLock()
		_, ok := registry[typeKey(t)]
		registryMu.RUnlock()
		if !ok {
			registryMu.Lock()
			registry[typeKey(t)] = t // the decoding program registers it the same way, if it knows it
			registryMu.Unlock()
		}
		return "N\x00" + typeKey(t), nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		e, err := describe(t.Elem())
		return "P\x00" + e, err
	case reflect.Slice:
		e, err := describe(t.Elem())
		return "S\x00" + e, err
	case reflect.Array:
		e, err := describe(t.Elem())
		return fmt.Sprintf("A\x00%d\x00%s", t.Len(), e), err
	case reflect.Map:
		k, err := describe(t.Key())
		if err != nil {
			return "", err
		}
		e, err := describe(t.Elem())
		return "M\x00" + k + "\x01" + e, err
	}
	return "", fmt.Errorf("an interface holds a %s, which has no name to find it by in the next cell", t)
}

// nameable reports whether a cell's program can find the named type t.
// A standard package's unexported types (context.WithCancel's
// *context.cancelCtx behind a context.Context) and anything under an
// internal/ tree cannot be named by any program, so their values could be
// saved but never loaded; the errors of errors.New and fmt.Errorf are the
// exception, registered by every program (init). (An unexported type of a
// module outside the standard library is not caught here: it fails when
// loaded, with a clear error.)
func nameable(t reflect.Type) bool {
	p := t.PkgPath()
	if p == "" || p == "main" || builtins[typeKey(t)] {
		return true
	}
	if p == "internal" || strings.HasPrefix(p, "internal/") || strings.Contains(p, "/internal/") || strings.HasSuffix(p, "/internal") {
		return false
	}
	first, _, _ := strings.Cut(p, "/")
	std := !strings.Contains(first, ".")
	r, _ := utf8.DecodeRuneInString(t.Name())
	return !std || unicode.IsUpper(r)
}

// namedIn adds the named types t is built of (t itself, or the elements of
// a composite) to set.
func namedIn(t reflect.Type, set map[string]bool) {
	for {
		if t.Name() != "" {
			set[typeKey(t)] = true
			return
		}
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice:
			t = t.Elem()
		case reflect.Array:
			set[compositesKey] = true
			t = t.Elem()
		case reflect.Map:
			set[compositesKey] = true
			namedIn(t.Key(), set)
			t = t.Elem()
		default:
			return
		}
	}
}

// Composites, registered like a type a kept interface holds
// (RegisterType[Composites]), lets a program load the unnamed array and map
// types ([4]T, map[K]V) that interfaces hold. The engine registers it only
// in programs that load such a value (the saving program lists it among
// the types it met, see namedIn): making those types at run time
// (reflect.ArrayOf, MapOf) links ≈ 60 kB that every other cell would link
// for nothing. The linker keeps the methods below only when *Composites is
// converted to an interface, which RegisterType[Composites] does; the
// decoder reaches them through the registry. (Slice types are made with
// reflect.SliceOf directly: every program that loads a slice needs it.)
type Composites struct{}

// compositesKey is Composites' registry key, written without naming the
// type (that would link its methods into every program).
var compositesKey = reflect.TypeFor[Lost]().PkgPath() + ".Composites"

type typeMaker interface {
	arrayOf(n int, elem reflect.Type) reflect.Type
	mapOf(key, elem reflect.Type) reflect.Type
}

func (*Composites) arrayOf(n int, elem reflect.Type) reflect.Type { return reflect.ArrayOf(n, elem) }
func (*Composites) mapOf(key, elem reflect.Type) reflect.Type     { return reflect.MapOf(key, elem) }

// composites returns the registered Composites' methods.
func composites() (typeMaker, error) {
	registryMu.RLock()
	t, ok := registry[compositesKey]
	registryMu.RUnlock()
	if !ok {
		return nil, errors.New("keep: this program cannot make the array or map type an interface holds (" + compositesKey + " is not registered)")
	}
	return reflect.New(t).Interface().(typeMaker), nil
}

func lookupDescription(desc string) (reflect.Type, error) {
	kind, rest, ok := strings.Cut(desc, "\x00")
	if !ok {
		return nil, errors.New("keep: bad type description")
	}
	switch kind {
	case "N":
		registryMu.RLock()
		t, ok := registry[rest]
		registryMu.RUnlock()
		if !ok {
			return nil, fmt.Errorf("keep: the type %s is not in this program", rest)
		}
		return t, nil
	case "P", "S":
		e, err := lookupDescription(rest)
		if err != nil {
			return nil, err
		}
		if kind == "P" {
			return reflect.PointerTo(e), nil
		}
		return reflect.SliceOf(e), nil
	case "A":
		n, e, _ := strings.Cut(rest, "\x00")
		size, err := strconv.Atoi(n)
		if err != nil || size < 0 || size > 1<<20 {
			return nil, errors.New("keep: bad array length")
		}
		et, err := lookupDescription(e)
		if err != nil {
			return nil, err
		}
		m, err := composites()
		if err != nil {
			return nil, err
		}
		return m.arrayOf(size, et), nil
	case "M":
		k, e, ok := strings.Cut(rest, "\x01")
		if !ok {
			return nil, errors.New("keep: bad map description")
		}
		kt, err := lookupDescription(k)
		if err != nil {
			return nil, err
		}
		et, err := lookupDescription(e)
		if err != nil {
			return nil, err
		}
		if !kt.Comparable() {
			return nil, errors.New("keep: bad map key")
		}
		m, err := composites()
		if err != nil {
			return nil, err
		}
		return m.mapOf(kt, et), nil
	}
	return nil, errors.New("keep: bad type description")
}

// Fingerprint describes t's layout: the names, kinds and order of
// everything a value of t holds. Values are loaded only into a variable of
// the same fingerprint, so a type redefined in a later cell never receives
// bytes laid out for the old one.
func Fingerprint(t reflect.Type) string {
	var b strings.Builder
	fingerprint(&b, t, map[reflect.Type]bool{})
	return b.String()
}

func fingerprint(b *strings.Builder, t reflect.Type, seen map[reflect.Type]bool) {
	if t.Name() != "" {
		b.WriteString(typeKey(t))
		if seen[t] {
			return
		}
		seen[t] = true
		if _, ok := marshalerType(t); ok || t.PkgPath() == "" {
			return
		}
		b.WriteByte('=')
	}
	switch t.Kind() {
	case reflect.Pointer:
		b.WriteByte('*')
		fingerprint(b, t.Elem(), seen)
	case reflect.Slice:
		b.WriteString("[]")
		fingerprint(b, t.Elem(), seen)
	case reflect.Array:
		fmt.Fprintf(b, "[%d]", t.Len())
		fingerprint(b, t.Elem(), seen)
	case reflect.Map:
		b.WriteString("map[")
		fingerprint(b, t.Key(), seen)
		b.WriteByte(']')
		fingerprint(b, t.Elem(), seen)
	case reflect.Struct:
		b.WriteString("struct{")
		for i := range t.NumField() {
			f := t.Field(i)
			b.WriteString(f.Name)
			b.WriteByte(' ')
			fingerprint(b, f.Type, seen)
			b.WriteByte(';')
		}
		b.WriteByte('}')
	case reflect.Interface:
		b.WriteString(t.String())
	default:
		b.WriteString(t.Kind().String())
	}
}
