package reliability

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/bench"
)

// TestHeartbeatWhileBusy pings the heartbeat while a cell keeps every core
// busy; each echo must come back within 100 ms.
func TestHeartbeatWhileBusy(t *testing.T) {
	s := start(t, startOptions{})
	s.hello(2 * time.Minute)
	const marker = "all-cores-busy"
	call, err := s.c.StartExecute(fmt.Sprintf(`import (
	"runtime"
	"sync"
)

var wg sync.WaitGroup
deadline := time.Now().Add(5 * time.Second)
for i := 0; i < runtime.NumCPU(); i++ {
	wg.Add(1)
	go func() {
		defer wg.Done()
		for time.Now().Before(deadline) {
		}
	}()
}
fmt.Println(%q)
wg.Wait()
`, marker))
	if err != nil {
		t.Fatal(err)
	}
	defer s.c.Forget(call)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := call.WaitOutput(ctx, marker); err != nil {
		t.Fatalf("busy cell: %v", err)
	}
	var rtts []time.Duration
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		hctx, hcancel := context.WithTimeout(ctx, time.Second)
		rtt, err := s.c.Heartbeat(hctx)
		hcancel()
		if err != nil {
			t.Fatalf("heartbeat while busy: %v", err)
		}
		rtts = append(rtts, rtt)
	}
	if err := call.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	worst := slices.Max(rtts)
	slow := 0
	for _, r := range rtts {
		if r > 100*time.Millisecond {
			slow++
		}
	}
	// The client measuring the round trip shares the two saturated cores
	// (and, under `go test ./...`, the machine with other test packages), so
	// one late ping can be the client's own scheduling rather than the
	// kernel's. A kernel whose heartbeat waits behind the cell is late on
	// most pings; the figure line reports every slow one.
	if slow*10 > len(rtts) || worst > time.Second {
		t.Errorf("have %d of %d heartbeats slower than 100 ms (worst %v), want at most 1 in 10 and none over 1 s", slow, len(rtts), worst)
	}
	slices.Sort(rtts)
	figure(t, "heartbeat with both cores busy: %d pings, median %v, worst %v, %d over 100 ms",
		len(rtts), rtts[len(rtts)/2].Round(10*time.Microsecond), worst.Round(10*time.Microsecond), slow)
}

// TestExecutesInARow runs many cells and checks that every reply arrives,
// execution counts are consecutive, and memory, descriptors and temporary
// files stay flat.
func TestExecutesInARow(t *testing.T) {
	n := size(100, 1000)
	s := start(t, startOptions{})
	for range 10 { // warm up: build cache, importcfg, first allocations
		s.hello(2 * time.Minute)
	}
	time.Sleep(500 * time.Millisecond)
	rss0 := s.rss()
	fd0, err := bench.FDCount(s.k.PID())
	if err != nil {
		t.Fatal(err)
	}
	files0 := countFiles(s.tmp)
	lost, lastCount, gaps := 0, 0, 0
	// The engine keeps a bounded cache of built binaries (64 today), so the
	// file count may rise at first; a leak keeps rising. Compare the last
	// quarter of the run with the count at its start.
	checkpoint, filesAtCheckpoint := n*3/4, 0
	began := time.Now()
	for i := range n {
		if i == checkpoint {
			filesAtCheckpoint = countFiles(s.tmp)
		}
		call, err := s.try(fmt.Sprintf("fmt.Println(\"cell\", %d)", i), time.Minute)
		if err != nil {
			lost++
			t.Errorf("cell %d: %v", i, err)
			if lost > 5 {
				t.Fatalf("too many lost cells\nlog:\n%s", s.k.Output())
			}
			continue
		}
		r, _ := call.ExecuteReply()
		if lastCount != 0 && r.ExecutionCount != lastCount+1 {
			gaps++
			t.Errorf("cell %d: have execution_count %d after %d, want %d", i, r.ExecutionCount, lastCount, lastCount+1)
		}
		lastCount = r.ExecutionCount
	}
	took := time.Since(began)
	time.Sleep(500 * time.Millisecond)
	growth := s.rss() - rss0
	fd1, err := bench.FDCount(s.k.PID())
	if err != nil {
		t.Fatal(err)
	}
	files1 := countFiles(s.tmp)
	if growth >= 10<<20 {
		t.Errorf("RSS grew by %.1f MB over %d cells, want < 10 MB", mb(growth), n)
	}
	if fd1 > fd0+3 {
		t.Errorf("open descriptors grew from %d to %d over %d cells", fd0, fd1, n)
	}
	if files1 > filesAtCheckpoint+3 {
		t.Errorf("files under the kernel's TMPDIR still grow: %d after %d cells, %d after %d", filesAtCheckpoint, checkpoint, files1, n)
	}
	figure(t, "%d executes: %d lost, %d count gaps, RSS %+.1f MB (%.1f → %.1f MB), fds %d → %d, temp files %d → %d → %d (bounded binary cache), %.1f ms/cell",
		n, lost, gaps, mb(growth), mb(rss0), mb(rss0+growth), fd0, fd1, files0, filesAtCheckpoint, files1, float64(took.Milliseconds())/float64(n))
}

// TestInterruptsInARow interrupts a looping cell that started a child
// process, many times; every interrupt must end the cell and nothing the
// cells started may survive.
func TestInterruptsInARow(t *testing.T) {
	n := size(20, 100)
	s := start(t, startOptions{})
	s.hello(2 * time.Minute)
	arg := sleepArg()
	const marker = "looping-now"
	var latencies []time.Duration
	for i := range n {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		call, err := s.c.StartExecute(spawnCell(arg, marker))
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		if err := call.WaitOutput(ctx, marker); err != nil {
			cancel()
			t.Fatalf("interrupt %d: cell never ran: %v\nlog:\n%s", i, err, s.k.Output())
		}
		ic, err := s.c.Request(bench.Control, "interrupt_request", map[string]any{})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		err = call.Wait(ctx)
		cancel()
		s.c.Forget(call)
		s.c.Forget(ic)
		if err != nil {
			t.Fatalf("interrupt %d: no reply: %v\nlog:\n%s", i, err, s.k.Output())
		}
		r, _ := call.ExecuteReply()
		if r.Status != "error" {
			t.Errorf("interrupt %d: have status %q, want error", i, r.Status)
		}
		latencies = append(latencies, call.Snapshot().ReplyAt.Sub(ic.Sent))
	}
	left := waitGone(t, arg, 5*time.Second)
	if len(left) > 0 {
		t.Errorf("have %d `sleep %s` processes alive 5 s after the last interrupt, want none:%s", len(left), arg, describe(left))
	}
	// The kernel's spare shepherd (kernel/reap) waits for the next cell
	// as "gokernel-spare": it started no process of any cell. One that is
	// still starting is "exe" for a few ms, hence a second look.
	var cells []bench.ProcInfo
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		desc, err := bench.Descendants(s.k.PID())
		if err != nil {
			t.Fatal(err)
		}
		cells = cells[:0]
		for _, p := range desc {
			if !isToolchain(p.Comm) && p.Comm != "gokernel-spare" {
				cells = append(cells, p)
			}
		}
		if len(cells) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(cells) > 0 {
		t.Errorf("have processes below the kernel after the interrupts, want none:%s", describe(cells))
	}
	s.hello(time.Minute) // and the kernel still works
	slices.Sort(latencies)
	figure(t, "%d interrupts in a row: %d answered, interrupt→reply median %v max %v, %d processes survived",
		n, len(latencies), latencies[len(latencies)/2].Round(100*time.Microsecond),
		latencies[len(latencies)-1].Round(100*time.Microsecond), len(left)+len(cells))
}

// isToolchain reports whether a process is part of the go toolchain the
// kernel may run in the background (cache warm-up), not something a cell started.
func isToolchain(comm string) bool {
	switch comm {
	case "go", "compile", "link", "asm", "cgo", "vet", "gopls", "buildid":
		return true
	}
	return false
}

// TestDisconnectMidFlood closes the client in the middle of a large output,
// connects a new one, and checks the new client gets the next cell's output.
func TestDisconnectMidFlood(t *testing.T) {
	floodMB := size(30, 100)
	// Output limit off: the whole print must flow, as in issue 9's case.
	s := start(t, startOptions{env: []string{"GOKERNEL_LIMIT_OUTPUT=none"}})
	s.hello(2 * time.Minute)
	call, err := s.c.StartExecute(fmt.Sprintf(`w := bufio.NewWriterSize(os.Stdout, 1<<16)
line := strings.Repeat("y", 99) + "\n"
for i := 0; i < %d; i++ {
	w.WriteString(line)
}
w.Flush()
`, floodMB*10_000))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := call.WaitOutput(ctx, "yyyy"); err != nil {
		t.Fatalf("flood cell: %v", err)
	}
	// Let a few MB through so the kernel is in full flow when the client goes.
	for call.Snapshot().StreamBytes < 2<<20 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	received := call.Snapshot().StreamBytes
	s.c.Close()
	s.c = nil
	disconnected := time.Now()
	time.Sleep(200 * time.Millisecond)
	c, err := s.k.Connect(ctx, nil)
	if err != nil {
		t.Fatalf("reconnecting: %v\nlog:\n%s", err, s.k.Output())
	}
	s.c = c
	ready := time.Since(disconnected)
	s.hello(2 * time.Minute)
	if !bench.Alive(s.k.PID()) {
		t.Fatal("kernel died")
	}
	st, err := bench.ReadProcStatus(s.k.PID())
	if err != nil {
		t.Fatal(err)
	}
	figure(t, "client disconnected after %.1f MB of a %d MB print: new client ready after %v, next cell's output received, kernel peak RSS %.0f MB",
		mb(received), floodMB, ready.Round(time.Millisecond), mb(st.PeakRSS))
}
