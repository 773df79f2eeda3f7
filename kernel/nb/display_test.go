package nb

import (
	"bytes"
	"encoding/base64"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/gokernel/gokernel/kernel/nb/wire"
)

// piece is one thing read back from a cell's stdout: printed text or a frame.
type piece struct {
	text  string
	frame *wire.Frame
}

// splitStdout cuts what a cell wrote into text and frames, as the kernel
// does.
func splitStdout(t *testing.T, b []byte) []piece {
	t.Helper()
	var out []piece
	for len(b) > 0 {
		i := bytes.Index(b, []byte(wire.FrameStart))
		if i < 0 {
			out = append(out, piece{text: string(b)})
			break
		}
		if i > 0 {
			out = append(out, piece{text: string(b[:i])})
		}
		b = b[i+len(wire.FrameStart):]
		j := bytes.Index(b, []byte(wire.FrameEnd))
		if j < 0 {
			t.Fatalf("unterminated frame: %q", b)
		}
		f, err := wire.Decode(b[:j])
		if err != nil {
			t.Fatalf("frame %q: %v", b[:j], err)
		}
		out = append(out, piece{frame: &f})
		b = b[j+len(wire.FrameEnd):]
	}
	return out
}

// capture runs f as if under the kernel and returns what it wrote.
func capture(t *testing.T, f func()) []piece {
	t.Helper()
	t.Setenv(wire.EnvKernel, "1")
	var buf bytes.Buffer
	output = &buf
	defer func() { output = nil }()
	f()
	return splitStdout(t, buf.Bytes())
}

type htmlValue struct{}

func (htmlValue) HTML() string   { return "<b>rich</b>" }
func (htmlValue) String() string { return "plain" }

type allForms struct{}

func (allForms) SVG() string      { return "<svg/>" }
func (allForms) Markdown() string { return "# md" }
func (allForms) MIMEBundle() map[string]any {
	return map[string]any{"application/vnd.custom+json": map[string]any{"a": 1.0}}
}

func TestDisplayBundles(t *testing.T) {
	png := []byte("\x89PNG fake")
	tests := []struct {
		name string
		show func()
		want map[string]any
	}{
		{"HTML", func() { HTML("<i>x</i>") }, map[string]any{"text/html": "<i>x</i>", "text/plain": "x"}},
		{"Markdown", func() { Markdown("**x**") }, map[string]any{"text/markdown": "**x**", "text/plain": "**x**"}},
		{"SVG", func() { SVG("<svg/>") }, map[string]any{"image/svg+xml": "<svg/>", "text/plain": "<SVG image>"}},
		{"PNG", func() { PNG(png) }, map[string]any{"image/png": base64.StdEncoding.EncodeToString(png), "text/plain": "<image/png image, 9 bytes>"}},
		{"JPEG", func() { JPEG([]byte{1, 2}) }, map[string]any{"image/jpeg": "AQI=", "text/plain": "<image/jpeg image, 2 bytes>"}},
		{"JSON", func() { JSON(map[string]int{"n": 1}) }, map[string]any{"application/json": map[string]any{"n": 1.0}, "text/plain": "{\n  \"n\": 1\n}"}},
		{"Text", func() { Text("as is") }, map[string]any{"text/plain": "as is"}},
		{"Display string is quoted", func() { Display("hi") }, map[string]any{"text/plain": `"hi"`}},
		{"Display int", func() { Display(42) }, map[string]any{"text/plain": "42"}},
		{"Display HTML method", func() { Display(htmlValue{}) }, map[string]any{"text/html": "<b>rich</b>", "text/plain": "plain"}},
		{"Display all methods", func() { Display(allForms{}) }, map[string]any{
			"image/svg+xml": "<svg/>", "text/markdown": "# md", "text/plain": "{}",
			"application/vnd.custom+json": map[string]any{"a": 1.0}}},
		{"Display Bundle", func() { Display(Bundle{"text/html": "<p>"}) }, map[string]any{"text/html": "<p>", "text/plain": "<text/html output>"}},
		{"Display chart", func() { Display(BarChart{Title: "t", Labels: []string{"a"}, Values: []float64{1}}) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pieces := capture(t, tt.show)
			if len(pieces) != 1 || pieces[0].frame == nil {
				t.Fatalf("have %+v, want one frame", pieces)
			}
			f := pieces[0].frame
			if f.Kind != wire.KindDisplay || f.Update || f.DisplayID != "" {
				t.Errorf("frame: have kind %q update %v id %q, want a plain display", f.Kind, f.Update, f.DisplayID)
			}
			if tt.want == nil { // only check the forms present
				if _, ok := f.Data["image/svg+xml"]; !ok || f.Data["text/plain"] == "" {
					t.Errorf("chart bundle: have keys %v, want image/svg+xml and text/plain", keys(f.Data))
				}
				return
			}
			if !reflect.DeepEqual(f.Data, tt.want) {
				t.Errorf("bundle:\nhave %#v\nwant %#v", f.Data, tt.want)
			}
		})
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestDisplayWithoutKernelPrintsText(t *testing.T) {
	t.Setenv(wire.EnvKernel, "")
	var buf bytes.Buffer
	output = &buf
	defer func() { output = nil }()
	HTML("<b>x</b>")
	Display(htmlValue{})
	ClearOutput(false)
	if have, want := buf.String(), "x\nplain\n"; have != want {
		t.Errorf("have %q, want %q", have, want)
	}
}

func TestDisplayOrderWithText(t *testing.T) {
	pieces := capture(t, func() {
		out().Write([]byte("A\n"))
		HTML("B")
		out().Write([]byte("C\n"))
		ClearOutput(true)
	})
	if len(pieces) != 4 {
		t.Fatalf("have %d pieces %+v, want 4", len(pieces), pieces)
	}
	if pieces[0].text != "A\n" || pieces[1].frame == nil || pieces[1].frame.Data["text/html"] != "B" || pieces[2].text != "C\n" {
		t.Errorf("order: have %+v, want A, display B, C", pieces)
	}
	if f := pieces[3].frame; f == nil || f.Kind != wire.KindClear || !f.Wait {
		t.Errorf("clear: have %+v, want a clear frame with wait", pieces[3])
	}
}

func TestDisplayHandleUpdate(t *testing.T) {
	var h, h2 *DisplayHandle
	pieces := capture(t, func() {
		h = NewDisplay("first")
		h2 = NewDisplay(htmlValue{})
		h.Update(Bundle{"text/markdown": "*second*", "text/plain": "second"})
	})
	if len(pieces) != 3 {
		t.Fatalf("have %d frames, want 3", len(pieces))
	}
	first, other, update := pieces[0].frame, pieces[1].frame, pieces[2].frame
	if first.DisplayID == "" || first.DisplayID != h.ID() || first.Update {
		t.Errorf("first display: have id %q update %v, want id %q and no update", first.DisplayID, first.Update, h.ID())
	}
	if other.DisplayID == h.ID() || other.DisplayID != h2.ID() {
		t.Errorf("second handle: have id %q, want a different id %q", other.DisplayID, h2.ID())
	}
	if !update.Update || update.DisplayID != h.ID() || update.Data["text/markdown"] != "*second*" {
		t.Errorf("update: have %+v, want update of %q with the new bundle", update, h.ID())
	}
}

func TestProgressFromManyGoroutines(t *testing.T) {
	const goroutines, steps = 20, 2000
	var p *Progress
	pieces := capture(t, func() {
		p = NewProgress(goroutines * steps)
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for range steps {
					p.Add(1)
				}
			})
		}
		wg.Wait()
		p.Done()
		p.Done() // a second Done draws nothing
	})
	if have := p.Value(); have != goroutines*steps {
		t.Errorf("Value: have %d, want %d", have, goroutines*steps)
	}
	if len(pieces) < 2 || len(pieces) > 2+10 {
		t.Fatalf("frames: have %d, want the first, a few throttled updates and the final one", len(pieces))
	}
	id := pieces[0].frame.DisplayID
	for i, pc := range pieces[1:] {
		if pc.frame == nil || !pc.frame.Update || pc.frame.DisplayID != id {
			t.Errorf("frame %d: have %+v, want an update of %q", i+1, pc.frame, id)
		}
	}
	last := pieces[len(pieces)-1].frame
	if text, _ := last.Data["text/plain"].(string); !strings.Contains(text, "40000/40000 100%") {
		t.Errorf("final text: have %q, want it to show 40000/40000 100%%", text)
	}
	if html, _ := last.Data["text/html"].(string); !strings.Contains(html, `value="40000" max="40000"`) {
		t.Errorf("final HTML: have %q, want a full progress element", html)
	}
}

func TestHTMLText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<b>Total:</b> 42", "Total: 42"},
		{"<table><tr><td>a</td><td>b</td></tr></table>", "a b"},
		{"<p>one</p><p>two &amp; three</p>", "one two & three"},
		{"<style>p { color: red }</style><script>alert(1)</script>shown", "shown"},
		{"<img src=x>", "<HTML output>"},
		{"a < b", "a < b"},
		{"", "<HTML output>"},
	}
	for _, tt := range tests {
		if have := htmlText(tt.in); have != tt.want {
			t.Errorf("htmlText(%q): have %q, want %q", tt.in, have, tt.want)
		}
	}
}
