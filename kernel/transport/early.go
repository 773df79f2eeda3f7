package transport

import (
	"context"
	"sync"
	"time"
)

// earlyIOPub holds the iopub messages published before any client has
// subscribed, and delivers them, in order, once one has.
//
// Why: a PUB socket drops what it sends while nobody is subscribed, and a
// client's subscription reaches the kernel a little after its connection,
// often after its first kernel_info_request. jupyter_client's wait_for_ready
// wants an iopub message within 0.2 s of a kernel_info_reply; when the
// busy/idle around the first reply are dropped it waits the 0.2 s, asks
// again and waits again (≈0.45 s instead of ≈0.25 s to ready). Held and
// delivered late, the first status reaches the client that asked.
//
// Only the start is covered: after the first subscriber, or after holdFor,
// messages go straight to the socket, as zmq4 sends them (a second client
// joining later sees what is published from then on, as with any PUB).
type earlyIOPub struct {
	subscribed func() bool          // whether any client has subscribed
	send       func([][]byte) error // publishes one message

	mu      sync.Mutex
	holding bool // no subscriber yet: publish holds
	held    [][][]byte
}

// maxEarlyHeld bounds what is held: a kernel nobody subscribes to (a client
// that only uses shell) must not grow, and only the latest messages matter
// to a client that arrives late.
const maxEarlyHeld = 64

// holdFor is how long the kernel keeps holding iopub messages for a first
// subscriber; clients subscribe within milliseconds of starting a kernel.
const holdFor = 30 * time.Second

func newEarlyIOPub(subscribed func() bool, send func([][]byte) error) *earlyIOPub {
	return &earlyIOPub{subscribed: subscribed, send: send, holding: true}
}

// publish sends frames, or holds them while nobody has subscribed.
func (e *earlyIOPub) publish(frames [][]byte) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.holding {
		if !e.subscribed() {
			if len(e.held) == maxEarlyHeld {
				e.held = append(e.held[:0], e.held[1:]...)
			}
			e.held = append(e.held, frames)
			return nil
		}
		e.releaseLocked()
	}
	return e.send(frames)
}

// poll delivers the held messages if a client has subscribed since; it
// reports whether holding has ended.
func (e *earlyIOPub) poll() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.holding && e.subscribed() {
		e.releaseLocked()
	}
	return !e.holding
}

// stop ends holding and drops what is held (nobody came for it).
func (e *earlyIOPub) stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.holding = false
	e.held = nil
}

func (e *earlyIOPub) releaseLocked() {
	e.holding = false
	for _, frames := range e.held {
		e.send(frames) // a send error here has no caller to tell; zmq4's PUB queue does not fail
	}
	e.held = nil
}

// watch polls for the first subscriber until it comes, holdFor passes or
// ctx ends. A subscription arrives without any send from the kernel, so
// only polling notices it (zmq4 reports none).
func (e *earlyIOPub) watch(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	deadline := time.NewTimer(holdFor)
	defer deadline.Stop()
	for {
		select {
		case <-ctx.Done():
			e.stop()
			return
		case <-deadline.C:
			e.stop()
			return
		case <-tick.C:
			if e.poll() {
				return
			}
		}
	}
}
