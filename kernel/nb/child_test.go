package nb

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// ChildFuncs are the functions this package's tests run in child
// processes. TestMain (in package nb_test, main_test.go) registers them,
// with the examples' workers, through cellrt.Start as a generated main does.
// Exported only to the external test package.
var ChildFuncs = map[string]any{
	"childSetGlobal":  childSetGlobal,
	"childExit":       childExit,
	"childFail":       childFail,
	"childPanic":      childPanic,
	"childSum":        childSum,
	"childProduce":    childProduce,
	"childConsume":    childConsume,
	"childSleep":      childSleep,
	"childGetOnce":    childGetOnce,
	"childPrint":      childPrint,
	"childNilPointer": childNilPointer,
	"childAny":        childAny,
	"childTimeline":   childTimeline,
	"renamed":         childRenamed, // registered under another name than its own
	"childGetTimeout": childGetTimeout,
	"childBigDisplay": childBigDisplay,
}

// childRenamed checks that a function is found by its code, whatever the
// name it is registered under.
func childRenamed() { os.Exit(6) }

// counter is the global the isolation test changes in a child.
var counter = 1

// childSetGlobal changes counter in the child, and exits 0 only if the
// child saw the parent's value at start (memory is copied by re-executing,
// not shared) and its own change took effect.
func childSetGlobal(v int) error {
	if counter != 1 {
		return fmt.Errorf("child started with counter=%d, want 1", counter)
	}
	counter = v
	if counter != v {
		return errors.New("no change")
	}
	return nil
}

func childExit(code int) { os.Exit(code) }

func childFail(msg string) error { return errors.New(msg) }

func childPanic() { panic("boom in child") }

// childSum exits with the sum of its arguments as status, so the parent
// can check that variadic arguments arrived.
func childSum(base int, more ...int) {
	for _, m := range more {
		base += m
	}
	os.Exit(base)
}

// item is what producers put on a queue: who put it and its number.
type item struct {
	Producer int
	Seq      int
}

func childProduce(q *Queue[item], producer, n int) error {
	for i := range n {
		if err := q.Put(item{Producer: producer, Seq: i}); err != nil {
			return err
		}
	}
	return nil
}

// childConsume gets items from in until it is closed and puts them on out,
// so the parent can check what a consumer in another process received.
func childConsume(in, out *Queue[item]) error {
	for {
		v, err := in.Get()
		if errors.Is(err, ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := out.Put(v); err != nil {
			return err
		}
	}
}

func childSleep(d time.Duration) { time.Sleep(d) }

// childGetOnce waits for one item and exits 0 if it arrives, 1 on
// ErrClosed, 3 on any other error (e.g. the queue's process is gone).
func childGetOnce(q *Queue[int]) {
	_, err := q.Get()
	switch {
	case err == nil:
		os.Exit(0)
	case errors.Is(err, ErrClosed):
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
}

func childPrint(s string) { fmt.Print(s) }

func childNilPointer(p *item, m map[string]int) {
	if p != nil || m != nil {
		os.Exit(1)
	}
}

func childAny(v any) {
	if v != "hello" {
		fmt.Fprintf(os.Stderr, "got %#v\n", v)
		os.Exit(1)
	}
}

// childTimeline records two lanes on a timeline it was given: one it ends
// with Done, one left open (sent when the function returns).
func childTimeline(tl *Timeline, name string) {
	l := tl.Lane(name)
	l.Sleep(2 * time.Millisecond)
	l.Event("child mark")
	l.Done()
	tl.Lane(name + " open").Set(Holding)
}

// childGetTimeout waits d for an item: exit 0 if one came, 4 on
// ErrTimeout, 3 on any other error.
func childGetTimeout(q *Queue[int], d time.Duration) {
	_, err := q.GetTimeout(d)
	switch {
	case err == nil:
		os.Exit(0)
	case errors.Is(err, ErrTimeout):
		os.Exit(4)
	default:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
}

// childBigDisplay shows n big SVG images of size bytes.
func childBigDisplay(size, n int) {
	body := strings.Repeat("x", size)
	for range n {
		SVG("<svg>" + body + "</svg>")
	}
}
