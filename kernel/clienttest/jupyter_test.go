package clienttest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// jupyterPython is the Python that sees Debian's Jupyter packages (the python3 first on
// PATH may be another one).
const jupyterPython = "/usr/bin/python3"

// runMarkerVar is set in the environment of every process the test starts; the children
// (kernels, browsers) inherit it, which is how sweepLeftovers finds them and only them.
const runMarkerVar = "GOKERNEL_CLIENTTEST_RUN"

// jupyterEnv is a private Jupyter installation: kernelspecs, config, data and runtime
// files all live under dir, so tests never read or change the user's Jupyter setup.
type jupyterEnv struct {
	dir     string
	runID   string
	environ []string
}

// kernelsDir is where Jupyter looks for kernelspecs first (JUPYTER_PATH/kernels).
func (e *jupyterEnv) kernelsDir() string { return filepath.Join(e.dir, "share", "jupyter", "kernels") }

func newJupyterEnv(t testing.TB) *jupyterEnv {
	t.Helper()
	// Not t.TempDir: its path holds the test name and tmux/zmq socket paths must stay short.
	dir, err := os.MkdirTemp("", "clienttest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Logf("removing %s: %v", dir, err)
		}
	})
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		t.Fatal(err)
	}
	e := &jupyterEnv{dir: dir, runID: hex.EncodeToString(id)}
	private := map[string]string{
		"JUPYTER_PATH":        filepath.Join(dir, "share", "jupyter"),
		"JUPYTER_DATA_DIR":    filepath.Join(dir, "data"),
		"JUPYTER_CONFIG_DIR":  filepath.Join(dir, "config"),
		"JUPYTER_RUNTIME_DIR": filepath.Join(dir, "runtime"),
		"IPYTHONDIR":          filepath.Join(dir, "ipython"),
	}
	for _, d := range append([]string{e.kernelsDir()}, mapValues(private)...) {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if _, ok := private[name]; ok || strings.HasPrefix(name, "JUPYTER_") || name == runMarkerVar {
			continue
		}
		e.environ = append(e.environ, kv)
	}
	for name, value := range private {
		e.environ = append(e.environ, name+"="+value)
	}
	e.environ = append(e.environ,
		"JUPYTER_PLATFORM_DIRS=0",          // no deprecation warning from jupyter_core
		"PYDEVD_DISABLE_FILE_VALIDATION=1", // ipykernel's debugger warns about frozen modules otherwise
		"PYTHONDONTWRITEBYTECODE=1",        // no __pycache__ in testdata/
		runMarkerVar+"="+e.runID,
	)
	return e
}

// with returns a copy of e whose commands also get the given NAME=value variables.
func (e *jupyterEnv) with(vars ...string) *jupyterEnv {
	c := *e
	c.environ = append(append([]string(nil), e.environ...), vars...)
	return &c
}

func mapValues(m map[string]string) []string {
	var vs []string
	for _, v := range m {
		vs = append(vs, v)
	}
	return vs
}

// moduleRoot is the directory holding go.mod, where ./cmd/gokernel and notebooks/ are.
func moduleRoot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("not inside a Go module")
	}
	return filepath.Dir(gomod)
}

// buildGokernel builds ./cmd/gokernel into the private directory and returns its path.
func buildGokernel(t testing.TB, e *jupyterEnv) string {
	t.Helper()
	trackModuleFiles(t, moduleRoot(t))
	bin := filepath.Join(e.dir, "bin", "gokernel")
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/gokernel")
	cmd.Dir = moduleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/gokernel: %v\n%s", err, out)
	}
	t.Logf("built %s in %s", bin, time.Since(start).Round(time.Millisecond))
	return bin
}

// trackModuleFiles opens every file of the module (kernel sources, notebooks, the drivers
// in testdata/) from the test process. The sources are read by child processes (go build,
// python, node), which go test's result cache does not see; opening them here records them,
// so a change anywhere in the module reruns the client tests instead of reporting "(cached)".
func trackModuleFiles(t testing.TB, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		return f.Close()
	})
	if err != nil {
		t.Fatalf("listing the module's files: %v", err)
	}
}

// installKernelspec runs `gokernel install --prefix DIR` into the private Jupyter directory
// (the user's path, without Python) and returns the kernelspec name it wrote.
func installKernelspec(t testing.TB, e *jupyterEnv, bin string) string {
	t.Helper()
	out, err := e.runClient(t, 2*time.Minute, e.dir, bin, "install", "--prefix", e.dir)
	if err != nil {
		t.Fatalf("gokernel install --prefix %s: %v\n%s", e.dir, err, out)
	}
	name, err := findKernelspec(e.kernelsDir(), bin)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// findKernelspec returns the name of the kernelspec in dir whose argv[0] is bin.
func findKernelspec(dir, bin string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var seen []string
	for _, ent := range entries {
		spec, err := readKernelJSON(filepath.Join(dir, ent.Name(), "kernel.json"))
		if err != nil {
			seen = append(seen, ent.Name()+": "+err.Error())
			continue
		}
		if len(spec.Argv) > 0 && spec.Argv[0] == bin {
			return ent.Name(), nil
		}
		seen = append(seen, ent.Name()+": argv "+strings.Join(spec.Argv, " "))
	}
	return "", errors.New("no kernelspec in " + dir + " runs " + bin + "; found: " + strings.Join(seen, "; "))
}

// kernelJSON is the part of a kernelspec the tests look at.
type kernelJSON struct {
	Argv          []string `json:"argv"`
	DisplayName   string   `json:"display_name"`
	Language      string   `json:"language"`
	InterruptMode string   `json:"interrupt_mode,omitempty"`
}

func readKernelJSON(path string) (kernelJSON, error) {
	var spec kernelJSON
	data, err := os.ReadFile(path)
	if err != nil {
		return spec, err
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return spec, errors.New(path + ": " + err.Error())
	}
	return spec, nil
}

// testKernelspec checks that Jupyter itself (jupyter_client's KernelSpecManager, what
// `jupyter kernelspec list` prints) finds the installed kernelspec and that it runs our binary.
func testKernelspec(t *testing.T, e *jupyterEnv, k kernelUnderTest) {
	requirePython(t, "jupyter_client")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	script := "import json; from jupyter_client.kernelspec import KernelSpecManager as M\n" +
		"print(json.dumps({n: s['spec'] | {'resource_dir': s['resource_dir']} for n, s in M().get_all_specs().items()}))"
	out, err := e.command(ctx, e.dir, jupyterPython, "-c", script).Output()
	if err != nil {
		t.Fatalf("listing kernelspecs: %v", err)
	}
	var specs map[string]struct {
		kernelJSON
		ResourceDir string `json:"resource_dir"`
	}
	if err := json.Unmarshal(out, &specs); err != nil {
		t.Fatalf("kernelspec list %s: %v", out, err)
	}
	spec, ok := specs[k.Name]
	if !ok {
		t.Fatalf("jupyter does not list kernelspec %q; have %s", k.Name, out)
	}
	t.Logf("%s: %+v", k.Name, spec)
	if k.Binary == "" {
		return
	}
	if len(spec.Argv) == 0 || spec.Argv[0] != k.Binary {
		t.Errorf("argv: have %q, want the absolute path %s first", spec.Argv, k.Binary)
	}
	if !strings.Contains(strings.Join(spec.Argv, " "), "{connection_file}") {
		t.Errorf("argv %q has no {connection_file}", spec.Argv)
	}
	if spec.Language != "go" {
		t.Errorf("language: have %q, want go", spec.Language)
	}
	for _, logo := range []string{"logo-32x32.png", "logo-64x64.png"} {
		if _, err := os.Stat(filepath.Join(spec.ResourceDir, logo)); err != nil {
			t.Errorf("kernelspec has no %s: %v", logo, err)
		}
	}
}
