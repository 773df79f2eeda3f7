package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/jupyter"
	"github.com/gokernel/gokernel/kernel/transport"
)

// Transport moves raw frames; *transport.Sockets implements it.
type Transport interface {
	// Recv blocks for the next message on a ROUTER channel.
	Recv(ch transport.Channel) ([][]byte, error)
	// Send sends one message on a channel.
	Send(ch transport.Channel, frames [][]byte) error
}

// Config configures a Server.
type Config struct {
	Interpreter interp.Interpreter
	Transport   Transport
	// Key is the connection file's key; empty disables signing.
	Key []byte
	// HistoryPath is the history file ("" keeps history in memory only).
	HistoryPath string
	// HistoryLimit bounds the history file (0: DefaultHistoryLimit).
	HistoryLimit int
	Logger       *slog.Logger
}

// Server answers Jupyter requests by driving an Interpreter. Execute
// requests run one at a time, in order, on one goroutine; every other shell
// request and every control request is answered at once, even while a cell
// runs.
type Server struct {
	interp  interp.Interpreter
	tr      Transport
	signer  *jupyter.Signer
	log     *slog.Logger
	session string // this kernel's session id, in every header it sends
	history *history
	replay  replayGuard
	routes  map[string]route

	queue      execQueue
	count      int // execution counter, owned by the execute goroutine
	inputs     chan *jupyter.Message
	inputMu    sync.Mutex // one input_request at a time
	cellMu     sync.Mutex
	cancelCell context.CancelFunc // cancels the running cell; nil when idle

	shutdownOnce sync.Once
	shutdown     chan struct{} // closed by shutdown_request

	// statusMu orders status messages: a busy/idle and the status a new
	// subscriber is told (welcome) cannot cross. working counts the
	// requests between their busy and their idle.
	statusMu sync.Mutex
	working  int
}

// SubscriptionNotifier is what a Transport also implements when it can tell
// that a client has subscribed to iopub (transport.Sockets does).
type SubscriptionNotifier interface {
	Subscriptions() <-chan struct{}
}

// route is one row of the msg_type -> handler table.
type route struct {
	handle func(ctx context.Context, r *request) error
	// queued handlers run on the execute goroutine, one at a time in order.
	queued bool
	// control handlers are also accepted on the control channel; shell
	// handlers on shell.
	shell, control bool
}

// request is one received message bound to the channel it came on.
type request struct {
	ch  transport.Channel
	msg *jupyter.Message
	// exec is an execute_request's content, decoded when it is queued.
	exec *jupyter.ExecuteRequest
}

// New builds a Server. It reads the history file; a history file that
// cannot be read is logged and history starts empty.
func New(cfg Config) (*Server, error) {
	if cfg.Interpreter == nil || cfg.Transport == nil {
		return nil, errors.New("server: Config needs an Interpreter and a Transport")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hist := loadHistoryInBackground(cfg.HistoryPath, cfg.HistoryLimit, func(err error) {
		log.Warn("history file unusable; continuing", "path", cfg.HistoryPath, "err", err)
	})
	s := &Server{
		interp:   cfg.Interpreter,
		tr:       cfg.Transport,
		signer:   jupyter.NewSigner(cfg.Key),
		log:      log,
		session:  uuid.NewString(),
		history:  hist,
		inputs:   make(chan *jupyter.Message, 1),
		shutdown: make(chan struct{}),
	}
	s.queue.init()
	if la, ok := cfg.Interpreter.(interp.Lookahead); ok {
		s.queue.tell = la.Queued
	}
	s.routes = map[string]route{
		"kernel_info_request": {handle: s.kernelInfo, shell: true, control: true},
		"execute_request":     {queued: true, shell: true}, // runQueue calls s.execute
		"is_complete_request": {handle: s.isComplete, shell: true, control: true},
		"complete_request":    {handle: s.complete, shell: true, control: true},
		"inspect_request":     {handle: s.inspect, shell: true, control: true},
		"history_request":     {handle: s.historyRequest, shell: true, control: true},
		"comm_info_request":   {handle: s.commInfo, shell: true, control: true},
		"comm_open":           {handle: s.commOpen, shell: true},
		"comm_msg":            {handle: ignore, shell: true},
		"comm_close":          {handle: ignore, shell: true},
		"interrupt_request":   {handle: s.interruptRequest, control: true},
		"shutdown_request":    {handle: s.shutdownRequest, control: true},
	}
	return s, nil
}

// Serve answers requests until a shutdown_request has been answered (it
// returns nil) or ctx ends (it returns ctx.Err()). Either way it stops the
// running cell and closes the Interpreter before returning. The caller
// closes the transport afterwards.
func (s *Server) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// One goroutine per channel, so control and stdin never wait behind
	// shell. They end when the caller closes the transport.
	for _, ch := range []transport.Channel{transport.Shell, transport.Control, transport.Stdin} {
		go s.receive(ctx, ch)
	}
	if n, ok := s.tr.(SubscriptionNotifier); ok {
		go s.welcomeSubscribers(ctx, n.Subscriptions())
	}
	execDone := make(chan struct{})
	go func() {
		defer close(execDone)
		s.runQueue(ctx)
	}()

	var err error
	select {
	case <-s.shutdown:
	case <-ctx.Done():
		err = ctx.Err()
	}
	// Cancelling ctx interrupts the running cell (its context derives from
	// ctx) and stops the queue; queued requests are not started.
	cancel()
	// Wait for the cell to report before closing the interpreter under it;
	// a cell that ignores its context must not keep the kernel alive.
	select {
	case <-execDone:
	case <-time.After(3 * time.Second):
		s.log.Warn("cell did not stop within 3 s of shutdown")
	}
	if cerr := s.interp.Close(); cerr != nil {
		s.log.Warn("closing interpreter", "err", cerr)
	}
	return err
}

// Interrupt cancels the running cell, if any. It is what interrupt_request
// and SIGINT do.
func (s *Server) Interrupt() {
	s.cellMu.Lock()
	defer s.cellMu.Unlock()
	if s.cancelCell != nil {
		s.cancelCell()
	}
}

// receive reads one channel until the transport closes.
func (s *Server) receive(ctx context.Context, ch transport.Channel) {
	for {
		frames, err := s.tr.Recv(ch)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, transport.ErrClosed) {
				s.log.Error("receive failed; channel stopped", "channel", ch, "err", err)
			}
			return
		}
		msg, err := s.decode(ch, frames)
		if err != nil {
			s.log.Warn("dropped message", "channel", ch, "err", err)
			continue
		}
		// GOKERNEL_LOG=debug traces every message, for chasing a client that
		// says it got no answer.
		if s.log.Enabled(ctx, slog.LevelDebug) {
			s.log.Debug("received", "channel", ch, "msg_type", msg.Header.MsgType, "msg_id", msg.Header.MsgID, "peer", peerOf(frames))
		}
		s.dispatch(ctx, &request{ch: ch, msg: msg})
	}
}

// peerOf is a message's first routing identity, short enough for a log line.
func peerOf(frames [][]byte) string {
	if len(frames) == 0 || string(frames[0]) == jupyter.Delimiter {
		return ""
	}
	return fmt.Sprintf("%.12x", frames[0])
}

// decode checks signature and replay, and parses the frames.
func (s *Server) decode(ch transport.Channel, frames [][]byte) (*jupyter.Message, error) {
	msg, err := jupyter.Decode(frames, s.signer)
	if err != nil {
		return nil, err
	}
	if s.signer.Enabled() && !s.replay.first(frames) {
		return nil, fmt.Errorf("replayed message %s on %s (signature already seen)", msg.Header.MsgType, ch)
	}
	return msg, nil
}

// MaxRequestContent bounds the content of one request (32 MB: a cell of
// source is far smaller; an input_reply or comm_msg too).
const MaxRequestContent = 32 << 20

// dispatch routes one message: stdin replies to the waiting Input call,
// queued requests to the execute goroutine, the rest to their handler now.
func (s *Server) dispatch(ctx context.Context, r *request) {
	msgType := r.msg.Header.MsgType
	if r.ch == transport.Stdin {
		if msgType != "input_reply" {
			s.log.Warn("ignored message on stdin", "msg_type", msgType)
			return
		}
		select {
		case s.inputs <- r.msg:
		default:
			s.log.Warn("input_reply with no input_request waiting; dropped")
		}
		return
	}
	if len(r.msg.Content) > MaxRequestContent {
		// A frontend never sends this much; decoding it (and, for an
		// execute_request, compiling it) would cost gigabytes. Refuse it with
		// an error reply so the sender is not left waiting.
		s.status(r.msg, "busy")
		err := fmt.Errorf("%s of %d MB is larger than the kernel's limit of %d MB; refused",
			msgType, len(r.msg.Content)>>20, MaxRequestContent>>20)
		s.log.Warn("refused oversized request", "channel", r.ch, "msg_type", msgType, "bytes", len(r.msg.Content))
		if reply, isRequest := strings.CutSuffix(msgType, "_request"); isRequest {
			s.replyError(r, reply+"_reply", err)
		}
		s.status(r.msg, "idle")
		return
	}
	rt, ok := s.routes[msgType]
	if !ok || (r.ch == transport.Shell && !rt.shell) || (r.ch == transport.Control && !rt.control) {
		// ipykernel also says busy/idle around a message it cannot handle;
		// frontends that count busy/idle pairs stay in step.
		s.status(r.msg, "busy")
		s.log.Warn("unknown message type; ignored", "channel", r.ch, "msg_type", msgType)
		s.status(r.msg, "idle")
		return
	}
	if rt.queued {
		s.queue.push(r)
		return
	}
	s.handle(ctx, r, rt)
}

// handle runs one handler between busy and idle. A failing or panicking
// handler is logged; the kernel keeps serving.
func (s *Server) handle(ctx context.Context, r *request, rt route) {
	s.status(r.msg, "busy")
	defer s.status(r.msg, "idle")
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("handler panicked", "msg_type", r.msg.Header.MsgType, "panic", p)
		}
	}()
	if err := rt.handle(ctx, r); err != nil {
		s.log.Warn("request failed", "msg_type", r.msg.Header.MsgType, "err", err)
	}
}

// reply sends a reply to r on the channel r came from.
func (s *Server) reply(r *request, msgType string, content any) {
	s.send(r.ch, r.msg, msgType, content, nil)
}

// publish sends an iopub message whose parent is parent.
func (s *Server) publish(parent *jupyter.Message, msgType string, content any) {
	topic := [][]byte{[]byte("kernel." + s.session + "." + msgType)}
	s.send(transport.IOPub, parent, msgType, content, topic)
}

func (s *Server) status(parent *jupyter.Message, state string) {
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	switch state {
	case "busy":
		s.working++
	case "idle":
		s.working--
	}
	s.publish(parent, "status", jupyter.Status{ExecutionState: state})
	if state == "idle" && s.working > 0 {
		// A request answered while a cell runs (complete, inspect, a
		// kernel_info from a page just opened) ends with its own idle, which
		// its sender waits for; JupyterLab also takes it for the kernel's
		// state and would show idle while the cell still runs. The kernel is
		// still busy, and says so (no parent: it answers no request).
		s.publish(nil, "status", jupyter.Status{ExecutionState: "busy"})
	}
}

// welcomeSubscribers tells iopub where the kernel stands each time a client
// subscribes: busy while any request is being handled, else idle, with no
// parent (it answers no request; ipykernel's "starting" has none either). A
// client that joined while a cell runs (a reloaded JupyterLab tab) would
// otherwise show the kernel's state as unknown until the cell ends, and one
// whose first request's status was published before its subscription
// arrived, until it sends another. Clients that follow their own requests
// by parent ignore it.
func (s *Server) welcomeSubscribers(ctx context.Context, subscribed <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-subscribed:
			s.statusMu.Lock()
			state := "idle"
			if s.working > 0 {
				state = "busy"
			}
			s.publish(nil, "status", jupyter.Status{ExecutionState: state})
			s.statusMu.Unlock()
		}
	}
}

// send encodes and sends; failures are logged, never fatal: a client that
// went away must not take the kernel down. The error is returned for the
// callers that wait for an answer.
func (s *Server) send(ch transport.Channel, parent *jupyter.Message, msgType string, content any, identities [][]byte) error {
	msg, err := jupyter.NewMessage(parent, msgType, s.session, content)
	if err != nil {
		s.log.Error("encoding message", "msg_type", msgType, "err", err)
		return err
	}
	if identities != nil {
		msg.Identities = identities
	}
	err = s.tr.Send(ch, jupyter.Encode(msg, s.signer))
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		var parentID string
		if parent != nil {
			parentID = parent.Header.MsgID
		}
		s.log.Debug("sent", "channel", ch, "msg_type", msgType, "parent", parentID, "err", err)
	}
	if err != nil && !errors.Is(err, transport.ErrClosed) {
		s.log.Warn("send failed", "channel", ch, "msg_type", msgType, "err", err)
	}
	return err
}

func ignore(context.Context, *request) error { return nil }

// replayGuard remembers the signatures of recent messages, as jupyter_client's
// Session does, so a captured message sent again is refused.
type replayGuard struct {
	mu    sync.Mutex
	seen  map[string]struct{}
	order []string
}

const replayMemory = 1 << 16

// first reports whether the signature of frames has not been seen before, and remembers it.
func (g *replayGuard) first(frames [][]byte) bool {
	var sig string
	for i, f := range frames {
		if string(f) == jupyter.Delimiter && i+1 < len(frames) {
			sig = string(frames[i+1])
			break
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen == nil {
		g.seen = map[string]struct{}{}
	}
	if _, dup := g.seen[sig]; dup {
		return false
	}
	g.seen[sig] = struct{}{}
	g.order = append(g.order, sig)
	if len(g.order) > replayMemory {
		drop := len(g.order) / 10
		for _, old := range g.order[:drop] {
			delete(g.seen, old)
		}
		g.order = append(g.order[:0], g.order[drop:]...)
	}
	return true
}
