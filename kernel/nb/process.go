package nb

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gokernel/gokernel/kernel/nb/cellrt"
	"github.com/gokernel/gokernel/kernel/nb/wire"
)

func init() {
	cellrt.RunChild = runChild
	cellrt.AtFinish(finishCell)
}

// argsFD is the file descriptor on which a child reads its arguments: the
// first of exec.Cmd.ExtraFiles.
const argsFD = 3

// Proc is a function of the cell running in a child process: the lesson's
// Go counterpart of Python's multiprocessing.Process. Create it with
// Process, then Start and Join it.
type Proc struct {
	// Stdout and Stderr receive the child's output. They default to the
	// cell's own os.Stdout and os.Stderr, so the child's prints (and its
	// displays) stream to the notebook. Set them before Start. Stdout is
	// relayed by this process so that the child's displays reach it whole
	// (see relay.go); Join returns once all of it is passed on.
	Stdout, Stderr io.Writer

	fn   reflect.Value
	args []any

	mu       sync.Mutex
	name     string // fn's registered name, set by Start
	cmd      *exec.Cmd
	started  bool
	done     chan struct{} // closed when the child has ended and been reaped
	joinErr  error         // set before done is closed
	exitCode int
}

// ExitError is the error Join returns when the child's exit status is not 0.
type ExitError struct {
	Name   string // the function the child ran
	Pid    int
	Code   int    // exit status; -1 when killed by a signal
	Signal string // the signal that killed it, e.g. "killed"; "" if it exited
}

// Error says which function's process ended how, e.g. "process worker
// (pid 42) exited with status 3".
func (e *ExitError) Error() string {
	if e.Signal != "" {
		return fmt.Sprintf("process %s (pid %d) killed by signal: %s", e.Name, e.Pid, e.Signal)
	}
	return fmt.Sprintf("process %s (pid %d) exited with status %d", e.Name, e.Pid, e.Code)
}

// Process prepares fn, a top-level function declared in a cell, to run with
// args in a child process, like Python's Process(target=fn, args=args). It
// does not start it: call Start (or use nb.Start). Problems with fn or args
// are reported by Start.
func Process(fn any, args ...any) *Proc {
	return &Proc{fn: reflect.ValueOf(fn), args: args, exitCode: -1, Stdout: os.Stdout, Stderr: os.Stderr}
}

// Start starts fn with args in a child process (Process, then Proc.Start)
// and returns it.
func Start(fn any, args ...any) (*Proc, error) {
	p := Process(fn, args...)
	if err := p.Start(); err != nil {
		return nil, err
	}
	return p, nil
}

// Run runs fn with args in a child process and waits for it: Start then Join.
func Run(fn any, args ...any) error {
	p, err := Start(fn, args...)
	if err != nil {
		return err
	}
	return p.Join()
}

// Name returns the name of the function the process runs ("" if fn is not a
// function).
func (p *Proc) Name() string {
	p.mu.Lock()
	name := p.name
	p.mu.Unlock()
	if name == "" {
		name, _ = funcKey(p.fn)
	}
	return name
}

// String describes the process like Python's repr of a Process: its
// function, pid and state ("<process worker pid 4242: exit status 0>"), so a
// *Proc as a cell's trailing expression says something useful.
func (p *Proc) String() string {
	name, pid := p.Name(), p.Pid()
	done, err := p.doneChan()
	if err != nil {
		return fmt.Sprintf("<process %s: not started>", name)
	}
	select {
	case <-done:
	default:
		return fmt.Sprintf("<process %s pid %d: running>", name, pid)
	}
	var exitErr *ExitError
	switch {
	case p.joinErr == nil:
		return fmt.Sprintf("<process %s pid %d: exit status 0>", name, pid)
	case errors.As(p.joinErr, &exitErr) && exitErr.Signal != "":
		return fmt.Sprintf("<process %s pid %d: %s>", name, pid, exitErr.Signal)
	case exitErr != nil:
		return fmt.Sprintf("<process %s pid %d: exit status %d>", name, pid, exitErr.Code)
	default:
		return fmt.Sprintf("<process %s pid %d: %v>", name, pid, p.joinErr)
	}
}

// Start starts the child process: the cell's own binary again, in the same
// process group (so the kernel's interrupt stops it too), running fn with a
// copy of the arguments. It fails if fn is not a top-level function of the
// cell, if the arguments do not fit fn's parameters or cannot be copied with
// encoding/gob, or if the process cannot be started.
func (p *Proc) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return fmt.Errorf("nb: process %s: already started", p.name)
	}
	name, err := funcKey(p.fn)
	if err != nil {
		return err
	}
	payload, err := encodeArgs(p.fn.Type(), p.args)
	if err != nil {
		return fmt.Errorf("nb: process %s: %w", name, err)
	}
	exe, err := selfExecutable()
	if err != nil {
		return fmt.Errorf("nb: process %s: finding the cell's binary: %w", name, err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("nb: process %s: %w", name, err)
	}
	cmd := exec.Command(exe)
	cmd.Args = []string{os.Args[0]}
	cmd.Env = append(os.Environ(), cellrt.EnvChild+"="+name)
	relay := newFrameRelay(p.Stdout)
	cmd.Stdout, cmd.Stderr = relay, p.Stderr
	// A grandchild that outlives the child would keep the relay's pipe
	// open and Join waiting; after this delay the pipe is closed.
	cmd.WaitDelay = 2 * time.Second
	cmd.ExtraFiles = []*os.File{r}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return fmt.Errorf("nb: process %s: %w", name, err)
	}
	r.Close()
	// The arguments go through a pipe rather than the environment, which
	// caps one variable at 128 KiB. A pipe holds 64 KiB: smaller payloads are
	// written here and now; bigger ones by a goroutine that ends when the
	// child has read them (or has died, which fails the write).
	if len(payload) <= 32<<10 {
		w.Write(payload)
		w.Close()
	} else {
		go func() {
			w.Write(payload)
			w.Close()
		}()
	}
	p.cmd, p.started, p.done, p.name = cmd, true, make(chan struct{}), name
	trackProc(p)
	go p.wait(cmd, relay)
	return nil
}

// Join waits for the process to end, like Python's p.join(). It returns nil
// when the exit status is 0 and an *ExitError otherwise. It may be called
// more than once and from several goroutines.
func (p *Proc) Join() error {
	done, err := p.doneChan()
	if err != nil {
		return err
	}
	<-done
	return p.joinErr
}

// JoinTimeout is Join waiting at most d, like Python's p.join(timeout):
// it returns ErrTimeout if the process is still running then.
func (p *Proc) JoinTimeout(d time.Duration) error {
	done, err := p.doneChan()
	if err != nil {
		return err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return p.joinErr
	case <-t.C:
		return fmt.Errorf("nb: process %s (pid %d) still running after %v: %w", p.Name(), p.Pid(), d, ErrTimeout)
	}
}

// Alive reports whether the process has been started and has not ended,
// like Python's p.is_alive().
func (p *Proc) Alive() bool {
	done, err := p.doneChan()
	if err != nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

func (p *Proc) doneChan() (chan struct{}, error) {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return nil, fmt.Errorf("nb: process %s: not started", p.Name())
	}
	return done, nil
}

// wait reaps the child, passes on the rest of its output, records how it
// ended, and closes done. One
// goroutine per child runs it; the end of the cell joins every child, so
// none of these goroutines outlives the cell.
func (p *Proc) wait(cmd *exec.Cmd, relay *frameRelay) {
	err := cmd.Wait()
	relay.flush()
	var exitErr *exec.ExitError
	switch {
	case err == nil, errors.Is(err, exec.ErrWaitDelay):
		p.setExitCode(0)
	case errors.As(err, &exitErr):
		e := &ExitError{Name: p.Name(), Pid: cmd.Process.Pid, Code: exitErr.ExitCode()}
		code := e.Code
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			e.Signal = ws.Signal().String()
			code = -int(ws.Signal()) // as Python's exitcode
		}
		p.setExitCode(code)
		p.joinErr = e
	default:
		p.joinErr = fmt.Errorf("nb: process %s: %w", p.Name(), err)
	}
	untrackProc(p)
	close(p.done)
}

func (p *Proc) setExitCode(c int) {
	p.mu.Lock()
	p.exitCode = c
	p.mu.Unlock()
}

// ExitCode returns the exit status once Join has returned, like Python's
// p.exitcode: 0 for success, the status given to os.Exit, 2 after a panic,
// minus the signal number when killed by a signal, and -1 before the end.
func (p *Proc) ExitCode() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitCode
}

// Pid returns the child's process id, or 0 before Start.
func (p *Proc) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Kill stops the child at once (SIGKILL). Join still has to be called to
// collect its status.
func (p *Proc) Kill() error {
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("nb: process %s: not started", p.Name())
	}
	return cmd.Process.Kill()
}

// selfExecutable is the path that starts this program again. On Linux it
// is /proc/self/exe, which names the running binary's file even if the
// kernel has since removed or replaced the file at its path.
func selfExecutable() (string, error) {
	if runtime.GOOS == "linux" {
		return "/proc/self/exe", nil
	}
	return os.Executable()
}

// funcKey returns the name under which the generated main registered fn
// with cellrt.Start ("worker" for main.worker), and an error when fn is not
// such a function: a closure, a method value or a function of another
// package. It matches by code pointer, so it does not depend on how the
// kernel names or packages a cell's declarations.
func funcKey(fn reflect.Value) (string, error) {
	if !fn.IsValid() || fn.Kind() != reflect.Func || fn.IsNil() {
		return "", fmt.Errorf("nb: process: the target must be a function declared in a cell, not %v", describeValue(fn))
	}
	full := runtime.FuncForPC(fn.Pointer()).Name() // e.g. "main.worker", "main.main.func1"
	short := full
	if i := strings.LastIndex(short, "/"); i >= 0 {
		short = short[i+1:]
	}
	if i := strings.Index(short, "."); i >= 0 {
		short = short[i+1:]
	}
	if registered, ok := cellrt.Func(short); ok && reflect.ValueOf(registered).Pointer() == fn.Pointer() {
		return short, nil
	}
	for name, registered := range cellrt.Funcs() {
		if v := reflect.ValueOf(registered); v.Kind() == reflect.Func && v.Pointer() == fn.Pointer() {
			return name, nil
		}
	}
	if strings.ContainsAny(short, ".[(") {
		return "", fmt.Errorf("nb: process: %s is a closure or a method; a child process can only run a top-level func declared in a cell", full)
	}
	return "", fmt.Errorf("nb: process: %s is not a top-level function of this cell program (only funcs declared in cells can run in a child process)", full)
}

func describeValue(v reflect.Value) string {
	if !v.IsValid() {
		return "nil"
	}
	if v.Kind() == reflect.Func && v.IsNil() {
		return "a nil func"
	}
	return v.Type().String()
}

// encodeArgs checks args against fn's parameters and encodes them with gob:
// for each parameter a presence flag (gob cannot encode nil) and the value.
// A variadic function's extra arguments are preceded by their count.
func encodeArgs(ft reflect.Type, args []any) ([]byte, error) {
	fixed := ft.NumIn()
	if ft.IsVariadic() {
		fixed--
		if len(args) < fixed {
			return nil, fmt.Errorf("%s needs at least %d arguments, got %d", ft, fixed, len(args))
		}
	} else if len(args) != fixed {
		return nil, fmt.Errorf("%s needs %d arguments, got %d", ft, fixed, len(args))
	}
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	if err := enc.Encode(len(args) - fixed); err != nil {
		return nil, err
	}
	for i, a := range args {
		var pt reflect.Type
		if i < fixed {
			pt = ft.In(i)
		} else {
			pt = ft.In(ft.NumIn() - 1).Elem()
		}
		if err := encodeArg(enc, i, pt, a); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

func encodeArg(enc *gob.Encoder, i int, pt reflect.Type, a any) error {
	v := reflect.ValueOf(a)
	if !v.IsValid() {
		switch pt.Kind() {
		case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice:
			return enc.Encode(false)
		}
		return fmt.Errorf("argument %d: nil cannot be a %s", i+1, pt)
	}
	if !v.Type().AssignableTo(pt) {
		return fmt.Errorf("argument %d: a %s cannot be passed as %s", i+1, v.Type(), pt)
	}
	if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Map || v.Kind() == reflect.Slice) && v.IsNil() {
		return enc.Encode(false)
	}
	if err := enc.Encode(true); err != nil {
		return err
	}
	var err error
	if pt.Kind() == reflect.Interface {
		// gob sends an interface's concrete type by name; the basic types
		// are known to every program, other types need gob.Register.
		err = enc.Encode(&interfaceArg{V: a})
	} else {
		err = enc.EncodeValue(v)
	}
	if err != nil {
		return fmt.Errorf("argument %d (%s) cannot be copied to another process: %w", i+1, v.Type(), err)
	}
	return nil
}

// interfaceArg carries an argument whose parameter is an interface type.
type interfaceArg struct{ V any }

// decodeArgs reads what encodeArgs wrote, as the values to call fn with.
func decodeArgs(ft reflect.Type, r io.Reader) ([]reflect.Value, error) {
	dec := gob.NewDecoder(r)
	var extra int
	if err := dec.Decode(&extra); err != nil {
		return nil, err
	}
	fixed := ft.NumIn()
	if ft.IsVariadic() {
		fixed--
	}
	var vals []reflect.Value
	for i := 0; i < fixed+extra; i++ {
		var pt reflect.Type
		if i < fixed {
			pt = ft.In(i)
		} else {
			pt = ft.In(ft.NumIn() - 1).Elem()
		}
		var present bool
		if err := dec.Decode(&present); err != nil {
			return nil, fmt.Errorf("argument %d: %w", i+1, err)
		}
		ptr := reflect.New(pt)
		if present {
			var err error
			if pt.Kind() == reflect.Interface {
				var ia interfaceArg
				if err = dec.Decode(&ia); err == nil && ia.V != nil {
					ptr.Elem().Set(reflect.ValueOf(ia.V))
				}
			} else {
				err = dec.DecodeValue(ptr)
			}
			if err != nil {
				return nil, fmt.Errorf("argument %d (%s): %w", i+1, pt, err)
			}
		}
		vals = append(vals, ptr.Elem())
	}
	if ft.IsVariadic() {
		rest := reflect.MakeSlice(ft.In(ft.NumIn()-1), 0, extra)
		rest = reflect.Append(rest, vals[fixed:]...)
		vals = append(vals[:fixed], rest)
	}
	return vals, nil
}

// runChild is cellrt.RunChild: it runs in the child process, reads the
// arguments, calls fn and turns its outcome into an exit status.
func runChild(name string, fn any) int {
	f := os.NewFile(argsFD, "gokernel-args")
	if f == nil {
		fmt.Fprintf(os.Stderr, "nb: child process %s: no argument pipe\n", name)
		return 2
	}
	fv := reflect.ValueOf(fn)
	args, err := decodeArgs(fv.Type(), f)
	f.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "nb: child process %s: reading arguments: %v\n", name, err)
		return 2
	}
	out, ok := callChild(name, fv, args)
	if !ok {
		return 2 // the status of a Go program that panicked
	}
	finishCell()
	if n := len(out); n > 0 {
		if err, ok := out[n-1].Interface().(error); ok && err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			return 1
		}
	}
	return 0
}

// callChild calls fn in the child. A panic in it is reported the way the
// kernel reports a cell's own panic, "panic: VALUE" and the cell lines of
// the stack, instead of the runtime's trace, whose reflect and nb frames
// and build paths mean nothing to a student; ok is false then.
func callChild(name string, fn reflect.Value, args []reflect.Value) (out []reflect.Value, ok bool) {
	defer func() {
		if ok {
			return
		}
		v := recover()
		if v == nil {
			return // runtime.Goexit: no panic to report
		}
		// Deferred during the panic, the panicking frames are still on
		// the stack: skip runtime.Callers and this func.
		pcs := make([]uintptr, 64)
		pcs = pcs[:runtime.Callers(2, pcs)]
		fmt.Fprint(os.Stderr, childPanicReport(name, os.Getpid(), v, runtime.CallersFrames(pcs)))
	}()
	if fn.Type().IsVariadic() {
		out = fn.CallSlice(args)
	} else {
		out = fn.Call(args)
	}
	return out, true
}

// frameSource is what childPanicReport reads of a stack: *runtime.Frames.
type frameSource interface {
	Next() (runtime.Frame, bool)
}

// childPanicReport renders a child's panic: the value as the runtime prints
// it, then the frames that are cell code as "cell [N] line L  in FUNC",
// innermost first (cell code is compiled from files named cellN.go).
func childPanicReport(name string, pid int, v any, frames frameSource) string {
	var b strings.Builder
	fmt.Fprintf(&b, "panic: %v\n", v)
	fmt.Fprintf(&b, "in child process %s (pid %d), which exits with status 2:\n", name, pid)
	for {
		f, more := frames.Next()
		if cell, ok := cellNumber(f.File); ok {
			fmt.Fprintf(&b, "    cell [%d] line %d  in %s\n", cell, f.Line, shortFuncName(f.Function))
		}
		if !more {
			break
		}
	}
	return b.String()
}

// cellNumber returns N for a file named cellN.go, or for a name the kernel
// gave a cell's code that it says cell N ran (wire.EnvCellFiles).
func cellNumber(file string) (int, bool) {
	base := file[strings.LastIndexByte(file, '/')+1:]
	if n, ok := cellFiles()[base]; ok {
		return n, true
	}
	digits, ok := strings.CutPrefix(base, "cell")
	if !ok {
		return 0, false
	}
	digits, ok = strings.CutSuffix(digits, ".go")
	if !ok || digits == "" {
		return 0, false
	}
	n := 0
	for _, r := range digits {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
	}
	return n, true
}

// shortFuncName names a cell function as the kernel's stacks do:
// "main.worker" -> "worker", "main.main.func1" -> "func literal in main".
func shortFuncName(name string) string {
	name = strings.TrimPrefix(name, "main.")
	if i := strings.Index(name, ".func"); i > 0 && !strings.Contains(name[:i], "(") {
		return "func literal in " + name[:i]
	}
	return name
}

// Processes started and not yet joined, joined when the cell ends.
var (
	procsMu sync.Mutex
	procs   = map[*Proc]struct{}{}
)

func trackProc(p *Proc) {
	procsMu.Lock()
	procs[p] = struct{}{}
	procsMu.Unlock()
}

func untrackProc(p *Proc) {
	procsMu.Lock()
	delete(procs, p)
	procsMu.Unlock()
}

// finishCell runs when the cell's main (or a child's function) returns.
// Like Python, which joins non-daemon processes at exit, it waits for the
// children that were not joined, so their output is not cut off; then it
// stops the queue servers so their goroutines are not reported as left
// behind. In a child, it first sends the lanes it recorded on timelines
// it was given.
func finishCell() {
	procsMu.Lock()
	pending := make([]*Proc, 0, len(procs))
	for p := range procs {
		pending = append(pending, p)
	}
	procsMu.Unlock()
	for _, p := range pending {
		if err := p.JoinTimeout(time.Second); errors.Is(err, ErrTimeout) {
			fmt.Fprintf(os.Stderr, "nb: the cell ended; waiting for process %s (pid %d), which was not joined (interrupt the cell to stop it)\n", p.Name(), p.Pid())
			p.Join()
		}
	}
	flushRemoteTimelines()
	closeQueueServers()
}

// cellFiles reads wire.EnvCellFiles once.
var cellFiles = sync.OnceValue(func() map[string]int {
	files := map[string]int{}
	for _, entry := range strings.Split(os.Getenv(wire.EnvCellFiles), ",") {
		name, count, ok := strings.Cut(entry, ":")
		if !ok {
			continue
		}
		n := 0
		for _, r := range count {
			if r < '0' || r > '9' {
				n = -1
				break
			}
			n = n*10 + int(r-'0')
		}
		if n >= 0 && count != "" {
			files[name] = n
		}
	}
	return files
})
