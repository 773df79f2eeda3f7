package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/gokernel/gokernel/kernel/jupyter"
	"github.com/gokernel/gokernel/kernel/transport"
)

// testKernel is a Server on real zmq4 sockets plus a client made of real
// zmq4 sockets speaking the wire format of package jupyter.
type testKernel struct {
	t       *testing.T
	fake    *fakeInterp
	srv     *Server
	signer  *jupyter.Signer
	session string
	logs    *syncBuffer

	shell, control, stdin, iopub zmq4.Socket
	replies                      map[transport.Channel]chan *jupyter.Message
	iopubMsgs                    chan *jupyter.Message
	served                       chan error
}

const testKey = "test-key-0123456789"

func startKernel(t *testing.T) *testKernel {
	return startKernelWith(t, newFakeInterp(), filepath.Join(t.TempDir(), "history.jsonl"))
}

func startKernelWith(t *testing.T, fake *fakeInterp, historyPath string) *testKernel {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	socks, err := transport.Listen(ctx, jupyter.ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", Key: testKey}, log)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Interpreter: fake, Transport: socks, Key: []byte(testKey), HistoryPath: historyPath, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	k := &testKernel{
		t: t, fake: fake, srv: srv, signer: jupyter.NewSigner([]byte(testKey)), session: "client-session", logs: logs,
		replies:   map[transport.Channel]chan *jupyter.Message{},
		iopubMsgs: make(chan *jupyter.Message, 1000),
		served:    make(chan error, 1),
	}
	go func() { k.served <- srv.Serve(ctx) }()

	info := socks.Info()
	id := zmq4.WithID(zmq4.SocketIdentity("test-client"))
	k.shell = zmq4.NewDealer(ctx, id)
	k.control = zmq4.NewDealer(ctx, id)
	k.stdin = zmq4.NewDealer(ctx, id)
	k.iopub = zmq4.NewSub(ctx)
	for _, c := range []struct {
		sock zmq4.Socket
		port int
	}{{k.shell, info.ShellPort}, {k.control, info.ControlPort}, {k.stdin, info.StdinPort}, {k.iopub, info.IOPubPort}} {
		if err := c.sock.Dial(info.Endpoint(c.port)); err != nil {
			t.Fatal(err)
		}
	}
	if err := k.iopub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		t.Fatal(err)
	}
	for ch, sock := range map[transport.Channel]zmq4.Socket{transport.Shell: k.shell, transport.Control: k.control, transport.Stdin: k.stdin} {
		k.replies[ch] = make(chan *jupyter.Message, 100)
		go k.read(sock, k.replies[ch])
	}
	go k.read(k.iopub, k.iopubMsgs)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kernel log:\n%s", logs.String())
		}
		cancel()
		for _, s := range []zmq4.Socket{k.shell, k.control, k.stdin, k.iopub} {
			s.Close()
		}
		socks.Close()
		select {
		case <-k.served:
		case <-time.After(5 * time.Second):
			t.Errorf("Serve did not return 5 s after cancel")
		}
	})
	k.waitIOPub()
	return k
}

func (k *testKernel) read(sock zmq4.Socket, into chan *jupyter.Message) {
	for {
		m, err := sock.Recv()
		if err != nil {
			return
		}
		frames := m.Frames
		msg, err := jupyter.Decode(frames, k.signer)
		if err != nil {
			k.t.Errorf("client could not decode a kernel message: %v (%q)", err, frames)
			continue
		}
		into <- msg
	}
}

// waitIOPub sends kernel_info_request until its status reaches the
// subscriber, the way jupyter_client waits for iopub before using a kernel.
func (k *testKernel) waitIOPub() {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		k.send(transport.Shell, "kernel_info_request", map[string]any{})
		k.recv(transport.Shell, "kernel_info_reply")
		select {
		case <-k.iopubMsgs:
			time.Sleep(50 * time.Millisecond)
			k.drainIOPub()
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	k.t.Fatal("iopub never delivered a message")
}

func (k *testKernel) drainIOPub() {
	for {
		select {
		case <-k.iopubMsgs:
		default:
			return
		}
	}
}

// waitStarted waits until the interpreter starts running code.
func (k *testKernel) waitStarted(code string) {
	k.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case c := <-k.fake.started:
			if c == code {
				return
			}
		case <-deadline:
			k.t.Fatalf("cell %q did not start within 5 s", code)
		}
	}
}

// newRequest builds a signed request message.
func (k *testKernel) newRequest(msgType string, content any) *jupyter.Message {
	msg, err := jupyter.NewMessage(nil, msgType, k.session, content)
	if err != nil {
		k.t.Fatal(err)
	}
	msg.Header.Username = "tester"
	return msg
}

func (k *testKernel) socket(ch transport.Channel) zmq4.Socket {
	return map[transport.Channel]zmq4.Socket{transport.Shell: k.shell, transport.Control: k.control, transport.Stdin: k.stdin}[ch]
}

func (k *testKernel) sendFrames(ch transport.Channel, frames [][]byte) {
	if err := k.socket(ch).SendMulti(zmq4.NewMsgFrom(frames...)); err != nil {
		k.t.Fatal(err)
	}
}

// send signs and sends a request; it returns the request.
func (k *testKernel) send(ch transport.Channel, msgType string, content any) *jupyter.Message {
	msg := k.newRequest(msgType, content)
	k.sendFrames(ch, jupyter.Encode(msg, k.signer))
	return msg
}

// recv waits for the next message on ch and checks its type.
func (k *testKernel) recv(ch transport.Channel, msgType string) *jupyter.Message {
	k.t.Helper()
	select {
	case m := <-k.replies[ch]:
		if m.Header.MsgType != msgType {
			k.t.Fatalf("%s: have %s want %s", ch, m.Header.MsgType, msgType)
		}
		return m
	case <-time.After(5 * time.Second):
		k.t.Fatalf("%s: no %s within 5 s", ch, msgType)
		return nil
	}
}

// untilIdle collects the iopub messages whose parent is req, up to and
// including its idle status.
func (k *testKernel) untilIdle(req *jupyter.Message) []*jupyter.Message {
	k.t.Helper()
	var got []*jupyter.Message
	for {
		select {
		case m := <-k.iopubMsgs:
			if parentID(m) != req.Header.MsgID {
				continue
			}
			got = append(got, m)
			var st jupyter.Status
			if m.Header.MsgType == "status" && m.DecodeContent(&st) == nil && st.ExecutionState == "idle" {
				return got
			}
		case <-time.After(5 * time.Second):
			k.t.Fatalf("no idle for %s within 5 s; have %v", req.Header.MsgType, types(got))
			return nil
		}
	}
}

// execute sends an execute_request and returns its reply and iopub messages.
func (k *testKernel) execute(content map[string]any) (*jupyter.Message, []*jupyter.Message) {
	k.t.Helper()
	req := k.send(transport.Shell, "execute_request", content)
	reply := k.recv(transport.Shell, "execute_reply")
	return reply, k.untilIdle(req)
}

func parentID(m *jupyter.Message) string {
	var h jupyter.Header
	json.Unmarshal(m.ParentHeader, &h)
	return h.MsgID
}

func types(msgs []*jupyter.Message) []string {
	var out []string
	for _, m := range msgs {
		t := m.Header.MsgType
		if t == "status" {
			var st jupyter.Status
			m.DecodeContent(&st)
			t += ":" + st.ExecutionState
		}
		out = append(out, t)
	}
	return out
}

func content(t *testing.T, m *jupyter.Message) map[string]any {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal(m.Content, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// syncBuffer is a log sink tests can read while the kernel writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var _ io.Writer = (*syncBuffer)(nil)
