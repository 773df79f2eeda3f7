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
	if tc, ok := savedToolchain(goBin); ok {
		return tc, nil
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
	tc := &toolchain{goBin: goBin, goroot: env.GOROOT, toolDir: env.GOTOOLDIR, version: version, langVer: langVer}
	saveToolchain(tc)
	return tc, nil
}

// toolchainRecord is what savedToolchain keeps: `go env` costs 5-20 ms of a
// kernel's start (kernel_info waits for it), and its answer changes only
// when the go command or the environment it reads does.
type toolchainRecord struct {
	Key                                      string
	GoBin, GOROOT, ToolDir, Version, LangVer string
}

// toolchainKey identifies a go command and the environment `go env` reads.
func toolchainKey(goBin string) string {
	info, err := os.Stat(goBin)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s %d %d %s %s %s", goBin, info.Size(), info.ModTime().UnixNano(),
		os.Getenv("GOROOT"), os.Getenv("GOTOOLCHAIN"), os.Getenv("GOENV"))
}

func toolchainFile() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "gokernel", "toolchain.json")
}

// savedToolchain returns what an earlier `go env` said about goBin, if it
// still holds (same binary, same environment, tools still there).
func savedToolchain(goBin string) (*toolchain, bool) {
	name, key := toolchainFile(), toolchainKey(goBin)
	if name == "" || key == "" {
		return nil, false
	}
	data, err := readPrivateFile(name)
	if err != nil {
		return nil, false
	}
	var r toolchainRecord
	if json.Unmarshal(data, &r) != nil || r.Key != key {
		return nil, false
	}
	if _, err := os.Stat(filepath.Join(r.ToolDir, "compile")); err != nil {
		return nil, false
	}
	return &toolchain{goBin: r.GoBin, goroot: r.GOROOT, toolDir: r.ToolDir, version: r.Version, langVer: r.LangVer}, true
}

func saveToolchain(tc *toolchain) {
	name, key := toolchainFile(), toolchainKey(tc.goBin)
	if name == "" || key == "" {
		return
	}
	data, err := json.Marshal(toolchainRecord{Key: key, GoBin: tc.goBin, GOROOT: tc.goroot, ToolDir: tc.toolDir, Version: tc.version, LangVer: tc.langVer})
	if err != nil || os.MkdirAll(filepath.Dir(name), 0o700) != nil {
		return
	}
	replaceFile(name, data)
}
