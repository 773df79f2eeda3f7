package transport

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// zmtpStream builds what a client sends: a greeting, a READY command, then frames.
func zmtpStream(frames ...[]byte) []byte {
	var b bytes.Buffer
	b.Write(make([]byte, zmtpGreetingLen))
	ready := append([]byte("\x05READY"), "\x0bSocket-Type\x00\x00\x00\x03SUB"...)
	b.Write(append([]byte{zmtpCommand, byte(len(ready))}, ready...))
	for _, f := range frames {
		b.Write(f)
	}
	return b.Bytes()
}

func shortFrame(flags byte, body string) []byte {
	return append([]byte{flags, byte(len(body))}, body...)
}

func longFrame(flags byte, body string) []byte {
	h := make([]byte, 9)
	h[0] = flags | zmtpLong
	binary.BigEndian.PutUint64(h[1:], uint64(len(body)))
	return append(h, body...)
}

func TestZMTPFramesFindSubscriptions(t *testing.T) {
	tests := []struct {
		name   string
		stream []byte
		want   int
	}{
		{"nothing after the handshake", zmtpStream(), 0},
		{"ZMTP 3.0 subscription to everything", zmtpStream(shortFrame(0, "\x01")), 1},
		{"subscription to a topic", zmtpStream(shortFrame(0, "\x01kernel.")), 1},
		{"unsubscription", zmtpStream(shortFrame(0, "\x00")), 0},
		{"two subscriptions", zmtpStream(shortFrame(0, "\x01a"), shortFrame(0, "\x01b")), 2},
		{"ZMTP 3.1 SUBSCRIBE command", zmtpStream(shortFrame(zmtpCommand, "\x09SUBSCRIBE")), 1},
		{"another command", zmtpStream(shortFrame(zmtpCommand, "\x04PING\x00\x00")), 0},
		{"a long frame, then a subscription", zmtpStream(longFrame(0, string(bytes.Repeat([]byte{1}, 300))), shortFrame(0, "\x01")), 2},
		{"a two-part message of other bytes", zmtpStream(shortFrame(zmtpMore, "x"), shortFrame(0, "y")), 0},
		{"an empty frame", zmtpStream(shortFrame(0, ""), shortFrame(0, "\x01")), 1},
		{"not ZMTP: stops, no panic", append(make([]byte, zmtpGreetingLen), 0xff, 1, 2, 3, 1), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Fed whole, and cut in two at every offset: reads arrive in any pieces.
			for cut := 0; cut <= len(tt.stream); cut++ {
				got := 0
				z := zmtpFrames{greeting: zmtpGreetingLen, onSubscribe: func() { got++ }}
				z.feed(tt.stream[:cut])
				z.feed(tt.stream[cut:])
				if got != tt.want {
					t.Fatalf("cut at %d: %d subscriptions, want %d", cut, got, tt.want)
				}
			}
		})
	}
}

func FuzzZMTPFrames(f *testing.F) {
	f.Add(zmtpStream(shortFrame(0, "\x01")))
	f.Add(zmtpStream(longFrame(zmtpCommand, "\x09SUBSCRIBEx")))
	f.Fuzz(func(t *testing.T, data []byte) {
		z := zmtpFrames{greeting: zmtpGreetingLen, onSubscribe: func() {}}
		for len(data) > 0 { // in pieces of 7: any split must be safe
			n := min(7, len(data))
			z.feed(data[:n])
			data = data[n:]
		}
	})
}
