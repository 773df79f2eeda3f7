package clienttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// command returns a command that runs in the private environment, in its own process
// group; cancelling ctx kills the whole group (a client and whatever it started in it).
// If the test binary itself dies (go test -timeout, Ctrl-C) the command gets SIGKILL
// from the kernel (Pdeathsig), so no server outlives a crashed test.
func (e *jupyterEnv) command(ctx context.Context, dir, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = e.environ
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// runClient runs a client command to the end (or until timeout), logs what it printed
// and returns that output; err is non-nil when it exited non-zero or timed out.
func (e *jupyterEnv) runClient(t testing.TB, timeout time.Duration, dir, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out bytes.Buffer
	cmd := e.command(ctx, dir, name, args...)
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // anything left in its group
	}
	took := time.Since(start).Round(time.Millisecond)
	t.Logf("$ %s %s  (%s, %v)\n%s", filepath.Base(name), quoteArgs(args), took, err, out.String())
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %s: %w", timeout, ctx.Err())
	}
	return out.String(), err
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \n\t\"'") {
			a = strconv.Quote(a)
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

// testdata is the absolute path of a file under testdata/ (the test's working directory
// is the package directory).
func testdata(t testing.TB, parts ...string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(append([]string{"testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// missing skips the test with a loud message, or fails it under CI=true: CI must run every
// client, so a missing dependency there is a broken CI machine, not a reason to pass.
func missing(t testing.TB, what string, err error) {
	t.Helper()
	msg := fmt.Sprintf("\n!!!!!!!!!! %s NOT TESTED: %s is missing (%v).\n!!!!!!!!!! Install it as .ci/run does to run this client.", t.Name(), what, err)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// requirePython checks that Jupyter's Python can import modules.
func requirePython(t testing.TB, modules ...string) {
	t.Helper()
	out, err := exec.Command(jupyterPython, "-c", "import "+strings.Join(modules, ", ")).CombinedOutput()
	if err != nil {
		missing(t, jupyterPython+" with "+strings.Join(modules, ", "), fmt.Errorf("%w: %s", err, bytes.TrimSpace(out)))
	}
}

// requireCommand checks that a program is installed and returns its path.
func requireCommand(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		missing(t, name, err)
	}
	return path
}

// requireNodeModules makes sure a Node driver directory under testdata/ has its packages,
// running `npm install` there when node_modules is missing.
func requireNodeModules(t testing.TB, e *jupyterEnv, dir string) {
	t.Helper()
	requireCommand(t, "node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil {
		return
	}
	npm := requireCommand(t, "npm")
	if _, err := e.runClient(t, 5*time.Minute, dir, npm, "install", "--no-audit", "--no-fund"); err != nil {
		missing(t, "the npm packages of "+dir, err)
	}
}

// freePort asks the kernel for a free TCP port on the loopback interface.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// jupyterServer is a running notebook or jupyter_server process on a free port.
type jupyterServer struct {
	base string // http://127.0.0.1:PORT
	log  string // path of its log
	pid  int    // the server process (leader of its process group)
}

// startServer starts a Jupyter web server without authentication (an empty token and no XSRF
// check, so scripts can use it) and stops it, kernels included, when the test ends.
// kind "notebook" is the classic Notebook 6 (NotebookApp); "jupyter_server" is the bare
// server JupyterLab runs on (ServerApp).
func (e *jupyterEnv) startServer(t *testing.T, kind string) *jupyterServer {
	t.Helper()
	app, rootFlag := "ServerApp", "root_dir"
	if kind == "notebook" {
		app, rootFlag = "NotebookApp", "notebook_dir"
	}
	port := freePort(t)
	root := filepath.Join(e.dir, "www-"+kind)
	if err := os.MkdirAll(root, 0o700); err != nil {
		t.Fatal(err)
	}
	s := &jupyterServer{base: fmt.Sprintf("http://127.0.0.1:%d", port), log: filepath.Join(e.dir, kind+".log")}
	logFile, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := e.command(context.Background(), root, jupyterPython, "-m", kind, "--no-browser", "--allow-root",
		"--"+app+".ip=127.0.0.1", fmt.Sprintf("--%s.port=%d", app, port), "--"+app+".port_retries=0",
		"--"+app+".token=", "--"+app+".password=", "--"+app+".disable_check_xsrf=True",
		"--"+app+"."+rootFlag+"="+root)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", kind, err)
	}
	s.pid = cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// SIGTERM lets the server shut its kernels down; then the group is killed for sure.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Errorf("%s did not stop within 10 s of SIGTERM", kind)
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if t.Failed() {
			if data, err := os.ReadFile(s.log); err == nil {
				t.Logf("%s log:\n%s", kind, data)
			}
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.base + "/api")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case err := <-exited:
			data, _ := os.ReadFile(s.log)
			t.Fatalf("%s exited at start: %v\n%s", kind, err, data)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			data, _ := os.ReadFile(s.log)
			t.Fatalf("%s did not answer %s/api within 60 s\n%s", kind, s.base, data)
		}
	}
}

// sweepLeftovers fails the test if a process started by a client (found by the run marker
// in its environment) is still alive a few seconds after the client ended: a kernel must
// exit when its client shuts it down or dies. Leftovers are killed either way.
func (e *jupyterEnv) sweepLeftovers(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for {
		left := e.markedProcesses()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			var lines []string
			for pid, cmdline := range left {
				lines = append(lines, fmt.Sprintf("pid %d: %s", pid, cmdline))
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			t.Errorf("processes left running 8 s after the client ended (killed now):\n%s", strings.Join(lines, "\n"))
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// markedProcesses lists live processes whose environment holds this run's marker.
func (e *jupyterEnv) markedProcesses() map[int]string {
	marker := []byte(runMarkerVar + "=" + e.runID + "\x00")
	found := map[int]string{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return found
	}
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "environ"))
		if err != nil || !bytes.Contains(env, marker) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "stat")); err == nil && isZombie(stat) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
		found[pid] = strings.TrimSpace(string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
	}
	return found
}

// isZombie reads the state field of /proc/PID/stat (after the parenthesised command name).
func isZombie(stat []byte) bool {
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// errTail reports a client's non-zero exit with its output from the last line containing
// from (e.g. nbclient's "An error occurred while executing") to the end, at most 60 lines.
func errTail(client string, err error, out, from string) error {
	if i := strings.LastIndex(out, from); i >= 0 {
		out = out[i:]
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) > 60 {
		lines = append([]string{"..."}, lines[len(lines)-60:]...)
	}
	return errors.New(client + " failed: " + err.Error() + "\n" + strings.Join(lines, "\n"))
}

// errExit reports a client's non-zero exit with the lines that say why.
func errExit(client string, err error, out string, marks ...string) error {
	var why []string
	for _, line := range strings.Split(out, "\n") {
		for _, m := range marks {
			if strings.Contains(line, m) {
				why = append(why, line)
				break
			}
		}
	}
	if len(why) > 40 {
		why = append(why[:40], "...")
	}
	return errors.New(client + " failed: " + err.Error() + "\n" + strings.Join(why, "\n"))
}
