package cellrt

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
)

// EnvChild names the environment variable that turns a cell program into a
// child process: when it holds the name of one of the functions given to
// Start, Start runs that function (through RunChild) and exits with its
// status instead of returning. Package nb sets it when it starts a process.
const EnvChild = "GOKERNEL_CHILD"

// envKernel mirrors wire.EnvKernel; cellrt does not import wire so that
// encoding/json stays out of cells that display nothing (a test checks the
// two agree).
const envKernel = "GOKERNEL"

// RunChild runs fn, the function a child process was started for, and
// returns the process's exit status. Package nb sets it from its init, so
// only programs that link nb (the only ones that can start children) carry
// the reflection and decoding it needs. name is fn's key in Start's map.
var RunChild func(name string, fn any) int

var (
	stateMu  sync.Mutex
	funcs    map[string]any
	baseline int
	finishes []func()
)

// Start is called first in every cell's main. funcs maps the names of the
// program's top-level functions to their values, so that a child process of
// the same binary can run one of them.
//
// In the cell's own process it records how many goroutines exist (the
// baseline Finish compares against) and returns. In a child process (EnvChild
// set) it runs the requested function and exits with its status; it never
// returns.
func Start(fs map[string]any) {
	stateMu.Lock()
	funcs = fs
	stateMu.Unlock()
	if name, ok := os.LookupEnv(EnvChild); ok {
		os.Exit(runChild(name))
	}
	baseline = runtime.NumGoroutine()
}

// runChild finds the function a child was started for and runs it.
func runChild(name string) int {
	// A grandchild started with os/exec must not mistake itself for a child.
	os.Unsetenv(EnvChild)
	fn, ok := Func(name)
	if !ok {
		fmt.Fprintf(os.Stderr, "gokernel: child process: no function %q in this program\n", name)
		return 2
	}
	if RunChild == nil {
		fmt.Fprintf(os.Stderr, "gokernel: child process for %q: package nb is not linked into this program\n", name)
		return 2
	}
	return RunChild(name, fn)
}

// Func returns the top-level function registered under name by Start.
func Func(name string) (any, bool) {
	stateMu.Lock()
	defer stateMu.Unlock()
	fn, ok := funcs[name]
	return fn, ok
}

// Funcs returns a copy of the functions registered by Start, by name.
func Funcs() map[string]any {
	stateMu.Lock()
	defer stateMu.Unlock()
	out := make(map[string]any, len(funcs))
	for k, v := range funcs {
		out[k] = v
	}
	return out
}

// AtFinish registers f to run when Finish is called, before goroutines are
// counted: package nb uses it to stop the goroutines serving its queues and
// to draw the last state of progress bars.
func AtFinish(f func()) {
	stateMu.Lock()
	finishes = append(finishes, f)
	stateMu.Unlock()
}

// underKernel reports whether the program runs under gokernel, so that
// frames are understood; run by hand it prints plain text instead.
func underKernel() bool { return os.Getenv(envKernel) == "1" }

// Result shows v as the cell's value (execute_result).
//
// The text/plain form is fmt's %v, except that a string is shown as a
// quoted Go literal (strconv.Quote), the way IPython shows a str with its
// quotes: a trailing "hi" is Out[n]: "hi", so "" and " " are visible. Rich
// forms come from methods on v (see Bundle). Without GOKERNEL=1 the plain
// text is printed on stdout.
func Result(v any) {
	bundle := Bundle(v)
	if !underKernel() {
		fmt.Fprintln(os.Stdout, bundle["text/plain"])
		return
	}
	writeFrame(os.Stdout, frame{kind: kindResult, data: bundle})
}

// Results shows the values of a trailing call with two or more results,
// such as strconv.Atoi("12"), as the cell's value: the generated main
// passes the call straight in (Go binds a multi-value call to a final
// ...any parameter). Like IPython's tuple, the text/plain form is the values
// in parentheses separated by ", ", each written as Result writes a value:
// (12, <nil>). It has no rich forms.
func Results(vs ...any) {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = plainText(v)
	}
	text := "(" + strings.Join(parts, ", ") + ")"
	if !underKernel() {
		fmt.Fprintln(os.Stdout, text)
		return
	}
	writeFrame(os.Stdout, frame{kind: kindResult, data: map[string]any{"text/plain": text}})
}

// Bundle returns the MIME bundle that shows v: always "text/plain", plus
// every rich form v offers through these methods:
//
//	MIMEBundle() map[string]any // any MIME types (values: strings, or JSON-like data)
//	HTML() string               // text/html
//	SVG() string                // image/svg+xml
//	Markdown() string           // text/markdown
//
// A value from MIMEBundle wins over the single-type methods; a "text/plain"
// it provides replaces the %v text. A method that panics (say, on a nil
// pointer) is left out rather than crashing the cell.
func Bundle(v any) map[string]any {
	out := map[string]any{"text/plain": plainText(v)}
	if r, ok := v.(interface{ HTML() string }); ok {
		addForm(out, "text/html", r.HTML)
	}
	if r, ok := v.(interface{ SVG() string }); ok {
		addForm(out, "image/svg+xml", r.SVG)
	}
	if r, ok := v.(interface{ Markdown() string }); ok {
		addForm(out, "text/markdown", r.Markdown)
	}
	if r, ok := v.(interface{ MIMEBundle() map[string]any }); ok {
		func() {
			defer func() { recover() }() // as below: a broken form is left out
			for k, x := range r.MIMEBundle() {
				out[k] = x
			}
		}()
	}
	return out
}

// addForm adds the form render returns, or leaves it out if render panics
// (e.g. a method called on a nil pointer): the plain text still shows the
// value, as fmt shows a panicking String method.
func addForm(out map[string]any, mime string, render func() string) {
	defer func() { recover() }()
	out[mime] = render()
}

func plainText(v any) string {
	if s, ok := v.(string); ok {
		return quote(s)
	}
	return fmt.Sprintf("%v", v)
}

// Finish is called last in every cell's main; it reports goroutines left behind.
//
// It first runs the AtFinish hooks, then silences os.Stdout and os.Stderr
// (see silenceLateOutput) and waits up to 20 ms for the number of
// goroutines to fall back to Start's baseline (a goroutine that has just
// called wg.Done is still alive for a moment). If some remain, it writes a
// leftover frame with their count and their stacks (runtime.Stack of all
// goroutines, without the main goroutine running Finish); run by hand it
// prints the same warning on stderr.
func Finish() {
	stateMu.Lock()
	hooks := finishes
	finishes = nil
	stateMu.Unlock()
	for _, f := range hooks {
		f()
	}
	stdout, stderr := os.Stdout, os.Stderr
	late := silenceLateOutput()
	extra := leftover(20 * time.Millisecond)
	if extra > 0 {
		stack, ignored := dropRuntimeHelpers(otherStacks())
		if extra -= ignored; extra > 0 {
			if !underKernel() {
				fmt.Fprintf(stderr, "warning: %d goroutine(s) still running when main returned:\n%s", extra, stack)
			} else {
				writeFrame(stdout, frame{kind: kindLeftover, count: extra, stack: stack})
			}
			return
		}
	}
	if late() {
		fmt.Fprint(stderr, lateOutputNote)
	}
}

// lateOutputNote explains output that goroutines wrote after main returned.
const lateOutputNote = "goroutines were still running when main returned, and printed after it: a Go program " +
	"ends with its main, so that output is dropped here too. To wait for them, use a sync.WaitGroup: " +
	"wg.Go(f) instead of go f(), then wg.Wait() at the end.\n"

// silenceLateOutput points os.Stdout and os.Stderr at a pipe nobody reads
// while Finish waits for goroutines to end: a goroutine that prints after
// main returned would print nothing in a plain Go program, which ends with
// main, and the lesson on sync.WaitGroup depends on seeing that. The
// returned func reports whether anything was written there.
func silenceLateOutput() (wrote func() bool) {
	r, w, err := os.Pipe()
	if err != nil {
		return func() bool { return false }
	}
	os.Stdout, os.Stderr = w, w
	return func() bool { return holdsData(r) }
}

// leftover waits up to grace for goroutines beyond the baseline to exit and
// returns how many are still there.
func leftover(grace time.Duration) int {
	deadline := time.Now().Add(grace)
	for {
		extra := runtime.NumGoroutine() - baseline
		if extra <= 0 || time.Now().After(deadline) {
			return extra
		}
		time.Sleep(time.Millisecond)
	}
}

// helperFrames mark goroutines that the standard library starts for good
// and that a cell cannot stop: os/signal's delivery loop, started by the
// first signal.Notify. They are not the cell's leftovers.
var helperFrames = []string{"os/signal.signal_recv", "os/signal.loop"}

// dropRuntimeHelpers removes the goroutines of helperFrames from a
// runtime.Stack dump and says how many it removed.
func dropRuntimeHelpers(stack string) (string, int) {
	if stack == "" {
		return stack, 0
	}
	blocks := strings.Split(strings.TrimSuffix(stack, "\n"), "\n\n")
	kept := blocks[:0]
	dropped := 0
	for _, b := range blocks {
		helper := false
		for _, f := range helperFrames {
			if strings.Contains(b, f) {
				helper = true
				break
			}
		}
		if helper {
			dropped++
			continue
		}
		kept = append(kept, b)
	}
	if len(kept) == 0 {
		return "", dropped
	}
	return strings.Join(kept, "\n\n") + "\n", dropped
}

// otherStacks returns the stacks of all goroutines but the calling one,
// which runtime.Stack always lists first.
func otherStacks() string {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		if len(buf) >= 8<<20 {
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	s := string(buf)
	if i := strings.Index(s, "\n\ngoroutine "); i >= 0 {
		return s[i+2:]
	}
	return ""
}
