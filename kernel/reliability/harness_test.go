package reliability

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/bench"
)

// kernelBin is the gokernel binary under test, built by TestMain.
var kernelBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if bin := os.Getenv("GOKERNEL_BIN"); bin != "" {
		kernelBin = bin
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "gokernel-reliability-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	kernelBin = filepath.Join(dir, "gokernel")
	build := exec.Command("go", "build", "-o", kernelBin, "github.com/gokernel/gokernel/cmd/gokernel")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "reliability: building gokernel: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// long reports whether the full sizes were asked for.
func long() bool { return os.Getenv("GOKERNEL_LONG") != "" }

// size returns full under GOKERNEL_LONG, short otherwise.
func size(short, full int) int {
	if long() {
		return full
	}
	return short
}

// figure logs a line the README's Reliability section is built from.
func figure(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("RELIABILITY: "+format, args...)
}

// session is a kernel under test and a client connected to it.
type session struct {
	t   *testing.T
	k   *bench.Kernel
	c   *bench.Client
	tmp string // the kernel's TMPDIR: its workspaces land here
}

type startOptions struct {
	ip  string
	env []string
}

// start starts a kernel with a private TMPDIR and connects to it; the
// kernel is stopped (and killed if need be) when the test ends.
func start(t *testing.T, opts startOptions) *session {
	t.Helper()
	tmp := t.TempDir()
	// A private TMPDIR catches every workspace and temp file the kernel
	// makes; a private Jupyter data dir keeps history out of the real one.
	env := append([]string{"TMPDIR=" + tmp, "JUPYTER_DATA_DIR=" + t.TempDir()}, opts.env...)
	k, err := bench.StartKernel(context.Background(), bench.KernelConfig{Exe: kernelBin, IP: opts.ip, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	s := &session{t: t, k: k, tmp: tmp}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := k.Connect(ctx, nil)
	if err != nil {
		k.Stop(time.Second)
		t.Fatalf("connecting to the kernel: %v", err)
	}
	s.c = c
	t.Cleanup(func() {
		if s.c != nil {
			s.c.Close()
		}
		if err := s.k.Stop(3 * time.Second); err != nil {
			t.Errorf("stopping the kernel: %v\nkernel log:\n%s", err, s.k.Output())
		}
	})
	return s
}

// execute runs code and fails the test unless it replies ok; it returns the call.
func (s *session) execute(code string, timeout time.Duration) *bench.Call {
	s.t.Helper()
	call, err := s.try(code, timeout)
	if err != nil {
		s.t.Fatalf("%v\nkernel log:\n%s", err, s.k.Output())
	}
	return call
}

// try runs code and returns an error unless it replied ok.
func (s *session) try(code string, timeout time.Duration) (*bench.Call, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	call, err := s.c.Execute(ctx, code)
	if err != nil {
		return call, fmt.Errorf("executing %.60q: %w", code, err)
	}
	r, err := call.ExecuteReply()
	if err != nil {
		return call, err
	}
	if r.Status != "ok" {
		return call, fmt.Errorf("executing %.60q: status %q: %s: %s\n%s", code, r.Status, r.Ename, r.Evalue, strings.Join(r.Traceback, "\n"))
	}
	return call, nil
}

// hello runs a cell printing a unique word and checks it is printed.
func (s *session) hello(timeout time.Duration) {
	s.t.Helper()
	word := fmt.Sprintf("hello-%d", time.Now().UnixNano())
	call := s.execute(fmt.Sprintf("fmt.Println(%q)", word), timeout)
	if have := call.Stdout(); !strings.Contains(have, word) {
		s.t.Fatalf("hello cell: have stdout %q, want it to contain %q", have, word)
	}
}

// logMark returns the kernel's log so far, for logSince.
func (s *session) logMark() string { return s.k.Output() }

// logSince returns the lines the kernel logged after mark. The harness keeps
// the last 64 KB of the log: if it rolled over since mark, lines cannot be
// attributed and the test fails (a log that fast is a finding in itself).
func (s *session) logSince(mark string) []string {
	s.t.Helper()
	time.Sleep(50 * time.Millisecond) // the pipe from the kernel's stderr may lag
	out := s.k.Output()
	rest, ok := strings.CutPrefix(out, mark)
	if !ok {
		s.t.Fatalf("the kernel's log rolled past the harness's 64 KB tail; cannot tell which lines are new (log ends:\n%.2000s)", out[max(0, len(out)-2000):])
	}
	var lines []string
	for line := range strings.Lines(rest) {
		if line = strings.TrimSpace(line); line != "" {
			lines = append(lines, line)
		}
	}
	return lines
}

// rss returns the kernel's resident set size in bytes.
func (s *session) rss() int64 {
	s.t.Helper()
	st, err := bench.ReadProcStatus(s.k.PID())
	if err != nil {
		s.t.Fatal(err)
	}
	return st.RSS
}

// mb renders bytes as megabytes.
func mb(n int64) float64 { return float64(n) / (1 << 20) }

// cmdline returns the command line of pid with spaces between arguments.
func cmdline(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// processesWith returns the living processes whose command line contains marker.
func processesWith(t *testing.T, marker string) []bench.ProcInfo {
	t.Helper()
	procs, err := bench.Processes()
	if err != nil {
		t.Fatal(err)
	}
	var found []bench.ProcInfo
	for _, p := range procs {
		if p.State != "Z" && p.PID != os.Getpid() && strings.Contains(cmdline(p.PID), marker) {
			found = append(found, p)
		}
	}
	return found
}

// waitGone waits up to d for every process whose command line contains
// marker to end, and returns those still alive.
func waitGone(t *testing.T, marker string, d time.Duration) []bench.ProcInfo {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		left := processesWith(t, marker)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// describe lists processes for an error message.
func describe(procs []bench.ProcInfo) string {
	var b strings.Builder
	for _, p := range procs {
		fmt.Fprintf(&b, "\n  pid %d ppid %d pgid %d %s: %s", p.PID, p.PPID, p.PGID, p.State, cmdline(p.PID))
	}
	return b.String()
}

// countFiles counts the files and directories under dir.
func countFiles(dir string) int {
	n := 0
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && path != dir {
			n++
		}
		return nil
	})
	return n
}

// spawnCell is a cell that starts `sleep SECONDS` (a unique number the test
// can find in the process table), prints marker and then spins forever.
func spawnCell(sleepArg, marker string) string {
	return fmt.Sprintf(`import "os/exec"

if err := exec.Command("sleep", %q).Start(); err != nil {
	panic(err)
}
fmt.Println(%q)
for {
}
`, sleepArg, marker)
}

// sleepArg returns a unique argument for sleep, e.g. "1000.123456", that
// marks the processes of one test.
func sleepArg() string {
	return fmt.Sprintf("1000.%06d", time.Now().UnixNano()%1000000)
}
