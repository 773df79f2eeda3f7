// Package nb is the library gokernel cells use without an import line: rich
// display, live updates, functions run in child processes, queues between
// processes, goroutine timelines and small charts.
//
// A cell refers to it as nb.Something; the kernel adds the import of
// github.com/gokernel/gokernel/kernel/nb. Everything nb shows is written to
// os.Stdout as wire frames between the cell's printed text, so "print A,
// display B, print C" appears as A, B, C. Run outside the kernel (GOKERNEL
// unset) every display prints its plain-text form instead.
//
// # Display
//
//	nb.Display(v any)                  // show v in its richest form (methods below), text/plain fallback
//	nb.HTML(s string)                  // text/html; plain fallback: the text without tags
//	nb.Markdown(s string)              // text/markdown
//	nb.SVG(s string)                   // image/svg+xml
//	nb.PNG(b []byte)                   // image/png (base64 on the wire)
//	nb.JPEG(b []byte)                  // image/jpeg
//	nb.JSON(v any)                     // application/json (v marshalled with encoding/json)
//	nb.Text(s string)                  // text/plain only, shown as is (no quotes)
//	nb.ClearOutput(wait bool)          // clear_output; wait: clear when the next output arrives
//	type nb.Bundle map[string]any      // a ready MIME bundle: nb.Display(nb.Bundle{"text/html": "<b>hi</b>"})
//	h := nb.NewDisplay(v any)          // show v and get a handle (*nb.DisplayHandle)
//	h.Update(v any)                    // replace what h shows (update_display_data)
//	h.ID() string                      // the display_id
//	p := nb.NewProgress(total int)     // a progress bar (*nb.Progress), safe from many goroutines
//	p.Add(n int); p.Done()             // advance (redrawn at most every 100 ms); draw the final state
//	p.Value() int
//
// A value chooses its own rich form with any of these methods; they are used
// by nb.Display and when the value is a cell's trailing expression (Out[n]):
//
//	HTML() string; SVG() string; Markdown() string; MIMEBundle() map[string]any
//
// # Input
//
//	s, err := nb.Input(prompt string)    // like Python's input(): an input box labelled prompt; io.EOF without a frontend that sends input
//	s, err := nb.Password(prompt string) // like getpass.getpass(): the box hides the typing
//
// fmt.Scanln and bufio on os.Stdin get an input box too (with the text
// printed just before as its prompt).
//
// # Processes (the lesson's mapping of Python's multiprocessing.Process)
//
// os/exec stays the way to start other programs. These helpers run a function
// declared in a cell in a child process: the cell's own binary started again
// (in the kernel's process group, so interrupting the cell kills it too), with
// its own memory, its output streamed to the notebook. Arguments are copied
// with encoding/gob, so they must be gob-encodable (or be an *nb.Queue or an
// *nb.Timeline, which connect back to this process).
//
//	p := nb.Process(worker, args...)   // like Process(target=worker, args=(...)); not started (*nb.Proc)
//	err := p.Start()                   // like p.start(); error: not a top-level cell func, bad args
//	err = p.Join()                     // like p.join(); nil on exit status 0, else *nb.ExitError
//	err = p.JoinTimeout(d)             // like p.join(timeout); ErrTimeout if still running
//	p.Alive() bool                     // like p.is_alive()
//	p.ExitCode() int                   // like p.exitcode: -1 while running or not started
//	p.Pid() int; p.Kill() error; p.Name() string
//	p.String() string                  // like Python's repr: "<process worker pid 4242: exit status 0>"
//	p.Stdout, p.Stderr io.Writer       // fields: where the child's output goes (default: the cell's)
//	p, err := nb.Start(worker, args...)// Process(...) + Start() in one call
//	err := nb.Run(worker, args...)     // start and join
//	type nb.ExitError struct{ Name string; Pid, Code int; Signal string }
//
// In a cell the kernel registers the cell's functions for this. A standalone
// program (go run ./examples/...) does it itself, first thing in main, and
// calls cellrt.Finish last so unjoined children are joined:
//
//	func main() {
//		cellrt.Start(map[string]any{"worker": worker}) // import ".../kernel/nb/cellrt"
//		defer cellrt.Finish()
//		...
//	}
//
// A worker may return nothing, or an error: a non-nil error is printed on the
// child's stderr and the child exits with status 1. os.Exit(n) in the worker
// gives status n; a panic gives status 2; killed by a signal, ExitCode is
// minus the signal number (as in Python). Children not joined when the cell
// ends are joined then, as Python joins non-daemon processes at exit.
// Starting and joining a child costs a few milliseconds (a goroutine: under
// a microsecond).
//
// # Queues between processes (Python's multiprocessing.Queue)
//
//	q := nb.NewQueue[T]()              // *nb.Queue[T]; served on a unix socket (this user only) once passed to a child
//	q.Put(v T) error                   // v is copied (gob)
//	q.Get() (T, error)                 // blocks; ErrClosed once closed and drained
//	q.GetTimeout(d) (T, error)         // ErrTimeout after d
//	q.GetContext(ctx) (T, error)
//	q.Close() error                    // no more puts; gets drain what is left, then ErrClosed
//	q.Len() int; q.Empty() bool        // snapshots: racy by nature (the lesson's `while not q.empty()`)
//	q.All() iter.Seq[T]                // for v := range q.All(): get until closed (stops on any error)
//	nb.ErrClosed, nb.ErrTimeout        // errors.Is targets; connection failures wrap the cause
//
// Pass a queue to a child like any argument: nb.Start(producer, q). An
// operation from a child is one round trip to the creating process (tens of
// microseconds; in the creating process itself about a microsecond): the
// cost of IPC the lessons measure. Items put by one producer arrive in order.
//
// # Timelines
//
//	tl := nb.NewTimeline()             // *nb.Timeline; tl.SVG() draws it; a trailing tl shows it
//	l := tl.Lane(name string)          // *nb.Lane, one per goroutine; its clock starts with tl
//	l.Set(state nb.State)              // from now on the lane is in state
//	l.Event(label string)              // an instant mark
//	l.Lock(mu sync.Locker)             // Waiting until mu is held, then Holding
//	l.Unlock(mu sync.Locker)           // unlock, back to Running
//	l.Sleep(d time.Duration)           // Sleeping for d
//	l.Done()                           // the lane's work is over
//	nb.Send(l, ch, v); v, ok := nb.Recv(l, ch) // Sending / Receiving around a channel op
//	l.Wait(wg *sync.WaitGroup)         // Waiting until wg is done
//	states: nb.Running, nb.Waiting, nb.Holding, nb.Sending, nb.Receiving, nb.Sleeping, nb.Idle
//	tl.String()                        // text summary: time per state per lane
//
// A timeline can be given to child processes (nb.Start(worker, tl)): their
// lanes are recorded in the child as cheaply as in the parent and sent to
// the parent when the lane is Done or the child's function returns, so they
// appear once the child is joined.
//
// # Charts
//
//	nb.BarChart{Title, Unit string; Labels []string; Values []float64; Log bool}   // .SVG()
//	nb.LineChart{Title, XLabel, YLabel string; Series []nb.Series; LogY bool}      // .SVG()
//	nb.Series{Name string; X, Y []float64}
//
// A chart is a value: make it the cell's last expression, or nb.Display it.
//
// Files:
//
//	doc.go        this overview
//	display.go    Display, HTML, Markdown, SVG, PNG, JPEG, JSON, Text, Bundle, ClearOutput, handles
//	progress.go   Progress
//	input.go      Input, Password
//	process.go    Process, Proc, Start, Run, ExitError; the child-side dispatcher installed in cellrt
//	queue.go      Queue and its unix-socket server
//	relay.go      passes a child's stdout on so that each of its displays reaches the kernel in one write
//	sockaddr_linux.go  abstract socket names (nothing left in /tmp), peer uid check
//	sockaddr_other.go  other unix systems: a socket file in a private directory
//	unixsock.go   unix sockets on syscall + pollable os.File (package net would cost a nb cell ~20 ms of link time)
//	timeline.go   Timeline, Lane, State and the SVG renderer
//	timeline_share.go  lanes recorded by child processes
//	chart.go      BarChart, LineChart
//	svg.go        SVG helpers shared by timelines and charts: escaping, axis steps, number formats
//
// Linking nb into a cell costs about 1 MB and ~17 ms of link time over a
// hello cell (measured with the kernel's direct link path): only cells that
// use nb pay it.
//
// Tests: *_test.go; main_test.go makes the test binary a cell program (its
// TestMain calls cellrt.Start), so process tests re-execute it; cell_test.go
// builds testdata/cellprog, a program shaped like a generated cell main, and
// reads its stdout as the kernel does; package kerneltest runs nb cells
// through the real engine.
package nb
