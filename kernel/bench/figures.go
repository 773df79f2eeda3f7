package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gokernel/gokernel/kernel/jupyter"
)

// cellTimeout bounds one warm cell; coldTimeout a cell that may build the
// standard library first.
const (
	cellTimeout = 60 * time.Second
	coldTimeout = 5 * time.Minute
)

// mb is the unit of memory figures (MiB, as ps and /proc round them);
// decimalMB the unit of output sizes and throughput (the cell prints
// FloodMB × 10^6 bytes).
const (
	mb        = 1 << 20
	decimalMB = 1e6
)

// figureStart measures figure 1 (and the idle RSS of figure 9 on the same
// fresh kernels): from just before the kernel process starts to the first
// kernel_info_reply, against starting a prebuilt hello binary.
func (b *benchmark) figureStart(ctx context.Context) error {
	rep := b.report
	bin, err := b.ref.build(ctx, helloProgram(0), "hello")
	if err != nil {
		return err
	}
	refStart := rep.reference("1", "start_hello_binary", "process start of a prebuilt hello binary", "ms")
	start := rep.result("1", "start_kernel_info", "kernel start → kernel_info_reply", "ms", Target{Op: "<=", Value: 50})
	var idle *Result
	if b.selected("9") {
		idle = rep.result("9", "idle_rss", "idle kernel RSS (VmRSS, 1 s after start)", "MB", Target{Op: "<=", Value: 25})
	}
	for i := range b.cfg.Runs {
		d, err := timeStart(ctx, bin)
		if err != nil {
			refStart.Fail(err)
		} else {
			refStart.Add(ms(d))
		}
		k, err := StartKernel(ctx, KernelConfig{Exe: b.cfg.Exe})
		if err != nil {
			return err
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		c, err := Dial(cctx, k.Info, b.logger)
		if err != nil {
			cancel()
			k.Stop(time.Second)
			start.Fail(k.withLog(err))
			continue
		}
		first, err := c.WaitReady(cctx)
		cancel()
		if err != nil {
			start.Fail(k.withLog(err))
		} else {
			start.Add(ms(first.Sub(k.Started)))
			b.progress("figure 1: run %d/%d start → kernel_info_reply %.1f ms", i+1, b.cfg.Runs, ms(first.Sub(k.Started)))
		}
		if idle != nil && err == nil {
			time.Sleep(time.Second)
			if st, err := ReadProcStatus(k.PID()); err != nil {
				idle.Fail(err)
			} else {
				idle.Add(float64(st.RSS) / mb)
			}
		}
		b.stopKernel(ctx, k, c)
	}
	return nil
}

// figuresMainKernel measures figures 2, 3, 7, 8 and 10 on one kernel, the
// way a user works: one kernel, many cells.
func (b *benchmark) figuresMainKernel(ctx context.Context) error {
	k, c, err := b.startKernel(ctx)
	if err != nil {
		return err
	}
	defer b.stopKernel(ctx, k, c)
	rep := b.report
	// The first cell may wait for the background warm-up of the build cache;
	// it is reported on its own and not counted in figure 2.
	first := rep.result("2", "hello_first_cell", "first hello cell of a fresh kernel → reply", "ms")
	b.executeTimed(ctx, c, helloCell(b.nextRun()), coldTimeout, first, nil)

	if b.selected("2") {
		reply := rep.result("2", "hello_reply", "hello cell → execute_reply", "ms",
			Target{Op: "<=", Value: 100}, Target{Op: "<=", Value: 0.5, Of: "go_run_hello"})
		idle := rep.result("2", "hello_idle", "hello cell → status idle", "ms")
		goRun := rep.reference("2", "go_run_hello", "go run hello.go (edited)", "ms")
		goBuild := rep.reference("2", "go_build_hello", "go build + run hello (edited)", "ms")
		b.interleave(ctx, "figure 2 hello", helloCell, helloProgram, reply, idle, goRun, goBuild, c)
	}
	if b.selected("3") {
		b.executeTimed(ctx, c, lessonCell(b.nextRun()), cellTimeout, nil, nil) // warm: first use of sync/time
		reply := rep.result("3", "lesson_reply", "lesson cell → execute_reply", "ms", Target{Op: "<=", Value: 130})
		idle := rep.result("3", "lesson_idle", "lesson cell → status idle", "ms")
		goRun := rep.reference("3", "go_run_lesson", "go run lesson.go (edited)", "ms")
		goBuild := rep.reference("3", "go_build_lesson", "go build + run lesson (edited)", "ms")
		b.interleave(ctx, "figure 3 lesson", lessonCell, lessonProgram, reply, idle, goRun, goBuild, c)
	}
	if b.selected("7") {
		if err := b.figureLanguage(ctx, k, c); err != nil {
			rep.Failures = append(rep.Failures, "figure 7: "+err.Error())
		}
	}
	if b.selected("10") {
		if err := b.figureInterrupt(ctx, c); err != nil {
			rep.Failures = append(rep.Failures, "figure 10: "+err.Error())
		}
	}
	return nil
}

// interleave runs the kernel cell and its two go-command references in turn,
// so that all three see the same machine load.
func (b *benchmark) interleave(ctx context.Context, what string, cell, program func(int) string, reply, idle, goRun, goBuild *Result, c *Client) {
	for i := range b.cfg.Runs {
		run := b.nextRun()
		if _, err := b.executeTimed(ctx, c, cell(run), cellTimeout, reply, idle); err == nil {
			b.progress("%s: run %d/%d reply %.1f ms", what, i+1, b.cfg.Runs, reply.Samples[len(reply.Samples)-1])
		}
		if d, err := b.ref.goRun(ctx, program(run)); err != nil {
			goRun.Fail(err)
		} else {
			goRun.Add(ms(d))
		}
		if d, err := b.ref.goBuildRun(ctx, program(run)); err != nil {
			goBuild.Fail(err)
		} else {
			goBuild.Add(ms(d))
		}
	}
}

// figureLanguage measures figure 7: complete and inspect, on an idle kernel
// and while a cell sleeps.
func (b *benchmark) figureLanguage(ctx context.Context, k *Kernel, c *Client) error {
	rep := b.report
	t50 := Target{Op: "<=", Value: 50}
	completeIdle := rep.result("7", "complete_idle", "complete_request `fmt.Pri` idle → reply", "ms", t50)
	inspectIdle := rep.result("7", "inspect_idle", "inspect_request `fmt.Println` idle → reply", "ms", t50)
	completeBusy := rep.result("7", "complete_busy", "complete_request while a cell runs → reply", "ms", t50)
	inspectBusy := rep.result("7", "inspect_busy", "inspect_request while a cell runs → reply", "ms", t50)

	measure := func(complete, inspect *Result) {
		for range b.cfg.Runs {
			b.timeRequest(ctx, c, "complete_request", jupyter.CompleteRequest{Code: "fmt.Pri", CursorPos: 7}, complete, "Println")
			b.timeRequest(ctx, c, "inspect_request", jupyter.InspectRequest{Code: "fmt.Println", CursorPos: 8}, inspect, "Println")
		}
	}
	measure(completeIdle, inspectIdle)
	b.progress("figure 7: idle complete %v ms, inspect %v ms", completeIdle.Samples, inspectIdle.Samples)

	call, err := c.StartExecute(sleepCell(b.nextRun()))
	if err != nil {
		return err
	}
	defer c.Forget(call)
	wctx, cancel := context.WithTimeout(ctx, cellTimeout)
	defer cancel()
	if err := call.WaitOutput(wctx, busyMarker); err != nil {
		return fmt.Errorf("sleeping cell never ran: %w", err)
	}
	measure(completeBusy, inspectBusy)
	b.progress("figure 7: busy complete %v ms, inspect %v ms", completeBusy.Samples, inspectBusy.Samples)
	return b.interrupt(wctx, c, call)
}

// timeRequest sends one shell request and adds request→reply to r. A reply
// whose text lacks want is timed but noted, so an empty answer is visible.
func (b *benchmark) timeRequest(ctx context.Context, c *Client, msgType string, content any, r *Result, want string) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	call, err := c.Request(Shell, msgType, content)
	if err != nil {
		r.Fail(err)
		return
	}
	defer c.Forget(call)
	reply, err := call.WaitReply(cctx)
	if err != nil {
		r.Fail(err)
		return
	}
	r.Add(ms(call.Snapshot().ReplyAt.Sub(call.Sent)))
	if !strings.Contains(string(reply.Content), want) && r.Note == "" {
		r.Note = fmt.Sprintf("reply does not mention %q: %.200s", want, reply.Content)
	}
}

// interrupt sends interrupt_request on control and waits for the cell's
// reply and idle.
func (b *benchmark) interrupt(ctx context.Context, c *Client, cell *Call) error {
	ic, err := c.Request(Control, "interrupt_request", map[string]any{})
	if err != nil {
		return err
	}
	defer c.Forget(ic)
	if err := cell.Wait(ctx); err != nil {
		return fmt.Errorf("interrupted cell: %w", err)
	}
	return nil
}

// figureInterrupt measures interrupt_request → execute_reply of a cell
// spinning on a core (issue 4 asks for this figure).
func (b *benchmark) figureInterrupt(ctx context.Context, c *Client) error {
	rep := b.report
	latency := rep.result("10", "interrupt_reply", "interrupt_request → execute_reply (looping cell)", "ms")
	for i := range b.cfg.Runs {
		err := func() error {
			cctx, cancel := context.WithTimeout(ctx, cellTimeout)
			defer cancel()
			call, err := c.StartExecute(loopCell(b.nextRun()))
			if err != nil {
				return err
			}
			defer c.Forget(call)
			if err := call.WaitOutput(cctx, busyMarker); err != nil {
				return err
			}
			ic, err := c.Request(Control, "interrupt_request", map[string]any{})
			if err != nil {
				return err
			}
			defer c.Forget(ic)
			if _, err := call.WaitReply(cctx); err != nil {
				return err
			}
			if err := call.Wait(cctx); err != nil {
				return err
			}
			r, err := call.ExecuteReply()
			if err != nil {
				return err
			}
			if r.Status != "error" {
				return fmt.Errorf("interrupted cell replied %q, want error", r.Status)
			}
			d := call.Snapshot().ReplyAt.Sub(ic.Sent)
			latency.Add(ms(d))
			b.progress("figure 10: run %d/%d interrupt → reply %.1f ms", i+1, b.cfg.Runs, ms(d))
			return nil
		}()
		if err != nil {
			latency.Fail(err)
			if errors.Is(err, context.DeadlineExceeded) {
				return err // the kernel is stuck in the loop; the next runs would be too
			}
		}
	}
	return nil
}

// floodLimitEnv turns the kernel's per-cell output limit off (issue 4 cuts
// output past 10 MB by default) so that all FloodMB megabytes travel.
const floodLimitEnv = "GOKERNEL_LIMIT_OUTPUT=none"

// figureFlood measures figure 8: a cell printing FloodMB megabytes, on a
// kernel of its own whose output limit is off.
func (b *benchmark) figureFlood(ctx context.Context) error {
	k, c, err := b.startKernel(ctx, floodLimitEnv)
	if err != nil {
		return err
	}
	defer b.stopKernel(ctx, k, c)
	b.executeTimed(ctx, c, helloCell(b.nextRun()), coldTimeout, nil, nil)
	rep := b.report
	rate := rep.result("8", "flood_mb_per_s", fmt.Sprintf("%d MB print: MB/s reaching the client", b.cfg.FloodMB), "MB/s", Target{Op: ">=", Value: 50})
	msgs := rep.result("8", "flood_msgs_per_s", "stream messages per second", "msg/s", Target{Op: "<=", Value: 50})
	peak := rep.result("8", "flood_peak_rss", "kernel peak RSS during the print (VmHWM)", "MB", Target{Op: "<", Value: 100})
	received := rep.result("8", "flood_mb_received", "MB of stream text received", "MB")
	runs := b.cfg.Runs
	if b.cfg.Quick {
		runs = min(runs, 2)
	}
	for i := range runs {
		if err := ResetPeakRSS(k.PID()); err != nil {
			peak.Fail(err)
		}
		call, err := b.executeTimed(ctx, c, floodCell(b.nextRun(), b.cfg.FloodMB), coldTimeout, nil, nil)
		if err != nil {
			rate.Fail(err)
			continue
		}
		t := call.Snapshot()
		window := t.LastStreamAt.Sub(t.FirstStreamAt)
		if t.StreamMsgs < 2 || window <= 0 {
			window = t.IdleAt.Sub(t.Sent)
		}
		mbps := float64(t.StreamBytes) / decimalMB / window.Seconds()
		rate.Add(mbps)
		msgs.Add(float64(t.StreamMsgs) / window.Seconds())
		received.Add(float64(t.StreamBytes) / decimalMB)
		if st, err := ReadProcStatus(k.PID()); err != nil {
			peak.Fail(err)
		} else {
			peak.Add(float64(st.PeakRSS) / mb)
		}
		b.progress("figure 8: run %d/%d %.1f MB in %d messages over %v: %.1f MB/s", i+1, runs,
			float64(t.StreamBytes)/decimalMB, t.StreamMsgs, window.Round(time.Millisecond), mbps)
	}
	received.Note = "kernel started with " + floodLimitEnv
	if len(received.Samples) > 0 && received.Samples[0] < float64(b.cfg.FloodMB)*0.99 {
		received.Note += "; the kernel still cut the output: MB/s counts what arrived"
	}
	return nil
}

// figureDeclarations measures figure 4: the hello and lesson cells after
// earlier cells declared 200 names.
func (b *benchmark) figureDeclarations(ctx context.Context) error {
	k, c, err := b.startKernel(ctx)
	if err != nil {
		return err
	}
	defer b.stopKernel(ctx, k, c)
	rep := b.report
	for i, cell := range declarationCells(200, 20) {
		if _, err := b.executeTimed(ctx, c, cell, coldTimeout, nil, nil); err != nil {
			return fmt.Errorf("declaration cell %d: %w", i+1, err)
		}
	}
	hello := rep.result("4", "hello_200decls_reply", "hello cell, 200 declarations → reply", "ms",
		Target{Op: "<=", Value: 1.3, Of: "hello_reply"})
	lesson := rep.result("4", "lesson_200decls_reply", "lesson cell, 200 declarations → reply", "ms",
		Target{Op: "<=", Value: 1.3, Of: "lesson_reply"})
	b.executeTimed(ctx, c, lessonCell(b.nextRun()), cellTimeout, nil, nil) // warm, as in figure 3
	for i := range b.cfg.Runs {
		b.executeTimed(ctx, c, helloCell(b.nextRun()), cellTimeout, hello, nil)
		b.executeTimed(ctx, c, lessonCell(b.nextRun()), cellTimeout, lesson, nil)
		b.progress("figure 4: run %d/%d", i+1, b.cfg.Runs)
	}
	return nil
}

// figureRace measures figure 5: a %race cell once the race-enabled standard
// library is built (the first %race cell is reported on its own).
func (b *benchmark) figureRace(ctx context.Context) error {
	k, c, err := b.startKernel(ctx)
	if err != nil {
		return err
	}
	defer b.stopKernel(ctx, k, c)
	rep := b.report
	first := rep.result("5", "race_first", "first %race cell of a kernel → reply", "ms")
	if _, err := b.executeTimed(ctx, c, raceCell(b.nextRun()), coldTimeout, first, nil); err != nil {
		return fmt.Errorf("first %%race cell: %w", err)
	}
	warm := rep.result("5", "race_warm_reply", "warm %race cell → reply", "ms", Target{Op: "<=", Value: 600})
	for i := range b.cfg.Runs {
		if _, err := b.executeTimed(ctx, c, raceCell(b.nextRun()), cellTimeout, warm, nil); err == nil {
			b.progress("figure 5: run %d/%d %.1f ms", i+1, b.cfg.Runs, warm.Samples[len(warm.Samples)-1])
		}
	}
	return nil
}

// figureRSS measures figure 9's growth: RSS after Cells edited cells.
func (b *benchmark) figureRSS(ctx context.Context) error {
	k, c, err := b.startKernel(ctx)
	if err != nil {
		return err
	}
	defer b.stopKernel(ctx, k, c)
	rep := b.report
	time.Sleep(time.Second)
	before, err := ReadProcStatus(k.PID())
	if err != nil {
		return err
	}
	after := rep.result("9", "rss_after_cells", fmt.Sprintf("kernel RSS after %d cells", b.cfg.Cells), "MB")
	growth := rep.result("9", "rss_growth", fmt.Sprintf("RSS growth over %d cells (vs. idle before them)", b.cfg.Cells), "MB",
		Target{Op: "<", Value: 10})
	perCell := rep.result("9", "cells_reply", fmt.Sprintf("hello cell → reply over the %d cells", b.cfg.Cells), "ms")
	for i := range b.cfg.Cells {
		if _, err := b.executeTimed(ctx, c, helloCell(b.nextRun()), cellTimeout, perCell, nil); err != nil && errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("cell %d: %w", i+1, err)
		}
		if (i+1)%100 == 0 {
			b.progress("figure 9: %d/%d cells", i+1, b.cfg.Cells)
		}
	}
	time.Sleep(time.Second)
	st, err := ReadProcStatus(k.PID())
	if err != nil {
		return err
	}
	after.Add(float64(st.RSS) / mb)
	growth.Add(float64(st.RSS-before.RSS) / mb)
	growth.Note = fmt.Sprintf("one kernel: idle %.1f MB before, %.1f MB after; %d of %d cells failed",
		float64(before.RSS)/mb, float64(st.RSS)/mb, len(perCell.Errors), b.cfg.Cells)
	return nil
}

// figureFreshInstall measures figure 6: `gokernel install` into a new prefix
// with an empty GOCACHE (install warms it), then a new kernel's first cell.
func (b *benchmark) figureFreshInstall(ctx context.Context) error {
	rep := b.report
	install := rep.result("6", "fresh_install", "gokernel install with an empty GOCACHE", "ms")
	firstCell := rep.result("6", "fresh_first_cell", "first hello cell after it → reply", "ms", Target{Op: "<=", Value: 1500})
	runs := b.cfg.Runs
	if b.cfg.Quick {
		runs = 1
	}
	for i := range runs {
		err := func() error {
			tmp, err := os.MkdirTemp("", "gokernel-bench-install-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			env := []string{"GOCACHE=" + filepath.Join(tmp, "gocache"), "JUPYTER_DATA_DIR=" + filepath.Join(tmp, "data")}
			cmd := exec.CommandContext(ctx, b.cfg.Exe, "install", "--prefix", filepath.Join(tmp, "prefix"))
			cmd.Env = append(os.Environ(), env...)
			start := time.Now()
			if out, err := cmd.CombinedOutput(); err != nil {
				install.Fail(fmt.Errorf("%w: %s", err, out))
				return nil
			}
			install.Add(ms(time.Since(start)))
			// Jupyter starts the kernel with the env of the spec it
			// installed (the prebuilt library it made, GOKERNEL_PREBUILT):
			// so does the figure.
			specEnv, err := installedSpecEnv(filepath.Join(tmp, "prefix", "share", "jupyter", "kernels", "gokernel", "kernel.json"))
			if err != nil {
				firstCell.Fail(err)
				return nil
			}
			k, c, err := b.startKernel(ctx, append(env, specEnv...)...)
			if err != nil {
				firstCell.Fail(err)
				return nil
			}
			defer b.stopKernel(ctx, k, c)
			if _, err := b.executeTimed(ctx, c, helloCell(b.nextRun()), coldTimeout, firstCell, nil); err == nil {
				b.progress("figure 6: run %d/%d install %.0f ms, first cell %.0f ms", i+1, runs,
					install.Samples[len(install.Samples)-1], firstCell.Samples[len(firstCell.Samples)-1])
			}
			return nil
		}()
		if err != nil {
			return err
		}
	}
	return nil
}

// installedSpecEnv reads the env of an installed kernel.json as
// NAME=value pairs.
func installedSpecEnv(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("installed kernelspec: %w", err)
	}
	var spec struct {
		Env map[string]string `json:"env"`
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("installed kernelspec %s: %w", path, err)
	}
	var env []string
	for _, name := range slices.Sorted(maps.Keys(spec.Env)) {
		env = append(env, name+"="+spec.Env[name])
	}
	return env, nil
}

// figureValues measures figure 12, the cost of carrying values across
// cells: a hello cell beside kept values it does not use, one that uses 10
// small kept values, one that reads a 10 MB kept value (loaded before the
// cell) and one that changes it (loaded before, saved after), interleaved
// run by run in one kernel; and what keeping 10 MB costs the kernel's
// memory (values live in files, not in the kernel).
//
// The cost of the 10 MB value is each of its cells minus a cell reading a
// small kept slice just before it: all three link the same code (package
// keep's codec; values of predeclared types, like the ten small ones, are
// kept with keep/plain, which links next to nothing), so the difference is
// what loading (and saving) 10 MB costs, not what linking the codec costs
// (that is the slice cell's ratio to the unused one).
func (b *benchmark) figureValues(ctx context.Context) error {
	k, c, err := b.startKernel(ctx)
	if err != nil {
		return err
	}
	defer b.stopKernel(ctx, k, c)
	rep := b.report
	if _, err := b.executeTimed(ctx, c, helloCell(b.nextRun()), coldTimeout, nil, nil); err != nil {
		return fmt.Errorf("first cell: %w", err)
	}
	time.Sleep(500 * time.Millisecond)
	before, err := ReadProcStatus(k.PID())
	if err != nil {
		return err
	}
	for _, setup := range []string{keptSmallCell, keptBigCell, keptSliceCell} {
		if _, err := b.executeTimed(ctx, c, setup, coldTimeout, nil, nil); err != nil {
			return fmt.Errorf("keeping values: %w", err)
		}
	}
	time.Sleep(500 * time.Millisecond)
	after, err := ReadProcStatus(k.PID())
	if err != nil {
		return err
	}
	rss := rep.result("12", "values_rss_growth", "kernel RSS growth from keeping 10 small values and a 10 MB one", "MB",
		Target{Op: "<", Value: 5})
	rss.Add(float64(after.RSS-before.RSS) / mb)
	rss.Note = fmt.Sprintf("%.1f MB before, %.1f MB after; kept values are files in the kernel's private workspace",
		float64(before.RSS)/mb, float64(after.RSS)/mb)

	none := rep.result("12", "values_unused_reply", "hello cell, 10 small and a 10 MB value kept but not used → reply", "ms")
	small := rep.result("12", "values_small_reply", "hello cell using 10 small kept values → reply", "ms",
		Target{Op: "<=", Value: 1.1, Of: "values_unused_reply"})
	slice := rep.reference("12", "values_slice_reply", "hello cell reading a small kept []byte (links keep's codec, as the 10 MB cells do) → reply", "ms")
	big := rep.result("12", "values_10mb_reply", "hello cell reading a 10 MB kept value (loaded, not saved) → reply", "ms")
	changed := rep.result("12", "values_10mb_changed_reply", "hello cell changing a byte of the 10 MB kept value (loaded, saved) → reply", "ms")
	load := rep.result("12", "values_10mb_load", "load of the 10 MB value (the reading cell minus the small-slice cell before it, run by run)", "ms",
		Target{Op: "<=", Value: 50})
	loadSave := rep.result("12", "values_10mb_load_save", "load + save of the 10 MB value (the changing cell minus the small-slice cell, run by run)", "ms",
		Target{Op: "<=", Value: 50})
	for i := range b.cfg.Runs {
		b.executeTimed(ctx, c, helloCell(b.nextRun()), cellTimeout, none, nil)
		b.executeTimed(ctx, c, keptSmallUse(b.nextRun()), cellTimeout, small, nil)
		b.executeTimed(ctx, c, keptSliceUse(b.nextRun()), cellTimeout, slice, nil)
		b.executeTimed(ctx, c, keptBigUse(b.nextRun()), cellTimeout, big, nil)
		b.executeTimed(ctx, c, keptBigChange(b.nextRun()), cellTimeout, changed, nil)
		// Run by run, and only when every cell of the run succeeded.
		if n := len(slice.Samples); n > 0 && len(big.Samples) == n && len(changed.Samples) == n &&
			len(slice.Errors)+len(big.Errors)+len(changed.Errors) == 0 {
			load.Add(big.Samples[n-1] - slice.Samples[n-1])
			loadSave.Add(changed.Samples[n-1] - slice.Samples[n-1])
		}
		b.progress("figure 12: run %d/%d", i+1, b.cfg.Runs)
	}
	return nil
}
