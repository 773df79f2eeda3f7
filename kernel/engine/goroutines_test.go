package engine

import (
	"bytes"
	"os"
	"os/exec"
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
		name  string
		dump  string
		want  goroutineTrace
		where []string
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
			if got := strings.Join(g.whereLines(), "|"); got != strings.Join(tc.where, "|") {
				t.Errorf("where: have %q, want %q", got, strings.Join(tc.where, "|"))
			}
		})
	}
}
