package engine

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
)

// BenchmarkExecuteVet measures what the vet stage adds to a cell: the
// lesson cell with vet on and with %vet off, in turn in each iteration, each
// first in turn (one engine each, so load from other processes hits both alike). It reports
// both medians, their difference, and the median of the vet stage itself
// (vet-ms), which runs while the cell compiles: every new cell compiles,
// since its program names its execution count in its //line directives.
//
//	go test -run '^$' -bench ExecuteVet -benchtime 20x ./kernel/engine
func BenchmarkExecuteVet(b *testing.B) {
	lesson := func(i int) string { return strings.Replace(lessonCell, "RUN", fmt.Sprint(i), 1) }
	cases := []struct{ name, setup string }{{"on", ""}, {"off", "%vet off"}}
	rec := &stageRecorder{phases: map[string][]time.Duration{}}
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
		cfg := Config{}
		if k == 0 {
			cfg.Logger = slog.New(rec)
		}
		e, err := New(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer e.Close()
		engines[k] = e
		if c.setup != "" {
			run(k, c.setup)
		}
		run(k, lesson(-1))
	}
	rec.reset()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range cases {
			k := (i + j) % len(cases) // each goes first in turn
			times[k] = append(times[k], run(k, lesson(i)))
		}
	}
	b.StopTimer()
	medians := map[string]float64{}
	for k, c := range cases {
		slices.Sort(times[k])
		medians[c.name] = float64(times[k][len(times[k])/2].Microseconds()) / 1000
		b.ReportMetric(medians[c.name], "vet-"+c.name+"-ms")
	}
	b.ReportMetric(medians["on"]-medians["off"], "on-off-ms")
	vet := rec.phases["vet"]
	if len(vet) == 0 {
		b.Fatal("the vet stage never ran")
	}
	slices.Sort(vet)
	b.ReportMetric(float64(vet[len(vet)/2].Microseconds())/1000, "vet-ms")
}
