package engine

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/nb/wire"
)

const framesProgram = `//line cell10.go:1:1
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"time"
)

func frame(f map[string]any) string {
	b, _ := json.Marshal(f)
	return "\x1b]gokernel;" + string(b) + "\x07"
}

func main() {
	fmt.Print("before ")
	fmt.Print(frame(map[string]any{"kind": "display", "data": map[string]any{"text/plain": "shown"}, "display_id": "d1"}))
	fmt.Println("after")
	// A frame split across two writes, with colour codes and \r around it.
	f := frame(map[string]any{"kind": "clear", "wait": true})
	os.Stdout.WriteString("\x1b[31mred\x1b[0m\r" + f[:5])
	time.Sleep(30 * time.Millisecond)
	os.Stdout.WriteString(f[5:] + "done\n")
	go func() { select {} }()
	time.Sleep(10 * time.Millisecond)
	buf := make([]byte, 1<<16)
	stack := string(buf[:runtime.Stack(buf, true)])
	fmt.Print(frame(map[string]any{"kind": "result", "data": map[string]any{"text/plain": "42"}}))
	fmt.Print(frame(map[string]any{"kind": "leftover", "count": 1, "stack": stack}))
}
`

func TestRunFrames(t *testing.T) {
	bin := buildProgram(t, t.TempDir(), "frames", framesProgram, false)
	out := &recordingOutput{}
	result, err := run(context.Background(), runSpec{Binary: bin}, out)
	if err != nil {
		t.Fatal(err)
	}
	if result["text/plain"] != "42" {
		t.Errorf("result: have %v, want text/plain 42", result)
	}
	var kinds []string
	for _, e := range out.events {
		k := e.Kind
		if k == "stream" {
			k += ":" + e.Text
		}
		kinds = append(kinds, k)
	}
	have := strings.Join(kinds, "|")
	want := "stream:before |display|stream:after\n\x1b[31mred\x1b[0m\r|clear|stream:done\n"
	if !strings.HasPrefix(have, want) {
		t.Errorf("order: have %q, want it to start with %q", have, want)
	}
	stderr := out.text("stderr")
	for _, w := range []string{"1 goroutine still running when the cell finished:", "cell [10] line 25  in func literal in main", "sync.WaitGroup"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("leftover warning lacks %q:\n%s", w, stderr)
		}
	}
}

func TestStreamSinkText(t *testing.T) {
	euro := "€" // 3 bytes
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"utf8 split across writes", []string{"a" + euro[:1], euro[1:2], euro[2:] + "b"}, "a€b"},
		{"invalid utf8 replaced", []string{"x\xff\xfey"}, "x\uFFFDy"},
		{"incomplete at end replaced", []string{"z" + euro[:2]}, "z\uFFFD"},
		{"carriage return and colours pass", []string{"10%\r\x1b[32m20%\x1b[0m\r"}, "10%\r\x1b[32m20%\x1b[0m\r"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := &recordingOutput{}
			s := newStreamSink(out, -1)
			for _, w := range tc.writes {
				s.write(stdoutStream, []byte(w))
			}
			s.close()
			if got := out.text("stdout"); got != tc.want {
				t.Errorf("have %q, want %q", got, tc.want)
			}
			for _, e := range out.eventsOf("stream") {
				if !strings.HasPrefix(e.Text, "\uFFFD") && strings.ContainsRune(e.Text, '\uFFFD') && tc.want == "a€b" {
					t.Errorf("a message split a character: %q", e.Text)
				}
			}
		})
	}
}

func TestStreamSinkOutputLimit(t *testing.T) {
	out := &recordingOutput{}
	s := newStreamSink(out, 10)
	s.write(stdoutStream, []byte("12345678€€€"))
	s.write(stderrStream, []byte("more"))
	s.close()
	if got := out.text("stdout"); got != "12345678" {
		t.Errorf("stdout: have %q, want the first 8 bytes (a cut never splits €)", got)
	}
	stderr := out.text("stderr")
	if !strings.Contains(stderr, "output limit of 10 bytes reached") || !strings.Contains(stderr, "13 bytes of output dropped") {
		t.Errorf("stderr: have %q, want the limit notes with 13 bytes dropped", stderr)
	}
}

func TestStreamSinkValueLimit(t *testing.T) {
	tests := []struct {
		name    string
		limit   int64
		printed string // before the value
		value   string
		want    string // the value's text as shown ("" with a note when cut)
		cut     bool
	}{
		{name: "fits", limit: 20, printed: "12345", value: "[1 2 3]", want: "[1 2 3]"},
		{name: "cut at the room left, on a character boundary", limit: 10, printed: "12345", value: "ab€€€", want: "ab€", cut: true},
		{name: "no room left", limit: 5, printed: "12345", value: "[0 0]", want: "", cut: true},
		{name: "unlimited", limit: -1, printed: "12345", value: strings.Repeat("x", 100), want: strings.Repeat("x", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStreamSink(&recordingOutput{}, tt.limit)
			defer s.close()
			s.write(stdoutStream, []byte(tt.printed))
			data := s.limitBundle(map[string]any{"text/plain": tt.value, "image/png": "AAAA"})
			have := data["text/plain"].(string)
			shown, note, cut := strings.Cut(have, "\n[")
			if shown != tt.want || cut != tt.cut {
				t.Errorf("have %q, want %q (cut %v)", have, tt.want, tt.cut)
			}
			if cut && !strings.Contains(note, "more of this value not shown") {
				t.Errorf("note: have %q", note)
			}
			if data["image/png"] != "AAAA" {
				t.Errorf("rich form changed: %v", data["image/png"])
			}
		})
	}
}

func TestStdoutParserSplitEverywhere(t *testing.T) {
	display := `{"kind":"display","data":{"text/plain":"hi"}}`
	stream := "a\x1b[1mb" + wire.FrameStart + display + wire.FrameEnd + "c\x1b]x\x07d"
	for cut := 0; cut <= len(stream); cut++ {
		out := &recordingOutput{}
		s := newStreamSink(out, -1)
		var frames []wire.Frame
		p := &stdoutParser{sink: s, onFrame: func(f wire.Frame) { s.flush(); frames = append(frames, f) }}
		p.feed([]byte(stream[:cut]))
		p.feed([]byte(stream[cut:]))
		p.close()
		s.close()
		if got := out.text("stdout"); got != "a\x1b[1mbc\x1b]x\x07d" {
			t.Fatalf("cut at %d: text have %q", cut, got)
		}
		if len(frames) != 1 || frames[0].Data["text/plain"] != "hi" {
			t.Fatalf("cut at %d: frames have %+v", cut, frames)
		}
	}
}

func TestStderrFilter(t *testing.T) {
	tests := []struct {
		name      string
		chunks    []string
		wantText  string
		wantCrash string
		wantRaces int
	}{
		{"plain lines and partial progress", []string{"warn 1\n", "\r50%", "\r100%\n"}, "warn 1\n\r50%\r100%\n", "", 0},
		{"panic kept", []string{"before\n", "pan", "ic: boom\n\ngoroutine 1 [running]:\n"}, "before\n", "panic: boom\n\ngoroutine 1 [running]:\n", 0},
		{"separator that is not a race", []string{"==================\n", "title\n"}, "==================\ntitle\n", "", 0},
		{"race report kept", []string{"x\n==================\nWARNING: DATA RACE\nRead at 0x1 by goroutine 7:\n==================\nFound 1 data race(s)\n"}, "x\n", "", 1},
		{"mid-line text is never a dump", []string{"value: ", "panic: no\n"}, "value: panic: no\n", "", 0},
		{"a child process's panic report streams", []string{"panic: boom\nin child process panics (pid 5), which exits with status 2:\n    cell [10] line 3  in panics\n"},
			"panic: boom\nin child process panics (pid 5), which exits with status 2:\n    cell [10] line 3  in panics\n", "", 0},
		{"the program's panic after a child's", []string{"panic: a\nin child process f (pid 5), which exits with status 2:\npanic: b\n\ngoroutine 1 [running]:\n"},
			"panic: a\nin child process f (pid 5), which exits with status 2:\n", "panic: b\n\ngoroutine 1 [running]:\n", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := &recordingOutput{}
			s := newStreamSink(out, -1)
			f := &stderrFilter{sink: s}
			for _, c := range tc.chunks {
				f.feed([]byte(c))
			}
			f.close()
			s.close()
			if got := out.text("stderr"); got != tc.wantText {
				t.Errorf("streamed: have %q, want %q", got, tc.wantText)
			}
			if got := f.crash.String(); got != tc.wantCrash {
				t.Errorf("crash: have %q, want %q", got, tc.wantCrash)
			}
			if len(f.races) != tc.wantRaces {
				t.Errorf("races: have %d, want %d", len(f.races), tc.wantRaces)
			}
		})
	}
}

// floodProgram prints 100 MB to stdout in 64 KB writes.
const floodProgram = `//line cell11.go:1:1
package main

import (
	"bytes"
	"os"
)

func main() {
	line := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	for i := 0; i < 1600; i++ {
		os.Stdout.Write(line)
	}
}
`

// countingOutput counts what it is sent without keeping it.
type countingOutput struct {
	mu       sync.Mutex
	messages int
	bytes    int64
	largest  int
	stderr   strings.Builder
}

func (c *countingOutput) Stream(name, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.messages++
	if name == "stderr" {
		c.stderr.WriteString(text)
		return
	}
	c.bytes += int64(len(text))
	c.largest = max(c.largest, len(text))
}
func (c *countingOutput) Display(interp.Display) {}
func (c *countingOutput) ClearOutput(bool)       {}
func (c *countingOutput) Input(ctx context.Context, prompt string, password bool) (string, error) {
	return "", interp.ErrNoStdin
}

func TestRunFlood(t *testing.T) {
	bin := buildProgram(t, t.TempDir(), "flood", floodProgram, false)
	const total = 1600 * 65536

	t.Run("unlimited", func(t *testing.T) {
		out := &countingOutput{}
		var peak uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}()
		start := time.Now()
		_, err := run(context.Background(), runSpec{Binary: bin, Limits: Limits{Output: -1}}, out)
		took := time.Since(start)
		close(stop)
		<-sampled
		if err != nil {
			t.Fatal(err)
		}
		if out.bytes != total {
			t.Errorf("have %d bytes, want %d", out.bytes, total)
		}
		perSecond := float64(out.messages) / took.Seconds()
		if perSecond > 50 && out.messages > 5 {
			t.Errorf("%d messages in %s = %.0f/s, want at most 50/s", out.messages, took, perSecond)
		}
		if out.largest > streamMaxMessage+256<<10 {
			t.Errorf("largest message %d bytes, want at most about %d", out.largest, streamMaxMessage)
		}
		if peak > 64<<20 {
			t.Errorf("kernel heap in use peaked at %s while streaming 100 MB, want bounded", formatBytes(int64(peak)))
		}
		t.Logf("100 MB in %s (%.0f MB/s), %d messages (%.0f/s), largest %s, peak heap %s",
			took, float64(total)/(1<<20)/took.Seconds(), out.messages, perSecond, formatBytes(int64(out.largest)), formatBytes(int64(peak)))
	})

	t.Run("default limit", func(t *testing.T) {
		out := &countingOutput{}
		if _, err := run(context.Background(), runSpec{Binary: bin}, out); err != nil {
			t.Fatal(err)
		}
		if out.bytes != DefaultOutputLimit {
			t.Errorf("have %d bytes shown, want the default limit %d", out.bytes, DefaultOutputLimit)
		}
		wantNote := fmt.Sprintf("%s of output dropped", formatBytes(total-DefaultOutputLimit))
		if !strings.Contains(out.stderr.String(), wantNote) {
			t.Errorf("stderr: have %q, want %q", out.stderr.String(), wantNote)
		}
	})
}
