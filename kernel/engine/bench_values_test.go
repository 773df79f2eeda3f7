package engine

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
)

// BenchmarkExecuteKept is bench figure 12 inside the engine, with the time
// of each stage: in one engine that keeps ten small values, a small slice
// and a 10 MB one, each iteration runs in turn a hello cell that uses none
// of them, one that uses the ten small ones (ints: its program links
// keep/plain), one that reads the small slice (it links keep), one that
// reads the 10 MB one and one that changes it. Run with:
//
//	go test -run '^$' -bench ExecuteKept -benchtime 15x ./kernel/engine
//
// It reports each cell's median Execute time (<cell>-ms) and the medians of
// its compile, link, run and commit stages and of its program's CPU time
// (runcpu: steadier than times on a busy machine); small/hello is the ratio the
// target is stated in (small-hello the same run by run), and big-slice /
// changed-slice the cost of loading (and, when changed, saving) 10 MB beside
// a cell that links the same code.
func BenchmarkExecuteKept(b *testing.B) {
	rec := &cellStages{stages: map[string][]time.Duration{}}
	e, err := New(context.Background(), Config{Logger: slog.New(rec)})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	count := 0
	run := func(name, code string) time.Duration {
		count++
		rec.setCell(name)
		var out recorder
		start := time.Now()
		if _, err := e.Execute(context.Background(), interp.ExecuteRequest{Code: code, Count: count}, &out); err != nil {
			b.Fatalf("%s: %v\n%s", name, err, code)
		}
		return time.Since(start)
	}
	run("setup", "a0, a1, a2, a3, a4 := 0, 1, 2, 3, 4\na5, a6, a7, a8, a9 := 5, 6, 7, 8, 9")
	run("setup", "big := make([]byte, 10<<20)\nfor i := range big {\n\tbig[i] = byte(i)\n}")
	run("setup", "few := []int{1, 2, 3}")
	cells := []struct {
		name string
		code func(i int) string
	}{
		{"hello", func(i int) string { return fmt.Sprintf("fmt.Println(\"hello, world\", %d)", i) }},
		{"small", func(i int) string {
			return fmt.Sprintf("fmt.Println(\"hello, world\", %d, a0+a1+a2+a3+a4+a5+a6+a7+a8+a9)", i)
		}},
		{"slice", func(i int) string { return fmt.Sprintf("fmt.Println(\"hello, world\", %d, len(few))", i) }},
		{"big", func(i int) string { return fmt.Sprintf("fmt.Println(\"hello, world\", %d, len(big), big[12345])", i) }},
		{"changed", func(i int) string {
			return fmt.Sprintf("big[%d]++\nfmt.Println(\"hello, world\", %d, len(big))", i+1, i)
		}},
	}
	for _, c := range cells {
		run("warm-up", c.code(-1))
	}
	rec.reset()
	times := map[string][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, c := range cells {
			times[c.name] = append(times[c.name], run(c.name, c.code(i)))
		}
	}
	b.StopTimer()
	med := func(ds []time.Duration) float64 {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Microseconds()) / 1000
	}
	// Differences run by run: the cells of one iteration ran back to back.
	diff := func(a, c string) float64 {
		var ds []time.Duration
		for i := range times[a] {
			ds = append(ds, times[a][i]-times[c][i])
		}
		return med(ds)
	}
	for _, c := range cells {
		b.ReportMetric(med(times[c.name]), c.name+"-ms")
		for _, stage := range []string{"compile", "link", "run", "runcpu", "commit"} {
			if ds := rec.stages[c.name+" "+stage]; len(ds) > 0 {
				b.ReportMetric(med(ds), c.name+"-"+stage+"-ms")
			}
		}
	}
	b.ReportMetric(med(times["small"])/med(times["hello"]), "small/hello")
	b.ReportMetric(diff("small", "hello"), "small-hello-ms") // run by run: steadier on a busy machine
	b.ReportMetric(diff("big", "slice"), "big-slice-ms")
	b.ReportMetric(diff("changed", "slice"), "changed-slice-ms")
}

// cellStages is a slog.Handler that keeps the engine's stage times (and
// the link's) by the name of the cell running.
type cellStages struct {
	mu     sync.Mutex
	cell   string
	stages map[string][]time.Duration
}

func (r *cellStages) setCell(name string) {
	r.mu.Lock()
	r.cell = name
	r.mu.Unlock()
}

func (r *cellStages) reset() {
	r.mu.Lock()
	r.stages = map[string][]time.Duration{}
	r.mu.Unlock()
}

func (r *cellStages) Enabled(context.Context, slog.Level) bool { return true }
func (r *cellStages) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message != "stage" && rec.Message != "compile+link" {
		return nil
	}
	got := map[string]time.Duration{}
	var phase string
	rec.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "phase":
			phase = a.Value.String()
		case "dur", "link", "compile", "cpu":
			got[a.Key] = a.Value.Duration()
		}
		return true
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	if rec.Message == "compile+link" {
		r.stages[r.cell+" link"] = append(r.stages[r.cell+" link"], got["link"])
		r.stages[r.cell+" compile"] = append(r.stages[r.cell+" compile"], got["compile"])
		return nil
	}
	r.stages[r.cell+" "+phase] = append(r.stages[r.cell+" "+phase], got["dur"])
	if cpu, ok := got["cpu"]; ok {
		// The program's own CPU time (user + system, page faults
		// included): what loading and saving cost, whatever else runs.
		r.stages[r.cell+" runcpu"] = append(r.stages[r.cell+" runcpu"], cpu)
	}
	return nil
}
func (r *cellStages) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *cellStages) WithGroup(string) slog.Handler      { return r }
