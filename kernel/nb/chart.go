package nb

import (
	"fmt"
	"math"
	"strings"
)

var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

// BarChart is a horizontal bar chart of measured numbers, drawn as SVG.
// It is a value: make it a cell's last expression or nb.Display it.
//
//	nb.BarChart{Title: "start cost", Unit: "µs", Labels: []string{"goroutine", "process"}, Values: []float64{0.3, 1200}, Log: true}
type BarChart struct {
	Title  string
	Unit   string // appended to the values shown, e.g. "µs"
	Labels []string
	Values []float64 // one per label; missing values count as 0
	// Log draws the value axis on a log scale, for numbers that differ by
	// orders of magnitude (a goroutine and a process start ≈ 4000×).
	Log bool
}

// Geometry of charts, in SVG user units.
const (
	chartWidth  = 640
	chartLabelW = 130
	chartRight  = 90
	chartBarH   = 22
	chartBarGap = 8
	chartTitleH = 28
	chartAxisH  = 28
)

// scale maps values to [0, 1] along an axis, linear or logarithmic, and
// gives the axis's ticks.
type scale struct {
	lo, hi float64
	log    bool
}

func newScale(lo, hi float64, log bool) scale {
	if log {
		lo = math.Pow(10, math.Floor(math.Log10(lo)))
		hi = math.Pow(10, math.Ceil(math.Log10(hi)))
		if hi <= lo {
			hi = lo * 10
		}
		return scale{lo: lo, hi: hi, log: true}
	}
	step := niceStep(hi-lo, 5)
	lo = math.Floor(lo/step) * step
	hi = math.Ceil(hi/step) * step
	if hi <= lo {
		hi = lo + step
	}
	return scale{lo: lo, hi: hi}
}

func (s scale) at(v float64) float64 {
	if s.log {
		if v <= 0 {
			return 0
		}
		return (math.Log10(v) - math.Log10(s.lo)) / (math.Log10(s.hi) - math.Log10(s.lo))
	}
	return (v - s.lo) / (s.hi - s.lo)
}

func (s scale) ticks() []float64 {
	var out []float64
	if s.log {
		for v := s.lo; v <= s.hi*1.0001; v *= 10 {
			out = append(out, v)
		}
		return out
	}
	step := niceStep(s.hi-s.lo, 5)
	for v := s.lo; v <= s.hi+step/1000; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

// valueRange returns the smallest and largest values, ignoring values a log
// scale cannot show when log is set.
func valueRange(values []float64, log bool) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) || (log && v <= 0) {
			continue
		}
		lo, hi, ok = min(lo, v), max(hi, v), true
	}
	return lo, hi, ok
}

// SVG draws the chart.
func (c BarChart) SVG() string {
	values := make([]float64, len(c.Labels))
	copy(values, c.Values)
	lo, hi, ok := valueRange(values, c.Log)
	if !ok {
		lo, hi = 1, 10
	}
	if !c.Log {
		lo = min(lo, 0)
	}
	sc := newScale(lo, hi, c.Log)
	plotW := float64(chartWidth - chartLabelW - chartRight)
	height := chartTitleH + len(values)*(chartBarH+chartBarGap) + chartAxisH

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" %s>`, chartWidth, height, chartWidth, height, tlFontStyle)
	b.WriteString("\n")
	fmt.Fprintf(&b, `<text class="title" x="%d" y="18" font-weight="bold">%s</text>`+"\n", chartLabelW, xmlEscape(c.Title))
	axisY := chartTitleH + len(values)*(chartBarH+chartBarGap)
	for _, t := range sc.ticks() {
		px := chartLabelW + plotW*sc.at(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n",
			px, chartTitleH-4, px, axisY, px, axisY+16, formatNumber(t))
	}
	for i, v := range values {
		y := chartTitleH + i*(chartBarH+chartBarGap)
		w := 0.0
		if !math.IsNaN(v) && (!c.Log || v > 0) {
			w = plotW * math.Max(0, math.Min(1, sc.at(v)))
		}
		fmt.Fprintf(&b, `<g class="bar"><text x="%d" y="%d" text-anchor="end">%s</text><rect x="%d" y="%d" width="%.2f" height="%d" fill="%s"><title>%s: %s%s</title></rect><text x="%.1f" y="%d">%s%s</text></g>`+"\n",
			chartLabelW-8, y+chartBarH/2+4, xmlEscape(truncate(c.Labels[i], 20)),
			chartLabelW, y, w, chartBarH, palette[i%len(palette)], xmlEscape(c.Labels[i]), formatNumber(v), xmlEscape(c.Unit),
			float64(chartLabelW)+w+4, y+chartBarH/2+4, formatNumber(v), xmlEscape(c.Unit))
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%.1f" y2="%d" stroke="#444"/>`+"\n", chartLabelW, axisY, chartLabelW+plotW, axisY)
	b.WriteString("</svg>\n")
	return b.String()
}

// String lists the bars as text, the chart's plain-text fallback.
func (c BarChart) String() string {
	var b strings.Builder
	b.WriteString(c.Title)
	for i, l := range c.Labels {
		v := 0.0
		if i < len(c.Values) {
			v = c.Values[i]
		}
		fmt.Fprintf(&b, "\n  %s: %s%s", l, formatNumber(v), c.Unit)
	}
	return b.String()
}

// Series is one line of a LineChart: points (X[i], Y[i]).
type Series struct {
	Name string
	X, Y []float64
}

// LineChart draws one or more series of measured points as lines, e.g. run
// time against the number of workers. It is a value: make it a cell's last
// expression or nb.Display it.
type LineChart struct {
	Title          string
	XLabel, YLabel string
	Series         []Series
	LogY           bool // log scale for Y
}

// SVG draws the chart.
func (c LineChart) SVG() string {
	var xs, ys []float64
	for _, s := range c.Series {
		n := min(len(s.X), len(s.Y))
		xs = append(xs, s.X[:n]...)
		ys = append(ys, s.Y[:n]...)
	}
	xlo, xhi, ok := valueRange(xs, false)
	if !ok {
		xlo, xhi = 0, 1
	}
	ylo, yhi, ok := valueRange(ys, c.LogY)
	if !ok {
		ylo, yhi = 1, 10
	}
	if !c.LogY {
		ylo = min(ylo, 0)
	}
	sx, sy := newScale(xlo, xhi, false), newScale(ylo, yhi, c.LogY)

	const left, top, right, bottom = 70, 30, 150, 45
	plotW, plotH := float64(chartWidth-left-right), 260.0
	height := top + int(plotH) + bottom
	px := func(v float64) float64 { return left + plotW*sx.at(v) }
	py := func(v float64) float64 { return top + plotH*(1-sy.at(v)) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" %s>`, chartWidth, height, chartWidth, height, tlFontStyle)
	b.WriteString("\n")
	fmt.Fprintf(&b, `<text class="title" x="%d" y="18" font-weight="bold">%s</text>`+"\n", left, xmlEscape(c.Title))
	for _, t := range sx.ticks() {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n",
			px(t), top, px(t), top+plotH, px(t), top+plotH+16, formatNumber(t))
	}
	for _, t := range sy.ticks() {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n",
			left, py(t), left+plotW, py(t), left-6, py(t)+4, formatNumber(t))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%.1f" fill="none" stroke="#444"/>`+"\n", left, top, plotW, plotH)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", left+plotW/2, height-8, xmlEscape(c.XLabel))
	fmt.Fprintf(&b, `<text x="14" y="%.1f" text-anchor="middle" transform="rotate(-90 14 %.1f)">%s</text>`+"\n", top+plotH/2, top+plotH/2, xmlEscape(c.YLabel))
	for i, s := range c.Series {
		color := palette[i%len(palette)]
		var pts []string
		var dots strings.Builder
		for j := 0; j < min(len(s.X), len(s.Y)); j++ {
			if math.IsNaN(s.X[j]) || math.IsNaN(s.Y[j]) || (c.LogY && s.Y[j] <= 0) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.X[j]), py(s.Y[j])))
			fmt.Fprintf(&dots, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s: (%s, %s)</title></circle>`,
				px(s.X[j]), py(s.Y[j]), color, xmlEscape(s.Name), formatNumber(s.X[j]), formatNumber(s.Y[j]))
		}
		fmt.Fprintf(&b, `<g class="series" data-series="%s"><polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>%s</g>`+"\n",
			xmlEscape(s.Name), color, strings.Join(pts, " "), dots.String())
		ly := top + 10 + 18*i
		fmt.Fprintf(&b, `<g class="legend"><rect x="%.1f" y="%d" width="12" height="12" fill="%s"/><text x="%.1f" y="%d">%s</text></g>`+"\n",
			left+plotW+12, ly, color, left+plotW+28, ly+10, xmlEscape(truncate(s.Name, 16)))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// String lists the series as text, the chart's plain-text fallback.
func (c LineChart) String() string {
	var b strings.Builder
	b.WriteString(c.Title)
	for _, s := range c.Series {
		fmt.Fprintf(&b, "\n  %s:", s.Name)
		for j := 0; j < min(len(s.X), len(s.Y)); j++ {
			fmt.Fprintf(&b, " (%s, %s)", formatNumber(s.X[j]), formatNumber(s.Y[j]))
		}
	}
	return b.String()
}
