package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// referenceModule is a temporary Go module in which the benchmark times the
// plain go toolchain on the same programs the kernel runs as cells, so that
// every kernel figure has a same-run baseline.
type referenceModule struct {
	dir   string
	goBin string
}

func newReferenceModule(goBin string) (*referenceModule, error) {
	dir, err := os.MkdirTemp("", "gokernel-bench-ref-")
	if err != nil {
		return nil, fmt.Errorf("bench: reference module: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module benchref\n\ngo 1.26\n"), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("bench: reference module: %w", err)
	}
	return &referenceModule{dir: dir, goBin: goBin}, nil
}

func (m *referenceModule) Close() error { return os.RemoveAll(m.dir) }

func (m *referenceModule) write(program string) error {
	if err := os.WriteFile(filepath.Join(m.dir, "main.go"), []byte(program), 0o600); err != nil {
		return fmt.Errorf("bench: reference program: %w", err)
	}
	return nil
}

// goRun times `go run main.go` of program (source written just before).
func (m *referenceModule) goRun(ctx context.Context, program string) (time.Duration, error) {
	if err := m.write(program); err != nil {
		return 0, err
	}
	start := time.Now()
	if err := m.command(ctx, m.goBin, "run", "main.go").Run(); err != nil {
		return 0, fmt.Errorf("bench: go run: %w", err)
	}
	return time.Since(start), nil
}

// goBuildRun times `go build -o bin main.go && ./bin`, the path a kernel
// that shells out to go build takes.
func (m *referenceModule) goBuildRun(ctx context.Context, program string) (time.Duration, error) {
	if err := m.write(program); err != nil {
		return 0, err
	}
	bin := filepath.Join(m.dir, "prog")
	start := time.Now()
	if err := m.command(ctx, m.goBin, "build", "-o", bin, "main.go").Run(); err != nil {
		return 0, fmt.Errorf("bench: go build: %w", err)
	}
	if err := m.command(ctx, bin).Run(); err != nil {
		return 0, fmt.Errorf("bench: running built program: %w", err)
	}
	return time.Since(start), nil
}

// build builds program once and returns the binary's path.
func (m *referenceModule) build(ctx context.Context, program, name string) (string, error) {
	if err := m.write(program); err != nil {
		return "", err
	}
	bin := filepath.Join(m.dir, name)
	if out, err := m.command(ctx, m.goBin, "build", "-o", bin, "main.go").CombinedOutput(); err != nil {
		return "", fmt.Errorf("bench: go build: %w\n%s", err, out)
	}
	return bin, nil
}

// timeStart times starting bin and waiting for it to exit.
func timeStart(ctx context.Context, bin string) (time.Duration, error) {
	start := time.Now()
	if err := exec.CommandContext(ctx, bin).Run(); err != nil {
		return 0, fmt.Errorf("bench: running %s: %w", bin, err)
	}
	return time.Since(start), nil
}

func (m *referenceModule) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = m.dir
	return cmd
}
