package engine

import (
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// statesProgram parks goroutines in every state a student meets, prints
// "ready" and waits to be sent SIGQUIT.
const statesProgram = `//line cell20.go:1:1
package main

import (
	"fmt"
	"sync"
	"time"
)

func receiver(c chan int) { <-c }

func main() {
	var mu sync.Mutex
	mu.Lock()
	c := make(chan int)
	go receiver(c)
	go func() { mu.Lock() }()
	go func() { select { case <-c: case <-time.After(time.Hour): } }()
	go func() { time.Sleep(time.Hour) }()
	for i := 0; i < 100; i++ {
		go receiver(c)
	}
	time.Sleep(50 * time.Millisecond)
	fmt.Println("ready")
	var wg sync.WaitGroup
	wg.Add(1)
	wg.Wait()
}
`

// dumpOf runs bin with GOTRACEBACK=all; with quit it sends SIGQUIT once the
// program printed "ready". It returns stderr: a real runtime dump.
func dumpOf(t *testing.T, bin string, quit bool) string {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "GOTRACEBACK=all")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if quit {
		buf := make([]byte, 64)
		n, _ := stdout.Read(buf) // "ready"
		if !strings.Contains(string(buf[:n]), "ready") {
			t.Fatalf("program said %q", buf[:n])
		}
		time.Sleep(50 * time.Millisecond) // let main get from its print into wg.Wait
		cmd.Process.Signal(syscall.SIGQUIT)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("program did not end")
	}
	return stderr.String()
}

func TestParseGoroutinesRealDumps(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name       string
		src        string
		quit       bool
		wantIDs    int      // at least this many goroutines parsed
		wantView   []string // lines (trimmed) the view must contain
		wantHidden []string // text the view must not contain
		wantUser   int      // user goroutines counted
	}{
		{
			name: "sigquit, every state", src: statesProgram, quit: true, wantIDs: 108,
			wantView: []string{
				"goroutine 1 [sync.WaitGroup.Wait]:",
				"cell [20] line 26  in main",
				"[chan receive]:",
				"cell [20] line 9  in receiver",
				"started by main at cell [20] line 15",
				"[sync.Mutex.Lock]:",
				"cell [20] line 16  in func literal in main",
				"[select]:",
				"[sleep]:",
				"100 goroutines (",
				"started by main at cell [20] line 20",
			},
			wantHidden: []string{"GC sweep wait", "runtime.gopark", "finalizer", "fp=", "go statement"},
			wantUser:   105,
		},
		{
			name: "runtime deadlock", src: strings.Replace(lockOrderProgram, "%s", "wg.Wait()", 1), wantIDs: 3,
			wantView: []string{"goroutine 1 [sync.WaitGroup.Wait]:", "cell [4] line 13  in worker", "started by main at cell [4] line 21"},
			wantUser: 3,
		},
		{
			name: "panic", src: panicProgram, wantIDs: 2,
			wantView: []string{"goroutine 1 [running]:", "cell [3] line 5  in f", "cell [3] line 10  in main", "started by main at cell [3] line 9"},
			wantUser: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bin := buildProgram(t, dir, strings.ReplaceAll(tc.name, " ", "_")[:5], tc.src, false)
			dump := dumpOf(t, bin, tc.quit)
			traces := parseGoroutines(dump)
			if len(traces) < tc.wantIDs {
				t.Fatalf("parsed %d goroutines, want at least %d from:\n%s", len(traces), tc.wantIDs, dump)
			}
			for _, g := range traces {
				if g.State == "" || len(g.Frames) == 0 && g.State != "running" {
					t.Errorf("goroutine parsed without state or frames: %+v", g)
				}
			}
			view, n := formatGoroutineView(traces, goroutineViewOptions{})
			text := strings.Join(view, "\n")
			if n != tc.wantUser {
				t.Errorf("have %d user goroutines, want %d\n%s", n, tc.wantUser, text)
			}
			for _, w := range tc.wantView {
				if !strings.Contains(text, w) {
					t.Errorf("view lacks %q:\n%s", w, text)
				}
			}
			for _, h := range tc.wantHidden {
				if strings.Contains(text, h) {
					t.Errorf("view shows %q:\n%s", h, text)
				}
			}
		})
	}
}

func TestParseGoroutinesFormats(t *testing.T) {
	tests := []struct {
		name   string
		dump   string
		source map[int]string // the cells' code, by execution count
		want   goroutineTrace
		where  []string
	}{
		{
			name: "sigquit header with waited time and created-by goroutine",
			dump: "goroutine 7 gp=0xc000 m=nil [chan receive, 3 minutes]:\n" +
				"runtime.gopark(0x0?)\n\t/usr/local/go/src/runtime/proc.go:462 +0xce fp=0x1 sp=0x2 pc=0x3\n" +
				"main.(*pool).work(...)\n\tcell2.go:8\n" +
				"created by main.main in goroutine 1\n\tcell2.go:12 +0x56\n",
			want:  goroutineTrace{ID: 7, State: "chan receive", Waited: "3 minutes", CreatorID: 1},
			where: []string{"cell [2] line 8  in (*pool).work", "started by main at cell [2] line 12"},
		},
		{
			name:  "running elsewhere",
			dump:  "goroutine 1 gp=0x1 m=0 mp=0x2 [running]:\n\tgoroutine running on other thread; stack unavailable\n",
			want:  goroutineTrace{ID: 1, State: "running"},
			where: []string{"(running on another thread: the runtime could not read its stack)"},
		},
		{
			name:  "outside the cells",
			dump:  "goroutine 9 [IO wait]:\ninternal/poll.runtime_pollWait(0x1)\n\t/go/src/runtime/netpoll.go:351 +0x85\nnet/http.(*conn).serve(0x2)\n\t/go/src/net/http/server.go:2100 +0x1\ncreated by main.serve in goroutine 1\n\tcell5.go:3 +0x1\n",
			want:  goroutineTrace{ID: 9, State: "IO wait", CreatorID: 1},
			where: []string{"in net/http.(*conn).serve (net/http/server.go:2100)", "started by serve at cell [5] line 3"},
		},
		{
			// go tool objdump of "//line cell19.go:1:1\n\tfor {\n\t}" puts the
			// loop's JMP at cell19.go:-6; an interrupt stops it there.
			name:  "a loop that calls nothing stops at a negative line",
			dump:  "goroutine 1 gp=0x1 m=nil [runnable]:\nruntime.asyncPreempt2()\n\t/usr/local/go/src/runtime/preempt.go:320 +0x14\nmain.main()\n\tcell19.go:-6 +0x47\n",
			want:  goroutineTrace{ID: 1, State: "runnable"},
			where: []string{"cell [19] (line unknown: usually a loop that calls nothing, such as for {})  in main"},
		},
		{
			name:   "the cell's only loop that calls nothing is named",
			dump:   "goroutine 1 gp=0x1 m=nil [runnable]:\nruntime.asyncPreempt2()\n\t/usr/local/go/src/runtime/preempt.go:320 +0x14\nmain._gokernel_cell()\n\tcell19.go:-6 +0x47\n",
			source: map[int]string{19: "fmt.Println(\"start\")\ntotal := 0\nfor i := 0; ; i++ {\n\ttotal += i\n}"},
			want:   goroutineTrace{ID: 1, State: "runnable"},
			where:  []string{"cell [19] line 3 (the only loop in main that calls nothing: the runtime gives such a loop no line)  in main"},
		},
		{
			name:   "the only such loop of the func it stopped in",
			dump:   "goroutine 7 gp=0x1 m=nil [runnable]:\nmain.spin()\n\tcell19.go:-6 +0x47\ncreated by main._gokernel_cell in goroutine 1\n\tcell19.go:5 +0x1a\n",
			source: map[int]string{19: "func spin() {\n\tfor {\n\t}\n}\ngo spin()\nfor {\n}"},
			want:   goroutineTrace{ID: 7, State: "runnable", CreatorID: 1},
			where:  []string{"cell [19] line 2 (the only loop in spin that calls nothing: the runtime gives such a loop no line)  in spin", "started by main at cell [19] line 5"},
		},
		{
			name:   "two such loops: no guess",
			dump:   "goroutine 1 gp=0x1 m=nil [runnable]:\nmain.main()\n\tcell19.go:-6 +0x47\n",
			source: map[int]string{19: "n := 0\nfor n < 10 {\n\tn++\n}\nfor {\n}"},
			want:   goroutineTrace{ID: 1, State: "runnable"},
			where:  []string{"cell [19] (line unknown: usually a loop that calls nothing, such as for {})  in main"},
		},
		{
			name: "a recursion shows its repeated frame once",
			dump: "goroutine 1 [running]:\n" + strings.Repeat("main.rec(0x1)\n\tcell5.go:1 +0x1e\n", 5) +
				"main.main()\n\tcell5.go:2 +0x1e\n",
			want:  goroutineTrace{ID: 1, State: "running"},
			where: []string{"cell [5] line 1  in rec  (and 4 more calls from the same line)", "cell [5] line 2  in main"},
		},
		{
			name: "the end of the cell waiting for an unjoined child process",
			dump: "goroutine 1 [chan receive]:\n" +
				"github.com/gokernel/gokernel/kernel/nb.(*Proc).Join(0x1)\n\t/tmp/gokernel-17/gokernel/kernel/nb/process.go:205 +0x2a\n" +
				"github.com/gokernel/gokernel/kernel/nb.finishCell()\n\t/tmp/gokernel-17/gokernel/kernel/nb/process.go:560 +0x1\n" +
				"github.com/gokernel/gokernel/kernel/nb/cellrt.Finish()\n\t/tmp/gokernel-17/gokernel/kernel/nb/cellrt/cellrt.go:90 +0x1\n" +
				"main.main()\n\tgokernel.go:9 +0x1\n",
			want: goroutineTrace{ID: 1, State: "chan receive"},
			where: []string{"in nb.(*Proc).Join",
				"(the cell's code had returned; it was waiting for child processes nobody joined)"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			traces := parseGoroutines(tc.dump)
			if len(traces) != 1 {
				t.Fatalf("have %d goroutines, want 1", len(traces))
			}
			g := traces[0]
			if g.ID != tc.want.ID || g.State != tc.want.State || g.Waited != tc.want.Waited || g.CreatorID != tc.want.CreatorID {
				t.Errorf("have %d %q %q creator %d, want %d %q %q creator %d", g.ID, g.State, g.Waited, g.CreatorID,
					tc.want.ID, tc.want.State, tc.want.Waited, tc.want.CreatorID)
			}
			source := func(cell int) string { return tc.source[cell] }
			if got := strings.Join(g.whereLines(goroutineViewOptions{Source: source}), "|"); got != strings.Join(tc.where, "|") {
				t.Errorf("where: have %q, want %q", got, strings.Join(tc.where, "|"))
			}
		})
	}
}

// onlyCallFreeLoop is the line of the only loop callFreeLoops finds, if
// there is exactly one: what placeStoppedLoop names without the binary.
func onlyCallFreeLoop(code, fn string) (line int, in string, ok bool) {
	loops, in, ok := callFreeLoops(code, fn)
	if !ok || len(loops) != 1 {
		return 0, "", false
	}
	return loops[0].Start, in, true
}

func TestOnlyCallFreeLoop(t *testing.T) {
	const cell = "main._gokernel_cell"
	twoFuncs := "func spin() {\n\tfor {\n\t}\n}\nfunc (c *counter) run() {\n\tfor c.n >= 0 {\n\t\tc.n++\n\t}\n}\ngo spin()\nfor {\n}"
	for _, tt := range []struct {
		name, code, fn string
		line           int    // 0: no answer
		in             string // where it was looked for
	}{
		{"for {}", "x := 1\nfor {\n}", cell, 2, "main"},
		{"a counting loop", "total := 0\nfor i := 0; ; i++ {\n\ttotal += i\n}", cell, 2, "main"},
		{"in a func of the cell", "func spin() {\n\tn := 0\n\tfor n >= 0 {\n\t\tn++\n\t}\n}\nspin()", "main.spin", 3, "spin"},
		{"in a goroutine", "go func() {\n\tfor {\n\t}\n}()\ntime.Sleep(time.Second)", cell + ".func1", 2, "main"},
		{"nested loops: the outer one", "s := make([]int, 9)\nfor {\n\tfor i := range s {\n\t\ts[i]++\n\t}\n}", cell, 2, "main"},
		{"the loop calls something", "for {\n\tfmt.Println(1)\n}", cell, 0, ""},
		{"a loop that calls, around one that does not", "for {\n\tfmt.Println(1)\n\tfor i := 0; i < 9; i++ {\n\t}\n}", cell, 3, "main"},
		{"one loop calls, one does not", "for i := range 3 {\n\tfmt.Println(i)\n}\nfor {\n}", cell, 4, "main"},
		{"two loops in the statements", "n := 0\nfor n < 10 {\n\tn++\n}\nfor {\n}", cell, 0, ""},
		{"three loops, the frame's func has one", twoFuncs, "main.spin", 2, "spin"},
		{"three loops, in a method", twoFuncs, "main.(*counter).run", 6, "counter.run"},
		{"three loops, in the statements", twoFuncs, cell, 11, "main"},
		{"three loops, a func literal of a func", "func spin() {\n\tgo func() {\n\t\tfor {\n\t\t}\n\t}()\n}\nfor {\n}", "main.spin.func1", 3, "spin"},
		{"a generic func", "func spin[T int | int64](n T) {\n\tfor n >= 0 {\n\t\tn++\n\t}\n}\nfor {\n}", "main.spin[...]", 2, "spin"},
		{"the user's own main", "func main() {\n\tfor {\n\t}\n}\nfunc f() {\n\tfor {\n\t}\n}", "main._gokernel_main", 2, "main"},
		{"a func not in the cell: the whole cell", "for {\n}", "main.elsewhere", 1, "the cell"},
		{"a func not in the cell, two loops", twoFuncs, "main.elsewhere", 0, ""},
		{"after a magic line (blanked, as split leaves it)", "\nfor {\n}", cell, 2, "main"},
		{"no loop", "x := 1\nx++", cell, 0, ""},
		{"does not parse", "for {", cell, 0, ""},
		{"unknown cell", "", cell, 0, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			line, in, ok := onlyCallFreeLoop(tt.code, tt.fn)
			if ok != (tt.line > 0) || line != tt.line || in != tt.in {
				t.Errorf("onlyCallFreeLoop(%q, %q) = %d, %q, %v; want %d, %q", tt.code, tt.fn, line, in, ok, tt.line, tt.in)
			}
		})
	}
}

func TestFrameFuncDecl(t *testing.T) {
	for _, tt := range []struct{ fn, name, receiver string }{
		{"main._gokernel_cell", cellFuncName, ""},
		{"main._gokernel_cell.func1.1", cellFuncName, ""},
		{"main._gokernel_main", "main", ""},
		{"main.spin", "spin", ""},
		{"main.spin.func2", "spin", ""},
		{"main.spin[...]", "spin", ""},
		{"main.(*counter).run", "run", "counter"},
		{"main.counter.run.func1", "run", "counter"},
		{"main.(*box[...]).get", "get", "box"},
	} {
		if name, receiver := frameFuncDecl(tt.fn); name != tt.name || receiver != tt.receiver {
			t.Errorf("frameFuncDecl(%q) = %q, %q; want %q, %q", tt.fn, name, receiver, tt.name, tt.receiver)
		}
	}
}

// A cell stopped in a loop that calls nothing: the runtime gives the loop
// no line, and the kernel names the only such loop of its function instead.
func TestStoppedLoopIsPlaced(t *testing.T) {
	e := newTestEngine(t)
	got := execCell(t, e, 1, "%timeout 500ms\nfmt.Println(\"spinning\")\ntotal := 0\nfor i := 0; ; i++ {\n\ttotal += i\n}")
	if got.Err == nil || got.Err.Name != "Timeout" {
		t.Fatalf("want a Timeout, have %+v", got)
	}
	tb := strings.Join(got.Err.Traceback, "\n")
	if !strings.Contains(got.Stdout, "spinning") {
		t.Skipf("the program had not started its loop when its 500ms ran out (a busy machine):\n%s", tb)
	}
	if !strings.Contains(tb, "cell [1] line 4 (the only loop in main that calls nothing") {
		t.Errorf("the loop at line 4 is not named:\n%s", tb)
	}
}

// Four goroutines, each in an empty loop (the runtime gives none a line),
// in a func, a generic func's instance, a method and the cell's statements:
// each is placed at its own function's loop, which needs the frame names
// the runtime really gives them.
func TestStoppedLoopsPlacedByFunction(t *testing.T) {
	e := newTestEngine(t)
	code := `%timeout 700ms
type counter struct{ n int }

func spin() {
	for {
	}
}

func climb[T int | int64](n T) {
	for {
	}
}

func (c *counter) run() {
	for {
	}
}

go spin()
go climb(int64(1))
go (&counter{}).run()
time.Sleep(100 * time.Millisecond)
fmt.Println("spinning")
for {
}`
	got := execCell(t, e, 1, code)
	if got.Err == nil || got.Err.Name != "Timeout" {
		t.Fatalf("want a Timeout, have %+v", got)
	}
	tb := strings.Join(got.Err.Traceback, "\n")
	if !strings.Contains(got.Stdout, "spinning") {
		t.Skipf("the program had not started its loops when its 700ms ran out (a busy machine):\n%s", tb)
	}
	for _, want := range []string{
		"cell [1] line 5 (the only loop in spin that calls nothing",
		"cell [1] line 10 (the only loop in climb that calls nothing",
		"cell [1] line 15 (the only loop in counter.run that calls nothing",
		"cell [1] line 24", // main's loop: the runtime may have caught it on the line of its jump, or on none
	} {
		if !strings.Contains(tb, want) {
			t.Errorf("want %q in:\n%s", want, tb)
		}
	}
}

// Two loops that call nothing in one cell: the source alone cannot say
// which one a goroutine stopped in; the binary says where the jump it
// stopped on goes back to (loopjump), and that line is in the second loop.
func TestStoppedLoopPlacedByItsJump(t *testing.T) {
	e := newTestEngine(t)
	got := execCell(t, e, 1, "%timeout 500ms\nn := 0\nfor n < 1000 {\n\tn++\n}\nfmt.Println(\"spinning\", n)\ntotal := 0\nfor i := 0; ; i++ {\n\ttotal += i * n\n}")
	if got.Err == nil || got.Err.Name != "Timeout" {
		t.Fatalf("want a Timeout, have %+v", got)
	}
	tb := strings.Join(got.Err.Traceback, "\n")
	if !strings.Contains(got.Stdout, "spinning") {
		t.Skipf("the program had not started its loop when its 500ms ran out (a busy machine):\n%s", tb)
	}
	if strings.Contains(tb, "line unknown") {
		if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
			t.Skipf("loopjump reads ELF amd64/arm64 binaries only:\n%s", tb)
		}
		t.Fatalf("the loop is not placed:\n%s", tb)
	}
	if !strings.Contains(tb, "cell [1] line 8") || strings.Contains(tb, "cell [1] line 3") {
		t.Errorf("want the second loop, line 8:\n%s", tb)
	}
}
