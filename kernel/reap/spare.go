package reap

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
)

// A spare shepherd is one started before its cell (Prepare, which the
// engine calls as the kernel starts and as each cell's program exits; two
// wait, see spareDepth), so that the cell's run does not
// wait for the shepherd to start: the kernel's binary is large, and its
// start (exec, runtime and package initialisation, ≈900 page faults) took
// ≈4-5 ms of each hello cell's ≈8 ms run stage, measured. The spare waits
// on its control socket for the program to run; Start sends it the program,
// its environment, directory and limits, and its standard streams (as
// SCM_RIGHTS), and from then on it is a shepherd like any other: it ends the
// cell's processes when told to or when the kernel dies. A spare that is
// never used exits when its socket closes (Settle, or the kernel's death).
//
// Start falls back to a new shepherd whenever there is no spare, or the spare
// is gone before it received the program (nothing of the cell ran then).

// EnvNoSpare, set to 1, makes Prepare do nothing and Start ignore a spare:
// every shepherd starts with its cell, as before spares (benchmarks compare
// the two in one run).
const EnvNoSpare = "GOKERNEL_NO_SPARE_SHEPHERD"

// maxStartMessage bounds the start message the shepherd accepts (the
// program's environment is most of it).
const maxStartMessage = 64 << 20

// startMessage is what a spare shepherd is sent to start the program.
type startMessage struct {
	Path    string
	Args    []string // after argv[0]
	Dir     string
	Env     []string
	Rlimits string // as in shepherdRlimitsEnv
}

// spare is a shepherd waiting for its program.
type spare struct {
	cmd     *exec.Cmd
	group   *cgroup
	status  *os.File // read end of the shepherd's fd 3
	control *os.File // our end of the socket that is the shepherd's fd 4
}

// spareDepth is how many spares wait. Start takes the oldest: a spare
// started when the cell before last ended has had a whole cell to start
// up (≈8 ms of CPU, the kernel's binary), whereas the one started as the
// last cell ended is still starting when a client sends the next cell at
// once (nbclient), and the program waited for it (measured: handoff 2.4 ms
// median, 3.7 ms mean, against 0.9 ms to a spare that had started up).
const spareDepth = 2

var spares struct {
	sync.Mutex
	ready    []*spare // oldest first, at most spareDepth
	starting bool     // Prepare is starting one
}

// Prepare starts spare shepherds in the background for the next Starts,
// one after the other until spareDepth wait (unless one is starting, or
// EnvNoSpare is set). It returns at once.
func Prepare() {
	if os.Getenv(EnvNoSpare) == "1" {
		return
	}
	spares.Lock()
	if len(spares.ready) >= spareDepth || spares.starting {
		spares.Unlock()
		return
	}
	spares.starting = true
	spares.Unlock()
	go func() {
		for {
			s, err := startSpare()
			spares.Lock()
			spares.starting = false
			if err != nil {
				spares.Unlock()
				return
			}
			if len(spares.ready) >= spareDepth { // cannot happen while starting guards it; stay safe
				spares.Unlock()
				s.discard()
				return
			}
			spares.ready = append(spares.ready, s)
			if len(spares.ready) >= spareDepth || os.Getenv(EnvNoSpare) == "1" {
				spares.Unlock()
				return
			}
			spares.starting = true
			spares.Unlock()
		}
	}()
}

// startSpare starts a shepherd that waits for its program.
func startSpare() (*spare, error) {
	statusR, statusW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		closeFiles(statusR, statusW)
		return nil, err
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "cell-control"), os.NewFile(uintptr(fds[1]), "cell-control")
	// The spare's own standard streams are /dev/null (nil); the program's
	// come with the start message.
	cmd, group, err := spawnShepherd(nil, append(os.Environ(), shepherdEnv+"=1"), "", nil, nil, nil, statusW, theirs)
	closeFiles(statusW, theirs)
	if err != nil {
		closeFiles(statusR, ours)
		return nil, err
	}
	return &spare{cmd: cmd, group: group, status: statusR, control: ours}, nil
}

// takeSpare hands out the oldest waiting spare that fits how cells start
// now, if there is one.
func takeSpare() *spare {
	for {
		spares.Lock()
		if len(spares.ready) == 0 {
			spares.Unlock()
			return nil
		}
		s := spares.ready[0]
		spares.ready = spares.ready[1:]
		spares.Unlock()
		if os.Getenv(EnvNoSpare) == "1" || !s.fitsCgroups() {
			// Prepared before cells were to start otherwise (tests switch).
			s.discard()
			continue
		}
		return s
	}
}

// fitsCgroups reports whether the spare is in the cgroup a shepherd
// started now would get: in one made where cells' cgroups are made now,
// or in none when none would be made.
func (s *spare) fitsCgroups() bool {
	p := cgroupBase()
	if p == nil || noCgroup.Load() || os.Getenv(EnvNoCgroup) == "1" {
		return s.group == nil
	}
	return s.group != nil && filepath.Dir(s.group.dir) == p.dir
}

// start sends the spare its program and waits for it to run. used is false
// when the spare was gone before it got the program; it is discarded then.
func (s *spare) start(spec Spec) (c *Cell, err error, used bool) {
	env := spec.Env
	if env == nil {
		env = os.Environ()
	}
	data, err := json.Marshal(startMessage{Path: spec.Path, Args: spec.Args, Dir: spec.Dir, Env: env, Rlimits: rlimitSpec(spec.Rlimits)})
	if err != nil {
		s.discard()
		return nil, fmt.Errorf("start cell program: %w", err), true
	}
	msg := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(data)), uint32(len(data)))
	msg = append(msg, data...)
	streams := []*os.File{spec.Stdin, spec.Stdout, spec.Stderr}
	var opened []*os.File
	defer func() { closeFiles(opened...) }()
	var fds []int
	for i, f := range streams {
		if f == nil { // as os/exec does: /dev/null
			flag := os.O_WRONLY
			if i == 0 {
				flag = os.O_RDONLY
			}
			if f, err = os.OpenFile(os.DevNull, flag, 0); err != nil {
				s.discard()
				return nil, fmt.Errorf("start cell program: %w", err), true
			}
			opened = append(opened, f)
		}
		fds = append(fds, int(f.Fd()))
	}
	err = sendWithRights(s.control, msg, syscall.UnixRights(fds...))
	runtime.KeepAlive(streams)
	if err != nil {
		s.discard()
		return nil, nil, false
	}
	c, err = started(s.cmd, s.group, s.status, s.control)
	return c, err, true
}

// sendWithRights writes msg to the socket f, the descriptors in rights
// going with its first byte.
func sendWithRights(f *os.File, msg, rights []byte) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var n int
	var serr error
	if err := rc.Write(func(fd uintptr) bool {
		n, serr = syscall.SendmsgN(int(fd), msg, rights, nil, syscall.MSG_NOSIGNAL)
		return serr != syscall.EAGAIN
	}); err != nil {
		return err
	}
	if serr != nil {
		return serr
	}
	if n < len(msg) {
		_, err = f.Write(msg[n:])
	}
	return err
}

// discard ends an unused spare: its socket closes, it exits, and it is
// reaped (with its cgroup removed) in the background.
func (s *spare) discard() {
	s.control.Close()
	s.status.Close()
	finishing.Add(1)
	go func() {
		defer finishing.Done()
		c := &Cell{Shepherd: s.cmd.Process.Pid, cmd: s.cmd, group: s.group}
		c.finish()
	}()
}

// discardSpares ends the waiting spares (the kernel is about to exit).
func discardSpares() {
	spares.Lock()
	ready := spares.ready
	spares.ready = nil
	spares.Unlock()
	for _, s := range ready {
		s.discard()
	}
}

// readStartMessage is the spare shepherd's side of start: it reads the
// start message and the program's standard streams from the control socket
// (fd). It returns io.EOF when the socket closed first (the spare was not
// needed), and the bytes read past the message (the start of what the
// kernel sends at the cell's end).
func readStartMessage(fd int) (m startMessage, streams []*os.File, rest []byte, err error) {
	buf := make([]byte, 64<<10)
	oob := make([]byte, syscall.CmsgSpace(3*4))
	var n, oobn, flags int
	for {
		n, oobn, flags, _, err = syscall.Recvmsg(fd, buf, oob, syscall.MSG_CMSG_CLOEXEC)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return m, nil, nil, err
	}
	if n == 0 {
		return m, nil, nil, io.EOF
	}
	cmsgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return m, nil, nil, fmt.Errorf("start message: %w", err)
	}
	for _, cm := range cmsgs {
		fds, err := syscall.ParseUnixRights(&cm)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			streams = append(streams, os.NewFile(uintptr(fd), "cell-stream"))
		}
	}
	fail := func(err error) (startMessage, []*os.File, []byte, error) {
		closeFiles(streams...)
		return startMessage{}, nil, nil, err
	}
	if flags&syscall.MSG_CTRUNC != 0 || len(streams) != 3 {
		return fail(fmt.Errorf("start message: %d standard streams, want 3", len(streams)))
	}
	data := append([]byte(nil), buf[:n]...)
	for len(data) < 4 || len(data) < 4+int(binary.BigEndian.Uint32(data)) {
		if len(data) >= 4 && binary.BigEndian.Uint32(data) > maxStartMessage {
			return fail(errors.New("start message too long"))
		}
		k, err := syscall.Read(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return fail(fmt.Errorf("start message: %w", err))
		}
		if k == 0 {
			return fail(errors.New("start message: cut short"))
		}
		data = append(data, buf[:k]...)
	}
	size := 4 + int(binary.BigEndian.Uint32(data))
	if err := json.Unmarshal(data[4:size], &m); err != nil {
		return fail(fmt.Errorf("start message: %w", err))
	}
	if m.Path == "" {
		return fail(errors.New("start message: no program"))
	}
	return m, streams, append([]byte(nil), data[size:]...), nil
}

// withoutShepherdEnv drops the GOKERNEL_CELL_SHEPHERD* variables from env.
func withoutShepherdEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, shepherdEnv) {
			out = append(out, kv)
		}
	}
	return out
}
