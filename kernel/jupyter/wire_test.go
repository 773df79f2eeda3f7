package jupyter

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// signedFrames builds wire frames by hand (not through Encode) so the tests
// check Encode and Decode against the protocol, not against each other.
func signedFrames(key string, ids []string, header, parent, metadata, content string, sig string) [][]byte {
	var frames [][]byte
	for _, id := range ids {
		frames = append(frames, []byte(id))
	}
	if sig == "auto" {
		sig = NewSigner([]byte(key)).Sign([]byte(header), []byte(parent), []byte(metadata), []byte(content))
	}
	return append(frames, []byte(Delimiter), []byte(sig), []byte(header), []byte(parent), []byte(metadata), []byte(content))
}

const testHeader = `{"msg_id":"m1","session":"s1","username":"u","date":"2026-01-02T03:04:05.000006Z","msg_type":"execute_request","version":"5.4"}`

func TestSignerKnownAnswer(t *testing.T) {
	// HMAC-SHA256("key", "abcd") computed independently with Python's hmac module.
	const want = "2a31ec0ee8d878c9eece9fb0df79b3b90b2256240163aa5ee50d176d3d1121f8"
	s := NewSigner([]byte("key"))
	frames := [][]byte{[]byte("a"), []byte("b"), []byte("c"), []byte("d")}
	if have := s.Sign(frames[0], frames[1], frames[2], frames[3]); have != want {
		t.Fatalf("Sign: have %s want %s", have, want)
	}
	tests := []struct {
		sig  string
		want bool
	}{
		{want, true},
		{strings.ToUpper(want), true}, // hex case does not matter
		{want[:62], false},
		{want[:63] + "0", false},
		{"", false},
	}
	for _, tt := range tests {
		if have := s.Verify([]byte(tt.sig), frames[0], frames[1], frames[2], frames[3]); have != tt.want {
			t.Errorf("Verify(%q): have %v want %v", tt.sig, have, tt.want)
		}
	}
}

func TestDecode(t *testing.T) {
	const key = "secret"
	tests := []struct {
		name    string
		key     string
		frames  [][]byte
		wantErr error
		wantIDs int
		want    string // expected msg_type when no error
	}{
		{"signed ok", key, signedFrames(key, []string{"id1"}, testHeader, "{}", "{}", `{"code":"1"}`, "auto"), nil, 1, "execute_request"},
		{"two identities", key, signedFrames(key, []string{"a", "b"}, testHeader, "{}", "{}", "{}", "auto"), nil, 2, "execute_request"},
		{"no identity", key, signedFrames(key, nil, testHeader, "{}", "{}", "{}", "auto"), nil, 0, "execute_request"},
		{"unsigned with key", key, signedFrames(key, []string{"id"}, testHeader, "{}", "{}", "{}", ""), ErrBadSignature, 0, ""},
		{"wrong key", key, signedFrames("other", []string{"id"}, testHeader, "{}", "{}", "{}", "auto"), ErrBadSignature, 0, ""},
		{"not hex", key, signedFrames(key, []string{"id"}, testHeader, "{}", "{}", "{}", "zz"), ErrBadSignature, 0, ""},
		{"tampered content", key, func() [][]byte {
			f := signedFrames(key, []string{"id"}, testHeader, "{}", "{}", `{"code":"1"}`, "auto")
			f[len(f)-1] = []byte(`{"code":"2"}`)
			return f
		}(), ErrBadSignature, 0, ""},
		{"empty key accepts unsigned", "", signedFrames("", []string{"id"}, testHeader, "{}", "{}", "{}", ""), nil, 1, "execute_request"},
		{"empty key ignores signature", "", signedFrames("", []string{"id"}, testHeader, "{}", "{}", "{}", "abcd"), nil, 1, "execute_request"},
		{"no delimiter", key, [][]byte{[]byte("id"), []byte("x")}, ErrNoDelimiter, 0, ""},
		{"short", key, [][]byte{[]byte(Delimiter), []byte("sig"), []byte("{}")}, ErrShortMessage, 0, ""},
		{"header not json", "", signedFrames("", nil, `{"msg_type":`, "{}", "{}", "{}", ""), ErrBadHeader, 0, ""},
		{"header no type", "", signedFrames("", nil, `{"msg_id":"x"}`, "{}", "{}", "{}", ""), ErrBadHeader, 0, ""},
		{"content array", "", signedFrames("", nil, testHeader, "{}", "{}", "[]", ""), ErrNotObject, 0, ""},
		{"metadata string", "", signedFrames("", nil, testHeader, "{}", `"x"`, "{}", ""), ErrNotObject, 0, ""},
		{"parent not json", "", signedFrames("", nil, testHeader, "{", "{}", "{}", ""), ErrNotObject, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := Decode(tt.frames, NewSigner([]byte(tt.key)))
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("have error %v, want %v", err, tt.wantErr)
				}
				return
			case err != nil:
				t.Fatalf("have error %v, want none", err)
			}
			if msg.Header.MsgType != tt.want {
				t.Errorf("msg_type: have %q want %q", msg.Header.MsgType, tt.want)
			}
			if len(msg.Identities) != tt.wantIDs {
				t.Errorf("identities: have %d want %d", len(msg.Identities), tt.wantIDs)
			}
		})
	}
}

func TestEncodeWireLayout(t *testing.T) {
	signer := NewSigner([]byte("k"))
	parent, err := Decode(signedFrames("k", []string{"peer"}, testHeader, "{}", "{}", "{}", "auto"), signer)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := NewMessage(parent, "execute_reply", "kernel-session", ExecuteReply{Status: StatusOK, ExecutionCount: 3})
	if err != nil {
		t.Fatal(err)
	}
	reply.Buffers = [][]byte{[]byte("buf")}
	frames := Encode(reply, signer)
	if len(frames) != 8 {
		t.Fatalf("frames: have %d want 8 (id, delim, sig, 4 json, 1 buffer)", len(frames))
	}
	checks := []struct {
		name string
		have []byte
		want []byte
	}{
		{"identity", frames[0], []byte("peer")},
		{"delimiter", frames[1], []byte(Delimiter)},
		{"parent_header is the request header verbatim", frames[4], []byte(testHeader)},
		{"metadata", frames[5], []byte("{}")},
		{"buffer", frames[7], []byte("buf")},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !bytes.Equal(c.have, c.want) {
				t.Errorf("have %q want %q", c.have, c.want)
			}
		})
	}
	t.Run("signature", func(t *testing.T) {
		if !signer.Verify(frames[2], frames[3], frames[4], frames[5], frames[6]) {
			t.Errorf("signature %q does not verify", frames[2])
		}
	})
	t.Run("header", func(t *testing.T) {
		var h Header
		if err := json.Unmarshal(frames[3], &h); err != nil {
			t.Fatal(err)
		}
		if h.MsgType != "execute_reply" || h.Session != "kernel-session" || h.Version != ProtocolVersion || h.MsgID == "" || h.Username != "u" {
			t.Errorf("have header %+v", h)
		}
		d, err := time.Parse(time.RFC3339Nano, h.Date)
		if err != nil {
			t.Fatalf("date %q is not ISO 8601 with zone: %v", h.Date, err)
		}
		if !strings.HasSuffix(h.Date, "Z") || time.Since(d) > time.Minute {
			t.Errorf("date %q: want current UTC time with Z", h.Date)
		}
	})
	t.Run("round trip", func(t *testing.T) {
		back, err := Decode(frames, signer)
		if err != nil {
			t.Fatal(err)
		}
		var c ExecuteReply
		if err := back.DecodeContent(&c); err != nil {
			t.Fatal(err)
		}
		if c.ExecutionCount != 3 || c.Status != StatusOK || len(back.Buffers) != 1 {
			t.Errorf("have %+v, %d buffers", c, len(back.Buffers))
		}
	})
}

func TestExecuteRequestDefaults(t *testing.T) {
	tests := []struct {
		content                                 string
		wantHistory, wantStdin, wantStopOnError bool
	}{
		{`{"code":"x"}`, true, true, true},
		{`{"code":"x","silent":true}`, false, true, true},
		{`{"code":"x","silent":true,"store_history":true}`, true, true, true},
		{`{"code":"x","store_history":false,"allow_stdin":false,"stop_on_error":false}`, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.content, func(t *testing.T) {
			var r ExecuteRequest
			if err := json.Unmarshal([]byte(tt.content), &r); err != nil {
				t.Fatal(err)
			}
			have := [3]bool{r.WantsHistory(), r.WantsStdin(), r.WantsStopOnError()}
			want := [3]bool{tt.wantHistory, tt.wantStdin, tt.wantStopOnError}
			if have != want {
				t.Errorf("history/stdin/stop_on_error: have %v want %v", have, want)
			}
		})
	}
}

// FuzzDecode checks that no input makes Decode panic, and that whatever it
// accepts re-encodes to frames it accepts again with the same header.
func FuzzDecode(f *testing.F) {
	for _, frames := range [][][]byte{
		signedFrames("k", []string{"id"}, testHeader, "{}", "{}", `{"code":"print(1)"}`, "auto"),
		signedFrames("k", nil, testHeader, testHeader, `{"a":1}`, "{}", "auto"),
		signedFrames("k", []string{"id"}, `{"msg_type":"x"}`, "{}", "{}", "{}", "deadbeef"),
	} {
		f.Add(joinFrames(frames), "k")
	}
	f.Fuzz(func(t *testing.T, wire []byte, key string) {
		signer := NewSigner([]byte(key))
		msg, err := Decode(splitFrames(wire), signer)
		if err != nil {
			return
		}
		back, err := Decode(Encode(msg, signer), signer)
		if err != nil {
			t.Fatalf("re-decoding an accepted message: %v", err)
		}
		if back.Header != msg.Header {
			t.Fatalf("header changed: have %+v want %+v", back.Header, msg.Header)
		}
	})
}

// The fuzzer works on one byte string; frames are separated by a 0xff 0x00
// pair, which JSON text never contains.
var frameSep = []byte{0xff, 0x00}

func joinFrames(frames [][]byte) []byte { return bytes.Join(frames, frameSep) }
func splitFrames(b []byte) [][]byte     { return bytes.Split(b, frameSep) }
