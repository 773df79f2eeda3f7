package nb

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// State is what a timeline lane is doing.
type State uint8

// The states a lane can be in, each drawn in its own colour.
const (
	Idle      State = iota // not drawn
	Running                // working
	Waiting                // waiting for a lock (or a WaitGroup)
	Holding                // holding a lock
	Sending                // blocked sending on a channel
	Receiving              // blocked receiving from a channel
	Sleeping               // in time.Sleep
	numStates
)

var stateNames = [numStates]string{"idle", "running", "waiting", "holding lock", "sending", "receiving", "sleeping"}

// Colours per state (Tableau 10): distinct for most colour-blind readers.
var stateColors = [numStates]string{"none", "#4e79a7", "#e15759", "#f28e2b", "#59a14f", "#76b7b2", "#bab0ac"}

// String returns the state's name as shown in the legend.
func (s State) String() string {
	if s < numStates {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", s)
}

// Timeline records what goroutines do over time and draws it as SVG: a
// lane per goroutine, a time axis, a colour per state and a legend. Make it
// the cell's last expression (or nb.Display it) once the goroutines are done.
type Timeline struct {
	start time.Time

	mu    sync.Mutex // guards lanes; taken only to add a lane
	lanes []*Lane

	share sharing // lanes recorded by child processes (timeline_share.go)
}

// Lane is one row of a timeline, written by one goroutine. Recording an
// event takes the lane's own lock, never a timeline-wide one, so goroutines
// recording at once do not wait for each other. An event costs about
// 100 ns on the 2-core test machine, half of it reading the clock
// (BenchmarkLaneSet), against ~100 ns for one mutex hand-over.
type Lane struct {
	tl   *Timeline
	name string

	mu     sync.Mutex
	spans  spanLog // state changes, in time order
	marks  []mark
	doneAt time.Duration // 0: not done
}

// spanLog stores spans in fixed-size chunks: appending never copies what
// was recorded before, which keeps the cost of an event flat (a plain
// slice's growth made it 3× slower on long runs).
type spanLog struct {
	full [][]span
	cur  []span
}

const spanChunk = 512

func (s *spanLog) add(x span) {
	if len(s.cur) == cap(s.cur) {
		if s.cur != nil {
			s.full = append(s.full, s.cur)
		}
		s.cur = make([]span, 0, spanChunk)
	}
	s.cur = append(s.cur, x)
}

func (s *spanLog) all() []span {
	n := len(s.cur)
	for _, c := range s.full {
		n += len(c)
	}
	out := make([]span, 0, n)
	for _, c := range s.full {
		out = append(out, c...)
	}
	return append(out, s.cur...)
}

type span struct {
	at    time.Duration // since the timeline's start
	state State
}

type mark struct {
	at    time.Duration
	label string
}

// NewTimeline starts a timeline; its clock starts now.
func NewTimeline() *Timeline { return &Timeline{start: time.Now()} }

// Lane returns the lane called name, adding it (in the Running state, from
// now) if it does not exist yet. Lanes are drawn in the order they were
// added.
func (tl *Timeline) Lane(name string) *Lane {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for _, l := range tl.lanes {
		if l.name == name {
			return l
		}
	}
	l := &Lane{tl: tl, name: name}
	l.spans.add(span{at: time.Since(tl.start), state: Running})
	tl.lanes = append(tl.lanes, l)
	return l
}

// Set records that the lane is in state s from now on.
func (l *Lane) Set(s State) {
	at := time.Since(l.tl.start)
	l.mu.Lock()
	l.spans.add(span{at: at, state: s})
	l.mu.Unlock()
}

// Event records an instant mark with a label (shown on hover).
func (l *Lane) Event(label string) {
	at := time.Since(l.tl.start)
	l.mu.Lock()
	l.marks = append(l.marks, mark{at: at, label: label})
	l.mu.Unlock()
}

// Done records that the lane's work is over; nothing is drawn after it.
func (l *Lane) Done() {
	at := time.Since(l.tl.start)
	l.mu.Lock()
	l.spans.add(span{at: at, state: Idle})
	l.doneAt = at
	l.mu.Unlock()
	if l.tl.share.remote {
		l.tl.flushLane(l)
	}
}

// Lock locks mu, recording Waiting until it is acquired, then Holding.
func (l *Lane) Lock(mu sync.Locker) {
	l.Set(Waiting)
	mu.Lock()
	l.Set(Holding)
}

// Unlock records Running and unlocks mu. The state changes before the
// unlock so that two lanes never appear to hold the lock at once.
func (l *Lane) Unlock(mu sync.Locker) {
	l.Set(Running)
	mu.Unlock()
}

// Sleep sleeps for d, recorded as Sleeping.
func (l *Lane) Sleep(d time.Duration) {
	l.Set(Sleeping)
	time.Sleep(d)
	l.Set(Running)
}

// Wait waits for wg, recorded as Waiting.
func (l *Lane) Wait(wg *sync.WaitGroup) {
	l.Set(Waiting)
	wg.Wait()
	l.Set(Running)
}

// Send sends v on ch, recorded as Sending while it blocks.
func Send[T any](l *Lane, ch chan<- T, v T) {
	l.Set(Sending)
	ch <- v
	l.Set(Running)
}

// Recv receives from ch, recorded as Receiving while it blocks; ok is false
// when ch is closed and drained.
func Recv[T any](l *Lane, ch <-chan T) (v T, ok bool) {
	l.Set(Receiving)
	v, ok = <-ch
	l.Set(Running)
	return v, ok
}

// laneView is a consistent copy of a lane for drawing.
type laneView struct {
	name  string
	spans []span
	marks []mark
	done  bool
}

func (tl *Timeline) snapshot() (lanes []laneView, end time.Duration) {
	tl.collectRemote()
	now := time.Since(tl.start)
	tl.mu.Lock()
	list := append([]*Lane(nil), tl.lanes...)
	tl.mu.Unlock()
	allDone := true
	for _, l := range list {
		l.mu.Lock()
		v := laneView{name: l.name, spans: l.spans.all(), marks: append([]mark(nil), l.marks...), done: l.doneAt > 0}
		l.mu.Unlock()
		lanes = append(lanes, v)
		if !v.done {
			allDone = false
		}
		for _, s := range v.spans {
			end = max(end, s.at)
		}
		for _, m := range v.marks {
			end = max(end, m.at)
		}
	}
	if !allDone {
		end = now // unfinished lanes run up to the moment of drawing
	}
	return lanes, max(end, time.Microsecond)
}

// Geometry of the timeline drawing, in SVG user units. The width fits the
// classic Notebook's output area in a window under 1200 px (778 px): it
// sizes an SVG by its width attribute, so a wider drawing is cut off
// behind a scroll bar.
const (
	tlWidth     = 760
	tlLabelW    = 120
	tlRight     = 20
	tlLaneH     = 22
	tlLaneGap   = 6
	tlTop       = 10
	tlAxisH     = 30
	tlLegendH   = 26
	tlFontStyle = `font-family="sans-serif" font-size="12"`
)

// SVG draws the timeline. Each lane is a <g class="lane"> with a
// data-lane attribute holding its name; each span a <rect> whose <title>
// gives its state and times.
func (tl *Timeline) SVG() string {
	lanes, end := tl.snapshot()
	plotW := float64(tlWidth - tlLabelW - tlRight)
	x := func(t time.Duration) float64 { return tlLabelW + plotW*float64(t)/float64(end) }
	height := tlTop + len(lanes)*(tlLaneH+tlLaneGap) + tlAxisH + tlLegendH

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" %s>`, tlWidth, height, tlWidth, height, tlFontStyle)
	b.WriteString("\n")
	used := map[State]bool{}
	for i, l := range lanes {
		y := tlTop + i*(tlLaneH+tlLaneGap)
		fmt.Fprintf(&b, `<g class="lane" data-lane="%s">`, xmlEscape(l.name))
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, tlLabelW-8, y+tlLaneH/2+4, xmlEscape(truncate(l.name, 18)))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="#f4f4f4"/>`, tlLabelW, y, plotW, tlLaneH)
		for j, s := range l.spans {
			if s.state == Idle || s.state >= numStates {
				continue
			}
			stop := end
			if j+1 < len(l.spans) {
				stop = l.spans[j+1].at
			}
			if stop <= s.at {
				continue
			}
			used[s.state] = true
			fmt.Fprintf(&b, `<rect class="span" x="%.2f" y="%d" width="%.2f" height="%d" fill="%s"><title>%s %s–%s</title></rect>`,
				x(s.at), y, max(x(stop)-x(s.at), 0.5), tlLaneH, stateColors[s.state], s.state, formatDuration(s.at), formatDuration(stop))
		}
		for _, m := range l.marks {
			fmt.Fprintf(&b, `<line class="event" x1="%.2f" y1="%d" x2="%.2f" y2="%d" stroke="#222" stroke-width="1.5"><title>%s at %s</title></line>`,
				x(m.at), y-2, x(m.at), y+tlLaneH+2, xmlEscape(m.label), formatDuration(m.at))
		}
		b.WriteString("</g>\n")
	}

	// Time axis.
	axisY := tlTop + len(lanes)*(tlLaneH+tlLaneGap)
	fmt.Fprintf(&b, `<g class="axis"><line x1="%d" y1="%d" x2="%.1f" y2="%d" stroke="#444"/>`, tlLabelW, axisY, tlLabelW+plotW, axisY)
	step := niceStep(float64(end), 8)
	for t := 0.0; t <= float64(end)*1.0001; t += step {
		px := x(time.Duration(t))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#444"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>`,
			px, axisY, px, axisY+4, px, axisY+16, formatDuration(time.Duration(t)))
	}
	b.WriteString("</g>\n")

	// Legend: every state drawn, in a fixed order.
	ly := axisY + tlAxisH
	lx := tlLabelW
	b.WriteString(`<g class="legend">`)
	for s := Running; s < numStates; s++ {
		if !used[s] {
			continue
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`, lx, ly, stateColors[s], lx+16, ly+10, s)
		lx += 28 + 7*len(s.String())
	}
	b.WriteString("</g>\n</svg>\n")
	return b.String()
}

// String describes the timeline in text: one line per lane with the time
// spent in each state. It is the plain-text fallback of its display.
func (tl *Timeline) String() string {
	lanes, end := tl.snapshot()
	var b strings.Builder
	fmt.Fprintf(&b, "timeline: %d lanes over %s", len(lanes), formatDuration(end))
	for _, l := range lanes {
		var in [numStates]time.Duration
		for j, s := range l.spans {
			stop := end
			if j+1 < len(l.spans) {
				stop = l.spans[j+1].at
			}
			if s.state < numStates {
				in[s.state] += stop - s.at
			}
		}
		fmt.Fprintf(&b, "\n  %s:", l.name)
		for s := Running; s < numStates; s++ {
			if in[s] > 0 {
				fmt.Fprintf(&b, " %s %s", s, formatDuration(in[s]))
			}
		}
	}
	return b.String()
}
