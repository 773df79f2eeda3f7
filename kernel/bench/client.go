package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/google/uuid"

	"github.com/gokernel/gokernel/kernel/jupyter"
)

// Channel names one of the kernel's request sockets.
type Channel string

// The request channels of a kernel.
const (
	Shell   Channel = "shell"
	Control Channel = "control"
	Stdin   Channel = "stdin"
)

// ErrClosed is returned by calls on a closed Client.
var ErrClosed = errors.New("bench: client closed")

// Client speaks to a kernel the way a Jupyter frontend does: DEALER sockets
// with a fixed identity on shell, control and stdin, a SUB socket on iopub
// subscribed to everything, a REQ socket on the heartbeat, and every message
// signed with the connection key. Replies and iopub messages are matched to
// the request they answer by parent_header.msg_id.
type Client struct {
	info    jupyter.ConnectionInfo
	signer  *jupyter.Signer
	session string
	logger  *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc

	requests map[Channel]zmq4.Socket
	iopub    zmq4.Socket
	hbMu     sync.Mutex
	hb       zmq4.Socket

	mu    sync.Mutex
	calls map[string]*Call
	// StdinRequests receives input_request messages from the kernel.
	StdinRequests chan *jupyter.Message
	unmatched     atomic.Int64
	undecodable   atomic.Int64
	readers       sync.WaitGroup
}

// dialTimeout bounds how long Dial waits for the kernel to listen.
const dialTimeout = 20 * time.Second

// dialRetry is the pause between attempts while the kernel is not listening
// yet; short, because the start-up figure includes it.
const dialRetry = 2 * time.Millisecond

// Dial connects to the kernel described by info. The kernel need not be
// listening yet: each socket retries until it is, for up to 20 s.
func Dial(ctx context.Context, info jupyter.ConnectionInfo, logger *slog.Logger) (*Client, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		info:          info,
		signer:        jupyter.NewSigner([]byte(info.Key)),
		session:       uuid.NewString(),
		logger:        logger,
		requests:      map[Channel]zmq4.Socket{},
		calls:         map[string]*Call{},
		StdinRequests: make(chan *jupyter.Message, 16),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, c.cancel) // a cancelled dial abandons the retries
	defer stop()
	opts := func(id string) []zmq4.Option {
		o := []zmq4.Option{
			zmq4.WithDialerRetry(dialRetry),
			zmq4.WithDialerMaxRetries(int(dialTimeout / dialRetry)),
			zmq4.WithLogger(log.New(io.Discard, "", 0)),
		}
		if id != "" {
			o = append(o, zmq4.WithID(zmq4.SocketIdentity(id)))
		}
		return o
	}
	identity := "bench-" + c.session[:8]
	for _, ch := range []Channel{Shell, Control, Stdin} {
		c.requests[ch] = zmq4.NewDealer(c.ctx, opts(identity)...)
	}
	c.iopub = zmq4.NewSub(c.ctx, opts("")...)
	if err := c.iopub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		c.closeSockets()
		return nil, fmt.Errorf("bench: subscribing to iopub: %w", err)
	}
	c.hb = zmq4.NewReq(c.ctx, opts("")...)

	type dial struct {
		name string
		sock zmq4.Socket
		port int
	}
	dials := []dial{
		{"shell", c.requests[Shell], info.ShellPort},
		{"control", c.requests[Control], info.ControlPort},
		{"stdin", c.requests[Stdin], info.StdinPort},
		{"iopub", c.iopub, info.IOPubPort},
		{"hb", c.hb, info.HBPort},
	}
	errs := make([]error, len(dials))
	var wg sync.WaitGroup
	for i, d := range dials {
		wg.Go(func() {
			if err := d.sock.Dial(info.Endpoint(d.port)); err != nil {
				errs[i] = fmt.Errorf("bench: dialling %s: %w", d.name, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.closeSockets()
		return nil, err
	}
	for _, ch := range []Channel{Shell, Control, Stdin} {
		c.readers.Go(func() { c.readLoop(ch, c.requests[ch]) })
	}
	c.readers.Go(func() { c.readLoop("iopub", c.iopub) })
	return c, nil
}

// Session is the session id of the client's messages.
func (c *Client) Session() string { return c.session }

// Signer returns the signer of the connection key, for tests that build
// frames by hand.
func (c *Client) Signer() *jupyter.Signer { return c.signer }

// Unmatched counts messages received whose parent the client did not send
// (or no longer tracks).
func (c *Client) Unmatched() int64 { return c.unmatched.Load() }

// Close disconnects every socket.
func (c *Client) Close() error {
	c.closeSockets()
	c.readers.Wait()
	return nil
}

func (c *Client) closeSockets() {
	c.cancel()
	for _, s := range c.requests {
		s.Close()
	}
	if c.iopub != nil {
		c.iopub.Close()
	}
	if c.hb != nil {
		c.hb.Close()
	}
}

func (c *Client) readLoop(name Channel, sock zmq4.Socket) {
	for {
		msg, err := sock.Recv()
		if err != nil {
			if c.ctx.Err() == nil {
				c.logger.Debug("receive failed", "channel", name, "err", err)
			}
			return
		}
		now := time.Now()
		m, err := jupyter.Decode(msg.Frames, c.signer)
		if err != nil {
			c.undecodable.Add(1)
			c.logger.Warn("undecodable message from kernel", "channel", name, "err", err)
			continue
		}
		if name == Stdin && m.Header.MsgType == "input_request" {
			select {
			case c.StdinRequests <- m:
			default:
				c.logger.Warn("input_request dropped: nobody reads StdinRequests")
			}
		}
		var parent struct {
			MsgID string `json:"msg_id"`
		}
		_ = json.Unmarshal(m.ParentHeader, &parent) // no parent: unmatched below
		c.mu.Lock()
		call := c.calls[parent.MsgID]
		c.mu.Unlock()
		if call == nil {
			c.unmatched.Add(1)
			continue
		}
		if name == "iopub" {
			call.addIOPub(m, now)
		} else {
			call.setReply(m, now)
		}
	}
}

// NewRequest builds a request of msgType with content, in the client's session.
func (c *Client) NewRequest(msgType string, content any) (*jupyter.Message, error) {
	m, err := jupyter.NewMessage(nil, msgType, c.session, content)
	if err != nil {
		return nil, err
	}
	m.Header.Username = "bench"
	return m, nil
}

// Send signs msg, sends it on ch and returns the Call that collects its
// reply and iopub messages.
func (c *Client) Send(ch Channel, msg *jupyter.Message) (*Call, error) {
	call := c.Track(msg.Header.MsgID)
	call.Request = msg
	call.Sent = time.Now()
	if err := c.SendFrames(ch, jupyter.Encode(msg, c.signer)); err != nil {
		c.Forget(call)
		return nil, err
	}
	return call, nil
}

// Request builds, signs and sends a request in one step.
func (c *Client) Request(ch Channel, msgType string, content any) (*Call, error) {
	m, err := c.NewRequest(msgType, content)
	if err != nil {
		return nil, err
	}
	return c.Send(ch, m)
}

// Track starts collecting the replies and iopub messages whose parent has
// msgID; used with SendFrames for requests built by hand.
func (c *Client) Track(msgID string) *Call {
	call := &Call{MsgID: msgID, done: make(chan struct{}), changed: make(chan struct{}, 1), Sent: time.Now()}
	c.mu.Lock()
	c.calls[msgID] = call
	c.mu.Unlock()
	return call
}

// Forget stops collecting messages for call (keeps memory flat over
// thousands of requests).
func (c *Client) Forget(call *Call) {
	c.mu.Lock()
	delete(c.calls, call.MsgID)
	c.mu.Unlock()
}

// SendFrames sends raw frames on ch, signed or not, well-formed or not.
func (c *Client) SendFrames(ch Channel, frames [][]byte) error {
	if c.ctx.Err() != nil {
		return ErrClosed
	}
	sock, ok := c.requests[ch]
	if !ok {
		return fmt.Errorf("bench: unknown channel %q", ch)
	}
	if err := sock.SendMulti(zmq4.NewMsgFrom(frames...)); err != nil {
		return fmt.Errorf("bench: sending on %s: %w", ch, err)
	}
	return nil
}

// Heartbeat sends one ping on the heartbeat socket and waits for the echo.
// It returns the round-trip time. A REQ socket that misses its reply is
// unusable, so after a timeout the client's heartbeat is broken for good.
func (c *Client) Heartbeat(ctx context.Context) (time.Duration, error) {
	c.hbMu.Lock()
	defer c.hbMu.Unlock()
	payload := []byte("ping-" + uuid.NewString())
	start := time.Now()
	if err := c.hb.Send(zmq4.NewMsg(payload)); err != nil {
		return 0, fmt.Errorf("bench: heartbeat send: %w", err)
	}
	type result struct {
		msg zmq4.Msg
		err error
	}
	got := make(chan result, 1)
	go func() {
		m, err := c.hb.Recv()
		got <- result{m, err}
	}()
	select {
	case r := <-got:
		if r.err != nil {
			return 0, fmt.Errorf("bench: heartbeat receive: %w", r.err)
		}
		if string(r.msg.Bytes()) != string(payload) {
			return 0, fmt.Errorf("bench: heartbeat echoed %q, want %q", r.msg.Bytes(), payload)
		}
		return time.Since(start), nil
	case <-ctx.Done():
		return 0, fmt.Errorf("bench: heartbeat: %w", ctx.Err())
	}
}

// Call collects what the kernel sends back for one request.
type Call struct {
	MsgID   string
	Request *jupyter.Message
	Sent    time.Time

	mu      sync.Mutex
	done    chan struct{}
	changed chan struct{}

	Reply   *jupyter.Message
	ReplyAt time.Time
	// Replies counts every reply received (a replayed request may get two).
	Replies int
	BusyAt  time.Time
	IdleAt  time.Time
	// IOPub holds the iopub messages other than status and stream, in order.
	IOPub []*jupyter.Message
	// Stream counts and keeps the first streamCap bytes of each stream.
	StreamBytes    int64
	StreamMsgs     int
	FirstStreamAt  time.Time
	LastStreamAt   time.Time
	stdout, stderr strings.Builder
}

// streamCap bounds the stream text a Call keeps, so a 100 MB flood does not
// make the client the memory hog.
const streamCap = 1 << 16

func (call *Call) setReply(m *jupyter.Message, at time.Time) {
	call.mu.Lock()
	defer call.mu.Unlock()
	call.Replies++
	if call.Reply != nil {
		return
	}
	call.Reply, call.ReplyAt = m, at
	select {
	case call.changed <- struct{}{}:
	default:
	}
	call.checkDone()
}

func (call *Call) addIOPub(m *jupyter.Message, at time.Time) {
	call.mu.Lock()
	defer call.mu.Unlock()
	switch m.Header.MsgType {
	case "status":
		var st jupyter.Status
		if m.DecodeContent(&st) == nil {
			switch st.ExecutionState {
			case "busy":
				call.BusyAt = at
			case "idle":
				call.IdleAt = at
			}
		}
	case "stream":
		var s jupyter.Stream
		if m.DecodeContent(&s) == nil {
			call.StreamMsgs++
			call.StreamBytes += int64(len(s.Text))
			if call.FirstStreamAt.IsZero() {
				call.FirstStreamAt = at
			}
			call.LastStreamAt = at
			b := &call.stdout
			if s.Name == "stderr" {
				b = &call.stderr
			}
			if room := streamCap - b.Len(); room > 0 {
				b.WriteString(s.Text[:min(room, len(s.Text))])
			}
		}
	default:
		call.IOPub = append(call.IOPub, m)
	}
	select {
	case call.changed <- struct{}{}:
	default:
	}
	call.checkDone()
}

func (call *Call) checkDone() {
	if call.Reply != nil && !call.IdleAt.IsZero() {
		select {
		case <-call.done:
		default:
			close(call.done)
		}
	}
}

// Wait waits until both the reply and status idle have arrived.
func (call *Call) Wait(ctx context.Context) error {
	select {
	case <-call.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("bench: waiting for the answer to %s: %w", call.msgType(), ctx.Err())
	}
}

// WaitReply waits for the reply only.
func (call *Call) WaitReply(ctx context.Context) (*jupyter.Message, error) {
	for {
		call.mu.Lock()
		r := call.Reply
		call.mu.Unlock()
		if r != nil {
			return r, nil
		}
		select {
		case <-call.done:
		case <-call.changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("bench: waiting for the reply to %s: %w", call.msgType(), ctx.Err())
		}
	}
}

// WaitOutput waits until stdout contains substr.
func (call *Call) WaitOutput(ctx context.Context, substr string) error {
	for {
		if strings.Contains(call.Stdout(), substr) {
			return nil
		}
		select {
		case <-call.changed:
		case <-call.done:
			if strings.Contains(call.Stdout(), substr) {
				return nil
			}
			return fmt.Errorf("bench: %s finished without printing %q (stdout %q, stderr %q)",
				call.msgType(), substr, call.Stdout(), call.Stderr())
		case <-ctx.Done():
			return fmt.Errorf("bench: waiting for %q in output: %w", substr, ctx.Err())
		}
	}
}

// Stdout returns the first 64 KB of stdout received.
func (call *Call) Stdout() string {
	call.mu.Lock()
	defer call.mu.Unlock()
	return call.stdout.String()
}

// Stderr returns the first 64 KB of stderr received.
func (call *Call) Stderr() string {
	call.mu.Lock()
	defer call.mu.Unlock()
	return call.stderr.String()
}

// Snapshot returns a copy of the timing and counting fields, safe to read
// while messages still arrive.
func (call *Call) Snapshot() CallTimes {
	call.mu.Lock()
	defer call.mu.Unlock()
	return CallTimes{
		Sent: call.Sent, ReplyAt: call.ReplyAt, BusyAt: call.BusyAt, IdleAt: call.IdleAt,
		FirstStreamAt: call.FirstStreamAt, LastStreamAt: call.LastStreamAt,
		StreamBytes: call.StreamBytes, StreamMsgs: call.StreamMsgs, Replies: call.Replies,
	}
}

// CallTimes is a consistent copy of a Call's timings.
type CallTimes struct {
	Sent, ReplyAt, BusyAt, IdleAt time.Time
	FirstStreamAt, LastStreamAt   time.Time
	StreamBytes                   int64
	StreamMsgs                    int
	Replies                       int
}

// ExecuteReply is an execute_reply as a frontend reads it: the fields of
// both statuses ("ok" and "error"/"aborted") in one struct.
type ExecuteReply struct {
	Status         string   `json:"status"`
	ExecutionCount int      `json:"execution_count"`
	Ename          string   `json:"ename"`
	Evalue         string   `json:"evalue"`
	Traceback      []string `json:"traceback"`
}

// ExecuteReply decodes the reply as an execute_reply.
func (call *Call) ExecuteReply() (ExecuteReply, error) {
	var r ExecuteReply
	call.mu.Lock()
	reply := call.Reply
	call.mu.Unlock()
	if reply == nil {
		return r, fmt.Errorf("bench: no reply to %s yet", call.msgType())
	}
	err := reply.DecodeContent(&r)
	return r, err
}

// ReplyMessage returns the first reply, or nil.
func (call *Call) ReplyMessage() *jupyter.Message {
	call.mu.Lock()
	defer call.mu.Unlock()
	return call.Reply
}

// Messages returns the iopub messages other than status and stream.
func (call *Call) Messages() []*jupyter.Message {
	call.mu.Lock()
	defer call.mu.Unlock()
	return append([]*jupyter.Message(nil), call.IOPub...)
}

func (call *Call) msgType() string {
	if call.Request != nil {
		return call.Request.Header.MsgType
	}
	return "request " + call.MsgID
}

// ExecuteContent is the content of an execute_request as a notebook sends it:
// stored in history, stdin not allowed (no one answers input here), stop on error.
func ExecuteContent(code string) jupyter.ExecuteRequest {
	yes, no := true, false
	return jupyter.ExecuteRequest{
		Code: code, StoreHistory: &yes, UserExpressions: map[string]any{},
		AllowStdin: &no, StopOnError: &yes,
	}
}

// StartExecute sends an execute_request for code and returns at once.
func (c *Client) StartExecute(code string) (*Call, error) {
	return c.Request(Shell, "execute_request", ExecuteContent(code))
}

// Execute runs code and waits for its reply and idle. The Call is forgotten
// by the client before it is returned. A cell that fails is not an error
// here: read call.ExecuteReply().
func (c *Client) Execute(ctx context.Context, code string) (*Call, error) {
	call, err := c.StartExecute(code)
	if err != nil {
		return nil, err
	}
	defer c.Forget(call)
	if err := call.Wait(ctx); err != nil {
		return call, err
	}
	return call, nil
}

// KernelInfo sends kernel_info_request on shell and waits for reply and idle.
func (c *Client) KernelInfo(ctx context.Context) (*Call, error) {
	call, err := c.Request(Shell, "kernel_info_request", map[string]any{})
	if err != nil {
		return nil, err
	}
	defer c.Forget(call)
	return call, call.Wait(ctx)
}

// WaitReady does what jupyter_client's wait_for_ready does: it sends
// kernel_info_request until a reply arrives and the idle status of one of
// them shows that iopub is subscribed (a SUB socket misses what was
// published before its subscription reached the kernel). It returns the
// time the first kernel_info_reply arrived.
func (c *Client) WaitReady(ctx context.Context) (time.Time, error) {
	var firstReply time.Time
	var calls []*Call
	defer func() {
		for _, call := range calls {
			c.Forget(call)
		}
	}()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		call, err := c.Request(Shell, "kernel_info_request", map[string]any{})
		if err != nil {
			return firstReply, err
		}
		calls = append(calls, call)
		for waiting := true; waiting; {
			select {
			case <-ctx.Done():
				return firstReply, fmt.Errorf("bench: kernel not ready: %w", ctx.Err())
			case <-tick.C:
				waiting = false
			case <-call.changed:
			case <-call.done:
			}
			for _, k := range calls {
				t := k.Snapshot()
				if !t.ReplyAt.IsZero() && (firstReply.IsZero() || t.ReplyAt.Before(firstReply)) {
					firstReply = t.ReplyAt
				}
				if !t.ReplyAt.IsZero() && !t.IdleAt.IsZero() {
					return firstReply, nil
				}
			}
		}
	}
}
