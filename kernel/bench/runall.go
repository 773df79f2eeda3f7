package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/gokernel/gokernel/kernel/notebook"
)

// pipelineOff is the environment of the baseline kernel of figure 11: it
// builds no queued cell ahead of its turn.
const pipelineOff = "GOKERNEL_PIPELINE=off"

// runAllNotebooks are figure 11's lessons, relative to the repository root
// (where `go run ./cmd/gokernel bench` runs).
var runAllNotebooks = []string{"notebooks/03-locks.ipynb", "notebooks/06-choosing.ipynb"}

// smallCells is figure 11's notebook of many small cells: each declares a
// function and calls it with the one before, so every cell sees the
// declarations of the cells before it. run makes the source new.
func smallCells(run, n int) []runAllCell {
	cells := []runAllCell{{code: fmt.Sprintf("func f0() int { return %d }", run)}}
	for i := 1; i < n; i++ {
		cells = append(cells, runAllCell{code: fmt.Sprintf("func f%d() int { return f%d() + %d }\nfmt.Println(\"cell %d:\", f%d())", i, i-1, i, i, i)})
	}
	return cells
}

// runAllCell is one code cell of a Run All.
type runAllCell struct {
	code string
	// raisesException: the cell is tagged raises-exception (its error is
	// the lesson's point). Its request says stop_on_error false, as
	// nbclient sends it, so the cells after it run.
	raisesException bool
}

// figureRunAll measures figure 11: Run All as JupyterLab does it (every
// code cell's execute_request sent at once; stop_on_error as nbclient sets
// it), with queued cells built ahead of their turn and, in the same run,
// with that turned off. Both kernels must end every cell with the same
// status. (nbclient itself sends a cell only after the previous one's reply,
// so nothing is ever queued behind it and it sees no difference.)
func (b *benchmark) figureRunAll(ctx context.Context) error {
	rep := b.report
	type workload struct {
		key, label string
		cells      func(run int) []runAllCell
	}
	var loads []workload
	for _, path := range runAllNotebooks {
		nb, err := notebook.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%w (run the benchmark from the repository root)", err)
		}
		var cells []runAllCell
		for _, c := range nb.Cells {
			if c.Type == notebook.CodeCell && strings.TrimSpace(c.Source) != "" {
				cells = append(cells, runAllCell{code: c.Source, raisesException: c.HasTag("raises-exception")})
			}
		}
		name := strings.TrimSuffix(filepath.Base(path), ".ipynb")
		loads = append(loads, workload{key: name[:2], label: fmt.Sprintf("%s (%d cells)", name, len(cells)),
			cells: func(int) []runAllCell { return cells }})
	}
	const small = 30
	loads = append(loads, workload{key: "small", label: fmt.Sprintf("%d small cells, each using the one before", small),
		cells: func(run int) []runAllCell { return smallCells(run, small) }})

	for _, w := range loads {
		on := rep.result("11", "runall_"+w.key, "Run All, cells built ahead: "+w.label, "ms",
			Target{Op: "<=", Value: 0.65, Of: "runall_" + w.key + "_off"})
		off := rep.reference("11", "runall_"+w.key+"_off", "Run All, one cell after another ("+pipelineOff+"): "+w.label, "ms")
		// What no kernel can shorten: the cells' programs themselves (a lesson's
		// sleeps and timeouts), summed from the built-ahead kernel's run stages.
		programs := rep.reference("11", "runall_"+w.key+"_programs", "the cells' programs in that Run All (run stages): "+w.label, "ms")
		for i := range b.cfg.Runs {
			run := b.nextRun()
			cells := w.cells(run)
			var statuses [2]string
			for j, mode := range []struct {
				r   *Result
				env []string
			}{{off, []string{pipelineOff}}, {on, nil}} {
				d, st, ran, err := b.runAll(ctx, cells, mode.env...)
				if err != nil {
					mode.r.Fail(err)
					continue
				}
				mode.r.Add(ms(d))
				statuses[j] = st
				if mode.r == on {
					programs.Add(ms(ran))
				}
			}
			if statuses[0] != "" && statuses[1] != "" && statuses[0] != statuses[1] {
				on.Fail(fmt.Errorf("cells ended differently: one by one %s, built ahead %s", statuses[0], statuses[1]))
			}
			b.progress("figure 11 %s: run %d/%d one by one %s, built ahead %s", w.key, i+1, b.cfg.Runs,
				lastSample(off), lastSample(on))
		}
		if len(on.Samples) > 0 {
			on.Note = "statuses per cell identical in both modes for every run"
			if len(on.Errors) > 0 {
				on.Note = ""
			}
		}
		if len(programs.Samples) > 0 && len(off.Samples) > 0 {
			programs.Note = fmt.Sprintf("floor: the programs alone are %.2f× of one by one", Summarize(programs.Samples).Median/Summarize(off.Samples).Median)
		}
	}
	return nil
}

func lastSample(r *Result) string {
	if len(r.Samples) == 0 {
		return "failed"
	}
	return fmt.Sprintf("%.0f ms", r.Samples[len(r.Samples)-1])
}

// runAll starts a kernel (env added), lets it warm up with a hello cell,
// then sends every cell at once and waits for the last idle. It returns the
// time from the first request to the last idle, the cells' statuses
// ("ok ok error aborted ...") and how long their programs ran.
func (b *benchmark) runAll(ctx context.Context, cells []runAllCell, env ...string) (time.Duration, string, time.Duration, error) {
	k, c, err := b.startKernel(ctx, append([]string{kernelLogEnv}, env...)...)
	if err != nil {
		return 0, "", 0, err
	}
	defer b.stopKernel(ctx, k, c)
	if _, err := b.executeTimed(ctx, c, helloCell(b.nextRun()), coldTimeout, nil, nil); err != nil {
		return 0, "", 0, fmt.Errorf("warm-up cell: %w", err)
	}
	k.stages.take() // the warm-up's
	cctx, cancel := context.WithTimeout(ctx, coldTimeout)
	defer cancel()
	start := time.Now()
	calls := make([]*Call, 0, len(cells))
	for _, cell := range cells {
		content := ExecuteContent(cell.code)
		if cell.raisesException {
			no := false
			content.StopOnError = &no
		}
		call, err := c.Request(Shell, "execute_request", content)
		if err != nil {
			return 0, "", 0, err
		}
		defer c.Forget(call)
		calls = append(calls, call)
	}
	var statuses []string
	for i, call := range calls {
		if err := call.Wait(cctx); err != nil {
			return 0, "", 0, k.withLog(fmt.Errorf("cell %d: %w", i+1, err))
		}
		r, err := call.ExecuteReply()
		if err != nil {
			return 0, "", 0, err
		}
		statuses = append(statuses, r.Status)
	}
	end := calls[len(calls)-1].Snapshot().IdleAt
	return end.Sub(start), strings.Join(statuses, " "), k.stages.take(), nil
}
