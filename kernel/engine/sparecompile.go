package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A spare compiler is a `compile` process started before the cell it
// compiles: exec, the runtime's start, flag parsing, reading the importcfg
// and the compiler's own tables are done while it waits to read its source
// file, which is a FIFO. The build that takes it writes the program into
// the FIFO; the compiler reads it to the end and compiles as a compiler
// started then would, into the spare's scratch directory, which becomes the
// build's. Measured on a hello program: 9.2 ms from the source's write to
// the compiler's exit against 11.4 ms for an exec'd compiler (10.3 ms when
// the importcfg is the FIFO instead: the compiler builds its tables after
// reading it).
//
// A spare fits only builds with its flags, importcfg and environment
// (compileSpec); race builds, builds ahead (niced, lookahead.go), builds
// whose imports changed the importcfg, and builds after the toolchain
// changed exec a compiler as before. One spare at most waits per builder,
// started after each cell's build and at warm-up end.

// EnvNoSpareCompiler, set to 1, makes every build exec its compiler (the
// baseline of benchmarks, measured with the same binary).
const EnvNoSpareCompiler = "GOKERNEL_NO_SPARE_COMPILER"

// compileSpec is what a compiler process depends on besides the program: a
// spare serves only a build with an equal key.
type compileSpec struct {
	tool   string   // the compile binary
	dir    string   // its working directory
	parent string   // where scratch directories are made
	env    []string // its environment
	lang   string   // the -lang version, e.g. "1.24"
	cfg    string   // the -importcfg file, read as the spare starts
}

// key identifies the spec, "" when the tool or the importcfg cannot be
// found. It holds both files' identities: a toolchain upgraded in place
// changes it, and so does an importcfg written anew (the builder names most
// by their content, but not all: importcfg-restored, importcfg-prebuilt).
func (s compileSpec) key() string {
	tool, cfg := fileIdentity(s.tool), fileIdentity(s.cfg)
	if tool == "" || cfg == "" {
		return ""
	}
	return strings.Join([]string{s.tool, tool, s.cfg, cfg, s.dir, s.parent, s.lang, strings.Join(s.env, "\x00")}, "\x01")
}

// fileIdentity is name's size, modification time and inode, "" when it
// cannot be read.
func fileIdentity(name string) string {
	fi, err := os.Stat(name)
	if err != nil {
		return ""
	}
	id := fmt.Sprintf("%d/%d", fi.Size(), fi.ModTime().UnixNano())
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id += fmt.Sprintf("/%d/%d", st.Dev, st.Ino)
	}
	return id
}

// compileArgs are the compiler's arguments for the fast path (compileAndLink);
// a spare is started with the same.
func compileArgs(lang, obj, cfg, src string, race bool) []string {
	args := []string{"-o", obj, "-p", "main", "-complete", "-lang=go" + lang,
		"-dwarf=false", "-pack", "-importcfg", cfg}
	if race {
		args = append(args, "-race")
	}
	return append(args, src)
}

// spareCompiler holds at most one waiting compiler.
type spareCompiler struct {
	mu       sync.Mutex
	ready    *spareCompile // nil when none waits
	starting chan struct{} // closed when the one being started is ready (or failed); nil when none is
	closed   bool
	started  sync.WaitGroup // the goroutine starting one
}

// spareCompile is one compiler process waiting for its source.
type spareCompile struct {
	key     string
	cmd     *exec.Cmd
	scratch string // the build's scratch directory once taken
	obj     string // the object it writes
	fifo    string // the source file the compiler waits to read, a FIFO
	out     bytes.Buffer
	exited  chan struct{} // closed when the process has been waited for
	waitErr error         // Wait's result, set before exited closes
}

// prepare starts a spare for spec in the background unless one waits or is
// starting, the holder is nil or closed, or EnvNoSpareCompiler is set.
func (s *spareCompiler) prepare(spec compileSpec) {
	if s == nil || os.Getenv(EnvNoSpareCompiler) == "1" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.starting != nil || s.ready != nil {
		return
	}
	starting := make(chan struct{})
	s.starting = starting
	s.started.Add(1)
	go func() {
		defer s.started.Done()
		defer close(starting)
		p, err := startSpareCompile(spec)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.starting = nil
		if err != nil {
			return // builds exec their compiler as before
		}
		if s.closed {
			p.discard()
			return
		}
		s.ready = p
	}()
}

// take hands out the waiting spare if it fits spec and is still waiting;
// nil otherwise (a spare that does not fit is ended). A spare being started
// is waited for (its exec is under way: a cell sent as the last one ended,
// by nbclient say, still gains the part of the compiler's start done).
func (s *spareCompiler) take(spec compileSpec) *spareCompile {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	if starting := s.starting; starting != nil {
		s.mu.Unlock()
		<-starting
		s.mu.Lock()
	}
	p := s.ready
	s.ready = nil
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	select {
	case <-p.exited: // killed from outside, say
		p.discard()
		return nil
	default:
	}
	if os.Getenv(EnvNoSpareCompiler) == "1" || p.key != spec.key() {
		p.discard()
		return nil
	}
	return p
}

// close ends the waiting spare and any being started; later prepares do
// nothing.
func (s *spareCompiler) close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.started.Wait()
	s.mu.Lock()
	p := s.ready
	s.ready = nil
	s.mu.Unlock()
	if p != nil {
		p.discard()
	}
}

// startSpareCompile starts a compiler for spec in a new scratch directory
// under spec.parent, waiting on the FIFO source file there.
func startSpareCompile(spec compileSpec) (_ *spareCompile, err error) {
	key := spec.key()
	if key == "" {
		return nil, errors.New("spare compiler: no compile tool or importcfg")
	}
	scratch, err := os.MkdirTemp(spec.parent, "prog-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(scratch)
		}
	}()
	fifo := filepath.Join(scratch, "main.go")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		return nil, fmt.Errorf("spare compiler: %w", err)
	}
	p := &spareCompile{
		key:     key,
		scratch: scratch,
		obj:     filepath.Join(scratch, "main.a"),
		fifo:    fifo,
		exited:  make(chan struct{}),
	}
	p.cmd = exec.Command(spec.tool, compileArgs(spec.lang, p.obj, spec.cfg, fifo, false)...)
	p.cmd.Dir = spec.dir
	p.cmd.Env = spec.env
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	// Should the kernel die, the waiting compiler dies with it. Linux sends
	// Pdeathsig when the forking thread ends, not the process, so the fork
	// happens on a thread held until the compiler has been waited for:
	// builds ahead end the threads they run on (runNiced), and a compiler
	// forked from one of those would be killed (see startOnHeldThread).
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := p.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("spare compiler: %w", err)
	}
	return p, nil
}

// compile gives the spare its program and waits for it to end; it returns
// the compiler's output and Wait's error, as tool does (ctx's error when
// ctx ended first: the compiler is killed then).
func (p *spareCompile) compile(ctx context.Context, source []byte) ([]byte, error) {
	// The FIFO holds data only while it is open: it is opened for writing
	// when the compiler opens it for reading (at once when it waits
	// already) and closed after the source, which the compiler reads to
	// that end.
	wrote := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(p.fifo, os.O_WRONLY, 0)
		if err != nil {
			wrote <- err
			return
		}
		_, err = f.Write(source)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		wrote <- err
	}()
	select {
	case err := <-wrote:
		if err != nil {
			p.kill()
			return nil, fmt.Errorf("spare compiler: source: %w", err)
		}
	case <-p.exited: // gone before it opened or read it all
		p.unblockWriter(wrote)
	case <-ctx.Done():
		p.kill()
		p.unblockWriter(wrote)
		return nil, ctx.Err()
	}
	select {
	case <-p.exited:
	case <-ctx.Done():
		p.kill()
		return nil, ctx.Err()
	}
	if ctx.Err() != nil {
		return p.out.Bytes(), ctx.Err()
	}
	return p.out.Bytes(), p.waitErr
}

// killedBeforeUse reports whether err is the spare having been killed by a
// signal (from outside: the kernel kills it only when ctx ends), in which
// case the build execs a compiler instead.
func killedBeforeUse(err error) bool {
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return false
	}
	ws, ok := exitErr.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled()
}

// kill ends the compiler and waits for it to be reaped; the scratch
// directory stays (the build removes it).
func (p *spareCompile) kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// unblockWriter ends compile's write of the source once the compiler is
// gone: a reader's open lets the writer's open return (Linux counts opens,
// so the reader may close at once), and its write then fails. Repeated in
// case the writer had not reached its open yet.
func (p *spareCompile) unblockWriter(wrote <-chan error) {
	for {
		if r, err := os.OpenFile(p.fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			r.Close()
		}
		select {
		case <-wrote:
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// discard ends an unused spare and removes its scratch directory.
func (p *spareCompile) discard() {
	p.kill()
	os.RemoveAll(p.scratch)
}
