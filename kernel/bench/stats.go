package bench

import "slices"

// Summary condenses the samples of one figure.
type Summary struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// Summarize returns the median, min and max of samples. The median of an
// even count is the mean of the two middle values. With no samples the
// Summary is zero (N == 0 says so; JSON cannot carry NaN).
func Summarize(samples []float64) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	n := len(s)
	median := s[n/2]
	if n%2 == 0 {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	return Summary{N: n, Median: median, Min: s[0], Max: s[n-1]}
}
