package main

// Tests of the kernel and install commands: the real binary with the real
// engine, driven over ZeroMQ by a client built on package jupyter.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/gokernel/gokernel/kernel/jupyter"
)

// kernelClient is a minimal Jupyter client: shell and control DEALERs and
// an iopub SUB, messages signed with the connection key.
type kernelClient struct {
	t       *testing.T
	info    jupyter.ConnectionInfo
	signer  *jupyter.Signer
	sockets map[string]zmq4.Socket
	recv    map[string]chan *jupyter.Message
}

// freePorts returns n distinct ports free on ip. The listeners stay open
// until all n are chosen: closed one by one, the system may hand out the
// same port twice (the kernel then fails to bind its second socket).
func freePorts(t *testing.T, ip string, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// writeConnectionFile writes a connection file with free ports, mode 0600.
// The address is a loopback address of this test's own (127.x.y.z: Linux
// answers on all of 127/8), so ports other tests' kernels pick meanwhile on
// 127.0.0.1 cannot collide with these.
func writeConnectionFile(t *testing.T) (string, jupyter.ConnectionInfo) {
	ip := "127.0.0.1"
	if runtime.GOOS == "linux" {
		ip = fmt.Sprintf("127.%d.%d.%d", 1+rand.IntN(254), rand.IntN(256), 1+rand.IntN(254))
	}
	p := freePorts(t, ip, 5)
	info := jupyter.ConnectionInfo{
		Transport: "tcp", IP: ip, Key: "cmd-test-key", SignatureScheme: "hmac-sha256",
		ShellPort: p[0], ControlPort: p[1], StdinPort: p[2], IOPubPort: p[3], HBPort: p[4],
	}
	data, _ := json.Marshal(info)
	path := filepath.Join(t.TempDir(), "kernel.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, info
}

func dialKernel(t *testing.T, info jupyter.ConnectionInfo) *kernelClient {
	ctx, cancel := context.WithCancel(context.Background())
	c := &kernelClient{t: t, info: info, signer: jupyter.NewSigner([]byte(info.Key)),
		sockets: map[string]zmq4.Socket{}, recv: map[string]chan *jupyter.Message{}}
	// Dial as a kernel client does: before the kernel has bound, retrying
	// often (zmq4's default is 250 ms, 10 times) for up to 10 s.
	retry, tries := zmq4.WithDialerRetry(5*time.Millisecond), zmq4.WithDialerMaxRetries(2000)
	for name, s := range map[string]struct {
		sock zmq4.Socket
		port int
	}{
		"shell":   {zmq4.NewDealer(ctx, retry, tries), info.ShellPort},
		"control": {zmq4.NewDealer(ctx, retry, tries), info.ControlPort},
		"iopub":   {zmq4.NewSub(ctx, retry, tries), info.IOPubPort},
	} {
		if err := s.sock.Dial(info.Endpoint(s.port)); err != nil {
			t.Fatal(err)
		}
		c.sockets[name] = s.sock
		c.recv[name] = make(chan *jupyter.Message, 100)
		go func() {
			for {
				m, err := s.sock.Recv()
				if err != nil {
					return
				}
				if msg, err := jupyter.Decode(m.Frames, c.signer); err == nil {
					c.recv[name] <- msg
				}
			}
		}()
	}
	c.sockets["iopub"].SetOption(zmq4.OptionSubscribe, "")
	t.Cleanup(func() {
		cancel()
		for _, s := range c.sockets {
			s.Close()
		}
	})
	return c
}

func (c *kernelClient) request(channel, msgType string, content any) *jupyter.Message {
	msg, err := jupyter.NewMessage(nil, msgType, "cmd-test", content)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.sockets[channel].SendMulti(zmq4.NewMsgFrom(jupyter.Encode(msg, c.signer)...)); err != nil {
		c.t.Fatal(err)
	}
	return msg
}

// reply waits for the reply to req on channel.
func (c *kernelClient) reply(channel string, req *jupyter.Message, timeout time.Duration) map[string]any {
	c.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case m := <-c.recv[channel]:
			var parent jupyter.Header
			json.Unmarshal(m.ParentHeader, &parent)
			if parent.MsgID != req.Header.MsgID {
				continue
			}
			var content map[string]any
			json.Unmarshal(m.Content, &content)
			return content
		case <-deadline:
			c.t.Fatalf("no reply to %s on %s within %v", req.Header.MsgType, channel, timeout)
			return nil
		}
	}
}

// startKernelProcess starts `bin kernel --connection-file connFile`.
func startKernelProcess(t *testing.T, bin, connFile string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "kernel", "--connection-file", connFile)
	cmd.Env = append(os.Environ(), "JUPYTER_DATA_DIR="+t.TempDir(), "GOKERNEL_LOG=debug")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() || os.Getenv("GOKERNEL_TEST_LOG") != "" {
			t.Logf("kernel stderr:\n%s", stderr.String())
		}
		if strings.Contains(stderr.String(), "cmd-test-key") {
			t.Errorf("the connection key appears in the kernel's log")
		}
	})
	return cmd
}

// waitExit waits for the process to end and returns its exit code.
func waitExit(t *testing.T, cmd *exec.Cmd, timeout time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(timeout):
		t.Fatalf("kernel still running %v later", timeout)
		return -1
	}
}

func TestKernelLifecycle(t *testing.T) {
	connFile, info := writeConnectionFile(t)
	bin := gokernelBinary(t) // built before the clock starts
	start := time.Now()
	kernel := startKernelProcess(t, bin, connFile)
	c := dialKernel(t, info)
	infoReq := c.request("shell", "kernel_info_request", map[string]any{})
	reply := c.reply("shell", infoReq, 10*time.Second)
	t.Logf("process start -> kernel_info_reply: %v", time.Since(start).Round(100*time.Microsecond))
	lang, _ := reply["language_info"].(map[string]any)
	if reply["protocol_version"] != "5.4" || lang["name"] != "go" || lang["version"] == "" {
		t.Fatalf("kernel_info_reply: have %v", reply)
	}

	t.Run("SIGINT does not kill the kernel", func(t *testing.T) {
		kernel.Process.Signal(syscall.SIGINT)
		time.Sleep(100 * time.Millisecond)
		req := c.request("control", "kernel_info_request", map[string]any{})
		if r := c.reply("control", req, 5*time.Second); r["status"] != "ok" {
			t.Errorf("after SIGINT: have %v", r)
		}
	})
	t.Run("execute through the real engine", func(t *testing.T) {
		req := c.request("shell", "execute_request", map[string]any{"code": "6*7"})
		r := c.reply("shell", req, 60*time.Second)
		if r["status"] != "ok" || r["execution_count"] != float64(1) {
			t.Errorf("execute_reply: have %v", r)
		}
	})
	for _, how := range []string{"SIGINT", "interrupt_request"} {
		t.Run(how+" interrupts a looping cell", func(t *testing.T) {
			req := c.request("shell", "execute_request", map[string]any{"code": "for {\n\ttime.Sleep(time.Millisecond)\n}"})
			time.Sleep(time.Second) // let it build and start
			start := time.Now()
			if how == "SIGINT" {
				kernel.Process.Signal(syscall.SIGINT)
			} else {
				c.reply("control", c.request("control", "interrupt_request", map[string]any{}), 5*time.Second)
			}
			r := c.reply("shell", req, 10*time.Second)
			if r["status"] != "error" {
				t.Errorf("interrupted cell: have %v, want status error", r)
			}
			t.Logf("%s -> execute_reply in %v (%v: %v)", how, time.Since(start).Round(time.Millisecond), r["ename"], r["evalue"])
			after := c.request("shell", "execute_request", map[string]any{"code": "1+1"})
			if r := c.reply("shell", after, 30*time.Second); r["status"] != "ok" {
				t.Errorf("cell after the interrupt: have %v", r)
			}
		})
	}
	t.Run("shutdown_request ends the process", func(t *testing.T) {
		req := c.request("control", "shutdown_request", map[string]any{"restart": false})
		if r := c.reply("control", req, 5*time.Second); r["status"] != "ok" {
			t.Errorf("shutdown_reply: have %v", r)
		}
		if code := waitExit(t, kernel, 10*time.Second); code != 0 {
			t.Errorf("exit status: have %d want 0", code)
		}
		// The iopub copy of the reply left before the process did (the
		// kernel lingers for it): it is here, read or queued.
		var seen []string
		for deadline := time.After(2 * time.Second); ; {
			select {
			case m := <-c.recv["iopub"]:
				h := m.Header
				var parent jupyter.Header
				json.Unmarshal(m.ParentHeader, &parent)
				if parent.MsgID == req.Header.MsgID {
					seen = append(seen, h.MsgType)
				}
				if h.MsgType != "shutdown_reply" || parent.MsgID != req.Header.MsgID {
					continue
				}
			case <-deadline:
				t.Errorf("no shutdown_reply on iopub before the kernel exited; its iopub messages for the request: %v", seen)
			}
			break
		}
	})
}

func TestKernelStopsOnSIGTERM(t *testing.T) {
	connFile, info := writeConnectionFile(t)
	kernel := startKernelProcess(t, gokernelBinary(t), connFile)
	c := dialKernel(t, info)
	c.reply("shell", c.request("shell", "kernel_info_request", map[string]any{}), 10*time.Second)
	kernel.Process.Signal(syscall.SIGTERM)
	if code := waitExit(t, kernel, 10*time.Second); code != 0 {
		t.Errorf("exit status after SIGTERM: have %d want 0", code)
	}
}

func TestKernelExitsWhenParentDies(t *testing.T) {
	connFile, info := writeConnectionFile(t)
	// sh is the kernel's parent; killing it orphans the kernel.
	parent := exec.Command("sh", "-c", fmt.Sprintf("%q kernel --connection-file %q 2>/dev/null & echo $!; wait", gokernelBinary(t), connFile))
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Fscan(out, &pid); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	c := dialKernel(t, info)
	c.reply("shell", c.request("shell", "kernel_info_request", map[string]any{}), 10*time.Second)

	parent.Process.Kill()
	parent.Wait()
	killed := time.Now()
	for time.Since(killed) < 5*time.Second {
		if !processRunning(pid) {
			t.Logf("kernel exited %v after its parent was killed", time.Since(killed).Round(time.Millisecond))
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("kernel %d still running 5 s after its parent died", pid)
}

// processRunning reports whether pid exists and is not a zombie (an orphan
// that exited may wait for a reaper that never comes in a container).
func processRunning(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

func TestInstallCommand(t *testing.T) {
	bin := gokernelBinary(t)
	want, err := filepath.EvalSymlinks(bin)
	if err != nil {
		t.Fatal(err)
	}
	jupyterPath := filepath.Join(t.TempDir(), "share", "jupyter")
	prefix := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		env     []string
		wantDir string // "" when the command must fail with usage
	}{
		{"user via JUPYTER_PATH", []string{"install", "--no-warm"}, []string{"JUPYTER_PATH=" + jupyterPath}, filepath.Join(jupyterPath, "kernels", "gokernel")},
		{"prefix and name", []string{"install", "--prefix", prefix, "--name", "go2", "--no-warm"}, nil, filepath.Join(prefix, "share", "jupyter", "kernels", "go2")},
		{"two scopes", []string{"install", "--user", "--prefix", prefix}, nil, ""},
		{"stray argument", []string{"install", "extra"}, nil, ""},
		{"notebooks without a prebuilt library", []string{"install", "--user", "--notebooks", "x.ipynb"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			cmd.Env = append(os.Environ(), tt.env...)
			out, err := cmd.CombinedOutput()
			if tt.wantDir == "" {
				if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 2 {
					t.Errorf("have %v (%s), want usage exit 2", err, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			data, err := os.ReadFile(filepath.Join(tt.wantDir, "kernel.json"))
			if err != nil {
				t.Fatal(err)
			}
			var spec struct{ Argv []string }
			json.Unmarshal(data, &spec)
			if len(spec.Argv) != 4 || spec.Argv[0] != want {
				t.Errorf("argv: have %v, want [%s kernel --connection-file {connection_file}]", spec.Argv, want)
			}
			for _, logo := range []string{"logo-32x32.png", "logo-64x64.png"} {
				if _, err := os.Stat(filepath.Join(tt.wantDir, logo)); err != nil {
					t.Error(err)
				}
			}
		})
	}
}
