package reap

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The shepherd is this same binary started with argv[0] shepherdArg0 and
// shepherdEnv=1 in its environment; init then runs it instead of the
// binary's main. Its protocol with the kernel (Start, End):
//
//	fd 3 (status, written): "pid N\n" once the program runs (or "error MSG\n"),
//	                        then "exit WAITSTATUS USER_NS SYSTEM_NS\n" when it exits.
//	fd 4 (control, read):   at the cell's end, the SIGTERM grace in
//	                        milliseconds and EOF. EOF alone (the kernel
//	                        died) ends the cell too.
//
// The program is started at once (no round trip): the resource limits to
// set first come in shepherdRlimitsEnv, and a v1 cgroup to join first in
// shepherdCgroupEnv (a v2 cgroup is joined at the shepherd's clone).
const (
	shepherdArg0       = "gokernel-cell-shepherd"
	shepherdEnv        = "GOKERNEL_CELL_SHEPHERD"
	shepherdRlimitsEnv = "GOKERNEL_CELL_SHEPHERD_RLIMITS" // RESOURCE:CUR:MAX,...
	shepherdCgroupEnv  = "GOKERNEL_CELL_SHEPHERD_CGROUP"  // a v1 cgroup.procs file
	// spareComm is a spare shepherd's name while it waits for a program.
	spareComm = "gokernel-spare"
	// defaultGrace is the SIGTERM grace when the kernel gave none.
	defaultGrace = 250 * time.Millisecond
)

func init() {
	if len(os.Args) >= 1 && os.Args[0] == shepherdArg0 && os.Getenv(shepherdEnv) == "1" {
		os.Exit(shepherd(os.Args[1:]))
	}
}

const prSetChildSubreaper = 36

// shepherd runs the program argv (path and arguments; none: a spare, which
// reads its program from the control socket, see spare.go) and ends every
// process below itself when told to (or when the kernel is gone). It
// returns the exit status of the shepherd itself.
func shepherd(argv []string) int {
	status := os.NewFile(3, "cell-status")
	control := os.NewFile(4, "cell-control")
	if status == nil || control == nil {
		fmt.Fprintln(os.Stderr, "gokernel cell shepherd: started without its pipes")
		return 2
	}
	syscall.CloseOnExec(3)
	syscall.CloseOnExec(4)
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		fmt.Fprintf(status, "error the kernel cannot adopt the cell's orphans (prctl: %v)\n", errno)
		return 1
	}
	// Signals sent to the cell's process group must not end the shepherd
	// before it has ended the rest. Handled (not ignored) signals are reset
	// to their defaults in the program it starts.
	signal.Notify(make(chan os.Signal, 16), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE)

	if procs := os.Getenv(shepherdCgroupEnv); procs != "" {
		if err := os.WriteFile(procs, []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
			fmt.Fprintf(status, "error join the cell's cgroup: %v\n", err)
			return 1
		}
	}
	// The program: in the arguments (and the environment), or, for a
	// spare, in the start message that comes with its standard streams.
	prog := startMessage{Env: os.Environ(), Rlimits: os.Getenv(shepherdRlimitsEnv)}
	streams := []*os.File{os.Stdin, os.Stdout, os.Stderr}
	var rest []byte // what the control socket had past the start message
	if len(argv) == 0 {
		// Named for what it is while it waits (ps, and tests counting a
		// kernel's processes), then like any other shepherd.
		setComm(spareComm)
		var err error
		prog, streams, rest, err = readStartMessage(4)
		setComm("exe")
		if err == io.EOF {
			return 0 // not needed after all
		}
		if err != nil {
			fmt.Fprintf(status, "error %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
			return 1
		}
	} else {
		prog.Path, prog.Args = argv[0], argv[1:]
	}
	if err := setRlimits(prog.Rlimits); err != nil {
		fmt.Fprintf(status, "error %v\n", err)
		return 1
	}
	proc, err := os.StartProcess(prog.Path, append([]string{prog.Path}, prog.Args...), &os.ProcAttr{
		Dir:   prog.Dir,
		Env:   withoutShepherdEnv(prog.Env), // the three GOKERNEL_CELL_SHEPHERD* variables
		Files: streams,
	})
	closeFiles(streams...)
	if err != nil {
		fmt.Fprintf(status, "error %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		return 1
	}
	fmt.Fprintf(status, "pid %d\n", proc.Pid)

	// Reap every child: the program (its status goes to the kernel) and
	// the orphans adopted as subreaper. ECHILD means nothing is left below
	// us, for good: nobody else can give us children.
	var statusMu sync.Mutex
	programReaped := false
	treeEmpty := make(chan struct{})
	go func() {
		defer close(treeEmpty)
		for {
			var ws syscall.WaitStatus
			var ru syscall.Rusage
			pid, err := syscall.Wait4(-1, &ws, 0, &ru)
			if err == syscall.EINTR {
				continue
			}
			if err != nil {
				return
			}
			if pid == proc.Pid {
				statusMu.Lock()
				fmt.Fprintf(status, "exit %d %d %d\n", uint32(ws), time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()))
				programReaped = true
				statusMu.Unlock()
			}
		}
	}()

	msg, _ := io.ReadAll(io.MultiReader(bytes.NewReader(rest), control)) // until the kernel ends the cell, or dies
	grace := defaultGrace
	if ms, err := strconv.Atoi(strings.TrimSpace(string(msg))); err == nil && ms >= 0 {
		grace = time.Duration(ms) * time.Millisecond
	}
	endTree(os.Getpid(), grace)
	select {
	case <-treeEmpty:
	case <-time.After(2 * time.Second):
	}
	statusMu.Lock()
	if !programReaped {
		fmt.Fprintf(status, "exit %d 0 0\n", uint32(syscall.SIGKILL))
	}
	statusMu.Unlock()
	return 0
}

// setComm names this process in /proc/PID/comm.
func setComm(name string) { os.WriteFile("/proc/self/comm", []byte(name), 0) }

// setRlimits sets the limits "RESOURCE:CUR:MAX,..." on this process.
func setRlimits(spec string) error {
	if spec == "" {
		return nil
	}
	for _, part := range strings.Split(spec, ",") {
		f := strings.Split(part, ":")
		if len(f) != 3 {
			return fmt.Errorf("resource limit %q: want RESOURCE:CUR:MAX", part)
		}
		res, err1 := strconv.Atoi(f[0])
		cur, err2 := strconv.ParseUint(f[1], 10, 64)
		max, err3 := strconv.ParseUint(f[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return fmt.Errorf("resource limit %q: want numbers", part)
		}
		if err := syscall.Setrlimit(res, &syscall.Rlimit{Cur: cur, Max: max}); err != nil {
			return fmt.Errorf("set resource limit %d of the cell: %w", res, err)
		}
	}
	return nil
}

// endTree ends every process below root: SIGTERM, up to grace for them to
// exit, then SIGKILL until none is left (a process forking meanwhile only
// adds to the next round). Processes that are root's children are reaped by
// the caller; the others are reaped by their own parents, themselves killed.
func endTree(root int, grace time.Duration) {
	below := Descendants(root)
	if len(below) == 0 {
		return
	}
	for _, pid := range below {
		syscall.Kill(pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) && len(living(Descendants(root))) > 0 {
		time.Sleep(5 * time.Millisecond)
	}
	giveUp := time.Now().Add(5 * time.Second)
	for time.Now().Before(giveUp) {
		left := living(Descendants(root))
		if len(left) == 0 {
			return
		}
		for _, pid := range left {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// living drops zombies (exited, not yet reaped) from pids.
func living(pids []int) []int {
	out := pids[:0:0]
	for _, pid := range pids {
		if state(pid) != 'Z' && state(pid) != 0 {
			out = append(out, pid)
		}
	}
	return out
}

// state is the state letter of pid from /proc/PID/stat, 0 if it is gone.
func state(pid int) byte {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}
