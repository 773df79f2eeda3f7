package reliability

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/bench"
)

// TestParentDeath starts the kernel from a shell (standing in for the
// Jupyter server), runs a cell that started a child process, SIGKILLs the
// shell, and checks that the kernel and everything below it exit within
// seconds.
func TestParentDeath(t *testing.T) {
	dir := t.TempDir()
	info, err := bench.NewConnectionInfo("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	connFile, err := bench.WriteConnectionFile(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	parent := exec.Command("sh", "-c", `"$0" kernel --connection-file "$1" & echo $!; wait`, kernelBin, connFile)
	parent.Env = append(os.Environ(), "TMPDIR="+dir, "JUPYTER_DATA_DIR="+t.TempDir())
	parent.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { syscall.Kill(-parent.Process.Pid, syscall.SIGKILL); parent.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	kernelPID, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(kernelPID, syscall.SIGKILL)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := bench.Dial(ctx, info, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	arg := sleepArg()
	call, err := c.StartExecute(spawnCell(arg, "cell-running"))
	if err != nil {
		t.Fatal(err)
	}
	if err := call.WaitOutput(ctx, "cell-running"); err != nil {
		t.Fatalf("cell: %v", err)
	}
	below, err := bench.Descendants(kernelPID)
	if err != nil {
		t.Fatal(err)
	}
	if len(processesWith(t, arg)) == 0 {
		t.Fatalf("the cell's `sleep %s` is not running", arg)
	}

	killed := time.Now()
	if err := syscall.Kill(parent.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	const limit = 5 * time.Second
	for bench.Alive(kernelPID) && time.Since(killed) < limit {
		time.Sleep(20 * time.Millisecond)
	}
	kernelGone := time.Since(killed)
	if bench.Alive(kernelPID) {
		t.Errorf("kernel %d still alive %v after its parent was killed, want it gone within %v", kernelPID, kernelGone.Round(time.Millisecond), limit)
	}
	var survivors []bench.ProcInfo
	for _, p := range below {
		for bench.Alive(p.PID) && time.Since(killed) < limit+time.Second {
			time.Sleep(20 * time.Millisecond)
		}
		if bench.Alive(p.PID) {
			survivors = append(survivors, p)
		}
	}
	survivors = append(survivors, waitGone(t, arg, 100*time.Millisecond)...)
	if len(survivors) > 0 {
		t.Errorf("processes the kernel started survive its parent's death:%s", describe(survivors))
		for _, p := range survivors {
			syscall.Kill(p.PID, syscall.SIGKILL)
		}
	}
	figure(t, "parent SIGKILLed: kernel gone after %v, %d of %d processes it started survived",
		kernelGone.Round(time.Millisecond), len(survivors), len(below))
}

// TestShutdownRestart shuts the kernel down with restart=true, as a
// frontend's restart does, and starts a new one, many times; nothing may be
// left behind: no process, no listening port, no file in its TMPDIR.
func TestShutdownRestart(t *testing.T) {
	n := size(5, 20)
	tmp := t.TempDir()
	env := []string{"TMPDIR=" + tmp, "JUPYTER_DATA_DIR=" + t.TempDir()}
	var worst time.Duration
	leftProcs, leftPorts := 0, 0
	for i := range n {
		k, err := bench.StartKernel(context.Background(), bench.KernelConfig{Exe: kernelBin, Env: env})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		c, err := k.Connect(ctx, nil)
		if err != nil {
			cancel()
			k.Stop(time.Second)
			t.Fatalf("cycle %d: %v", i, err)
		}
		s := &session{t: t, k: k, c: c, tmp: tmp}
		s.hello(2 * time.Minute)
		below, _ := bench.Descendants(k.PID())
		call, err := c.Request(bench.Control, "shutdown_request", map[string]any{"restart": true})
		if err != nil {
			t.Fatal(err)
		}
		asked := time.Now()
		if _, err := call.WaitReply(ctx); err != nil {
			t.Errorf("cycle %d: no shutdown_reply: %v", i, err)
		}
		select {
		case <-k.Exited():
		case <-time.After(5 * time.Second):
			t.Errorf("cycle %d: kernel still running 5 s after shutdown_request", i)
		}
		exited := time.Since(asked)
		worst = max(worst, exited)
		c.Close()
		k.Stop(time.Second)
		cancel()
		for _, p := range below {
			if bench.Alive(p.PID) {
				leftProcs++
				t.Errorf("cycle %d: process left after shutdown:%s", i, describe([]bench.ProcInfo{p}))
				syscall.Kill(p.PID, syscall.SIGKILL)
			}
		}
		for _, port := range []int{k.Info.ShellPort, k.Info.ControlPort, k.Info.StdinPort, k.Info.IOPubPort, k.Info.HBPort} {
			l, err := net.Listen("tcp", net.JoinHostPort(k.Info.IP, strconv.Itoa(port)))
			if err != nil {
				leftPorts++
				t.Errorf("cycle %d: port %d still taken after shutdown: %v", i, port, err)
				continue
			}
			l.Close()
		}
	}
	var leftFiles []string
	filepath.WalkDir(tmp, func(path string, d os.DirEntry, err error) error {
		if err == nil && path != tmp {
			leftFiles = append(leftFiles, strings.TrimPrefix(path, tmp+"/"))
		}
		return nil
	})
	if len(leftFiles) > 0 {
		t.Errorf("files left in the kernels' TMPDIR after %d shutdowns: %.20q", n, leftFiles)
	}
	figure(t, "%d shutdown+restart cycles: slowest exit %v after shutdown_request, %d processes, %d ports, %d files left",
		n, worst.Round(time.Millisecond), leftProcs, leftPorts, len(leftFiles))
}

// TestUnwritableBuildCache points GOCACHE where no directory can be made:
// a cell must fail with an error that names the cache and its path (or
// succeed with a fallback), and the kernel must keep serving.
func TestUnwritableBuildCache(t *testing.T) {
	const gocache = "/dev/null/gocache"
	s := start(t, startOptions{env: []string{"GOCACHE=" + gocache}})
	call, err := s.try("fmt.Println(\"cache?\")", 2*time.Minute)
	outcome := "cell ran (the kernel fell back to another cache)"
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("cell hung with an unwritable GOCACHE: %v", err)
		}
		r, _ := call.ExecuteReply()
		text := strings.ToLower(r.Ename + " " + r.Evalue + " " + strings.Join(r.Traceback, "\n"))
		if !strings.Contains(text, "cache") || !strings.Contains(text, gocache) {
			t.Errorf("have error %q / %q, want it to say the build cache at %s is the problem", r.Ename, r.Evalue, gocache)
		}
		outcome = fmt.Sprintf("cell failed with %s %q", r.Ename, gist(r.Evalue))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.c.KernelInfo(ctx); err != nil {
		t.Fatalf("kernel stopped answering: %v", err)
	}
	figure(t, "unwritable GOCACHE: %s; kernel still answers", outcome)
}
