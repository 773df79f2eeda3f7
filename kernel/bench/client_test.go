package bench

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/jupyter"
	"github.com/gokernel/gokernel/kernel/transport"
)

// echoKernel is the smallest kernel the client can talk to, built on the
// project's real transport: it answers every shell request with a reply of
// the same type, between busy and idle on iopub, printing its code first.
func echoKernel(t *testing.T, info jupyter.ConnectionInfo) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	socks, err := transport.Listen(ctx, info, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); socks.Close(); <-done })
	signer := jupyter.NewSigner([]byte(info.Key))
	publish := func(parent *jupyter.Message, msgType string, content any) {
		m, err := jupyter.NewMessage(parent, msgType, "echo", content)
		if err != nil {
			t.Error(err)
			return
		}
		m.Identities = [][]byte{[]byte(msgType)}
		socks.Send(transport.IOPub, jupyter.Encode(m, signer))
	}
	go func() {
		defer close(done)
		for {
			frames, err := socks.Recv(transport.Shell)
			if errors.Is(err, transport.ErrClosed) || ctx.Err() != nil {
				return
			}
			if err != nil {
				continue
			}
			req, err := jupyter.Decode(frames, signer)
			if err != nil {
				continue // unsigned or malformed: dropped, as a kernel must
			}
			publish(req, "status", jupyter.Status{ExecutionState: "busy"})
			var code struct {
				Code string `json:"code"`
			}
			req.DecodeContent(&code)
			if code.Code != "" {
				publish(req, "stream", jupyter.Stream{Name: "stdout", Text: code.Code})
			}
			reply, _ := jupyter.NewMessage(req, replyType(req.Header.MsgType), "echo", map[string]any{"status": "ok", "execution_count": 1})
			socks.Send(transport.Shell, jupyter.Encode(reply, signer))
			publish(req, "status", jupyter.Status{ExecutionState: "idle"})
		}
	}()
}

func replyType(requestType string) string {
	if base, ok := strings.CutSuffix(requestType, "_request"); ok {
		return base + "_reply"
	}
	return requestType + "_reply"
}

func TestClientAgainstTransport(t *testing.T) {
	info, err := NewConnectionInfo("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	echoKernel(t, info)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, info, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	t.Run("execute collects reply, idle and stream", func(t *testing.T) {
		call, err := c.Execute(ctx, "print me")
		if err != nil {
			t.Fatal(err)
		}
		r, err := call.ExecuteReply()
		if err != nil || r.Status != "ok" {
			t.Errorf("have reply %+v, %v; want status ok", r, err)
		}
		if have := call.Stdout(); have != "print me" {
			t.Errorf("have stdout %q, want %q", have, "print me")
		}
		ts := call.Snapshot()
		if ts.ReplyAt.Before(ts.Sent) || ts.IdleAt.Before(ts.BusyAt) || ts.Replies != 1 {
			t.Errorf("have times %+v, want sent <= reply, busy <= idle, 1 reply", ts)
		}
	})
	t.Run("unsigned frames get no answer", func(t *testing.T) {
		m, _ := c.NewRequest("execute_request", ExecuteContent("unsigned"))
		call := c.Track(m.Header.MsgID)
		defer c.Forget(call)
		frames := jupyter.Encode(m, c.Signer())
		frames[1] = nil
		if err := c.SendFrames(Shell, frames); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Execute(ctx, "after"); err != nil {
			t.Fatal(err)
		}
		if have := call.Snapshot().Replies; have != 0 {
			t.Errorf("have %d replies to an unsigned request, want 0", have)
		}
	})
	t.Run("heartbeat echoes", func(t *testing.T) {
		rtt, err := c.Heartbeat(ctx)
		if err != nil || rtt <= 0 {
			t.Errorf("have %v, %v; want a positive round trip", rtt, err)
		}
	})
}
