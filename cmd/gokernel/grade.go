package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gokernel/gokernel/kernel/engine"
	"github.com/gokernel/gokernel/kernel/grade"
	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/notebook"
)

func init() {
	register(&command{
		Name: "grade",
		Usage: "grade SUBMISSION.ipynb|DIR [--source SOURCE.ipynb] [--json] [--csv FILE] [--executed DIR] " +
			"[-j N] [--timeout D] [--memory SIZE] [--procs N] [--cpu D] [--output SIZE] [--shard I/N] [--results FILE]\n" +
			"       gokernel grade --merge RESULTS.json... [--json] [--csv FILE] [--results FILE]",
		Short: "grade a submission, or a folder of them, against an assignment",
		Run:   gradeCommand,
	})
}

// Limits every graded cell runs under unless a flag says otherwise: generous
// for the course's exercises, small enough that a hostile submission cannot
// hurt the machine or hold up the class.
const (
	gradeTimeout = 30 * time.Second
	gradeMemory  = 512 << 20
	gradeProcs   = 256
	gradeCPU     = 60 * time.Second
	gradeOutput  = 1 << 20
)

func gradeCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("grade", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	sourcePath := fs.String("source", "", "the assignment with solutions and hidden tests (default: the submission itself)")
	asJSON := fs.Bool("json", false, "print the reports as JSON")
	csvPath := fs.String("csv", "", "write one row per submission to this CSV file")
	executedDir := fs.String("executed", "", "write each executed notebook into this folder")
	workers := fs.Int("j", runtime.NumCPU(), "submissions graded at once")
	timeout := fs.Duration("timeout", gradeTimeout, "wall-clock limit per cell")
	memory := fs.String("memory", strconv.Itoa(gradeMemory>>20)+"MB", "memory limit per cell")
	procs := fs.Int("procs", gradeProcs, "limit on threads and processes per cell")
	cpu := fs.Duration("cpu", gradeCPU, "CPU time limit per cell")
	output := fs.String("output", strconv.Itoa(gradeOutput>>10)+"KB", "output kept per cell")
	shardSpec := fs.String("shard", "", "grade only part I of N of the folder, I from 0 (a Kubernetes Indexed Job passes $JOB_COMPLETION_INDEX/N); put the parts together with --merge")
	resultsPath := fs.String("results", "", "also write the reports to this file, for --merge")
	merge := fs.Bool("merge", false, "merge the results files of every shard of a class (the arguments) into the report one run over the whole class gives")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	out := reportOutputs{asJSON: *asJSON, csvPath: *csvPath, resultsPath: *resultsPath}
	if *merge {
		if len(positional) == 0 || *shardSpec != "" || *executedDir != "" || *sourcePath != "" {
			return errors.New("--merge takes the results files of a graded class and nothing to grade: no --source, --shard or --executed")
		}
		return mergeResults(positional, out)
	}
	if len(positional) != 1 {
		return errUsage
	}
	shard := grade.Whole
	if *shardSpec != "" {
		if shard, err = grade.ParseShard(*shardSpec); err != nil {
			return fmt.Errorf("--shard: %w", err)
		}
	}
	target := positional[0]
	memBytes, err := parseSize(*memory)
	if err != nil {
		return fmt.Errorf("--memory: %w", err)
	}
	outBytes, err := parseSize(*output)
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}

	info, err := os.Stat(target)
	if err != nil {
		return err
	}
	var subs []grade.Submission
	if info.IsDir() {
		if *sourcePath == "" {
			return fmt.Errorf("grading a folder needs --source SOURCE.ipynb")
		}
		if subs, err = grade.FindSubmissions(target); err != nil {
			return err
		}
		if len(subs) == 0 {
			return fmt.Errorf("no notebooks in %s", target)
		}
	} else {
		if *shardSpec != "" {
			return fmt.Errorf("--shard splits a folder of submissions; %s is one notebook", target)
		}
		subs = []grade.Submission{grade.SubmissionOf(target)}
	}
	total := len(subs)
	subs, positions := shard.Select(subs)
	if *sourcePath == "" {
		*sourcePath = target
		fmt.Fprintln(os.Stderr, "warning: no --source: grading with the submission's own test cells (hidden tests are missing and edits are not undone)")
	}
	sourceBytes, err := os.ReadFile(*sourcePath)
	if err != nil {
		return err
	}
	source, err := notebook.Parse(sourceBytes)
	if err != nil {
		return fmt.Errorf("%s: %w", *sourcePath, err)
	}
	if err := grade.CheckSource(source); err != nil {
		return err
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	limits := engine.Limits{Memory: memBytes, Procs: *procs, CPU: *cpu, Output: outBytes}
	// One cache for every submission: their unchanged cells (the
	// assignment's own) build once.
	binaries := engine.UserBinaryCache(logger)
	g := &grade.Grader{
		Source:         source,
		CellTimeout:    *timeout + 10*time.Second, // the engine's own timeout fires first and shows where goroutines were
		MaxOutputBytes: outBytes + 64<<10,
		Logger:         logger,
		NewInterpreter: func(ctx context.Context, dir string) (interp.Interpreter, error) {
			return engine.New(ctx, engine.Config{Logger: logger, Timeout: *timeout, Limits: limits, Dir: dir, BinaryCache: binaries})
		},
	}

	start := time.Now()
	var progress func(done, total int, r *grade.Report)
	if total > 1 && len(subs) > 0 {
		progress = progressBar(os.Stderr, start)
	}
	graded := g.GradeAll(ctx, subs, *workers, progress)
	if err := ctx.Err(); err != nil {
		// Interrupted: the remaining submissions were not really graded, so
		// write no grades file that would say they scored zero.
		return fmt.Errorf("grading interrupted after %s: no reports written", time.Since(start).Round(time.Millisecond))
	}

	results := &grade.Results{Format: grade.ResultsFormat, SourceSHA256: grade.SourceHash(sourceBytes), Shard: shard, Total: total}
	reports := make([]*grade.Report, len(graded))
	for i, gr := range graded {
		reports[i] = gr.Report
		results.Entries = append(results.Entries, grade.Entry{Index: positions[i], Report: gr.Report})
		if *executedDir != "" && gr.Executed != nil {
			if err := writeExecuted(*executedDir, gr.Report, gr.Executed); err != nil {
				return err
			}
		}
	}
	if err := out.write(reports, results); err != nil {
		return err
	}
	if total > 1 {
		what := fmt.Sprintf("%d submissions", len(subs))
		if shard != grade.Whole {
			what += fmt.Sprintf(" (shard %s of a class of %d)", shard, total)
		}
		fmt.Fprintf(os.Stderr, "graded %s in %s\n", what, time.Since(start).Round(time.Millisecond))
	}
	return ctx.Err()
}

// reportOutputs are where a grading run or a merge writes its reports.
type reportOutputs struct {
	asJSON      bool   // JSON on stdout instead of a table
	csvPath     string // one row per submission
	resultsPath string // a results file for --merge
}

func (o reportOutputs) write(reports []*grade.Report, results *grade.Results) error {
	if o.resultsPath != "" {
		if err := grade.WriteResultsFile(o.resultsPath, results); err != nil {
			return err
		}
	}
	if o.csvPath != "" {
		if err := writeCSVFile(o.csvPath, reports); err != nil {
			return err
		}
	}
	if o.asJSON {
		return grade.WriteJSON(os.Stdout, reports...)
	}
	printReports(os.Stdout, reports)
	return nil
}

// mergeResults puts the results files of a class's shards together and
// writes the reports as one run over the whole class would.
func mergeResults(paths []string, out reportOutputs) error {
	var parts []*grade.Results
	for _, p := range paths {
		r, err := grade.ReadResultsFile(p)
		if err != nil {
			return err
		}
		parts = append(parts, r)
	}
	reports, err := grade.Merge(parts, paths)
	if err != nil {
		return err
	}
	whole := &grade.Results{Format: grade.ResultsFormat, SourceSHA256: parts[0].SourceSHA256, Shard: grade.Whole, Total: len(reports)}
	for i, r := range reports {
		whole.Entries = append(whole.Entries, grade.Entry{Index: i, Report: r})
	}
	if err := out.write(reports, whole); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "merged %d shards: %d submissions\n", len(parts), len(reports))
	return nil
}

// progressBar draws "[#####.....] 7/20 alice 7/10" on one terminal line.
func progressBar(w io.Writer, start time.Time) func(done, total int, r *grade.Report) {
	return func(done, total int, r *grade.Report) {
		const width = 30
		filled := width * done / total
		fmt.Fprintf(w, "\r[%s%s] %d/%d  %s: %s/%s  %s   ",
			strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total,
			r.Student, points(r.Score), points(r.MaxScore), time.Since(start).Round(time.Second))
		if done == total {
			fmt.Fprintln(w)
		}
	}
}

// printReports prints each report as a short table for a human.
func printReports(w io.Writer, reports []*grade.Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range reports {
		fmt.Fprintf(tw, "%s\t%s/%s\t%s\n", r.Student, points(r.Score), points(r.MaxScore), r.Submission)
		if r.Error != "" {
			fmt.Fprintf(tw, "  error:\t%s\n", r.Error)
		}
		for _, c := range r.Cells {
			line := fmt.Sprintf("  %s\t%s/%s\t%s", c.GradeID, points(c.Points), points(c.MaxPoints), c.Status)
			if c.Reason != "" {
				line += "\t" + c.Reason
			}
			fmt.Fprintln(tw, line)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(tw, "  note:\t%s\n", n)
		}
	}
	tw.Flush()
}

func writeExecuted(dir string, r *grade.Report, nb *notebook.Notebook) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return notebook.WriteFile(filepath.Join(dir, r.Student+".ipynb"), nb)
}

func writeCSVFile(path string, reports []*grade.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := grade.WriteCSV(f, reports); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func points(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) }

// parseSize reads "512MB", "2GiB", "64KB" or a number of bytes.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}}
	upper := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(upper, u.suffix) {
			upper, mult = strings.TrimSpace(strings.TrimSuffix(upper, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(upper, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size like 512MB", s)
	}
	return int64(n * float64(mult)), nil
}
