package clienttest

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// webSocket is the client end of an RFC 6455 websocket: the part a browser tab uses to
// talk to a kernel through jupyter_server's /api/kernels/ID/channels. The hub test needs
// one per simulated student, with an Authorization header (a hub token), which is why it
// is written here (the standard library has no websocket client) instead of driving a
// Python client per student. It sends text messages only (Jupyter's JSON protocol), reads
// text and binary messages, answers pings (the server drops a client that does not) and
// reassembles fragmented messages. No extensions (no compression) are asked for.
type webSocket struct {
	conn net.Conn
	r    *bufio.Reader
	wmu  sync.Mutex // a pong from the reader and a send from the user may interleave
}

// websocketGUID is the fixed string of RFC 6455 section 1.3 the accept key is made from.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// Opcodes of RFC 6455 section 5.2.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// dialWebSocket opens rawURL (ws://HOST:PORT/PATH?QUERY) with the given extra request
// headers and checks the server's handshake answer.
func dialWebSocket(rawURL string, header http.Header, timeout time.Duration) (*webSocket, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "ws" {
		return nil, fmt.Errorf("websocket %s: only ws:// is supported", rawURL)
	}
	conn, err := net.DialTimeout("tcp", u.Host, timeout)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(timeout))
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		conn.Close()
		return nil, err
	}
	key := base64.StdEncoding.EncodeToString(nonce)
	req := &http.Request{Method: "GET", URL: &url.URL{Path: u.Path, RawQuery: u.RawQuery}, Host: u.Host,
		Header: http.Header{}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Sec-WebSocket-Key", key)
	req.Header.Set("Sec-WebSocket-Version", "13")
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, err
	}
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, req)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("websocket handshake with %s: %w", u.Host, err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
		resp.Body.Close()
		conn.Close()
		return nil, fmt.Errorf("websocket %s: %s: %s", u.Path, resp.Status, body)
	}
	if got, want := resp.Header.Get("Sec-WebSocket-Accept"), acceptKey(key); got != want {
		conn.Close()
		return nil, fmt.Errorf("websocket %s: Sec-WebSocket-Accept %q, want %q", u.Path, got, want)
	}
	_ = conn.SetDeadline(time.Time{})
	return &webSocket{conn: conn, r: r}, nil
}

// acceptKey is the server's answer to a handshake key (RFC 6455 section 4.2.2).
func acceptKey(key string) string {
	sum := sha1.Sum([]byte(key + websocketGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// SendText sends one text message.
func (ws *webSocket) SendText(data []byte) error {
	return ws.writeFrame(opText, data)
}

// Close sends a close frame and closes the connection without waiting for the answer.
func (ws *webSocket) Close() error {
	_ = ws.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_ = ws.writeFrame(opClose, []byte{0x03, 0xe8}) // 1000: normal closure
	return ws.conn.Close()
}

// writeFrame writes one unfragmented frame; a client masks every frame it sends.
func (ws *webSocket) writeFrame(op byte, payload []byte) error {
	mask := make([]byte, 4)
	if _, err := rand.Read(mask); err != nil {
		return err
	}
	frame := encodeFrame(op, payload, mask)
	ws.wmu.Lock()
	defer ws.wmu.Unlock()
	_, err := ws.conn.Write(frame)
	return err
}

// encodeFrame is one final frame with opcode op; a non-nil 4-byte mask masks the payload.
func encodeFrame(op byte, payload, mask []byte) []byte {
	n := len(payload)
	frame := []byte{0x80 | op, 0}
	var maskBit byte
	if mask != nil {
		maskBit = 0x80
	}
	switch {
	case n <= 125:
		frame[1] = maskBit | byte(n)
	case n <= 0xFFFF:
		frame[1] = maskBit | 126
		frame = binary.BigEndian.AppendUint16(frame, uint16(n))
	default:
		frame[1] = maskBit | 127
		frame = binary.BigEndian.AppendUint64(frame, uint64(n))
	}
	if mask == nil {
		return append(frame, payload...)
	}
	frame = append(frame, mask...)
	start := len(frame)
	frame = append(frame, payload...)
	for i := range payload {
		frame[start+i] ^= mask[i%4]
	}
	return frame
}

// maxWebSocketMessage bounds one message; a Jupyter message here is at most a few MB
// (a cell's output is cut at the kernel's output limit, sent in many stream messages).
const maxWebSocketMessage = 64 << 20

// frame is one frame as read.
type frame struct {
	fin     bool
	op      byte
	payload []byte
}

// readFrame reads one frame, unmasking it if it is masked (servers do not mask, but the
// same reader also decodes what encodeFrame wrote, in the unit test).
func readFrame(r io.Reader) (frame, error) {
	var head [2]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return frame{}, err
	}
	f := frame{fin: head[0]&0x80 != 0, op: head[0] & 0x0F}
	if head[0]&0x70 != 0 {
		return f, errors.New("websocket: reserved bits set (no extension was negotiated)")
	}
	masked := head[1]&0x80 != 0
	n := uint64(head[1] & 0x7F)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return f, err
		}
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return f, err
		}
		n = binary.BigEndian.Uint64(ext[:])
	}
	if n > maxWebSocketMessage {
		return f, fmt.Errorf("websocket: frame of %d bytes is over the %d limit", n, maxWebSocketMessage)
	}
	var mask [4]byte
	if masked {
		if _, err := io.ReadFull(r, mask[:]); err != nil {
			return f, err
		}
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(r, f.payload); err != nil {
		return f, err
	}
	if masked {
		for i := range f.payload {
			f.payload[i] ^= mask[i%4]
		}
	}
	return f, nil
}

// errWebSocketClosed is returned by ReadMessage after the server's close frame.
var errWebSocketClosed = errors.New("websocket closed by the server")

// ReadMessage returns the next text or binary message, answering pings on the way.
func (ws *webSocket) ReadMessage() (op byte, data []byte, err error) {
	var msg []byte
	var msgOp byte
	for {
		f, err := readFrame(ws.r)
		if err != nil {
			return 0, nil, err
		}
		switch f.op {
		case opPing:
			if err := ws.writeFrame(opPong, f.payload); err != nil {
				return 0, nil, err
			}
			continue
		case opPong:
			continue
		case opClose:
			return 0, nil, errWebSocketClosed
		case opText, opBinary:
			if msgOp != 0 {
				return 0, nil, errors.New("websocket: new message inside a fragmented one")
			}
			msgOp = f.op
		case opContinuation:
			if msgOp == 0 {
				return 0, nil, errors.New("websocket: continuation frame with no message to continue")
			}
		default:
			return 0, nil, fmt.Errorf("websocket: unknown opcode %#x", f.op)
		}
		if len(msg)+len(f.payload) > maxWebSocketMessage {
			return 0, nil, errors.New("websocket: message over the size limit")
		}
		msg = append(msg, f.payload...)
		if f.fin {
			return msgOp, msg, nil
		}
	}
}
