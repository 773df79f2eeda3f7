package nb

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/gokernel/gokernel/kernel/nb/wire"
)

// writeLog records each Write separately, to check what arrived in one call.
type writeLog struct {
	mu     sync.Mutex
	writes []string
}

func (w *writeLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

func (w *writeLog) all() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.writes, "")
}

func frameText(body string) string { return wire.FrameStart + body + wire.FrameEnd }

func TestFrameRelaySplits(t *testing.T) {
	f1, f2 := frameText(`{"kind":"display","data":{"text/plain":"one"}}`), frameText(`{"kind":"clear"}`)
	stream := "text before\n" + f1 + "middle \x1b not a frame " + f2 + "after, no newline"
	// Every way of cutting the stream in two, and byte by byte.
	cuts := [][]string{}
	for i := 0; i <= len(stream); i++ {
		cuts = append(cuts, []string{stream[:i], stream[i:]})
	}
	var bytewise []string
	for i := range len(stream) {
		bytewise = append(bytewise, stream[i:i+1])
	}
	cuts = append(cuts, bytewise)
	for n, parts := range cuts {
		var log writeLog
		r := newFrameRelay(&log)
		for _, p := range parts {
			if _, err := r.Write([]byte(p)); err != nil {
				t.Fatal(err)
			}
		}
		r.flush()
		if have := log.all(); have != stream {
			t.Fatalf("cut %d: output differs:\nhave %q\nwant %q", n, have, stream)
		}
		for _, w := range log.writes {
			// Each frame must be inside one Write.
			starts, ends := strings.Count(w, wire.FrameStart), strings.Count(w, wire.FrameEnd)
			if starts != ends {
				t.Fatalf("cut %d: a Write holds part of a frame: %q", n, w)
			}
		}
	}
}

func TestFrameRelayPassesTextAtOnce(t *testing.T) {
	var log writeLog
	r := newFrameRelay(&log)
	r.Write([]byte("progress 10%"))
	if have := log.all(); have != "progress 10%" {
		t.Errorf("text without newline: have %q passed on, want it at once", have)
	}
	r.Write([]byte("\x1b]gok"))
	if have := log.all(); have != "progress 10%" {
		t.Errorf("possible frame start: have %q passed on, want it held back", have)
	}
	r.Write([]byte("ernel;{}"))
	r.flush() // the child ended inside a frame: pass it on as it is
	if have, want := log.all(), "progress 10%\x1b]gokernel;{}"; have != want {
		t.Errorf("after flush: have %q, want %q", have, want)
	}
}

// TestChildFramesStayWhole has a child display a 200 KB SVG while the parent
// prints to the same writer: every frame must arrive whole.
func TestChildFramesStayWhole(t *testing.T) {
	t.Setenv(wire.EnvKernel, "1")
	var shared writeLog
	p := Process(childBigDisplay, 200_000, 5)
	p.Stdout = &shared
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
				fmt.Fprintf(&shared, "parent line %d\n", i)
			}
		}
	})
	err := p.Join()
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	pieces := splitStdout(t, []byte(shared.all())) // fails on a broken frame
	frames := 0
	for _, pc := range pieces {
		if pc.frame != nil {
			frames++
			if svg, _ := pc.frame.Data["image/svg+xml"].(string); len(svg) < 200_000 {
				t.Errorf("frame with a %d-byte SVG, want ≥ 200000", len(svg))
			}
		} else if strings.Contains(pc.text, "\x1b") {
			t.Errorf("frame bytes in text: %.80q", pc.text)
		}
	}
	if frames != 5 {
		t.Errorf("frames: have %d, want 5", frames)
	}
}
