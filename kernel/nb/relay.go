package nb

import (
	"bytes"
	"io"
	"sync"

	"github.com/gokernel/gokernel/kernel/nb/wire"
)

// A child process's stdout does not go straight to the cell's stdout: the
// parent relays it, so that each wire frame the child writes reaches the
// kernel in one Write. The kernel's pipe is shared by the cell and all its
// children, and a pipe keeps a write whole only up to 4 KiB (PIPE_BUF): a
// child's 10 KB SVG written straight to it could be cut by the parent's own
// prints, and the kernel would see a broken frame. In the parent, all
// writes to os.Stdout are serialised by the file's lock, so a frame written
// by the relay in one call stays whole. Text is passed on at once (it does
// not wait for a newline), so output still streams live.

// maxPendingFrame bounds what the relay holds for a frame that has not
// ended: past it the bytes are passed on as they are (a program printing a
// frame start by accident must not make the parent buffer forever).
const maxPendingFrame = 64 << 20

// frameRelay is the io.Writer given to exec.Cmd as a child's Stdout.
type frameRelay struct {
	mu      sync.Mutex
	out     io.Writer
	pending []byte // an unfinished frame, or the start of what may be one
}

func newFrameRelay(out io.Writer) *frameRelay { return &frameRelay{out: out} }

// Write passes on p, holding back only an unfinished frame.
func (r *frameRelay) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending = append(r.pending, p...)
	ready := r.complete()
	if ready > 0 {
		if _, err := r.out.Write(r.pending[:ready]); err != nil {
			return 0, err
		}
		r.pending = append(r.pending[:0], r.pending[ready:]...)
	}
	return len(p), nil
}

// complete returns how many leading bytes of pending can be written now:
// all text, and every frame that has ended.
func (r *frameRelay) complete() int {
	b := r.pending
	done := 0
	for {
		i := bytes.Index(b[done:], []byte(wire.FrameStart))
		if i < 0 {
			// Hold back a tail that could be the beginning of a frame start.
			return len(b) - startPrefixLen(b[done:])
		}
		start := done + i
		j := bytes.Index(b[start+len(wire.FrameStart):], []byte(wire.FrameEnd))
		if j < 0 {
			if len(b)-start > maxPendingFrame {
				return len(b)
			}
			return start
		}
		done = start + len(wire.FrameStart) + j + len(wire.FrameEnd)
	}
}

// startPrefixLen is the length of the longest suffix of b that is a proper
// prefix of wire.FrameStart.
func startPrefixLen(b []byte) int {
	for n := min(len(b), len(wire.FrameStart)-1); n > 0; n-- {
		if bytes.HasSuffix(b, []byte(wire.FrameStart[:n])) {
			return n
		}
	}
	return 0
}

// flush passes on whatever is held back; called once the child's output
// has ended.
func (r *frameRelay) flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) == 0 {
		return nil
	}
	_, err := r.out.Write(r.pending)
	r.pending = nil
	return err
}
