package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/nb/wire"
	"github.com/gokernel/gokernel/kernel/reap"
)

// This file gives a cell that reads os.Stdin an input box.
//
// The program's fd 0 is the read end of a pipe in blocking mode, so a Go
// program reading os.Stdin (fmt.Scanln, bufio.NewReader(os.Stdin) …) makes a
// plain read(0, …) system call that blocks in one of its threads. The kernel
// cannot be told about that read, so it looks: every few milliseconds it
// reads /proc/PID/task/*/syscall, which names the system call each thread
// is blocked in and its arguments. A thread in read with fd 0 while the pipe
// holds no unread bytes (FIONREAD) is a program waiting for the user; the
// kernel then asks Output.Input and writes the answer plus "\n" to the pipe.
// The FIONREAD check keeps one read from being asked twice: until the
// program has consumed an answer the pipe is not empty.
//
// The cell's process and its descendants are watched: a child process that
// inherited the same stdin (exec.Command with Stdin: os.Stdin) gets the
// input box too.

// The feeder looks for a blocked read every stdinPollMin at first, backing
// off to stdinPollMax while nothing reads (a poll costs a few /proc reads;
// at 100 ms an idle cell costs the kernel well under 1% of a core), and
// starts fast again after each answer: programs tend to read again soon.
const (
	stdinPollMin = 10 * time.Millisecond
	stdinPollMax = 100 * time.Millisecond
)

// noStdinNote is the line shown when a cell reads stdin the frontend cannot answer.
const noStdinNote = "[this cell read standard input, but nothing can answer here (allow_stdin is false: nbclient, nbconvert, or gokernel run without a terminal): the read got end of file]"

// stdinFeeder answers a program's reads of stdin through Output.Input.
type stdinFeeder struct {
	pid      int
	w        *os.File // our end of the program's stdin pipe
	stdout   *os.File // our end of the program's stdout pipe: the prompt comes through it
	allow    bool
	sink     *streamSink
	out      interp.Output
	requests chan wire.Frame // wire.KindInput frames, in order
	asking   atomic.Bool     // an input box is open (Output.Input has not returned)
}

// waitingForInput reports whether the program is waiting for the user to
// answer an input box, so that an interrupt can say so.
func (f *stdinFeeder) waitingForInput() bool { return f.asking.Load() }

func newStdinFeeder(pid int, w, stdout *os.File, allow bool, sink *streamSink, out interp.Output) *stdinFeeder {
	return &stdinFeeder{pid: pid, w: w, stdout: stdout, allow: allow, sink: sink, out: out, requests: make(chan wire.Frame, 8)}
}

// promptDelivered waits (briefly) until what the program printed before its
// read has left the stdout pipe and reached the sink, so the prompt is the
// input box's label rather than a stray line after it: on a busy machine the
// feeder can see the blocked read before the stdout reader has run.
func (f *stdinFeeder) promptDelivered(ctx context.Context) {
	deadline := time.Now().Add(200 * time.Millisecond)
	for f.stdout != nil && pipeUnread(f.stdout) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	// The reader may hold bytes it has read but not yet handed over: that
	// takes microseconds.
	time.Sleep(2 * time.Millisecond)
}

// request records a wire.KindInput frame: the next read uses its prompt and
// password flag. It never blocks the stdout reader.
func (f *stdinFeeder) request(fr wire.Frame) {
	select {
	case f.requests <- fr:
	default:
	}
}

// run watches for reads until ctx ends or stdin is refused. It leaves f.w
// open otherwise: closing it on interrupt would hand the program an end of
// file and let it run on (or exit) before it is asked for its goroutines.
func (f *stdinFeeder) run(ctx context.Context) {
	f.sink.setHoldPrompt(f.allow)
	interval := stdinPollMin
	t := time.NewTimer(interval)
	defer t.Stop()
	var next *wire.Frame
	for {
		select {
		case <-ctx.Done():
			return
		case fr := <-f.requests:
			next = &fr
			interval = stdinPollMin // the read follows at once
			t.Reset(interval)
			continue
		case <-t.C:
		}
		if !treeBlockedReadingStdin(f.pid) || pipeUnread(f.w) != 0 {
			interval = min(interval*2, stdinPollMax)
			t.Reset(interval)
			continue
		}
		if !f.allow {
			f.refuse()
			return
		}
		f.promptDelivered(ctx)
		prompt := f.sink.takePrompt()
		password := false
		select {
		case fr := <-f.requests:
			next = &fr
		default:
		}
		if next != nil {
			prompt += next.Prompt
			password = next.Password
			next = nil
		}
		f.asking.Store(true)
		answer, err := f.out.Input(ctx, prompt, password)
		if err == nil || errors.Is(err, interp.ErrNoStdin) {
			f.asking.Store(false) // answered; otherwise ctx ended while it was open
		}
		if errors.Is(err, interp.ErrNoStdin) {
			f.refuse()
			return
		}
		if err != nil {
			return // ctx ended: the run stage stops the program
		}
		if _, err := f.w.WriteString(answer + "\n"); err != nil {
			return // the program closed its stdin or exited
		}
		interval = stdinPollMin
		t.Reset(interval)
	}
}

// refuse gives the program end of file and says why.
func (f *stdinFeeder) refuse() {
	f.w.Close()
	f.sink.note(noStdinNote)
}

// readSyscallNumber is the number of read(2) as /proc/PID/task/TID/syscall prints it.
var readSyscallNumber = strconv.Itoa(syscall.SYS_READ)

// maxStdinWatch bounds the processes looked at per poll.
const maxStdinWatch = 64

// treeBlockedReadingStdin tells whether pid, or a descendant whose fd 0 is
// the same pipe, has a thread blocked reading fd 0.
func treeBlockedReadingStdin(pid int) bool {
	if threadBlockedReading(pid, 0) {
		return true
	}
	stdin, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/0", pid))
	if err != nil {
		return false
	}
	queue := reap.Children(pid)
	for seen := 0; len(queue) > 0 && seen < maxStdinWatch; seen++ {
		p := queue[0]
		queue = queue[1:]
		if link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/0", p)); err == nil && link == stdin && threadBlockedReading(p, 0) {
			return true
		}
		queue = append(queue, reap.Children(p)...)
	}
	return false
}

// threadBlockedReading tells whether a thread of pid is blocked in read(fd).
func threadBlockedReading(pid, fd int) bool {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	wantFD := "0x" + strconv.FormatInt(int64(fd), 16)
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/syscall")
		if err != nil {
			continue
		}
		fields := strings.Fields(string(b))
		if len(fields) >= 2 && fields[0] == readSyscallNumber && fields[1] == wantFD {
			return true
		}
	}
	return false
}

// pipeUnread returns the bytes written to the pipe of w not yet read by the
// other end (FIONREAD), or -1 when it cannot tell.
func pipeUnread(w *os.File) int {
	rc, err := w.SyscallConn()
	if err != nil {
		return -1
	}
	n := -1
	ctlErr := rc.Control(func(fd uintptr) {
		var v int32
		// FIONREAD (TIOCINQ) works on either end of a Linux pipe.
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&v))); errno == 0 {
			n = int(v)
		}
	})
	if ctlErr != nil {
		return -1
	}
	return n
}
