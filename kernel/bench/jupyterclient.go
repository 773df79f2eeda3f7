package bench

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// jupyterClientStart is the Python driver of figure 1's jupyter_client
// rows: it starts kernels through jupyter_client's KernelManager, as
// nbclient, the Notebook and jupyter console do, and times the first
// kernel_info_reply and wait_for_ready.
//
//go:embed jupyter_client_start.py
var jupyterClientStart []byte

// DefaultPython is the interpreter that has Debian's Jupyter packages
// (jupyter_client, ipykernel); the python3 first on PATH may not.
const DefaultPython = "/usr/bin/python3"

// The kernel spec names the driver starts, in a private JUPYTER_PATH.
const (
	specGokernel = "gokernel-bench"
	specIPython  = "ipykernel-bench"
)

// clientStart is one line of the driver's output.
type clientStart struct {
	Kernel       string  `json:"kernel"`
	FirstReplyMS float64 `json:"first_reply_ms"`
	ReadyMS      float64 `json:"ready_ms"`
	Requests     int     `json:"kernel_info_requests"`
	Error        string  `json:"error"`
	Events       [][]any `json:"events"`
}

// figureStartJupyterClient measures kernel start → first kernel_info_reply
// and → wait_for_ready through jupyter_client, for gokernel and ipykernel
// in turn (the same machine load for both).
func (b *benchmark) figureStartJupyterClient(ctx context.Context) error {
	rep := b.report
	first := rep.result("1", "jc_first_reply", "jupyter_client: start → first kernel_info_reply", "ms")
	ready := rep.result("1", "jc_ready", "jupyter_client: start → wait_for_ready", "ms",
		Target{Op: "<=", Value: 0.4, Of: "jc_ready_ipykernel"})
	ipyFirst := rep.reference("1", "jc_first_reply_ipykernel", "ipykernel, jupyter_client: start → first kernel_info_reply", "ms")
	ipyReady := rep.reference("1", "jc_ready_ipykernel", "ipykernel, jupyter_client: start → wait_for_ready", "ms")

	dir, err := os.MkdirTemp("", "gokernel-bench-jc-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	specs := map[string][]string{
		specGokernel: {b.cfg.Exe, "kernel", "--connection-file", "{connection_file}"},
		specIPython:  {b.cfg.Python, "-m", "ipykernel_launcher", "-f", "{connection_file}"},
	}
	for name, argv := range specs {
		spec, _ := json.Marshal(map[string]any{"argv": argv, "display_name": name, "language": "bench"})
		if err := os.MkdirAll(filepath.Join(dir, "kernels", name), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "kernels", name, "kernel.json"), spec, 0o600); err != nil {
			return err
		}
	}
	script := filepath.Join(dir, "jupyter_client_start.py")
	if err := os.WriteFile(script, jupyterClientStart, 0o600); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, time.Duration(b.cfg.Runs)*2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, b.cfg.Python, script, fmt.Sprint(b.cfg.Runs), specGokernel, specIPython)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"JUPYTER_PATH="+dir, "JUPYTER_DATA_DIR="+filepath.Join(dir, "data"),
		"JUPYTER_CONFIG_DIR="+filepath.Join(dir, "config"), "JUPYTER_RUNTIME_DIR="+filepath.Join(dir, "runtime"),
		"IPYTHONDIR="+filepath.Join(dir, "ipython"),
		// ipykernel's debugger warns about frozen modules on every start.
		"PYDEVD_DISABLE_FILE_VALIDATION=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w (figure 1's jupyter_client rows need Debian's python3-jupyter-client and python3-ipykernel)", b.cfg.Python, err)
	}
	lost := 0
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r clientStart
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			b.logger.Warn("jupyter_client driver: unreadable line", "line", sc.Text())
			continue
		}
		f, rd := first, ready
		if r.Kernel == specIPython {
			f, rd = ipyFirst, ipyReady
		}
		if r.Error != "" {
			rd.Fail(fmt.Errorf("%s: %s", r.Kernel, r.Error))
			continue
		}
		f.Add(r.FirstReplyMS)
		rd.Add(r.ReadyMS)
		if r.Kernel == specGokernel && r.Requests > 1 {
			lost++
		}
		b.progress("figure 1 (jupyter_client): %s first kernel_info_reply %.1f ms, ready %.1f ms, %d kernel_info_request(s)",
			r.Kernel, r.FirstReplyMS, r.ReadyMS, r.Requests)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("jupyter_client driver: %w: %s (figure 1's jupyter_client rows need Debian's python3-jupyter-client and python3-ipykernel)",
			err, strings.TrimSpace(lastLines(stderr.String(), 6)))
	}
	ready.Note = fmt.Sprintf("measured by jupyter_client (%s) with KernelManager.start_kernel, start_channels, wait_for_ready; "+
		"%d of %d gokernel starts needed a second kernel_info_request (iopub not yet delivering)", b.cfg.Python, lost, len(ready.Samples))
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
