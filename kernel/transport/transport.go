package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/gokernel/gokernel/kernel/jupyter"
)

// Channel names one of the kernel's sockets.
type Channel string

// The kernel's channels, named as in the messaging spec.
const (
	Shell     Channel = "shell"
	Control   Channel = "control"
	Stdin     Channel = "stdin"
	IOPub     Channel = "iopub"
	Heartbeat Channel = "hb"
)

// sendTimeout bounds a send to a ROUTER peer. Replies are small; a client
// that cannot take one within this time has gone away.
const sendTimeout = 10 * time.Second

// ErrClosed is returned by Recv and Send after Close.
var ErrClosed = errors.New("transport: closed")

// Sockets are a kernel's bound sockets. Recv may be called concurrently on
// different channels (one goroutine per channel); Send may be called from any
// goroutine.
type Sockets struct {
	info    jupyter.ConnectionInfo
	sockets map[Channel]zmq4.Socket
	ctx     context.Context
	cancel  context.CancelFunc
	hbDone  chan struct{}
	log     *slog.Logger
	early   *earlyIOPub // iopub messages published before the first subscriber
	// subscribed has a value when a client has subscribed to iopub since
	// it was last read (subscribers.go).
	subscribed chan struct{}
}

// subscriptionSettle is how long after a client's subscription arrives the
// kernel says so: the bytes are seen on their way into zmq4, which registers
// the subscription a moment later; a status published before that is lost.
const subscriptionSettle = 5 * time.Millisecond

// Subscriptions delivers a value after a client subscribes to iopub (several
// close together may come as one). The kernel answers with its status, so a
// client that joined while a cell runs knows it is busy.
func (s *Sockets) Subscriptions() <-chan struct{} { return s.subscribed }

func (s *Sockets) noteSubscription() {
	time.AfterFunc(subscriptionSettle, func() {
		select {
		case s.subscribed <- struct{}{}:
		default: // one is pending already: it covers this one
		}
	})
}

// subscriberPoll is how often the kernel looks for its first iopub
// subscriber while holding messages for it (early.go).
const subscriberPoll = time.Millisecond

// Listen binds the five sockets to the connection's IP and ports and starts
// answering heartbeats. A port of 0 binds a free port; Info reports the ports
// actually bound. ctx bounds the sockets' life, as Close does.
func Listen(ctx context.Context, info jupyter.ConnectionInfo, log *slog.Logger) (*Sockets, error) {
	ctx, cancel := context.WithCancel(ctx)
	s := &Sockets{info: info, sockets: map[Channel]zmq4.Socket{}, ctx: ctx, cancel: cancel, hbDone: make(chan struct{}), log: log,
		subscribed: make(chan struct{}, 1)}
	ports := []struct {
		ch   Channel
		port *int
		make func(context.Context, ...zmq4.Option) zmq4.Socket
	}{
		{Shell, &s.info.ShellPort, zmq4.NewRouter},
		{Control, &s.info.ControlPort, zmq4.NewRouter},
		{Stdin, &s.info.StdinPort, zmq4.NewRouter},
		{IOPub, &s.info.IOPubPort, zmq4.NewPub},
		{Heartbeat, &s.info.HBPort, zmq4.NewRep},
	}
	for _, p := range ports {
		sock := p.make(ctx, zmq4.WithTimeout(sendTimeout))
		s.sockets[p.ch] = sock
		listen := sock.Listen
		if p.ch == IOPub {
			listen = func(ep string) error { return listenWatched(sock, ep, s.noteSubscription) }
		}
		if err := listen(info.Endpoint(*p.port)); err != nil {
			close(s.hbDone) // the heartbeat loop never started: Close must not wait for it
			s.Close()
			return nil, fmt.Errorf("transport: %s: %w", p.ch, err)
		}
		if tcp, ok := sock.Addr().(*net.TCPAddr); ok {
			*p.port = tcp.Port
		}
	}
	pub := s.sockets[IOPub]
	s.early = newEarlyIOPub(
		func() bool { return len(pub.(zmq4.Topics).Topics()) > 0 },
		func(frames [][]byte) error { return pub.SendMulti(zmq4.NewMsgFrom(frames...)) })
	go s.early.watch(ctx, subscriberPoll)
	go s.heartbeat()
	return s, nil
}

// Info returns the connection with the ports actually bound.
func (s *Sockets) Info() jupyter.ConnectionInfo { return s.info }

// Recv waits for the next message on ch (shell, control or stdin) and returns
// its frames, routing identities first. It returns ErrClosed once the
// sockets are closed.
func (s *Sockets) Recv(ch Channel) ([][]byte, error) {
	sock, ok := s.sockets[ch]
	if !ok || ch == IOPub || ch == Heartbeat {
		return nil, fmt.Errorf("transport: cannot receive on %q", ch)
	}
	msg, err := sock.Recv()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, ErrClosed
		}
		return nil, fmt.Errorf("transport: %s recv: %w", ch, err)
	}
	return msg.Frames, nil
}

// Send sends frames on ch. On a ROUTER channel the first frame is the peer's
// routing identity; on iopub it is the topic.
func (s *Sockets) Send(ch Channel, frames [][]byte) error {
	sock, ok := s.sockets[ch]
	if !ok || ch == Heartbeat {
		return fmt.Errorf("transport: cannot send on %q", ch)
	}
	var err error
	if ch == IOPub {
		err = s.early.publish(frames)
	} else {
		err = sock.SendMulti(zmq4.NewMsgFrom(frames...))
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return ErrClosed
		}
		return fmt.Errorf("transport: %s send: %w", ch, err)
	}
	return nil
}

// Close closes every socket and waits for the heartbeat loop to end.
func (s *Sockets) Close() error {
	s.cancel()
	var errs []error
	for ch, sock := range s.sockets {
		if err := sock.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("%s: %w", ch, err))
		}
	}
	if _, ok := s.sockets[Heartbeat]; ok {
		select {
		case <-s.hbDone:
		case <-time.After(time.Second):
		}
	}
	return errors.Join(errs...)
}

// heartbeat echoes every ping on its own goroutine, so a running cell (or a
// busy shell) never delays it.
func (s *Sockets) heartbeat() {
	defer close(s.hbDone)
	hb := s.sockets[Heartbeat]
	for {
		msg, err := hb.Recv()
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			// zmq4's REP reports a message without an envelope as an error
			// and keeps serving; only Close ends the loop.
			s.log.Debug("heartbeat recv", "err", err)
			continue
		}
		if err := hb.Send(msg); err != nil {
			s.log.Debug("heartbeat send", "err", err)
		}
	}
}
