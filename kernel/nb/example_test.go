package nb_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gokernel/gokernel/kernel/nb"
)

// These examples run outside the kernel (GOKERNEL unset), where every
// display prints its text/plain form; in a notebook the same calls show
// the rich form. Functions run in child processes are registered by
// TestMain, as the kernel's generated main registers a cell's functions.

func ExampleDisplay() {
	nb.Display("a string is shown quoted, as a cell's value is")
	nb.Display(42)
	// Output:
	// "a string is shown quoted, as a cell's value is"
	// 42
}

// Score renders itself: nb.Display (or a cell ending in a Score value)
// shows the HTML, with String as the plain-text fallback.
type Score int

func (s Score) HTML() string   { return fmt.Sprintf("<b>%d</b> points", int(s)) }
func (s Score) String() string { return fmt.Sprintf("%d points", int(s)) }

func ExampleDisplay_richValue() {
	nb.Display(Score(7))
	// Output: 7 points
}

func ExampleHTML() {
	nb.HTML("<b>bold</b> and <i>italic</i>")
	// Output: bold and italic
}

func ExampleMarkdown() {
	nb.Markdown("**done**: 3 workers")
	// Output: **done**: 3 workers
}

func ExampleSVG() {
	nb.SVG(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle cx="5" cy="5" r="4"/></svg>`)
	// Output: <SVG image>
}

func ExamplePNG() {
	png := []byte("\x89PNG\r\n\x1a\n") // the bytes of a PNG file, e.g. from os.ReadFile or image/png
	nb.PNG(png)
	// Output: <image/png image, 8 bytes>
}

func ExampleJPEG() {
	jpeg := []byte{0xff, 0xd8, 0xff, 0xd9} // the bytes of a JPEG file, e.g. from image/jpeg
	nb.JPEG(jpeg)
	// Output: <image/jpeg image, 4 bytes>
}

func ExampleJSON() {
	nb.JSON(map[string]any{"workers": 2, "ok": true})
	// Output:
	// {
	//   "ok": true,
	//   "workers": 2
	// }
}

func ExampleText() {
	nb.Text("shown as is, without quotes")
	// Output: shown as is, without quotes
}

func ExampleClearOutput() {
	fmt.Println("this line is cleared in a notebook")
	nb.ClearOutput(false) // outside the kernel there is nothing to clear
	// Output: this line is cleared in a notebook
}

func ExampleBundle() {
	nb.Display(nb.Bundle{
		"text/html":  "<i>rich</i>",
		"text/plain": "plain",
	})
	// Output: plain
}

func ExampleBundle_MIMEBundle() {
	b := nb.Bundle{"text/markdown": "*hi*"}
	fmt.Println(b.MIMEBundle()["text/markdown"])
	// Output: *hi*
}

func ExampleNewDisplay() {
	h := nb.NewDisplay("working...")
	h.Update("done") // in a notebook, replaces "working..." in place
	// Output:
	// "working..."
	// "done"
}

func ExampleDisplayHandle_Update() {
	h := nb.NewDisplay(nb.Bundle{"text/html": "<progress/>", "text/plain": "step 1"})
	for step := 2; step <= 3; step++ {
		h.Update(nb.Bundle{"text/html": fmt.Sprintf("<b>step %d</b>", step), "text/plain": fmt.Sprint("step ", step)})
	}
	// Output:
	// step 1
	// step 2
	// step 3
}

func ExampleDisplayHandle_ID() {
	h := nb.NewDisplay(1)
	fmt.Println(strings.HasPrefix(h.ID(), "gokernel-"))
	// Output:
	// 1
	// true
}

func ExampleNewProgress() {
	p := nb.NewProgress(100)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 25 {
				p.Add(1) // safe from many goroutines; redrawn at most every 100 ms
			}
		})
	}
	wg.Wait()
	p.Done()
	fmt.Println(p.Value())
	// Output:
	// [..............................] 0/100   0%
	// [##############################] 100/100 100%
	// 100
}

func ExampleProgress_Value() {
	p := nb.NewProgress(10)
	p.Add(3)
	p.Add(4)
	fmt.Println(p.Value())
	// Output:
	// [..............................] 0/10   0%
	// 7
}

func ExampleProgress_Add() {
	p := nb.NewProgress(3)
	for range 3 {
		p.Add(1)
	}
	p.Done()
	// Output:
	// [..............................] 0/3   0%
	// [##############################] 3/3 100%
}

func ExampleProgress_Done() {
	p := nb.NewProgress(2)
	p.Add(2)
	p.Done() // draws 2/2 100% whatever the throttling skipped
	// Output:
	// [..............................] 0/2   0%
	// [##############################] 2/2 100%
}

// total is a global: a child process changes its own copy only.
var total = 0

func setTotal(n int) {
	total = n
	fmt.Println("child: total =", total)
}

func ExampleProcess() {
	// Python: p = Process(target=set_total, args=(42,)); p.start(); p.join()
	p := nb.Process(setTotal, 42)
	if err := p.Start(); err != nil {
		fmt.Println(err)
		return
	}
	if err := p.Join(); err != nil {
		fmt.Println(err)
	}
	fmt.Println("parent: total =", total, "exit code", p.ExitCode())
	// Output:
	// child: total = 42
	// parent: total = 0 exit code 0
}

func worker(name string) { fmt.Println("hello from", name) }

func ExampleStart() {
	p, err := nb.Start(worker, "a child process")
	if err != nil {
		fmt.Println(err)
		return
	}
	p.Join()
	// Output: hello from a child process
}

func ExampleRun() {
	if err := nb.Run(worker, "Run"); err != nil {
		fmt.Println(err)
	}
	// Output: hello from Run
}

func failing(code int) { os.Exit(code) }

func ExampleExitError() {
	err := nb.Run(failing, 3)
	var exit *nb.ExitError
	if errors.As(err, &exit) {
		fmt.Println(exit.Name, "exited with", exit.Code)
	}
	// Output: failing exited with 3
}

func ExampleProc_Join() {
	p1 := nb.Process(worker, "p1")
	p2 := nb.Process(worker, "p2")
	p1.Start()
	p1.Join() // joined before p2 starts, so the output order is fixed
	p2.Start()
	p2.Join()
	// Output:
	// hello from p1
	// hello from p2
}

func ExampleProc_ExitCode() {
	p := nb.Process(failing, 4)
	fmt.Println(p.ExitCode()) // -1: not started
	p.Start()
	p.Join()
	fmt.Println(p.ExitCode())
	// Output:
	// -1
	// 4
}

func ExampleProc_Start() {
	err := nb.Process(func() {}).Start()
	fmt.Println(err != nil) // only top-level functions of a cell can run in a child
	// Output: true
}

func ExampleProc_Kill() {
	p, _ := nb.Start(failing, 0)
	p.Kill() // may find it already exited
	p.Join()
	fmt.Println(p.Pid() > 0)
	// Output: true
}

func ExampleProc_Name() {
	fmt.Println(nb.Process(worker, "x").Name())
	// Output: worker
}

func ExampleProc_Pid() {
	p, _ := nb.Start(worker, "pid")
	fmt.Println(p.Pid() != os.Getpid())
	p.Join()
	// Output:
	// true
	// hello from pid
}

func ExampleProc_String() {
	p := nb.Process(worker, "str")
	fmt.Println(p)
	p.Start()
	p.Join()
	fmt.Println(strings.Contains(p.String(), "exit status 0"))
	// Output:
	// <process worker: not started>
	// hello from str
	// true
}

// In a notebook Input shows an input box labelled with the prompt. (Not run
// here: it reads the test's standard input.)
func ExampleInput() {
	name, err := nb.Input("Your name: ")
	if err != nil {
		fmt.Println("no input:", err) // io.EOF where the frontend sends none
		return
	}
	fmt.Println("hello,", name)
}

// Password asks like Input, in a box that hides the typing.
func ExamplePassword() {
	pw, err := nb.Password("Password: ")
	if err != nil {
		fmt.Println("no input:", err)
		return
	}
	fmt.Println(len(pw), "characters")
}

func producer(q *nb.Queue[string], n int) error {
	for i := range n {
		if err := q.Put(fmt.Sprint("item ", i)); err != nil {
			return err
		}
	}
	return q.Close()
}

func ExampleQueue() {
	// Python: q = Queue(); p = Process(target=producer, args=(q, 3)); p.start()
	q := nb.NewQueue[string]()
	p, err := nb.Start(producer, q, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	for v := range q.All() { // until the producer closes the queue
		fmt.Println(v)
	}
	if err := p.Join(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// item 0
	// item 1
	// item 2
}

func ExampleNewQueue() {
	q := nb.NewQueue[int]()
	q.Put(1)
	v, err := q.Get()
	fmt.Println(v, err)
	// Output: 1 <nil>
}

func ExampleQueue_Put() {
	q := nb.NewQueue[func()]()
	err := q.Put(func() {}) // a func cannot be copied to another process
	fmt.Println(err != nil)
	// Output: true
}

func ExampleQueue_Get() {
	q := nb.NewQueue[string]()
	q.Put("last")
	q.Close()
	for {
		v, err := q.Get()
		if errors.Is(err, nb.ErrClosed) {
			fmt.Println("closed")
			break
		}
		fmt.Println(v)
	}
	// Output:
	// last
	// closed
}

func ExampleQueue_GetTimeout() {
	q := nb.NewQueue[int]()
	_, err := q.GetTimeout(10 * time.Millisecond)
	fmt.Println(errors.Is(err, nb.ErrTimeout))
	// Output: true
}

func ExampleQueue_GetContext() {
	q := nb.NewQueue[int]()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := q.GetContext(ctx)
	fmt.Println(err)
	// Output: context canceled
}

func ExampleQueue_Close() {
	q := nb.NewQueue[int]()
	q.Close()
	fmt.Println(q.Put(1))
	// Output: nb: queue closed
}

func ExampleQueue_Len() {
	q := nb.NewQueue[int]()
	q.Put(1)
	q.Put(2)
	fmt.Println(q.Len())
	// Output: 2
}

func ExampleQueue_Empty() {
	// The article's `while not q.empty(): q.get()` races with producers
	// still putting: Empty is only a snapshot. Close the queue when
	// producing is over, and Get until ErrClosed (or range over All).
	q := nb.NewQueue[int]()
	fmt.Println(q.Empty())
	// Output: true
}

func ExampleQueue_All() {
	q := nb.NewQueue[int]()
	for i := range 3 {
		q.Put(i * i)
	}
	q.Close()
	for v := range q.All() {
		fmt.Print(v, " ")
	}
	fmt.Println()
	// Output: 0 1 4
}

func ExampleQueue_GobEncode() {
	// A queue travels to a child process as the address of its socket;
	// nb.Start calls GobEncode, never user code.
	q := nb.NewQueue[int]()
	addr, err := q.GobEncode()
	fmt.Println(len(addr) > 0, err)
	// Output: true <nil>
}

func ExampleQueue_GobDecode() {
	var q nb.Queue[int]
	fmt.Println(q.GobDecode(nil) != nil) // an empty address is refused
	// Output: true
}

func ExampleNewTimeline() {
	tl := nb.NewTimeline()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, name := range []string{"worker 1", "worker 2"} {
		wg.Go(func() {
			l := tl.Lane(name)
			l.Lock(&mu) // Waiting, then Holding
			time.Sleep(time.Millisecond)
			l.Unlock(&mu)
			l.Done()
		})
	}
	wg.Wait()
	// In a cell, end with `tl` to draw it.
	fmt.Println(strings.Count(tl.SVG(), `class="lane"`), "lanes")
	// Output: 2 lanes
}

func ExampleTimeline_Lane() {
	tl := nb.NewTimeline()
	first, again := tl.Lane("main"), tl.Lane("main")
	fmt.Println(first == again) // one lane per name
	// Output: true
}

func ExampleTimeline_SVG() {
	tl := nb.NewTimeline()
	tl.Lane("main").Done()
	fmt.Println(strings.HasPrefix(tl.SVG(), "<svg"))
	// Output: true
}

func ExampleTimeline_String() {
	tl := nb.NewTimeline()
	tl.Lane("main").Done()
	lines := strings.Split(tl.String(), "\n") // e.g. "timeline: 1 lanes over 2µs", "  main: running 2µs"
	fmt.Println(len(lines), strings.HasPrefix(lines[1], "  main: running"))
	// Output: 2 true
}

func ExampleLane_Set() {
	tl := nb.NewTimeline()
	l := tl.Lane("io")
	l.Set(nb.Waiting) // e.g. around a call the timeline cannot see into
	l.Set(nb.Running)
	l.Done()
	fmt.Println(strings.Contains(tl.SVG(), "waiting"))
	// Output: true
}

func ExampleLane_Event() {
	tl := nb.NewTimeline()
	l := tl.Lane("main")
	l.Event("checkpoint")
	fmt.Println(strings.Contains(tl.SVG(), "checkpoint"))
	// Output: true
}

func ExampleLane_Done() {
	tl := nb.NewTimeline()
	l := tl.Lane("short")
	l.Done() // nothing is drawn after Done
	fmt.Println(strings.Count(tl.SVG(), `class="span"`))
	// Output: 1
}

func ExampleLane_Lock() {
	tl := nb.NewTimeline()
	var mu sync.RWMutex
	l := tl.Lane("reader")
	l.Lock(mu.RLocker()) // any sync.Locker: a read lock too
	l.Unlock(mu.RLocker())
	fmt.Println(strings.Contains(tl.SVG(), "holding lock"))
	// Output: true
}

func ExampleLane_Unlock() {
	tl := nb.NewTimeline()
	var mu sync.Mutex
	l := tl.Lane("main")
	l.Lock(&mu)
	l.Unlock(&mu) // records Running before unlocking
	fmt.Println(mu.TryLock())
	// Output: true
}

func ExampleLane_Sleep() {
	tl := nb.NewTimeline()
	tl.Lane("sleeper").Sleep(time.Millisecond)
	fmt.Println(strings.Contains(tl.SVG(), "sleeping"))
	// Output: true
}

func ExampleLane_Wait() {
	tl := nb.NewTimeline()
	var wg sync.WaitGroup
	wg.Go(func() { time.Sleep(time.Millisecond) })
	tl.Lane("main").Wait(&wg)
	fmt.Println(strings.Contains(tl.SVG(), "waiting"))
	// Output: true
}

func ExampleSend() {
	tl := nb.NewTimeline()
	ch := make(chan int)
	go func() { <-ch }()
	nb.Send(tl.Lane("sender"), ch, 1)
	fmt.Println(strings.Contains(tl.SVG(), "sending"))
	// Output: true
}

func ExampleRecv() {
	tl := nb.NewTimeline()
	ch := make(chan string, 1)
	ch <- "hi"
	v, ok := nb.Recv(tl.Lane("receiver"), ch)
	fmt.Println(v, ok)
	// Output: hi true
}

func ExampleState() {
	for _, s := range []nb.State{nb.Running, nb.Waiting, nb.Holding, nb.Sending, nb.Receiving, nb.Sleeping, nb.Idle} {
		fmt.Print(s, "; ")
	}
	fmt.Println()
	// Output: running; waiting; holding lock; sending; receiving; sleeping; idle;
}

func ExampleBarChart() {
	c := nb.BarChart{
		Title:  "cost to start",
		Unit:   "µs",
		Labels: []string{"goroutine", "process"},
		Values: []float64{0.29, 1210},
		Log:    true, // 4000× apart
	}
	fmt.Println(c) // in a cell, end with `c` to draw it
	// Output:
	// cost to start
	//   goroutine: 0.29µs
	//   process: 1210µs
}

func ExampleBarChart_SVG() {
	c := nb.BarChart{Labels: []string{"a", "b"}, Values: []float64{1, 2}}
	fmt.Println(strings.Count(c.SVG(), `class="bar"`))
	// Output: 2
}

func ExampleLineChart() {
	c := nb.LineChart{
		Title:  "run time",
		XLabel: "GOMAXPROCS", YLabel: "s",
		Series: []nb.Series{{Name: "4 workers", X: []float64{1, 2}, Y: []float64{2, 1.02}}},
	}
	fmt.Println(c)
	// Output:
	// run time
	//   4 workers: (1, 2) (2, 1.02)
}

func ExampleLineChart_SVG() {
	c := nb.LineChart{Series: []nb.Series{{Name: "s", X: []float64{1, 2, 3}, Y: []float64{1, 4, 9}}}}
	fmt.Println(strings.Count(c.SVG(), "<circle"))
	// Output: 3
}

func ExampleSeries() {
	s := nb.Series{Name: "goroutines", X: []float64{1, 10, 100}, Y: []float64{0.3, 2.9, 29}}
	fmt.Println(len(s.X) == len(s.Y))
	// Output: true
}

// busy records a lane of its own on a timeline from a child process.
func busy(tl *nb.Timeline, name string) {
	l := tl.Lane(name)
	l.Sleep(time.Millisecond)
	l.Done() // sends the lane to the parent's timeline
}

func ExampleTimeline_GobEncode() {
	// A timeline passed to a child process gets the child's lanes too.
	tl := nb.NewTimeline()
	p1, _ := nb.Start(busy, tl, "process 1")
	p2, _ := nb.Start(busy, tl, "process 2")
	p1.Join()
	p2.Join()
	fmt.Println(strings.Count(tl.SVG(), `class="lane"`), "lanes")
	// Output: 2 lanes
}

func ExampleTimeline_GobDecode() {
	var tl nb.Timeline
	fmt.Println(tl.GobDecode([]byte("not a timeline")) != nil)
	// Output: true
}

func ExampleProc_JoinTimeout() {
	p, _ := nb.Start(sleepFor, 200*time.Millisecond)
	err := p.JoinTimeout(10 * time.Millisecond) // Python: p.join(0.01)
	fmt.Println(errors.Is(err, nb.ErrTimeout), p.Alive())
	fmt.Println(p.Join(), p.Alive())
	// Output:
	// true true
	// <nil> false
}

func sleepFor(d time.Duration) { time.Sleep(d) }

func ExampleProc_Alive() {
	p := nb.Process(sleepFor, time.Millisecond)
	fmt.Println(p.Alive()) // not started
	p.Start()
	p.Join()
	fmt.Println(p.Alive())
	// Output:
	// false
	// false
}

func ExampleDisplayHandle() {
	// A handle shows a value once, then replaces it in place.
	h := nb.NewDisplay(nb.Bundle{"text/html": "<i>loading</i>", "text/plain": "loading"})
	h.Update(nb.Bundle{"text/html": "<b>ready</b>", "text/plain": "ready"})
	// Output:
	// loading
	// ready
}

func ExampleProgress() {
	p := nb.NewProgress(4)
	p.Add(4)
	p.Done()
	// Output:
	// [..............................] 0/4   0%
	// [##############################] 4/4 100%
}

func ExampleProc() {
	// The article's §4.2: two processes, started, then joined.
	p1 := nb.Process(worker, "p1")
	p2 := nb.Process(worker, "p2")
	if err := p1.Start(); err != nil {
		fmt.Println(err)
	}
	if err := p2.Start(); err != nil {
		fmt.Println(err)
	}
	err1, err2 := p1.Join(), p2.Join()
	fmt.Println(err1, err2)
	// Unordered output:
	// hello from p1
	// hello from p2
	// <nil> <nil>
}

func ExampleExitError_Error() {
	err := nb.Run(failing, 5)
	fmt.Println(strings.HasPrefix(err.Error(), "process failing (pid "), strings.HasSuffix(err.Error(), "exited with status 5"))
	// Output: true true
}

func ExampleTimeline() {
	tl := nb.NewTimeline()
	ch := make(chan int)
	var wg sync.WaitGroup
	wg.Go(func() {
		l := tl.Lane("producer")
		for i := range 3 {
			nb.Send(l, ch, i) // Sending while the consumer is busy
		}
		close(ch)
		l.Done()
	})
	l := tl.Lane("consumer")
	for {
		v, ok := nb.Recv(l, ch)
		if !ok {
			break
		}
		l.Sleep(time.Duration(v) * time.Millisecond)
	}
	l.Done()
	wg.Wait()
	fmt.Println(strings.Count(tl.SVG(), `class="lane"`), "lanes")
	// Output: 2 lanes
}

func ExampleLane() {
	tl := nb.NewTimeline()
	var mu sync.Mutex
	l := tl.Lane("worker") // one lane per goroutine
	l.Lock(&mu)
	l.Event("in the critical section")
	l.Unlock(&mu)
	l.Done()
	fmt.Println(strings.Contains(tl.SVG(), "in the critical section"))
	// Output: true
}

func ExampleState_String() {
	fmt.Println(nb.Holding, nb.Receiving)
	// Output: holding lock receiving
}

func ExampleBarChart_String() {
	c := nb.BarChart{Title: "memory", Unit: " KB", Labels: []string{"goroutine"}, Values: []float64{2.5}}
	fmt.Println(c.String())
	// Output:
	// memory
	//   goroutine: 2.5 KB
}

func ExampleLineChart_String() {
	c := nb.LineChart{Title: "t", Series: []nb.Series{{Name: "s", X: []float64{1}, Y: []float64{2}}}}
	fmt.Println(c.String())
	// Output:
	// t
	//   s: (1, 2)
}
