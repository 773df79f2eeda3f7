package nb

import (
	"math"
	"strconv"
	"strings"
	"time"
)

var xmlReplacer = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

// xmlEscape makes s safe as SVG text or attribute value.
func xmlEscape(s string) string { return xmlReplacer.Replace(s) }

// truncate shortens s to n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// niceStep returns a round step (1, 2 or 5 times a power of ten) that cuts
// span into at most about want intervals.
func niceStep(span float64, want int) float64 {
	if span <= 0 || want <= 0 {
		return 1
	}
	raw := span / float64(want)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// formatDuration writes d with a unit that keeps it short: 0, 750ns,
// 12.5µs, 3ms, 1.25s.
func formatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < time.Millisecond:
		return formatNumber(float64(d)/1e3) + "µs"
	case d < time.Second:
		return formatNumber(float64(d)/1e6) + "ms"
	default:
		return formatNumber(float64(d)/1e9) + "s"
	}
}

// formatNumber writes f with at most three significant digits after
// rounding, without trailing zeros: 1, 2.5, 0.125, 1.5e+06 for huge values.
func formatNumber(f float64) string {
	if f == 0 {
		return "0"
	}
	a := math.Abs(f)
	if a >= 1e6 || a < 1e-3 {
		return strconv.FormatFloat(f, 'g', 3, 64)
	}
	decimals := max(0, 2-int(math.Floor(math.Log10(a))))
	out := strconv.FormatFloat(f, 'f', decimals, 64)
	if strings.Contains(out, ".") {
		out = strings.TrimRight(strings.TrimRight(out, "0"), ".")
	}
	return out
}
