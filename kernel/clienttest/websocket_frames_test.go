package clienttest

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"testing"
)

// TestWebSocketFrames checks the hub test's websocket framing on its own: lengths at each
// boundary of the length encoding, masked and unmasked, read back unchanged.
func TestWebSocketFrames(t *testing.T) {
	for _, tc := range []struct {
		name    string
		size    int
		mask    []byte
		headLen int // bytes before the payload
	}{
		{"empty", 0, nil, 2},
		{"small", 5, nil, 2},
		{"7-bit max", 125, nil, 2},
		{"16-bit min", 126, nil, 4},
		{"16-bit max", 0xFFFF, nil, 4},
		{"64-bit", 0x10000, nil, 10},
		{"masked small", 5, []byte{1, 2, 3, 4}, 6},
		{"masked 16-bit", 300, []byte{0xff, 0, 0x55, 7}, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload := bytes.Repeat([]byte("gokernel"), tc.size/8+1)[:tc.size]
			enc := encodeFrame(opText, payload, tc.mask)
			if len(enc) != tc.headLen+tc.size {
				t.Errorf("frame length: have %d, want %d", len(enc), tc.headLen+tc.size)
			}
			if tc.mask != nil && tc.size > 0 && bytes.Equal(enc[tc.headLen:], payload) {
				t.Errorf("masked frame carries the payload in clear")
			}
			f, err := readFrame(bytes.NewReader(enc))
			if err != nil {
				t.Fatal(err)
			}
			if !f.fin || f.op != opText || !bytes.Equal(f.payload, payload) {
				t.Errorf("have fin=%v op=%d %d bytes, want a final text frame of the %d bytes sent", f.fin, f.op, len(f.payload), tc.size)
			}
		})
	}
}

// TestWebSocketMessages plays a server on a pipe: a ping between two fragments of one
// message must be answered with a pong carrying the same bytes, and the fragments joined.
func TestWebSocketMessages(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	ws := &webSocket{conn: client, r: bufio.NewReader(client)}
	pong := make(chan frame, 1)
	go func() {
		first := encodeFrame(opText, []byte(`{"a":`), nil)
		first[0] &^= 0x80 // not final
		server.Write(first)
		server.Write(encodeFrame(opPing, []byte("are you there"), nil))
		f, err := readFrame(server)
		if err == nil {
			pong <- f
		}
		server.Write(encodeFrame(opContinuation, []byte(`1}`), nil))
		server.Write(encodeFrame(opClose, nil, nil))
	}()
	op, msg, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if op != opText || string(msg) != `{"a":1}` {
		t.Errorf("message: have op %d %q, want text {\"a\":1}", op, msg)
	}
	if f := <-pong; f.op != opPong || string(f.payload) != "are you there" {
		t.Errorf("answer to ping: op %d %q, want a pong with the ping's bytes", f.op, f.payload)
	}
	if _, _, err := ws.ReadMessage(); err != errWebSocketClosed {
		t.Errorf("after a close frame: %v, want errWebSocketClosed", err)
	}
	if _, err := readFrame(strings.NewReader("\xc1\x00")); err == nil {
		t.Errorf("a frame with a reserved bit set was accepted")
	}
}
