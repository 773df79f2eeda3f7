package keep

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"sync"
	"unsafe"
)

// Why memory regions: in one Go program, `t := s[1:3]` shares s's array,
// `p := &arr[2]` points into arr and `q := &st.n` into st; a write through
// one shows in the other, `p == &arr[2]` holds, and `append(t, x)` within
// t's capacity writes into s. A notebook must keep that across cells. An
// identity table of pointers (one entry per address) cannot: s and t have
// different addresses and p is not where arr starts.
//
// So the codec treats memory as regions. Before writing anything it walks
// every kept value and notes the spans of memory they reach: each
// variable's own storage, each pointee, each slice's backing array up to
// its capacity. Spans that overlap are one region: the memory of one
// allocation, described by the span that covers it all (a variable, a
// pointee, a slice's whole array) or by an array of the element the slices
// in it share. A region is written once, where it is first referred to; a
// pointer is then (region, byte offset) and a slice (region, offset, len,
// cap). The loading program allocates each region once (a variable's
// region is the variable itself), so every view of it shares again.
// Variables whose spans fall in one region are saved in one file (a
// group), since one cannot load without the other.
//
// Spans that merely touch are separate regions: without unsafe, no program
// can tell that two views of one allocation that do not overlap were
// adjacent. Strings are not regions: they cannot be written through.

// view is what lives in a span of memory: one value of typ (n < 0), or n
// consecutive values of typ (a slice's array; n is its capacity).
type view struct {
	typ reflect.Type
	n   int
}

func (v view) size() uintptr {
	if v.n < 0 {
		return v.typ.Size()
	}
	return uintptr(v.n) * v.typ.Size()
}

// span is a piece of memory a kept value reaches.
type span struct {
	ptr  unsafe.Pointer
	view view
	// owner is the variable whose walk reached it (a span reached from
	// two is noted twice); root tells whether it is that variable's own
	// storage.
	owner int
	root  bool
}

// region is a union of overlapping spans: one allocation as far as the
// kept values can see it.
type region struct {
	base unsafe.Pointer
	size uintptr
	view view
	root int // the variable it is the storage of, or -1
}

func (s *span) addr() uintptr   { return uintptr(s.ptr) }
func (r *region) addr() uintptr { return uintptr(r.base) }
func (r *region) end() uintptr  { return r.addr() + r.size }

// memory is what the walk over the kept values found.
type memory struct {
	spans   []span
	regions []region      // sorted by address, disjoint
	errs    map[int]error // regions that cannot be written, by index
	// ids are the regions' ids in the file of their group, plus one (0:
	// not written yet). A region belongs to one group: one slice serves all.
	ids     []uint64
	seen    map[spanKey]bool
	maps    map[uintptr]int // a map's pointer -> the first variable reaching it
	dyn     []reflect.Type  // types met inside interfaces, in order
	dynSeen map[reflect.Type]bool
	// walkedFrom: for the slices of one array (they end where it ends),
	// the first element walked so far; the elements after it are walked
	// already, so that n windows of one array cost n, not n².
	walkedFrom map[arrayEnd]uintptr
	walked     int   // values walked, for the tests
	parent     []int // union-find over variables that share memory
	cur        int
}

type arrayEnd struct {
	end uintptr
	typ reflect.Type
}

type spanKey struct {
	addr uintptr
	typ  reflect.Type
	n    int
}

func (m *memory) find(i int) int {
	for m.parent[i] != i {
		m.parent[i] = m.parent[m.parent[i]]
		i = m.parent[i]
	}
	return i
}

func (m *memory) join(a, b int) { m.parent[m.find(a)] = m.find(b) }

// discover walks vars and builds their regions and groups.
func discover(vars []Var) *memory {
	m := &memory{seen: map[spanKey]bool{}, errs: map[int]error{}, maps: map[uintptr]int{}, dynSeen: map[reflect.Type]bool{}, walkedFrom: map[arrayEnd]uintptr{}, parent: make([]int, len(vars))}
	for i := range vars {
		m.parent[i] = i
	}
	for i, v := range vars {
		m.cur = i
		rv := reflect.ValueOf(v.Ptr).Elem()
		if rv.Type().Size() == 0 {
			continue
		}
		if m.add(rv.Addr().UnsafePointer(), view{rv.Type(), -1}, true) {
			m.walk(rv)
		}
	}
	m.merge(vars)
	return m
}

// add notes a span and reports whether what it holds is still to be
// walked: once per span, and only if its type holds references. (A span
// met twice is noted twice: merge joins its owners.)
func (m *memory) add(p unsafe.Pointer, v view, root bool) bool {
	m.spans = append(grow(m.spans), span{ptr: p, view: v, owner: m.cur, root: root})
	if !hasRefs(v.typ) {
		return false
	}
	key := spanKey{uintptr(p), v.typ, v.n}
	if m.seen[key] {
		return false
	}
	m.seen[key] = true
	return true
}

// walk notes the spans reachable from v (see the encoder for the kinds).
func (m *memory) walk(v reflect.Value) {
	m.walked++
	t := v.Type()
	if !hasRefs(t) {
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() || t.Elem().Size() == 0 {
			return
		}
		if m.add(v.UnsafePointer(), view{t.Elem(), -1}, false) {
			m.walk(v.Elem())
		}
	case reflect.Slice:
		et := t.Elem()
		if v.IsNil() || v.Cap() == 0 || et.Size() == 0 {
			return
		}
		if m.add(v.UnsafePointer(), view{et, v.Cap()}, false) {
			start := uintptr(v.UnsafePointer())
			key := arrayEnd{start + uintptr(v.Cap())*et.Size(), et}
			stop := v.Cap()
			if from, ok := m.walkedFrom[key]; ok && from <= start {
				stop = 0
			} else {
				if ok {
					stop = int((from - start) / et.Size())
				}
				m.walkedFrom[key] = start
			}
			all := v.Slice(0, v.Cap())
			for i := range stop {
				m.walk(all.Index(i))
			}
		}
	case reflect.Array:
		for i := range v.Len() {
			m.walk(v.Index(i))
		}
	case reflect.Struct:
		v = readable(v)
		for i := range t.NumField() {
			if f := t.Field(i); f.Name != "_" && hasRefs(f.Type) {
				m.walk(field(v, i))
			}
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		if o, ok := m.maps[v.Pointer()]; ok {
			if o != m.cur {
				m.join(o, m.cur)
			}
			return
		}
		m.maps[v.Pointer()] = m.cur
		if hasRefs(t.Key()) || hasRefs(t.Elem()) {
			it := v.MapRange()
			for it.Next() {
				m.walk(it.Key())
				m.walk(it.Value())
			}
		}
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		if _, _, ok := sentinelName(v); ok {
			return // written by name: no memory of its own to share
		}
		dyn := v.Elem()
		if !m.dynSeen[dyn.Type()] {
			m.dynSeen[dyn.Type()] = true
			m.dyn = append(m.dyn, dyn.Type())
		}
		m.walk(dyn) // (not addressable: a struct inside is copied by readable)
	}
}

// merge sorts the spans into regions, joining the variables that reach one.
func (m *memory) merge(vars []Var) {
	slices.SortFunc(m.spans, func(a, b span) int {
		if a.ptr != b.ptr {
			if a.addr() < b.addr() {
				return -1
			}
			return 1
		}
		if sa, sb := a.view.size(), b.view.size(); sa != sb {
			if sa > sb {
				return -1
			}
			return 1
		}
		return 0
	})
	m.regions = make([]region, 0, len(m.spans))
	for i := 0; i < len(m.spans); {
		lo, hi := m.spans[i].addr(), m.spans[i].addr()+m.spans[i].view.size()
		j := i + 1
		for ; j < len(m.spans) && m.spans[j].addr() < hi; j++ {
			hi = max(hi, m.spans[j].addr()+m.spans[j].view.size())
		}
		r := region{size: hi - lo, base: m.spans[i].ptr, root: -1}
		var err error
		r.view, r.root, err = describeRegion(m.spans[i:j], lo, hi, vars)
		if err != nil {
			m.errs[len(m.regions)] = err
		}
		for _, s := range m.spans[i+1 : j] {
			m.join(s.owner, m.spans[i].owner)
		}
		m.regions = append(m.regions, r)
		i = j
	}
	m.spans, m.seen, m.walkedFrom = nil, nil, nil // only the regions are needed from here
	m.ids = make([]uint64, len(m.regions))
}

// describeRegion chooses the view of the memory [lo, hi) that all its spans
// fit in: a variable's own (it is where the loading program has it), a
// span covering all, else an array of an element its slices share.
func describeRegion(spans []span, lo, hi uintptr, vars []Var) (view, int, error) {
	if len(spans) == 1 {
		if spans[0].root {
			return spans[0].view, spans[0].owner, nil
		}
		return spans[0].view, -1, nil
	}
	var candidates []view
	root := -1
	for _, s := range spans {
		if !s.root {
			continue
		}
		if root >= 0 {
			return view{}, -1, &CannotCarryError{Path: vars[s.owner].Name, Reason: "it is the same variable as " + vars[root].Name}
		}
		root = s.owner
		candidates = append(candidates, s.view)
	}
	// Most regions of more than one span have one covering the others (sorted first).
	if root < 0 && spans[0].view.size() == hi-lo && allFit(spans[0].view, spans, lo) {
		return spans[0].view, -1, nil
	}
	if root < 0 {
		for _, s := range spans {
			if s.addr() == lo && s.view.size() == hi-lo {
				candidates = append(candidates, s.view)
			}
		}
		for _, s := range spans {
			et := s.view.typ
			if s.view.n < 0 {
				if et.Kind() != reflect.Array || et.Len() == 0 {
					continue
				}
				et = et.Elem()
			}
			if es := et.Size(); es > 0 && (hi-lo)%es == 0 && (hi-lo)/es <= math.MaxInt32 {
				candidates = append(candidates, view{et, int((hi - lo) / es)})
			}
		}
	}
	for _, c := range candidates {
		if c.size() != hi-lo {
			continue
		}
		if allFit(c, spans, lo) {
			return c, root, nil
		}
	}
	return view{}, root, &CannotCarryError{Path: vars[spans[0].owner].Name,
		Reason: "it shares memory in a way that cannot be written down (made with unsafe?)"}
}

func allFit(r view, spans []span, lo uintptr) bool {
	for _, s := range spans {
		if !fits(r, s.addr()-lo, s.view) {
			return false
		}
	}
	return true
}

// region returns the region holding the span [addr, addr+size).
func (m *memory) region(addr, size uintptr) (int, bool) {
	i, _ := slices.BinarySearchFunc(m.regions, addr, func(r region, a uintptr) int {
		if r.addr() <= a {
			return -1
		}
		return 1
	})
	i--
	if i < 0 || addr+size > m.regions[i].end() {
		return 0, false
	}
	return i, true
}

// fits tells whether a span holding u can live at byte offset off of
// memory holding r: u is r itself, a part of it (a field, an element, a
// run of elements of an array), with the same layout. The decoder checks
// it for every pointer and slice it makes, so that a damaged file never
// makes a pointer typed differently from the memory it points into.
func fits(r view, off uintptr, u view) bool {
	size := u.size()
	if size == 0 || off > r.size() || size > r.size()-off {
		return false
	}
	if r.n < 0 {
		return fitsIn(r.typ, off, u, size)
	}
	if elemsOf(r.typ, off, u) {
		return true
	}
	es := r.typ.Size()
	return fitsIn(r.typ, off%es, u, size)
}

// elemsOf tells whether u is a run of elements et starting at offset off of an array of them.
func elemsOf(et reflect.Type, off uintptr, u view) bool {
	if off%et.Size() != 0 {
		return false
	}
	if u.n >= 0 {
		return sameLayout(et, u.typ)
	}
	return u.typ.Kind() == reflect.Array && u.typ.Len() > 0 && sameLayout(et, u.typ.Elem())
}

func fitsIn(t reflect.Type, off uintptr, u view, size uintptr) bool {
	for off+size <= t.Size() {
		if off == 0 && (u.n < 0 || u.n == 1) && sameLayout(t, u.typ) {
			return true
		}
		if _, ok := marshalerType(t); ok {
			return false // its insides are not the program's (see marshalerType)
		}
		switch t.Kind() {
		case reflect.Array:
			et := t.Elem()
			if et.Size() == 0 {
				return false
			}
			if elemsOf(et, off, u) {
				return true
			}
			t, off = et, off%et.Size()
		case reflect.Struct:
			next := reflect.Type(nil)
			for i := range t.NumField() {
				f := t.Field(i)
				if f.Type.Size() > 0 && off >= f.Offset && off+size <= f.Offset+f.Type.Size() {
					next, off = f.Type, off-f.Offset
					break
				}
			}
			if next == nil {
				return false
			}
			t = next
		default:
			return false
		}
	}
	return false
}

// sameLayout tells whether memory of type a may be seen as b: the same
// type, or one a pointer conversion allows (identical underlying types).
func sameLayout(a, b reflect.Type) bool {
	return a == b || reflect.PointerTo(a).ConvertibleTo(reflect.PointerTo(b))
}

var refsCache sync.Map // reflect.Type -> bool

// hasRefs tells whether values of t may hold pointers, slices, maps or
// interfaces that the walk must follow. Values of other types (numbers,
// strings, a 10 MB []byte's elements) are skipped whole.
func hasRefs(t reflect.Type) bool {
	if r, ok := refsCache.Load(t); ok {
		return r.(bool)
	}
	r := false
	if _, ok := marshalerType(t); !ok && !(t.PkgPath() == "sync" && syncTypes[t.String()] != "") {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			r = true
		case reflect.Array:
			r = t.Len() > 0 && hasRefs(t.Elem())
		case reflect.Struct:
			for i := range t.NumField() {
				if hasRefs(t.Field(i).Type) {
					r = true
					break
				}
			}
		}
	}
	refsCache.Store(t, r)
	return r
}

// A region is written where it is first referred to, with how the loading
// program finds its type: from a start (0: the type the reference points
// at; 1: a type description follows, as inside interfaces; 2+i: the type of
// the group's i-th variable), steps through the types (0: element of a
// pointer, slice, array or map; 1: key of a map; 2+i: field i of a struct),
// then 0 for one value or 1+n for an array of n. Most regions are "the
// pointee itself" (0, no steps, 0) or "the slice's array" (0, no steps,
// 1+cap); the rest (a pointer into a struct met before the struct) search
// the types the group's values are made of.

// typePath writes how to find r's type for a reference whose target is u.
func (e *encoder) typePath(r view, u view) error {
	arr := uint64(0)
	if r.n >= 0 {
		arr = uint64(r.n) + 1
	}
	if r.typ == u.typ {
		e.uvarint(0)
		e.uvarint(0)
		e.uvarint(arr)
		return nil
	}
	type start struct {
		code uint64
		desc string
		typ  reflect.Type
	}
	starts := []start{{code: 0, typ: u.typ}}
	for k, t := range e.rootTypes {
		starts = append(starts, start{code: 2 + uint64(k), typ: t})
	}
	for _, t := range e.mem.dyn {
		if d, err := describe(t); err == nil {
			starts = append(starts, start{code: 1, desc: d, typ: t})
		}
	}
	for _, s := range starts {
		steps, ok := typeSteps(s.typ, r.typ)
		if !ok {
			continue
		}
		e.uvarint(s.code)
		if s.code == 1 {
			e.bytes([]byte(s.desc))
			if e.dyn != nil {
				namedIn(s.typ, e.dyn)
			}
		}
		e.uvarint(uint64(len(steps)))
		for _, st := range steps {
			e.uvarint(st)
		}
		e.uvarint(arr)
		return nil
	}
	return errors.New("keep: no way to name the type of " + r.typ.String() + " in the next cell")
}

// typeSteps finds the shortest way through the types from `from` to `to`.
func typeSteps(from, to reflect.Type) ([]uint64, bool) {
	type node struct {
		t    reflect.Type
		prev int
		step uint64
	}
	queue := []node{{t: from, prev: -1}}
	seen := map[reflect.Type]bool{from: true}
	for i := 0; i < len(queue); i++ {
		n := queue[i]
		if n.t == to {
			var steps []uint64
			for j := i; queue[j].prev >= 0; j = queue[j].prev {
				steps = append(steps, queue[j].step)
			}
			slices.Reverse(steps)
			return steps, true
		}
		next := func(t reflect.Type, step uint64) {
			if !seen[t] {
				seen[t] = true
				queue = append(queue, node{t: t, prev: i, step: step})
			}
		}
		switch n.t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			next(n.t.Elem(), 0)
		case reflect.Map:
			next(n.t.Key(), 1)
			next(n.t.Elem(), 0)
		case reflect.Struct:
			for f := range n.t.NumField() {
				next(n.t.Field(f).Type, 2+uint64(f))
			}
		}
	}
	return nil, false
}

// typePath reads what the encoder's typePath wrote.
func (d *decoder) typePath(u view) (view, error) {
	code, err := d.uvarint()
	if err != nil {
		return view{}, err
	}
	var t reflect.Type
	switch {
	case code == 0:
		t = u.typ
	case code == 1:
		desc, err := d.str()
		if err != nil {
			return view{}, err
		}
		if t, err = lookupDescription(desc); err != nil {
			return view{}, err
		}
	case code-2 < uint64(len(d.roots)):
		t = d.roots[code-2].view.typ
	default:
		return view{}, errBadRef
	}
	n, err := d.length(1)
	if err != nil {
		return view{}, err
	}
	for range n {
		step, err := d.uvarint()
		if err != nil {
			return view{}, err
		}
		switch k := t.Kind(); {
		case step == 0 && (k == reflect.Pointer || k == reflect.Slice || k == reflect.Array || k == reflect.Map):
			t = t.Elem()
		case step == 1 && k == reflect.Map:
			t = t.Key()
		case step >= 2 && k == reflect.Struct && step-2 < uint64(t.NumField()):
			t = t.Field(int(step - 2)).Type
		default:
			return view{}, errBadRef
		}
	}
	arr, err := d.uvarint()
	if err != nil {
		return view{}, err
	}
	v := view{typ: t, n: -1}
	if arr > 0 {
		if arr-1 > math.MaxInt32 || t.Size() == 0 || (arr-1)*uint64(t.Size()) > 1<<40 {
			return view{}, errShort
		}
		v.n = int(arr - 1)
	}
	if v.size() == 0 {
		return view{}, errBadRef
	}
	// A damaged file must not make the loader allocate more than its
	// bytes can fill: every value takes at least minEncoded bytes.
	count := uint64(1)
	if v.n >= 0 {
		count = uint64(v.n)
	}
	if min := minEncoded(t); min > 0 {
		if count > uint64(len(d.buf))/min {
			return view{}, errShort
		}
	} else if v.size() > 1<<20 {
		return view{}, errShort
	}
	return v, nil
}

// grow makes room for one more element, doubling: a value of a million
// parts would otherwise allocate its list of spans five times over.
func grow[S ~[]E, E any](s S) S {
	if len(s) < cap(s) {
		return s
	}
	return slices.Grow(s, max(len(s), 16))
}

var errBadRef = errors.New("keep: kept value refers to memory it does not hold")

// minEncoded is the fewest bytes the encoder writes for a value of t.
func minEncoded(t reflect.Type) uint64 {
	if t.PkgPath() == "sync" && syncTypes[t.String()] != "" {
		return 0
	}
	if _, ok := marshalerType(t); ok {
		return 1
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return 8
	case reflect.Complex64, reflect.Complex128:
		return 16
	case reflect.Array:
		return min(uint64(t.Len())*minEncoded(t.Elem()), 1<<40)
	case reflect.Struct:
		var n uint64
		for i := range t.NumField() {
			if f := t.Field(i); f.Name != "_" {
				n = min(n+minEncoded(f.Type), 1<<40)
			}
		}
		return n
	case reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return 0
	}
	return 1
}

// regionSlot is a region as the decoder has it: where it was allocated.
type regionSlot struct {
	base unsafe.Pointer
	view view
}

// ref reads a reference whose first tag (1: a new region, 2+id: one met
// before) was read already, and returns the address it refers to, checked
// to fit its region. A new region's contents are read here.
func (d *decoder) ref(tag uint64, u view, depth int) (unsafe.Pointer, error) {
	off, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	var r regionSlot
	switch {
	case tag == 1:
		v, err := d.typePath(u)
		if err != nil {
			return nil, err
		}
		if !fits(v, uintptr(off), u) {
			return nil, errBadRef
		}
		r.view = v
		var contents reflect.Value
		if v.n < 0 {
			p := reflect.New(v.typ)
			r.base, contents = p.UnsafePointer(), p.Elem()
		} else {
			contents = reflect.MakeSlice(reflect.SliceOf(v.typ), v.n, v.n)
			r.base = contents.UnsafePointer()
		}
		d.regions = append(grow(d.regions), r) // before its contents: a cycle comes back to it
		if v.n < 0 {
			err = d.value(contents, depth+1)
		} else {
			err = d.elems(contents, depth+1)
		}
		if err != nil {
			return nil, err
		}
	case tag-2 < uint64(len(d.regions)):
		r = d.regions[tag-2]
		if off > uint64(r.view.size()) || !fits(r.view, uintptr(off), u) {
			return nil, errBadRef
		}
	default:
		return nil, errBadRef
	}
	return unsafe.Add(r.base, off), nil
}

// sliceHeader is how Go lays out a slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// ref writes a reference to the span u at addr (held by from, a pointer or
// a slice): the region's tag (1 new, 2+id met before), the offset in it,
// and for a new region how to find its type and its contents.
func (e *encoder) ref(addr uintptr, u view, from reflect.Value, path string) error {
	ri, ok := e.mem.region(addr, u.size())
	if !ok {
		return &CannotCarryError{Path: path, Reason: "it changed while it was being saved (is a goroutine still running?)"}
	}
	r := &e.mem.regions[ri]
	if err := e.mem.errs[ri]; err != nil {
		return err
	}
	if id := e.mem.ids[ri]; id > 0 {
		e.uvarint(id + 1)
		e.uvarint(uint64(addr - r.addr()))
		return nil
	}
	if r.root >= 0 {
		// A variable of another group: discover joined them, so this
		// is a variable changed since (a goroutine still running).
		return &CannotCarryError{Path: path, Reason: "it changed while it was being saved (is a goroutine still running?)"}
	}
	e.nextRegion++
	e.mem.ids[ri] = e.nextRegion
	e.uvarint(1)
	e.uvarint(uint64(addr - r.addr()))
	if err := e.typePath(r.view, u); err != nil {
		return err
	}
	if r.view.n < 0 {
		return e.value(reflect.NewAt(r.view.typ, r.base).Elem(), path)
	}
	if from.Kind() == reflect.Slice && r.view == u && addr == r.addr() && from.Len() == u.n {
		return e.elems(from, path) // the slice is its whole region: no header to make
	}
	return e.elems(reflect.SliceAt(r.view.typ, r.base, r.view.n), path)
}
