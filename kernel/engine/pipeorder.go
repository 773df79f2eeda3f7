package engine

import (
	"os"
	"sync/atomic"
	"time"
)

// stderrFirst keeps the order in which a program wrote to its two pipes
// where it matters most: a program (or a child process of it, nb.Process)
// that writes to stderr and then to stdout — a child's panic report, then
// the parent's "joined" — must not have its stdout shown first only because
// the kernel's stdout reader ran before its stderr reader. Before the stdout
// reader passes on what it read, it waits (briefly) until the stderr pipe
// holds nothing unread and the stderr reader is not between a read and
// passing it on; whatever stderr had by then was written before.
type stderrFirst struct {
	pipe *os.File
	busy atomic.Bool // the stderr reader holds bytes it has not passed on
}

// stderrOrderWait bounds the wait: a program that writes stderr without end
// must not stall its stdout.
const stderrOrderWait = 20 * time.Millisecond

// wait is called by the stdout reader before it passes on a chunk.
func (s *stderrFirst) wait() {
	if s == nil {
		return
	}
	deadline := time.Now().Add(stderrOrderWait)
	for !s.drained() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Microsecond)
	}
}

// drained reads busy on both sides of the pipe check, so that a read that
// returns while the pipe is checked is seen by the second look; only one
// whose reader has not yet marked itself busy by then slips through.
func (s *stderrFirst) drained() bool {
	return !s.busy.Load() && unreadBytes(s.pipe) == 0 && !s.busy.Load()
}

// reading wraps the stderr reader's feed: busy from just after a read
// returns until its bytes are passed on.
func (s *stderrFirst) reading(feed func([]byte)) func([]byte) {
	return func(b []byte) {
		s.busy.Store(true)
		defer s.busy.Store(false)
		feed(b)
	}
}
