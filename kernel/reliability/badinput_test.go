package reliability

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/bench"
	"github.com/gokernel/gokernel/kernel/jupyter"
)

// badMessage builds the frames of one kind of bad message. msgID is the
// id its header carries (if it has one), so that any answer to it can be
// caught.
type badMessage struct {
	name string
	// build returns the frames and the msg_id their header carries ("" if none).
	build func(s *session) (frames [][]byte, msgID string)
	// mustNotAct: the kernel must neither reply nor run anything for it.
	mustNotAct bool
	// mustRefuse: the kernel may answer with an error or not at all, but
	// must not run it as if it were fine.
	mustRefuse bool
}

// signedFrames returns the signed frames of an execute_request printing
// marker, and its msg_id.
func signedExecute(s *session, marker string) ([][]byte, string) {
	m, err := s.c.NewRequest("execute_request", bench.ExecuteContent(fmt.Sprintf("fmt.Println(%q)", marker)))
	if err != nil {
		s.t.Fatal(err)
	}
	return jupyter.Encode(m, s.c.Signer()), m.Header.MsgID
}

// resign recomputes the signature of frames [delimiter, sig, h, p, m, c].
func resign(s *session, frames [][]byte) [][]byte {
	frames[1] = []byte(s.c.Signer().Sign(frames[2], frames[3], frames[4], frames[5]))
	return frames
}

var badMessages = []badMessage{
	{name: "unsigned", mustNotAct: true, build: func(s *session) ([][]byte, string) {
		f, id := signedExecute(s, "UNSIGNED-RAN")
		f[1] = nil
		return f, id
	}},
	{name: "wrongly signed", mustNotAct: true, build: func(s *session) ([][]byte, string) {
		f, id := signedExecute(s, "WRONG-SIGNATURE-RAN")
		f[1] = []byte(jupyter.NewSigner([]byte("not the key")).Sign(f[2], f[3], f[4], f[5]))
		return f, id
	}},
	{name: "signature of another message", mustNotAct: true, build: func(s *session) ([][]byte, string) {
		f, id := signedExecute(s, "SWAPPED-SIGNATURE-RAN")
		other, _ := signedExecute(s, "other")
		f[1] = other[1]
		return f, id
	}},
	{name: "no delimiter", build: func(s *session) ([][]byte, string) {
		return [][]byte{[]byte("just one frame")}, ""
	}},
	{name: "delimiter only", build: func(s *session) ([][]byte, string) {
		return [][]byte{[]byte(jupyter.Delimiter)}, ""
	}},
	{name: "three frames after the delimiter", build: func(s *session) ([][]byte, string) {
		f, id := signedExecute(s, "SHORT-RAN")
		return f[:4], id
	}},
	{name: "header is not JSON (signed)", build: func(s *session) ([][]byte, string) {
		f, _ := signedExecute(s, "x")
		f[2] = []byte("{not json")
		return resign(s, f), ""
	}},
	{name: "header without msg_type (signed)", build: func(s *session) ([][]byte, string) {
		f, id := signedExecute(s, "x")
		f[2] = []byte(fmt.Sprintf(`{"msg_id":%q,"session":"s","username":"u","date":"2026-01-01T00:00:00Z","version":"5.4"}`, id))
		return resign(s, f), id
	}},
	{name: "content is an array (signed)", build: func(s *session) ([][]byte, string) {
		f, id := signedExecute(s, "x")
		f[5] = []byte("[1,2,3]")
		return resign(s, f), id
	}},
	{name: "code is a number (signed)", build: func(s *session) ([][]byte, string) {
		f, id := signedExecute(s, "x")
		f[5] = []byte(`{"code": 42, "silent": "yes"}`)
		return resign(s, f), id
	}},
	{name: "parent_header is a string (signed)", build: func(s *session) ([][]byte, string) {
		f, id := signedExecute(s, "x")
		f[3] = []byte(`"parent"`)
		return resign(s, f), id
	}},
	{name: "invalid UTF-8 everywhere (signed)", build: func(s *session) ([][]byte, string) {
		f, _ := signedExecute(s, "x")
		for i := 2; i < 6; i++ {
			f[i] = []byte{0xff, 0xfe, '{', 0xc3}
		}
		return resign(s, f), ""
	}},
	{name: "unknown msg_type (signed)", build: func(s *session) ([][]byte, string) {
		m, err := s.c.NewRequest("no_such_request", map[string]any{"x": 1})
		if err != nil {
			s.t.Fatal(err)
		}
		return jupyter.Encode(m, s.c.Signer()), m.Header.MsgID
	}},
	{name: "100 MB of code (signed)", mustRefuse: true, build: func(s *session) ([][]byte, string) {
		code := "// " + strings.Repeat("x", 100<<20) + "\nfmt.Println(\"HUGE-RAN\")"
		m, err := s.c.NewRequest("execute_request", bench.ExecuteContent(code))
		if err != nil {
			s.t.Fatal(err)
		}
		return jupyter.Encode(m, s.c.Signer()), m.Header.MsgID
	}},
}

// TestBadMessages sends each kind of bad message on shell and then a normal
// execute, which must work. Messages that fail the signature check must not
// be acted on at all.
func TestBadMessages(t *testing.T) {
	s := start(t, startOptions{})
	s.hello(2 * time.Minute) // the first cell may wait for the cache warm-up
	// A normal cell logs nothing at the default level, so every line
	// written while a bad message and the next hello are handled is about
	// the bad message.
	mark := s.logMark()
	s.hello(time.Minute)
	if lines := s.logSince(mark); len(lines) != 0 {
		t.Fatalf("a normal cell logged %d lines at the default level; the per-message line count needs none:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	defer func() {
		if strings.Contains(s.k.Output(), s.k.Info.Key) {
			t.Errorf("the kernel's log contains the signing key after the bad messages")
		}
	}()
	for _, bm := range badMessages {
		t.Run(bm.name, func(t *testing.T) {
			s.t = t
			frames, msgID := bm.build(s)
			mark := s.logMark()
			var bad *bench.Call
			if msgID != "" {
				bad = s.c.Track(msgID)
				defer s.c.Forget(bad)
			}
			start := time.Now()
			if err := s.c.SendFrames(bench.Shell, frames); err != nil {
				t.Fatal(err)
			}
			// The kernel reads shell in order: once the next execute is
			// answered, the bad message has been dealt with.
			s.hello(time.Minute)
			answered := "no answer"
			if bad != nil {
				time.Sleep(100 * time.Millisecond)
				snap := bad.Snapshot()
				if snap.Replies > 0 {
					r, _ := bad.ExecuteReply()
					answered = fmt.Sprintf("answered %s", strings.TrimSpace(r.Status+" "+r.Ename))
					if r.Status == "" {
						answered = "answered " + bad.ReplyMessage().Header.MsgType
					}
				}
				if r, _ := bad.ExecuteReply(); bm.mustRefuse && r.Status == "ok" {
					t.Errorf("the kernel ran a %s message and answered ok, want it refused or answered with an error (issue 9)", bm.name)
				}
				if bm.mustNotAct && (snap.Replies > 0 || !snap.BusyAt.IsZero() || bad.Stdout() != "") {
					t.Errorf("the kernel acted on a message with a bad signature: %d replies, busy=%v, stdout %q",
						snap.Replies, !snap.BusyAt.IsZero(), bad.Stdout())
				}
			}
			if !bench.Alive(s.k.PID()) {
				t.Fatalf("kernel died\nlog:\n%s", s.k.Output())
			}
			lines := s.logSince(mark)
			if len(lines) != 1 {
				t.Errorf("have %d log lines about a %s message, want exactly 1 (issue 9: logged once):\n%s", len(lines), bm.name, strings.Join(lines, "\n"))
			}
			for _, l := range lines {
				t.Logf("log: %.300s", l)
			}
			longest := 0
			for _, l := range lines {
				longest = max(longest, len(l))
			}
			if longest > 1000 {
				t.Errorf("a log line about a %s message is %d bytes long, want the message summarised, not copied", bm.name, longest)
			}
			st, err := bench.ReadProcStatus(s.k.PID())
			if err != nil {
				t.Fatal(err)
			}
			figure(t, "bad message %q: %s, %d log line(s), next execute ok after %v, kernel RSS %.0f MB (peak %.0f MB)",
				bm.name, answered, len(lines), time.Since(start).Round(time.Millisecond), mb(st.RSS), mb(st.PeakRSS))
		})
	}
}

// TestReplayedMessage sends the same signed execute_request twice: the
// second copy is a replay (same msg_id and signature) and must not run.
func TestReplayedMessage(t *testing.T) {
	s := start(t, startOptions{})
	frames, msgID := signedExecute(s, "REPLAYED")
	call := s.c.Track(msgID)
	defer s.c.Forget(call)
	if err := s.c.SendFrames(bench.Shell, frames); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := call.Wait(ctx); err != nil {
		t.Fatalf("first copy: %v\nlog:\n%s", err, s.k.Output())
	}
	mark := s.logMark()
	if err := s.c.SendFrames(bench.Shell, frames); err != nil {
		t.Fatal(err)
	}
	s.hello(time.Minute)
	time.Sleep(100 * time.Millisecond)
	lines := s.logSince(mark)
	if len(lines) != 1 {
		t.Errorf("have %d log lines about the replay, want exactly 1 (issue 9: logged once):\n%s", len(lines), strings.Join(lines, "\n"))
	}
	have := call.Snapshot().Replies
	if have != 1 {
		t.Errorf("have %d execute_replies to one msg_id sent twice, want 1 (the replay must be refused)", have)
	}
	figure(t, "replayed execute_request: %d of 2 copies answered, %d log line(s) about the replay", have, len(lines))
}

// TestKeyNeverLogged checks that the connection key appears nowhere in what
// the kernel writes, even after bad signatures, at the default log level
// and at debug (GOKERNEL_LOG=debug, which logs every message's details).
func TestKeyNeverLogged(t *testing.T) {
	for _, level := range []string{"", "debug"} {
		t.Run("GOKERNEL_LOG="+level, func(t *testing.T) {
			s := start(t, startOptions{env: []string{"GOKERNEL_LOG=" + level}})
			f, _ := signedExecute(s, "x")
			f[1] = []byte("00")
			s.c.SendFrames(bench.Shell, f)
			wrong, _ := signedExecute(s, "y")
			wrong[1] = []byte(jupyter.NewSigner([]byte("not the key")).Sign(wrong[2], wrong[3], wrong[4], wrong[5]))
			s.c.SendFrames(bench.Shell, wrong)
			s.hello(2 * time.Minute)
			key := s.k.Info.Key
			logged := strings.Contains(s.k.Output(), key)
			if logged {
				t.Errorf("the kernel's log contains the signing key")
			}
			figure(t, "signing key in kernel log (GOKERNEL_LOG=%q): %v (log %d bytes)", level, logged, len(s.k.Output()))
		})
	}
}
