package kerneltest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// jupyterPython is the Python that sees Debian's Jupyter packages (the
// python3 first on PATH may be another one).
const jupyterPython = "/usr/bin/python3"

// iopubMsg is one iopub message of a cell, as testdata/drive.py reports it.
type iopubMsg struct {
	MsgType string         `json:"msg_type"`
	Content map[string]any `json:"content"`
}

type cellResult struct {
	Reply string     `json:"reply"`
	Iopub []iopubMsg `json:"iopub"`
}

// requireJupyterClient skips (or fails under CI=true) without jupyter_client.
func requireJupyterClient(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("drives a real kernel with jupyter_client: skipped with -short")
	}
	if err := exec.Command(jupyterPython, "-c", "import jupyter_client").Run(); err != nil {
		msg := "!!! SKIPPING: " + jupyterPython + " cannot import jupyter_client (Debian: apt install python3-jupyter-client): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// installKernel builds cmd/gokernel and writes its kernelspec into a
// private Jupyter directory; it returns the environment that finds it.
func installKernel(t *testing.T) []string {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	// Not t.TempDir: zmq's ipc and Jupyter's runtime paths like short names.
	dir, err := os.MkdirTemp("", "nbkt-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "gokernel")
	build := exec.Command("go", "build", "-o", bin, "./cmd/gokernel")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building gokernel: %v\n%s", err, out)
	}
	spec := filepath.Join(dir, "share", "jupyter", "kernels", "gokernel-nbtest")
	if err := os.MkdirAll(spec, 0o700); err != nil {
		t.Fatal(err)
	}
	kernelJSON, _ := json.Marshal(map[string]any{
		"argv":           []string{bin, "kernel", "--connection-file", "{connection_file}"},
		"display_name":   "Go (nb test)",
		"language":       "go",
		"interrupt_mode": "message",
	})
	if err := os.WriteFile(filepath.Join(spec, "kernel.json"), kernelJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "JUPYTER_") && !strings.HasPrefix(kv, "IPYTHONDIR=") {
			env = append(env, kv)
		}
	}
	return append(env,
		"JUPYTER_PATH="+filepath.Join(dir, "share", "jupyter"),
		"JUPYTER_DATA_DIR="+filepath.Join(dir, "data"),
		"JUPYTER_CONFIG_DIR="+filepath.Join(dir, "config"),
		"JUPYTER_RUNTIME_DIR="+filepath.Join(dir, "runtime"),
		"IPYTHONDIR="+filepath.Join(dir, "ipython"),
		"JUPYTER_PLATFORM_DIRS=0",
	)
}

// runWithJupyterClient runs cells on the installed kernel through
// jupyter_client and returns what each produced on iopub.
func runWithJupyterClient(t *testing.T, env []string, cells []string) []cellResult {
	t.Helper()
	in, _ := json.Marshal(map[string]any{"kernel": "gokernel-nbtest", "cells": cells})
	cmd := exec.Command(jupyterPython, "testdata/drive.py")
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("drive.py: %v\n%s", err, stderr.String())
	}
	var results []cellResult
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("drive.py output %q: %v", out, err)
	}
	if len(results) != len(cells) {
		t.Fatalf("results: have %d, want %d", len(results), len(cells))
	}
	for i, r := range results {
		if r.Reply != "ok" {
			t.Fatalf("cell %d: execute_reply %s, iopub %+v", i, r.Reply, r.Iopub)
		}
	}
	return results
}

// describe writes an iopub message as one short line to compare.
func describe(m iopubMsg) string {
	c := m.Content
	data, _ := c["data"].(map[string]any)
	transient, _ := c["transient"].(map[string]any)
	switch m.MsgType {
	case "stream":
		return "stream " + c["name"].(string) + " " + c["text"].(string)
	case "clear_output":
		if c["wait"] == true {
			return "clear_output wait"
		}
		return "clear_output"
	case "display_data", "update_display_data", "execute_result":
		var mimes []string
		for _, k := range []string{"text/html", "image/svg+xml", "text/plain"} {
			if v, ok := data[k]; ok {
				s, _ := v.(string)
				if k == "image/svg+xml" {
					s = "<svg ...>"
				}
				mimes = append(mimes, k+"="+s)
			}
		}
		line := m.MsgType + " " + strings.Join(mimes, " ")
		if id, ok := transient["display_id"].(string); ok && id != "" {
			line += " [id]"
		}
		return line
	}
	return m.MsgType
}

// TestWithJupyterClient runs nb cells on the installed kernel through a real
// Jupyter client and checks the messages a notebook front end receives.
func TestWithJupyterClient(t *testing.T) {
	requireJupyterClient(t)
	env := installKernel(t)
	cells := []string{
		`_ = 0`, // the first cell may print the build-cache notice
		"fmt.Println(\"A\")\nnb.HTML(\"<b>B</b>\")\nfmt.Println(\"C\")",
		"h := nb.NewDisplay(\"v1\")\nh.Update(nb.Bundle{\"text/html\": \"<i>v2</i>\", \"text/plain\": \"v2\"})",
		"fmt.Println(\"old\")\nnb.ClearOutput(true)\nfmt.Println(\"new\")",
		"var counter = 1\n\nfunc setCounter(v int) { counter = v }\n\nerr := nb.Run(setCounter, 5)\nfmt.Println(err, counter)",
		"type celsius float64\n\nfunc (c celsius) HTML() string { return fmt.Sprintf(\"<b>%.1f</b>\", float64(c)) }\n\ncelsius(21.5)",
		"tl := nb.NewTimeline()\nvar wg sync.WaitGroup\nfor i := range 3 {\n\twg.Go(func() { l := tl.Lane(fmt.Sprint(\"g\", i)); l.Sleep(time.Millisecond); l.Done() })\n}\nwg.Wait()\ntl",
	}
	results := runWithJupyterClient(t, env, cells)
	want := [][]string{
		nil,
		{"stream stdout A\n", "display_data text/html=<b>B</b> text/plain=B", "stream stdout C\n"},
		{`display_data text/plain="v1" [id]`, "update_display_data text/html=<i>v2</i> text/plain=v2 [id]"},
		{"stream stdout old\n", "clear_output wait", "stream stdout new\n"},
		{"stream stdout <nil> 1\n"},
		{"execute_result text/html=<b>21.5</b> text/plain=21.5"},
		{"execute_result image/svg+xml=<svg ...> text/plain=timeline: 3 lanes"},
	}
	for i := 1; i < len(cells); i++ {
		var have []string
		for _, m := range results[i].Iopub {
			have = append(have, describe(m))
		}
		w := want[i]
		if i == 6 && len(have) == 1 { // the timeline's text goes on with its duration
			have[0] = have[0][:min(len(have[0]), len(w[0]))]
		}
		if strings.Join(have, "|") != strings.Join(w, "|") {
			t.Errorf("cell %d:\nhave %q\nwant %q", i, have, w)
		}
	}
	// The update names the display it replaces.
	display, update := results[2].Iopub[0].Content, results[2].Iopub[1].Content
	if id := display["transient"].(map[string]any)["display_id"]; id != update["transient"].(map[string]any)["display_id"] {
		t.Errorf("update_display_data display_id %v, want the display's %v", update["transient"], id)
	}
}
