package main

// Tests of the run, release and grade commands, driving the real gokernel
// binary the way a user does.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/grade"
	"github.com/gokernel/gokernel/kernel/grade/class"
	"github.com/gokernel/gokernel/kernel/notebook"
)

// gokernelBinary builds the gokernel command into the test's temporary
// directory (removed with it), so the tests leave nothing behind.
func gokernelBinary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gokernel")
	if out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput(); err != nil {
		t.Fatalf("building gokernel: %v\n%s", err, out)
	}
	return path
}

type cmdResult struct {
	stdout, stderr string
	code           int
}

var (
	binariesMu sync.Mutex
	binaries   = map[*testing.T]string{}
)

// gokernel runs the command built for this test (built on first use).
func gokernel(t *testing.T, args ...string) cmdResult {
	t.Helper()
	binariesMu.Lock()
	bin, ok := binaries[t]
	if !ok {
		bin = gokernelBinary(t)
		binaries[t] = bin
		t.Cleanup(func() {
			binariesMu.Lock()
			delete(binaries, t)
			binariesMu.Unlock()
		})
	}
	binariesMu.Unlock()
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return cmdResult{stdout.String(), stderr.String(), code}
}

// writeCells writes a notebook of code cells.
func writeCells(t *testing.T, sources ...string) string {
	t.Helper()
	nb := notebook.New("")
	for i, src := range sources {
		nb.Cells = append(nb.Cells, notebook.Cell{ID: "c" + string(rune('0'+i)), Type: notebook.CodeCell, Source: src, Metadata: map[string]any{}})
	}
	path := filepath.Join(t.TempDir(), "nb.ipynb")
	if err := notebook.WriteFile(path, nb); err != nil {
		t.Fatal(err)
	}
	return path
}

func readValid(t *testing.T, path string) *notebook.Notebook {
	t.Helper()
	nb, err := notebook.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := notebook.Validate(nb); err != nil || nb.NbformatMinor != 5 {
		t.Fatalf("%s: not a valid nbformat 4.5 notebook: %v (minor %d)", path, err, nb.NbformatMinor)
	}
	return nb
}

func TestRunDemo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo-out.ipynb")
	r := gokernel(t, "run", "../../notebooks/demo.ipynb", "-o", out)
	if r.code != 0 {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"In [1]:\n", "Hello from Go!\n", "Hello, gopher! Today's topic: concurrency\n", "squares: [0 1 4 9 16]\n", "In [5]:\nOut[5]: 42\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("terminal lacks %q:\n%s", want, r.stdout)
		}
	}
	nb := readValid(t, out)
	if nb.KernelspecName() != notebook.KernelName {
		t.Errorf("kernelspec: have %q", nb.KernelspecName())
	}
	last := nb.Cells[len(nb.Cells)-1]
	if len(last.Outputs) != 1 || last.Outputs[0].Data["text/plain"] != "42" {
		t.Errorf("last cell: have %+v, want Out 42", last.Outputs)
	}
}

func TestRunExitStatus(t *testing.T) {
	path := writeCells(t, `fmt.Println("one")`, `panic("boom")`, `fmt.Println("three")`)
	tests := []struct {
		name      string
		args      []string
		code      int
		ran3      bool
		wantInErr string
	}{
		{"stops at the failing cell", nil, 1, false, "cell 1 (In [2], id c1) failed: panic: boom"},
		{"allow errors runs on", []string{"--allow-errors"}, 0, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.ipynb")
			r := gokernel(t, append([]string{"run", path, "-o", out}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.wantInErr) {
				t.Errorf("have status %d, stderr %q; want %d and %q", r.code, r.stderr, tt.code, tt.wantInErr)
			}
			if have := strings.Contains(r.stdout, "three"); have != tt.ran3 {
				t.Errorf("third cell ran: have %v, want %v\n%s", have, tt.ran3, r.stdout)
			}
			nb := readValid(t, out)
			if errs := nb.Cells[1].Outputs; len(errs) == 0 || errs[len(errs)-1].Ename != "panic" {
				t.Errorf("failing cell outputs: %+v", errs)
			}
		})
	}
}

func TestRunUsage(t *testing.T) {
	if r := gokernel(t, "run"); r.code != 2 || !strings.Contains(r.stderr, "usage: gokernel run NOTEBOOK.ipynb") {
		t.Errorf("have status %d stderr %q, want 2 and the usage", r.code, r.stderr)
	}
}

func TestHelpListsFlags(t *testing.T) {
	tests := []struct {
		command, usage, flag string
	}{
		{"run", "usage: gokernel run NOTEBOOK.ipynb", "-allow-errors"},
		{"release", "usage: gokernel release SOURCE.ipynb", "-o string"},
		{"grade", "usage: gokernel grade SUBMISSION.ipynb", `(default "512MB")`},
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			r := gokernel(t, tt.command, "-h")
			if r.code != 2 || !strings.Contains(r.stderr, tt.usage) || !strings.Contains(r.stderr, tt.flag) {
				t.Errorf("have status %d stderr %q, want 2, %q and %q", r.code, r.stderr, tt.usage, tt.flag)
			}
			if strings.Contains(r.stderr, "help requested") {
				t.Errorf("stderr %q has the flag package's 'help requested', want only the usage and flags", r.stderr)
			}
		})
	}
}

func TestRunTimeout(t *testing.T) {
	path := writeCells(t, "for {\n\ttime.Sleep(time.Millisecond)\n}", `fmt.Println("after")`)
	out := filepath.Join(t.TempDir(), "out.ipynb")
	start := time.Now()
	r := gokernel(t, "run", path, "--timeout", "1s", "-o", out)
	if r.code == 0 || time.Since(start) > 20*time.Second {
		t.Fatalf("have status %d after %v, want a failure soon after 1s", r.code, time.Since(start))
	}
	nb := readValid(t, out)
	outs := nb.Cells[0].Outputs
	if len(outs) == 0 || outs[len(outs)-1].Ename != "CellTimeoutError" {
		t.Errorf("have %+v, want a CellTimeoutError", outs)
	}
}

// TestRunCtrlC interrupts a looping cell with SIGINT, as Ctrl-C does.
func TestRunCtrlC(t *testing.T) {
	path := writeCells(t, "fmt.Println(\"looping\")\nfor {\n\ttime.Sleep(time.Millisecond)\n}", `fmt.Println("after")`)
	out := filepath.Join(t.TempDir(), "out.ipynb")
	cmd := exec.Command(gokernelBinary(t), "run", path, "-o", out)
	stdout := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stdout.String(), "looping") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Logf("exited %v after SIGINT", time.Since(sent).Round(time.Millisecond))
		if err == nil {
			t.Errorf("exit status 0 after an interrupt")
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 10s after SIGINT:\n%s", stdout.String())
	}
	if strings.Contains(stdout.String(), "after") && !strings.Contains(stdout.String(), "cells ran") {
		t.Errorf("the next cell ran after the interrupt:\n%s", stdout.String())
	}
	nb := readValid(t, out)
	outs := nb.Cells[0].Outputs
	if len(outs) == 0 || outs[len(outs)-1].Type != notebook.ErrorOutput {
		t.Errorf("interrupted cell: have %+v, want an error output", outs)
	}
	if nb.Cells[1].ExecutionCount != nil {
		t.Errorf("the second cell ran")
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestReleaseAndGrade(t *testing.T) {
	source := "../../notebooks/assignments/02-worker-pool.ipynb"
	dir := t.TempDir()
	student := filepath.Join(dir, "subs", "bob", "pool.ipynb")
	os.MkdirAll(filepath.Dir(student), 0o755)
	if r := gokernel(t, "release", source, "-o", student); r.code != 0 {
		t.Fatalf("release: status %d: %s", r.code, r.stderr)
	}
	released := readValid(t, student)
	for _, c := range released.Cells {
		if strings.Contains(c.Source, "BEGIN SOLUTION") || strings.Contains(c.Source, "HIDDEN TESTS") {
			t.Errorf("released cell %s still has a marked region:\n%s", c.ID, c.Source)
		}
	}
	alice := filepath.Join(dir, "subs", "alice", "pool.ipynb")
	os.MkdirAll(filepath.Dir(alice), 0o755)
	src, _ := os.ReadFile(source)
	os.WriteFile(alice, src, 0o644)

	r := gokernel(t, "grade", student, "--source", source, "--json")
	var one grade.Report
	if err := json.Unmarshal([]byte(r.stdout), &one); err != nil || r.code != 0 {
		t.Fatalf("grade --json: status %d, %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	if one.Score != 0 || one.MaxScore != 5 || one.Cells[0].Reason != "panic: not implemented" {
		t.Errorf("released version: have %+v, want 0/5 for not implemented", one)
	}

	csvPath := filepath.Join(dir, "grades.csv")
	executed := filepath.Join(dir, "graded")
	r = gokernel(t, "grade", filepath.Join(dir, "subs"), "--source", source, "--csv", csvPath, "--executed", executed, "--json")
	var all []grade.Report
	if err := json.Unmarshal([]byte(r.stdout), &all); err != nil || r.code != 0 {
		t.Fatalf("grade DIR: status %d, %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "2/2") {
		t.Errorf("no progress bar on stderr: %q", r.stderr)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := grade.ReadCSV(f)
	if err != nil || len(rows) != 2 {
		t.Fatalf("CSV: %d rows, %v", len(rows), err)
	}
	want := map[string]float64{"alice": 5, "bob": 0}
	for i, row := range rows {
		if row.Student != all[i].Student || row.Score != all[i].Score || row.Score != want[row.Student] {
			t.Errorf("CSV row %+v, JSON %+v, want score %v", row, all[i], want[row.Student])
		}
		readValid(t, filepath.Join(executed, row.Student+".ipynb"))
	}
}

// TestGradeShardsMergeToTheWholeRun grades a class of twelve once whole and
// once in three shards, as three machines would, and checks that merging the
// shards' results gives the very report of the whole run: the same JSON
// (grading times aside) and the same grades CSV, byte for byte. The class's
// kinds are those whose report is the same every time they are graded.
func TestGradeShardsMergeToTheWholeRun(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: grades twelve submissions twice (about a minute)")
	}
	source := "../../notebooks/assignments/02-worker-pool.ipynb"
	dir := t.TempDir()
	classDir := filepath.Join(dir, "class")
	// Not HugePrint: whether 1 GB is printed within the 2 s limit, or cut
	// first, varies from run to run, and with it the report's notes.
	mix := []class.Kind{class.Correct, class.NotAttempted, class.Panic, class.Correct, class.InfiniteLoop, class.Correct}
	plans, err := class.Generate(classDir, source, 12, mix)
	if err != nil {
		t.Fatal(err)
	}
	limits := []string{"--source", source, "-j", "2", "--timeout", "2s"}
	gradeJSON := func(args ...string) []grade.Report {
		t.Helper()
		r := gokernel(t, append(args, "--json")...)
		var reports []grade.Report
		if err := json.Unmarshal([]byte(r.stdout), &reports); err != nil || r.code != 0 {
			t.Fatalf("gokernel %s: status %d, %v\n%s", strings.Join(args, " "), r.code, err, r.stderr)
		}
		for i := range reports {
			reports[i].Seconds = 0
		}
		return reports
	}

	wholeCSV := filepath.Join(dir, "whole.csv")
	whole := gradeJSON(append([]string{"grade", classDir, "--csv", wholeCSV}, limits...)...)
	if len(whole) != len(plans) {
		t.Fatalf("the whole run graded %d submissions, want %d", len(whole), len(plans))
	}
	for i := range whole {
		if err := plans[i].Check(&whole[i]); err != nil {
			t.Error(err)
		}
	}

	var parts []string
	for i := range 3 {
		part := filepath.Join(dir, fmt.Sprintf("part-%d.json", i))
		shard := gradeJSON(append([]string{"grade", classDir, "--shard", fmt.Sprintf("%d/3", i), "--results", part}, limits...)...)
		if len(shard) != 4 {
			t.Errorf("shard %d/3 graded %d submissions, want 4", i, len(shard))
		}
		parts = append(parts, part)
	}
	mergedCSV := filepath.Join(dir, "merged.csv")
	merged := gradeJSON(append(append([]string{"grade", "--merge"}, parts[2], parts[0], parts[1]), "--csv", mergedCSV)...)
	if !reflect.DeepEqual(merged, whole) {
		a, _ := json.MarshalIndent(whole, "", " ")
		b, _ := json.MarshalIndent(merged, "", " ")
		t.Errorf("the merged report differs from the whole run's:\nwhole:\n%s\nmerged:\n%s", a, b)
	}
	a, _ := os.ReadFile(wholeCSV)
	b, _ := os.ReadFile(mergedCSV)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("grades CSV of the merge differs from the whole run's:\n%s\nagainst\n%s", b, a)
	}

	// A shard missing, or merged twice, is an error that says so; nothing is written.
	for _, tt := range []struct {
		parts []string
		want  string
	}{
		{parts[:2], "missing shard 2/3"},
		{append(parts, parts[1]), "shard 1/3 is given twice"},
	} {
		csv := filepath.Join(dir, "bad.csv")
		r := gokernel(t, append(append([]string{"grade", "--merge"}, tt.parts...), "--csv", csv)...)
		if r.code != 1 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("merging %d parts: status %d, stderr %q; want status 1 saying %q", len(tt.parts), r.code, r.stderr, tt.want)
		}
		if _, err := os.Stat(csv); err == nil {
			t.Errorf("a failed merge wrote %s", csv)
		}
	}
	if r := gokernel(t, append([]string{"grade", plans[0].Path, "--shard", "0/2"}, limits...)...); r.code != 1 || !strings.Contains(r.stderr, "splits a folder") {
		t.Errorf("--shard on one notebook: status %d, %q", r.code, r.stderr)
	}
}

// TestGradeBenchCommand runs the class benchmark on a class of four, to keep
// the command working; the figures quoted in the README come from -n 200.
func TestGradeBenchCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: grades four submissions four times (about 30 s)")
	}
	out := filepath.Join(t.TempDir(), "gradebench.json")
	r := gokernel(t, "gradebench", "-n", "4", "-shards", "2", "-j", "2", "-timeout", "2s", "-q",
		"-source", "../../notebooks/assignments/02-worker-pool.ipynb", "-o", out)
	if r.code != 0 {
		t.Fatalf("gradebench: status %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var res class.Result
	b, _ := os.ReadFile(out)
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", r.stdout)
	if res.Students != 4 || len(res.Shards) != 2 || res.Whole.Wall <= 0 || res.One <= 0 || res.Median <= 0 ||
		res.Whole.PeakRSS <= 0 || res.Whole.LargestRSS <= 0 || !res.MergedCSVIdentical || len(res.Mismatches) > 0 {
		t.Errorf("figures missing or wrong: %+v", res)
	}
	for _, want := range []string{"baseline: one submission alone", "per submission", "peak RSS", "graded as planned +4 of 4"} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("the table does not show %q:\n%s", want, r.stdout)
		}
	}
}
