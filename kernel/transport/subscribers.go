package transport

import (
	"context"
	"encoding/binary"
	"net"
	"sync"

	"github.com/go-zeromq/zmq4"
	zmqtransport "github.com/go-zeromq/zmq4/transport"
)

// Why the kernel watches iopub subscriptions: a PUB socket drops what it
// publishes before a subscription reaches it, and a client joining a running
// kernel (a JupyterLab tab reloaded while a cell runs, a page whose server
// skipped its iopub check because the kernel looked busy) learns the
// kernel's state only from the next status message, which may come only when
// the cell ends: until then JupyterLab shows the kernel as "unknown". So the
// kernel tells each new subscriber where it stands (the server publishes its
// current status), as JEP 65's iopub_welcome does for XPUB sockets. zmq4's
// PUB socket swallows the subscriptions, so the kernel sees them on the way
// in: its iopub socket listens through subscriberWatch, a tcp transport whose
// connections report each subscription message a client sends.

// watchedTCP names the transport the iopub socket listens on: tcp, watched.
const watchedTCP = "gokernel-watched-tcp"

var (
	registerWatch sync.Once
	// watchers maps the address a watched socket is listening on to whom to
	// tell of a subscription; listenMu keeps two kernels of one process
	// (tests) that both ask for port 0 from taking each other's.
	listenMu sync.Mutex
	watchers sync.Map
)

// subscriberWatch is zmq4's tcp transport whose listeners call the function
// registered for their address on each subscription a client sends.
type subscriberWatch struct{ tcp zmqtransport.Transport }

func (w subscriberWatch) Dial(ctx context.Context, d zmqtransport.Dialer, addr string) (net.Conn, error) {
	return w.tcp.Dial(ctx, d, addr)
}

func (w subscriberWatch) Addr(ep string) (string, error) { return w.tcp.Addr(ep) }

func (w subscriberWatch) Listen(ctx context.Context, addr string) (net.Listener, error) {
	l, err := w.tcp.Listen(ctx, addr)
	if err != nil {
		return nil, err
	}
	// The address asked for (port 0 included) is the key Listen registered.
	f, _ := watchers.LoadAndDelete(addr)
	notify, _ := f.(func())
	if notify == nil {
		return l, nil
	}
	return watchedListener{Listener: l, notify: notify}, nil
}

type watchedListener struct {
	net.Listener
	notify func()
}

func (l watchedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &watchedConn{Conn: c, frames: zmtpFrames{greeting: zmtpGreetingLen, onSubscribe: l.notify}}, nil
}

// watchedConn passes every byte through unchanged and shows what the client
// sent to its zmtpFrames.
type watchedConn struct {
	net.Conn
	mu     sync.Mutex
	frames zmtpFrames
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.frames.feed(p[:n])
		c.mu.Unlock()
	}
	return n, err
}

// listenWatched binds sock to ep (tcp://host:port) through subscriberWatch,
// calling notify on every subscription a client sends it. Other transports
// (ipc) listen as they are, unwatched.
func listenWatched(sock zmq4.Socket, ep string, notify func()) error {
	const tcp = "tcp://"
	if len(ep) <= len(tcp) || ep[:len(tcp)] != tcp {
		return sock.Listen(ep)
	}
	var regErr error
	registerWatch.Do(func() {
		regErr = zmq4.RegisterTransport(watchedTCP, subscriberWatch{tcp: zmqtransport.New("tcp")})
	})
	if regErr != nil {
		return sock.Listen(ep) // watching is a courtesy; serving is not
	}
	addr, err := (subscriberWatch{tcp: zmqtransport.New("tcp")}).Addr(ep[len(tcp):])
	if err != nil {
		return sock.Listen(ep)
	}
	listenMu.Lock()
	defer listenMu.Unlock()
	watchers.Store(addr, notify)
	defer watchers.Delete(addr) // Listen took it, or failed
	return sock.Listen(watchedTCP + "://" + ep[len(tcp):])
}

// zmtpGreetingLen is the length of a ZMTP 3 greeting, which comes first.
const zmtpGreetingLen = 64

// zmtpFrames follows the frames of the byte stream a ZMTP 3.0 peer sends
// (RFC 23: a greeting, then frames of a flags byte, a size of one byte or,
// with the LONG flag, eight, and a body) and calls onSubscribe for each
// subscription: a message frame whose body starts with 1 (ZMTP 3.0), or a
// SUBSCRIBE command (3.1). It reads what it is fed in any pieces; bytes it
// cannot make sense of stop it, never the connection.
type zmtpFrames struct {
	greeting    int    // greeting bytes still to skip
	header      []byte // the current frame's header so far
	body        uint64 // body bytes of the current frame still to come
	command     bool   // the current frame is a command
	seen        []byte // the start of the current body (enough to tell a subscription)
	stopped     bool
	onSubscribe func()
}

const (
	zmtpMore    = 0x01
	zmtpLong    = 0x02
	zmtpCommand = 0x04
)

// subscribeCommand starts the body of a ZMTP 3.1 SUBSCRIBE command.
var subscribeCommand = []byte("\x09SUBSCRIBE")

func (z *zmtpFrames) feed(p []byte) {
	for len(p) > 0 && !z.stopped {
		switch {
		case z.greeting > 0:
			n := min(z.greeting, len(p))
			z.greeting -= n
			p = p[n:]
		case z.body > 0:
			n := int(min(z.body, uint64(len(p))))
			if want := len(subscribeCommand) - len(z.seen); want > 0 {
				z.seen = append(z.seen, p[:min(n, want)]...)
			}
			z.body -= uint64(n)
			p = p[n:]
			if z.body == 0 {
				z.endFrame()
			}
		default:
			z.header = append(z.header, p[0])
			p = p[1:]
			flags := z.header[0]
			if flags&^(zmtpMore|zmtpLong|zmtpCommand) != 0 {
				z.stopped = true // not ZMTP 3 framing: nothing more to learn
				return
			}
			size := 1
			if flags&zmtpLong != 0 {
				size = 8
			}
			if len(z.header) < 1+size {
				continue
			}
			if size == 1 {
				z.body = uint64(z.header[1])
			} else {
				z.body = binary.BigEndian.Uint64(z.header[1:])
			}
			z.command = flags&zmtpCommand != 0
			z.header, z.seen = z.header[:0], z.seen[:0]
			if z.body == 0 {
				z.endFrame()
			}
		}
	}
}

// endFrame looks at the frame just read whole.
func (z *zmtpFrames) endFrame() {
	sub := (!z.command && len(z.seen) > 0 && z.seen[0] == 1) ||
		(z.command && len(z.seen) == len(subscribeCommand) && string(z.seen) == string(subscribeCommand))
	if sub && z.onSubscribe != nil {
		z.onSubscribe()
	}
	z.seen = z.seen[:0]
}
