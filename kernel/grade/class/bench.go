package class

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/gokernel/gokernel/kernel/grade"
)

// Config says what class Bench grades and how.
type Config struct {
	Exe      string        // the gokernel binary
	Source   string        // the assignment, with solutions
	Students int           // submissions in the class
	Mix      []Kind        // their kinds, in turn (nil: DefaultMix)
	Workers  int           // gokernel grade -j
	Shards   int           // the class is also graded in this many shards, one after another, then merged
	Timeout  time.Duration // gokernel grade --timeout, the limit per cell
	Dir      string        // where the class and the reports go ("": a temporary folder, removed)
	Progress io.Writer     // the grade commands' progress bars (nil: discarded)
}

// Run is the figures of one gokernel grade command.
type Run struct {
	Name        string        `json:"name"`
	Submissions int           `json:"submissions"`
	Wall        time.Duration `json:"wall_ns"`
	// PeakRSS is the most resident memory the grader and every process it
	// started (builds, cells) held at once, sampled every 50 ms.
	PeakRSS int64 `json:"peak_rss_bytes"`
	// LargestRSS is the peak of the largest single process among the grader
	// and the processes it waited for (getrusage of the grade command): a
	// memory hog's cell up to its limit, or the grader itself.
	LargestRSS int64 `json:"largest_process_rss_bytes"`
}

// Result is what Bench measured.
type Result struct {
	Source   string       `json:"source"`
	Students int          `json:"students"`
	Kinds    map[Kind]int `json:"kinds"`
	Workers  int          `json:"workers"`
	Cores    int          `json:"cores"`
	Timeout  string       `json:"timeout"`
	// Load is the machine's load average (1, 5, 15 minutes) when the run
	// began and ended: other work on the machine slows every figure.
	Load [2]string `json:"load_average"`
	// One is the baseline: one correct submission graded alone by its own
	// gokernel grade command, after a first run warmed the build cache.
	One    time.Duration `json:"one_ns"`
	Whole  Run           `json:"whole"`
	Shards []Run         `json:"shards"`
	// Seconds per submission in the whole run (its reports' times).
	Median       time.Duration          `json:"median_ns"`
	P95          time.Duration          `json:"p95_ns"`
	Max          time.Duration          `json:"max_ns"`
	MedianByKind map[Kind]time.Duration `json:"median_by_kind_ns"`
	// Mismatches are submissions the whole run did not grade as planned.
	Mismatches []string `json:"mismatches"`
	// MergeDiffs are submissions whose report merged from the shards differs
	// from the whole run's (see DiffReports); MergedCSVIdentical compares the
	// two grades CSVs byte for byte.
	MergeDiffs         []string `json:"merge_diffs"`
	MergedCSVIdentical bool     `json:"merged_csv_identical"`
}

// Bench generates a class, grades it with gokernel grade once whole and once
// in shards, merges the shards, and measures: wall time, time per
// submission, peak memory, and whether the merge equals the whole run.
func Bench(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Mix == nil {
		cfg.Mix = DefaultMix
	}
	cfg.Shards = max(cfg.Shards, 1)
	cfg.Workers = max(cfg.Workers, 1)
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	dir := cfg.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "gokernel-gradebench-*")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	classDir := filepath.Join(dir, "class")
	plans, err := Generate(classDir, cfg.Source, cfg.Students, cfg.Mix)
	if err != nil {
		return nil, err
	}
	res := &Result{Source: cfg.Source, Students: cfg.Students, Kinds: map[Kind]int{}, Workers: cfg.Workers,
		Cores: runtime.NumCPU(), Timeout: cfg.Timeout.String(), MedianByKind: map[Kind]time.Duration{}}
	for _, p := range plans {
		res.Kinds[p.Kind]++
	}
	res.Load[0] = loadAverage()
	defer func() { res.Load[1] = loadAverage() }()
	limits := []string{"--source", cfg.Source, "-j", strconv.Itoa(cfg.Workers), "--timeout", cfg.Timeout.String()}

	// The baseline: one right answer alone, warm.
	if i := slices.IndexFunc(plans, func(p Planned) bool { return p.Kind == Correct }); i >= 0 {
		one := append([]string{"grade", plans[i].Path}, limits...)
		if _, err := runGrade(ctx, cfg, "warm-up", one); err != nil {
			return nil, err
		}
		r, err := runGrade(ctx, cfg, "one", one)
		if err != nil {
			return nil, err
		}
		res.One = r.Wall
	}

	wholeResults := filepath.Join(dir, "whole.json")
	wholeCSV := filepath.Join(dir, "whole.csv")
	res.Whole, err = runGrade(ctx, cfg, "whole class", append([]string{"grade", classDir, "--results", wholeResults, "--csv", wholeCSV}, limits...))
	if err != nil {
		return nil, err
	}
	res.Whole.Submissions = cfg.Students
	var parts []string
	for i := range cfg.Shards {
		part := filepath.Join(dir, fmt.Sprintf("shard-%d.json", i))
		shard := fmt.Sprintf("%d/%d", i, cfg.Shards)
		r, err := runGrade(ctx, cfg, "shard "+shard, append([]string{"grade", classDir, "--shard", shard, "--results", part}, limits...))
		if err != nil {
			return nil, err
		}
		r.Submissions = (cfg.Students - i + cfg.Shards - 1) / cfg.Shards
		res.Shards = append(res.Shards, r)
		parts = append(parts, part)
	}
	mergedResults := filepath.Join(dir, "merged.json")
	mergedCSV := filepath.Join(dir, "merged.csv")
	if _, err := runGrade(ctx, cfg, "merge", append(append([]string{"grade", "--merge"}, parts...), "--results", mergedResults, "--csv", mergedCSV)); err != nil {
		return nil, err
	}

	whole, err := grade.ReadResultsFile(wholeResults)
	if err != nil {
		return nil, err
	}
	merged, err := grade.ReadResultsFile(mergedResults)
	if err != nil {
		return nil, err
	}
	if len(whole.Entries) != len(plans) {
		return nil, fmt.Errorf("the whole run reported %d submissions of %d", len(whole.Entries), len(plans))
	}
	res.MergeDiffs = DiffReports(whole, merged)
	a, _ := os.ReadFile(wholeCSV)
	b, _ := os.ReadFile(mergedCSV)
	res.MergedCSVIdentical = len(a) > 0 && bytes.Equal(a, b)

	var all []time.Duration
	byKind := map[Kind][]time.Duration{}
	for i, e := range whole.Entries {
		if err := plans[i].Check(e.Report); err != nil {
			res.Mismatches = append(res.Mismatches, err.Error())
		}
		d := time.Duration(e.Report.Seconds * float64(time.Second))
		all = append(all, d)
		byKind[plans[i].Kind] = append(byKind[plans[i].Kind], d)
	}
	res.Median, res.P95, res.Max = quantile(all, 0.5), quantile(all, 0.95), quantile(all, 1)
	for k, ds := range byKind {
		res.MedianByKind[k] = quantile(ds, 0.5)
	}
	return res, nil
}

// DiffReports lists the submissions whose reports differ between two results
// of the same class, nil when they agree. The whole run and the shards grade
// each submission separately, so it ignores what differs between two
// gradings of one notebook: how long grading took, and the numbers in a
// failure's reason (a measured "took 422ms", a count of goroutines).
func DiffReports(a, b *grade.Results) []string {
	if len(a.Entries) != len(b.Entries) {
		return []string{fmt.Sprintf("%d reports against %d", len(a.Entries), len(b.Entries))}
	}
	var diffs []string
	for i := range a.Entries {
		x, y := comparable(a.Entries[i]), comparable(b.Entries[i])
		if x != y {
			diffs = append(diffs, fmt.Sprintf("submission %d: %s\n  against %s", i, x, y))
		}
	}
	return diffs
}

var digits = regexp.MustCompile(`[0-9]+(\.[0-9]+)?`)

// comparable is an entry as JSON without its timing and the numbers in its reasons.
func comparable(e grade.Entry) string {
	r := *e.Report
	r.Seconds = 0
	r.Cells = slices.Clone(r.Cells)
	for i := range r.Cells {
		r.Cells[i].Reason = digits.ReplaceAllString(r.Cells[i].Reason, "N")
	}
	b, _ := json.Marshal(grade.Entry{Index: e.Index, Report: &r})
	return string(b)
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// runGrade runs one gokernel command and measures it.
func runGrade(ctx context.Context, cfg Config, name string, args []string) (Run, error) {
	fmt.Fprintf(cfg.Progress, "gradebench: %s\n", name)
	cmd := exec.CommandContext(ctx, cfg.Exe, args...)
	var stderr bytes.Buffer
	cmd.Stdout = io.Discard
	cmd.Stderr = io.MultiWriter(cfg.Progress, &stderr)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Run{}, err
	}
	peak := samplePeak(cmd.Process.Pid, 50*time.Millisecond)
	err := cmd.Wait()
	r := Run{Name: name, Wall: time.Since(start), PeakRSS: peak.Stop()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.LargestRSS = ru.Maxrss << 10 // kilobytes on Linux
	}
	if err != nil {
		return r, fmt.Errorf("gokernel %s: %v\n%s", name, err, lastLines(stderr.String(), 5))
	}
	return r, nil
}

func lastLines(s string, n int) string {
	lines := bytes.Split(bytes.TrimSpace([]byte(s)), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// WriteTable prints the figures for a person.
func (r *Result) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "class\t%d submissions of %s on %d cores, -j %d, --timeout %s\n", r.Students, filepath.Base(r.Source), r.Cores, r.Workers, r.Timeout)
	fmt.Fprintf(tw, "load average\t%s at the start, %s at the end\n", r.Load[0], r.Load[1])
	kinds := make([]Kind, 0, len(r.Kinds))
	for k := range r.Kinds {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		fmt.Fprintf(tw, "  %s\t%d\tmedian %s\n", k, r.Kinds[k], r.MedianByKind[k].Round(time.Millisecond))
	}
	fmt.Fprintf(tw, "baseline: one submission alone\t%s\t(x %d = %s)\n", r.One.Round(time.Millisecond), r.Students, (r.One * time.Duration(r.Students)).Round(time.Second))
	for _, run := range append([]Run{r.Whole}, r.Shards...) {
		fmt.Fprintf(tw, "%s: %d submissions\twall %s\tpeak RSS %s, largest process %s\n", run.Name, run.Submissions,
			run.Wall.Round(time.Millisecond), mb(run.PeakRSS), mb(run.LargestRSS))
	}
	slowest := time.Duration(0)
	for _, s := range r.Shards {
		slowest = max(slowest, s.Wall)
	}
	fmt.Fprintf(tw, "on %d machines (slowest shard)\twall %s\n", len(r.Shards), slowest.Round(time.Millisecond))
	fmt.Fprintf(tw, "per submission (whole run)\tmedian %s\tp95 %s\tmax %s\n", r.Median.Round(time.Millisecond), r.P95.Round(time.Millisecond), r.Max.Round(time.Millisecond))
	fmt.Fprintf(tw, "graded as planned\t%d of %d\n", r.Students-len(r.Mismatches), r.Students)
	fmt.Fprintf(tw, "merged shards = whole run\tgrades CSV identical: %v; %d of %d reports identical word for word (times and measured numbers aside)\n", r.MergedCSVIdentical, r.Students-len(r.MergeDiffs), r.Students)
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, m := range r.Mismatches {
		fmt.Fprintln(w, "NOT AS PLANNED:", m)
	}
	for _, d := range r.MergeDiffs {
		// Same points, another reason: graded twice, a hostile cell can hit
		// a different limit first (memory or threads, or the timeout).
		fmt.Fprintln(w, "GRADED DIFFERENTLY THE SECOND TIME:", d)
	}
	return nil
}

// loadAverage is /proc/loadavg's first three fields, or "" where there is none.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return ""
}

func mb(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }
