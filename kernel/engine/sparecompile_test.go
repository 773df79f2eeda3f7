package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitSpare waits for s to hold a started spare and returns it.
func waitSpare(t *testing.T, s *spareCompiler) *spareCompile {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		p := s.ready
		s.mu.Unlock()
		if p != nil {
			return p
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no spare compiler started")
	return nil
}

// gone reports whether process pid has ended (a zombie counts: it runs
// nothing and the kernel's reaper or init collects it).
func gone(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || len(s) < i+3 || s[i+2] == 'Z' || s[i+2] == 'X'
}

// waitGone waits up to d for pid to end.
func waitGone(pid int, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if gone(pid) {
			return true
		}
	}
	return gone(pid)
}

// childCompilers lists this process's children running the compile tool.
func childCompilers(t *testing.T) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(data)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		fields := strings.Fields(s[close+1:])
		if len(fields) < 2 || s[open+1:close] != "compile" || fields[0] == "Z" {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == os.Getpid() {
			pids = append(pids, pid)
		}
	}
	return pids
}

// scratchPath hides the random part of a scratch directory's name.
var scratchPath = regexp.MustCompile(`prog-[0-9]+`)

// TestSpareCompilerBuildsAsExec builds each program through a spare and
// through an exec'd compiler: the binaries do the same, and compile errors
// are the same diagnostics and output.
func TestSpareCompilerBuildsAsExec(t *testing.T) {
	t.Setenv(EnvNoSpareCompiler, "")
	b := newTestBuilder(t)
	tests := []struct {
		name    string
		src     string
		imports []string
		output  string // what the binary prints; "" for a compile error
	}{
		{name: "hello", src: "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello, world\") }\n", imports: []string{"fmt"}, output: "hello, world\n"},
		{name: "a package not warmed",
			src:     "package main\n\nimport (\n\t\"encoding/json\"\n\t\"fmt\"\n)\n\nfunc main() { v, _ := json.Marshal([]int{1, 2}); fmt.Println(string(v)) }\n",
			imports: []string{"encoding/json", "fmt"}, output: "[1,2]\n"},
		{name: "undefined name at a cell position", src: "package main\n//line cell2.go:4:1\nfunc main() { undefinedName() }\n"},
		{name: "several errors in main.go", src: "package main\n\nfunc main() {\n\tvar x int = \"s\"\n\ty := 1\n\tundefinedName(x)\n}\n"},
		{name: "syntax error", src: "package main\n\nfunc main() {\n\tif {\n}\n"},
		{name: "unknown import", src: "package main\n\nimport \"no/such/pkg\"\n\nfunc main() {}\n", imports: []string{"fmt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := buildRequest{Source: []byte(tt.src), Imports: tt.imports}
			type outcome struct {
				output string
				diags  []Diagnostic
				raw    string
			}
			build := func(useSpare bool) outcome {
				t.Helper()
				b.spares = nil
				var p *spareCompile
				if useSpare {
					// The importcfg the build will use, so the spare fits.
					if _, err := b.importConfig(t.Context(), false, tt.imports); err != nil {
						t.Fatal(err)
					}
					b.spares = &spareCompiler{}
					defer b.spares.close()
					b.spares.prepare(b.spareSpec())
					p = waitSpare(t, b.spares)
				}
				bin := filepath.Join(t.TempDir(), "bin")
				err := b.compileAndLink(t.Context(), req, bin)
				if p != nil {
					select {
					case <-p.exited:
					default:
						t.Fatal("the build did not use the spare compiler")
					}
				}
				if err != nil {
					var be *BuildError
					if !errors.As(err, &be) {
						t.Fatalf("spare %v: %v, want a *BuildError", useSpare, err)
					}
					return outcome{diags: be.Diagnostics, raw: scratchPath.ReplaceAllString(be.Output, "prog-N")}
				}
				out, err := exec.Command(bin).CombinedOutput()
				if err != nil {
					t.Fatalf("spare %v: binary: %v: %s", useSpare, err, out)
				}
				return outcome{output: string(out)}
			}
			spare, execd := build(true), build(false)
			if spare.output != execd.output || spare.raw != execd.raw || !slices.Equal(spare.diags, execd.diags) {
				t.Errorf("through a spare: %+v\nexec'd: %+v", spare, execd)
			}
			if tt.output != "" && execd.output != tt.output {
				t.Errorf("binary printed %q, want %q", execd.output, tt.output)
			}
			if tt.output == "" && len(execd.diags) == 0 {
				t.Errorf("no diagnostics for a program that does not compile")
			}
		})
	}
}

// TestSpareCompilerFits: a spare serves only a build with its tool, flags
// and environment; any other ends it and gets none.
func TestSpareCompilerFits(t *testing.T) {
	t.Setenv(EnvNoSpareCompiler, "")
	spec := testSpec(t)
	tests := []struct {
		name   string
		change func(t *testing.T, s *compileSpec)
		fits   bool
	}{
		{name: "same spec", change: func(*testing.T, *compileSpec) {}, fits: true},
		{name: "other -lang", change: func(_ *testing.T, s *compileSpec) { s.lang = "1.21" }},
		{name: "other importcfg", change: func(t *testing.T, s *compileSpec) { s.cfg = emptyFile(t) }},
		{name: "other environment", change: func(_ *testing.T, s *compileSpec) { s.env = append(slices.Clone(s.env), "GOAMD64=v3") }},
		{name: "other working directory", change: func(t *testing.T, s *compileSpec) { s.dir = t.TempDir() }},
		{name: "other toolchain", change: func(t *testing.T, s *compileSpec) { s.tool = copyTool(t, s.tool) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &spareCompiler{}
			defer s.close()
			s.prepare(spec)
			p := waitSpare(t, s)
			want := spec
			want.env = slices.Clone(spec.env)
			tt.change(t, &want)
			got := s.take(want)
			if (got != nil) != tt.fits {
				t.Fatalf("take: have a spare %v, want %v", got != nil, tt.fits)
			}
			if got != nil {
				got.discard()
			}
			if !waitGone(p.cmd.Process.Pid, 5*time.Second) {
				t.Errorf("spare compiler %d still runs", p.cmd.Process.Pid)
			}
			if _, err := os.Stat(p.scratch); !os.IsNotExist(err) {
				t.Errorf("scratch directory left: %v", err)
			}
		})
	}
	t.Run("importcfg written anew", func(t *testing.T) {
		spec := spec
		spec.cfg = emptyFile(t)
		s := &spareCompiler{}
		defer s.close()
		s.prepare(spec)
		waitSpare(t, s)
		if err := os.WriteFile(spec.cfg, []byte("packagefile fmt=/nowhere\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if p := s.take(spec); p != nil {
			p.discard()
			t.Fatal("a spare that read the importcfg before it changed was handed out")
		}
	})
	t.Run("toolchain upgraded in place", func(t *testing.T) {
		spec := spec
		spec.tool = copyTool(t, spec.tool)
		s := &spareCompiler{}
		defer s.close()
		s.prepare(spec)
		waitSpare(t, s)
		later := time.Now().Add(time.Hour)
		if err := os.Chtimes(spec.tool, later, later); err != nil {
			t.Fatal(err)
		}
		if p := s.take(spec); p != nil {
			p.discard()
			t.Fatal("a spare of the replaced compiler was handed out")
		}
	})
	t.Run("builds ahead exec their compiler", func(t *testing.T) {
		b := newTestBuilder(t)
		b.spares = &spareCompiler{}
		defer b.spares.close()
		b.spares.prepare(b.spareSpec())
		p := waitSpare(t, b.spares)
		src := []byte("package main\n\nfunc main() {}\n")
		if err := b.compileAndLink(inBackground(t.Context()), buildRequest{Source: src}, filepath.Join(t.TempDir(), "bin")); err != nil {
			t.Fatal(err)
		}
		select {
		case <-p.exited:
			t.Fatal("a build ahead took the spare (it would run at the normal priority)")
		default:
		}
		if b.spares.take(b.spareSpec()) != p {
			t.Fatal("the spare is not waiting any more")
		}
		p.discard()
	})
}

// copyTool copies the compile tool to a temporary directory.
func copyTool(t *testing.T, tool string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "compile")
	in, err := os.Open(tool)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o700)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestSpareCompilerCloseLeavesNoProcess: close ends the waiting spare and
// one still starting, and removes their scratch directories.
func TestSpareCompilerCloseLeavesNoProcess(t *testing.T) {
	t.Setenv(EnvNoSpareCompiler, "")
	spec := testSpec(t)
	for _, waitReady := range []bool{true, false} {
		t.Run(fmt.Sprintf("started %v", waitReady), func(t *testing.T) {
			s := &spareCompiler{}
			s.prepare(spec)
			if waitReady {
				waitSpare(t, s)
			}
			s.close()
			s.prepare(spec) // after close: nothing
			if pids := childCompilers(t); len(pids) > 0 {
				t.Errorf("compilers left running: %v", pids)
			}
			left, _ := filepath.Glob(filepath.Join(spec.parent, "prog-*"))
			if len(left) > 0 {
				t.Errorf("scratch directories left: %v", left)
			}
		})
	}
}

// TestSpareCompilerCancelled: a build whose context ends while its spare
// compiles returns the context's error and leaves no process.
func TestSpareCompilerCancelled(t *testing.T) {
	t.Setenv(EnvNoSpareCompiler, "")
	b := newTestBuilder(t)
	b.spares = &spareCompiler{}
	defer b.spares.close()
	b.spares.prepare(b.spareSpec())
	p := waitSpare(t, b.spares)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := b.compileAndLink(ctx, buildRequest{Source: []byte("package main\n\nfunc main() {}\n")}, filepath.Join(t.TempDir(), "bin"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("have %v, want the context's error", err)
	}
	if !gone(p.cmd.Process.Pid) {
		t.Errorf("the spare compiler %d still runs", p.cmd.Process.Pid)
	}
	if _, err := os.Stat(p.scratch); !os.IsNotExist(err) {
		t.Errorf("scratch directory left: %v", err)
	}
}

// TestSpareCompilerOutlivesItsStartersThread: Linux kills a child with
// Pdeathsig when the thread that forked it ends. Builds ahead end their
// threads (runNiced); a spare prepared from such a thread must live on.
func TestSpareCompilerOutlivesItsStartersThread(t *testing.T) {
	t.Setenv(EnvNoSpareCompiler, "")
	b := newTestBuilder(t)
	b.spares = &spareCompiler{}
	defer b.spares.close()
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		b.spares.prepare(b.spareSpec())
		waitSpare(t, b.spares)
		close(done)
	}()
	<-done
	p := waitSpare(t, b.spares)
	// Builds ahead end threads (runNiced): end many, so that whichever
	// thread started the compiler would be among them were it not held.
	for range 64 {
		ended := make(chan struct{})
		for range 4 {
			go func() {
				runtime.LockOSThread()
				time.Sleep(time.Millisecond)
				ended <- struct{}{}
			}()
		}
		for range 4 {
			<-ended
		}
	}
	time.Sleep(200 * time.Millisecond) // for a Pdeathsig to arrive
	if gone(p.cmd.Process.Pid) {
		t.Fatal("the spare compiler died with the thread that prepared it")
	}
	bin := filepath.Join(t.TempDir(), "bin")
	src := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"alive\") }\n"
	if err := b.compileAndLink(t.Context(), buildRequest{Source: []byte(src), Imports: []string{"fmt"}}, bin); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin).Output(); err != nil || string(out) != "alive\n" {
		t.Fatalf("binary: %q %v", out, err)
	}
}

// spareCompilerHelperEnv makes the test binary a kernel that starts a spare
// compiler, prints its pid and exits without closing it.
const spareCompilerHelperEnv = "GOKERNEL_TEST_SPARE_COMPILER_HELPER"

// TestSpareCompilerDiesWithKernel: a kernel that exits without Close (or
// is killed) leaves no compiler waiting.
func TestSpareCompilerDiesWithKernel(t *testing.T) {
	if dir := os.Getenv(spareCompilerHelperEnv); dir != "" {
		// No workspace: this process exits without cleaning up.
		tc, err := findToolchain(context.Background(), "")
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		cfg := filepath.Join(dir, "importcfg")
		if err := os.WriteFile(cfg, nil, 0o600); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		s := &spareCompiler{}
		s.prepare(compileSpec{tool: filepath.Join(tc.toolDir, "compile"), dir: dir, parent: dir,
			env: buildEnv(os.Environ()), lang: tc.langVer, cfg: cfg})
		p := waitSpare(t, s)
		fmt.Println(p.cmd.Process.Pid)
		if os.Getenv(spareCompilerHelperEnv+"_HANG") != "" {
			select {} // killed by the test
		}
		os.Exit(0)
	}
	for _, how := range []string{"exits", "is killed"} {
		t.Run(how, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSpareCompilerDiesWithKernel$")
			cmd.Env = append(os.Environ(), spareCompilerHelperEnv+"="+t.TempDir(), EnvNoSpareCompiler+"=")
			if how == "is killed" {
				cmd.Env = append(cmd.Env, spareCompilerHelperEnv+"_HANG=1")
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(stdout).ReadString('\n')
			pid, perr := strconv.Atoi(strings.TrimSpace(line))
			if err != nil || perr != nil {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("helper said %q (%v)", line, err)
			}
			if how == "is killed" {
				cmd.Process.Signal(syscall.SIGKILL)
			}
			cmd.Wait()
			if !waitGone(pid, 5*time.Second) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("the spare compiler %d outlived its kernel", pid)
			}
		})
	}
}

// testSpec is the spec of a spare that is not given a program: the
// toolchain's compiler with an empty importcfg, scratch directories in a
// temporary directory.
func testSpec(t *testing.T) compileSpec {
	t.Helper()
	tc, ws := newTestWorkspace(t)
	b := newBuilder(tc, ws, slog.New(slog.DiscardHandler))
	return b.compileSpec(emptyFile(t))
}

// emptyFile is a new empty file.
func emptyFile(t *testing.T) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "importcfg-")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	return f.Name()
}

// BenchmarkExecuteSpareCompiler runs a hello cell with a spare compiler and
// one exec'ing its compiler in turn in each iteration (one engine; which
// goes first alternates), each after a pause as between a user's cells,
// and reports the median Execute time and the median of each stage of
// each.
//
//	go test -run '^$' -bench SpareCompiler -benchtime 40x ./kernel/engine
func BenchmarkExecuteSpareCompiler(b *testing.B) {
	benchHelloInTurns(b, [2]string{"spare", "exec"}, func(e *Engine, k int) (after func()) {
		defer time.Sleep(50 * time.Millisecond) // the user reads the output before
		if k == 1 {
			os.Setenv(EnvNoSpareCompiler, "1")
			// The waiting spare goes now, not in the timed cell.
			if p := e.build.spares.take(e.build.spareSpec()); p != nil {
				p.discard()
			}
			return func() { os.Unsetenv(EnvNoSpareCompiler) }
		}
		e.build.spares.prepare(e.build.spareSpec())
		e.build.spares.mu.Lock()
		starting := e.build.spares.starting
		e.build.spares.mu.Unlock()
		if starting != nil {
			<-starting
		}
		return func() {}
	})
}
