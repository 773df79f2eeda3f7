package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

// findToolchain locates the go command (goBin, else "go" on PATH, else
// $GOROOT/bin/go) and asks it where its tools are, with one `go env` call.
func findToolchain(ctx context.Context, goBin string) (*toolchain, error) {
	if goBin == "" {
		if p, err := exec.LookPath("go"); err == nil {
			goBin = p
		} else if root := os.Getenv("GOROOT"); root != "" {
			goBin = filepath.Join(root, "bin", "go")
		} else {
			return nil, fmt.Errorf("find the go command: not on PATH and GOROOT is not set: %w", err)
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
