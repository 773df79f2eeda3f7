package engine

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestIsComplete(t *testing.T) {
	e := newTestEngine(t)
	tests := []struct {
		code   string
		status string
		indent string
	}{
		{"", "complete", ""},
		{`fmt.Println("x")`, "complete", ""},
		{"func F() {", "incomplete", "    "},
		{"for i := 0; i < 3; i++ {\n\tif i > 1 {", "incomplete", "        "},
		{"fmt.Println(1,", "incomplete", "    "},
		{"x := 1 +", "incomplete", "    "},
		{"s := `raw", "incomplete", ""},
		{"/* comment", "incomplete", ""},
		{"x := )", "invalid", ""},
		{"}", "invalid", ""},
		{"x := := 2", "invalid", ""},
		{"%timeout 5s\nfmt.Println(1)", "complete", ""},
		{"%nosuchmagic", "invalid", ""},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			have := e.IsComplete(tt.code)
			if have.Status != tt.status || have.Indent != tt.indent {
				t.Errorf("have %q %q, want %q %q", have.Status, have.Indent, tt.status, tt.indent)
			}
		})
	}
}

func TestComplete(t *testing.T) {
	e := newTestEngine(t)
	execCell(t, e, 1, "// Greet says hello.\nfunc Greet(name string) string { return \"hi \" + name }\ntype Point struct{ X, Y int }\nfunc (p Point) Norm() int { return p.X }\nvar mu sync.Mutex")
	tests := []struct {
		name      string
		code      string
		cursor    int // rune offset; -1: end of code
		contains  []string
		absent    []string
		wantStart int // rune offset of the replaced text
	}{
		{name: "package members", code: "fmt.Pri", cursor: -1, contains: []string{"Print", "Printf", "Println"}, absent: []string{"Sprintf"}, wantStart: 4},
		{name: "keyword", code: "fu", cursor: -1, contains: []string{"func"}, wantStart: 0},
		{name: "builtin", code: "x := le", cursor: -1, contains: []string{"len"}, wantStart: 5},
		{name: "package name", code: "str", cursor: -1, contains: []string{"strings", "strconv"}, wantStart: 0},
		{name: "earlier cell's name", code: "Gre", cursor: -1, contains: []string{"Greet"}, wantStart: 0},
		{name: "methods of a std-typed var", code: "mu.", cursor: -1, contains: []string{"Lock", "TryLock", "Unlock"}, wantStart: 3},
		{name: "methods of a WaitGroup in this cell", code: "var wg sync.WaitGroup\nwg.", cursor: -1, contains: []string{"Add", "Done", "Wait"}, wantStart: 25},
		{name: "fields and methods of a user type", code: "p := Point{}\np.", cursor: -1, contains: []string{"X", "Y", "Norm"}, wantStart: 15},
		{name: "go/types: result of a call", code: "r := bufio.NewReader(os.Stdin)\nr.Read", cursor: -1, contains: []string{"ReadString", "ReadRune"}, wantStart: 33},
		{name: "go/types: inside a block and a call", code: "w := bufio.NewWriter(os.Stdout)\nfor i := 0; i < 2; i++ {\n\tfmt.Fprintln(w.", cursor: -1, contains: []string{"Flush", "WriteString"}, wantStart: 73},
		{name: "go/types: channel has no members", code: "ch := make(chan int)\nch.", cursor: -1, wantStart: 24},
		{name: "ambiguous package name without import", code: "rand.Int", cursor: -1, contains: []string{"Intn", "Int63"}, wantStart: 5},
		{name: "import alias of this cell", code: "import r \"math/rand\"\nx := r.In", cursor: -1, contains: []string{"Int", "Intn"}, wantStart: 28},
		{name: "unicode before cursor", code: "s := \"héllo→\"; fmt.Sp", cursor: -1, contains: []string{"Sprintf"}, wantStart: 19},
		{name: "cursor in the middle", code: "fmt.Pr(x)", cursor: 6, contains: []string{"Println"}, wantStart: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cursor := tt.cursor
			if cursor < 0 {
				cursor = utf8.RuneCountInString(tt.code)
			}
			c := e.Complete(t.Context(), tt.code, cursor)
			for _, w := range tt.contains {
				if !slices.Contains(c.Matches, w) {
					t.Errorf("matches lack %q: %q", w, c.Matches)
				}
			}
			for _, w := range tt.absent {
				if slices.Contains(c.Matches, w) {
					t.Errorf("matches have %q", w)
				}
			}
			if c.CursorEnd != cursor {
				t.Errorf("cursor_end: have %d, want %d", c.CursorEnd, cursor)
			}
			if c.CursorStart != tt.wantStart {
				t.Errorf("cursor_start: have %d, want %d", c.CursorStart, tt.wantStart)
			}
		})
	}
}

func TestInspect(t *testing.T) {
	e := newTestEngine(t)
	execCell(t, e, 1, "// Greet says hello.\nfunc Greet(name string) string { return \"hi \" + name }")
	tests := []struct {
		name     string
		code     string
		cursor   int
		found    bool
		contains []string
	}{
		{name: "std func", code: "fmt.Println", cursor: 6, found: true, contains: []string{"func Println(a ...any) (n int, err error)", "Println formats"}},
		{name: "std type", code: "sync.Mutex", cursor: 10, found: true, contains: []string{"type Mutex struct", "mutual exclusion"}},
		{name: "package", code: "strings", cursor: 3, found: true, contains: []string{"package strings", "UTF-8"}},
		{name: "user func with comment", code: "Greet(\"x\")", cursor: 2, found: true, contains: []string{"Greet says hello.", "func Greet(name string) string"}},
		{name: "builtin", code: "len(x)", cursor: 1, found: true, contains: []string{"func len(v Type) int"}},
		{name: "method of a std-typed var", code: "var mu sync.Mutex\nmu.Lock()", cursor: 22, found: true, contains: []string{"func (m *Mutex) Lock()", "Lock locks m."}},
		{name: "method of a value typed by go/types", code: "r := bufio.NewReader(os.Stdin)\nline, _ := r.ReadString('\\n')", cursor: 45, found: true, contains: []string{"func (b *Reader) ReadString(delim byte) (string, error)", "ReadString reads until"}},
		{name: "declaration in the cell being edited", code: "// Twice doubles.\nfunc Twice(x int) int { return 2 * x }\nTwice(2)", cursor: 58, found: true, contains: []string{"Twice doubles.", "func Twice(x int) int"}},
		// Shift+Tab in JupyterLab right after the "(" of a call, or among its arguments.
		{name: "after a call's (", code: "fmt.Println(", cursor: 12, found: true, contains: []string{"func Println(a ...any)", "Println formats"}},
		{name: "after a call's arguments", code: "fmt.Println(1, len(x), ", cursor: 23, found: true, contains: []string{"func Println(a ...any)"}},
		{name: "inside a nested call's (", code: "fmt.Println(strings.ToUpper(", cursor: 28, found: true, contains: []string{"func ToUpper(s string) string"}},
		{name: "after a closed call", code: "fmt.Println() ", cursor: 14, found: false},
		{name: "in a block, not a call", code: "for {\n\t", cursor: 7, found: false},
		{name: "unknown", code: "nothingHere", cursor: 3, found: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := e.Inspect(t.Context(), tt.code, tt.cursor, 0)
			if in.Found != tt.found {
				t.Fatalf("found: have %v, want %v (%v)", in.Found, tt.found, in.Data)
			}
			text, _ := in.Data["text/plain"].(string)
			for _, w := range tt.contains {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q:\n%s", w, text)
				}
			}
		})
	}
}

// FuzzLanguageQuestions checks that is_complete, complete and inspect never
// panic and keep their offsets within the code, whatever the code and cursor.
func FuzzLanguageQuestions(f *testing.F) {
	e := newTestEngine(f)
	for _, seed := range []string{"fmt.Pri", "héllo→.x", "var mu sync.Mutex\nmu.", "%%", "a.b.c.", "`", "w := bufio.NewWriter(os.Stdout)\nw."} {
		f.Add(seed, 3)
	}
	f.Fuzz(func(t *testing.T, code string, cursor int) {
		n := utf8.RuneCountInString(code)
		if cursor < 0 || cursor > n {
			cursor = n
		}
		e.IsComplete(code)
		c := e.Complete(t.Context(), code, cursor)
		if c.CursorStart < 0 || c.CursorStart > c.CursorEnd || c.CursorEnd > n {
			t.Fatalf("complete %q at %d: cursor %d..%d out of 0..%d", code, cursor, c.CursorStart, c.CursorEnd, n)
		}
		e.Inspect(t.Context(), code, cursor, 1)
	})
}

// Kept := variables are ordinary variables of every later cell: Tab offers
// their names and members, Shift+Tab tells their type.
func TestCompleteKeptValues(t *testing.T) {
	e := newTestEngine(t)
	execCell(t, e, 1, "type Account struct {\n\tmu      sync.Mutex\n\tbalance int\n}\n\nfunc (a *Account) Deposit(n int) { a.balance += n }\nacct := &Account{balance: 100}\ncount := 3\nr := strings.NewReader(\"x\")")
	for _, tt := range []struct {
		code     string
		contains []string
	}{
		{"acc", []string{"acct"}},
		{"cou", []string{"count"}},
		{"acct.", []string{"balance", "mu", "Deposit"}},
		{"acct.mu.", []string{"Lock", "Unlock"}},
		{"r.Re", []string{"ReadByte", "ReadRune"}},
		{"fmt.Println(acct.bal", []string{"balance"}},
	} {
		c := e.Complete(t.Context(), tt.code, utf8.RuneCountInString(tt.code))
		for _, w := range tt.contains {
			if !slices.Contains(c.Matches, w) {
				t.Errorf("complete %q: matches lack %q: %q", tt.code, w, c.Matches)
			}
		}
	}
	for _, tt := range []struct {
		code     string
		contains []string
	}{
		{"acct", []string{"acct *Account", "kept from cell [1]"}},
		{"count", []string{"count int", "kept from cell [1]"}},
		{"acct.Deposit(", []string{"func (a *Account) Deposit(n int)"}},
		{"acct.balance", []string{"field balance of Account", "type Account struct {"}},
	} {
		in := e.Inspect(t.Context(), tt.code, utf8.RuneCountInString(tt.code), 0)
		text, _ := in.Data["text/plain"].(string)
		if !in.Found {
			t.Errorf("inspect %q: not found", tt.code)
			continue
		}
		for _, w := range tt.contains {
			if !strings.Contains(text, w) {
				t.Errorf("inspect %q: text lacks %q:\n%s", tt.code, w, text)
			}
		}
	}
}
