package keep

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

type ledger struct {
	name  string
	rows  [3]int
	total int
}

type halves struct {
	a, b []int
}

type ints []int

// sharing is one way Go values share memory. build makes the variables
// afresh; check changes them through one view and tells what another view
// shows, which must be what `go run` of one program shows: check runs on the
// built values themselves first, then on values saved and loaded once
// (the next cell) and twice (the cell after).
type sharing struct {
	name  string
	build func() []Var
	check func(v []any) error
	// together: the variables that must be saved in one file.
	together []string
}

func sharings() []sharing {
	return []sharing{
		{
			name: "a slice and a slice of it",
			build: func() []Var {
				s := []int{1, 2, 3, 4}
				t := s[1:3]
				return []Var{{Name: "s", Ptr: &s}, {Name: "t", Ptr: &t}}
			},
			check: func(v []any) error {
				s, t := v[0].(*[]int), v[1].(*[]int)
				(*t)[0] = 9
				if len(*t) != 2 || cap(*t) != 3 || cap(*s) != 4 {
					return fmt.Errorf("len(t) %d cap(t) %d cap(s) %d, want 2 3 4", len(*t), cap(*t), cap(*s))
				}
				*t = append(*t, 7) // within capacity: writes s[3]
				if fmt.Sprint(*s) != "[1 9 3 7]" || &(*t)[0] != &(*s)[1] {
					return fmt.Errorf("s = %v after t[0] = 9 and an append to t", *s)
				}
				return nil
			},
			together: []string{"s", "t"},
		},
		{
			name: "a pointer into an array variable",
			build: func() []Var {
				arr := [4]int{1, 2, 3, 4}
				p := &arr[2]
				return []Var{{Name: "arr", Ptr: &arr}, {Name: "p", Ptr: &p}}
			},
			check: func(v []any) error {
				arr, p := v[0].(*[4]int), v[1].(**int)
				**p = 30
				if arr[2] != 30 || *p != &arr[2] {
					return fmt.Errorf("arr %v, p == &arr[2]: %v", *arr, *p == &arr[2])
				}
				return nil
			},
			together: []string{"arr", "p"},
		},
		{
			name: "pointers into a struct variable: a field and an element of an array field",
			build: func() []Var {
				st := ledger{name: "l", rows: [3]int{1, 2, 3}, total: 6}
				q := &st.total
				r := &st.rows[1]
				return []Var{{Name: "q", Ptr: &q}, {Name: "st", Ptr: &st}, {Name: "r", Ptr: &r}}
			},
			check: func(v []any) error {
				q, st, r := v[0].(**int), v[1].(*ledger), v[2].(**int)
				**q, **r = 60, 20
				if st.total != 60 || st.rows[1] != 20 || *q != &st.total || *r != &st.rows[1] {
					return fmt.Errorf("st %+v", *st)
				}
				return nil
			},
			together: []string{"q", "st", "r"},
		},
		{
			name: "a pointer to an element of a slice",
			build: func() []Var {
				sl := []int{5, 6, 7}
				r := &sl[1]
				return []Var{{Name: "r", Ptr: &r}, {Name: "sl", Ptr: &sl}}
			},
			check: func(v []any) error {
				r, sl := v[0].(**int), v[1].(*[]int)
				**r = 60
				if (*sl)[1] != 60 || *r != &(*sl)[1] {
					return fmt.Errorf("sl %v", *sl)
				}
				return nil
			},
			together: []string{"r", "sl"},
		},
		{
			name: "a pointer to a variable",
			build: func() []Var {
				x := 5
				p := &x
				return []Var{{Name: "p", Ptr: &p}, {Name: "x", Ptr: &x}}
			},
			check: func(v []any) error {
				p, x := v[0].(**int), v[1].(*int)
				**p = 6
				if *x != 6 || *p != x {
					return fmt.Errorf("x = %d", *x)
				}
				return nil
			},
			together: []string{"p", "x"},
		},
		{
			name: "a pointer into a heap struct met before the struct",
			build: func() []Var {
				acc := &account{owner: "ann", balance: 1}
				h := &acc.balance
				return []Var{{Name: "h", Ptr: &h}, {Name: "acc", Ptr: &acc}}
			},
			check: func(v []any) error {
				h, acc := v[0].(**int), v[1].(**account)
				**h = 42
				if (*acc).balance != 42 || *h != &(*acc).balance || (*acc).owner != "ann" {
					return fmt.Errorf("acc %+v", **acc)
				}
				return nil
			},
			together: []string{"h", "acc"},
		},
		{
			name: "two fields of one struct share an array",
			build: func() []Var {
				all := make([]int, 3, 8)
				hv := halves{a: all, b: all[1:5]}
				return []Var{{Name: "hv", Ptr: &hv}}
			},
			check: func(v []any) error {
				hv := v[0].(*halves)
				hv.b[3] = 4 // beyond len(a), within its capacity
				hv.a = append(hv.a, 1, 2)
				if fmt.Sprint(hv.a[:cap(hv.a)]) != "[0 0 0 1 2 0 0 0]" || fmt.Sprint(hv.b) != "[0 0 1 2]" || cap(hv.b) != 7 {
					return fmt.Errorf("a %v b %v cap(b) %d", hv.a[:cap(hv.a)], hv.b, cap(hv.b))
				}
				return nil
			},
		},
		{
			name: "slices that overlap without either covering the other",
			build: func() []Var {
				base := []int{0, 1, 2, 3, 4}
				a := base[0:2:2]
				b := base[1:4:4]
				return []Var{{Name: "a", Ptr: &a}, {Name: "b", Ptr: &b}}
			},
			check: func(v []any) error {
				a, b := v[0].(*[]int), v[1].(*[]int)
				(*a)[1] = 9
				if (*b)[0] != 9 || cap(*a) != 2 || cap(*b) != 3 || fmt.Sprint(*b) != "[9 2 3]" {
					return fmt.Errorf("a %v b %v", *a, *b)
				}
				return nil
			},
			together: []string{"a", "b"},
		},
		{
			name: "a pointer to an element of a slice of structs",
			build: func() []Var {
				items := []account{{owner: "a"}, {owner: "b", history: []int{1}}}
				top := &items[1]
				return []Var{{Name: "items", Ptr: &items}, {Name: "top", Ptr: &top}}
			},
			check: func(v []any) error {
				items, top := v[0].(*[]account), v[1].(**account)
				(*top).balance = 3
				(*top).history[0] = 2
				if (*items)[1].balance != 3 || (*items)[1].history[0] != 2 || *top != &(*items)[1] {
					return fmt.Errorf("items %+v", *items)
				}
				return nil
			},
			together: []string{"items", "top"},
		},
		{
			name: "an interface holding another variable's slice",
			build: func() []Var {
				s := []int{1, 2}
				var held any = s
				return []Var{{Name: "held", Ptr: &held}, {Name: "s", Ptr: &s}}
			},
			check: func(v []any) error {
				held, s := v[0].(*any), v[1].(*[]int)
				(*held).([]int)[0] = 5
				if (*s)[0] != 5 {
					return fmt.Errorf("s %v", *s)
				}
				return nil
			},
			together: []string{"held", "s"},
		},
		{
			name: "a named slice type and an array pointer converted from it",
			build: func() []Var {
				xs := ints{1, 2, 3}
				ap := (*[2]int)(xs[1:])
				return []Var{{Name: "xs", Ptr: &xs}, {Name: "ap", Ptr: &ap}}
			},
			check: func(v []any) error {
				xs, ap := v[0].(*ints), v[1].(**[2]int)
				(*ap)[0] = 8
				if (*xs)[1] != 8 || &(*ap)[1] != &(*xs)[2] {
					return fmt.Errorf("xs %v", *xs)
				}
				return nil
			},
			together: []string{"xs", "ap"},
		},
		{
			name: "spare capacity keeps what is beyond the length",
			build: func() []Var {
				s := make([]int, 2, 5)
				s[:5][4] = 7
				return []Var{{Name: "s", Ptr: &s}}
			},
			check: func(v []any) error {
				s := v[0].(*[]int)
				if cap(*s) != 5 || (*s)[:5][4] != 7 {
					return fmt.Errorf("cap %d, s[:5] %v", cap(*s), (*s)[:cap(*s)])
				}
				return nil
			},
		},
		{
			name: "a grid, a row of it and a cell of it",
			build: func() []Var {
				var grid [3][3]int
				rows := grid[:]
				row := grid[1][:]
				cell := &grid[2][2]
				return []Var{{Name: "cell", Ptr: &cell}, {Name: "row", Ptr: &row}, {Name: "rows", Ptr: &rows}, {Name: "grid", Ptr: &grid}}
			},
			check: func(v []any) error {
				cell, row, rows, grid := v[0].(**int), v[1].(*[]int), v[2].(*[][3]int), v[3].(*[3][3]int)
				**cell = 1
				(*row)[0] = 2
				(*rows)[0][0] = 3
				if fmt.Sprint(*grid) != "[[3 0 0] [2 0 0] [0 0 1]]" || &(*rows)[1][0] != &(*row)[0] {
					return fmt.Errorf("grid %v", *grid)
				}
				return nil
			},
			together: []string{"cell", "row", "rows", "grid"},
		},
		{
			name: "slices of one array in a map and a ring through a field",
			build: func() []Var {
				base := []int{0, 1, 2}
				m := map[string][]int{"a": base[:2], "b": base[1:]}
				n1 := &node{val: 1}
				n1.next = &node{val: 2, next: n1}
				link := &n1.next.next
				return []Var{{Name: "m", Ptr: &m}, {Name: "link", Ptr: &link}, {Name: "n1", Ptr: &n1}}
			},
			check: func(v []any) error {
				m, link, n1 := v[0].(*map[string][]int), v[1].(***node), v[2].(**node)
				(*m)["a"][1] = 9
				if (*m)["b"][0] != 9 {
					return fmt.Errorf("m %v", *m)
				}
				**link = nil
				if (*n1).next.next != nil || (*n1).next.val != 2 {
					return fmt.Errorf("the ring did not change through link")
				}
				return nil
			},
			together: []string{"link", "n1"},
		},
		{
			// The struct is reached only through an interface, after the
			// pointer into it: the loader finds its type by the name the
			// interface carries.
			name: "a pointer into a struct held by an interface, met first",
			build: func() []Var {
				var held any = &account{owner: "held", balance: 1}
				h := &held.(*account).balance
				return []Var{{Name: "h", Ptr: &h}, {Name: "held", Ptr: &held}}
			},
			check: func(v []any) error {
				h, held := v[0].(**int), v[1].(*any)
				**h = 7
				acc := (*held).(*account)
				if acc.balance != 7 || *h != &acc.balance || acc.owner != "held" {
					return fmt.Errorf("held %+v", *acc)
				}
				return nil
			},
			together: []string{"h", "held"},
		},
		{
			name: "zero-size values",
			build: func() []Var {
				z := struct{}{}
				pz := &z
				zs := make([]struct{}, 3, 5)
				return []Var{{Name: "pz", Ptr: &pz}, {Name: "zs", Ptr: &zs}}
			},
			check: func(v []any) error {
				pz, zs := v[0].(**struct{}), v[1].(*[]struct{})
				if *pz == nil || len(*zs) != 3 || cap(*zs) != 5 {
					return fmt.Errorf("pz %v, len %d cap %d", *pz, len(*zs), cap(*zs))
				}
				return nil
			},
		},
	}
}

func TestSharingCarriesOver(t *testing.T) {
	Register(account{})
	for _, sh := range sharings() {
		t.Run(sh.name, func(t *testing.T) {
			if err := sh.check(ptrsOf(sh.build())); err != nil {
				t.Fatalf("the check fails on the values themselves: %v", err)
			}
			for cells := 1; cells <= 2; cells++ {
				vars := sh.build()
				var rep *Report
				for range cells {
					var out []any
					out, rep = roundTrip(t, vars...)
					if len(rep.Failed) > 0 {
						t.Fatalf("failed: %v", rep.Failed)
					}
					for i := range vars {
						vars[i].Ptr = out[i]
					}
				}
				if err := sh.check(ptrsOf(vars)); err != nil {
					t.Errorf("after %d cells: %v", cells, err)
				}
				if sh.together != nil {
					var in []string
					for _, g := range rep.Groups {
						if len(g.Names) > 1 {
							in = g.Names
						}
					}
					if strings.Join(in, " ") != strings.Join(sh.together, " ") {
						t.Errorf("saved together: %v, want %v (groups %v)", in, sh.together, rep.Groups)
					}
				}
			}
		})
	}
}

func ptrsOf(vars []Var) []any {
	out := make([]any, len(vars))
	for i, v := range vars {
		out[i] = v.Ptr
	}
	return out
}

// Many windows onto one array of pointers (windows = append(windows,
// data[i:])) are walked in time linear in the array, not quadratic, and
// come back as windows onto one array.
func TestWindowsWalkedOnce(t *testing.T) {
	data := make([]*int, 2000)
	for i := range data {
		data[i] = ptr(i)
	}
	var windows [][]*int
	for i := range data {
		windows = append(windows, data[i:])
	}
	vars := []Var{{Name: "windows", Ptr: &windows}, {Name: "data", Ptr: &data}}
	if m := discover(vars); m.walked > 10*len(data) {
		t.Errorf("%d values walked for %d windows of %d pointers", m.walked, len(windows), len(data))
	}
	out, rep := roundTrip(t, vars...)
	if len(rep.Failed) > 0 {
		t.Fatal(rep.Failed)
	}
	w, d := *out[0].(*[][]*int), *out[1].(*[]*int)
	*w[1500][0] = -1
	if *d[1500] != -1 || &w[1500][0] != &d[1500] || &w[3][0] != &w[0][3] {
		t.Error("the windows are not windows onto data after loading")
	}
}

// Memory seen as two unrelated types (only unsafe can do it) is refused
// with a reason, and the variables beside it still carry.
func TestSharingThatCannotBeWritten(t *testing.T) {
	xs := []int{1, 2}
	f := (*float64)(unsafe.Pointer(&xs[0]))
	_, rep := roundTrip(t, Var{Name: "xs", Ptr: &xs}, Var{Name: "f", Ptr: &f}, Var{Name: "fine", Ptr: ptr(1)})
	if !strings.Contains(rep.Failed["xs"]+rep.Failed["f"], "cannot be written down") ||
		!strings.Contains(rep.Failed["xs"]+rep.Failed["f"], "shares memory with") {
		t.Errorf("failed: %v", rep.Failed)
	}
	if _, bad := rep.Failed["fine"]; bad {
		t.Error("a variable sharing nothing failed too")
	}
}

// The loader checks every pointer it makes against the region it points
// into: a file naming a region of one type and pointing into it as another
// is refused, never loaded.
func TestDamagedReferenceIsRefused(t *testing.T) {
	dir := t.TempDir()
	arr := [2]int{1, 2}
	p := &arr[1]
	rep := saveGroups(dir, "c1", 1<<20, []Var{{Name: "arr", Ptr: &arr}, {Name: "p", Ptr: &p}})
	if len(rep.Groups) != 1 {
		t.Fatalf("groups %v", rep.Groups)
	}
	var arr2 [2]int
	var p2 *int
	if err := loadPlan(&Plan{Dir: dir, Groups: rep.Groups}, []Var{{Name: "arr", Ptr: &arr2}, {Name: "p", Ptr: &p2}}); err != nil || p2 != &arr2[1] {
		t.Fatalf("load: %v, p == &arr[1]: %v", err, p2 == &arr2[1])
	}
	// The same bytes loaded as a pointer to a float64 must not point into an array of ints.
	var arr3 [2]int
	var f *float64
	b, _ := readFile(dir + "/" + rep.Groups[0].File)
	hdr := encodeGroupHeader([]Var{{Name: "arr", Ptr: &arr3}, {Name: "p", Ptr: &f}}, []int{0, 1})
	body := b[len(encodeGroupHeader([]Var{{Name: "arr", Ptr: &arr}, {Name: "p", Ptr: &p}}, []int{0, 1})):]
	err := decodeGroup(append(hdr, body...), []Var{{Name: "arr", Ptr: &arr3}, {Name: "p", Ptr: &f}})
	if err == nil || f != nil {
		t.Errorf("have %v, f = %v; want an error and f left nil", err, f)
	}
}

func TestFits(t *testing.T) {
	intT, floatT := reflect.TypeFor[int](), reflect.TypeFor[float64]()
	ledgerT := reflect.TypeFor[ledger]()
	tests := []struct {
		name string
		r    view
		off  uintptr
		u    view
		want bool
	}{
		{"the whole value", view{ledgerT, -1}, 0, view{ledgerT, -1}, true},
		{"a field", view{ledgerT, -1}, unsafe.Offsetof(ledger{}.total), view{intT, -1}, true},
		{"an element of an array field", view{ledgerT, -1}, unsafe.Offsetof(ledger{}.rows) + 8, view{intT, -1}, true},
		{"a run of an array field", view{ledgerT, -1}, unsafe.Offsetof(ledger{}.rows) + 8, view{intT, 2}, true},
		{"a run past an array field", view{ledgerT, -1}, unsafe.Offsetof(ledger{}.rows) + 8, view{intT, 3}, false},
		{"a field as another type", view{ledgerT, -1}, unsafe.Offsetof(ledger{}.total), view{floatT, -1}, false},
		{"inside a string", view{ledgerT, -1}, 8, view{intT, -1}, false},
		{"a run of an array", view{intT, 5}, 16, view{intT, 3}, true},
		{"past the end", view{intT, 5}, 24, view{intT, 3}, false},
		{"misaligned", view{intT, 5}, 4, view{intT, 1}, false},
		{"an array pointer into an array", view{intT, 5}, 8, view{reflect.TypeFor[[2]int](), -1}, true},
		{"an element of a row", view{reflect.TypeFor[[3]int](), 3}, 40, view{intT, -1}, true},
		{"a named type of the same layout", view{reflect.TypeFor[ints](), -1}, 0, view{reflect.TypeFor[[]int](), -1}, true},
		{"nothing", view{intT, 5}, 0, view{reflect.TypeFor[struct{}](), -1}, false},
	}
	for _, tt := range tests {
		if got := fits(tt.r, tt.off, tt.u); got != tt.want {
			t.Errorf("%s: fits = %v, want %v", tt.name, got, tt.want)
		}
	}
}
