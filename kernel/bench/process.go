package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/gokernel/gokernel/kernel/jupyter"
)

// KernelConfig says how to start a kernel process.
type KernelConfig struct {
	// Exe is the gokernel binary; it is run as `Exe kernel --connection-file F`.
	Exe string
	// Dir holds the connection file; default: a new temporary directory,
	// removed by Stop.
	Dir string
	// IP to bind; default 127.0.0.1.
	IP string
	// Env is added to the environment of the kernel (e.g. GOCACHE=...).
	Env []string
}

// Kernel is a running kernel process and where to reach it.
type Kernel struct {
	Cmd      *exec.Cmd
	Info     jupyter.ConnectionInfo
	ConnFile string
	Started  time.Time // just before the process was started

	ownDir string
	stderr *tailBuffer
	stages *runStages // the run stages it logs (with GOKERNEL_LOG=debug)
	exited chan struct{}
	waitMu sync.Mutex
	err    error
}

// StartKernel writes a connection file and starts the kernel binary on it,
// in its own process group. It does not wait for the kernel to listen: Dial
// retries until it does.
func StartKernel(ctx context.Context, cfg KernelConfig) (*Kernel, error) {
	if cfg.IP == "" {
		cfg.IP = "127.0.0.1"
	}
	k := &Kernel{stderr: &tailBuffer{max: 64 << 10}, stages: &runStages{}, exited: make(chan struct{})}
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "gokernel-bench-")
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		dir, k.ownDir = d, d
	}
	info, err := NewConnectionInfo(cfg.IP)
	if err != nil {
		k.cleanup()
		return nil, err
	}
	k.Info = info
	if k.ConnFile, err = WriteConnectionFile(dir, info); err != nil {
		k.cleanup()
		return nil, err
	}
	k.Cmd = exec.Command(cfg.Exe, "kernel", "--connection-file", k.ConnFile)
	k.Cmd.Env = append(os.Environ(), cfg.Env...)
	out := io.MultiWriter(k.stderr, k.stages) // one writer: one pipe for both
	k.Cmd.Stdout = out
	k.Cmd.Stderr = out
	k.Cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	k.Started = time.Now()
	if err := k.Cmd.Start(); err != nil {
		k.cleanup()
		return nil, fmt.Errorf("bench: starting kernel: %w", err)
	}
	go func() {
		err := k.Cmd.Wait()
		k.waitMu.Lock()
		k.err = err
		k.waitMu.Unlock()
		close(k.exited)
	}()
	return k, nil
}

// PID is the kernel's process id.
func (k *Kernel) PID() int { return k.Cmd.Process.Pid }

// Exited is closed when the kernel process has exited.
func (k *Kernel) Exited() <-chan struct{} { return k.exited }

// ExitErr is the result of waiting for the process (valid after Exited).
func (k *Kernel) ExitErr() error {
	k.waitMu.Lock()
	defer k.waitMu.Unlock()
	return k.err
}

// Output returns the last 64 KB the kernel wrote to stdout and stderr (its log).
func (k *Kernel) Output() string { return k.stderr.String() }

// Connect dials the kernel and waits until it answers kernel_info with iopub
// working (see Client.WaitReady).
func (k *Kernel) Connect(ctx context.Context, logger *slog.Logger) (*Client, error) {
	c, err := Dial(ctx, k.Info, logger)
	if err != nil {
		return nil, k.withLog(err)
	}
	if _, err := c.WaitReady(ctx); err != nil {
		c.Close()
		return nil, k.withLog(err)
	}
	return c, nil
}

func (k *Kernel) withLog(err error) error {
	select {
	case <-k.exited:
		return fmt.Errorf("%w (kernel exited: %v; its log ends with:\n%s)", err, k.ExitErr(), k.Output())
	default:
		return err
	}
}

// Stop ends the kernel: SIGTERM to its process group, then SIGKILL after
// grace, and removes the connection directory Start created. It returns an
// error if the process had to be killed.
func (k *Kernel) Stop(grace time.Duration) error {
	defer k.cleanup()
	select {
	case <-k.exited:
		return nil
	default:
	}
	pgid := k.PID()
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-k.exited:
		return nil
	case <-time.After(grace):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-k.exited
	return errors.New("bench: kernel ignored SIGTERM and was killed")
}

// Shutdown asks the kernel to exit with shutdown_request on control and
// waits for the process to end; after timeout it kills the process group.
func (k *Kernel) Shutdown(ctx context.Context, c *Client, timeout time.Duration) error {
	call, err := c.Request(Control, "shutdown_request", jupyter.ShutdownRequest{Restart: false})
	if err != nil {
		return err
	}
	defer c.Forget(call)
	select {
	case <-k.exited:
		k.cleanup()
		return nil
	case <-time.After(timeout):
		k.Stop(time.Second)
		return fmt.Errorf("bench: kernel did not exit within %v of shutdown_request", timeout)
	case <-ctx.Done():
		k.Stop(time.Second)
		return ctx.Err()
	}
}

func (k *Kernel) cleanup() {
	if k.ownDir != "" {
		os.RemoveAll(k.ownDir)
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if extra := t.buf.Len() - t.max; extra > 0 {
		t.buf.Next(extra)
	}
	return len(p), nil
}

// runStages sums the run stages a kernel logs, line by line as they come
// (the tail buffer keeps only the end of a long log).
type runStages struct {
	mu      sync.Mutex
	partial []byte
	sum     time.Duration
}

func (r *runStages) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.partial = append(r.partial, p...)
	for {
		i := bytes.IndexByte(r.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		r.sum += programsRan(string(r.partial[:i]))
		r.partial = r.partial[i+1:]
	}
}

// take returns the run stages summed since the last take.
func (r *runStages) take() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	sum := r.sum
	r.sum = 0
	return sum
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
