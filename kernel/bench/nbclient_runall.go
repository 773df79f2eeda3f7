package bench

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// nbclientRunAll is the Python driver of figure 13: one Run All of a
// notebook through nbclient.
//
//go:embed nbclient_runall.py
var nbclientRunAll []byte

// binaryCacheOff is the environment of a kernel that keeps no binaries
// for later kernels: what every kernel did before the cache existed, and
// what the other figures measure (their cells must really be built).
const binaryCacheOff = "GOKERNEL_BINCACHE=off"

// nbclientRun is the driver's output, and what the kernel's log said.
type nbclientRun struct {
	WallMS float64 `json:"wall_ms"`
	// The wall time's parts, as nbclient spends them: starting the kernel
	// (to wait_for_ready), the cells (first request to last idle), the
	// shutdown.
	StartMS  float64  `json:"start_ms"`
	CellsMS  float64  `json:"cells_ms"`
	StopMS   float64  `json:"stop_ms"`
	Outcomes []string `json:"outcomes"`
	// Programs is how long the cells' programs (and %%python3 ...
	// interpreters) ran, summed from the kernel's run stages: the part of
	// CellsMS no kernel can shorten.
	Programs time.Duration `json:"-"`
}

// kernelLogEnv makes the kernels of figure 13 log their stages (to the
// driver's stderr), so the figure can say how long the cells' programs
// ran. Every kernel of the figure logs alike.
const kernelLogEnv = "GOKERNEL_LOG=debug"

// runStage matches the kernel's log line for a program's run stage.
var runStage = regexp.MustCompile(`msg=stage .*\bphase=run dur=(\S+)`)

// programsRan sums the run stages in a kernel's log.
func programsRan(log string) time.Duration {
	var sum time.Duration
	for _, m := range runStage.FindAllStringSubmatch(log, -1) {
		if d, err := time.ParseDuration(m[1]); err == nil {
			sum += d
		}
	}
	return sum
}

// figureRunAllNbclient measures figure 13: Run All of lessons 3 and 6
// through nbclient, which sends one cell after another's reply, so no cell
// is ever queued and built ahead (figure 11). What can make it faster is
// not building at all: a kernel started again ("Restart Kernel and Run
// All", a grader, a second nbconvert) finds the binaries an earlier kernel
// built for the same programs. Per run, in a fresh cache directory, in
// this order: a kernel with the cache off (the baseline: each kernel builds
// every cell, as before), the first kernel with the cache (it builds and
// fills it), a second kernel with the cache (it reuses the binaries). All
// three start from the same warm-up files and go's warm build cache.
func (b *benchmark) figureRunAllNbclient(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "gokernel-bench-nbclient-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	spec, _ := json.Marshal(map[string]any{
		"argv":         []string{b.cfg.Exe, "kernel", "--connection-file", "{connection_file}"},
		"display_name": "Go (bench)", "language": "go",
	})
	if err := os.MkdirAll(filepath.Join(dir, "kernels", specGokernel), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "kernels", specGokernel, "kernel.json"), spec, 0o600); err != nil {
		return err
	}
	script := filepath.Join(dir, "nbclient_runall.py")
	if err := os.WriteFile(script, nbclientRunAll, 0o600); err != nil {
		return err
	}
	// The cache lives in the user's cache directory, as does go's build
	// cache: each run gets a new cache directory but keeps go's warm one.
	goCache, err := exec.CommandContext(ctx, b.cfg.GoBin, "env", "GOCACHE").Output()
	if err != nil {
		return fmt.Errorf("go env GOCACHE: %w", err)
	}
	rep := b.report
	baseEnv := append(os.Environ(), kernelLogEnv, "JUPYTER_PATH="+dir, "JUPYTER_DATA_DIR="+filepath.Join(dir, "data"),
		"JUPYTER_CONFIG_DIR="+filepath.Join(dir, "config"), "JUPYTER_RUNTIME_DIR="+filepath.Join(dir, "runtime"),
		"GOCACHE="+strings.TrimSpace(string(goCache)), "PYDEVD_DISABLE_FILE_VALIDATION=1")
	// A kernel also keeps its warm-up (the importcfg files of the standard
	// library, plain and -race) in the user's cache directory. One untimed
	// Run All of each lesson makes them; every run's new cache directory
	// starts with a copy, so that no kernel measured pays for a warm-up.
	primed := filepath.Join(dir, "xdg-primed")
	if err := os.Mkdir(primed, 0o700); err != nil {
		return err
	}
	for _, path := range runAllNotebooks {
		abs, _ := filepath.Abs(path)
		if _, err := b.nbclientRunAll(ctx, script, abs, append(slices.Clone(baseEnv), "XDG_CACHE_HOME="+primed, binaryCacheOff)); err != nil {
			return fmt.Errorf("untimed first Run All: %w", err)
		}
	}
	warmups, _ := filepath.Glob(filepath.Join(primed, "gokernel", "importcfg-*"))
	for _, path := range runAllNotebooks {
		abs, err := filepath.Abs(path)
		if err != nil {
			return err
		}
		if _, err := os.Stat(abs); err != nil {
			return fmt.Errorf("%w (run the benchmark from the repository root)", err)
		}
		key := filepath.Base(path)[:2]
		name := strings.TrimSuffix(filepath.Base(path), ".ipynb")
		warm := rep.result("13", "nbclient_"+key, "Run All through nbclient, kernel restarted (binaries of an earlier kernel): "+name, "ms",
			Target{Op: "<=", Value: 0.65, Of: "nbclient_" + key + "_off"})
		cold := rep.reference("13", "nbclient_"+key+"_first", "Run All through nbclient, first kernel with an empty binary cache: "+name, "ms")
		off := rep.reference("13", "nbclient_"+key+"_off", "Run All through nbclient, each kernel builds every cell ("+binaryCacheOff+"): "+name, "ms")
		// Where the restarted kernel's Run All goes.
		start := rep.reference("13", "nbclient_"+key+"_start", "restarted kernel: nbclient starts it (to wait_for_ready): "+name, "ms")
		cells := rep.reference("13", "nbclient_"+key+"_cells", "restarted kernel: the cells, first request to last idle: "+name, "ms")
		programs := rep.reference("13", "nbclient_"+key+"_programs", "restarted kernel: of which the cells' programs ran (run stages summed): "+name, "ms")
		stop := rep.reference("13", "nbclient_"+key+"_stop", "restarted kernel: nbclient shuts it down: "+name, "ms")
		same := 0
		for i := range b.cfg.Runs {
			xdg := filepath.Join(dir, fmt.Sprintf("xdg-%s-%d", key, i))
			if err := os.MkdirAll(filepath.Join(xdg, "gokernel"), 0o700); err != nil {
				return err
			}
			for _, w := range warmups {
				data, err := os.ReadFile(w)
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(xdg, "gokernel", filepath.Base(w)), data, 0o600); err != nil {
					return err
				}
			}
			env := append(slices.Clone(baseEnv), "XDG_CACHE_HOME="+xdg)
			var outcomes [][]string
			for _, mode := range []struct {
				r   *Result
				env []string
			}{{off, []string{binaryCacheOff}}, {cold, []string{"GOKERNEL_BINCACHE="}}, {warm, []string{"GOKERNEL_BINCACHE="}}} {
				run, err := b.nbclientRunAll(ctx, script, abs, append(slices.Clone(env), mode.env...))
				if err != nil {
					mode.r.Fail(err)
					continue
				}
				mode.r.Add(run.WallMS)
				outcomes = append(outcomes, run.Outcomes)
				if mode.r == warm {
					start.Add(run.StartMS)
					cells.Add(run.CellsMS)
					programs.Add(float64(run.Programs.Microseconds()) / 1000)
					stop.Add(run.StopMS)
				}
			}
			if len(outcomes) == 3 && slices.Equal(outcomes[0], outcomes[1]) && slices.Equal(outcomes[0], outcomes[2]) {
				same++
			} else if len(outcomes) == 3 {
				b.progress("figure 13 %s: cells ended differently: off %v, first %v, restarted %v", key, outcomes[0], outcomes[1], outcomes[2])
			}
			b.progress("figure 13 %s: run %d/%d builds every cell %s, first with cache %s, restarted %s", key, i+1, b.cfg.Runs,
				lastSample(off), lastSample(cold), lastSample(warm))
		}
		warm.Note = fmt.Sprintf("kernel start to shutdown, nbclient %s; every cell ended the same in the three kernels in %d of %d runs "+
			"(a data race's report may differ from run to run)", b.cfg.Python, same, b.cfg.Runs)
		if len(start.Samples) > 0 && len(off.Samples) > 0 {
			// What no kernel can go below: nbclient's start and stop as
			// measured, and the programs' own run time.
			floor := Summarize(start.Samples).Median + Summarize(programs.Samples).Median + Summarize(stop.Samples).Median
			warm.Note += fmt.Sprintf("; start + programs + stop = %.0f ms (%.2f× the baseline), the rest is the kernel's per-cell work and nbclient's",
				floor, floor/Summarize(off.Samples).Median)
		}
	}
	return nil
}

// nbclientRunAll runs the driver once.
func (b *benchmark) nbclientRunAll(ctx context.Context, script, notebook string, env []string) (nbclientRun, error) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, b.cfg.Python, script, notebook, specGokernel)
	cmd.Dir = filepath.Dir(notebook) // where Jupyter starts a notebook's kernel
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nbclientRun{}, fmt.Errorf("nbclient driver: %w: %s (figure 13 needs Debian's python3-nbclient)", err,
			strings.TrimSpace(lastLines(stderr.String(), 6)))
	}
	var run nbclientRun
	if err := json.Unmarshal(bytes.TrimSpace(out), &run); err != nil {
		return nbclientRun{}, fmt.Errorf("nbclient driver printed %q: %w", out, err)
	}
	run.Programs = programsRan(stderr.String())
	return run, nil
}
