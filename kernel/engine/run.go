package engine

import (
	"context"

	"fmt"
	"os"

	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/nb/wire"
	"github.com/gokernel/gokernel/kernel/reap"
)

// This file is the run stage: start a built cell program, stream what it
// prints, answer its reads of stdin, stop it on interrupt, timeout or limit,
// leave nothing of it behind, and say what happened as an *interp.Error.
//
// The program runs under a shepherd process (kernel/reap) that is a child
// subreaper: every process the program starts stays below it, however it
// detaches (setsid, double fork, nohup, a process group of its own), and
// where the kernel may make cgroups each cell has its own. Whatever ends the
// program, all of that is then ended (SIGTERM, killGroupGrace, SIGKILL; at
// once when the cell was stopped), and the shepherd reaps it.
//
// To show where every goroutine was when a cell is interrupted or times out,
// the program first gets SIGQUIT: with GOTRACEBACK=all the Go runtime writes
// every goroutine's stack to stderr and exits. That dump, like a panic's or a
// deadlock's, is kept out of the streamed stderr and shown mapped to cells.

// runSpec says how to run one built cell program.
type runSpec struct {
	Binary string
	Args   []string // arguments after the binary (a script's interpreter flags)
	// Script says the program is not a Go cell (an interpreter running a
	// %%bash or %%python3 cell): no SIGQUIT goroutine dump on interrupt,
	// no Go crash parsing of its exit, only its status.
	Script     bool
	Dir        string   // working directory of the program
	Env        []string // full environment of the program; nil: the kernel's own
	AllowStdin bool
	Race       bool          // binary was built with -race
	Timeout    time.Duration // 0: no timeout
	Limits     Limits
	// Operator are the operator's limits, which cap Timeout and Limits.
	Operator operatorLimits
	// CPUTime, if not nil, is set to the CPU time the program used, with
	// that of the children it waited for (wait4's rusage), once it ended.
	CPUTime *time.Duration
	// SysTime, if not nil, is set to the system part of CPUTime.
	SysTime *time.Duration
	// Positions, if not nil, renames the codeFile names in what the
	// program writes to stderr (crash dumps, race reports, stacks) to the
	// cellFile names of the cells they came from, before anything parses
	// them.
	Positions func(string) string
	// Source, if not nil, returns a cell's code by its execution count,
	// to place in it a goroutine the runtime gave no line (a loop that
	// calls nothing).
	Source func(cell int) string
}

const (
	// quitGrace is how long the program may take to dump its goroutines
	// after SIGQUIT before it is killed without a dump.
	quitGrace = 500 * time.Millisecond
	// killGroupGrace is how long the rest of the cell's processes have
	// between SIGTERM and SIGKILL after the program ended by itself.
	killGroupGrace = 250 * time.Millisecond
	// readerGrace is how long the output pipes may stay open after the group
	// is gone (a process that left the group may still hold them).
	readerGrace = 500 * time.Millisecond
	// finishFunc is the cell runtime's function that takes the leftover snapshot.
	finishFunc = "github.com/gokernel/gokernel/kernel/nb/cellrt.Finish"
)

// limitHint follows a LimitExceeded error.
const limitHint = "The cell was stopped. A limit is set with %limit (memory=, procs=, cpu=, output=) or by the kernel's operator."

type stopReason int

const (
	stopNone stopReason = iota
	stopInterrupted
	stopTimeout
	stopLimit
)

// run runs a built program and streams what it prints to out. It returns the
// cell's value (from a wire.KindResult frame) or nil, and an error that is an
// *interp.Error for a panic, deadlock, data race, interrupt, timeout,
// exceeded limit or non-zero exit; any other error is a kernel fault.
func run(ctx context.Context, spec runSpec, out interp.Output) (map[string]any, error) {
	if err := spec.Operator.Err; err != nil {
		// The operator's environment is wrong: say so on every cell rather
		// than run cells without the limits they meant.
		return nil, &interp.Error{Name: "KernelConfigError", Value: err.Error(),
			Traceback: []string{"KernelConfigError: " + err.Error()}}
	}
	spec.Limits, spec.Timeout = effectiveLimits(spec.Limits, spec.Timeout, spec.Operator.Limits, spec.Operator.Timeout)
	enableSubreaper()
	began := time.Now()

	stdinChild, stdinOurs, err := cellPipe(true)
	if err != nil {
		return nil, err
	}
	stdoutChild, stdoutOurs, err := cellPipe(false)
	if err != nil {
		closeAll(stdinChild, stdinOurs)
		return nil, err
	}
	stderrChild, stderrOurs, err := cellPipe(false)
	if err != nil {
		closeAll(stdinChild, stdinOurs, stdoutChild, stdoutOurs)
		return nil, err
	}

	// Under a shepherd (kernel/reap): whatever the program starts, however
	// it detaches, stays below the shepherd and ends with the cell.
	cell, err := reap.Start(reap.Spec{
		Path: spec.Binary, Args: spec.Args, Dir: spec.Dir, Env: cellEnv(spec),
		Stdin: stdinChild, Stdout: stdoutChild, Stderr: stderrChild,
		Rlimits: cellRlimits(spec.Limits),
	})
	closeAll(stdinChild, stdoutChild, stderrChild)
	if err != nil {
		closeAll(stdinOurs, stdoutOurs, stderrOurs)
		return nil, err
	}
	pid := cell.PID

	sink := newStreamSink(out, spec.Limits.Output)
	feeder := newStdinFeeder(pid, stdinOurs, stdoutOurs, spec.AllowStdin, sink, out)
	var result map[string]any
	onFrame := func(f wire.Frame) {
		switch f.Kind {
		case wire.KindDisplay:
			data := sink.limitBundle(f.Data)
			sink.call(func(out interp.Output) {
				out.Display(interp.Display{Data: data, Metadata: f.Metadata, DisplayID: f.DisplayID, Update: f.Update})
			})
		case wire.KindClear:
			sink.call(func(out interp.Output) { out.ClearOutput(f.Wait) })
		case wire.KindResult:
			result = sink.limitBundle(f.Data)
		case wire.KindLeftover:
			if spec.Positions != nil {
				f.Stack = spec.Positions(f.Stack)
			}
			sink.note(leftoverWarning(f, goroutineViewOptions{Skip: finishFunc, Source: spec.Source, Binary: spec.Binary, Rename: spec.Positions}))
		case wire.KindInput:
			feeder.request(f)
		}
	}
	stdoutP := &stdoutParser{sink: sink, onFrame: onFrame}
	stderrF := &stderrFilter{sink: sink, rename: spec.Positions}
	var readers sync.WaitGroup
	readers.Add(2)
	order := &stderrFirst{pipe: stderrOurs}
	go pumpPipe(stdoutOurs, func(b []byte) { order.wait(); stdoutP.feed(b) }, stdoutP.close, &readers)
	go pumpPipe(stderrOurs, order.reading(stderrF.feed), stderrF.close, &readers)

	watchCtx, stopWatching := context.WithCancel(ctx)
	feederDone := make(chan struct{})
	go func() { feeder.run(watchCtx); close(feederDone) }()
	limitCh := watchLimits(watchCtx, cell.Shepherd, spec.Limits)
	waitCh := make(chan struct{}, 1)
	go func() { <-cell.Exited(); waitCh <- struct{}{} }()
	var timeoutC <-chan time.Time
	if spec.Timeout > 0 {
		t := time.NewTimer(spec.Timeout)
		defer t.Stop()
		timeoutC = t.C
	}

	stop := stopNone
	var limit limitExceeded
	exited := false
	select {
	case <-waitCh:
		exited = true
	case <-ctx.Done():
		stop = stopInterrupted
	case <-timeoutC:
		stop = stopTimeout
	case limit = <-limitCh:
		stop = stopLimit
	}
	stopWatching()
	if !exited {
		if stop != stopLimit && !spec.Script {
			// Ask the Go runtime for every goroutine's stack, then give up waiting.
			sendQuit(pid)
			select {
			case <-waitCh:
				exited = true
			case <-time.After(quitGrace):
			}
		}
		if !exited {
			cell.Signal(syscall.SIGKILL)
			<-waitCh
		}
	}
	// The program is gone: the next cell's shepherd can start now, its
	// start up (≈8 ms of CPU: the kernel's binary) no longer competing with
	// the program, rather than after this cell's output, reply and idle
	// went out. A client that sends the next cell as soon as it has those
	// (nbclient) finds it further along (kernel/reap/spare.go).
	reap.Prepare()
	// Everything else the cell started: a moment to exit on SIGTERM after
	// a normal end; none when the cell was stopped.
	grace := killGroupGrace
	if stop != stopNone {
		grace = 0
	}
	cell.End(grace)
	<-feederDone
	waitReaders(&readers, readerGrace, stdoutOurs, stderrOurs)
	closeAll(stdinOurs, stdoutOurs, stderrOurs)

	state := cell.State()
	if spec.CPUTime != nil && state != nil {
		*spec.CPUTime = state.UserTime() + state.SystemTime()
	}
	if spec.SysTime != nil && state != nil {
		*spec.SysTime = state.SystemTime()
	}
	cellErr := describeEnd(stop, limit, spec, state, stderrF, time.Since(began))
	if cellErr != nil && feeder.waitingForInput() && (stop == stopInterrupted || stop == stopTimeout) {
		// Its goroutine only shows a read in a syscall: say what that was.
		cellErr.Value += ", while it waited for input"
		cellErr.Traceback[0] += ", while it waited for input"
	}
	sink.close()
	if cellErr != nil {
		return nil, cellErr
	}
	return result, nil
}

// describeEnd turns how the program ended into the cell's error, or nil.
// Kept crash text that the error does not use is streamed as stderr.
func describeEnd(stop stopReason, limit limitExceeded, spec runSpec, state *reap.ExitState, stderrF *stderrFilter, took time.Duration) *interp.Error {
	if spec.Script {
		return describeScriptEnd(stop, limit, spec, state, stderrF, took)
	}
	crash := stderrF.crash.String()
	traces := parseGoroutines(crash)
	view, _ := formatGoroutineView(traces, goroutineViewOptions{Source: spec.Source, Binary: spec.Binary, Rename: spec.Positions})
	withView := func(e *interp.Error, intro string) *interp.Error {
		e.Traceback = append([]string{e.Name + ": " + e.Value}, e.Traceback...)
		if len(view) > 0 {
			e.Traceback = append(e.Traceback, intro)
			e.Traceback = append(e.Traceback, view...)
		}
		return e
	}
	switch stop {
	case stopInterrupted:
		e := &interp.Error{Name: "Interrupted", Value: fmt.Sprintf("the cell was interrupted after %s", roundDuration(took))}
		if len(view) == 0 {
			e.Traceback = []string{"(the program did not report where its goroutines were)"}
		}
		return withView(e, "Where each goroutine was:")
	case stopTimeout:
		e := &interp.Error{Name: "Timeout", Value: fmt.Sprintf("the cell ran longer than its %s timeout and was stopped", spec.Timeout)}
		return withView(e, "Where each goroutine was:")
	case stopLimit:
		e := &interp.Error{Name: "LimitExceeded", Value: limit.What, Traceback: []string{limitHint}}
		return withView(e, "")
	}

	ws, _ := state.Sys().(syscall.WaitStatus)
	// The kernel's RLIMIT_CPU accounting and the rusage wait4 reports are
	// sampled differently: a process killed at 1 s may report 0.93 s.
	if spec.Limits.CPU > 0 && ws.Signaled() && ws.Signal() == syscall.SIGKILL && state.UserTime()+state.SystemTime() >= spec.Limits.CPU*3/4 {
		stderrF.releaseCrash()
		return withView(&interp.Error{Name: "LimitExceeded", Value: "CPU time limit " + spec.Limits.CPU.String(), Traceback: []string{limitHint}}, "")
	}
	if len(stderrF.races) > 0 {
		return raceError(stderrF.races, crash)
	}
	// The runtime exits with status 2 after a panic or fatal error; text
	// that merely looks like one (a program printing "panic: ") is output.
	runtimeDeath := ws.Exited() && ws.ExitStatus() == 2
	if msg, rest, ok := crashMessage(crash, "panic: "); ok && runtimeDeath {
		mark := goroutineViewOptions{}
		if len(traces) > 0 && traces[0].State == "running" {
			mark = goroutineViewOptions{MarkID: traces[0].ID, Mark: "<- panicked here"}
		}
		mark.Source, mark.Binary, mark.Rename = spec.Source, spec.Binary, spec.Positions
		pview, _ := formatGoroutineView(traces, mark)
		tb := []string{"panic: " + msg}
		tb = append(tb, rest...)
		return &interp.Error{Name: "panic", Value: msg, Traceback: append(tb, pview...)}
	}
	if msg, _, ok := crashMessage(crash, "fatal error: "); ok && runtimeDeath {
		switch {
		case strings.HasPrefix(msg, "all goroutines are asleep"):
			e := &interp.Error{Name: "Deadlock", Value: "all goroutines are asleep: each one waits for something only another can do"}
			return withView(e, "Where each goroutine waits:")
		case spec.Limits.Memory > 0 && strings.Contains(msg, "out of memory"):
			return withView(&interp.Error{Name: "LimitExceeded", Value: "memory limit " + formatBytes(spec.Limits.Memory), Traceback: []string{limitHint}}, "")
		default:
			return withView(&interp.Error{Name: "FatalError", Value: msg}, "Where each goroutine was:")
		}
	}
	if state.Success() {
		stderrF.releaseCrash()
		return nil
	}
	e := &interp.Error{Name: "ExitError", Value: state.String()} // "exit status 3", "signal: killed"
	if len(view) > 0 && runtimeDeath {
		return withView(e, "Where each goroutine was:")
	}
	stderrF.releaseCrash()
	e.Traceback = []string{e.Name + ": " + e.Value}
	return e
}

// crashMessage finds the runtime's message line starting with prefix in a
// crash dump and returns it (continuation lines joined) plus any extra lines
// before the goroutine dump, e.g. "[signal SIGSEGV …]".
func crashMessage(crash, prefix string) (msg string, extra []string, ok bool) {
	lines := strings.Split(crash, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		msg = strings.TrimPrefix(l, prefix)
		for _, more := range lines[i+1:] {
			if more == "" || goroutineHeader.MatchString(more) {
				break
			}
			if strings.HasPrefix(more, "[") || strings.HasPrefix(more, "\tpanic: ") {
				extra = append(extra, strings.TrimSpace(more))
				continue
			}
			msg += " " + strings.TrimSpace(more)
		}
		return msg, extra, true
	}
	return "", nil, false
}

// raceError reports the race detector's findings.
func raceError(races []string, crash string) *interp.Error {
	var tb []string
	var where []string
	seen := map[string]bool{}
	for _, text := range races {
		r := parseRaceReport(text)
		tb = append(tb, r.lines()...)
		for _, l := range r.cellLines() {
			if !seen[l] {
				seen[l] = true
				where = append(where, l)
			}
		}
	}
	value := "1 data race"
	if len(races) > 1 {
		value = fmt.Sprintf("%d data races", len(races))
	}
	if len(where) > 0 {
		value += " at " + strings.Join(where, " and ")
	}
	e := &interp.Error{Name: "DataRace", Value: value}
	e.Traceback = append([]string{e.Name + ": " + e.Value}, tb...)
	if msg, _, ok := crashMessage(crash, "panic: "); ok {
		e.Traceback = append(e.Traceback, "and then: panic: "+msg)
	}
	return e
}

// leftoverWarning is the stderr note for goroutines alive when main returned.
func leftoverWarning(f wire.Frame, opt goroutineViewOptions) string {
	view, n := formatGoroutineView(parseGoroutines(f.Stack), opt)
	if f.Count > 0 {
		n = f.Count
	}
	head := fmt.Sprintf("%d goroutines still running when the cell finished:", n)
	if n == 1 {
		head = "1 goroutine still running when the cell finished:"
	}
	lines := append([]string{head}, view...)
	lines = append(lines, "They were stopped with the cell. To wait for them, use a sync.WaitGroup: wg.Go(f) instead of go f(), then wg.Wait() at the end.")
	return strings.Join(lines, "\n")
}

func roundDuration(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// cellEnv is the program's environment: spec.Env (or the kernel's) with the
// variables the kernel relies on set.
func cellEnv(spec runSpec) []string {
	env := spec.Env
	if env == nil {
		env = os.Environ()
	}
	set := map[string]string{
		wire.EnvKernel: "1",
		"GOTRACEBACK":  "all", // every goroutine in panics and deadlocks
	}
	if spec.Race {
		// No sleep at exit (1 s otherwise). Not halt_on_error: the program
		// runs to its end so the student also sees the wrong result the
		// race caused; exit status 66 still ends the cell in error.
		set["GORACE"] = "atexit_sleep_ms=0"
	}
	out := make([]string, 0, len(env)+len(set))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := set[k]; !ours {
			out = append(out, kv)
		}
	}
	for k, v := range set {
		out = append(out, k+"="+v)
	}
	return out
}

// cellPipe makes a pipe for one standard stream of the program. The
// program's end stays in blocking mode (a Go program then reads stdin with a
// plain read(2) the stdin feeder can see, and non-Go children see ordinary
// blocking pipes); the kernel's end is non-blocking so reads and writes can
// be cut short with deadlines and Close.
func cellPipe(childReads bool) (child, ours *os.File, err error) {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return nil, nil, fmt.Errorf("pipe for cell: %w", err)
	}
	childFD, ourFD := fds[1], fds[0]
	if childReads {
		childFD, ourFD = fds[0], fds[1]
	} else {
		// A bigger pipe buffer means fewer wake-ups for a program that prints a lot.
		const fSetPipeSize = 1031 // F_SETPIPE_SZ
		syscall.Syscall(syscall.SYS_FCNTL, uintptr(ourFD), fSetPipeSize, 1<<20)
	}
	if err := syscall.SetNonblock(ourFD, true); err != nil {
		syscall.Close(fds[0])
		syscall.Close(fds[1])
		return nil, nil, fmt.Errorf("pipe for cell: %w", err)
	}
	return os.NewFile(uintptr(childFD), "cell-stdio"), os.NewFile(uintptr(ourFD), "cell-stdio"), nil
}

// pumpPipe reads r until EOF (or its deadline) into feed, then calls done.
func pumpPipe(r *os.File, feed func([]byte), done func(), wg *sync.WaitGroup) {
	defer wg.Done()
	defer done()
	buf := make([]byte, 256<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			feed(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// waitReaders waits for the pipe readers; after grace it cuts them short.
func waitReaders(wg *sync.WaitGroup, grace time.Duration, pipes ...*os.File) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-time.After(grace):
	}
	for _, p := range pipes {
		p.SetReadDeadline(time.Now())
	}
	<-done
}

// sendQuit sends SIGQUIT so the Go runtime dumps every goroutine. The
// runtime can only read the stack of a goroutine running on the thread that
// handles the signal ("goroutine running on other thread; stack
// unavailable" otherwise), and a runaway cell is exactly a goroutine
// running: so the signal goes to the busiest running thread of the program,
// the one executing the loop, when there is one.
func sendQuit(pid int) {
	if tid := busiestRunningThread(pid); tid > 0 {
		if err := syscall.Tgkill(pid, tid, syscall.SIGQUIT); err == nil {
			return
		}
	}
	syscall.Kill(pid, syscall.SIGQUIT)
}

// busiestRunningThread returns the thread of pid in state R with the most
// CPU time, or 0.
func busiestRunningThread(pid int) int {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	best, bestTime := 0, int64(-1)
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		// after "pid (comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
		f := strings.Fields(s[i+1:])
		if len(f) < 13 || f[0] != "R" {
			continue
		}
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		if utime+stime > bestTime {
			tid, err := strconv.Atoi(t.Name())
			if err == nil {
				best, bestTime = tid, utime+stime
			}
		}
	}
	return best
}

var subreaperOnce sync.Once

// enableSubreaper makes the kernel the reaper of orphaned descendants: a
// process started by a cell whose program has exited becomes the kernel's
// child, so killGroup can reap it instead of leaving a zombie to whatever
// runs as PID 1.
func enableSubreaper() {
	subreaperOnce.Do(func() {
		const prSetChildSubreaper = 36
		syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	})
}

func closeAll(files ...*os.File) {
	for _, f := range files {
		f.Close()
	}
}
