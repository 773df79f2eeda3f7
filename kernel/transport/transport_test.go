package transport

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/gokernel/gokernel/kernel/jupyter"
)

func listenLoopback(t *testing.T) *Sockets {
	t.Helper()
	s, err := Listen(context.Background(), jupyter.ConnectionInfo{Transport: "tcp", IP: "127.0.0.1"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestListenBindsOnlyTheConnectionIP(t *testing.T) {
	s := listenLoopback(t)
	info := s.Info()
	for ch, port := range map[Channel]int{Shell: info.ShellPort, Control: info.ControlPort, Stdin: info.StdinPort, IOPub: info.IOPubPort, Heartbeat: info.HBPort} {
		t.Run(string(ch), func(t *testing.T) {
			if port == 0 {
				t.Fatalf("port: have 0, want the bound port")
			}
			addr := s.sockets[ch].Addr().(*net.TCPAddr)
			if !addr.IP.Equal(net.ParseIP("127.0.0.1")) {
				t.Errorf("bound to %v, want 127.0.0.1 only", addr.IP)
			}
		})
	}
}

// A port already in use fails Listen at once, whichever socket it is, and
// closes the sockets bound before it.
func TestListenBusyPort(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	for _, ch := range []Channel{Shell, Heartbeat} {
		t.Run(string(ch), func(t *testing.T) {
			info := jupyter.ConnectionInfo{Transport: "tcp", IP: "127.0.0.1"}
			if ch == Shell {
				info.ShellPort = port
			} else {
				info.HBPort = port
			}
			start := time.Now()
			s, err := Listen(context.Background(), info, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err == nil {
				s.Close()
				t.Fatalf("Listen on busy port %d: have no error, want one", port)
			}
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Errorf("Listen took %v to fail, want under 500ms", d)
			}
		})
	}
}

func TestHeartbeatEchoes(t *testing.T) {
	s := listenLoopback(t)
	req := zmq4.NewReq(context.Background(), zmq4.WithTimeout(2*time.Second))
	defer req.Close()
	if err := req.Dial(s.Info().Endpoint(s.Info().HBPort)); err != nil {
		t.Fatal(err)
	}
	for _, ping := range []string{"ping", "second", "third"} {
		start := time.Now()
		if err := req.Send(zmq4.NewMsgString(ping)); err != nil {
			t.Fatal(err)
		}
		reply, err := req.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if have := string(reply.Bytes()); have != ping {
			t.Errorf("echo: have %q want %q", have, ping)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("echo took %v", d)
		}
	}
}

func TestRouterRoundTripAndPublish(t *testing.T) {
	s := listenLoopback(t)
	ctx := context.Background()
	dealer := zmq4.NewDealer(ctx, zmq4.WithID(zmq4.SocketIdentity("client-1")), zmq4.WithTimeout(2*time.Second))
	defer dealer.Close()
	if err := dealer.Dial(s.Info().Endpoint(s.Info().ShellPort)); err != nil {
		t.Fatal(err)
	}
	sub := zmq4.NewSub(ctx)
	defer sub.Close()
	if err := sub.Dial(s.Info().Endpoint(s.Info().IOPubPort)); err != nil {
		t.Fatal(err)
	}
	if err := sub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		t.Fatal(err)
	}

	if err := dealer.Send(zmq4.NewMsgFrom([]byte("<IDS|MSG>"), []byte("x"))); err != nil {
		t.Fatal(err)
	}
	frames, err := s.Recv(Shell)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{[]byte("client-1"), []byte("<IDS|MSG>"), []byte("x")}
	if len(frames) != len(want) {
		t.Fatalf("frames: have %q want %q", frames, want)
	}
	for i := range want {
		if !bytes.Equal(frames[i], want[i]) {
			t.Errorf("frame %d: have %q want %q", i, frames[i], want[i])
		}
	}
	if err := s.Send(Shell, [][]byte{[]byte("client-1"), []byte("reply")}); err != nil {
		t.Fatal(err)
	}
	reply, err := dealer.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if have := string(reply.Frames[0]); have != "reply" {
		t.Errorf("reply: have %q want %q", have, "reply")
	}

	// A SUB subscription reaches the PUB asynchronously: publish until one arrives.
	got := make(chan zmq4.Msg, 1)
	go func() {
		m, err := sub.Recv()
		if err == nil {
			got <- m
		}
	}()
	deadline := time.After(3 * time.Second)
	for {
		if err := s.Send(IOPub, [][]byte{[]byte("kernel.status"), []byte("body")}); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-got:
			if len(m.Frames) != 2 || string(m.Frames[1]) != "body" {
				t.Errorf("published: have %q", m.Frames)
			}
			return
		case <-deadline:
			t.Fatal("no iopub message within 3 s")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestRecvAfterClose(t *testing.T) {
	s := listenLoopback(t)
	done := make(chan error, 1)
	go func() {
		_, err := s.Recv(Control)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		if err != ErrClosed {
			t.Errorf("have %v, want ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Recv still blocked 2 s after Close")
	}
}

func TestIPCTransport(t *testing.T) {
	info := jupyter.ConnectionInfo{Transport: "ipc", IP: filepath.Join(t.TempDir(), "kernel"),
		ShellPort: 1, ControlPort: 2, StdinPort: 3, IOPubPort: 4, HBPort: 5}
	s, err := Listen(context.Background(), info, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	req := zmq4.NewReq(context.Background(), zmq4.WithTimeout(2*time.Second))
	defer req.Close()
	if err := req.Dial(info.Endpoint(info.HBPort)); err != nil {
		t.Fatal(err)
	}
	if err := req.Send(zmq4.NewMsgString("ping")); err != nil {
		t.Fatal(err)
	}
	reply, err := req.Recv()
	if err != nil || string(reply.Bytes()) != "ping" {
		t.Errorf("ipc heartbeat: have %q, %v", reply.Bytes(), err)
	}
}
