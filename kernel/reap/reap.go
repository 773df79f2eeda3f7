// Package reap runs a cell's program so that every process it starts ends
// with it, however that process detaches: setsid, a double fork, nohup … &,
// a process group of its own.
//
// A process group or session is the process's to leave, and an orphan is
// reparented to the nearest ancestor that is a child subreaper (else to
// init), so neither the cell's process group nor the kernel's own children
// say which processes a cell started. So each cell runs under a shepherd: a
// small process (this binary, started again in shepherd mode, see init)
// that makes itself a child subreaper and then starts the program. Every
// process the program starts stays below the shepherd whatever it does, and
// ending the cell ends the shepherd's whole subtree. Where the kernel may
// create cgroups (v2 delegated to it, or a writable v1 hierarchy), the
// shepherd is also put in a cgroup of its own, which is ended whole (see
// cgroup.go): that also catches a process that escaped the tree.
//
// The shepherd ends the subtree when the kernel says the cell is over, and
// also when the kernel dies (its end of the control pipe closes), so
// nothing a cell started outlives the kernel either.
package reap

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Spec says what to run.
type Spec struct {
	Path string   // the program
	Args []string // its arguments (not argv[0])
	Dir  string
	Env  []string
	// Stdin, Stdout and Stderr are given to the program as they are.
	Stdin, Stdout, Stderr *os.File
	// Rlimits are set on the shepherd before it starts the program, so the
	// program and everything it starts inherit them.
	Rlimits []Rlimit
}

// Rlimit is one resource limit (setrlimit(2)).
type Rlimit struct {
	Resource int // syscall.RLIMIT_CPU, ...
	Cur, Max uint64
}

// Cell is a running program and everything it starts.
type Cell struct {
	// PID is the program's process id.
	PID int
	// Shepherd is the shepherd's process id: the root of the cell's
	// process tree (it is not part of the cell's usage).
	Shepherd int

	cmd     *exec.Cmd
	control *os.File // closing it ends the cell's processes
	group   *cgroup  // nil when no cgroup could be made

	exited  chan struct{} // closed when the program has exited (or the shepherd is gone)
	state   *ExitState
	endOnce sync.Once
	endErr  error

	// seen are the cell's processes noticed so far (pid -> start time), a
	// second line for a shepherd killed from inside the cell (kill -9
	// $PPID in a %%bash cell): its orphans then go to the kernel, and
	// these are ended from here.
	seenMu   sync.Mutex
	seen     map[int]uint64
	stopSeen chan struct{}
}

// ExitState is how the program ended, as wait4 reported it.
type ExitState struct {
	Status syscall.WaitStatus
	User   time.Duration
	System time.Duration
	// Lost says the shepherd died before reporting (killed from outside):
	// the program was killed with it.
	Lost bool
}

// Sys returns the syscall.WaitStatus, as os.ProcessState.Sys does.
func (s *ExitState) Sys() any { return s.Status }

// UserTime is the user CPU time of the program.
func (s *ExitState) UserTime() time.Duration { return s.User }

// SystemTime is the system CPU time of the program.
func (s *ExitState) SystemTime() time.Duration { return s.System }

// Success reports whether the program exited with status 0.
func (s *ExitState) Success() bool { return s.Status.Exited() && s.Status.ExitStatus() == 0 }

// String says how it ended as os.ProcessState does: "exit status 3",
// "signal: killed".
func (s *ExitState) String() string {
	switch {
	case s.Status.Exited():
		return "exit status " + strconv.Itoa(s.Status.ExitStatus())
	case s.Status.Signaled():
		return "signal: " + s.Status.Signal().String()
	case s.Status.Stopped():
		return "stop signal: " + s.Status.StopSignal().String()
	}
	return fmt.Sprintf("wait status %#x", uint32(s.Status))
}

// Start starts the program under a shepherd: the spare one Prepare started
// ahead when there is one, else a new one. It returns once the program runs
// (or could not be started).
func Start(spec Spec) (*Cell, error) {
	if s := takeSpare(); s != nil {
		if c, err, used := s.start(spec); used {
			return c, err
		}
		// The spare was gone before it got the program: nothing of the
		// cell ran, so a new shepherd starts it.
	}
	return startCold(spec)
}

// rlimitSpec is spec's limits as the shepherd reads them: RESOURCE:CUR:MAX,...
func rlimitSpec(limits []Rlimit) string {
	var parts []string
	for _, l := range limits {
		parts = append(parts, fmt.Sprintf("%d:%d:%d", l.Resource, l.Cur, l.Max))
	}
	return strings.Join(parts, ",")
}

// startCold starts a shepherd for spec, with the program in its arguments.
func startCold(spec Spec) (*Cell, error) {
	statusR, statusW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start cell program: %w", err)
	}
	controlR, controlW, err := os.Pipe()
	if err != nil {
		closeFiles(statusR, statusW)
		return nil, fmt.Errorf("start cell program: %w", err)
	}
	env := spec.Env
	if env == nil {
		env = os.Environ()
	}
	env = append(slices.Clip(env), shepherdEnv+"=1")
	if len(spec.Rlimits) > 0 {
		env = append(env, shepherdRlimitsEnv+"="+rlimitSpec(spec.Rlimits))
	}
	cmd, group, err := spawnShepherd(append([]string{spec.Path}, spec.Args...), env, spec.Dir,
		spec.Stdin, spec.Stdout, spec.Stderr, statusW, controlR)
	closeFiles(statusW, controlR)
	if err != nil {
		closeFiles(statusR, controlW)
		return nil, fmt.Errorf("start cell program: %w", err)
	}
	return started(cmd, group, statusR, controlW)
}

// spawnShepherd starts the shepherd with args after its argv[0], in a
// cgroup of its own where one can be made; status and control become its
// fds 3 and 4.
func spawnShepherd(args, env []string, dir string, stdin, stdout, stderr, status, control *os.File) (*exec.Cmd, *cgroup, error) {
	// /proc/self/exe rather than os.Executable's path: it still runs the
	// kernel's binary after an upgrade replaced the file under that path.
	const exe = "/proc/self/exe"
	cmd := &exec.Cmd{
		Path:       exe,
		Args:       append([]string{shepherdArg0}, args...),
		Dir:        dir,
		Stdin:      stdin,
		Stdout:     stdout,
		Stderr:     stderr,
		ExtraFiles: []*os.File{status, control}, // fds 3 and 4
	}
	// Into the cell's cgroup before the program starts, so that all it
	// starts is born there: v2 at the shepherd's clone, v1 by the shepherd
	// itself first thing.
	group := newCgroup()
	for {
		cmd.Env = env
		// Its own process group, so a signal to the kernel's group
		// (Jupyter's interrupt in signal mode) does not reach the cell.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		var dirFD *os.File
		var err error
		if group != nil {
			if group.v2 {
				if dirFD, err = os.Open(group.dir); err == nil {
					cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, int(dirFD.Fd())
				}
			} else {
				cmd.Env = append(slices.Clip(env), shepherdCgroupEnv+"="+filepath.Join(group.dir, "cgroup.procs"))
			}
		}
		err = cmd.Start()
		if dirFD != nil {
			dirFD.Close()
		}
		if err == nil {
			return cmd, group, nil
		}
		if group == nil {
			return nil, nil, err
		}
		// Refused (an old kernel without CLONE_INTO_CGROUP, say): go on
		// without cgroups.
		noCgroup.Store(true)
		group.remove()
		group = nil
		cmd = &exec.Cmd{Path: cmd.Path, Args: cmd.Args, Dir: cmd.Dir, Stdin: cmd.Stdin, Stdout: cmd.Stdout, Stderr: cmd.Stderr, ExtraFiles: cmd.ExtraFiles}
	}
}

// started waits for the shepherd cmd (fed through control, reporting on
// statusR) to say the program runs, and returns the cell.
func started(cmd *exec.Cmd, group *cgroup, statusR, control *os.File) (*Cell, error) {
	c := &Cell{Shepherd: cmd.Process.Pid, cmd: cmd, control: control, group: group, exited: make(chan struct{})}
	fail := func(err error) (*Cell, error) {
		control.Close()
		statusR.Close()
		c.killAll()
		cmd.Wait()
		if c.group != nil {
			c.group.kill()
			c.group.remove()
		}
		return nil, err
	}
	status := bufio.NewReader(statusR)
	line, err := status.ReadString('\n')
	pid, perr := parseLine(line, "pid")
	if err != nil || perr != nil || len(pid) != 1 {
		// The shepherd says why it could not start the program.
		msg := strings.TrimSpace(strings.TrimPrefix(line, "error "))
		if msg == "" {
			msg = "the shepherd ended before starting it"
		}
		return fail(fmt.Errorf("start cell program: %s", msg))
	}
	c.PID = int(pid[0])
	c.seen, c.stopSeen = map[int]uint64{}, make(chan struct{})
	c.notice()
	go c.track()
	go c.readStatus(status, statusR)
	return c, nil
}

// readStatus waits for the shepherd's exit line.
func (c *Cell) readStatus(r *bufio.Reader, f *os.File) {
	defer f.Close()
	defer close(c.exited)
	line, err := r.ReadString('\n')
	v, perr := parseLine(line, "exit")
	if err != nil || perr != nil || len(v) != 3 {
		c.state = &ExitState{Status: syscall.WaitStatus(syscall.SIGKILL), Lost: true}
		return
	}
	c.state = &ExitState{Status: syscall.WaitStatus(v[0]), User: time.Duration(v[1]), System: time.Duration(v[2])}
}

// Exited is closed when the program has exited.
func (c *Cell) Exited() <-chan struct{} { return c.exited }

// State is how the program ended; nil before Exited is closed.
func (c *Cell) State() *ExitState {
	select {
	case <-c.exited:
		return c.state
	default:
		return nil
	}
}

// End ends every process of the cell, the program included if it still
// runs: SIGTERM, up to grace for them to exit, then SIGKILL; it returns when
// none is left (or after a few seconds, with an error). It may be called
// more than once.
func (c *Cell) End(grace time.Duration) error {
	c.endOnce.Do(func() {
		close(c.stopSeen)
		// The common case: the program has exited and left nothing behind
		// (nothing can appear below an empty shepherd). The shepherd then
		// only has to exit; it is reaped, and its cgroup removed, in the
		// background (see Settle).
		if c.State() != nil && !c.State().Lost && len(Children(c.Shepherd)) == 0 {
			c.control.Close()
			finishing.Add(1)
			go func() {
				defer finishing.Done()
				c.finish()
			}()
			return
		}
		c.control.Write([]byte(strconv.Itoa(int(grace / time.Millisecond))))
		c.control.Close()
		done := make(chan error, 1)
		go func() { done <- c.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(grace + 3*time.Second):
			// The shepherd is stuck (stopped with SIGSTOP, say): do its
			// work from here, as far as the tree is still ours.
			c.killAll()
			select {
			case <-done:
			case <-time.After(2 * time.Second):
				c.endErr = fmt.Errorf("cell shepherd %d did not exit", c.Shepherd)
			}
		}
		c.endSeen()
		if c.group != nil {
			if err := c.group.kill(); err != nil && c.endErr == nil {
				c.endErr = err
			}
			c.group.remove()
		}
		<-c.exited
	})
	return c.endErr
}

// finishing counts the shepherds being reaped in the background.
var finishing sync.WaitGroup

// Settle ends the spare shepherds, if any, and waits up to d for the
// shepherds of ended cells to be reaped and their cgroups removed: a kernel
// about to exit calls it. (What is left when it exits anyway is an empty
// cgroup, removed by the next kernel.)
func Settle(d time.Duration) {
	discardSpares()
	done := make(chan struct{})
	go func() { finishing.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// finish reaps an idle shepherd and removes its cgroup.
func (c *Cell) finish() {
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		c.killAll()
		<-done
	}
	if c.group != nil {
		c.group.kill()
		c.group.remove()
	}
}

// trackInterval is how often the cell's processes are noticed.
const trackInterval = 100 * time.Millisecond

// track notices the cell's processes until End.
func (c *Cell) track() {
	t := time.NewTicker(trackInterval)
	defer t.Stop()
	for {
		select {
		case <-c.stopSeen:
			return
		case <-t.C:
			c.notice()
		}
	}
}

// notice records the processes below the shepherd.
func (c *Cell) notice() {
	below := Descendants(c.Shepherd)
	c.seenMu.Lock()
	defer c.seenMu.Unlock()
	for _, pid := range below {
		if _, ok := c.seen[pid]; !ok {
			if st := startTime(pid); st != 0 {
				c.seen[pid] = st
			}
		}
	}
}

// endSeen SIGKILLs every noticed process still alive (the same process:
// same start time) with what is below it, and reaps those that became the
// kernel's children. After a shepherd that did its work, none is left.
func (c *Cell) endSeen() {
	c.seenMu.Lock()
	defer c.seenMu.Unlock()
	for round := 0; round < 50; round++ {
		var left []int
		for pid, st := range c.seen {
			if startTime(pid) == st && state(pid) != 'Z' {
				left = append(left, pid)
				left = append(left, Descendants(pid)...)
			}
		}
		for _, pid := range left {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		for pid, st := range c.seen {
			if startTime(pid) == st {
				var ws syscall.WaitStatus
				syscall.Wait4(pid, &ws, syscall.WNOHANG, nil) // ours only if orphaned to us
			}
		}
		if len(left) == 0 {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// startTime is field 22 of /proc/PID/stat (clock ticks after boot), 0 if
// pid is gone.
func startTime(pid int) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return 0
	}
	n, _ := strconv.ParseUint(f[19], 10, 64)
	return n
}

// killAll SIGKILLs the shepherd's group and subtree from the kernel's side.
func (c *Cell) killAll() {
	for _, pid := range Descendants(c.Shepherd) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	syscall.Kill(-c.Shepherd, syscall.SIGKILL)
}

// Signal sends sig to the program only.
func (c *Cell) Signal(sig syscall.Signal) error { return syscall.Kill(c.PID, sig) }

func parseLine(line, word string) ([]int64, error) {
	f := strings.Fields(line)
	if len(f) == 0 || f[0] != word {
		return nil, fmt.Errorf("reap: unexpected %q from the shepherd", line)
	}
	var v []int64
	for _, s := range f[1:] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, err
		}
		v = append(v, n)
	}
	return v, nil
}

func closeFiles(files ...*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// Descendants lists the processes below pid (children, their children, ...)
// from /proc/PID/task/TID/children, parents before children.
func Descendants(pid int) []int {
	var out []int
	seen := map[int]bool{pid: true}
	queue := []int{pid}
	for len(queue) > 0 && len(out) < 100000 {
		p := queue[0]
		queue = queue[1:]
		for _, k := range Children(p) {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
				queue = append(queue, k)
			}
		}
	}
	return out
}

// Children lists the child processes of pid (of all its threads).
func Children(pid int) []int {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var kids []int
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				kids = append(kids, n)
			}
		}
	}
	return kids
}
