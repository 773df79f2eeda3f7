package engine

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/reap"
)

// Run with: go test -run '^$' -bench Execute -benchtime 15x ./kernel/engine
//
// Each iteration changes the cell's source, so nothing comes from the binary
// cache. Besides ns/op, every benchmark reports the median time of each
// pipeline stage (from the engine's Debug log) as <stage>-ms.

// lessonCell is a ~60-line lesson cell: goroutines, WaitGroup, Mutex, channels.
const lessonCell = `type Account struct {
	mu      sync.Mutex
	balance int
}

func (a *Account) Deposit(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.balance += n
}

func (a *Account) Balance() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.balance
}

func worker(id int, jobs <-chan int, results chan<- string, acct *Account, wg *sync.WaitGroup) {
	defer wg.Done()
	for j := range jobs {
		acct.Deposit(j)
		results <- fmt.Sprintf("worker %d did job %d", id, j)
	}
}

acct := &Account{}
jobs := make(chan int, 100)
results := make(chan string, 100)
var wg sync.WaitGroup
start := time.Now()
for w := 1; w <= 4; w++ {
	wg.Add(1)
	go worker(w, jobs, results, acct, &wg)
}
for j := 1; j <= 20; j++ {
	jobs <- j
}
close(jobs)
go func() {
	wg.Wait()
	close(results)
}()
count := 0
for r := range results {
	if strings.HasSuffix(r, "job 1") {
		fmt.Println(r)
	}
	count++
}
var counter int64
var once sync.Once
for i := 0; i < 10; i++ {
	once.Do(func() { fmt.Println("once") })
	atomic.AddInt64(&counter, 1)
}
elapsed := time.Since(start)
_ = elapsed
fmt.Println("jobs:", count, "balance:", acct.Balance(), "counter:", counter, "run", RUN)
`

// stageRecorder is a slog.Handler that keeps the durations of "stage" records.
type stageRecorder struct {
	mu     sync.Mutex
	phases map[string][]time.Duration
}

func (r *stageRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *stageRecorder) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message == "compile+link" {
		r.mu.Lock()
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == "compile" || a.Key == "link" {
				r.phases[a.Key] = append(r.phases[a.Key], a.Value.Duration())
			}
			return true
		})
		r.mu.Unlock()
		return nil
	}
	if rec.Message != "stage" {
		return nil
	}
	var phase string
	var dur time.Duration
	rec.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "phase":
			phase = a.Value.String()
		case "dur":
			dur = a.Value.Duration()
		}
		return true
	})
	r.mu.Lock()
	r.phases[phase] = append(r.phases[phase], dur)
	r.mu.Unlock()
	return nil
}
func (r *stageRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *stageRecorder) WithGroup(string) slog.Handler      { return r }

func (r *stageRecorder) reset() {
	r.mu.Lock()
	r.phases = map[string][]time.Duration{}
	r.mu.Unlock()
}

// last is the duration of the last record of phase, 0 if none.
func (r *stageRecorder) last(phase string) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	ds := r.phases[phase]
	if len(ds) == 0 {
		return 0
	}
	return ds[len(ds)-1]
}

func (r *stageRecorder) report(b *testing.B) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for phase, ds := range r.phases {
		slices.Sort(ds)
		b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, strings.ReplaceAll(phase, " ", "_")+"-ms")
	}
}

// manyDecls is a cell declaring n functions, types and vars (n/2 funcs,
// n/4 types with a method, n/4 vars).
func manyDecls(n int) string {
	var b strings.Builder
	for i := 0; i < n/2; i++ {
		fmt.Fprintf(&b, "func helper%d(x int) int { return x*%d + len(fmt.Sprint(x)) }\n", i, i)
	}
	for i := 0; i < n/4; i++ {
		fmt.Fprintf(&b, "type T%d struct{ A, B int }\nfunc (t T%d) Sum() int { return t.A + t.B }\n", i, i)
	}
	for i := 0; i < n/4; i++ {
		fmt.Fprintf(&b, "var v%d = %d\n", i, i)
	}
	return b.String()
}

func benchmarkCells(b *testing.B, setup string, cell func(i int) string) {
	rec := &stageRecorder{phases: map[string][]time.Duration{}}
	e, err := New(context.Background(), Config{Logger: slog.New(rec)})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	count := 1
	run := func(code string) {
		var out recorder
		_, err := e.Execute(context.Background(), interp.ExecuteRequest{Code: code, Count: count}, &out)
		if err != nil {
			b.Fatalf("cell %d: %v\n%s", count, err, code)
		}
		count++
	}
	if setup != "" {
		run(setup)
	}
	run(cell(-1)) // the first cell pays for the warm-up
	rec.reset()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run(cell(i))
	}
	b.StopTimer()
	rec.report(b)
}

func BenchmarkExecuteHello(b *testing.B) {
	benchmarkCells(b, "", func(i int) string { return fmt.Sprintf("fmt.Println(\"hello %d\")", i) })
}

func BenchmarkExecuteLesson(b *testing.B) {
	benchmarkCells(b, "", func(i int) string { return strings.Replace(lessonCell, "RUN", fmt.Sprint(i), 1) })
}

func BenchmarkExecuteHello200Decls(b *testing.B) {
	benchmarkCells(b, manyDecls(200), func(i int) string { return fmt.Sprintf("fmt.Println(\"hello %d\")", i) })
}

func BenchmarkExecuteLesson200Decls(b *testing.B) {
	benchmarkCells(b, manyDecls(200), func(i int) string { return strings.Replace(lessonCell, "RUN", fmt.Sprint(i), 1) })
}

// BenchmarkExecuteInterleaved runs the four cases above in turn in each
// iteration (one engine each), so that load from other processes hits them
// alike, and reports the median Execute time of each and the ratios the
// targets are stated in (200 remembered declarations ≤ 1.3× without).
func BenchmarkExecuteInterleaved(b *testing.B) {
	type benchCase struct {
		name  string
		setup string
		cell  func(i int) string
	}
	hello := func(i int) string { return fmt.Sprintf("fmt.Println(\"hello %d\")", i) }
	lesson := func(i int) string { return strings.Replace(lessonCell, "RUN", fmt.Sprint(i), 1) }
	cases := []benchCase{
		{"hello", "", hello},
		{"lesson", "", lesson},
		{"hello200", manyDecls(200), hello},
		{"lesson200", manyDecls(200), lesson},
	}
	engines := make([]*Engine, len(cases))
	counts := make([]int, len(cases))
	times := make([][]time.Duration, len(cases))
	run := func(k int, code string) time.Duration {
		var out recorder
		counts[k]++
		start := time.Now()
		if _, err := engines[k].Execute(context.Background(), interp.ExecuteRequest{Code: code, Count: counts[k]}, &out); err != nil {
			b.Fatalf("%s: %v", cases[k].name, err)
		}
		return time.Since(start)
	}
	for k, c := range cases {
		e, err := New(context.Background(), Config{})
		if err != nil {
			b.Fatal(err)
		}
		defer e.Close()
		engines[k] = e
		if c.setup != "" {
			run(k, c.setup)
		}
		run(k, c.cell(-1))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k, c := range cases {
			times[k] = append(times[k], run(k, c.cell(i)))
		}
	}
	b.StopTimer()
	medians := map[string]float64{}
	for k, c := range cases {
		slices.Sort(times[k])
		medians[c.name] = float64(times[k][len(times[k])/2].Microseconds()) / 1000
		b.ReportMetric(medians[c.name], c.name+"-ms")
	}
	b.ReportMetric(medians["hello200"]/medians["hello"], "hello200/hello")
	b.ReportMetric(medians["lesson200"]/medians["lesson"], "lesson200/lesson")
}

// BenchmarkExecuteSpareShepherd runs a hello cell with a spare shepherd
// (kernel/reap/spare.go) and one without in turn in each iteration (one
// engine; which goes first alternates), and reports the median Execute
// time and the median of each stage of each.
//
//	go test -run '^$' -bench SpareShepherd -benchtime 40x ./kernel/engine
func BenchmarkExecuteSpareShepherd(b *testing.B) {
	benchHelloInTurns(b, [2]string{"spare", "new"}, func(e *Engine, k int) (after func()) {
		if k == 1 {
			os.Setenv(reap.EnvNoSpare, "1")
			return func() { os.Unsetenv(reap.EnvNoSpare) }
		}
		// What the cell before did as it ended, had it had spares: cells
		// back to back (Run All, bench figure 2) start the spare as the
		// next cell starts.
		reap.Prepare()
		return func() {}
	})
}

// benchHelloInTurns runs a hello cell in each of two setups in turn in each
// iteration, on one engine (which goes first alternates, so both see the
// same machine), and reports the median Execute time and the median of each
// stage of each setup, named names[k]-stage-ms. setup(e, k) readies setup k
// before its cell, untimed; the func it returns undoes it after the cell.
func benchHelloInTurns(b *testing.B, names [2]string, setup func(e *Engine, k int) (after func())) {
	rec := &stageRecorder{phases: map[string][]time.Duration{}}
	e, err := New(context.Background(), Config{Logger: slog.New(rec)})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	count := 0
	stages := [2]map[string][]time.Duration{{}, {}}
	run := func(k int) {
		after := setup(e, k)
		defer after()
		count++
		rec.reset()
		var out recorder
		start := time.Now()
		if _, err := e.Execute(context.Background(), interp.ExecuteRequest{Code: fmt.Sprintf("fmt.Println(\"hello %d\")", count), Count: count}, &out); err != nil {
			b.Fatal(err)
		}
		stages[k]["total"] = append(stages[k]["total"], time.Since(start))
		for _, phase := range []string{"build", "run", "compile", "link"} {
			stages[k][phase] = append(stages[k][phase], rec.last(phase))
		}
	}
	run(0) // the first cell pays for the warm-up
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range 2 {
			run((i + j) % 2)
		}
	}
	b.StopTimer()
	for k, name := range names {
		for phase, ds := range stages[k] {
			slices.Sort(ds)
			b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, name+"-"+phase+"-ms")
		}
	}
}
