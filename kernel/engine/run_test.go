package engine

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
)

// Programs of the run tests. Each starts with the //line directive the
// compose stage writes, so the runtime names cell files and lines.

const lockOrderProgram = `//line cell4.go:1:1
package main

import (
	"fmt"
	"sync"
	"time"
)

func worker(a, b *sync.Mutex, wg *sync.WaitGroup) {
	defer wg.Done()
	a.Lock()
	time.Sleep(20 * time.Millisecond)
	b.Lock()
}

func main() {
	var m1, m2 sync.Mutex
	var wg sync.WaitGroup
	wg.Add(2)
	go worker(&m1, &m2, &wg)
	go worker(&m2, &m1, &wg)
	fmt.Println("started")
	%s
}
`

const panicProgram = `//line cell3.go:1:1
package main

import "fmt"

func f(x []int) int { return x[5] }

func main() {
	fmt.Println("before")
	go func() { select {} }()
	f([]int{1})
}
`

const spawnLoopProgram = `//line cell6.go:1:1
package main

import (
	"fmt"
	"os"
	"os/exec"
	"time"
)

func main() {
	sleeper := exec.Command("sleep", "300")
	if err := sleeper.Start(); err != nil {
		panic(err)
	}
	fmt.Fprintln(os.Stderr, "pgid", os.Getpid())
	go func() {
		for {
			time.Sleep(50 * time.Millisecond)
			fmt.Println("tick")
		}
	}()
	x := 0
	for {
		x++
	}
}
`

const exitProgram = `//line cell2.go:1:1
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "something went wrong")
	fmt.Fprintln(os.Stderr, "panic: this line is only text")
	os.Exit(3)
}
`

const tickerProgram = `//line cell7.go:1:1
package main

import (
	"fmt"
	"time"
)

func main() {
	for i := 0; i < 5; i++ {
		fmt.Println("tick", i)
		time.Sleep(100 * time.Millisecond)
	}
}
`

func TestRunDeadlockDetectedByRuntime(t *testing.T) {
	bin := buildProgram(t, t.TempDir(), "deadlock", strings.Replace(lockOrderProgram, "%s", "wg.Wait()", 1), false)
	out := &recordingOutput{}
	_, err := run(context.Background(), runSpec{Binary: bin}, out)
	e := cellError(t, err, "Deadlock")
	tb := strings.Join(e.Traceback, "\n")
	t.Logf("the student sees:\n%s", tb)
	for _, want := range []string{
		"goroutine 1 [sync.WaitGroup.Wait]",
		"cell [4] line 23  in main",
		"[sync.Mutex.Lock]",
		"cell [4] line 13  in worker",
		"started by main at cell [4] line 20",
		"started by main at cell [4] line 21",
	} {
		if !strings.Contains(tb, want) {
			t.Errorf("traceback lacks %q:\n%s", want, tb)
		}
	}
	if got := out.text("stdout"); got != "started\n" {
		t.Errorf("stdout: have %q, want %q", got, "started\n")
	}
	if got := out.text("stderr"); strings.Contains(got, "goroutine") {
		t.Errorf("the runtime's dump was streamed raw: %q", got)
	}
}

func TestRunInterruptShowsGoroutines(t *testing.T) {
	// main sleeps instead of waiting, so the runtime cannot see the deadlock:
	// only an interrupt ends it.
	bin := buildProgram(t, t.TempDir(), "stuck", strings.Replace(lockOrderProgram, "%s", "for { time.Sleep(time.Hour) }", 1), false)
	out := &recordingOutput{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out.onStream = func(name, text string) {
		if strings.Contains(text, "started") {
			time.AfterFunc(100*time.Millisecond, cancel)
		}
	}
	start := time.Now()
	_, err := run(ctx, runSpec{Binary: bin}, out)
	e := cellError(t, err, "Interrupted")
	tb := strings.Join(e.Traceback, "\n")
	for _, want := range []string{
		"goroutine 1 [sleep]",
		"cell [4] line 23  in main",
		"cell [4] line 13  in worker",
		"started by main at cell [4] line 20",
		"started by main at cell [4] line 21",
		"sync.Mutex.Lock",
	} {
		if !strings.Contains(tb, want) {
			t.Errorf("traceback lacks %q:\n%s", want, tb)
		}
	}
	for _, unwanted := range []string{"runtime.gopark", "GC sweep wait", "finalizer"} {
		if strings.Contains(tb, unwanted) {
			t.Errorf("traceback shows runtime internals %q:\n%s", unwanted, tb)
		}
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("interrupt took %s", d)
	}
}

func TestRunInterruptKillsProcessGroup(t *testing.T) {
	bin := buildProgram(t, t.TempDir(), "spawn", spawnLoopProgram, false)
	out := &recordingOutput{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelAt time.Time
	out.onStream = func(name, text string) {
		if name == "stdout" && strings.Contains(text, "tick") && cancelAt.IsZero() {
			cancelAt = time.Now()
			cancel()
		}
	}
	_, err := run(ctx, runSpec{Binary: bin}, out)
	returned := time.Now()
	e := cellError(t, err, "Interrupted")
	var pgid int
	for _, line := range strings.Split(out.text("stderr"), "\n") {
		if v, ok := strings.CutPrefix(line, "pgid "); ok {
			pgid = atoiOrZero(v)
		}
	}
	if pgid == 0 {
		t.Fatalf("program did not report its pid; stderr %q", out.text("stderr"))
	}
	if alive := groupAlive(pgid); len(alive) > 0 {
		t.Errorf("processes of group %d still exist after run returned: %v", pgid, alive)
	}
	if strings.Contains(e.Value, "input") {
		t.Errorf("have %q: the cell never read its stdin", e.Value)
	}
	tb := strings.Join(e.Traceback, "\n")
	// The ticker is caught sleeping, or still in the write of its "tick"
	// (the interrupt follows the first tick at once).
	ticker := strings.Contains(tb, "[sleep]") || strings.Contains(tb, "[syscall]")
	if !strings.Contains(tb, "goroutine 1 [") || !strings.Contains(tb, "started by main at cell [6] line 16") || !ticker {
		t.Errorf("traceback lacks main and the ticker goroutine:\n%s", tb)
	}
	t.Logf("interrupt to return: %s\n%s", returned.Sub(cancelAt), tb)
}

func TestRunPanic(t *testing.T) {
	bin := buildProgram(t, t.TempDir(), "panic", panicProgram, false)
	out := &recordingOutput{}
	_, err := run(context.Background(), runSpec{Binary: bin}, out)
	e := cellError(t, err, "panic")
	t.Logf("the student sees:\n%s", strings.Join(e.Traceback, "\n"))
	if want := "runtime error: index out of range [5] with length 1"; e.Value != want {
		t.Errorf("evalue: have %q, want %q", e.Value, want)
	}
	tb := strings.Join(e.Traceback, "\n")
	for _, want := range []string{"panic: runtime error", "<- panicked here", "cell [3] line 5  in f", "cell [3] line 10  in main", "func literal in main"} {
		if !strings.Contains(tb, want) {
			t.Errorf("traceback lacks %q:\n%s", want, tb)
		}
	}
	if got := out.text("stdout"); got != "before\n" {
		t.Errorf("stdout: have %q, want %q", got, "before\n")
	}
	if got := out.text("stderr"); got != "" {
		t.Errorf("stderr: have %q, want nothing (the panic is in the error)", got)
	}
}

func TestRunExitStatus(t *testing.T) {
	bin := buildProgram(t, t.TempDir(), "exit", exitProgram, false)
	out := &recordingOutput{}
	_, err := run(context.Background(), runSpec{Binary: bin}, out)
	e := cellError(t, err, "ExitError")
	if e.Value != "exit status 3" {
		t.Errorf("evalue: have %q, want %q", e.Value, "exit status 3")
	}
	want := "something went wrong\npanic: this line is only text\n"
	if got := out.text("stderr"); got != want {
		t.Errorf("stderr: have %q, want %q", got, want)
	}
}

func TestRunStreamsLive(t *testing.T) {
	bin := buildProgram(t, t.TempDir(), "ticker", tickerProgram, false)
	out := &recordingOutput{}
	start := time.Now()
	if _, err := run(context.Background(), runSpec{Binary: bin}, out); err != nil {
		t.Fatal(err)
	}
	end := time.Now()
	streams := out.eventsOf("stream")
	// Ticks are 100 ms apart and the coalescing window is 50 ms, so on a
	// quiet machine each tick is its own message. On a loaded one (CI runs
	// test packages side by side) two ticks may share a message; what must
	// hold is that output arrives while the program runs, not at its end.
	if len(streams) < 3 {
		t.Fatalf("have %d stream messages for 5 ticks 100 ms apart, want at least 3 (output is not live): %+v", len(streams), streams)
	}
	if early := end.Sub(streams[0].At); early < 250*time.Millisecond {
		t.Errorf("the first tick arrived only %s before the end, want about 400ms: not live", early)
	}
	if have, want := out.text("stdout"), "tick 0\ntick 1\ntick 2\ntick 3\ntick 4\n"; have != want {
		t.Errorf("stdout: have %q, want %q", have, want)
	}
	t.Logf("5 ticks over %s", end.Sub(start))
}

func TestRunTimeout(t *testing.T) {
	bin := buildProgram(t, t.TempDir(), "stuck", strings.Replace(lockOrderProgram, "%s", "for { time.Sleep(time.Hour) }", 1), false)
	out := &recordingOutput{}
	start := time.Now()
	_, err := run(context.Background(), runSpec{Binary: bin, Timeout: 300 * time.Millisecond}, out)
	e := cellError(t, err, "Timeout")
	// The program runs forever: any end is the timeout's. How long after
	// 300 ms it ends, and whether the program had reached its stuck state
	// by then, depend on how busy the machine is.
	if d := time.Since(start); d < 300*time.Millisecond || d > 10*time.Second {
		t.Errorf("timeout after %s, want about 300ms", d)
	}
	tb := strings.Join(e.Traceback, "\n")
	if !strings.Contains(out.text("stdout"), "started") {
		t.Logf("the program had not printed \"started\" when its 300ms ran out (a busy machine): no goroutine view to check:\n%s", tb)
		return
	}
	// The workers started before "started" was printed: each is sleeping
	// (line 12) or waiting for its second lock (line 13).
	if !regexp.MustCompile(`cell \[4\] line 1[23]  in worker`).MatchString(tb) {
		t.Errorf("timeout traceback lacks the goroutine view:\n%s", tb)
	}
}

func atoiOrZero(s string) int {
	n := 0
	for _, c := range strings.TrimSpace(s) {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

const leaveChildProgram = `//line cell15.go:1:1
package main

import (
	"fmt"
	"os"
	"os/exec"
)

func main() {
	exec.Command("sleep", "300").Start()
	fmt.Fprintln(os.Stderr, "pgid", os.Getpid())
	fmt.Println("done")
}
`

const stubbornProgram = `//line cell16.go:1:1
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	signal.Ignore(syscall.SIGQUIT, syscall.SIGTERM)
	fmt.Fprintln(os.Stderr, "pgid", os.Getpid())
	fmt.Println("ready")
	for {
		time.Sleep(time.Second)
	}
}
`

func pgidFromStderr(t *testing.T, out *recordingOutput) int {
	t.Helper()
	for _, line := range strings.Split(out.text("stderr"), "\n") {
		if v, ok := strings.CutPrefix(line, "pgid "); ok {
			return atoiOrZero(v)
		}
	}
	t.Fatalf("program did not report its pid; stderr %q", out.text("stderr"))
	return 0
}

func TestRunCleansUpGroup(t *testing.T) {
	dir := t.TempDir()

	t.Run("children of a finished cell die", func(t *testing.T) {
		bin := buildProgram(t, dir, "leave", leaveChildProgram, false)
		out := &recordingOutput{}
		if _, err := run(context.Background(), runSpec{Binary: bin}, out); err != nil {
			t.Fatal(err)
		}
		if alive := groupAlive(pgidFromStderr(t, out)); len(alive) > 0 {
			t.Errorf("processes of the finished cell's group still exist: %v", alive)
		}
	})

	t.Run("a program ignoring SIGQUIT and SIGTERM is still stopped", func(t *testing.T) {
		bin := buildProgram(t, dir, "stubborn", stubbornProgram, false)
		out := &recordingOutput{}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		out.onStream = func(name, text string) {
			if strings.Contains(text, "ready") {
				cancel()
			}
		}
		start := time.Now()
		_, err := run(ctx, runSpec{Binary: bin}, out)
		e := cellError(t, err, "Interrupted")
		if d := time.Since(start); d > quitGrace+killGroupGrace+2*time.Second {
			t.Errorf("took %s", d)
		}
		if tb := strings.Join(e.Traceback, "\n"); !strings.Contains(tb, "did not report") {
			t.Errorf("traceback should say there is no goroutine view:\n%s", tb)
		}
		if alive := groupAlive(pgidFromStderr(t, out)); len(alive) > 0 {
			t.Errorf("processes still exist: %v", alive)
		}
	})
}

const mapWritesProgram = `//line cell17.go:1:1
package main

import "time"

func main() {
	m := map[int]int{}
	for i := 0; i < 2; i++ {
		go func() {
			for j := 0; ; j++ {
				m[j%100] = j
			}
		}()
	}
	time.Sleep(5 * time.Second)
}
`

func TestRunFatalError(t *testing.T) {
	bin := buildProgram(t, t.TempDir(), "mapwrites", mapWritesProgram, false)
	var out *recordingOutput
	var err error
	// Now and then the racing writes corrupt the map before the runtime
	// detects them, and the program dies of a nil dereference inside the
	// map code instead (seen once in a few dozen runs on a loaded machine):
	// try again then.
	for range 3 {
		out = &recordingOutput{}
		_, err = run(context.Background(), runSpec{Binary: bin}, out)
		if ie, ok := err.(*interp.Error); !ok || ie.Name != "panic" {
			break
		}
	}
	e := cellError(t, err, "FatalError")
	if e.Value != "concurrent map writes" {
		t.Errorf("evalue: have %q, want %q", e.Value, "concurrent map writes")
	}
	if tb := strings.Join(e.Traceback, "\n"); !strings.Contains(tb, "cell [17] line 10  in func literal in main") {
		t.Errorf("traceback lacks the writing line:\n%s", tb)
	}
	if got := out.text("stderr"); got != "" {
		t.Errorf("stderr: have %q, want the dump kept out of the stream", got)
	}
}
