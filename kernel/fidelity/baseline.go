package fidelity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// Baseline is what a program did when built by `go build` and run on its
// own: the reference a cell is compared with.
type Baseline struct {
	Stdout   string
	Stderr   string
	ExitCode int
	// MainAgain is what a second call of main printed, in the same process
	// after the first call returned: init does not run again and package
	// variables keep what the first call left, as a later cell `main()`
	// finds them. Where the first call ended the program (os.Exit, a
	// panic), it is what the first call printed after init.
	MainAgain string
}

// userMainName is what func main is renamed to in the variant of a program
// that calls it twice (for programs with init or package variables, whose
// second call may print differently).
const userMainName = "fidelityUserMain"

// mainStarts is written to stdout by that variant's main before each call
// of the program's own.
const mainStarts = "\x00fidelity: main starts\x00"

// mainEntry is the second file of that variant: init's output, mark, the
// first call's, mark, the second call's.
var mainEntry = fmt.Sprintf("package main\n\nimport \"os\"\n\nfunc main() {\n\tos.Stdout.WriteString(%[1]q)\n\t%[2]s()\n\tos.Stdout.WriteString(%[1]q)\n\t%[2]s()\n}\n", mainStarts, userMainName)

// Baselines are the programs built once, their first runs, and what is
// needed to run one again (Rerun).
type Baselines struct {
	dir       string          // the temporary module and its binaries; Close removes it
	mainTwice map[string]bool // programs built also as the variant calling main twice
	first     map[string]*Baseline
}

// BuildBaselines builds every program with one `go build` in a temporary
// module and runs them all at once (they mostly sleep), each in its own
// empty working directory. goBin is the go command the engine uses too.
// Close removes the binaries.
func BuildBaselines(ctx context.Context, goBin string, programs []Program) (*Baselines, error) {
	dir, err := os.MkdirTemp("", "gokernel-fidelity-")
	if err != nil {
		return nil, err
	}
	set := &Baselines{dir: dir, mainTwice: map[string]bool{}, first: map[string]*Baseline{}}
	if err := set.build(ctx, goBin, programs); err != nil {
		set.Close()
		return nil, err
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	for _, p := range programs {
		wg.Go(func() {
			b, err := set.Rerun(ctx, p.Name)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			set.first[p.Name] = b
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		set.Close()
		return nil, err
	}
	return set, nil
}

func (set *Baselines) build(ctx context.Context, goBin string, programs []Program) error {
	version, err := exec.CommandContext(ctx, goBin, "env", "GOVERSION").Output()
	if err != nil {
		return fmt.Errorf("go env GOVERSION: %w", err)
	}
	goLine := strings.TrimPrefix(strings.TrimSpace(string(version)), "go")
	if i := strings.IndexAny(goLine, " -"); i >= 0 { // devel versions
		goLine = goLine[:i]
	}
	src := filepath.Join(set.dir, "src")
	files := map[string]string{"go.mod": "module fidelitybaseline\n\ngo " + goLine + "\n"}
	for _, p := range programs {
		code, err := p.Code()
		if err != nil {
			return err
		}
		parts, err := Split(code)
		if err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
		files[p.Name+"/main.go"] = code
		if parts.HasInit || parts.HasVars {
			set.mainTwice[p.Name] = true
			files[p.Name+".maintwice/main.go"] = parts.WithMainRenamed(userMainName)
			files[p.Name+".maintwice/entry.go"] = mainEntry
		}
	}
	for name, text := range files {
		path := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return err
		}
	}
	bin := filepath.Join(set.dir, "bin") + string(filepath.Separator)
	// Without symbol table and DWARF the links are quicker; the programs
	// behave the same.
	build := exec.CommandContext(ctx, goBin, "build", "-ldflags=-s -w", "-o", bin, "./...")
	build.Dir = src
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build of the baselines: %v\n%s", err, out)
	}
	return nil
}

// First is the first run of the program named name (nil if there is none).
func (set *Baselines) First(name string) *Baseline { return set.first[name] }

// Rerun runs the program named name again: for a program whose output
// depends on its sleeps keeping time, a second look on a busy machine.
func (set *Baselines) Rerun(ctx context.Context, name string) (*Baseline, error) {
	b, err := runBaseline(ctx, filepath.Join(set.dir, "bin", name), set.dir)
	if err == nil && set.mainTwice[name] {
		err = b.keepSecondCall(ctx, filepath.Join(set.dir, "bin", name+".maintwice"), set.dir)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

// Close removes the binaries.
func (set *Baselines) Close() error { return os.RemoveAll(set.dir) }

// runBaseline runs one built program with no input, in a new directory
// under dir.
func runBaseline(ctx context.Context, binary, dir string) (*Baseline, error) {
	work, err := os.MkdirTemp(dir, "run-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, binary)
	cmd.Dir = work
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	b := &Baseline{}
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) || ctx.Err() != nil {
			return nil, err
		}
		b.ExitCode = exit.ExitCode()
	}
	b.Stdout, b.Stderr = stdout.String(), stderr.String()
	b.MainAgain = b.Stdout
	return b, nil
}

// keepSecondCall runs the variant that calls main twice and keeps what the
// second call printed as MainAgain (or the first's, if it ended the program).
func (b *Baseline) keepSecondCall(ctx context.Context, binary, dir string) error {
	marked, err := runBaseline(ctx, binary, dir)
	if err != nil {
		return err
	}
	calls := strings.Split(marked.Stdout, mainStarts)
	if len(calls) < 2 {
		return fmt.Errorf("the variant printed no mark where main starts: %q", marked.Stdout)
	}
	b.MainAgain = calls[len(calls)-1]
	return nil
}
