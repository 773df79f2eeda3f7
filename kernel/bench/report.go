package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is one benchmark run: every figure measured, with the machine it
// ran on. It is what `gokernel bench -o FILE` writes as JSON.
type Report struct {
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"` // wall time of the whole run
	Machine  Machine   `json:"machine"`
	Runs     int       `json:"runs"` // -n
	Quick    bool      `json:"quick"`
	Results  []*Result `json:"results"`
	Failures []string  `json:"failures,omitempty"` // figures that could not be measured at all
}

// Machine describes where the benchmark ran.
type Machine struct {
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model,omitempty"`
	MemoryMB  int64  `json:"memory_mb,omitempty"`
	GoVersion string `json:"go_version"` // of the toolchain the kernel uses
	Kernel    string `json:"kernel"`     // path of the gokernel binary measured
	// LoadBefore and LoadAfter are the 1-minute load averages when the run
	// started and ended: on a shared machine they say how noisy it was.
	LoadBefore float64 `json:"load_before"`
	LoadAfter  float64 `json:"load_after"`
}

// loadAverage returns the 1-minute load average, 0 if unknown.
func loadAverage() float64 {
	var load float64
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Sscanf(string(b), "%f", &load)
	}
	return load
}

// Result is one figure (or one same-run reference) with its samples.
type Result struct {
	Figure    string    `json:"figure"` // issue 3's number: "1".."9"; "10" is interrupt latency
	Key       string    `json:"key"`    // stable name to compare runs by
	Label     string    `json:"label"`
	Unit      string    `json:"unit"`
	Reference bool      `json:"reference,omitempty"` // a baseline, not the kernel
	Samples   []float64 `json:"samples"`
	Summary
	Targets []Target `json:"targets,omitempty"`
	// Verdict is PASS when every target is met by the median, MISS when one
	// is not, NO DATA when there is a target but no sample, "" without target.
	Verdict string   `json:"verdict,omitempty"`
	Errors  []string `json:"errors,omitempty"` // runs that failed (not counted in Samples)
	Note    string   `json:"note,omitempty"`
}

// Target is a bound on a result's median, absolute or relative to another
// result's median.
type Target struct {
	Op    string  `json:"op"`           // "<=", "<" or ">="
	Value float64 `json:"value"`        // the bound, or the factor when Of is set
	Of    string  `json:"of,omitempty"` // key of the result the factor applies to
	Bound float64 `json:"bound"`        // the absolute bound after evaluation
	Met   *bool   `json:"met,omitempty"`
}

// Add appends a sample.
func (r *Result) Add(v float64) { r.Samples = append(r.Samples, v) }

// Fail records a failed run.
func (r *Result) Fail(err error) { r.Errors = append(r.Errors, err.Error()) }

// result returns the result with key, creating it with label and unit.
func (rep *Report) result(figure, key, label, unit string, targets ...Target) *Result {
	for _, r := range rep.Results {
		if r.Key == key {
			return r
		}
	}
	r := &Result{Figure: figure, Key: key, Label: label, Unit: unit, Targets: targets}
	rep.Results = append(rep.Results, r)
	return r
}

func (rep *Report) reference(figure, key, label, unit string) *Result {
	r := rep.result(figure, key, label, unit)
	r.Reference = true
	return r
}

// byKey returns the result with key or nil.
func (rep *Report) byKey(key string) *Result {
	for _, r := range rep.Results {
		if r.Key == key {
			return r
		}
	}
	return nil
}

// Evaluate computes every summary and checks every target.
func (rep *Report) Evaluate() {
	for _, r := range rep.Results {
		r.Summary = Summarize(r.Samples)
	}
	for _, r := range rep.Results {
		if len(r.Targets) == 0 {
			continue
		}
		r.Verdict = "PASS"
		for i := range r.Targets {
			t := &r.Targets[i]
			t.Bound, t.Met = t.Value, nil
			if t.Of != "" {
				other := rep.byKey(t.Of)
				if other == nil || other.N == 0 {
					r.Verdict = "NO DATA"
					continue
				}
				t.Bound = t.Value * other.Median
			}
			if r.N == 0 {
				r.Verdict = "NO DATA"
				continue
			}
			met := compare(r.Median, t.Op, t.Bound)
			t.Met = &met
			if !met && r.Verdict == "PASS" {
				r.Verdict = "MISS"
			}
		}
	}
}

func compare(v float64, op string, bound float64) bool {
	switch op {
	case "<=":
		return v <= bound
	case "<":
		return v < bound
	case ">=":
		return v >= bound
	}
	return false
}

// targetText renders the targets as "≤ 100 ms, ≤ 0.8×go_run_hello (97.6)".
func (r *Result) targetText() string {
	var parts []string
	for _, t := range r.Targets {
		sym := map[string]string{"<=": "≤", "<": "<", ">=": "≥"}[t.Op]
		if t.Of != "" {
			parts = append(parts, fmt.Sprintf("%s %g×[%s]=%s", sym, t.Value, t.Of, formatValue(t.Bound)))
		} else {
			parts = append(parts, fmt.Sprintf("%s %s", sym, formatValue(t.Value)))
		}
	}
	return strings.Join(parts, ", ")
}

func formatValue(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// WriteTable prints the report as an aligned text table.
func (rep *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "gokernel bench: %s/%s, %d CPUs (%s), %s, -n %d%s, %.0f s, load average %.1f → %.1f\n\n",
		rep.Machine.GOOS, rep.Machine.GOARCH, rep.Machine.CPUs, rep.Machine.CPUModel, rep.Machine.GoVersion,
		rep.Runs, map[bool]string{true: " quick", false: ""}[rep.Quick], rep.Seconds,
		rep.Machine.LoadBefore, rep.Machine.LoadAfter)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(tw, "fig\tkey\tmeasure\tunit\tmedian\tmin\tmax\tn\ttarget\tverdict\t")
	for _, r := range rep.Results {
		label := r.Label
		if r.Reference {
			label = "ref: " + label
		}
		median, lo, hi := "-", "-", "-"
		if r.N > 0 {
			median, lo, hi = formatValue(r.Median), formatValue(r.Min), formatValue(r.Max)
		}
		verdict := r.Verdict
		if len(r.Errors) > 0 {
			verdict += fmt.Sprintf(" (%d failed)", len(r.Errors))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t\n",
			r.Figure, r.Key, label, r.Unit, median, lo, hi, r.N, r.targetText(), verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rep.Results {
		if r.Note != "" {
			fmt.Fprintf(w, "note %s: %s\n", r.Key, r.Note)
		}
		for i, e := range r.Errors {
			if i == 3 {
				fmt.Fprintf(w, "error %s: ... %d more\n", r.Key, len(r.Errors)-3)
				break
			}
			fmt.Fprintf(w, "error %s: %s\n", r.Key, firstLines(e, 4))
		}
	}
	for _, f := range rep.Failures {
		fmt.Fprintf(w, "FAILED: %s\n", firstLines(f, 6))
	}
	return nil
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n    ")
}

// WriteJSON writes the report as indented JSON to path.
func (rep *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: encoding report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: writing report: %w", err)
	}
	return nil
}

// describeMachine fills Machine from the running system.
func describeMachine(kernelExe, goVersion string) Machine {
	m := Machine{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: goVersion,
		Kernel: kernelExe, LoadBefore: loadAverage()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m.MemoryMB = kb / 1024
		}
	}
	return m
}
