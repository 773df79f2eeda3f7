package keep

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

type account struct {
	owner   string
	balance int
	history []int
}

type counter struct {
	mu sync.Mutex
	n  map[string]int
}

type node struct {
	val  int
	next *node
}

type stack[T any] struct{ items []T }

type shape interface{ area() float64 }

type square struct{ side float64 }

func (s square) area() float64 { return s.side * s.side }

// roundTrip saves vars and loads them into fresh variables of the same
// types, returning the fresh ones' pointers.
func roundTrip(t *testing.T, vars ...Var) ([]any, *Report) {
	t.Helper()
	dir := t.TempDir()
	rep := saveGroups(dir, "c1", 1<<30, vars)
	fresh := make([]Var, len(vars))
	out := make([]any, len(vars))
	for i, v := range vars {
		p := reflect.New(reflect.TypeOf(v.Ptr).Elem())
		fresh[i] = Var{Name: v.Name, Ptr: p.Interface()}
		out[i] = p.Interface()
	}
	var kept []Var
	for _, v := range fresh {
		if _, failed := rep.Failed[v.Name]; !failed {
			kept = append(kept, v)
		}
	}
	if err := loadPlan(&Plan{Dir: dir, Groups: rep.Groups}, kept); err != nil {
		t.Fatalf("load: %v", err)
	}
	return out, rep
}

func TestRoundTripValues(t *testing.T) {
	Register(square{}, account{})
	when := time.Date(2026, 12, 6, 13, 30, 0, 5, time.UTC)
	big1, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	tests := []struct {
		name string
		v    any // a pointer to the variable
	}{
		{"int", ptr(42)},
		{"negative int8", ptr(int8(-7))},
		{"uint64 max", ptr(^uint64(0))},
		{"float", ptr(3.25)},
		{"complex", ptr(complex(1, -2))},
		{"string", ptr("héllo\x00world")},
		{"empty string", ptr("")},
		{"bool", ptr(true)},
		{"slice of ints", ptr([]int{1, -2, 3})},
		{"nil slice", ptr([]string(nil))},
		{"empty slice", ptr([]string{})},
		{"bytes", ptr([]byte("abc"))},
		{"array", ptr([3]float64{1, 2, 3})},
		{"map", ptr(map[string][]int{"a": {1}, "b": nil})},
		{"nil map", ptr(map[int]bool(nil))},
		{"struct with unexported fields", ptr(account{owner: "ann", balance: 100, history: []int{100}})},
		{"struct holding an unlocked mutex", &counter{n: map[string]int{"x": 2}}},
		{"generic", ptr(stack[string]{items: []string{"a", "b"}})},
		{"time", ptr(when)},
		{"duration", ptr(1500 * time.Millisecond)},
		{"big int", ptr(big1)},
		{"interface holding a registered struct", ptr[shape](square{2})},
		{"any holding a slice", ptr[any]([]int{4, 5})},
		{"any holding a map of pointers", ptr[any](map[string]*account{"a": {owner: "a"}})},
		{"error", ptr(errors.New("boom"))},
		{"wrapped error", ptr(fmt.Errorf("outer: %w", errors.New("inner")))},
		{"nil interface", ptr[any](nil)},
		{"pointer to struct", ptr(&account{owner: "bob"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, rep := roundTrip(t, Var{Name: "x", Ptr: tt.v})
			if len(rep.Failed) > 0 {
				t.Fatalf("failed: %v", rep.Failed)
			}
			have := reflect.ValueOf(out[0]).Elem().Interface()
			want := reflect.ValueOf(tt.v).Elem().Interface()
			if !reflect.DeepEqual(have, want) && fmt.Sprint(have) != fmt.Sprint(want) {
				t.Errorf("have %#v\nwant %#v", have, want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// Aliasing: two variables pointing at one account still do after a round
// trip, and a change through one shows through the other.
func TestAliasingAcrossVariables(t *testing.T) {
	a := &account{owner: "ann", balance: 1}
	b := a
	other := &account{owner: "zed"}
	m := map[string]int{"k": 1}
	m2 := m
	out, rep := roundTrip(t, Var{Name: "a", Ptr: &a}, Var{Name: "b", Ptr: &b}, Var{Name: "other", Ptr: &other}, Var{Name: "m", Ptr: &m}, Var{Name: "m2", Ptr: &m2})
	if len(rep.Failed) > 0 {
		t.Fatal(rep.Failed)
	}
	a2, b2 := *out[0].(**account), *out[1].(**account)
	if a2 != b2 {
		t.Fatal("a and b point at different accounts after loading")
	}
	b2.balance = 42
	if a2.balance != 42 {
		t.Errorf("a.balance = %d after b.balance = 42", a2.balance)
	}
	if *out[2].(**account) == a2 {
		t.Error("other became the same account as a")
	}
	m3, m4 := *out[3].(*map[string]int), *out[4].(*map[string]int)
	m4["k"] = 7
	if m3["k"] != 7 {
		t.Error("m and m2 are different maps after loading")
	}
	// a and b are one group (one file), other alone.
	var sizes []int
	for _, g := range rep.Groups {
		sizes = append(sizes, len(g.Names))
	}
	if fmt.Sprint(sizes) != "[2 1 2]" {
		t.Errorf("groups %v, want a+b, other, m+m2", rep.Groups)
	}
}

func TestCycle(t *testing.T) {
	n1 := &node{val: 1}
	n2 := &node{val: 2, next: n1}
	n1.next = n2
	out, _ := roundTrip(t, Var{Name: "ring", Ptr: &n1})
	r := *out[0].(**node)
	if r.val != 1 || r.next.val != 2 || r.next.next != r {
		t.Errorf("ring not restored: %v -> %v -> %p (want %p)", r.val, r.next.val, r.next.next, r)
	}
}

func TestCannotCarry(t *testing.T) {
	locked := &counter{}
	locked.mu.Lock()
	var wg sync.WaitGroup
	wg.Add(1)
	tests := []struct {
		name, want string
		v          any
	}{
		// want: the variable's name, then the reason the report gives.
		{"channel", "pipe a channel lives in one program", ptr(make(chan int))},
		{"func", "f a func value", ptr(func() {})},
		{"locked mutex", "c c.mu: it is locked", locked},
		{"waitgroup with a count", "wg goroutines are still counted", &wg},
		{"channel inside a struct", "s s.done: a channel", ptr(struct{ done chan bool }{make(chan bool)})},
		{"func inside an interface", "x a func value", ptr[any](func() {})},
		{"a context, even one never cancelled", "ctx a context belongs to the program that made it", ptr(context.Background())},
		{"a cancellable context", "ctx a context belongs to the program that made it", ptr(ctxOf(context.WithCancel(context.Background())))},
		{"another package's unexported type behind an interface", "r it holds a flag.stringValue, a type package flag keeps to itself", ptr[flag.Value](flag.CommandLine.Lookup("test.run").Value)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, want, _ := strings.Cut(tt.want, " ")
			_, rep := roundTrip(t, Var{Name: name, Ptr: tt.v}, Var{Name: "fine", Ptr: ptr(1)})
			if !strings.HasPrefix(rep.Failed[name], want) {
				t.Errorf("have %q, want it to start %q", rep.Failed[name], want)
			}
			if _, bad := rep.Failed["fine"]; bad {
				t.Error("a carriable variable beside it failed too")
			}
		})
	}
}

// ctxOf is the context of a (context, cancel) pair; the cancel func is
// dropped on purpose (the context is only ever saved).
func ctxOf(ctx context.Context, _ context.CancelFunc) context.Context { return ctx }

func TestBudget(t *testing.T) {
	dir := t.TempDir()
	big := make([]byte, 1000)
	rep := saveGroups(dir, "c1", 500, []Var{{Name: "small", Ptr: ptr(1)}, {Name: "big", Ptr: &big}})
	if !strings.Contains(rep.Failed["big"], "limited to 500 bytes") {
		t.Errorf("big: %q", rep.Failed["big"])
	}
	if !slices.Equal(rep.Limited, []string{"big"}) {
		t.Errorf("limited %q, want big only", rep.Limited)
	}
	if len(rep.Groups) != 1 || rep.Groups[0].Names[0] != "small" {
		t.Errorf("groups %v", rep.Groups)
	}
	// A value its type keeps out is not Limited: it is noted where used.
	rep = saveGroups(dir, "c2", 500, []Var{{Name: "ch", Ptr: ptr(make(chan int))}})
	if rep.Failed["ch"] == "" || len(rep.Limited) != 0 {
		t.Errorf("a channel: failed %q, limited %q", rep.Failed["ch"], rep.Limited)
	}
}

func TestTypeChangedIsALoadError(t *testing.T) {
	dir := t.TempDir()
	rep := saveGroups(dir, "c1", 1<<20, []Var{{Name: "x", Ptr: ptr(account{owner: "a"})}})
	type account struct{ owner string } // a redefinition with fewer fields
	var y account
	err := loadPlan(&Plan{Dir: dir, Groups: rep.Groups}, []Var{{Name: "x", Ptr: &y}})
	var le *LoadError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "type changed") {
		t.Errorf("have %v, want a LoadError saying the type changed", err)
	}
}

// FuzzDecode: a damaged file of kept values is an error, never a crash, a
// runaway allocation or a pointer typed differently from what it points at.
func FuzzDecode(f *testing.F) {
	dir := f.TempDir()
	a := &account{owner: "x", balance: 3, history: []int{1, 2}}
	b := a
	saveGroups(dir, "seed", 1<<20, []Var{{Name: "a", Ptr: &a}, {Name: "b", Ptr: &b}, {Name: "m", Ptr: ptr(map[string]any{"k": []int{1}})}})
	// Regions: a slice of a slice, pointers into an array, a struct and a slice.
	arr := [4]int{1, 2, 3, 4}
	s := []int{5, 6, 7, 8}
	t := s[1:3]
	acc := &account{owner: "y", history: s[:2]}
	saveGroups(dir, "shared", 1<<20, []Var{{Name: "arr", Ptr: &arr}, {Name: "p", Ptr: ptr(&arr[2])}, {Name: "s", Ptr: &s}, {Name: "t", Ptr: &t}, {Name: "q", Ptr: ptr(&acc.balance)}, {Name: "acc", Ptr: &acc}})
	for _, name := range []string{"seed-0", "seed-1", "shared-0"} {
		if b, err := readFile(dir + "/" + name); err == nil {
			f.Add(b)
		} else {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var a1, a2 *account
		var m map[string]any
		decodeGroup(b, []Var{{Name: "a", Ptr: &a1}, {Name: "b", Ptr: &a2}})
		decodeGroup(b, []Var{{Name: "m", Ptr: &m}})
		var arr [4]int
		var p, q *int
		var s, ts []int
		var acc *account
		if decodeGroup(b, []Var{{Name: "arr", Ptr: &arr}, {Name: "p", Ptr: &p}, {Name: "s", Ptr: &s}, {Name: "t", Ptr: &ts}, {Name: "q", Ptr: &q}, {Name: "acc", Ptr: &acc}}) == nil {
			// Whatever loaded is memory the program may use.
			if p != nil {
				*p++
			}
			for i := range ts[:cap(ts)] {
				ts[:cap(ts)][i]++
			}
			if acc != nil {
				acc.history = append(acc.history, 1)
			}
		}
	})
}

// FuzzRoundTrip: any value built from the fuzzer's numbers and strings,
// with slices and pointers into each other, comes back equal and sharing
// as it did.
func FuzzRoundTrip(f *testing.F) {
	f.Add(int64(1), "a", 2.5, []byte{1, 2}, true, uint8(1), uint8(3))
	f.Add(int64(-5), "", 0.0, []byte{}, false, uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, n int64, s string, x float64, b []byte, flag bool, lo, hi uint8) {
		type rec struct {
			N    int64
			s    string
			X    float64
			b    []byte
			M    map[string]int64
			P    *rec
			flag bool
			nums []int64
			view []int64 // nums[lo:hi]
			at   *int64  // &nums[lo]
			arr  [4]int64
			pa   *int64 // &arr[lo%4]
		}
		r := &rec{N: n, s: s, X: x, b: b, M: map[string]int64{s: n}, flag: flag, nums: make([]int64, len(b), len(b)+int(hi%3))}
		r.P = r
		for i, c := range b {
			r.nums[i] = int64(c) * n
		}
		l, h := min(int(lo), len(b)), min(int(hi), cap(r.nums))
		if l > h {
			l, h = h, l
		}
		r.view = r.nums[l:h]
		if l < len(r.nums) {
			r.at = &r.nums[l]
		}
		r.arr = [4]int64{n, -n, int64(lo), int64(hi)}
		r.pa = &r.arr[lo%4]
		out, rep := roundTrip(t, Var{Name: "r", Ptr: &r})
		if len(rep.Failed) > 0 {
			t.Fatal(rep.Failed)
		}
		got := *out[0].(**rec)
		if got.P != got || got.N != n || got.s != s || got.flag != flag || got.M[s] != n ||
			string(got.b) != string(b) || (got.X != x && x == x) {
			t.Errorf("have %+v, want %+v", got, r)
		}
		if fmt.Sprint(got.nums[:cap(got.nums)]) != fmt.Sprint(r.nums[:cap(r.nums)]) || fmt.Sprint(got.view) != fmt.Sprint(r.view) ||
			cap(got.view) != cap(r.view) || got.arr != r.arr || got.pa != &got.arr[lo%4] {
			t.Errorf("have nums %v view %v arr %v, want %v %v %v", got.nums, got.view, got.arr, r.nums, r.view, r.arr)
		}
		if cap(got.view) > 0 && &got.view[:1][0] != &got.nums[:cap(got.nums)][l] {
			t.Error("view is not a slice of nums")
		}
		if r.at != nil && got.at != &got.nums[l] {
			t.Error("at does not point into nums")
		}
	})
}

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

// BenchmarkSaveLoad10MB is what a cell that uses a 10 MB kept value pays:
// its program loads the value before the cell's code and saves it after.
func BenchmarkSaveLoad10MB(b *testing.B) {
	dir := b.TempDir()
	big := make([]byte, 10<<20)
	for i := range big {
		big[i] = byte(i)
	}
	var out []byte
	for i := 0; b.Loop(); i++ {
		rep := saveGroups(dir, fmt.Sprint("s", i), 1<<30, []Var{{Name: "big", Ptr: &big}})
		if err := loadPlan(&Plan{Dir: dir, Groups: rep.Groups}, []Var{{Name: "big", Ptr: &out}}); err != nil {
			b.Fatal(err)
		}
		os.Remove(dir + "/" + rep.Groups[0].File)
	}
}

// Sentinel errors keep their identity: a later cell's err == io.EOF and
// errors.Is(err, context.Canceled) say what one program says. (Copied,
// io.EOF would be another *errors.errorString with the same text.)
func TestSentinelErrorsKeepTheirIdentity(t *testing.T) {
	type outcome struct {
		name string
		err  error
	}
	// What the engine's program does when it imports context (or loads a
	// value holding these): keep does not link context itself.
	RegisterSentinel("context.Canceled", context.Canceled)
	RegisterSentinel("context.DeadlineExceeded", context.DeadlineExceeded)
	wrapped := fmt.Errorf("reading the config: %w", io.EOF)
	_, atoiErr := strconv.Atoi("x")
	out, rep := roundTrip(t,
		Var{Name: "eof", Ptr: ptr(io.EOF)},
		Var{Name: "deadline", Ptr: ptr(context.DeadlineExceeded)},
		Var{Name: "canceled", Ptr: ptr[any](context.Canceled)},
		Var{Name: "wrapped", Ptr: ptr(wrapped)},
		Var{Name: "atoi", Ptr: ptr(atoiErr)},
		Var{Name: "inStruct", Ptr: ptr(outcome{"job 1", os.ErrNotExist})},
		Var{Name: "mine", Ptr: ptr(errors.New("EOF"))},
	)
	if len(rep.Failed) > 0 {
		t.Fatalf("failed: %v", rep.Failed)
	}
	// The loading program must register what the saving one registered.
	for _, want := range []string{"deadline =context.DeadlineExceeded", "canceled =context.Canceled"} {
		if !slices.Contains(rep.Dyn, want) {
			t.Errorf("Dyn %q lacks %q", rep.Dyn, want)
		}
	}
	if slices.ContainsFunc(rep.Dyn, func(d string) bool { return strings.Contains(d, "io.EOF") }) {
		t.Errorf("Dyn %q lists io.EOF, which every program knows", rep.Dyn)
	}
	for _, c := range []struct {
		what string
		ok   bool
	}{
		{"eof == io.EOF", *out[0].(*error) == io.EOF},
		{"deadline == context.DeadlineExceeded", *out[1].(*error) == context.DeadlineExceeded},
		{"canceled (in an any) == context.Canceled", *out[2].(*any) == context.Canceled},
		{"errors.Is(wrapped, io.EOF)", errors.Is(*out[3].(*error), io.EOF)},
		{"wrapped's text", (*out[3].(*error)).Error() == "reading the config: EOF"},
		{"errors.Is(atoi, strconv.ErrSyntax)", errors.Is(*out[4].(*error), strconv.ErrSyntax)},
		{"errors.Is(inStruct.err, fs.ErrNotExist)", errors.Is(out[5].(*outcome).err, fs.ErrNotExist)},
		{"a cell's own error that reads EOF is not io.EOF", *out[6].(*error) != io.EOF && (*out[6].(*error)).Error() == "EOF"},
	} {
		if !c.ok {
			t.Errorf("after a round trip: %s: false", c.what)
		}
	}
}
