package main

// Tests of the run, release and grade commands, driving the real gokernel
// binary the way a user does.

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/grade"
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
