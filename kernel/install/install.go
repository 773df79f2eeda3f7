package install

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"
)

// DefaultName is the kernelspec's directory name (what `jupyter kernelspec
// list` shows and notebooks record as kernelspec.name).
const DefaultName = "gokernel"

// kernelNamePattern is jupyter_client's rule for kernelspec names: Jupyter
// skips a kernelspec directory whose name breaks it (with only a warning in
// its log), so such an install would silently not show up.
var kernelNamePattern = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// Scope says which Jupyter data directory receives the kernelspec.
type Scope int

const (
	// User installs for the current user (the default): the first entry of
	// JUPYTER_PATH if set, else Jupyter's data directory (DataDir).
	User Scope = iota
	// SysPrefix installs into the Python environment's prefix
	// (sys.prefix/share/jupyter), where a virtualenv's or conda's Jupyter
	// looks first.
	SysPrefix
	// Prefix installs into Options.Prefix/share/jupyter.
	Prefix
)

// Options says where and under which name to install.
type Options struct {
	Scope  Scope
	Prefix string // for Scope Prefix
	Name   string // default DefaultName
	// Executable is argv[0] of the kernel: an absolute path. Default: the
	// running binary (os.Executable with symlinks resolved), so Jupyter
	// starts exactly the binary that installed itself.
	Executable string
	// Env is set in the kernelspec's env: variables Jupyter gives the
	// kernel (the shared prebuilt library's directory, say).
	Env map[string]string
}

// Spec is the content of kernel.json.
type Spec struct {
	Argv        []string `json:"argv"`
	DisplayName string   `json:"display_name"`
	Language    string   `json:"language"`
	// InterruptMode is "message": Jupyter then interrupts with an
	// interrupt_request on the control channel, which cancels exactly the
	// running cell. In "signal" mode jupyter_client sends SIGINT to the
	// kernel's whole process group, which would also hit the go toolchain
	// processes the kernel runs in the background (cache warming, builds).
	// The kernel traps SIGINT as well and treats it as an interrupt, so a
	// frontend that ignores interrupt_mode and signals still works.
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env,omitempty"`
	Metadata      map[string]any    `json:"metadata"`
}

// NewSpec returns the kernelspec for a kernel binary at executable and a
// kernelspec named name.
func NewSpec(executable, name string) Spec {
	display := "Go (gokernel)"
	if name != "" && name != DefaultName {
		display = "Go (" + name + ")"
	}
	return Spec{
		Argv:          []string{executable, "kernel", "--connection-file", "{connection_file}"},
		DisplayName:   display,
		Language:      "go",
		InterruptMode: "message",
		Metadata:      map[string]any{"debugger": false},
	}
}

// DataDir is Jupyter's per-user data directory, as jupyter_core computes it:
// $JUPYTER_DATA_DIR, else ~/Library/Jupyter on macOS, else
// $XDG_DATA_HOME/jupyter (default ~/.local/share/jupyter).
func DataDir() (string, error) {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("install: no home directory for Jupyter's data dir: %w", err)
	}
	if runtime.GOOS == "darwin" {
		return filepath.Join(home, "Library", "Jupyter"), nil
	}
	xdg := os.Getenv("XDG_DATA_HOME")
	if xdg == "" {
		xdg = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(xdg, "jupyter"), nil
}

// KernelsDir returns the "kernels" directory for a scope.
//
// For SysPrefix the prefix is $VIRTUAL_ENV or $CONDA_PREFIX when set, else
// sys.prefix of the python3 (or python) on PATH; with no Python at all it is
// /usr/local, which is on Jupyter's default search path.
func KernelsDir(ctx context.Context, scope Scope, prefix string) (string, error) {
	switch scope {
	case User:
		if jp := os.Getenv("JUPYTER_PATH"); jp != "" {
			if first := strings.Split(jp, string(os.PathListSeparator))[0]; first != "" {
				return filepath.Join(first, "kernels"), nil
			}
		}
		d, err := DataDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(d, "kernels"), nil
	case SysPrefix:
		return filepath.Join(pythonPrefix(ctx), "share", "jupyter", "kernels"), nil
	case Prefix:
		if prefix == "" {
			return "", errors.New("install: --prefix needs a directory")
		}
		abs, err := filepath.Abs(prefix)
		if err != nil {
			return "", fmt.Errorf("install: %w", err)
		}
		return filepath.Join(abs, "share", "jupyter", "kernels"), nil
	}
	return "", fmt.Errorf("install: unknown scope %d", scope)
}

func pythonPrefix(ctx context.Context) string {
	for _, env := range []string{"VIRTUAL_ENV", "CONDA_PREFIX"} {
		if p := os.Getenv(env); p != "" {
			return p
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for _, py := range []string{"python3", "python"} {
		out, err := exec.CommandContext(ctx, py, "-c", "import sys; print(sys.prefix)").Output()
		if p := strings.TrimSpace(string(out)); err == nil && p != "" {
			return p
		}
	}
	return "/usr/local"
}

// Executable returns the running binary's absolute path with symlinks resolved.
func Executable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("install: finding the gokernel binary: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	return filepath.Abs(exe)
}

// Install writes NAME/kernel.json, NAME/logo-32x32.png and
// NAME/logo-64x64.png under the scope's kernels directory, replacing an
// earlier install, and returns the kernelspec directory. NAME is lower-cased,
// as jupyter_client's install_kernel_spec does (the display name keeps the
// spelling given), so `jupyter kernelspec list` and the directory agree.
func Install(ctx context.Context, opts Options) (string, error) {
	name := opts.Name
	if name == "" {
		name = DefaultName
	}
	if !kernelNamePattern.MatchString(name) || name == "." || name == ".." {
		return "", fmt.Errorf("install: invalid kernel name %q: use ASCII letters, digits, '-', '.' and '_'", name)
	}
	display := name
	name = strings.ToLower(name)
	exe := opts.Executable
	if exe == "" {
		var err error
		if exe, err = Executable(); err != nil {
			return "", err
		}
	}
	if !filepath.IsAbs(exe) {
		return "", fmt.Errorf("install: kernel executable %q is not an absolute path", exe)
	}
	kernels, err := KernelsDir(ctx, opts.Scope, opts.Prefix)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(kernels, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("install: %w", err)
	}
	ks := NewSpec(exe, display)
	if len(opts.Env) > 0 {
		ks.Env = opts.Env
	}
	spec, err := json.MarshalIndent(ks, "", " ")
	if err != nil {
		return "", fmt.Errorf("install: %w", err)
	}
	files := map[string][]byte{"kernel.json": append(spec, '\n')}
	for _, size := range []int{32, 64} {
		var buf bytes.Buffer
		if err := writeLogo(&buf, size); err != nil {
			return "", fmt.Errorf("install: logo: %w", err)
		}
		files[fmt.Sprintf("logo-%dx%d.png", size, size)] = buf.Bytes()
	}
	for file, data := range files {
		if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
			return "", fmt.Errorf("install: %w", err)
		}
	}
	return dir, nil
}
