package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
)

// newLookaheadEngine starts an engine with the given lookahead depth
// (negative: none).
func newLookaheadEngine(t testing.TB, depth int) *Engine {
	t.Helper()
	cfg := Config{Lookahead: depth}
	if *verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	e, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// runQueued runs cells as the server runs a queue sent all at once: before
// each cell it tells the engine that cell and what waits behind it; after a failed cell
// (stop_on_error) the rest are aborted. It returns one line per cell.
func runQueued(t *testing.T, e *Engine, cells []string) []string {
	t.Helper()
	reqs := make([]interp.ExecuteRequest, len(cells))
	for i, code := range cells {
		reqs[i] = interp.ExecuteRequest{Code: code, Count: i + 1, StoreHistory: true}
	}
	var lines []string
	for i, req := range reqs {
		e.Queued(reqs[i:])
		var rec recorder
		res, err := e.Execute(context.Background(), req, &rec)
		line := fmt.Sprintf("[%d] %q", req.Count, rec.stdout.String())
		if res != nil && res.Data != nil {
			line += fmt.Sprintf(" = %v", res.Data["text/plain"])
		}
		var ie *interp.Error
		if errors.As(err, &ie) {
			line += " " + ie.Name + ": " + ie.Value
		} else if err != nil {
			t.Fatalf("cell %d: kernel fault: %v", req.Count, err)
		}
		lines = append(lines, line)
		if err != nil {
			e.Queued(nil) // stop_on_error: the server aborts what waits
			for _, r := range reqs[i+1:] {
				lines = append(lines, fmt.Sprintf("[%d] aborted", r.Count))
			}
			break
		}
	}
	return lines
}

// A queue runs exactly as one cell after another does: the same output,
// values and errors, cell by cell, with builds ahead and without.
func TestLookaheadSameAsOneByOne(t *testing.T) {
	if testing.Short() {
		t.Skip("builds dozens of cells")
	}
	_, pyErr := exec.LookPath("python3")
	for _, tc := range []struct {
		name  string
		cells []string
		// ahead is the least number of cells that must find their binary
		// built ahead (a test that the pipeline does anything).
		ahead int
		skip  bool
	}{
		{"declarations used by later cells", []string{
			"func A() int { return 1 }",
			"func B() int { return A() + 1 }\nfmt.Println(B())",
			"func C() int { return B() * 10 }\nfmt.Println(C())",
			"C() + A()",
		}, 2, false},
		{"redefinitions", []string{
			"func F() string { return \"first\" }\nfmt.Println(F())",
			"fmt.Println(F())",
			"func F() string { return \"second\" }",
			"fmt.Println(F())",
			"type T struct{ A int }\nfmt.Println(T{1})",
			"type T struct{ A, B int }\nfmt.Println(T{1, 2})",
		}, 2, false},
		{"a cell failing to compile mid-queue stops the queue", []string{
			"func G() int { return 1 }",
			"func H() int { return G() }\nvar _ = undefinedName",
			"fmt.Println(H())",
		}, 0, false},
		{"a cell panicking mid-queue stops the queue", []string{
			"func G() int { return 1 }",
			"fmt.Println(G())\npanic(\"boom\")",
			"fmt.Println(G())",
		}, 1, false},
		{"magics between cells", []string{
			"func M() int { return 7 }",
			"%timeout 5s\nfmt.Println(M())",
			"%%bash\necho from bash",
			"fmt.Println(M() * 2)",
			"%reset M\nfunc M() int { return 8 }",
			"fmt.Println(M())",
			"%timeout default 10s",
			"fmt.Println(M() + 1)",
		}, 2, false},
		{"python between Go cells", []string{
			"func P() int { return 3 }",
			"%%python3\nprint('from python')",
			"fmt.Println(P())",
		}, 1, pyErr != nil},
		{"values carried across cells", []string{
			"x := 1\nnames := []string{\"a\"}",
			"x++\nnames = append(names, \"b\")\nfmt.Println(x, names)",
			"fmt.Println(x*10, len(names))",
			"func Twice() int { return 2 * x }\nfmt.Println(Twice())",
			"x = 5\nfmt.Println(Twice())",
		}, 2, false},
		{"values sharing memory", []string{
			"type acct struct{ n int }\np := &acct{}\nq := p",
			"q.n++\nfmt.Println(p.n)",
			"p.n++\nfmt.Println(q.n, p == q)",
			"q.n += 10\nfmt.Println(p.n)",
			"fmt.Println(p.n + q.n)",
		}, 3, false},
		{"%race", []string{
			"var counter int",
			"%race\nvar wg sync.WaitGroup\nfor range 2 { wg.Add(1); go func() { defer wg.Done(); counter++ }() }\nwg.Wait()",
			"fmt.Println(\"after race\")",
		}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip {
				t.Skip("python3 not on PATH")
			}
			one := runQueued(t, newLookaheadEngine(t, -1), tc.cells)
			ahead := newLookaheadEngine(t, DefaultLookahead)
			pipelined := runQueued(t, ahead, tc.cells)
			if strings.Join(one, "\n") != strings.Join(pipelined, "\n") {
				t.Errorf("one by one:\n%s\nbuilt ahead:\n%s", strings.Join(one, "\n"), strings.Join(pipelined, "\n"))
			}
			if hits := int(ahead.ahead.hits.Load()); hits < tc.ahead {
				t.Errorf("%d cells found their binary built ahead, want at least %d", hits, tc.ahead)
			}
			t.Logf("%d cells built ahead; cells:\n%s", ahead.ahead.hits.Load(), strings.Join(pipelined, "\n"))
		})
	}
}

// An interrupt while builds ahead are in flight stops the running cell as
// always; the builds are dropped and the kernel goes on.
func TestLookaheadInterruptWhileBuilding(t *testing.T) {
	e := newLookaheadEngine(t, DefaultLookahead)
	execCell(t, e, 1, `fmt.Println("warm")`)
	sleeper := interp.ExecuteRequest{Code: "time.Sleep(time.Minute)", Count: 2, StoreHistory: true}
	queued := []interp.ExecuteRequest{sleeper}
	for i := range 4 {
		queued = append(queued, interp.ExecuteRequest{Code: fmt.Sprintf("fmt.Println(%d)", i), Count: 3 + i, StoreHistory: true})
	}
	e.Queued(queued)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var rec recorder
	_, err := e.Execute(ctx, sleeper, &rec)
	var ie *interp.Error
	if !errors.As(err, &ie) || ie.Name != "Interrupted" {
		t.Fatalf("interrupted cell: have %v, want an Interrupted error", err)
	}
	e.Queued(nil) // the server aborts the queue after the error
	deadline := time.Now().Add(5 * time.Second)
	for {
		keys, _ := e.ahead.builds.Planned()
		if len(keys) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("builds ahead still planned 5 s after the queue was aborted: %v", keys)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := execCell(t, e, 3, `fmt.Println("after")`); got.Err != nil || got.Stdout != "after\n" {
		t.Errorf("cell after the interrupt: have %+v", got)
	}
}

// A client that sends each cell after the previous one's reply (nbclient)
// never has a cell waiting behind the one about to start. That cell is
// built by its own Execute, at once: the planner must not start a second
// build of it (composing its program twice, the cell waiting for a build
// at nice 10), while it still plans a cell queued behind it.
func TestLookaheadLeavesTheCellAboutToStartToExecute(t *testing.T) {
	e := newLookaheadEngine(t, DefaultLookahead)
	execCell(t, e, 1, `fmt.Println("warm")`)
	alone := interp.ExecuteRequest{Code: `fmt.Println("alone")`, Count: 2, StoreHistory: true}
	e.Queued([]interp.ExecuteRequest{alone})
	e.plan() // as the planner does when told of the queue
	if keys, _ := e.ahead.builds.Planned(); len(keys) > 0 {
		t.Errorf("a cell alone in the queue, no cell running: builds planned %v, want none", keys)
	}
	behind := interp.ExecuteRequest{Code: `fmt.Println("behind")`, Count: 3, StoreHistory: true}
	e.Queued([]interp.ExecuteRequest{alone, behind})
	e.plan()
	keys, started := e.ahead.builds.Planned()
	if len(keys) != 1 || keys[0].Count != behind.Count || !started[0] {
		t.Errorf("a cell queued behind the one about to start: planned %v (started %v), want cell %d's build started", keys, started, behind.Count)
	}
	if got := execCell(t, e, 2, alone.Code); got.Err != nil || got.Stdout != "alone\n" {
		t.Errorf("cell 2: have %+v", got)
	}
	if got := execCell(t, e, 3, behind.Code); got.Err != nil || got.Stdout != "behind\n" {
		t.Errorf("cell 3: have %+v", got)
	}
	if hits := e.ahead.hits.Load(); hits != 1 {
		t.Errorf("%d cells found their binary built ahead, want 1 (cell 3)", hits)
	}
}
