package jupyter

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
)

// Errors returned by Decode, wrapped; callers branch with errors.Is.
var (
	// ErrNoDelimiter means the frames contain no "<IDS|MSG>".
	ErrNoDelimiter = errors.New("no <IDS|MSG> delimiter")
	// ErrShortMessage means fewer than the five frames that follow the delimiter.
	ErrShortMessage = errors.New("fewer than 5 frames after the delimiter")
	// ErrBadSignature means the signature is missing or does not match the key.
	ErrBadSignature = errors.New("missing or invalid signature")
	// ErrBadHeader means the header is not a JSON object with a msg_type.
	ErrBadHeader = errors.New("malformed header")
	// ErrNotObject means the parent_header, metadata or content frame is not
	// a JSON object.
	ErrNotObject = errors.New("not a JSON object")
)

// Signer computes and checks HMAC-SHA256 signatures with a connection key.
// The zero value (empty key) signs nothing and accepts every signature, as
// the protocol says for an empty key.
type Signer struct {
	key []byte
}

// NewSigner returns a Signer for key.
func NewSigner(key []byte) *Signer {
	return &Signer{key: bytes.Clone(key)}
}

// Enabled reports whether messages are signed (the key is not empty).
func (s *Signer) Enabled() bool { return s != nil && len(s.key) > 0 }

// Sign returns the hex signature of the four signed frames, or "" when
// signing is disabled.
func (s *Signer) Sign(header, parent, metadata, content []byte) string {
	if !s.Enabled() {
		return ""
	}
	return hex.EncodeToString(s.mac(header, parent, metadata, content).Sum(nil))
}

// Verify reports whether signature is right for the four signed frames. It
// compares in constant time so the time taken says nothing about the key.
func (s *Signer) Verify(signature, header, parent, metadata, content []byte) bool {
	if !s.Enabled() {
		return true
	}
	got := make([]byte, hex.DecodedLen(len(signature)))
	if _, err := hex.Decode(got, signature); err != nil {
		return false
	}
	return hmac.Equal(got, s.mac(header, parent, metadata, content).Sum(nil))
}

func (s *Signer) mac(frames ...[]byte) hash.Hash {
	m := hmac.New(sha256.New, s.key)
	for _, f := range frames {
		m.Write(f)
	}
	return m
}

// Encode turns msg into wire frames: identities, delimiter, signature,
// header, parent_header, metadata, content, buffers.
func Encode(msg *Message, signer *Signer) [][]byte {
	header := msg.HeaderJSON()
	parent := orEmptyObject(msg.ParentHeader)
	metadata := orEmptyObject(msg.Metadata)
	content := orEmptyObject(msg.Content)
	frames := make([][]byte, 0, len(msg.Identities)+6+len(msg.Buffers))
	frames = append(frames, msg.Identities...)
	frames = append(frames,
		[]byte(Delimiter),
		[]byte(signer.Sign(header, parent, metadata, content)),
		header, parent, metadata, content)
	return append(frames, msg.Buffers...)
}

// Decode parses wire frames into a message and checks its signature. The
// error wraps ErrNoDelimiter, ErrShortMessage, ErrBadSignature, ErrBadHeader
// or ErrNotObject. Decode never panics on any input (see FuzzDecode).
func Decode(frames [][]byte, signer *Signer) (*Message, error) {
	delim := -1
	for i, f := range frames {
		if string(f) == Delimiter {
			delim = i
			break
		}
	}
	if delim < 0 {
		return nil, fmt.Errorf("jupyter: decode: %w", ErrNoDelimiter)
	}
	signed := frames[delim+1:]
	if len(signed) < 5 {
		return nil, fmt.Errorf("jupyter: decode: %w (have %d)", ErrShortMessage, len(signed))
	}
	signature, header, parent, metadata, content := signed[0], signed[1], signed[2], signed[3], signed[4]
	if !signer.Verify(signature, header, parent, metadata, content) {
		return nil, fmt.Errorf("jupyter: decode: %w", ErrBadSignature)
	}
	msg := &Message{
		Identities:   frames[:delim],
		RawHeader:    json.RawMessage(bytes.Clone(header)),
		ParentHeader: json.RawMessage(bytes.Clone(parent)),
		Metadata:     json.RawMessage(bytes.Clone(metadata)),
		Content:      json.RawMessage(bytes.Clone(content)),
		Buffers:      signed[5:],
	}
	if err := json.Unmarshal(header, &msg.Header); err != nil {
		return nil, fmt.Errorf("jupyter: decode: %w: %w", ErrBadHeader, err)
	}
	if msg.Header.MsgType == "" {
		return nil, fmt.Errorf("jupyter: decode: %w: empty msg_type", ErrBadHeader)
	}
	for name, frame := range map[string][]byte{"parent_header": parent, "metadata": metadata, "content": content} {
		if !isJSONObject(frame) {
			return nil, fmt.Errorf("jupyter: decode %s: %s: %w", msg.Header.MsgType, name, ErrNotObject)
		}
	}
	return msg, nil
}

func orEmptyObject(b json.RawMessage) []byte {
	if len(b) == 0 {
		return []byte("{}")
	}
	return b
}

func isJSONObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}
