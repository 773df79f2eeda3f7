package jupyter

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// ProtocolVersion is the messaging protocol version gokernel speaks; it goes
// in every header and in kernel_info_reply.
const ProtocolVersion = "5.4"

// Delimiter separates the routing identities from the signed part of a message.
const Delimiter = "<IDS|MSG>"

// dateLayout is ISO 8601 with microseconds and a time zone, as jupyter_client writes dates.
const dateLayout = "2006-01-02T15:04:05.000000Z07:00"

// Header is a message header. Every message has one; a reply or iopub
// message carries the header of the request that caused it as parent_header.
type Header struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"` // ISO 8601 with time zone
	MsgType  string `json:"msg_type"`
	Version  string `json:"version"`
}

// Message is one Jupyter message, decoded or about to be encoded.
//
// ParentHeader, Metadata and Content stay raw JSON so that a request header can
// be echoed byte for byte as parent_header (clients match replies by its
// msg_id and may add fields gokernel does not know), and so that the handler
// for a msg_type decides which content type to decode.
type Message struct {
	// Identities are the ZeroMQ routing frames before the delimiter. A reply
	// on a ROUTER socket must carry the request's identities; on iopub the
	// first one is the topic.
	Identities [][]byte
	Header     Header
	// RawHeader is the header exactly as received (nil for messages built here).
	RawHeader    json.RawMessage
	ParentHeader json.RawMessage // "{}" when there is no parent
	Metadata     json.RawMessage // "{}" when empty
	Content      json.RawMessage // "{}" when empty
	Buffers      [][]byte
}

// NewHeader returns a header for a new message of msgType in session, with a
// fresh msg_id and the current time.
func NewHeader(msgType, session, username string) Header {
	return Header{
		MsgID:    uuid.NewString(),
		Session:  session,
		Username: username,
		Date:     time.Now().UTC().Format(dateLayout),
		MsgType:  msgType,
		Version:  ProtocolVersion,
	}
}

// NewMessage builds a message of msgType whose parent is parent (nil: no
// parent) with content marshalled to JSON. The identities are the parent's,
// which is what a reply on a ROUTER socket needs.
func NewMessage(parent *Message, msgType, session string, content any) (*Message, error) {
	body, err := json.Marshal(content)
	if err != nil {
		return nil, fmt.Errorf("jupyter: encoding %s content: %w", msgType, err)
	}
	username := "kernel"
	msg := &Message{
		ParentHeader: json.RawMessage("{}"),
		Metadata:     json.RawMessage("{}"),
		Content:      body,
	}
	if parent != nil {
		msg.Identities = parent.Identities
		msg.ParentHeader = parent.HeaderJSON()
		if parent.Header.Username != "" {
			username = parent.Header.Username
		}
	}
	msg.Header = NewHeader(msgType, session, username)
	return msg, nil
}

// HeaderJSON returns the header as JSON: the bytes received for a decoded
// message, a fresh encoding otherwise.
func (m *Message) HeaderJSON() json.RawMessage {
	if len(m.RawHeader) > 0 {
		return m.RawHeader
	}
	b, _ := json.Marshal(m.Header) // a struct of strings always marshals
	return b
}

// DecodeContent unmarshals the content into v (a pointer to one of the
// content types of this package).
func (m *Message) DecodeContent(v any) error {
	content := m.Content
	if len(content) == 0 {
		content = json.RawMessage("{}")
	}
	if err := json.Unmarshal(content, v); err != nil {
		return fmt.Errorf("jupyter: %s content: %w", m.Header.MsgType, err)
	}
	return nil
}
