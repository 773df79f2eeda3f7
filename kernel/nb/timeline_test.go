package nb

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// svgElement is what the tests look at in a parsed SVG: every element with
// its class and data attributes, and its text.
type svgElement struct {
	name, class, lane, series, fill, text string
}

// parseSVG parses s with encoding/xml, failing the test if it is not
// well-formed, and returns its elements in document order.
func parseSVG(t *testing.T, s string) []svgElement {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(s))
	var out []svgElement
	var stack []int
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, s)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
				if tok.Name.Space != "http://www.w3.org/2000/svg" {
					t.Errorf("root namespace: have %q, want the SVG namespace", tok.Name.Space)
				}
			}
			e := svgElement{name: tok.Name.Local}
			for _, a := range tok.Attr {
				switch a.Name.Local {
				case "class":
					e.class = a.Value
				case "data-lane":
					e.lane = a.Value
				case "data-series":
					e.series = a.Value
				case "fill":
					e.fill = a.Value
				}
			}
			out = append(out, e)
			stack = append(stack, len(out)-1)
		case xml.CharData:
			if len(stack) > 0 {
				out[stack[len(stack)-1]].text += string(tok)
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if root != "svg" {
		t.Errorf("root element: have %q, want svg", root)
	}
	return out
}

func TestTimelineOneLanePerGoroutine(t *testing.T) {
	for _, n := range []int{1, 3, 8} {
		t.Run(fmt.Sprint(n, " goroutines"), func(t *testing.T) {
			tl := NewTimeline()
			var mu sync.Mutex
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					l := tl.Lane(fmt.Sprintf("worker <%d> & co", i)) // needs escaping
					l.Lock(&mu)
					time.Sleep(time.Millisecond)
					l.Unlock(&mu)
					l.Event("done")
					l.Done()
				})
			}
			wg.Wait()
			elems := parseSVG(t, tl.SVG())
			lanes := map[string]int{}
			holding := 0
			for _, e := range elems {
				if e.class == "lane" {
					lanes[e.lane]++
				}
				if e.class == "span" && e.fill == stateColors[Holding] {
					holding++
				}
			}
			if len(lanes) != n {
				t.Errorf("lanes: have %d %v, want %d", len(lanes), lanes, n)
			}
			for i := range n {
				name := fmt.Sprintf("worker <%d> & co", i)
				if lanes[name] != 1 {
					t.Errorf("lane %q: have %d, want 1", name, lanes[name])
				}
			}
			if holding != n {
				t.Errorf("holding spans: have %d, want %d (one per goroutine)", holding, n)
			}
		})
	}
}

func TestTimelineLockSpansDoNotOverlap(t *testing.T) {
	tl := NewTimeline()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			l := tl.Lane(fmt.Sprint("g", i))
			for range 5 {
				l.Lock(&mu)
				time.Sleep(200 * time.Microsecond)
				l.Unlock(&mu)
			}
			l.Done()
		})
	}
	wg.Wait()
	lanes, _ := tl.snapshot()
	type interval struct{ from, to time.Duration }
	var held []interval
	for _, l := range lanes {
		for j, s := range l.spans {
			if s.state == Holding {
				held = append(held, interval{s.at, l.spans[j+1].at})
			}
		}
	}
	if len(held) != 20 {
		t.Fatalf("holding spans: have %d, want 20", len(held))
	}
	for i, a := range held {
		for _, b := range held[i+1:] {
			if a.from < b.to && b.from < a.to {
				t.Errorf("two lanes hold the lock at once: %v and %v", a, b)
			}
		}
	}
}

func TestTimelineStatesAndLegend(t *testing.T) {
	tl := NewTimeline()
	l := tl.Lane("main")
	if tl.Lane("main") != l {
		t.Error("Lane with the same name: have a new lane, want the same one")
	}
	ch := make(chan int, 1)
	Send(l, ch, 1)
	if v, ok := Recv(l, ch); v != 1 || !ok {
		t.Errorf("Recv: have %d, %v; want 1, true", v, ok)
	}
	l.Sleep(time.Millisecond)
	var wg sync.WaitGroup
	l.Wait(&wg)
	l.Done()
	var legend []string
	inLegend := false
	for _, e := range parseSVG(t, tl.SVG()) {
		switch {
		case e.class == "legend":
			inLegend = true
		case e.class != "":
			inLegend = false
		case inLegend && e.name == "text":
			legend = append(legend, e.text)
		}
	}
	want := []string{"running", "waiting", "sending", "receiving", "sleeping"}
	if strings.Join(legend, ",") != strings.Join(want, ",") {
		t.Errorf("legend: have %v, want %v", legend, want)
	}
	if s := tl.String(); !strings.Contains(s, "main:") || !strings.Contains(s, "sleeping") {
		t.Errorf("String: have %q, want a line for main with its sleeping time", s)
	}
}

// BenchmarkLaneSet measures the cost of recording one state change, the
// figure that says whether recording hides what it shows (a mutex
// hand-over costs ~100 ns).
func BenchmarkLaneSet(b *testing.B) {
	tl := NewTimeline()
	l := tl.Lane("bench")
	for b.Loop() {
		l.Set(Running)
	}
}

// BenchmarkLaneSetParallel records from many goroutines, each in its own
// lane: there is no shared lock, so the cost should not grow.
func BenchmarkLaneSetParallel(b *testing.B) {
	tl := NewTimeline()
	var n sync.Mutex
	i := 0
	b.RunParallel(func(pb *testing.PB) {
		n.Lock()
		l := tl.Lane(fmt.Sprint(i))
		i++
		n.Unlock()
		for pb.Next() {
			l.Set(Running)
		}
	})
}

func TestCharts(t *testing.T) {
	t.Run("bar", func(t *testing.T) {
		c := BarChart{Title: "start <cost>", Unit: "µs", Labels: []string{"goroutine", "process"}, Values: []float64{0.3, 1210}, Log: true}
		bars := 0
		for _, e := range parseSVG(t, c.SVG()) {
			if e.class == "bar" {
				bars++
			}
		}
		if bars != 2 {
			t.Errorf("bars: have %d, want 2", bars)
		}
		if have, want := c.String(), "start <cost>\n  goroutine: 0.3µs\n  process: 1210µs"; have != want {
			t.Errorf("String: have %q, want %q", have, want)
		}
	})
	t.Run("bar linear with missing value", func(t *testing.T) {
		c := BarChart{Labels: []string{"a", "b", "c"}, Values: []float64{2, 5}}
		bars := 0
		for _, e := range parseSVG(t, c.SVG()) {
			if e.class == "bar" {
				bars++
			}
		}
		if bars != 3 {
			t.Errorf("bars: have %d, want 3", bars)
		}
	})
	t.Run("line", func(t *testing.T) {
		c := LineChart{Title: "speed-up", XLabel: "GOMAXPROCS", YLabel: "s", Series: []Series{
			{Name: "goroutines", X: []float64{1, 2}, Y: []float64{2, 1.05}},
			{Name: "processes", X: []float64{1, 2}, Y: []float64{2.1, 1.1}},
		}}
		series := map[string]int{}
		circles := 0
		for _, e := range parseSVG(t, c.SVG()) {
			if e.class == "series" {
				series[e.series]++
			}
			if e.name == "circle" {
				circles++
			}
		}
		if len(series) != 2 || series["goroutines"] != 1 || series["processes"] != 1 {
			t.Errorf("series: have %v, want goroutines and processes once each", series)
		}
		if circles != 4 {
			t.Errorf("points: have %d, want 4", circles)
		}
	})
}

func TestFormatting(t *testing.T) {
	tests := []struct {
		have, want string
	}{
		{formatDuration(0), "0"},
		{formatDuration(750), "750ns"},
		{formatDuration(12500), "12.5µs"},
		{formatDuration(3 * time.Millisecond), "3ms"},
		{formatDuration(1250 * time.Millisecond), "1.25s"},
		{formatNumber(1210), "1210"},
		{formatNumber(0.125), "0.125"},
		{formatNumber(2.5), "2.5"},
		{formatNumber(2e7), "2e+07"},
		{fmt.Sprint(niceStep(7, 5)), "2"},
		{fmt.Sprint(niceStep(1000, 8)), "200"},
		{xmlEscape(`<a href="x">&'`), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"},
	}
	for i, tt := range tests {
		if tt.have != tt.want {
			t.Errorf("case %d: have %q, want %q", i, tt.have, tt.want)
		}
	}
}

func TestTimelineAcrossProcesses(t *testing.T) {
	tl := NewTimeline()
	local := tl.Lane("parent")
	p, err := Start(childTimeline, tl, "child")
	if err != nil {
		t.Fatal(err)
	}
	local.Sleep(time.Millisecond)
	if err := p.Join(); err != nil {
		t.Fatal(err)
	}
	local.Done()
	lanes := map[string]int{}
	sleeping := 0
	var order []string
	for _, e := range parseSVG(t, tl.SVG()) {
		if e.class == "lane" {
			lanes[e.lane]++
			order = append(order, e.lane)
		}
		if e.class == "span" && e.fill == stateColors[Sleeping] {
			sleeping++
		}
	}
	if want := "parent,child,child open"; strings.Join(order, ",") != want {
		t.Errorf("lanes: have %v, want %s", order, want)
	}
	if sleeping != 2 {
		t.Errorf("sleeping spans: have %d, want 2 (parent and child)", sleeping)
	}
	all, end := tl.snapshot()
	for _, l := range all {
		for _, s := range l.spans {
			if s.at < 0 || s.at > end {
				t.Errorf("lane %s: span at %v outside the timeline [0, %v]", l.name, s.at, end)
			}
		}
	}
	if !strings.Contains(tl.SVG(), "child mark") {
		t.Error("the child's event is missing")
	}
}

// TestDrawingsFitTheClassicNotebook checks the width attribute of every
// drawing: the classic Notebook sizes an SVG by it, and its output area is
// 778 px wide in a window under 1200 px (measured in Chromium); a wider
// drawing is cut off behind a scroll bar.
func TestDrawingsFitTheClassicNotebook(t *testing.T) {
	const outputAreaWidth = 778
	tl := NewTimeline()
	l := tl.Lane("g1")
	l.Set(Running)
	l.Done()
	drawings := []struct {
		name string
		svg  string
	}{
		{"timeline", tl.SVG()},
		{"bar chart", BarChart{Labels: []string{"a"}, Values: []float64{1}}.SVG()},
		{"line chart", LineChart{Series: []Series{{Name: "s", X: []float64{1, 2}, Y: []float64{1, 2}}}}.SVG()},
	}
	for _, d := range drawings {
		t.Run(d.name, func(t *testing.T) {
			dec := xml.NewDecoder(strings.NewReader(d.svg))
			for {
				tok, err := dec.Token()
				if err != nil {
					t.Fatalf("no root element: %v", err)
				}
				start, ok := tok.(xml.StartElement)
				if !ok {
					continue
				}
				width := -1
				for _, a := range start.Attr {
					if a.Name.Local == "width" {
						fmt.Sscan(a.Value, &width)
					}
				}
				if width <= 0 || width > outputAreaWidth {
					t.Errorf("width: have %d, want 1..%d", width, outputAreaWidth)
				}
				return
			}
		})
	}
}
