package nb

import (
	"fmt"
	"html"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokernel/gokernel/kernel/nb/cellrt"
)

// progressEvery is the shortest time between two redraws of a progress bar:
// a bar advanced a million times by many goroutines sends ~10 updates a
// second, not a million.
const progressEvery = 100 * time.Millisecond

// Progress is a progress bar shown in the cell's output. Add may be called
// from many goroutines at once; the bar is redrawn at most every 100 ms,
// and Done (or the end of the cell) draws its final state.
type Progress struct {
	total   int
	value   atomic.Int64
	started time.Time
	// lastDraw is the UnixNano of the last redraw; a CAS on it elects the
	// one goroutine that redraws, so Add never waits on a lock.
	lastDraw atomic.Int64
	drawMu   sync.Mutex // orders redraws so the shown value never goes back
	done     atomic.Bool
	handle   *DisplayHandle
}

// NewProgress shows a progress bar for total steps, starting at 0.
func NewProgress(total int) *Progress {
	p := &Progress{total: total, started: time.Now()}
	p.lastDraw.Store(p.started.UnixNano())
	p.handle = NewDisplay(p.render(0))
	cellrt.AtFinish(p.Done)
	return p
}

// Add advances the bar by n steps.
func (p *Progress) Add(n int) {
	p.value.Add(int64(n))
	if p.done.Load() {
		return
	}
	now := time.Now().UnixNano()
	last := p.lastDraw.Load()
	if now-last < int64(progressEvery) || !p.lastDraw.CompareAndSwap(last, now) {
		return
	}
	p.draw()
}

// Value returns the number of steps done so far.
func (p *Progress) Value() int { return int(p.value.Load()) }

// Done draws the bar's final state; later calls do nothing.
func (p *Progress) Done() {
	if p.done.Swap(true) {
		return
	}
	p.draw()
}

func (p *Progress) draw() {
	p.drawMu.Lock()
	defer p.drawMu.Unlock()
	p.handle.Update(p.render(p.value.Load()))
}

// progressView is one drawing of a bar: a value with HTML and text forms.
type progressView struct {
	value, total int64
	elapsed      time.Duration
}

func (p *Progress) render(v int64) progressView {
	return progressView{value: v, total: int64(p.total), elapsed: time.Since(p.started)}
}

func (v progressView) fraction() float64 {
	if v.total <= 0 {
		return 0
	}
	return min(1, float64(v.value)/float64(v.total))
}

// String is the plain-text bar: [#####.....] 50/100  50%. It leaves out
// the elapsed time (shown in the HTML form) so that it is reproducible.
func (v progressView) String() string {
	const width = 30
	filled := int(v.fraction()*width + 0.5)
	return fmt.Sprintf("[%s%s] %d/%d %3.0f%%", strings.Repeat("#", filled),
		strings.Repeat(".", width-filled), v.value, v.total, 100*v.fraction())
}

// HTML draws the bar with the browser's own progress element.
func (v progressView) HTML() string {
	return fmt.Sprintf(`<div style="font-family:monospace"><progress value="%d" max="%d" style="width:20em"></progress> %s</div>`,
		v.value, max(v.total, 1), html.EscapeString(fmt.Sprintf("%d/%d %.0f%% %s", v.value, v.total, 100*v.fraction(), v.elapsed.Round(time.Millisecond))))
}
