package engine

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
)

// Values carry over from cell to cell (issue 12): each rule as a sequence
// of cells through the engine.
func TestValuesCarryOver(t *testing.T) {
	runRegressSteps(t, []regressStep{
		{name: "a := variable", code: "hits := 0"},
		{name: "is a variable of the next cell", code: "hits++"},
		{name: "and keeps its value", code: "hits", result: "1"},
		{name: "a func declared later sees it", code: "func bump() { hits += 10 }\nbump()\nhits", result: "11"},
		{name: "a func of the same cell sees its := variable", code: "seen := 5\nfunc show() int { return seen * 2 }\nshow()", result: "10"},
		{name: "x := x + 1 reads the kept x", code: "hits := hits + 1\nhits", result: "12"},
		{name: "a := of another type declares it anew", code: `hits := "many"`},
		{name: "with that type", code: "hits + \"!\"", result: `"many!"`},
		{name: "unexported fields", code: "type account struct {\n\towner   string\n\tbalance int\n\thistory []int\n}\nacct := account{owner: \"ann\", balance: 100, history: []int{100}}"},
		{name: "come back", code: "acct.balance += 5\nacct.history = append(acct.history, 5)\nfmt.Println(acct.owner, acct.balance, acct.history)", stdout: "ann 105 [100 5]\n"},
		{name: "two pointers at one value", code: "p := &account{owner: \"bob\"}\nq := p"},
		{name: "still share it", code: "q.balance = 42\nfmt.Println(p.balance, p == q)", stdout: "42 true\n"},
		{name: "and keep sharing it", code: "fmt.Println(p.balance, p == q)", stdout: "42 true\n"},
		{name: "a struct with an unlocked mutex", code: "type counter struct {\n\tmu sync.Mutex\n\tn  map[string]int\n}\nc := &counter{n: map[string]int{}}"},
		{name: "carries", code: "var wg sync.WaitGroup\nfor range 10 {\n\twg.Go(func() { c.mu.Lock(); c.n[\"k\"]++; c.mu.Unlock() })\n}\nwg.Wait()\nc.n[\"k\"]", result: "10"},
		{name: "and counts on", code: "c.n[\"k\"]++\nc.n[\"k\"]", result: "11"},
		{name: "std types", code: "when := time.Date(2026, 12, 6, 13, 30, 0, 0, time.UTC)\nwait := 1500 * time.Millisecond\nn := new(big.Int).Exp(big.NewInt(2), big.NewInt(100), nil)"},
		{name: "come back", code: "fmt.Println(when.Add(wait).Format(time.RFC3339), n)", stdout: "2026-12-06T13:30:01Z 1267650600228229401496703205376\n"},
		{name: "a generic instantiation and a cycle", code: "type pair[T any] struct{ a, b T }\ntype ring struct{ v int; next *ring }\npr := pair[string]{\"x\", \"y\"}\nr := &ring{v: 1}\nr.next = &ring{v: 2, next: r}"},
		{name: "come back", code: "fmt.Println(pr.a+pr.b, r.next.v, r.next.next == r)", stdout: "xy 2 true\n"},
		{name: "an interface value", code: "var err error = fmt.Errorf(\"wrapped: %w\", io.EOF)\nvar anything any = []int{1, 2}"},
		{name: "comes back", code: "fmt.Println(err, anything)", stdout: "wrapped: EOF [1 2]\n"},
	})
}

// A cell that fails changes nothing that was kept.
func TestValuesFailedCellChangesNothing(t *testing.T) {
	runRegressSteps(t, []regressStep{
		{name: "kept", code: "balance := 100"},
		{name: "a panic", code: "balance = -1\npanic(\"boom\")", errPrefix: "boom"},
		{name: "left it", code: "balance", result: "100"},
		{name: "a compile error", code: "balance = -2\nundefinedThing()", errPrefix: "cell [4] line 2: undefined: undefinedThing"},
		{name: "left it", code: "balance", result: "100"},
		{name: "a deadlock", code: "balance = -3\nch := make(chan int)\n<-ch", errPrefix: "all goroutines are asleep"},
		{name: "left it", code: "balance", result: "100"},
		{name: "os.Exit", code: "balance = -4\nos.Exit(2)", errPrefix: "exit status 2"},
		{name: "left it", code: "balance", result: "100"},
		{name: "and a good cell changes it", code: "balance -= 1", result: ""},
		{name: "", code: "balance", result: "99"},
	})
}

func TestValuesInterruptedCellChangesNothing(t *testing.T) {
	e := newTestEngine(t)
	execCell(t, e, 1, "balance := 100")
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(1500 * time.Millisecond); cancel() }()
	var rec recorder
	_, err := e.Execute(ctx, interp.ExecuteRequest{Code: "balance = -1\nfor {\n\ttime.Sleep(time.Millisecond)\n}", Count: 2}, &rec)
	if err == nil {
		t.Fatal("the looping cell ended without an error")
	}
	if got := execCell(t, e, 3, "balance"); got.Result != "100" {
		t.Errorf("balance after an interrupted cell: have %+v, want 100", got)
	}
}

// What cannot carry is named, with why, in the cell that uses it.
func TestValuesThatCannotCarry(t *testing.T) {
	e := newTestEngine(t)
	execCell(t, e, 1, "pipe := make(chan int)\ntype guarded struct{ mu sync.Mutex; n int }\ng := &guarded{}\ng.mu.Lock()\nok := 1")
	for _, tt := range []struct{ code, want string }{
		{"pipe <- 1", "hint: pipe (chan int) of cell [1] did not carry over: a channel lives in one program"},
		{"g.n", "hint: g (*guarded) of cell [1] did not carry over: g.mu: it is locked"},
	} {
		got := execCell(t, e, 2, tt.code)
		tb := strings.ReplaceAll(strings.Join(got.Err.Traceback, "\n"), "\n      ", " ")
		if got.Err == nil || !strings.Contains(tb, tt.want) {
			t.Errorf("%s: have %s, want a report with %q", tt.code, tb, tt.want)
		}
	}
	if got := execCell(t, e, 3, "ok"); got.Result != "1" {
		t.Errorf("a variable beside them: have %+v, want 1", got)
	}
	// A context holds a type package context keeps to itself: saved, it
	// could never load, so it does not carry, and a later cell that makes
	// a new ctx (lesson 7 does, cell after cell) runs as if none was kept.
	execCell(t, e, 4, "ctx, cancel := context.WithCancel(context.Background())\nfmt.Println(ctx.Err())")
	if got := execCell(t, e, 5, "fmt.Println(ctx.Err())"); got.Err == nil {
		t.Errorf("a context: have %+v, want a report that it did not carry", got)
	} else if tb := strings.ReplaceAll(strings.Join(got.Err.Traceback, "\n"), "\n      ", " "); !strings.Contains(tb, "hint: ctx (context.Context) of cell [4] did not carry over: a context belongs to the program that made it") {
		t.Errorf("a context: have %s, want a report that it did not carry", tb)
	}
	if got := execCell(t, e, 6, "ctx, cancel := context.WithTimeout(context.Background(), time.Minute)\ndefer cancel()\nfmt.Println(ctx.Err())"); got.Err != nil || got.Stdout != "<nil>\n" {
		t.Errorf("a new ctx after one that did not carry: have %+v", got)
	}
	// A var declared at the top level that cannot carry is made anew from
	// its declaration in each cell that uses it (documented).
	runRegressSteps(t, []regressStep{
		{name: "a declared channel", code: "var results = make(chan int, 1)\nresults <- 1"},
		{name: "is made anew", code: "len(results)", result: "0"},
	})
}

// A kept error that is a sentinel (ctx.Err(), strconv's ErrSyntax inside
// a *NumError, io.EOF wrapped by fmt.Errorf) is still that sentinel in a
// later cell: == and errors.Is say what one `go run` says.
func TestValuesSentinelErrors(t *testing.T) {
	runRegressSteps(t, []regressStep{
		{name: "errors from the standard library", code: "ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)\n<-ctx.Done()\ncancel()\nerr := ctx.Err()\n" +
			"_, atoiErr := strconv.Atoi(\"x\")\nwrapped := fmt.Errorf(\"reading: %w\", io.EOF)\nfmt.Println(err, atoiErr, wrapped)",
			stdout: "context deadline exceeded strconv.Atoi: parsing \"x\": invalid syntax reading: EOF\n"},
		{name: "are the same errors in a later cell", code: "fmt.Println(err == context.DeadlineExceeded, errors.Is(atoiErr, strconv.ErrSyntax), errors.Is(wrapped, io.EOF))",
			stdout: "true true true\n"},
		{name: "a cell that does not import context copies one", code: "again := err\nfmt.Println(again)", stdout: "context deadline exceeded\n"},
		{name: "and the copy is the sentinel too", code: "fmt.Println(again == context.DeadlineExceeded, errors.Is(again, context.DeadlineExceeded))", stdout: "true true\n"},
	})
}

// A cell that redefines a type and uses a kept value of the old type in
// the same cell fails to compile; the hint says why the value is not
// there, and the failed cell changed nothing: the value is still kept.
func TestValuesTypeRedefinedAndUsedInOneCell(t *testing.T) {
	e := newTestEngine(t)
	execCell(t, e, 1, "type ledger struct{ total int }\nl := ledger{total: 3}")
	got := execCell(t, e, 2, "type ledger struct{ total, count int }\nfmt.Println(l)")
	if got.Err == nil || got.Err.Name != "CompileError" {
		t.Fatalf("want a CompileError, have %+v", got)
	}
	tb := strings.ReplaceAll(strings.Join(got.Err.Traceback, "\n"), "\n      ", " ")
	if want := "hint: l (ledger) of cell [1] did not carry over: its type ledger was redefined in cell [2]"; !strings.Contains(tb, want) {
		t.Errorf("want %q in:\n%s", want, tb)
	}
	if got := execCell(t, e, 3, "l.total"); got.Result != "3" {
		t.Errorf("l after the failed cell: %+v", got)
	}
}

func TestValuesTypeRedefinedAndReset(t *testing.T) {
	e := newTestEngine(t)
	execCell(t, e, 1, "type ledger struct{ total int }\nl := ledger{total: 3}\nkeepMe := 7")
	got := execCell(t, e, 2, "type ledger struct{ total, count int }")
	if !strings.Contains(got.Stderr, "note: the kept value of l is dropped: its type ledger was redefined in cell [2]") {
		t.Errorf("redefining the type: stderr %q", got.Stderr)
	}
	if got := execCell(t, e, 3, "keepMe"); got.Result != "7" {
		t.Errorf("a value of another type: %+v", got)
	}
	who := execCell(t, e, 4, "%who")
	if !strings.Contains(who.Stdout, "keepMe") || !strings.Contains(who.Stdout, "int") || strings.Contains(who.Stdout, "value  l ") {
		t.Errorf("%%who:\n%s", who.Stdout)
	}
	execCell(t, e, 5, "%reset keepMe")
	if got := execCell(t, e, 6, "keepMe"); got.Err == nil {
		t.Errorf("keepMe after %%reset keepMe: %+v", got)
	}
	execCell(t, e, 7, "a := 1")
	execCell(t, e, 8, "%reset")
	if got := execCell(t, e, 9, "a"); got.Err == nil {
		t.Errorf("a after %%reset: %+v", got)
	}
}

func TestValuesCap(t *testing.T) {
	t.Setenv("GOKERNEL_STATE_MAX", "1MB")
	e := newTestEngine(t)
	// The cell that made it is told at once; not of small, which fits.
	made := execCell(t, e, 1, "small := 1\nhuge := make([]byte, 2<<20)")
	if want := "note: huge ([]byte) will not carry over to later cells: kept values are limited to 1.0 MB"; !strings.Contains(made.Stderr, want) || strings.Contains(made.Stderr, "small") {
		t.Errorf("the cell that made huge: stderr %q, want %q", made.Stderr, want)
	}
	// A value that cannot carry for its type is noted where it is used, not
	// where it is made: lessons make channels in almost every cell.
	if got := execCell(t, e, 2, "ch := make(chan int, 1)\nch <- 1"); got.Stderr != "" {
		t.Errorf("a cell that makes a channel: stderr %q", got.Stderr)
	}
	got := execCell(t, e, 3, "len(huge)")
	tb := strings.ReplaceAll(strings.Join(got.Err.Traceback, "\n"), "\n      ", " ")
	if !strings.Contains(tb, "limited to 1.0 MB") || !strings.Contains(tb, "GOKERNEL_STATE_MAX") {
		t.Errorf("have %s", tb)
	}
	if got := execCell(t, e, 4, "small"); got.Result != "1" {
		t.Errorf("small: %+v", got)
	}
}

// A child process started with nb.Process starts from the kept values.
func TestValuesInChildProcess(t *testing.T) {
	runRegressSteps(t, []regressStep{
		{name: "kept", code: "greeting := \"hello from the kept value\""},
		{name: "a child sees it", code: "func child() { fmt.Println(greeting) }\np := nb.Process(child)\np.Start()\nif err := p.Join(); err != nil {\n\tpanic(err)\n}", stdout: "hello from the kept value\n"},
	})
}

// A var after a := of the same cell is a statement of the cell, as in go
// run (issue 19): as a package declaration it would be zero.
func TestValuesVarAfterDefine(t *testing.T) {
	runRegressSteps(t, []regressStep{
		{name: "var after :=", code: "x := 5\nvar y = x * 2\nvar z int = y + 1\nfmt.Println(x, y, z)", stdout: "5 10 11\n"},
		{name: "y carries", code: "y", result: "10"},
	})
}

// Kept values are loaded before any var of the cells is initialized and
// before init funcs run: a var declared from a kept value sees it.
func TestValuesLoadedBeforeInitialization(t *testing.T) {
	runRegressSteps(t, []regressStep{
		{name: "kept", code: "hits := 5\ntype box struct{ n int }\nb := box{n: 2}"},
		{name: "a var initialized from it", code: "var doubled = hits * 2\ndoubled", result: "10"},
		{name: "keeps that value", code: "doubled", result: "10"},
		{name: "a var of a later cell from a var of an earlier one", code: "var both = doubled + b.n\nboth", result: "12"},
		{name: "an init func sees it", code: "func init() { fmt.Println(\"init sees\", hits, b.n) }", stdout: "init sees 5 2\n"},
	})
}

// An init that fills a var which cannot carry (a map of funcs) runs again
// where the var is used, with a note, so the var is not found empty.
func TestValuesInitRefillsWhatCannotCarry(t *testing.T) {
	e := newTestEngine(t)
	execCell(t, e, 1, "var handlers = map[string]func() string{}\nfunc register(n string) { handlers[n] = func() string { return n } }\nfunc init() { register(\"a\") }")
	got := execCell(t, e, 2, "handlers[\"a\"]()")
	if got.Result != `"a"` || !strings.Contains(got.Stderr, "the init func of cell [1] that fills it runs again") {
		t.Errorf("have %+v, want \"a\" and a note", got)
	}
	if got := execCell(t, e, 3, "fmt.Println(\"other\")"); got.Stderr != "" {
		t.Errorf("a cell that does not use handlers: stderr %q", got.Stderr)
	}
}

// A top-level var left in a state that cannot carry (locked) starts again
// from its declaration, with a note where it is used: never silently.
func TestValuesDeclaredVarLostIsNoted(t *testing.T) {
	e := newTestEngine(t)
	execCell(t, e, 1, "type box struct{ mu sync.Mutex; n int }\nvar b box\nb.n = 5\nb.mu.Lock()")
	got := execCell(t, e, 2, "b.n")
	if got.Result != "0" || !strings.Contains(got.Stderr, "note: b of cell [1] did not carry over (b.mu: it is locked") {
		t.Errorf("have %+v", got)
	}
	if got := execCell(t, e, 3, "b.n"); got.Stderr != "" {
		t.Errorf("the note again once b carried: %q", got.Stderr)
	}
}

// A var declared anew by a later cell is another variable: the value the
// name held before is not "lost" to it, and no note says so, even when the
// redeclaring cell failed (lesson 3: a := atomicCount(), then a deadlock
// cell's var a, b sync.Mutex, then cells that lock a).
func TestValuesDeclaredAnewIsNotNoted(t *testing.T) {
	e := newTestEngine(t)
	execCell(t, e, 1, "a := 41")
	if got := execCell(t, e, 2, "var a sync.Mutex\npanic(\"on purpose\")"); got.Err == nil {
		t.Fatalf("cell 2 did not fail: %+v", got)
	}
	for count := 3; count <= 4; count++ {
		if got := execCell(t, e, count, "a.Lock()\na.Unlock()\nfmt.Println(\"locked\")"); got.Err != nil || got.Stdout != "locked\n" || got.Stderr != "" {
			t.Errorf("cell %d: have %+v, want stdout \"locked\" and no note", count, got)
		}
	}
}

// planCell plans the values of a cell as Execute would (without running
// it): the kept values its program loads and those it saves.
func planCell(t *testing.T, e *Engine, count int, code string) (load, save []string) {
	t.Helper()
	vs, _ := planProgram(t, e, count, code)
	return vs.Load, vs.Save
}

// planProgram plans and composes the program of a cell as Execute would
// (without building or running it).
func planProgram(t *testing.T, e *Engine, count int, code string) (*valueSection, []byte) {
	t.Helper()
	ctx := context.Background()
	pc, err := parse(code)
	if err != nil {
		t.Fatalf("%q: %v", code, err)
	}
	e.mu.RLock()
	merged := e.decls.clone()
	e.mu.RUnlock()
	merged.merge(pc, count)
	usedDecls, vp := e.planLoads(e.kept, pc, merged, count)
	if err := e.waitWarm(ctx, discardOutput{}); err != nil {
		t.Fatal(err)
	}
	prog, _ := e.program(ctx, pc, merged, &declSet{Imports: merged.Imports, Decls: usedDecls}, count, false, false, vp, discardOutput{})
	return vp.section, prog.Source
}

// A program that keeps only values of predeclared types, loading or saving
// them, does so with package keep/plain, which links in a fraction of
// keep's time; any other program uses keep. Both read and write the same
// files.
func TestValuesPlainPackage(t *testing.T) {
	e := newTestEngine(t)
	setup := "n := -3\nname := \"ann\"\nok := true\nratio := float32(1.5)\nz := 2+3i\nvar small int8 = -128\nbig := uint64(1<<64 - 1)\n" +
		"b := byte(7)\nr := 'é'\nnums := []int{1}\ntype celsius float64\ntemp := celsius(20)\nvar e error\n" +
		"type state int\nconst (\n\tidle state = iota\n\tbusy\n)\nst := busy\ntype pair struct{ a, b int }\npr := pair{1, 2}"
	if got := execCell(t, e, 1, setup); got.Err != nil {
		t.Fatalf("setup: %v", got.Err)
	}
	for i, tt := range []struct {
		name, code string
		plain      bool
	}{
		{"reads predeclared types", "fmt.Println(n, name, ok, ratio, z, small, big, b, r)", true},
		{"reads one of them in a func", "func twice() int { return 2 * n }\ntwice()", true},
		{"changes one", "n++", true},
		{"makes a new one", "m := n * 2\nm", true},
		{"declares a var", "var total = n + 1", true},
		{"makes a slice", "more := []int{n}\nlen(more)", false},
		{"declares one anew as a slice", "n := []int{1}\nlen(n)", false},
		{"reads a slice", "len(nums)", false},
		{"reads a type a cell declares on float64", "temp * 2", true},
		{"changes a type a cell declares on int", "st = idle", true},
		{"reads a struct", "pr.a", false},
		{"reads an interface", "e == nil", false},
		{"reads a predeclared type and a slice", "n + len(nums)", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vs, src := planProgram(t, e, 10+i, tt.code)
			if !vs.keeps() {
				t.Fatalf("keeps nothing: %+v", vs)
			}
			if have := vs.keepsPlain(); have != tt.plain {
				t.Errorf("keeps plainly: %v, want %v (load %v, save %v)", have, tt.plain, vs.Load, vs.Save)
			}
			imports := strings.Contains(string(src), strconv.Quote(plainImportPath))
			registers := strings.Contains(string(src), ".RegisterType[")
			if imports != tt.plain || (tt.plain && registers) {
				t.Errorf("the program imports keep/plain: %v, registers types: %v; want %v, false:\n%s", imports, registers, tt.plain, src)
			}
		})
	}
	// The values go and come back the same through either package.
	want := "-3 ann true 1.5 (2+3i) -128 18446744073709551615 7 233\n"
	if got := execCell(t, e, 2, "fmt.Println(n, name, ok, ratio, z, small, big, b, r)"); got.Err != nil || got.Stdout != want {
		t.Errorf("read through keep/plain: %+v, want %q", got, want)
	}
	if got := execCell(t, e, 3, "n++\nname += \"!\"\nz *= 2\ncount := 1\ntemp++\nst = idle\nlevel := state(7)"); got.Err != nil {
		t.Errorf("changed through keep/plain: %+v", got)
	}
	want = "-2 ann! true 1.5 (4+6i) -128 18446744073709551615 7 233 1 21 0 7 1\n"
	if got := execCell(t, e, 4, "fmt.Println(n, name, ok, ratio, z, small, big, b, r, count, temp, st, level, len(nums))\ntemp++\nst = busy"); got.Err != nil || got.Stdout != want {
		t.Errorf("read (and changed) through keep: %+v, want %q", got, want)
	}
	if got := execCell(t, e, 5, "fmt.Println(temp, st, level)"); got.Err != nil || got.Stdout != "22 1 7\n" {
		t.Errorf("what keep saved, read through keep/plain: %+v", got)
	}
}

// Only real references to a kept variable load it (issue 12 leftovers):
// a field, method, composite literal key, parameter, local variable or
// label called like it is another thing; and a cell that only reads a
// plain value does not save it again.
func TestValuesLoadOnlyWhatIsUsed(t *testing.T) {
	e := newTestEngine(t)
	for i, code := range []string{
		"count := 3\nlabels := []string{\"a\"}",
		"type tally struct{ count int }\nfunc (t *tally) add() { t.count++ }\nfunc (t tally) get() int { return t.count }",
		"type account struct{ n int }\nfunc (a *account) add() { a.n++ }\nacct := &account{n: 1}\ntl0 := tally{count: 2}",
		"func double(count int) int { return 2 * count }\nfunc bumpCount() { count++ }",
		"type shower struct{}\nfunc (shower) String() string { return fmt.Sprint(count) }",
	} {
		if got := execCell(t, e, i+1, code); got.Err != nil {
			t.Fatalf("setup cell %d: %v", i+1, got.Err)
		}
	}
	kept := e.kept.Names()
	for _, tt := range []struct {
		name, code string
		load, save string // comma-separated names
	}{
		// Not references to the kept count.
		{"a field", "tl := tally{}\ntl.count = 2\ntl.add()\ntl.count", "", ""},
		{"a composite literal key", "tally{count: 1}", "", ""},
		{"a parameter", "func g(count int) int { return count * 2 }\ng(4)", "", ""},
		{"a local variable of a func", "func f() int {\n\tcount := 1\n\treturn count\n}\nf()", "", ""},
		{"a local variable of the cell's block", "if count := 7; count > 0 {\n\tfmt.Println(count)\n}", "", ""},
		{"a range variable", "for count := range 3 {\n\t_ = count\n}", "", ""},
		{"a func literal's parameter", "fmt.Println(func(count int) int { return count }(1))", "", ""},
		{"a label", "count:\nfor i := 0; i < 2; i++ {\n\tcontinue count\n}", "", ""},
		{"a method", "type clock struct{}\nfunc (clock) count() int { return 1 }\nclock{}.count()", "", ""},
		{"a remembered func's parameter", "double(2)", "", ""},
		{"a method called like a remembered func", "type other struct{}\nfunc (other) bumpCount() {}\nother{}.bumpCount()", "", ""},
		// References: loaded, and saved only when the cell may change it.
		{"read", "count * 2", "count", ""},
		{"read by a func of the cell", "func report() { fmt.Println(count) }", "count", ""},
		{"a map literal key", "map[int]string{count: \"x\"}", "count", ""},
		{"incremented", "count++", "count", "count"},
		{"assigned", "count = 5", "count", "count"},
		{"its address taken", "fmt.Sscan(\"5\", &count)", "count", "count"},
		{"changed by a remembered func", "bumpCount()", "count", "count"},
		{"read by a method an interface calls", "fmt.Println(shower{})", "count", ""},
		{"a slice's length", "len(labels)", "labels", ""},
		{"a slice's element read", "labels[0] + \"!\"", "labels", ""},
		{"a range over a slice of strings", "for i, l := range labels {\n\tfmt.Println(i, l)\n}", "labels", ""},
		{"a slice shown as the cell's value", "labels", "labels", ""},
		{"a slice printed", "fmt.Println(labels)\nfmt.Fprintln(os.Stdout, labels)", "labels", ""},
		{"a pointer to a type with methods printed (a String method may change it)", "fmt.Println(acct)", "acct", "acct"},
		{"a pointer to a type with methods shown", "acct", "acct", "acct"},
		{"a slice's element written", "labels[0] = \"b\"", "labels", "labels"},
		{"a slice handed to a func (which may change it)", "sort.Strings(labels)", "labels", "labels"},
		{"a slice appended to", "labels = append(labels, \"c\")", "labels", "labels"},
		{"a slice copied into another variable (shares its array)", "more := labels\n_ = more", "labels", "labels"},
		{"a pointer's field read", "acct.n + 1", "acct", ""},
		{"a pointer's field written", "acct.n = 9", "acct", "acct"},
		{"a pointer method", "acct.add()", "acct", "acct"},
		{"a value method of a plain value", "tl0.get()", "tl0", ""},
		{"a pointer method of a plain value", "tl0.add()", "tl0", "tl0"},
		{"a part of a plain value assigned", "tl0.count = 4", "tl0", "tl0"},
		{"x := x + 1 declares it anew", "count := count + 1", "count", "count"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			load, save := planCell(t, e, 10, tt.code)
			if strings.Join(load, ",") != tt.load || strings.Join(slices.DeleteFunc(save, func(n string) bool { return !slices.Contains(kept, n) }), ",") != tt.save {
				t.Errorf("%q: loads %q saves %q, want %q %q", tt.code, load, save, tt.load, tt.save)
			}
		})
	}
}

// %who names, for each value, the cell that made it and the last cell that
// changed it; a cell that only reads a value, or names a field like it,
// changes nothing there.
func TestValuesWhoNamesMadeAndChanged(t *testing.T) {
	e := newTestEngine(t)
	for i, code := range []string{
		"hits := 0\nname := \"a\"",
		"hits++",
		"hits * 2",
		"type tally struct{ hits int }\ntl := tally{hits: 5}\ntl.hits",
		"func show() { fmt.Println(name, hits) }\nshow()",
	} {
		if got := execCell(t, e, i+1, code); got.Err != nil {
			t.Fatalf("cell %d: %v", i+1, got.Err)
		}
	}
	row := func(who, name string) string {
		for _, l := range strings.Split(who, "\n") {
			if f := strings.Fields(l); len(f) > 1 && f[0] == "value" && f[1] == name {
				return strings.Join(f, " ")
			}
		}
		return ""
	}
	who := execCell(t, e, 6, "%who").Stdout
	for name, want := range map[string]string{
		"hits": "value hits int cell [1] changed in cell [2]",
		"name": "value name string cell [1]",
		"tl":   "value tl tally cell [4]",
	} {
		if got := row(who, name); got != want {
			t.Errorf("%%who row of %s: have %q, want %q\n%s", name, got, want, who)
		}
	}
	if got := execCell(t, e, 7, "hits := hits + 10\nhits"); got.Result != "11" {
		t.Fatalf("hits := hits + 10: %+v", got)
	}
	if got := row(execCell(t, e, 8, "%who").Stdout, "hits"); got != "value hits int cell [7]" {
		t.Errorf("after hits := hits + 10 in cell [7]: have %q", got)
	}
}

// A value kept before a cell that the cell leaves unable to carry (a mutex
// left locked) is named in that cell's output, not only where a later
// cell misses it; a new variable that cannot carry is named where it is
// used (TestValuesThatCannotCarry).
func TestValuesLostByACellIsNoted(t *testing.T) {
	e := newTestEngine(t)
	execCell(t, e, 1, "type guarded struct {\n\tmu sync.Mutex\n\tn  int\n}\ng := &guarded{n: 1}\nfresh := make(chan int)")
	got := execCell(t, e, 2, "g.mu.Lock()\ng.n = 2")
	if want := "note: g (*guarded) of cell [1] no longer carries over: g.mu: it is locked"; !strings.Contains(got.Stderr, want) {
		t.Errorf("locking a kept mutex: stderr %q, want %q", got.Stderr, want)
	}
	if got := execCell(t, e, 3, "ok := 1"); got.Stderr != "" {
		t.Errorf("a cell that loses nothing: stderr %q", got.Stderr)
	}
}

// The cap counts the values a cell only reads: they stay kept beside what
// it saves.
func TestValuesCapCountsValuesOnlyRead(t *testing.T) {
	t.Setenv("GOKERNEL_STATE_MAX", "1MB")
	e := newTestEngine(t)
	execCell(t, e, 1, "big := make([]byte, 600<<10)")
	execCell(t, e, 2, "fresh := make([]byte, 600<<10)\nlen(big)")
	got := execCell(t, e, 3, "len(fresh)")
	if got.Err == nil {
		t.Fatalf("fresh was kept beside big over the 1 MB cap: %+v", got)
	}
	if tb := strings.ReplaceAll(strings.Join(got.Err.Traceback, "\n"), "\n      ", " "); !strings.Contains(tb, "limited to") {
		t.Errorf("have %s", tb)
	}
	if got := execCell(t, e, 4, "len(big)"); got.Result != "614400" {
		t.Errorf("big: %+v", got)
	}
}

// A var that cannot carry is made anew, and the init func that fills it
// run again, with a note, only in a cell that uses it: not in one where a
// field or a parameter is called like it. The same for the note about a
// declared var whose value was lost.
func TestValuesNotesOnlyWhereUsed(t *testing.T) {
	e := newTestEngine(t)
	for i, tt := range []struct {
		code, stdout, result string
		note                 string // "" for no stderr at all
	}{
		{code: "var handlers = map[string]func() string{}\nfunc register(n string) {\n\tfmt.Println(\"registering\", n)\n\thandlers[n] = func() string { return n }\n}\nfunc init() { register(\"a\") }",
			stdout: "registering a\n"},
		{code: "type router struct{ handlers int }\nrt := router{handlers: 2}\nrt.handlers", result: "2"},
		{code: "func count(handlers int) int { return handlers + 1 }\ncount(1)", result: "2"},
		{code: "handlers[\"a\"]()", stdout: "registering a\n", result: `"a"`, note: "the init func of cell [1] that fills it runs again"},
		{code: "type box struct {\n\tmu sync.Mutex\n\tn  int\n}\nvar b box\nb.n = 5\nb.mu.Lock()"},
		{code: "type holder struct{ b int }\nholder{b: 1}.b", result: "1"},
		{code: "b.n", result: "0", note: "note: b of cell [5] did not carry over"},
	} {
		got := execCell(t, e, i+1, tt.code)
		if got.Err != nil || got.Stdout != tt.stdout || got.Result != tt.result ||
			(tt.note == "" && got.Stderr != "") || !strings.Contains(got.Stderr, tt.note) {
			t.Errorf("%q:\nhave %+v\nwant stdout %q result %q note %q", tt.code, got, tt.stdout, tt.result, tt.note)
		}
	}
}
