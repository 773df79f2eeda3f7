package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// toolchain is the Go installation cells are built with.
type toolchain struct {
	goBin   string // the go command
	goroot  string
	toolDir string // $GOROOT/pkg/tool/$GOOS_$GOARCH: compile, link
	version string // "1.26.8"
	langVer string // "1.26", for go.mod and -lang
}

// findToolchain locates the go command and asks it where its tools are,
// with one `go env` call. It takes goBin, else "go" on PATH, else the first
// of $GOROOT/bin/go, the Go the kernel was built with and the usual install
// places that exists: Jupyter often starts kernels with a PATH that lacks
// Go (a classic complaint about Go kernels).
func findToolchain(ctx context.Context, goBin string) (*toolchain, error) {
	if goBin == "" {
		var err error
		goBin, err = exec.LookPath("go")
		if err != nil {
			candidates := []string{os.Getenv("GOROOT"), runtime.GOROOT(), "/usr/local/go", "/usr/lib/go"}
			if home, herr := os.UserHomeDir(); herr == nil {
				candidates = append(candidates, filepath.Join(home, "go"), filepath.Join(home, "sdk", "go"))
			}
			goBin = ""
			for _, root := range candidates {
				if root == "" {
					continue
				}
				if info, serr := os.Stat(filepath.Join(root, "bin", "go")); serr == nil && !info.IsDir() {
					goBin = filepath.Join(root, "bin", "go")
					break
				}
			}
			if goBin == "" {
				return nil, fmt.Errorf("find the go command: not on PATH, not in GOROOT (%q) nor in the usual places; install Go or set GOROOT: %w", os.Getenv("GOROOT"), err)
			}
		}
	}
	cmd := exec.CommandContext(ctx, goBin, "env", "-json", "GOROOT", "GOTOOLDIR", "GOVERSION")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s env: %w: %s", goBin, err, strings.TrimSpace(stderr.String()))
	}
	var env struct{ GOROOT, GOTOOLDIR, GOVERSION string }
	if err := json.Unmarshal(out, &env); err != nil {
		return nil, fmt.Errorf("%s env: %w", goBin, err)
	}
	version := strings.TrimPrefix(env.GOVERSION, "go")
	if i := strings.IndexAny(version, " -"); i >= 0 {
		version = version[:i] // "1.27rc1 X:..." or devel strings
	}
	langVer := version
	if parts := strings.SplitN(version, ".", 3); len(parts) >= 2 {
		langVer = parts[0] + "." + parts[1]
	}
	return &toolchain{goBin: goBin, goroot: env.GOROOT, toolDir: env.GOTOOLDIR, version: version, langVer: langVer}, nil
}
